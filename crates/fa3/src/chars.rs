//! Character rules: XML 1.0's `Char` production and KSeF's discouraged code points (§8).

use crate::code::FindingCode;
use crate::sink::{At, FindingSink};

/// What a code point means for an FA(3) document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CharClass {
    Allowed,
    /// Not an XML 1.0 `Char` at all (control characters, U+FFFE, U+FFFF, surrogates, NUL).
    Illegal,
    /// Legal XML but refused by KSeF: #x7F–#x84, #x86–#x9F, #xFDD0–#xFDEF and the last two code
    /// points of planes 1–16. U+0085 (NEL) is deliberately not in the list.
    Discouraged,
}

/// Classifies one code point (given as `u32` so char references beyond Unicode can be judged).
pub(crate) fn classify(cp: u32) -> CharClass {
    match cp {
        0x9 | 0xA | 0xD => CharClass::Allowed,
        0x0..=0x1F => CharClass::Illegal,
        0x7F..=0x84 | 0x86..=0x9F | 0xFDD0..=0xFDEF => CharClass::Discouraged,
        0xD800..=0xDFFF | 0xFFFE | 0xFFFF => CharClass::Illegal,
        0x1_0000..=0x10_FFFF if cp & 0xFFFE == 0xFFFE => CharClass::Discouraged,
        0x11_0000.. => CharClass::Illegal,
        _ => CharClass::Allowed,
    }
}

/// Reports a code point of class `class` at `offset` (no-op for allowed ones).
pub(crate) fn report(
    sink: &mut FindingSink<'_>,
    cp: u32,
    class: CharClass,
    how: &str,
    offset: usize,
) {
    match class {
        CharClass::Allowed => {}
        CharClass::Illegal => sink.error(
            FindingCode::XmlIllegalChar,
            format!("character U+{cp:04X} {how} is not allowed in XML 1.0"),
            At::offset(offset),
        ),
        CharClass::Discouraged => sink.error(
            FindingCode::XmlDiscouragedChar,
            format!("character U+{cp:04X} {how} is a discouraged code point KSeF refuses"),
            At::offset(offset),
        ),
    }
}

/// Checks every literal character of the document and every invalid UTF-8 sequence.
///
/// `base` is the offset of `bytes` in the whole input (after a skipped BOM). Returns whether the
/// bytes were valid UTF-8.
pub(crate) fn scan_literal_chars(sink: &mut FindingSink<'_>, bytes: &[u8], base: usize) -> bool {
    let mut valid_utf8 = true;
    let mut offset = base;
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid();
        scan_str(sink, valid, offset);
        offset += valid.len();
        let invalid = chunk.invalid();
        if !invalid.is_empty() {
            valid_utf8 = false;
            sink.error(
                FindingCode::XmlInvalidUtf8,
                format!("invalid UTF-8 sequence at byte offset {offset}"),
                At::offset(offset),
            );
            offset += invalid.len();
        }
    }
    valid_utf8
}

fn scan_str(sink: &mut FindingSink<'_>, s: &str, base: usize) {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // Fast path: plain printable ASCII and the three whitespace controls.
        let b = bytes[i];
        if b < 0x80 {
            if (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7F {
                report(
                    sink,
                    u32::from(b),
                    classify(u32::from(b)),
                    "literal",
                    base + i,
                );
            }
            i += 1;
            continue;
        }
        // A multi-byte character: `s` is valid UTF-8, so decoding from a char boundary works.
        match s.get(i..).and_then(|rest| rest.chars().next()) {
            Some(c) => {
                let cp = u32::from(c);
                report(sink, cp, classify(cp), "literal", base + i);
                i += c.len_utf8();
            }
            None => i += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_the_boundaries_of_every_range() {
        use CharClass::*;
        let cases = [
            (0x9, Allowed),
            (0x8, Illegal),
            (0x1F, Illegal),
            (0x20, Allowed),
            (0x7E, Allowed),
            (0x7F, Discouraged),
            (0x84, Discouraged),
            (0x85, Allowed),
            (0x86, Discouraged),
            (0x9F, Discouraged),
            (0xA0, Allowed),
            (0xD7FF, Allowed),
            (0xD800, Illegal),
            (0xFDCF, Allowed),
            (0xFDD0, Discouraged),
            (0xFDEF, Discouraged),
            (0xFDF0, Allowed),
            (0xFFFD, Allowed),
            (0xFFFE, Illegal),
            (0x1FFFD, Allowed),
            (0x1FFFE, Discouraged),
            (0x10FFFF, Discouraged),
            (0x110000, Illegal),
        ];
        for (cp, want) in cases {
            assert_eq!(classify(cp), want, "U+{cp:04X}");
        }
    }
}
