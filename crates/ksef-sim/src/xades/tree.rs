//! A minimal XML element tree (elements, attributes as written, text) built with quick-xml; comments,
//! processing instructions and the declaration are dropped, DTDs refused (no entity tricks).

use quick_xml::events::Event;
use quick_xml::Reader;

/// Deepest element nesting accepted; authentication documents are shallow.
const DEPTH_MAX: usize = 64;

/// One element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// Qualified name as written (`ds:Signature`).
    pub name: String,
    /// Attributes as written, including `xmlns`/`xmlns:p` declarations, values unescaped.
    pub attributes: Vec<(String, String)>,
    /// Children in document order.
    pub children: Vec<Node>,
}

/// Element content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A child element.
    Element(Element),
    /// Character data (unescaped).
    Text(String),
}

impl Element {
    /// Prefix of the element name (`""` for none).
    pub fn prefix(&self) -> &str {
        self.name.split_once(':').map_or("", |(p, _)| p)
    }

    /// Local part of the element name.
    pub fn local(&self) -> &str {
        self.name.split_once(':').map_or(&self.name, |(_, l)| l)
    }

    /// Value of the attribute written as `name`.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Child elements.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// The concatenated text of the direct children.
    pub fn text(&self) -> String {
        self.children
            .iter()
            .filter_map(|n| match n {
                Node::Text(t) => Some(t.as_str()),
                Node::Element(_) => None,
            })
            .collect()
    }

    /// Namespace declarations made on this element: (prefix, uri), `""` for the default namespace.
    pub fn declarations(&self) -> impl Iterator<Item = (&str, &str)> {
        self.attributes.iter().filter_map(|(n, v)| {
            if n == "xmlns" {
                Some(("", v.as_str()))
            } else {
                n.strip_prefix("xmlns:").map(|p| (p, v.as_str()))
            }
        })
    }
}

/// Parses `xml` into its root element; `None` when it is not well-formed (or uses a DTD).
pub fn parse(xml: &str) -> Option<Element> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Element> = Vec::new();
    let mut root = None;
    loop {
        let event = reader.read_event().ok()?;
        match &event {
            Event::Start(start) | Event::Empty(start) if root.is_none() => {
                let is_empty = matches!(event, Event::Empty(_));
                let name = std::str::from_utf8(start.name().as_ref()).ok()?.to_string();
                let mut attributes = Vec::new();
                for attribute in start.attributes() {
                    let attribute = attribute.ok()?;
                    let key = std::str::from_utf8(attribute.key.as_ref())
                        .ok()?
                        .to_string();
                    let value = attribute.unescape_value().ok()?.into_owned();
                    attributes.push((key, value));
                }
                let element = Element {
                    name,
                    attributes,
                    children: Vec::new(),
                };
                if is_empty {
                    close(&mut stack, &mut root, element);
                } else {
                    if stack.len() >= DEPTH_MAX {
                        return None;
                    }
                    stack.push(element);
                }
            }
            Event::End(end) => {
                let element = stack.pop()?;
                if end.name().as_ref() != element.name.as_bytes() {
                    return None;
                }
                close(&mut stack, &mut root, element);
            }
            Event::Text(text) => {
                let text = text.unescape().ok()?.into_owned();
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Text(text)),
                    None if text.trim().is_empty() => {}
                    None => return None,
                }
            }
            Event::CData(data) => {
                let text = std::str::from_utf8(data.as_ref()).ok()?.to_string();
                stack.last_mut()?.children.push(Node::Text(text));
            }
            Event::DocType(_) => return None,
            Event::Eof => break,
            // A second root, comments, PIs and the declaration.
            Event::Start(_) | Event::Empty(_) => return None,
            Event::Comment(_) | Event::PI(_) | Event::Decl(_) => {}
        }
    }
    if stack.is_empty() {
        root
    } else {
        None
    }
}

fn close(stack: &mut [Element], root: &mut Option<Element>, element: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(Node::Element(element)),
        None => *root = Some(element),
    }
}
