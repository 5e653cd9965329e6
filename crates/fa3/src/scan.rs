//! The single streaming pass over the XML: well-formedness, prolog, PIs, DOCTYPE, references,
//! the FA(3) root, and the summary fields, all at once.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::capture::{Capture, Scope};
use crate::chars;
use crate::code::FindingCode;
use crate::document::FA3_NAMESPACE;
use crate::ns::{DeclarationError, Namespaces, Resolution};
use crate::refs::{self, RefContext};
use crate::sink::{excerpt, At, FindingSink};

/// What the pass learned beyond its findings.
pub(crate) struct ScanOutcome {
    /// The document was well-formed (as far as this pass can tell).
    pub well_formed: bool,
    /// The root element is FA(3) `Faktura`.
    pub fa3_root: bool,
    /// Summary fields (meaningful when `fa3_root`).
    pub capture: Capture,
}

/// Scans `xml` (the input after any BOM, which starts at input offset `base`).
pub(crate) fn scan(sink: &mut FindingSink<'_>, xml: &[u8], base: usize) -> ScanOutcome {
    let mut scanner = Scanner {
        base,
        ctx: RefContext {
            doctype_seen: false,
        },
        open: Vec::with_capacity(16),
        namespaces: Namespaces::default(),
        declared: String::new(),
        root_seen: false,
        fa3_root: false,
        text: String::new(),
        collect_text: false,
        capture: Capture::default(),
    };
    let well_formed = scanner.run(sink, xml);
    ScanOutcome {
        well_formed,
        fa3_root: scanner.fa3_root,
        capture: scanner.capture,
    }
}

struct Scanner {
    base: usize,
    ctx: RefContext,
    /// Open elements, innermost last: their scope and start offset.
    open: Vec<(Scope, usize)>,
    namespaces: Namespaces,
    /// Scratch buffer for an unescaped namespace declaration value.
    declared: String,
    root_seen: bool,
    fa3_root: bool,
    /// Unescaped text of the current element, collected only where a summary field may be.
    text: String,
    collect_text: bool,
    capture: Capture,
}

impl Scanner {
    /// Returns whether the document was well-formed.
    fn run(&mut self, sink: &mut FindingSink<'_>, xml: &[u8]) -> bool {
        let mut reader = Reader::from_reader(xml);
        reader.config_mut().check_comments = true;
        reader.config_mut().check_end_names = true;
        let mut malformed_before = false;
        loop {
            let offset = self.base + offset_of(reader.buffer_position());
            let event = match reader.read_event() {
                Ok(ok) => ok,
                Err(e) => {
                    let at = self.base + offset_of(reader.error_position());
                    sink.error(
                        FindingCode::XmlMalformed,
                        format!("not well-formed XML: {}", excerpt(e.to_string())),
                        At::offset(at),
                    );
                    return false;
                }
            };
            let ok = match event {
                Event::Start(e) => self.start(sink, &e, offset, false),
                Event::Empty(e) => self.start(sink, &e, offset, true),
                Event::End(e) => {
                    self.end(e.local_name().as_ref());
                    true
                }
                Event::Text(t) => self.text(sink, &t, offset),
                Event::CData(c) => self.cdata(sink, &c, offset),
                Event::Comment(_) => true,
                Event::Decl(d) => self.decl(sink, &d, offset),
                Event::PI(pi) => {
                    let target = excerpt(pi.target());
                    sink.error(
                        FindingCode::XmlProcessingInstruction,
                        format!("processing instruction <?{target} …?> is not allowed"),
                        At::offset(offset),
                    );
                    true
                }
                Event::DocType(_) => {
                    self.ctx.doctype_seen = true;
                    sink.error(
                        FindingCode::XmlDoctype,
                        "DOCTYPE declarations are not allowed; it was neither expanded nor resolved",
                        At::offset(offset),
                    );
                    true
                }
                Event::Eof => return self.eof(sink, offset) && !malformed_before,
            };
            malformed_before |= !ok;
        }
    }

    fn start(
        &mut self,
        sink: &mut FindingSink<'_>,
        e: &BytesStart<'_>,
        offset: usize,
        empty: bool,
    ) -> bool {
        let mut ok = self.attributes(sink, e, offset);
        let qname = e.name();
        if !chars::is_qname(qname.as_ref()) {
            sink.error(
                FindingCode::XmlMalformed,
                format!("'{}' is not a valid element name", excerpt(qname.as_ref())),
                At::offset(offset),
            );
            ok = false;
        }
        let (resolution, local) = self.namespaces.resolve_element(qname.as_ref());
        let in_fa3 = match resolution {
            Resolution::Bound { fa3, .. } => fa3,
            Resolution::NoNamespace => false,
            Resolution::UnknownPrefix => {
                sink.error(
                    FindingCode::XmlMalformed,
                    format!("unbound namespace prefix in '{}'", excerpt(qname.as_ref())),
                    At::offset(offset),
                );
                ok = false;
                false
            }
        };
        if self.open.is_empty() {
            if self.root_seen {
                sink.error(
                    FindingCode::XmlMalformed,
                    "more than one root element",
                    At::offset(offset),
                );
                ok = false;
            } else {
                self.root_seen = true;
                self.fa3_root = in_fa3 && local == b"Faktura";
                if !self.fa3_root {
                    let ns = match resolution {
                        Resolution::Bound { uri, .. } => excerpt(uri),
                        _ => String::new(),
                    };
                    sink.error(
                        FindingCode::SchemaWrongRoot,
                        format!(
                            "root element is '{}' in namespace '{ns}'; expected 'Faktura' in '{FA3_NAMESPACE}'",
                            excerpt(local)
                        ),
                        At::offset(offset),
                    );
                }
            }
        }
        let scope = match self.open.last() {
            _ if !in_fa3 => Scope::Other,
            Some(&(parent, _)) => {
                if self.fa3_root {
                    self.capture.start(parent, local, offset);
                }
                parent.child(local)
            }
            None if self.fa3_root => Scope::Faktura,
            None => Scope::Other,
        };
        self.open.push((scope, offset));
        self.text.clear();
        self.collect_text = matches!(scope, Scope::Field(_));
        if empty {
            self.end(local);
        }
        ok
    }

    /// Closes the innermost element (`local` is its name; quick-xml checked it matches).
    fn end(&mut self, local: &[u8]) {
        if let Some((Scope::Field(parent), offset)) = self.open.pop() {
            self.capture.field(parent, local, &self.text, offset);
        }
        self.namespaces.close(self.open.len());
        self.text.clear();
        // Back in the parent, whose text (whitespace between children) nobody needs.
        self.collect_text = false;
    }

    fn attributes(
        &mut self,
        sink: &mut FindingSink<'_>,
        e: &BytesStart<'_>,
        offset: usize,
    ) -> bool {
        // Reported, but the declarations are still read so the root is judged correctly.
        let separated = attributes_separated(e.attributes_raw());
        if !separated {
            sink.error(
                FindingCode::XmlMalformed,
                "attributes must be separated by whitespace",
                At::offset(offset),
            );
        }
        // Declarations on an element apply to the element itself and to its attributes.
        let depth = self.open.len() + 1;
        let mut prefixed = false;
        for attr in e.attributes() {
            let a = match attr {
                Ok(a) => a,
                Err(err) => {
                    sink.error(
                        FindingCode::XmlMalformed,
                        format!("bad attribute syntax: {}", excerpt(err.to_string())),
                        At::offset(offset),
                    );
                    return false;
                }
            };
            if a.value.contains(&b'<') {
                sink.error(
                    FindingCode::XmlMalformed,
                    "'<' is not allowed in an attribute value",
                    At::offset(offset),
                );
                return false;
            }
            let key = a.key.as_ref();
            if !chars::is_qname(key) {
                sink.error(
                    FindingCode::XmlMalformed,
                    format!("'{}' is not a valid attribute name", excerpt(key)),
                    At::offset(offset),
                );
                return false;
            }
            if key.starts_with(b"xmlns") {
                self.declared.clear();
                let out = Some(&mut self.declared);
                if !refs::unescape_into(sink, &a.value, offset, self.ctx, out) {
                    return false;
                }
                let declared = self.declared.as_bytes();
                if let Err(why) = self.namespaces.declare(key, declared, depth) {
                    let what = match why {
                        DeclarationError::EmptyPrefixedBinding => "a prefix cannot be bound to ''",
                        DeclarationError::ReservedPrefix => "reserved prefix redeclared",
                    };
                    sink.error(
                        FindingCode::XmlMalformed,
                        format!("bad namespace declaration '{}': {what}", excerpt(key)),
                        At::offset(offset),
                    );
                    return false;
                }
            } else {
                prefixed |= key.contains(&b':');
                if !refs::unescape_into(sink, &a.value, offset, self.ctx, None) {
                    return false;
                }
            }
        }
        if !prefixed {
            return separated;
        }
        // Attribute prefixes can only be judged once every declaration on the element is in.
        for a in e.attributes().flatten() {
            if !self.namespaces.attribute_prefix_known(a.key.as_ref()) {
                sink.error(
                    FindingCode::XmlMalformed,
                    format!(
                        "unbound namespace prefix in attribute '{}'",
                        excerpt(a.key.as_ref())
                    ),
                    At::offset(offset),
                );
                return false;
            }
        }
        separated
    }

    fn text(&mut self, sink: &mut FindingSink<'_>, raw: &[u8], offset: usize) -> bool {
        if contains_cdata_end(raw) {
            sink.error(
                FindingCode::XmlMalformed,
                "']]>' is not allowed in text",
                At::offset(offset),
            );
            return false;
        }
        if self.open.is_empty() {
            return self.outside_root(sink, raw, offset);
        }
        let out = self.collect_text.then_some(&mut self.text);
        refs::unescape_into(sink, raw, offset, self.ctx, out)
    }

    fn cdata(&mut self, sink: &mut FindingSink<'_>, raw: &[u8], offset: usize) -> bool {
        if self.open.is_empty() {
            sink.error(
                FindingCode::XmlMalformed,
                "CDATA section outside the root element",
                At::offset(offset),
            );
            return false;
        }
        if self.collect_text {
            self.text.push_str(&String::from_utf8_lossy(raw));
        }
        true
    }

    fn outside_root(&self, sink: &mut FindingSink<'_>, raw: &[u8], offset: usize) -> bool {
        if raw
            .iter()
            .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        {
            return true;
        }
        let what = if self.root_seen { "after" } else { "before" };
        sink.error(
            FindingCode::XmlMalformed,
            format!("text {what} the root element"),
            At::offset(offset),
        );
        false
    }

    fn decl(
        &mut self,
        sink: &mut FindingSink<'_>,
        d: &quick_xml::events::BytesDecl<'_>,
        offset: usize,
    ) -> bool {
        if offset != self.base {
            sink.error(
                FindingCode::XmlMalformed,
                "the XML declaration must be the very first thing in the document",
                At::offset(offset),
            );
            return false;
        }
        match d.version() {
            Ok(version) if version.as_ref() == b"1.0" => {}
            // XML 1.1 changes which characters are legal; KSeF takes XML 1.0 only.
            Ok(version) => {
                sink.error(
                    FindingCode::XmlMalformed,
                    format!(
                        "XML version {} is not supported; KSeF requires XML 1.0",
                        excerpt(version)
                    ),
                    At::offset(offset),
                );
                return false;
            }
            Err(_) => {
                sink.error(
                    FindingCode::XmlMalformed,
                    "XML declaration without a valid version",
                    At::offset(offset),
                );
                return false;
            }
        }
        if let Some(standalone) = d.standalone() {
            if !matches!(standalone.as_deref(), Ok(b"yes" | b"no")) {
                sink.error(
                    FindingCode::XmlMalformed,
                    "standalone in the XML declaration must be 'yes' or 'no'",
                    At::offset(offset),
                );
                return false;
            }
        }
        match d.encoding() {
            None => true,
            Some(Ok(enc)) if enc.eq_ignore_ascii_case(b"utf-8") => true,
            Some(Ok(enc)) => {
                let enc = excerpt(&enc);
                sink.error(
                    FindingCode::XmlDeclaredEncoding,
                    format!("the XML declaration says encoding=\"{enc}\"; KSeF requires UTF-8"),
                    At::offset(offset),
                );
                true
            }
            Some(Err(e)) => {
                sink.error(
                    FindingCode::XmlMalformed,
                    format!("bad XML declaration: {}", excerpt(e.to_string())),
                    At::offset(offset),
                );
                false
            }
        }
    }

    fn eof(&self, sink: &mut FindingSink<'_>, offset: usize) -> bool {
        if !self.open.is_empty() {
            sink.error(
                FindingCode::XmlMalformed,
                format!(
                    "document ends inside {} unclosed element(s)",
                    self.open.len()
                ),
                At::offset(offset),
            );
            return false;
        }
        if !self.root_seen {
            sink.error(
                FindingCode::XmlMalformed,
                "document has no root element",
                At::offset(offset),
            );
            return false;
        }
        true
    }
}

/// Whether `]]>` occurs in `raw`. Text is mostly a few bytes of indentation, where a plain loop
/// beats a vectorised search's setup.
fn contains_cdata_end(raw: &[u8]) -> bool {
    raw.iter()
        .enumerate()
        .any(|(i, &b)| b == b'>' && i >= 2 && raw.get(i - 2..i) == Some(b"]]".as_slice()))
}

/// Whether every attribute value in a start tag's raw attribute text is followed by whitespace
/// or the end (quick-xml accepts `a="1"b="2"`, which XML does not). Anything this simple walk
/// does not understand is left to quick-xml's own attribute checks.
fn attributes_separated(raw: &[u8]) -> bool {
    let mut i = 0;
    loop {
        while raw.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        let Some(eq) = raw
            .get(i..)
            .and_then(|rest| rest.iter().position(|&b| b == b'='))
        else {
            return true;
        };
        i += eq + 1;
        while raw.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        let Some(&quote) = raw.get(i).filter(|&&q| q == b'"' || q == b'\'') else {
            return true;
        };
        let Some(len) = raw
            .get(i + 1..)
            .and_then(|rest| rest.iter().position(|&b| b == quote))
        else {
            return true;
        };
        i += 1 + len + 1;
        match raw.get(i) {
            None => return true,
            Some(b) if b.is_ascii_whitespace() || *b == b'/' => {}
            Some(_) => return false,
        }
    }
}

fn offset_of(position: u64) -> usize {
    usize::try_from(position).unwrap_or(usize::MAX)
}
