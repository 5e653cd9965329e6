//! Import tests with a deterministic stand-in validator: folders, re-imports, conflicts, invalid
//! and unreadable inputs, ZIP archives and their bomb defences, progress and cancellation.

use std::io::Write;
use std::sync::atomic::AtomicBool;

use zip::write::SimpleFileOptions;

use super::*;
use crate::clock::ManualClock;
use crate::rng;
use crate::store::test_support::temp_store;
use crate::validation::{Finding, InvoiceSummary, Severity};

/// Accepts `<Faktura><P_2>number</P_2>…</Faktura>`; `<bad/>` anywhere is an error finding.
struct FakeValidator;

impl InvoiceValidator for FakeValidator {
    fn validate(&self, bytes: &[u8]) -> Validation {
        let Some(text) = std::str::from_utf8(bytes)
            .ok()
            .filter(|t| t.starts_with("<Faktura>"))
        else {
            return Validation {
                findings: vec![error("xml.malformed")],
                duplicate_key: None,
                summary: None,
            };
        };
        let number = text
            .split_once("<P_2>")
            .and_then(|(_, rest)| rest.split_once("</P_2>"))
            .map(|(n, _)| n.to_owned());
        let findings = if text.contains("<bad/>") {
            vec![error("fa3.rule")]
        } else {
            Vec::new()
        };
        Validation {
            findings,
            duplicate_key: number.as_ref().map(|n| format!("5265877635|VAT|{n}")),
            summary: Some(InvoiceSummary {
                invoice_number: number,
                ..InvoiceSummary::default()
            }),
        }
    }
}

/// Counts how often validation runs.
#[derive(Default)]
struct CountingValidator {
    calls: std::cell::Cell<usize>,
}

impl InvoiceValidator for CountingValidator {
    fn validate(&self, bytes: &[u8]) -> Validation {
        self.calls.set(self.calls.get() + 1);
        FakeValidator.validate(bytes)
    }
}

fn error(code: &str) -> Finding {
    Finding {
        code: code.into(),
        severity: Severity::Error,
        message: "broken".into(),
        path: None,
    }
}

fn invoice(number: &str, extra: &str) -> Vec<u8> {
    format!("<Faktura><P_2>{number}</P_2>{extra}</Faktura>").into_bytes()
}

struct Fixture {
    _db_dir: tempfile::TempDir,
    store: Store,
    company: CompanyId,
    clock: ManualClock,
    rng: EngineRng,
    input: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let (db_dir, store, company) = temp_store();
        Fixture {
            _db_dir: db_dir,
            store,
            company,
            clock: ManualClock::new(1_000),
            rng: rng::seeded(42),
            input: tempfile::tempdir().unwrap(),
        }
    }

    fn write(&self, rel: &str, bytes: &[u8]) -> PathBuf {
        let path = self.input.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn run(&mut self, paths: &[PathBuf], limits: ImportLimits) -> ImportSummary {
        self.run_with(paths, limits, &mut |_| {}, &AtomicBool::new(false))
    }

    fn run_with(
        &mut self,
        paths: &[PathBuf],
        limits: ImportLimits,
        progress: &mut dyn FnMut(Progress),
        cancel: &AtomicBool,
    ) -> ImportSummary {
        Importer::new(
            &mut self.store,
            &FakeValidator,
            &self.clock,
            &mut self.rng,
            self.company,
        )
        .with_limits(limits)
        .import(paths, progress, cancel)
        .unwrap()
    }

    fn row_count(&self) -> i64 {
        self.store
            .conn()
            .query_row("SELECT count(*) FROM invoices", [], |r| r.get(0))
            .unwrap()
    }
}

fn zip_of(entries: &[(&str, &[u8])], method: zip::CompressionMethod) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(method);
    for (name, bytes) in entries {
        if name.ends_with('/') {
            writer.add_directory(*name, options).unwrap();
        } else {
            writer.start_file(*name, options).unwrap();
            writer.write_all(bytes).unwrap();
        }
    }
    writer.finish().unwrap().into_inner()
}

fn codes(summary: &ImportSummary) -> Vec<(Outcome, Option<&'static str>)> {
    summary
        .items
        .iter()
        .map(|i| (i.outcome, i.code.map(Code::as_str)))
        .collect()
}

#[test]
fn folder_import_is_recursive_keeps_exact_bytes_and_is_idempotent() {
    let mut fx = Fixture::new();
    let a = invoice("FV/1", "");
    fx.write("a.xml", &a);
    fx.write("sub/deeper/b.XML", &invoice("FV/2", ""));
    fx.write("notes.txt", b"not an invoice");
    let root = vec![fx.input.path().to_owned()];

    let first = fx.run(&root, ImportLimits::default());
    assert_eq!((first.imported, first.skipped), (2, 0), "{first:?}");
    let id = first.items[0].invoice_id.unwrap();
    assert_eq!(fx.store.original_bytes(id).unwrap(), a);
    assert_eq!(fx.store.invoice(id).unwrap().state, SubmissionState::Queued);
    assert_eq!(fx.store.invoice(id).unwrap().trace_id.len(), 32);

    let again = fx.run(&root, ImportLimits::default());
    assert_eq!((again.imported, again.already_known), (0, 2));
    assert_eq!(
        again.items[0].invoice_id,
        Some(id),
        "points at the known row"
    );
    assert_eq!(fx.row_count(), 2);
}

#[test]
fn same_key_different_content_is_a_conflict_that_is_never_claimed() {
    let mut fx = Fixture::new();
    let first = fx.write("a.xml", &invoice("FV/1", ""));
    let second = fx.write("a-v2.xml", &invoice("FV/1", "<changed/>"));
    let summary = fx.run(&[first, second], ImportLimits::default());
    assert_eq!((summary.imported, summary.conflicts), (1, 1));
    let original = summary.items[0].invoice_id.unwrap();
    let conflict = summary.items[1].invoice_id.unwrap();
    assert_eq!(summary.items[1].conflict_with, Some(original));
    let row = fx.store.invoice(conflict).unwrap();
    assert_eq!(row.state, SubmissionState::Conflict);
    assert_eq!(row.error_code.as_deref(), Some("engine.conflict"));
    assert_eq!(row.conflict_with, Some(original));
    let claimed = fx
        .store
        .claim_ready(fx.company, i64::MAX, 10, 1_000, "w")
        .unwrap();
    assert_eq!(
        claimed.claimed.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![original]
    );
}

#[test]
fn a_corrected_file_after_an_invalid_one_is_queued_not_conflicting() {
    let mut fx = Fixture::new();
    let broken = fx.write("a.xml", &invoice("FV/1", "<bad/>"));
    let fixed = fx.write("a-fixed.xml", &invoice("FV/1", ""));
    let summary = fx.run(&[broken, fixed], ImportLimits::default());
    assert_eq!(
        codes(&summary),
        [(Outcome::Invalid, None), (Outcome::Imported, None)]
    );
    let invalid = summary.items[0].invoice_id.unwrap();
    assert_eq!(
        fx.store.invoice(invalid).unwrap().state,
        SubmissionState::Invalid
    );
    let findings = fx.store.findings(invalid).unwrap();
    assert_eq!(
        findings.iter().map(|f| f.code.as_str()).collect::<Vec<_>>(),
        ["fa3.rule"]
    );
}

#[test]
fn unreadable_missing_and_oversized_inputs_are_reported_with_codes() {
    let mut fx = Fixture::new();
    let big = fx.write("big.xml", &[b' '; 101]);
    let ok = fx.write("ok.xml", &invoice("FV/1", ""));
    let missing = fx.input.path().join("missing.xml");
    let limits = ImportLimits {
        file_bytes_max: 100,
        ..ImportLimits::default()
    };
    let summary = fx.run(&[big, missing, ok], limits);
    assert_eq!(
        codes(&summary),
        [
            (Outcome::Skipped, Some("engine.import_too_large")),
            (Outcome::Skipped, Some("engine.import_unreadable")),
            (Outcome::Imported, None)
        ]
    );
    assert_eq!(summary.skipped, 2);
    assert_eq!(fx.row_count(), 1);
}

#[test]
fn zip_entries_are_imported_and_non_xml_entries_reported() {
    let mut fx = Fixture::new();
    let bytes = zip_of(
        &[
            ("invoices/", b""),
            ("invoices/a.xml", &invoice("FV/1", "")),
            ("readme.txt", b"hello"),
            ("../../escape.xml", &invoice("FV/2", "")),
        ],
        zip::CompressionMethod::Deflated,
    );
    let archive = fx.write("batch.zip", &bytes);
    let mut seen = Vec::new();
    let summary = fx.run_with(
        std::slice::from_ref(&archive),
        ImportLimits::default(),
        &mut |p| seen.push(p),
        &AtomicBool::new(false),
    );
    assert_eq!(
        codes(&summary),
        [
            (Outcome::Imported, None),
            (Outcome::Skipped, Some("engine.import_not_xml")),
            (Outcome::Imported, None)
        ]
    );
    assert_eq!(
        summary.items[0].source,
        format!("{}!invoices/a.xml", archive.display())
    );
    let last = seen.last().unwrap();
    assert_eq!(
        (last.done, last.total),
        (4, 4),
        "progress reaches the total"
    );
    // The traversal name stays a label: nothing was written beside the input folder.
    assert!(!fx
        .input
        .path()
        .parent()
        .unwrap()
        .join("escape.xml")
        .exists());
    let id = summary.items[2].invoice_id.unwrap();
    assert_eq!(fx.store.invoice(id).unwrap().file_name, "escape.xml");
}

#[test]
fn highly_compressed_entry_is_refused_as_a_bomb() {
    let mut fx = Fixture::new();
    let mut padded = invoice("FV/1", "");
    padded.extend(std::iter::repeat_n(b' ', 2_000_000));
    let bytes = zip_of(
        &[("bomb.xml", &padded), ("ok.xml", &invoice("FV/2", ""))],
        zip::CompressionMethod::Deflated,
    );
    let archive = fx.write("a.zip", &bytes);
    let summary = fx.run(&[archive], ImportLimits::default());
    assert_eq!(
        codes(&summary),
        [
            (Outcome::Skipped, Some("engine.import_zip_bomb")),
            (Outcome::Imported, None)
        ]
    );
}

/// Rewrites the uncompressed size of the first entry in both its local and central headers.
fn lie_about_size(zip: &mut [u8], size: u32) {
    let patch = |zip: &mut [u8], signature: [u8; 4], offset: usize| {
        let at = zip.windows(4).position(|w| w == signature).unwrap();
        zip[at + offset..at + offset + 4].copy_from_slice(&size.to_le_bytes());
    };
    patch(zip, [0x50, 0x4b, 0x03, 0x04], 22);
    patch(zip, [0x50, 0x4b, 0x01, 0x02], 24);
}

#[test]
fn entry_larger_than_its_header_claims_is_refused_after_reading_at_most_the_claim() {
    let mut fx = Fixture::new();
    let mut content = invoice("FV/1", "");
    content.extend(std::iter::repeat_n(b' ', 5_000));
    let mut bytes = zip_of(&[("liar.xml", &content)], zip::CompressionMethod::Deflated);
    lie_about_size(&mut bytes, 100);
    let archive = fx.write("a.zip", &bytes);
    let summary = fx.run(&[archive], ImportLimits::default());
    assert_eq!(
        codes(&summary),
        [(Outcome::Skipped, Some("engine.import_zip_bomb"))]
    );
    assert_eq!(fx.row_count(), 0);
}

#[test]
fn archive_limits_abandon_the_archive_with_a_code() {
    let mut fx = Fixture::new();
    let entries: Vec<(String, Vec<u8>)> = (0..4)
        .map(|i| (format!("{i}.xml"), invoice(&format!("FV/{i}"), "")))
        .collect();
    let refs: Vec<(&str, &[u8])> = entries
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let archive = fx.write("a.zip", &zip_of(&refs, zip::CompressionMethod::Stored));

    let too_many = ImportLimits {
        zip_entries_max: 3,
        ..ImportLimits::default()
    };
    let summary = fx.run(std::slice::from_ref(&archive), too_many);
    assert_eq!(
        codes(&summary),
        [(Outcome::Skipped, Some("engine.import_zip_bomb"))]
    );

    // A total one byte short of three entries allows exactly two.
    let small_total = ImportLimits {
        zip_total_bytes_max: 3 * entries[0].1.len() as u64 - 1,
        ..ImportLimits::default()
    };
    let summary = fx.run(&[archive], small_total);
    assert_eq!(
        codes(&summary),
        [
            (Outcome::Imported, None),
            (Outcome::Imported, None),
            (Outcome::Skipped, Some("engine.import_zip_bomb"))
        ]
    );
}

#[test]
fn corrupt_archive_is_unreadable() {
    let mut fx = Fixture::new();
    let archive = fx.write("broken.zip", b"PK\x03\x04 definitely not a zip");
    let summary = fx.run(&[archive], ImportLimits::default());
    assert_eq!(
        codes(&summary),
        [(Outcome::Skipped, Some("engine.import_unreadable"))]
    );
}

#[test]
fn cancellation_stops_between_files_and_keeps_what_was_done() {
    let mut fx = Fixture::new();
    let paths: Vec<PathBuf> = (0..5)
        .map(|i| fx.write(&format!("{i}.xml"), &invoice(&format!("FV/{i}"), "")))
        .collect();
    let cancel = AtomicBool::new(false);
    let summary = fx.run_with(
        &paths,
        ImportLimits::default(),
        &mut |p| {
            if p.done == 2 {
                cancel.store(true, Ordering::SeqCst);
            }
        },
        &cancel,
    );
    assert!(summary.cancelled);
    assert_eq!(summary.imported, 2);
    assert_eq!(fx.row_count(), 2, "the handled files were committed");
}

#[test]
fn summary_serialises_with_stable_codes() {
    let mut fx = Fixture::new();
    let missing = fx.input.path().join("missing.xml");
    let summary = fx.run(&[missing], ImportLimits::default());
    let json = serde_json::to_value(&summary).unwrap();
    assert_eq!(json["skipped"], 1);
    assert_eq!(json["items"][0]["outcome"], "skipped");
    assert_eq!(json["items"][0]["code"], "engine.import_unreadable");
}

#[test]
fn known_content_is_not_validated_again() {
    let mut fx = Fixture::new();
    let a = fx.write("a.xml", &invoice("FV/1", ""));
    let copy = fx.write("copy-of-a.xml", &invoice("FV/1", ""));
    let validator = CountingValidator::default();
    let import = |fx: &mut Fixture, paths: &[PathBuf]| {
        Importer::new(
            &mut fx.store,
            &validator,
            &fx.clock,
            &mut fx.rng,
            fx.company,
        )
        .import(paths, &mut |_| {}, &AtomicBool::new(false))
        .unwrap()
    };
    let first = import(&mut fx, std::slice::from_ref(&a));
    assert_eq!(first.imported, 1);
    let second = import(&mut fx, &[a, copy]);
    assert_eq!(second.already_known, 2);
    assert_eq!(validator.calls.get(), 1, "known bytes skip validation");
}

mod hostile_archives {
    //! Arbitrary and corrupted archives must end as reported items, never as a panic.

    use proptest::prelude::*;

    use super::*;
    use crate::import::archive::{ArchiveReader, Entry};

    fn read_all(bytes: Vec<u8>) {
        let limits = ImportLimits {
            file_bytes_max: 10_000,
            zip_total_bytes_max: 50_000,
            ..ImportLimits::default()
        };
        if let Ok(mut reader) = ArchiveReader::open(std::io::Cursor::new(bytes), limits) {
            for index in 0..reader.len() {
                match reader.entry(index) {
                    Ok(Entry::Xml { bytes, .. }) => assert!(bytes.len() <= 10_000),
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        }
    }

    fn valid_zip() -> Vec<u8> {
        zip_of(
            &[
                ("a.xml", &invoice("FV/1", "")),
                ("dir/", b""),
                ("b.xml", &[b'x'; 3_000]),
            ],
            zip::CompressionMethod::Deflated,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2_000)) {
            read_all(bytes);
        }

        #[test]
        fn corrupted_archives_never_panic(
            flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..12)
        ) {
            let mut bytes = valid_zip();
            for (at, value) in flips {
                let i = at.index(bytes.len());
                bytes[i] = value;
            }
            read_all(bytes);
        }
    }
}
