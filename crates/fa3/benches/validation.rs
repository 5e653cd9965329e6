//! Validation throughput on the 26 official samples: XSD-only and full validation, on one thread
//! and on every core, against `xmllint --schema` (the same libxml2, one process for all files)
//! measured in the same run; plus how long hostile inputs take to be rejected.
//!
//! Run: `cargo bench -p fa3 --bench validation`. Prints figures; asserts nothing about time.

use std::fs;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use fa3::{Environment, SchemaSet, ValidationOptions, XsdStatus};
use xsd_common::{shared_ksef, write_xmllint_catalog};

/// The test helpers that locate the official material and write the xmllint catalog.
#[path = "../tests/xsd_common/mod.rs"]
mod xsd_common;

/// Passes over the sample set per in-process measurement.
const PASSES: usize = 100;
/// Passes over the sample set in the single xmllint invocation (one command line).
const XMLLINT_PASSES: usize = 40;

fn samples() -> Vec<(PathBuf, Vec<u8>)> {
    let dir = shared_ksef().join("samples/fa3-valid");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("samples directory")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "xml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let bytes = fs::read(&path).expect("sample");
            (path, bytes)
        })
        .collect()
}

/// Runs `check` over `PASSES` copies of the documents split across `threads`; returns invoices/s.
fn throughput(documents: &[Vec<u8>], threads: usize, check: &(dyn Fn(&[u8]) + Sync)) -> f64 {
    let total = documents.len() * PASSES;
    let started = Instant::now();
    thread::scope(|scope| {
        for worker in 0..threads {
            scope.spawn(move || {
                for index in (worker..total).step_by(threads) {
                    check(&documents[index % documents.len()]);
                }
            });
        }
    });
    total as f64 / started.elapsed().as_secs_f64()
}

fn xmllint_throughput(files: &[PathBuf], work: &Path) -> Option<f64> {
    let schemas = shared_ksef().join("schemas").canonicalize().ok()?;
    let catalog = write_xmllint_catalog(work).ok()?;
    let arguments: Vec<&PathBuf> = files
        .iter()
        .cycle()
        .take(files.len() * XMLLINT_PASSES)
        .collect();
    let started = Instant::now();
    let output = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(schemas.join(fa3::schemas::FA3_SCHEMA.path))
        .args(&arguments)
        .env("XML_CATALOG_FILES", &catalog)
        .output()
        .ok()?;
    let elapsed = started.elapsed();
    let validated = String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|l| l.ends_with(" validates"))
        .count();
    if validated != arguments.len() {
        eprintln!(
            "xmllint validated only {validated} of {} documents",
            arguments.len()
        );
        return None;
    }
    Some(arguments.len() as f64 / elapsed.as_secs_f64())
}

/// Best of three: the figure least disturbed by other work on a shared machine.
fn best_of_three(mut measure: impl FnMut() -> f64) -> f64 {
    (0..3).map(|_| measure()).fold(0.0, f64::max)
}

/// The 1-minute load average (Linux), printed so multi-thread figures can be judged: scaling
/// only means something when no other process competes for the cores.
fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

fn time_of(run: impl FnOnce()) -> Duration {
    let started = Instant::now();
    run();
    started.elapsed()
}

fn main() {
    let schema = SchemaSet::load(&shared_ksef().join("schemas")).expect("schema set");
    let samples = samples();
    let documents: Vec<Vec<u8>> = samples.iter().map(|(_, bytes)| bytes.clone()).collect();
    let options = ValidationOptions {
        env: Environment::Test,
        today: NaiveDate::from_ymd_opt(2026, 2, 20).expect("date"),
        schemas: Some(&schema),
    };
    // Benchmarks of a validator that silently skipped its XSD step would be worthless.
    for document in &documents {
        assert!(schema.validate(document).is_empty());
        assert_eq!(fa3::validate(document, &options).xsd, XsdStatus::Validated);
    }
    let cores = thread::available_parallelism().map_or(1, NonZeroUsize::get);
    let xsd_only = |document: &[u8]| {
        std::hint::black_box(schema.validate(document));
    };
    let full = |document: &[u8]| {
        std::hint::black_box(fa3::validate(document, &options));
    };

    println!(
        "validation throughput, {} samples x {PASSES} passes, {cores} core(s), best of 3, load average {}",
        documents.len(),
        load_average()
    );
    let xsd_1 = best_of_three(|| throughput(&documents, 1, &xsd_only));
    let xsd_n = best_of_three(|| throughput(&documents, cores, &xsd_only));
    let full_1 = best_of_three(|| throughput(&documents, 1, &full));
    let full_n = best_of_three(|| throughput(&documents, cores, &full));
    println!("  (a) XSD only, in-process  1 thread : {xsd_1:>9.0} invoices/s");
    println!("  (a) XSD only, in-process {cores} threads: {xsd_n:>9.0} invoices/s");
    println!("  (b) full validate()       1 thread : {full_1:>9.0} invoices/s");
    println!("  (b) full validate()      {cores} threads: {full_n:>9.0} invoices/s");

    let work = tempfile::tempdir().expect("tempdir");
    let paths: Vec<PathBuf> = samples.iter().map(|(path, _)| path.clone()).collect();
    match best_of_three_option(|| xmllint_throughput(&paths, work.path())) {
        Some(baseline) => {
            println!(
                "  (c) xmllint --schema, one process  : {baseline:>9.0} invoices/s (baseline)"
            );
            println!(
                "  ratio full/baseline per core       : {:>9.2}",
                full_1 / baseline
            );
            println!(
                "  ratio XSD-only/baseline per core   : {:>9.2}",
                xsd_1 / baseline
            );
        }
        None => println!("  (c) xmllint baseline unavailable (is libxml2-utils installed?)"),
    }
    println!(
        "  ratio full/XSD-only per core        : {:>9.2}",
        full_1 / xsd_1
    );
    println!(
        "  scaling {cores} cores / 1 core, XSD only : {:>9.2}",
        xsd_n / xsd_1
    );
    println!(
        "  scaling {cores} cores / 1 core, full     : {:>9.2}",
        full_n / full_1
    );

    println!("time to reject hostile input (full validate() / XSD layer alone)");
    let huge = vec![b'<'; 100 * 1_000_000];
    let bomb = entity_bomb();
    let xxe = xxe();
    for (name, input) in [
        ("100 MB input", &huge),
        ("entity bomb", &bomb),
        ("XXE", &xxe),
    ] {
        let mut full_report = None;
        let full_time = time_of(|| full_report = Some(fa3::validate(input, &options)));
        let mut violations = Vec::new();
        let xsd_time = time_of(|| violations = schema.validate(input));
        let rejected =
            full_report.is_some_and(|report| !report.is_valid()) && !violations.is_empty();
        println!(
            "  {name:<13}: {:>10.3} ms / {:>10.3} ms{}",
            full_time.as_secs_f64() * 1e3,
            xsd_time.as_secs_f64() * 1e3,
            if rejected { "" } else { "  (NOT REJECTED!)" }
        );
    }
}

fn best_of_three_option(mut measure: impl FnMut() -> Option<f64>) -> Option<f64> {
    (0..3)
        .map(|_| measure())
        .collect::<Option<Vec<f64>>>()
        .map(|all| all.into_iter().fold(0.0, f64::max))
}

/// Billion laughs: ten levels of ten-fold expansion.
fn entity_bomb() -> Vec<u8> {
    let mut doctype =
        String::from("<?xml version=\"1.0\"?><!DOCTYPE Faktura [<!ENTITY a0 \"lol\">");
    for level in 1..=10 {
        doctype.push_str(&format!(
            "<!ENTITY a{level} \"{}\">",
            format!("&a{};", level - 1).repeat(10)
        ));
    }
    format!(
        "{doctype}]><Faktura xmlns=\"http://crd.gov.pl/wzor/2025/06/25/13775/\">&a10;</Faktura>"
    )
    .into_bytes()
}

/// An external entity pointing at a local file.
fn xxe() -> Vec<u8> {
    b"<?xml version=\"1.0\"?><!DOCTYPE Faktura [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\
      <Faktura xmlns=\"http://crd.gov.pl/wzor/2025/06/25/13775/\">&x;</Faktura>"
        .to_vec()
}
