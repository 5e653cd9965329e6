//! Every stable code the application layer can hand to the UI has an entry in the dictionary.
//!
//! desk-api reports its own `desk.*` codes (`desk_api::error::codes`) and passes the engine's,
//! fa3's and the KSeF client's codes through unchanged (those crates check their own). Here a
//! scan of desk-api's `src/` (`dictionary::audit`) finds every code literal, including codes of
//! other families written directly (e.g. `business.nip_checksum`), and the `desk.*` codes must
//! be exactly the ones the dictionary lists as `DESK_CODES`.

use std::collections::BTreeSet;
use std::path::Path;

use desk_api::error::codes;
use dictionary::audit::{self, Found, Literal};
use dictionary::{Dictionary, Lang, DESK_CODES};

fn desk_api_sources() -> Vec<Found> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    audit::scan_sources(&src).expect("desk-api sources are readable")
}

#[test]
fn every_code_literal_in_the_desk_api_sources_has_an_entry() {
    let undocumented = audit::undocumented(Dictionary::builtin(), &desk_api_sources());
    assert!(
        undocumented.is_empty(),
        "codes without a dictionary entry:\n{}",
        undocumented.join("\n")
    );
}

/// The scan and the dictionary's list agree both ways: a new `desk.*` code needs an entry, and
/// an entry whose code desk-api no longer reports is stale.
#[test]
fn the_desk_codes_in_the_sources_are_the_dictionarys_desk_codes() {
    let scanned: BTreeSet<String> = desk_api_sources()
        .into_iter()
        .filter_map(|found| match found.literal {
            Literal::Code(code) if code.starts_with("desk.") => Some(code),
            _ => None,
        })
        .collect();
    let listed: BTreeSet<String> = DESK_CODES.iter().map(|code| (*code).to_owned()).collect();
    assert_eq!(scanned, listed);
}

#[test]
fn every_published_desk_code_has_a_polish_and_english_entry() {
    let published = [
        codes::KEYRING_UNAVAILABLE,
        codes::TOKEN_MISSING,
        codes::SETTINGS_IO,
        codes::DATA_DIR,
        codes::INVALID_INPUT,
        codes::SANDBOX_START,
        codes::NO_ACTIVE_COMPANY,
        codes::NOT_AVAILABLE,
        codes::CONNECTION_FAILED,
        codes::UNKNOWN_JOB,
        codes::INTERNAL,
    ];
    let dictionary = Dictionary::builtin();
    for code in published {
        for lang in [Lang::Pl, Lang::En] {
            let entry = dictionary
                .get(code, lang)
                .unwrap_or_else(|| panic!("no {lang:?} entry for {code}"));
            assert_eq!(entry.code, code);
        }
    }
    // The error every bad argument gets carries a documented code.
    let invalid = desk_api::DeskError::invalid("empty name");
    assert!(dictionary.contains(&invalid.code), "{}", invalid.code);
}
