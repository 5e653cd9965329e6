//! Shared test helpers: the official samples, default options and the `check` helper.

#![allow(dead_code)] // each test binary uses a different subset of these helpers

use std::collections::BTreeSet;
use std::path::PathBuf;

use chrono::NaiveDate;
use fa3::{validate, Environment, FindingCode, SchemaSet, ValidationOptions, ValidationReport};

/// `/work/shared/ksef`, resolved from this crate so tests run from any directory.
pub fn ksef_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/ksef")
}

/// Every official FA(3) sample, sorted by name, with its bytes.
pub fn samples() -> Vec<(String, Vec<u8>)> {
    let dir = ksef_dir().join("samples/fa3-valid");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("samples at {}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.expect("dir entry").path();
            let name = path
                .file_name()
                .expect("file name")
                .to_string_lossy()
                .into_owned();
            let bytes = std::fs::read(&path).expect("read sample");
            (name, bytes)
        })
        .filter(|(name, _)| name.ends_with(".xml"))
        .collect();
    out.sort();
    out
}

/// The first official sample (a plain VAT invoice), used as the base of mutations.
pub fn base_sample() -> Vec<u8> {
    sample("FA_3_Przyklad_1.xml")
}

/// One official sample by file name.
pub fn sample(name: &str) -> Vec<u8> {
    std::fs::read(ksef_dir().join("samples/fa3-valid").join(name)).expect("read sample")
}

/// The schema set, when the XSD backend can load it.
pub fn schemas() -> Option<SchemaSet> {
    SchemaSet::load(&ksef_dir().join("schemas")).ok()
}

/// A fixed "today" after every sample's issue date.
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 31).expect("date")
}

/// Options for `env` with the fixed today and no schemas.
pub fn opts(env: Environment) -> ValidationOptions<'static> {
    ValidationOptions {
        env,
        today: today(),
        schemas: None,
    }
}

/// Validates on the test environment, without schemas.
pub fn run(bytes: &[u8]) -> ValidationReport {
    validate(bytes, &opts(Environment::Test))
}

/// The set of error-severity codes in a report.
pub fn error_codes(report: &ValidationReport) -> BTreeSet<&'static str> {
    report
        .findings
        .iter()
        .filter(|f| f.is_error())
        .map(|f| f.code.as_str())
        .collect()
}

/// Replaces the first occurrence of `from` with `to`; panics when the sample lacks `from`,
/// so a mutation can never silently do nothing.
pub fn replace(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    let text = std::str::from_utf8(bytes).expect("samples are UTF-8");
    assert!(
        text.contains(from),
        "mutation anchor {from:?} not in sample"
    );
    text.replacen(from, to, 1).into_bytes()
}

/// Applies `mutate` to the base sample and asserts the error codes are exactly `expected`.
pub fn check(mutate: impl Fn(Vec<u8>) -> Vec<u8>, expected: &[FindingCode]) -> ValidationReport {
    check_with(mutate, Environment::Test, expected)
}

/// Like [`check`] on a chosen environment.
pub fn check_with(
    mutate: impl Fn(Vec<u8>) -> Vec<u8>,
    env: Environment,
    expected: &[FindingCode],
) -> ValidationReport {
    let bytes = mutate(base_sample());
    let report = validate(&bytes, &opts(env));
    let want: BTreeSet<&str> = expected.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        error_codes(&report),
        want,
        "findings: {:#?}",
        report.findings
    );
    report
}
