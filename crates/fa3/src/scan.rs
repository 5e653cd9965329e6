//! The single streaming pass over the XML: well-formedness, prolog, PIs, DOCTYPE, references,
//! the FA(3) root, and the summary fields, all at once.

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use crate::capture::Capture;
use crate::code::FindingCode;
use crate::document::FA3_NAMESPACE;
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
        depth: 0,
        root_seen: false,
        fa3_root: false,
        path: String::with_capacity(128),
        path_lens: Vec::with_capacity(16),
        text: String::new(),
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
    depth: usize,
    root_seen: bool,
    fa3_root: bool,
    /// Path of the current element, e.g. `/Faktura/Fa/P_1`; elements outside the FA(3)
    /// namespace appear as `{}Name` so they never match a captured field.
    path: String,
    path_lens: Vec<usize>,
    /// Unescaped text of the current element since its last child.
    text: String,
    capture: Capture,
}

impl Scanner {
    /// Returns whether the document was well-formed.
    fn run(&mut self, sink: &mut FindingSink<'_>, xml: &[u8]) -> bool {
        let mut reader = NsReader::from_reader(xml);
        reader.config_mut().check_comments = true;
        reader.config_mut().check_end_names = true;
        let mut malformed_before = false;
        loop {
            let offset = self.base + offset_of(reader.buffer_position());
            let (resolved, event) = match reader.read_resolved_event() {
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
                Event::Start(e) => self.start(sink, &resolved, &e, offset, false),
                Event::Empty(e) => self.start(sink, &resolved, &e, offset, true),
                Event::End(_) => {
                    self.end(offset);
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
        resolved: &ResolveResult<'_>,
        e: &BytesStart<'_>,
        offset: usize,
        empty: bool,
    ) -> bool {
        let mut ok = self.attributes(sink, e, offset);
        let in_fa3 = match resolved {
            ResolveResult::Bound(ns) => ns.as_ref() == FA3_NAMESPACE.as_bytes(),
            ResolveResult::Unbound => false,
            ResolveResult::Unknown(prefix) => {
                sink.error(
                    FindingCode::XmlMalformed,
                    format!(
                        "unbound namespace prefix '{}'",
                        excerpt(prefix)
                    ),
                    At::offset(offset),
                );
                ok = false;
                false
            }
        };
        let local = e.local_name();
        let local = String::from_utf8_lossy(local.as_ref());
        if self.depth == 0 {
            if self.root_seen {
                sink.error(
                    FindingCode::XmlMalformed,
                    "more than one root element",
                    At::offset(offset),
                );
                ok = false;
            } else {
                self.root_seen = true;
                self.fa3_root = in_fa3 && local == "Faktura";
                if !self.fa3_root {
                    let ns = match resolved {
                        ResolveResult::Bound(ns) => {
                            excerpt(ns.as_ref())
                        }
                        _ => String::new(),
                    };
                    sink.error(
                        FindingCode::SchemaWrongRoot,
                        format!(
                            "root element is '{}' in namespace '{ns}'; expected 'Faktura' in '{FA3_NAMESPACE}'",
                            excerpt(local.as_bytes())
                        ),
                        At::offset(offset),
                    );
                }
            }
        }
        self.path_lens.push(self.path.len());
        self.path.push('/');
        if !in_fa3 {
            self.path.push_str("{}");
        }
        self.path.push_str(&local);
        self.depth += 1;
        self.text.clear();
        if self.fa3_root {
            self.capture.start(&self.path, offset);
        }
        if empty {
            self.end(offset);
        }
        ok
    }

    fn end(&mut self, offset: usize) {
        if self.fa3_root {
            self.capture.end(&self.path, &self.text, offset);
        }
        self.text.clear();
        if let Some(len) = self.path_lens.pop() {
            self.path.truncate(len);
        }
        self.depth = self.depth.saturating_sub(1);
    }

    fn attributes(
        &mut self,
        sink: &mut FindingSink<'_>,
        e: &BytesStart<'_>,
        offset: usize,
    ) -> bool {
        for attr in e.attributes() {
            match attr {
                Ok(a) => {
                    if memchr::memchr(b'<', &a.value).is_some() {
                        sink.error(
                            FindingCode::XmlMalformed,
                            "'<' is not allowed in an attribute value",
                            At::offset(offset),
                        );
                        return false;
                    }
                    refs::unescape_into(sink, &a.value, offset, self.ctx, None);
                }
                Err(err) => {
                    sink.error(
                        FindingCode::XmlMalformed,
                        format!("bad attribute syntax: {}", excerpt(err.to_string())),
                        At::offset(offset),
                    );
                    return false;
                }
            }
        }
        true
    }

    fn text(&mut self, sink: &mut FindingSink<'_>, raw: &[u8], offset: usize) -> bool {
        if memchr::memmem::find(raw, b"]]>").is_some() {
            sink.error(
                FindingCode::XmlMalformed,
                "']]>' is not allowed in text",
                At::offset(offset),
            );
            return false;
        }
        if self.depth == 0 {
            return self.outside_root(sink, raw, offset);
        }
        refs::unescape_into(sink, raw, offset, self.ctx, Some(&mut self.text));
        true
    }

    fn cdata(&mut self, sink: &mut FindingSink<'_>, raw: &[u8], offset: usize) -> bool {
        if self.depth == 0 {
            sink.error(
                FindingCode::XmlMalformed,
                "CDATA section outside the root element",
                At::offset(offset),
            );
            return false;
        }
        self.text.push_str(&String::from_utf8_lossy(raw));
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
        if d.version().is_err() {
            sink.error(
                FindingCode::XmlMalformed,
                "XML declaration without a valid version",
                At::offset(offset),
            );
            return false;
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
        if self.depth > 0 {
            sink.error(
                FindingCode::XmlMalformed,
                format!(
                    "document ends inside {} unclosed element(s), innermost at {}",
                    self.depth,
                    path_tail(&self.path)
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

/// The last few segments of a path, so a hostile million-deep nesting cannot blow up a message.
fn path_tail(path: &str) -> &str {
    const SHOWN_SEGMENTS_MAX: usize = 4;
    match path.rmatch_indices('/').nth(SHOWN_SEGMENTS_MAX - 1) {
        Some((i, _)) => &path[i..],
        None => path,
    }
}

fn offset_of(position: u64) -> usize {
    usize::try_from(position).unwrap_or(usize::MAX)
}
