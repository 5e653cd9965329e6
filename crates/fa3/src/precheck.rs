//! Input checks that run before any XML parsing: emptiness, size cap, encoding, binary content.

use crate::code::FindingCode;
use crate::limits::INPUT_BYTES_MAX;
use crate::sink::{At, FindingSink};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Signatures of UTF-16/UTF-32 documents: BOMs, and `<?` / `<` encoded without one. UTF-32 comes
/// first because its little-endian BOM starts with UTF-16's.
const WIDE_ENCODINGS: &[(&[u8], &str)] = &[
    (b"\x00\x00\xFE\xFF", "UTF-32BE byte-order mark"),
    (b"\xFF\xFE\x00\x00", "UTF-32LE byte-order mark"),
    (b"\xFE\xFF", "UTF-16BE byte-order mark"),
    (b"\xFF\xFE", "UTF-16LE byte-order mark"),
    (b"\x00\x00\x00<", "UTF-32BE text"),
    (b"<\x00\x00\x00", "UTF-32LE text"),
    (b"\x00<\x00", "UTF-16BE text"),
    (b"<\x00", "UTF-16LE text"),
];

/// Magic numbers of binary formats people attach by mistake.
const BINARY_MAGIC: &[(&[u8], &str)] = &[
    (b"PK\x03\x04", "a ZIP archive"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xFF\xD8\xFF", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1F\x8B", "a gzip stream"),
    (b"7z\xBC\xAF\x27\x1C", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"\xD0\xCF\x11\xE0", "an OLE document (old Office format)"),
];

/// How many leading bytes the UTF-16 heuristic looks at.
const WIDE_SNIFF_BYTES_MAX: usize = 64;

/// Recognises UTF-16/UTF-32 by BOM or by the pattern of NUL bytes that ASCII text (markup,
/// indentation) leaves in them, so a BOM-less UTF-16 file is named as such rather than "binary".
fn wide_encoding(bytes: &[u8]) -> Option<&'static str> {
    if let Some((_, what)) = WIDE_ENCODINGS
        .iter()
        .find(|(sig, _)| bytes.starts_with(sig))
    {
        return Some(what);
    }
    let head = bytes.get(..WIDE_SNIFF_BYTES_MAX.min(bytes.len() & !1))?;
    if head.len() < 4 {
        return None;
    }
    let zero_at = |parity: usize| head.iter().skip(parity).step_by(2).all(|&b| b == 0);
    let none_at = |parity: usize| head.iter().skip(parity).step_by(2).all(|&b| b != 0);
    if zero_at(1) && none_at(0) {
        Some("UTF-16LE text")
    } else if zero_at(0) && none_at(1) {
        Some("UTF-16BE text")
    } else {
        None
    }
}

/// Runs the pre-parse checks. Returns the offset at which XML parsing should start (after a
/// reported UTF-8 BOM), or `None` when the input cannot be parsed at all.
pub(crate) fn precheck(sink: &mut FindingSink<'_>, bytes: &[u8]) -> Option<usize> {
    if bytes.len() > INPUT_BYTES_MAX {
        sink.error(
            FindingCode::InputTooLarge,
            format!(
                "input is {} bytes; anything above {INPUT_BYTES_MAX} bytes is refused unparsed",
                bytes.len()
            ),
            At::default(),
        );
        return None;
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        sink.error(FindingCode::InputEmpty, "input is empty", At::default());
        return None;
    }
    if let Some(what) = wide_encoding(bytes) {
        sink.error(
            FindingCode::XmlNotUtf8Encoding,
            format!("document starts with a {what}; KSeF requires UTF-8"),
            At::offset(0),
        );
        return None;
    }
    if let Some((_, what)) = BINARY_MAGIC.iter().find(|(sig, _)| bytes.starts_with(sig)) {
        sink.error(
            FindingCode::InputBinary,
            format!("input is {what}, not XML"),
            At::default(),
        );
        return None;
    }
    if let Some(at) = memchr::memchr(0, bytes) {
        sink.error(
            FindingCode::InputBinary,
            format!("input contains a NUL byte at offset {at}; it is binary, not XML text"),
            At::offset(at),
        );
        return None;
    }
    if bytes.starts_with(UTF8_BOM) {
        sink.error(
            FindingCode::XmlBom,
            "document starts with a UTF-8 byte-order mark; KSeF requires UTF-8 without BOM",
            At::offset(0),
        );
        return Some(UTF8_BOM.len());
    }
    Some(0)
}
