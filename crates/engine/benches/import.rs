//! Import throughput: N generated FA(3) invoices (default 100 000, `ENGINE_BENCH_INVOICES`
//! overrides) imported from a folder, against baselines measured in the same run: reading and
//! hashing the files (the I/O floor) and validating them with fa3 (the validation floor).
//!
//! Prints figures only; it asserts nothing about time.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use chrono::NaiveDate;
use engine::clock::ManualClock;
use engine::fa3_validator::Fa3Validator;
use engine::import::Importer;
use engine::rng::seeded;
use engine::store::{NewCompany, Store};
use engine::validation::InvoiceValidator;
use sha2::{Digest, Sha256};

/// Invoices generated when `ENGINE_BENCH_INVOICES` is not set.
const INVOICES_DEFAULT: usize = 100_000;

fn ksef_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/ksef")
}

/// Writes `count` copies of the first official sample, each with its own invoice number.
fn generate(dir: &Path, count: usize) -> Vec<PathBuf> {
    let sample = std::fs::read_to_string(ksef_dir().join("samples/fa3-valid/FA_3_Przyklad_1.xml"))
        .expect("official sample 1");
    let start = sample.find("<P_2>").expect("sample has P_2") + "<P_2>".len();
    let end = start + sample[start..].find("</P_2>").expect("P_2 closes");
    (0..count)
        .map(|i| {
            let xml = format!("{}BENCH/{i:07}{}", &sample[..start], &sample[end..]);
            let path = dir.join(format!("{:03}/{i:07}.xml", i / 1_000));
            std::fs::create_dir_all(path.parent().expect("has parent")).expect("mkdir");
            std::fs::write(&path, xml).expect("write invoice");
            path
        })
        .collect()
}

fn rate(count: usize, seconds: f64) -> f64 {
    count as f64 / seconds
}

fn main() {
    let count = std::env::var("ENGINE_BENCH_INVOICES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(INVOICES_DEFAULT);
    let input = tempfile::tempdir().expect("temp dir");
    let paths = generate(input.path(), count);
    let today = NaiveDate::from_ymd_opt(2026, 12, 31).expect("date");
    let schemas = fa3::SchemaSet::load(&ksef_dir().join("schemas")).ok();
    let validator = Fa3Validator::new(fa3::Environment::Test, today, schemas.as_ref());
    println!(
        "import bench: {count} invoices, XSD loaded: {}",
        schemas.is_some()
    );

    let t = Instant::now();
    let mut digest_bytes = 0usize;
    for path in &paths {
        let bytes = std::fs::read(path).expect("read");
        digest_bytes += Sha256::digest(&bytes).len();
    }
    let read_s = t.elapsed().as_secs_f64();
    assert_eq!(digest_bytes, 32 * count);

    let t = Instant::now();
    let mut sendable = 0usize;
    for path in &paths {
        let bytes = std::fs::read(path).expect("read");
        sendable += usize::from(validator.validate(&bytes).is_sendable());
    }
    let validate_s = t.elapsed().as_secs_f64();

    let db_dir = tempfile::tempdir().expect("temp dir");
    let mut store = Store::open(&db_dir.path().join("bench.db")).expect("open store");
    let company = store
        .insert_company(
            &NewCompany {
                name: "Bench",
                environment: "test",
                nip: "5265877635",
                base_url: "https://api-test.ksef.mf.gov.pl/v2",
                keyring_ref: "bench",
            },
            0,
        )
        .expect("company");
    let clock = ManualClock::new(0);
    let mut rng = seeded(1);
    let cancel = AtomicBool::new(false);
    let folder = [input.path().to_owned()];

    let t = Instant::now();
    let first = Importer::new(&mut store, &validator, &clock, &mut rng, company)
        .import(&folder, &mut |_| {}, &cancel)
        .expect("import");
    let import_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let again = Importer::new(&mut store, &validator, &clock, &mut rng, company)
        .import(&folder, &mut |_| {}, &cancel)
        .expect("re-import");
    let reimport_s = t.elapsed().as_secs_f64();

    let db_bytes = std::fs::metadata(db_dir.path().join("bench.db")).map_or(0, |m| m.len());
    println!("  sendable by fa3:          {sendable}/{count}");
    println!(
        "  imported / already known: {} / {} (re-import: {} already known)",
        first.imported, first.already_known, again.already_known
    );
    println!(
        "  read + sha256 (baseline):  {:>9.0} files/s  {read_s:.2} s",
        rate(count, read_s)
    );
    println!(
        "  read + fa3 validate:       {:>9.0} files/s  {validate_s:.2} s",
        rate(count, validate_s)
    );
    println!(
        "  import (validate + store): {:>9.0} files/s  {import_s:.2} s",
        rate(count, import_s)
    );
    println!(
        "  re-import (all known):     {:>9.0} files/s  {reimport_s:.2} s",
        rate(count, reimport_s)
    );
    println!("  import / validate time:    {:.2}x", import_s / validate_s);
    println!("  import / read time:        {:.2}x", import_s / read_s);
    println!(
        "  database size:             {:.1} MB",
        db_bytes as f64 / 1e6
    );
}
