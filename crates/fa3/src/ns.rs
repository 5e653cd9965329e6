//! Namespace scopes for the streaming pass (XML Namespaces 1.0), kept by hand because the
//! documents declare their namespaces once on the root and a full resolver per element cost
//! more than everything else the pass does.

/// The namespace bound to the reserved `xml` prefix.
const XML_NAMESPACE: &[u8] = b"http://www.w3.org/XML/1998/namespace";

/// How an element's prefix resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resolution<'a> {
    /// In this namespace.
    Bound(&'a [u8]),
    /// No prefix and no default namespace in scope.
    NoNamespace,
    /// A prefix nobody declared (a namespace well-formedness error).
    UnknownPrefix,
}

/// Why a namespace declaration is not allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeclarationError {
    /// `xmlns:p=""`: XML 1.0 namespaces cannot unbind a prefix.
    EmptyPrefixedBinding,
    /// `xmlns:xmlns` or `xmlns:xml` to something other than the XML namespace.
    ReservedPrefix,
}

struct Binding {
    /// Empty for the default namespace.
    prefix: Vec<u8>,
    /// Empty to undeclare the default namespace (`xmlns=""`).
    uri: Vec<u8>,
    /// Depth of the element that declared it (root = 1).
    depth: usize,
}

/// The declarations in scope, innermost last.
#[derive(Default)]
pub(crate) struct Namespaces {
    bindings: Vec<Binding>,
}

impl Namespaces {
    /// Records attribute `key` = `value` of an element at `depth` if it declares a namespace.
    /// Returns whether it was a declaration.
    pub fn declare(
        &mut self,
        key: &[u8],
        value: &[u8],
        depth: usize,
    ) -> Result<bool, DeclarationError> {
        let prefix = match key.strip_prefix(b"xmlns") {
            Some([]) => &[][..],
            Some([b':', prefix @ ..]) => prefix,
            _ => return Ok(false),
        };
        if prefix == b"xmlns" || (prefix == b"xml" && value != XML_NAMESPACE) {
            return Err(DeclarationError::ReservedPrefix);
        }
        if !prefix.is_empty() && value.is_empty() {
            return Err(DeclarationError::EmptyPrefixedBinding);
        }
        self.bindings.push(Binding {
            prefix: prefix.to_vec(),
            uri: value.to_vec(),
            depth,
        });
        Ok(true)
    }

    /// Resolves a qualified element name; returns the resolution and the local name.
    pub fn resolve_element<'n>(&self, qname: &'n [u8]) -> (Resolution<'_>, &'n [u8]) {
        let (prefix, local) = match qname.iter().position(|&b| b == b':') {
            Some(colon) => (&qname[..colon], &qname[colon + 1..]),
            None => (&[][..], qname),
        };
        (self.resolve_prefix(prefix), local)
    }

    /// Resolves an attribute's prefix; unprefixed attributes are in no namespace.
    pub fn attribute_prefix_known(&self, key: &[u8]) -> bool {
        match key.iter().position(|&b| b == b':') {
            Some(colon) => {
                let prefix = &key[..colon];
                prefix == b"xmlns" || self.resolve_prefix(prefix) != Resolution::UnknownPrefix
            }
            None => true,
        }
    }

    /// Drops the declarations of elements deeper than `depth` (call after closing one).
    pub fn close(&mut self, depth: usize) {
        while self.bindings.last().is_some_and(|b| b.depth > depth) {
            self.bindings.pop();
        }
    }

    fn resolve_prefix(&self, prefix: &[u8]) -> Resolution<'_> {
        if prefix == b"xml" {
            return Resolution::Bound(XML_NAMESPACE);
        }
        match self.bindings.iter().rev().find(|b| b.prefix == prefix) {
            Some(b) if b.uri.is_empty() => Resolution::NoNamespace,
            Some(b) => Resolution::Bound(&b.uri),
            None if prefix.is_empty() => Resolution::NoNamespace,
            None => Resolution::UnknownPrefix,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_and_prefixed_bindings_nest_and_unwind() {
        let mut ns = Namespaces::default();
        assert_eq!(ns.declare(b"xmlns", b"urn:a", 1), Ok(true));
        assert_eq!(ns.declare(b"xmlns:p", b"urn:p", 1), Ok(true));
        assert_eq!(ns.declare(b"kodSystemowy", b"FA (3)", 1), Ok(false));
        assert_eq!(
            ns.resolve_element(b"Faktura"),
            (Resolution::Bound(b"urn:a"), &b"Faktura"[..])
        );
        assert_eq!(
            ns.resolve_element(b"p:x"),
            (Resolution::Bound(b"urn:p"), &b"x"[..])
        );
        assert_eq!(ns.resolve_element(b"q:x").0, Resolution::UnknownPrefix);

        assert_eq!(ns.declare(b"xmlns", b"", 2), Ok(true));
        assert_eq!(ns.resolve_element(b"y").0, Resolution::NoNamespace);
        ns.close(1);
        assert_eq!(ns.resolve_element(b"y").0, Resolution::Bound(b"urn:a"));
        ns.close(0);
        assert_eq!(ns.resolve_element(b"y").0, Resolution::NoNamespace);
        assert_eq!(ns.resolve_element(b"p:y").0, Resolution::UnknownPrefix);
    }

    #[test]
    fn reserved_and_empty_prefixed_bindings_are_refused() {
        let mut ns = Namespaces::default();
        assert_eq!(
            ns.declare(b"xmlns:p", b"", 1),
            Err(DeclarationError::EmptyPrefixedBinding)
        );
        assert_eq!(
            ns.declare(b"xmlns:xmlns", b"urn:x", 1),
            Err(DeclarationError::ReservedPrefix)
        );
        assert_eq!(
            ns.declare(b"xmlns:xml", b"urn:x", 1),
            Err(DeclarationError::ReservedPrefix)
        );
        assert_eq!(ns.declare(b"xmlns:xml", XML_NAMESPACE, 1), Ok(true));
        assert!(ns.attribute_prefix_known(b"xml:lang"));
        assert!(!ns.attribute_prefix_known(b"q:attr"));
    }
}
