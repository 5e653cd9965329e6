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

/// A loose XML `Name` check (ASCII rules; any non-ASCII byte is accepted, as most of Unicode is
/// allowed in names): enough to tell a name from garbage such as `1a` or `& x;`.
pub(crate) fn is_name(name: &[u8]) -> bool {
    match name.split_first() {
        Some((&first, rest)) => {
            (first.is_ascii_alphabetic() || first == b'_' || first == b':' || first >= 0x80)
                && rest.iter().all(|&b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'-' | b'.') || b >= 0x80
                })
        }
        None => false,
    }
}

/// A namespace-qualified name: a [`is_name`] with at most one colon, not at either end.
pub(crate) fn is_qname(name: &[u8]) -> bool {
    let mut parts = name.splitn(2, |&b| b == b':');
    let first = parts.next().unwrap_or_default();
    let valid_part = |part: &[u8]| !part.contains(&b':') && is_name(part);
    valid_part(first) && parts.next().is_none_or(valid_part)
}

/// Bytes after which a closer look is needed: ASCII controls (other than tab, LF, CR) and DEL,
/// plus the lead bytes of every encoded problem: `C2` (U+0080–U+009F), `ED` (surrogates, never
/// valid UTF-8 anyway), `EF` (U+FDD0–U+FDEF, U+FFFE, U+FFFF) and `F0`–`F4` (planes 1–16).
/// Everything else (printable ASCII, most letters) is skipped with one table lookup.
const NEEDS_LOOK: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = !matches!(b, 0x09 | 0x0A | 0x0D);
        b += 1;
    }
    table[0x7F] = true;
    table[0xC2] = true;
    table[0xEF] = true;
    let mut lead = 0xF0;
    while lead <= 0xF4 {
        table[lead] = true;
        lead += 1;
    }
    table
};

/// Checks every literal character of the document and every invalid UTF-8 sequence.
///
/// `base` is the offset of `bytes` in the whole input (after a skipped BOM). Returns whether the
/// bytes were valid UTF-8.
pub(crate) fn scan_literal_chars(sink: &mut FindingSink<'_>, bytes: &[u8], base: usize) -> bool {
    // The common case, valid UTF-8, takes the fast validator and one table-driven pass.
    if let Ok(text) = std::str::from_utf8(bytes) {
        scan_str(sink, text, base);
        return true;
    }
    let mut offset = base;
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid();
        scan_str(sink, valid, offset);
        offset += valid.len();
        let invalid = chunk.invalid();
        if !invalid.is_empty() {
            sink.error(
                FindingCode::XmlInvalidUtf8,
                format!("invalid UTF-8 sequence at byte offset {offset}"),
                At::offset(offset),
            );
            offset += invalid.len();
        }
    }
    false
}

fn scan_str(sink: &mut FindingSink<'_>, s: &str, base: usize) {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // Eight bytes at a time: skip a word with nothing to look at.
        if let Some(word) = bytes.get(i..i + 8) {
            let mut eight = [0u8; 8];
            eight.copy_from_slice(word);
            if all_plain_ascii(u64::from_le_bytes(eight)) {
                i += 8;
                continue;
            }
        }
        let end = (i + 8).min(bytes.len());
        while i < end {
            if !NEEDS_LOOK[usize::from(bytes[i])] {
                i += 1;
                continue;
            }
            // `i` is a char boundary: every flagged byte is ASCII or a lead byte.
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
}

/// Whether every byte of `word` is printable ASCII (0x20..=0x7E) or tab, LF, CR: the bytes
/// that need no closer look. Exact per byte (SWAR without cross-byte carries).
fn all_plain_ascii(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const LOWS: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    // High bit set in each byte equal to zero.
    let zero_bytes = |y: u64| !(((y & LOWS) + LOWS) | y) & HIGHS;
    let non_ascii = word & HIGHS;
    let below_space = !(((word & LOWS) + 0x60 * ONES) | word) & HIGHS;
    let del = ((word & LOWS) + ONES) & !word & HIGHS;
    let allowed_controls = zero_bytes(word ^ (0x09 * ONES))
        | zero_bytes(word ^ (0x0A * ONES))
        | zero_bytes(word ^ (0x0D * ONES));
    non_ascii | del | (below_space & !allowed_controls) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swar_word_check_agrees_with_a_byte_loop() {
        for b in 0..=255u8 {
            for pos in [0, 3, 7] {
                let mut bytes = *b"abcdefgh";
                bytes[pos] = b;
                let word = u64::from_le_bytes(bytes);
                let plain = (0x20..=0x7E).contains(&b) || matches!(b, b'\t' | b'\n' | b'\r');
                assert_eq!(all_plain_ascii(word), plain, "byte {b:#04x} at {pos}");
            }
        }
    }

    #[test]
    fn names_and_qualified_names() {
        for good in ["Faktura", "P_13_1", "tns:Faktura", "_x", "a-b.c", "Łódź"] {
            assert!(is_qname(good.as_bytes()), "{good}");
        }
        for bad in ["", "1a", "-a", "a b", ":a", "a:", "a:b:c", "a<b", "p:1x"] {
            assert!(!is_qname(bad.as_bytes()), "{bad}");
        }
    }

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
