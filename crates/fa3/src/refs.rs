//! Entity and character references in text and attribute values: checked, then unescaped.
//!
//! Only the five predefined entities and character references exist for us. Nothing from a DTD
//! is ever expanded, so XXE and entity bombs have nothing to work with.

use crate::chars::{self, CharClass};
use crate::code::FindingCode;
use crate::sink::{excerpt, At, FindingSink};

/// Everything a reference check needs to know about the surrounding document.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RefContext {
    /// A DOCTYPE was seen (and reported): references to its entities are part of that finding,
    /// not separate well-formedness errors.
    pub doctype_seen: bool,
}

/// Checks every reference in `raw` (escaped text starting at input offset `base`) and, when
/// `out` is given, appends the unescaped text to it. Returns false when a reference made the
/// text not well-formed (bad characters are findings of their own but do not break the syntax).
pub(crate) fn unescape_into(
    sink: &mut FindingSink<'_>,
    raw: &[u8],
    base: usize,
    ctx: RefContext,
    mut out: Option<&mut String>,
) -> bool {
    // Most text is a few bytes of whitespace; a plain scan beats memchr's setup there.
    if out.is_none() && !raw.contains(&b'&') {
        return true;
    }
    let mut well_formed = true;
    let mut rest_start = 0;
    while let Some(rel) = memchr::memchr(b'&', &raw[rest_start..]) {
        let amp = rest_start + rel;
        if let Some(out) = out.as_deref_mut() {
            push_text(out, &raw[rest_start..amp]);
        }
        let after = &raw[amp + 1..];
        let Some(semi) = memchr::memchr(b';', after) else {
            malformed(
                sink,
                "'&' not followed by a terminated reference",
                base + amp,
            );
            return false;
        };
        let name = &after[..semi];
        rest_start = amp + 1 + semi + 1;
        match resolve(name) {
            Resolved::Char(c) => {
                if let Some(out) = out.as_deref_mut() {
                    out.push(c);
                }
            }
            Resolved::CodePoint(cp) => {
                let class = chars::classify(cp);
                if class == CharClass::Allowed {
                    // Allowed code points that are not Unicode scalars do not exist (surrogates
                    // classify as illegal), so this branch always pushes.
                    if let (Some(out), Some(c)) = (out.as_deref_mut(), char::from_u32(cp)) {
                        out.push(c);
                    }
                } else {
                    chars::report(sink, cp, class, "in a character reference", base + amp);
                }
            }
            Resolved::Undefined if ctx.doctype_seen => {}
            Resolved::Undefined => {
                let message = format!("reference to undefined entity '{}'", excerpt(name));
                malformed(sink, &message, base + amp);
                well_formed = false;
            }
            Resolved::Bad => {
                malformed(sink, "malformed entity or character reference", base + amp);
                well_formed = false;
            }
        }
    }
    if let Some(out) = out {
        push_text(out, &raw[rest_start..]);
    }
    well_formed
}

/// Appends text; invalid UTF-8 (already reported by the character scan) becomes U+FFFD.
fn push_text(out: &mut String, raw: &[u8]) {
    match std::str::from_utf8(raw) {
        Ok(text) => out.push_str(text),
        Err(_) => out.push_str(&String::from_utf8_lossy(raw)),
    }
}

enum Resolved {
    Char(char),
    CodePoint(u32),
    Undefined,
    Bad,
}

fn resolve(name: &[u8]) -> Resolved {
    match name {
        b"lt" => Resolved::Char('<'),
        b"gt" => Resolved::Char('>'),
        b"amp" => Resolved::Char('&'),
        b"apos" => Resolved::Char('\''),
        b"quot" => Resolved::Char('"'),
        [b'#', b'x', hex @ ..] => parse_code_point(hex, 16),
        [b'#', dec @ ..] => parse_code_point(dec, 10),
        _ if chars::is_name(name) => Resolved::Undefined,
        _ => Resolved::Bad,
    }
}

fn parse_code_point(digits: &[u8], radix: u32) -> Resolved {
    if digits.is_empty() {
        return Resolved::Bad;
    }
    let mut cp: u32 = 0;
    for &d in digits {
        let Some(v) = char::from(d).to_digit(radix) else {
            return Resolved::Bad;
        };
        // Saturating: anything beyond U+10FFFF is illegal however large it is.
        cp = cp.saturating_mul(radix).saturating_add(v);
    }
    Resolved::CodePoint(cp)
}

fn malformed(sink: &mut FindingSink<'_>, message: &str, offset: usize) {
    sink.error(FindingCode::XmlMalformed, message, At::offset(offset));
}
