//! Exclusive XML canonicalisation without comments (`http://www.w3.org/2001/10/xml-exc-c14n#`) of an
//! element subtree, optionally leaving one descendant out (the enveloped-signature transform).

use std::collections::BTreeMap;

use super::tree::{Element, Node};

/// Namespace bindings: prefix (`""` = default) → URI.
pub type Scope = BTreeMap<String, String>;

/// Canonical form of `element`, whose ancestors declare `inherited`; `exclude` is left out if met.
pub fn canonicalize(element: &Element, inherited: &Scope, exclude: Option<&Element>) -> String {
    let mut out = String::new();
    write_element(element, inherited, &Scope::new(), exclude, &mut out);
    out
}

/// `scope` extended with the declarations made on `element`.
pub fn scope_of(element: &Element, scope: &Scope) -> Scope {
    let mut scope = scope.clone();
    for (prefix, uri) in element.declarations() {
        scope.insert(prefix.to_string(), uri.to_string());
    }
    scope
}

fn write_element(
    element: &Element,
    inherited: &Scope,
    rendered: &Scope,
    exclude: Option<&Element>,
    out: &mut String,
) {
    let scope = scope_of(element, inherited);
    // Visibly utilised prefixes: the element's own and those of its prefixed attributes.
    let mut utilised = vec![element.prefix().to_string()];
    for (name, _) in &element.attributes {
        if let Some((prefix, _)) = name.split_once(':') {
            if prefix != "xmlns" && prefix != "xml" {
                utilised.push(prefix.to_string());
            }
        }
    }
    let mut rendered_here = rendered.clone();
    let mut declarations: Vec<(String, String)> = Vec::new();
    for prefix in utilised {
        let uri = scope.get(&prefix).cloned().unwrap_or_default();
        let already = rendered_here.get(&prefix).cloned().unwrap_or_default();
        // An unbound default namespace needs no `xmlns=""` unless a rendered ancestor set one.
        if uri != already {
            rendered_here.insert(prefix.clone(), uri.clone());
            declarations.push((prefix, uri));
        }
    }
    declarations.sort();
    declarations.dedup();
    let mut attributes: Vec<(String, String, &str)> = element
        .attributes
        .iter()
        .filter(|(name, _)| name != "xmlns" && !name.starts_with("xmlns:"))
        .map(|(name, value)| {
            let (uri, local) = match name.split_once(':') {
                Some(("xml", local)) => ("http://www.w3.org/XML/1998/namespace".to_string(), local),
                Some((prefix, local)) => (scope.get(prefix).cloned().unwrap_or_default(), local),
                None => (String::new(), name.as_str()),
            };
            (uri, local.to_string(), value.as_str())
        })
        .collect();
    attributes.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    out.push('<');
    out.push_str(&element.name);
    for (prefix, uri) in &declarations {
        if prefix.is_empty() {
            out.push_str(" xmlns=\"");
        } else {
            out.push_str(" xmlns:");
            out.push_str(prefix);
            out.push_str("=\"");
        }
        escape_attribute(uri, out);
        out.push('"');
    }
    for (uri, local, value) in &attributes {
        let written = element
            .attributes
            .iter()
            .find(|(name, _)| {
                name.rsplit(':').next() == Some(local.as_str())
                    && match name.split_once(':') {
                        Some(("xml", _)) => uri == "http://www.w3.org/XML/1998/namespace",
                        Some((prefix, _)) => scope.get(prefix) == Some(uri),
                        None => uri.is_empty(),
                    }
            })
            .map_or(local.as_str(), |(name, _)| name.as_str());
        out.push(' ');
        out.push_str(written);
        out.push_str("=\"");
        escape_attribute(value, out);
        out.push('"');
    }
    out.push('>');
    for child in &element.children {
        match child {
            Node::Text(text) => escape_text(text, out),
            Node::Element(child) if exclude.is_some_and(|e| std::ptr::eq(e, child)) => {}
            Node::Element(child) => write_element(child, &scope, &rendered_here, exclude, out),
        }
    }
    out.push_str("</");
    out.push_str(&element.name);
    out.push('>');
}

fn escape_text(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

fn escape_attribute(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tree::parse;
    use super::*;

    #[test]
    fn exc_c14n_moves_namespaces_to_their_users_and_sorts_attributes() {
        // The W3C exc-c14n rules on a small document: declarations only where visibly used, unused ones
        // dropped, attributes sorted by namespace URI then local name, empty elements expanded.
        let doc = parse(
            r#"<?xml version="1.0"?><!-- c --><a:r xmlns:a="urn:a" xmlns:b="urn:b" xmlns:u="urn:unused" z="1" b:y="2" a="3">
  <b:c/><d xmlns="urn:d">x &amp; y &gt; z</d></a:r>"#,
        )
        .expect("well-formed");
        assert_eq!(
            canonicalize(&doc, &Scope::new(), None),
            "<a:r xmlns:a=\"urn:a\" xmlns:b=\"urn:b\" a=\"3\" z=\"1\" b:y=\"2\">\n  \
             <b:c></b:c><d xmlns=\"urn:d\">x &amp; y &gt; z</d></a:r>"
        );
        // A subtree inherits bindings from ancestors that are not in the output.
        let Some(Node::Element(inner)) = doc.children.get(1) else {
            panic!("b:c is the second child");
        };
        assert_eq!(
            canonicalize(inner, &scope_of(&doc, &Scope::new()), None),
            "<b:c xmlns:b=\"urn:b\"></b:c>"
        );
    }
}
