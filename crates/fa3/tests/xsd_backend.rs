//! The libxml2 XSD backend on the official schema and samples: verdicts, locations, threads.

mod xsd_common;

use fa3::xsd::{SchemaLoadError, SchemaSet, XsdViolation};
use xsd_common::{sample_text, shared_schemas, valid_samples};

fn schema() -> SchemaSet {
    SchemaSet::load(&shared_schemas()).expect("the official schema set compiles")
}

/// 1-based line of the first line containing `needle`, found independently of libxml2.
fn line_of(text: &str, needle: &str) -> u32 {
    let index = text
        .lines()
        .position(|line| line.contains(needle))
        .expect("needle present");
    u32::try_from(index + 1).expect("small")
}

/// Sample 1 with its first `from` replaced by `to`: (the edited text, its one XSD violation).
fn sole_violation_of_edit(from: &str, to: &str) -> (String, XsdViolation) {
    let mutated = sample_text("FA_3_Przyklad_1.xml").replacen(from, to, 1);
    let mut violations = schema().validate(mutated.as_bytes());
    assert_eq!(violations.len(), 1, "{violations:?}");
    (mutated, violations.remove(0))
}

/// Asserts the violation's message mentions `needle`.
fn assert_mentions(violation: &XsdViolation, needle: &str) {
    assert!(
        violation.message.contains(needle),
        "no {needle} in: {}",
        violation.message
    );
}

#[test]
fn every_official_sample_is_schema_valid() {
    let schema = schema();
    let samples = valid_samples();
    assert_eq!(samples.len(), 26, "the official sample set has 26 invoices");
    for (name, bytes) in samples {
        assert_eq!(
            schema.validate(&bytes),
            Vec::<XsdViolation>::new(),
            "{name}"
        );
    }
}

#[test]
fn too_long_p2_is_reported_with_its_line_and_path() {
    let long = format!("<P_2>{}</P_2>", "F".repeat(257));
    let (mutated, violation) = sole_violation_of_edit("<P_2>FV2026/02/150</P_2>", &long);
    assert_eq!(violation.path.as_deref(), Some("/Faktura/Fa/P_2"));
    assert_eq!(violation.line, Some(line_of(&mutated, "<P_2>")));
    assert_mentions(&violation, "maxLength");
    assert!(
        !violation.message.contains('{'),
        "namespaces stripped: {}",
        violation.message
    );
}

#[test]
fn repeated_elements_get_their_position_in_the_path() {
    // The second row's NrWierszaFa is the first occurrence of this exact text.
    let (mutated, violation) = sole_violation_of_edit(
        "<NrWierszaFa>2</NrWierszaFa>",
        "<NrWierszaFa>x</NrWierszaFa>",
    );
    assert_eq!(
        violation.path.as_deref(),
        Some("/Faktura/Fa/FaWiersz[2]/NrWierszaFa")
    );
    assert_eq!(violation.line, Some(line_of(&mutated, "<NrWierszaFa>x<")));
}

#[test]
fn attribute_violations_point_at_their_element() {
    let (_, violation) =
        sole_violation_of_edit("kodSystemowy=\"FA (3)\"", "kodSystemowy=\"FA(3)\"");
    let path = violation.path.as_deref().expect("path");
    assert!(
        path.starts_with("/Faktura/Naglowek/KodFormularza"),
        "{path}"
    );
    assert_mentions(&violation, "kodSystemowy");
}

#[test]
fn every_violation_is_reported_not_just_the_first() {
    let text = sample_text("FA_3_Przyklad_1.xml");
    let mutated = text
        .replacen("<P_13_1>1666.66</P_13_1>", "<P_13_1>1666.666</P_13_1>", 1)
        .replacen("<NIP>1111111111</NIP>", "<NIP>11</NIP>", 1);
    let mut paths: Vec<Option<String>> = schema()
        .validate(mutated.as_bytes())
        .into_iter()
        .map(|v| v.path)
        .collect();
    // libxml2 reports a facet failure and then the type failure for the same element.
    paths.dedup();
    assert_eq!(
        paths,
        vec![
            Some("/Faktura/Podmiot2/DaneIdentyfikacyjne/NIP".to_owned()),
            Some("/Faktura/Fa/P_13_1".to_owned())
        ]
    );
}

#[test]
fn malformed_documents_are_violations_with_a_position_not_panics() {
    let schema = schema();
    for (input, line) in [
        (&b"<Faktura><Naglowek></Faktura>"[..], Some(1)),
        (b"\n\n<a>", Some(3)),
        (b"", None),
        (b"\xff\xfe\x00garbage", None),
    ] {
        let violations = schema.validate(input);
        assert!(!violations.is_empty(), "{input:?}");
        if line.is_some() {
            assert_eq!(violations[0].line, line, "{input:?}: {violations:?}");
        }
    }
}

#[test]
fn a_doctype_is_rejected_even_without_entities() {
    let (_, violation) = sole_violation_of_edit("<Faktura ", "<!DOCTYPE Faktura><Faktura ");
    assert_mentions(&violation, "DOCTYPE");
}

#[test]
fn oversized_documents_are_refused_unparsed() {
    let big = vec![b' '; fa3::xsd::DOCUMENT_BYTES_MAX + 1];
    let violations = schema().validate(&big);
    assert_eq!(violations.len(), 1);
    assert_mentions(&violations[0], "exceeds");
}

#[test]
fn violations_are_capped() {
    let text = sample_text("FA_3_Przyklad_1.xml");
    let junk = "<Nieznany/>".repeat(fa3::xsd::VIOLATIONS_MAX * 2);
    let mutated = text.replacen("</Faktura>", &format!("{junk}</Faktura>"), 1);
    let violations = schema().validate(mutated.as_bytes());
    assert!(!violations.is_empty());
    assert!(
        violations.len() <= fa3::xsd::VIOLATIONS_MAX,
        "{}",
        violations.len()
    );
}

#[test]
fn a_missing_schema_directory_is_a_typed_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    match SchemaSet::load(dir.path()) {
        Err(error @ SchemaLoadError::Missing(_)) => assert_eq!(error.code(), "xsd.schema_missing"),
        other => panic!("expected Missing, got {other:?}"),
    }
}

#[test]
fn one_schema_set_serves_many_threads_with_identical_verdicts() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SchemaSet>();

    let schema = schema();
    let text = sample_text("FA_3_Przyklad_1.xml");
    let invalid = text.replacen("<P_12>23</P_12>", "<P_12>24</P_12>", 1);
    let documents: Vec<Vec<u8>> = valid_samples()
        .into_iter()
        .map(|(_, bytes)| bytes)
        .chain([invalid.into_bytes()])
        .collect();
    let expected: Vec<Vec<XsdViolation>> = documents.iter().map(|d| schema.validate(d)).collect();
    assert!(
        expected.last().is_some_and(|v| !v.is_empty()),
        "the mutated document is invalid"
    );
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    (0..10)
                        .map(|_| {
                            documents
                                .iter()
                                .map(|d| schema.validate(d))
                                .collect::<Vec<_>>()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for worker in workers {
            for round in worker.join().expect("worker finished") {
                assert_eq!(round, expected);
            }
        }
    });
}
