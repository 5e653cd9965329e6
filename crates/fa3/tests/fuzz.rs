//! Property-based fuzzing of `validate` over mutated official samples. Seeded and bounded, so CI
//! runs the same 256 cases every time in a few seconds.

mod common;

use std::cell::Cell;

use fa3::{validate, Environment, FindingCode, ValidationOptions};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// Tokens that stress the XML pass: markup openers, references, CDATA ends, non-characters, BOMs.
const TOKENS: &[&str] = &[
    "<!DOCTYPE x [<!ENTITY e \"e\">]>",
    "&",
    "&e;",
    "&#x0;",
    "&#x85;",
    "&#x1FFFE;",
    "<?",
    "<?pi x?>",
    "]]>",
    "<![CDATA[",
    "\u{FFFE}",
    "\u{FEFF}",
    "\u{9F}",
    "<",
    ">",
    "</",
    "\"",
    "<!--",
    "xmlns:p=\"u\"",
    "<p:x/>",
];

#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, mask: u8 },
    Truncate { at: usize },
    Insert { at: usize, token: usize },
    Delete { at: usize, len: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(at, token)| Mutation::Insert { at, token }),
        (any::<usize>(), 1..64usize).prop_map(|(at, len)| Mutation::Delete { at, len }),
    ]
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len().max(1);
        match *m {
            Mutation::Flip { at, mask } => {
                if let Some(b) = bytes.get_mut(at % len) {
                    *b ^= mask;
                }
            }
            Mutation::Truncate { at } => bytes.truncate(at % len),
            Mutation::Insert { at, token } => {
                let at = at % len;
                let at = at.min(bytes.len());
                bytes.splice(at..at, TOKENS[token].bytes());
            }
            Mutation::Delete { at, len: n } => {
                let at = (at % len).min(bytes.len());
                let end = (at + n).min(bytes.len());
                bytes.drain(at..end);
            }
        }
    }
    bytes
}

#[test]
fn mutated_samples_never_break_the_report_invariants() {
    let samples = common::samples();
    let schemas = common::shared_schemas();
    // 256 cases by default; PROPTEST_CASES=100000 for a deeper local run, same seed.
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let (valid, invalid) = (Cell::new(0u32), Cell::new(0u32));
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let strategy = (0..samples.len(), prop::collection::vec(mutation(), 1..4));
    let result = runner.run(&strategy, |(index, mutations)| {
        let bytes = apply(samples[index].1.clone(), &mutations);
        let options = ValidationOptions {
            env: Environment::Production,
            today: common::today(),
            schemas,
        };
        let report = validate(&bytes, &options);

        for f in &report.findings {
            prop_assert!(FindingCode::ALL.contains(&f.code));
            prop_assert_eq!(FindingCode::parse(f.code.as_str()), Some(f.code));
        }
        let has_error = report.findings.iter().any(|f| f.is_error());
        prop_assert_eq!(report.is_valid(), !has_error);
        if report.is_valid() {
            prop_assert!(
                report.document.is_some(),
                "a valid verdict comes with a summary"
            );
            prop_assert!(report.key.is_some(), "a valid verdict comes with a key");
        }
        // A summary exists only for well-formed FA(3); it never accompanies a syntax error.
        if report.has(FindingCode::XmlMalformed) || report.has(FindingCode::SchemaWrongRoot) {
            prop_assert!(report.document.is_none());
        }
        if let Some(doc) = &report.document {
            prop_assert_eq!(doc.size_bytes, bytes.len());
        }
        let counter = if report.is_valid() { &valid } else { &invalid };
        counter.set(counter.get() + 1);
        // Same bytes, same verdict: nothing depends on hidden state.
        prop_assert_eq!(validate(&bytes, &options), report);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // The run is only meaningful if it exercised both verdicts.
    assert!(
        valid.get() > 0 && invalid.get() > 0,
        "valid {valid:?}, invalid {invalid:?}"
    );
    assert_eq!(valid.get() + invalid.get(), cases);
}
