//! Namespace scopes for the streaming pass (XML Namespaces 1.0), kept by hand because the
//! documents declare their namespaces once on the root and a full resolver per element cost
//! more than everything else the pass does.

use crate::document::FA3_NAMESPACE;

/// The namespace bound to the reserved `xml` prefix.
const XML_NAMESPACE: &[u8] = b"http://www.w3.org/XML/1998/namespace";

/// How an element's prefix resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resolution<'a> {
    /// In namespace `uri`; `fa3` says whether that is the FA(3) namespace (decided once, when
    /// the namespace was declared, not for every element).
    Bound { uri: &'a [u8], fa3: bool },
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
    /// Whether `uri` is the FA(3) namespace.
    fa3: bool,
    /// Depth of the element that declared it (root = 1).
    depth: usize,
}

/// The declarations in scope, innermost last.
#[derive(Default)]
pub(crate) struct Namespaces {
    bindings: Vec<Binding>,
    /// Index of the innermost default-namespace binding: unprefixed names, nearly every
    /// element, resolve without a search.
    default: Option<usize>,
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
        if prefix.is_empty() {
            self.default = Some(self.bindings.len());
        }
        self.bindings.push(Binding {
            prefix: prefix.to_vec(),
            uri: value.to_vec(),
            fa3: value == FA3_NAMESPACE.as_bytes(),
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
        let before = self.bindings.len();
        while self.bindings.last().is_some_and(|b| b.depth > depth) {
            self.bindings.pop();
        }
        if self.bindings.len() != before {
            self.default = self.bindings.iter().rposition(|b| b.prefix.is_empty());
        }
    }

    fn resolve_prefix(&self, prefix: &[u8]) -> Resolution<'_> {
        let found = if prefix.is_empty() {
            self.default.and_then(|i| self.bindings.get(i))
        } else if prefix == b"xml" {
            return Resolution::Bound {
                uri: XML_NAMESPACE,
                fa3: false,
            };
        } else {
            self.bindings.iter().rev().find(|b| b.prefix == prefix)
        };
        match found {
            Some(b) if b.uri.is_empty() => Resolution::NoNamespace,
            Some(b) => Resolution::Bound {
                uri: &b.uri,
                fa3: b.fa3,
            },
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
        let bound = |uri: &'static [u8]| Resolution::Bound { uri, fa3: false };
        assert_eq!(
            ns.resolve_element(b"Faktura"),
            (bound(b"urn:a"), &b"Faktura"[..])
        );
        assert_eq!(ns.resolve_element(b"p:x"), (bound(b"urn:p"), &b"x"[..]));
        assert_eq!(ns.resolve_element(b"q:x").0, Resolution::UnknownPrefix);

        assert_eq!(ns.declare(b"xmlns", b"", 2), Ok(true));
        assert_eq!(ns.resolve_element(b"y").0, Resolution::NoNamespace);
        ns.close(1);
        assert_eq!(ns.resolve_element(b"y").0, bound(b"urn:a"));
        ns.close(0);
        assert_eq!(ns.resolve_element(b"y").0, Resolution::NoNamespace);
        assert_eq!(ns.resolve_element(b"p:y").0, Resolution::UnknownPrefix);
    }

    #[test]
    fn the_fa3_namespace_is_recognised_whatever_the_prefix() {
        let mut ns = Namespaces::default();
        assert_eq!(
            ns.declare(b"xmlns:tns", FA3_NAMESPACE.as_bytes(), 1),
            Ok(true)
        );
        let uri = FA3_NAMESPACE.as_bytes();
        assert_eq!(
            ns.resolve_element(b"tns:Faktura").0,
            Resolution::Bound { uri, fa3: true }
        );
        assert_eq!(ns.resolve_element(b"Faktura").0, Resolution::NoNamespace);
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
