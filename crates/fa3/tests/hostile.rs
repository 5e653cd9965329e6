//! Hostile inputs: each gets the right code quickly, never a panic, never an expansion.

mod common;

use common::{error_codes, run};
use fa3::FindingCode as C;

fn codes(bytes: &[u8]) -> Vec<&'static str> {
    error_codes(&run(bytes)).into_iter().collect()
}

#[test]
fn standalone_xxe_is_refused_on_sight() {
    let xml = br#"<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<r>&xxe;</r>"#;
    let report = run(xml);
    assert!(report.has(C::XmlDoctype), "{:#?}", report.findings);
    assert!(report.document.is_none(), "not FA(3), so no summary");
    assert!(report.findings.iter().all(|f| !f.message.contains("root:")));
}

#[test]
fn standalone_entity_bomb_is_refused_on_sight() {
    let xml = format!(
        "<?xml version=\"1.0\"?>\n{}\n<lolz>&lol9;</lolz>",
        common::entity_bomb_doctype("lolz")
    );
    let report = run(xml.as_bytes());
    assert!(report.has(C::XmlDoctype));
    // Had anything been expanded, a message or summary would carry a billion "lol"s.
    let total: usize = report.findings.iter().map(|f| f.message.len()).sum();
    assert!(total < 10_000, "messages stay small: {total} bytes");
}

#[test]
fn hundred_megabytes_of_open_tags_are_refused_unparsed() {
    let huge = "<a>".repeat(100_000_000 / 3).into_bytes();
    let report = run(&huge);
    assert_eq!(
        error_codes(&report).into_iter().collect::<Vec<_>>(),
        ["input.too_large"]
    );
    assert!(report.document.is_none());
}

#[test]
fn deep_nesting_just_under_the_cap_is_malformed_not_a_stack_overflow() {
    let deep = "<a>".repeat(fa3::limits::INPUT_BYTES_MAX / 3).into_bytes();
    let report = run(&deep);
    assert!(report.has(C::XmlMalformed), "unclosed elements");
    assert!(report.has(C::SchemaWrongRoot));
    assert!(
        report.findings.iter().all(|f| f.message.len() < 1_000),
        "messages stay small"
    );
}

#[test]
fn huge_element_name_yields_a_short_message() {
    let name = "x".repeat(1_000_000);
    let xml = format!("<{name}></{name}>");
    let report = run(xml.as_bytes());
    assert!(report.has(C::SchemaWrongRoot));
    assert!(report.findings.iter().all(|f| f.message.len() < 1_000));
}

#[test]
fn binary_inputs_are_recognised() {
    assert_eq!(
        codes(b"PK\x03\x04\x14\x00\x00\x00\x08\x00"),
        ["input.binary"]
    );
    assert_eq!(codes(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3"), ["input.binary"]);
    assert_eq!(codes(b"\x89PNG\r\n\x1a\n\x00\x00"), ["input.binary"]);
    assert_eq!(codes(b"<Faktura>\x00</Faktura>"), ["input.binary"]);
}

#[test]
fn seeded_random_bytes_never_panic_and_are_never_valid() {
    // xorshift64*: a fixed, dependency-free byte source so the test is deterministic.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..64 {
        let bytes: Vec<u8> = (0..4096)
            .map(|_| {
                state ^= state >> 12;
                state ^= state << 25;
                state ^= state >> 27;
                (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
            })
            .collect();
        let report = run(&bytes);
        assert!(!report.is_valid());
        assert!(report.document.is_none());
    }
}

#[test]
fn empty_and_blank_inputs_are_empty() {
    assert_eq!(codes(b""), ["input.empty"]);
    assert_eq!(codes(b" \r\n\t "), ["input.empty"]);
}

#[test]
fn text_without_markup_is_malformed() {
    assert_eq!(codes(b"hello, this is not XML"), ["xml.malformed"]);
}

#[test]
fn repeated_findings_are_capped_with_a_count_of_the_rest() {
    let cap = fa3::limits::FINDINGS_PER_CODE_MAX;
    let bad_chars = "\u{80}".repeat(cap + 50);
    let bytes = common::replace(&common::base_sample(), "ABC AGD", &bad_chars);
    let report = run(&bytes);
    let discouraged: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.code == C::XmlDiscouragedChar)
        .collect();
    assert_eq!(
        discouraged.len(),
        cap + 1,
        "the cap plus one summary finding"
    );
    let last = discouraged.last().expect("summary");
    assert!(last.message.starts_with("50 more"), "{}", last.message);
    // Positions are real: consecutive two-byte characters sit one column apart.
    assert_eq!(discouraged[0].line, discouraged[1].line);
    assert_eq!(
        discouraged[1]
            .column
            .zip(discouraged[0].column)
            .map(|(b, a)| b - a),
        Some(1)
    );
}
