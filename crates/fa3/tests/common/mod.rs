//! Shared test helpers: the official samples, default options and the `check` helper.

#![allow(dead_code)] // each test binary uses a different subset of these helpers

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::OnceLock;

use chrono::NaiveDate;
use fa3::{
    validate, Environment, FindingCode, SchemaSet, ValidationOptions, ValidationReport, XsdStatus,
};

/// `/work/shared/ksef`, resolved from this crate so tests run from any directory.
pub fn ksef_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/ksef")
}

/// A DOCTYPE for `root` declaring the "billion laughs" entities: `&lol9;` would expand to 10^9 "lol"s.
pub fn entity_bomb_doctype(root: &str) -> String {
    let mut dtd = format!("<!DOCTYPE {root} [<!ENTITY lol \"lol\">");
    for i in 1..=9 {
        let prev = if i == 1 {
            "lol".to_owned()
        } else {
            format!("lol{}", i - 1)
        };
        dtd.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">",
            format!("&{prev};").repeat(10)
        ));
    }
    dtd.push_str("]>");
    dtd
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

/// The schema set loaded once per test binary, when loadable.
pub fn shared_schemas() -> Option<&'static SchemaSet> {
    static SCHEMAS: OnceLock<Option<SchemaSet>> = OnceLock::new();
    SCHEMAS.get_or_init(schemas).as_ref()
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

/// The official sample `name` with its first `from` replaced by `to`, validated on the test
/// environment (with the XSD when loadable); asserts the edit causes no errors.
pub fn edited_sample(name: &str, from: &str, to: &str) -> ValidationReport {
    check_on(
        sample(name),
        |b| replace(&b, from, to),
        Environment::Test,
        today(),
        &[],
    )
}

/// Applies `mutate` to the base sample and asserts the error codes are exactly `expected`.
/// Uses the official XSD when it can be loaded, so a mutation that also broke the schema fails.
pub fn check(mutate: impl Fn(Vec<u8>) -> Vec<u8>, expected: &[FindingCode]) -> ValidationReport {
    check_on(base_sample(), mutate, Environment::Test, today(), expected)
}

/// Like [`check`], with every input chosen by the caller.
pub fn check_on(
    original: Vec<u8>,
    mutate: impl Fn(Vec<u8>) -> Vec<u8>,
    env: Environment,
    today: NaiveDate,
    expected: &[FindingCode],
) -> ValidationReport {
    let bytes = mutate(original);
    let options = ValidationOptions {
        env,
        today,
        schemas: shared_schemas(),
    };
    let report = validate(&bytes, &options);
    let want: BTreeSet<&str> = expected.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        error_codes(&report),
        want,
        "findings: {:#?}",
        report.findings
    );
    if report.is_valid() {
        // A clean verdict must say whether the XSD really ran.
        let ran = matches!(report.xsd, XsdStatus::Validated);
        assert_eq!(
            ran,
            shared_schemas().is_some(),
            "xsd status {:?}",
            report.xsd
        );
    }
    report
}
