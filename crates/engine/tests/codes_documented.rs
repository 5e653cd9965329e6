//! Every stable code the engine can emit has an entry in the error dictionary.
//!
//! Two independent sources of codes: a scan of the engine's own `src/` for code literals
//! (`dictionary::audit`, which also sees codes written in SQL and `format!` families), and the
//! engine's public code APIs called on one example of every error variant. Codes the engine
//! passes through from the KSeF client are checked by `ksef-api`'s own `codes_documented` test.

use std::path::Path;

use dictionary::audit::{self, Found, Literal};
use dictionary::{Dictionary, Lang, ENGINE_CODES};
use engine::state::SubmissionState;
use engine::store::StoreError;

fn engine_sources() -> Vec<Found> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    audit::scan_sources(&src).expect("engine sources are readable")
}

fn scanned_codes(found: &[Found]) -> Vec<&str> {
    found
        .iter()
        .filter_map(|found| match &found.literal {
            Literal::Code(code) => Some(code.as_str()),
            Literal::Template(_) => None,
        })
        .collect()
}

#[test]
fn the_scan_sees_the_engines_published_codes() {
    let found = engine_sources();
    let codes = scanned_codes(&found);
    for published in [
        engine::outcome::STUCK_CODE,
        engine::backoff::ATTEMPTS_EXHAUSTED_CODE,
        engine::store::CONFLICT_CODE,
        // Written inside SQL, not as a Rust string of its own.
        "engine.imported",
    ] {
        assert!(codes.contains(&published), "scan missed {published}");
    }
}

#[test]
fn every_code_literal_in_the_engine_sources_has_an_entry() {
    let undocumented = audit::undocumented(Dictionary::builtin(), &engine_sources());
    assert!(
        undocumented.is_empty(),
        "codes without a dictionary entry:\n{}",
        undocumented.join("\n")
    );
}

/// `dictionary::ENGINE_CODES` is what the dictionary's "no stray codes" test accepts; an engine
/// code missing there would pass here only by accident of another family's entry.
#[test]
fn every_engine_code_in_the_sources_is_listed_for_the_dictionary() {
    let found = engine_sources();
    let unlisted: Vec<&str> = scanned_codes(&found)
        .into_iter()
        .filter(|code| code.starts_with("engine.") && !ENGINE_CODES.contains(code))
        .collect();
    assert!(unlisted.is_empty(), "not in ENGINE_CODES: {unlisted:?}");
}

/// One example of every `StoreError` variant; the exhaustive match in `variant` makes a new
/// variant a compile error here until it has an example.
fn store_error_examples() -> Vec<StoreError> {
    use rusqlite::ffi;
    let sqlite = |code| rusqlite::Error::SqliteFailure(ffi::Error::new(code), None);
    vec![
        StoreError::Sqlite(sqlite(ffi::SQLITE_BUSY)),
        StoreError::Sqlite(sqlite(ffi::SQLITE_LOCKED)),
        StoreError::Sqlite(rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            Box::new(std::fmt::Error),
        )),
        StoreError::Sqlite(sqlite(ffi::SQLITE_IOERR)),
        StoreError::Pragma {
            name: "journal_mode",
            got: "delete".into(),
        },
        StoreError::Migration {
            version: 1,
            source: rusqlite::Error::InvalidQuery,
        },
        StoreError::SchemaTooNew { found: 9, known: 1 },
        StoreError::IllegalTransition {
            from: SubmissionState::Accepted,
            to: SubmissionState::Queued,
        },
        StoreError::Invariant {
            id: 1,
            what: "test",
        },
        StoreError::Corrupt {
            column: "state",
            value: "?".into(),
        },
        StoreError::InvoiceNotFound(1),
        StoreError::CompanyNotFound(1),
    ]
}

fn variant(error: &StoreError) -> usize {
    match error {
        StoreError::Sqlite(_) => 0,
        StoreError::Pragma { .. } => 1,
        StoreError::Migration { .. } => 2,
        StoreError::SchemaTooNew { .. } => 3,
        StoreError::IllegalTransition { .. } => 4,
        StoreError::Invariant { .. } => 5,
        StoreError::Corrupt { .. } => 6,
        StoreError::InvoiceNotFound(_) => 7,
        StoreError::CompanyNotFound(_) => 8,
    }
}

#[test]
fn every_store_error_code_has_an_entry() {
    let examples = store_error_examples();
    let mut covered: Vec<usize> = examples.iter().map(variant).collect();
    covered.dedup();
    assert_eq!(
        covered,
        (0..=8).collect::<Vec<_>>(),
        "an example per variant"
    );
    let dictionary = Dictionary::builtin();
    for error in &examples {
        let code = error.code();
        assert!(
            dictionary.get(code, Lang::Pl).is_some(),
            "no dictionary entry for {code} ({error})"
        );
        assert!(ENGINE_CODES.contains(&code), "{code} not in ENGINE_CODES");
    }
    // The busy and corrupt classifications are distinct codes, not the catch-all.
    let codes: Vec<&str> = examples.iter().map(StoreError::code).collect();
    assert_eq!(
        &codes[..4],
        [
            "engine.store_busy",
            "engine.store_busy",
            "engine.store_corrupt",
            "engine.store_io"
        ]
    );
}
