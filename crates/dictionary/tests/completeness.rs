//! The dictionary covers every code the rest of KSeF Desk can emit, in real Polish and English.
//!
//! The expected code sets come from their sources, not from a hand copy: `fa3::FindingCode::ALL`,
//! `fa3`'s schema error codes, the exception list in KSEF-API.md §6, and the code lists this
//! crate exports for the KSeF client, the engine and the application layer (whose own
//! `tests/codes_documented.rs` scan their sources against this dictionary).

use std::collections::BTreeSet;
use std::path::PathBuf;

use dictionary::{
    Dictionary, Lang, Source, CLIENT_CODES, DESK_CODES, ENGINE_CODES, FALLBACK_CODES,
    KSEF_STATUS_CODES, SCHEMA_FILE_CODES, XSD_LOAD_CODES,
};

const BUILTIN_TOML: &str = include_str!("../../../schemas/errors.toml");

/// Every code list this crate exports for other crates.
const LISTED_CODES: [&[&str]; 7] = [
    KSEF_STATUS_CODES,
    CLIENT_CODES,
    ENGINE_CODES,
    SCHEMA_FILE_CODES,
    XSD_LOAD_CODES,
    DESK_CODES,
    FALLBACK_CODES,
];

fn ksef_api_md() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/ksef/KSEF-API.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The exception codes of KSEF-API.md §6 ("Exception codes in the spec: 9101 … · 30001 …"),
/// with ranges such as `25001–25011` expanded. A plain character scan, so a new code in the
/// document shows up here without anyone editing the test.
fn section_6_exception_codes(doc: &str) -> BTreeSet<u32> {
    let section = doc
        .split("\n## ")
        .find(|s| s.starts_with("6. Errors"))
        .expect("KSEF-API.md has a section '6. Errors'");
    let list = section
        .lines()
        .find(|line| line.starts_with("Exception codes in the spec:"))
        .expect("§6 has the line 'Exception codes in the spec:'");

    let mut codes = BTreeSet::new();
    let chars: Vec<char> = list.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let (first, next) = read_number(&chars, i);
        i = next;
        // A range is "first–last" (en dash) or "first-last".
        let is_range = matches!(chars.get(i), Some('–' | '-'))
            && chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if is_range {
            let (last, after) = read_number(&chars, i + 1);
            assert!(
                first <= last && last - first < 100,
                "odd range {first}–{last}"
            );
            codes.extend(first..=last);
            i = after;
        } else {
            codes.insert(first);
        }
    }
    codes
}

fn read_number(chars: &[char], start: usize) -> (u32, usize) {
    let mut end = start;
    let mut value = 0u32;
    while let Some(digit) = chars.get(end).and_then(|c| c.to_digit(10)) {
        value = value * 10 + digit;
        end += 1;
    }
    (value, end)
}

#[test]
fn builtin_dictionary_is_valid() {
    if let Err(error) = Dictionary::from_toml(BUILTIN_TOML) {
        panic!("schemas/errors.toml: {error} ({})", error.code());
    }
    assert!(Dictionary::builtin().all(Lang::Pl).len() > 100);
}

#[test]
fn every_entry_has_six_non_empty_texts() {
    let dictionary = Dictionary::builtin();
    for lang in [Lang::Pl, Lang::En] {
        for entry in dictionary.all(lang) {
            for (name, text) in [
                ("title", entry.title),
                ("explanation", entry.explanation),
                ("action", entry.action),
            ] {
                assert!(!text.trim().is_empty(), "{} {name} ({lang:?})", entry.code);
            }
        }
    }
}

/// Guards against an English text pasted into the Polish slot as a placeholder.
#[test]
fn polish_texts_are_polish() {
    let dictionary = Dictionary::builtin();
    let english_markers = [" the ", " and ", " is ", " not ", "todo", "tbd", "lorem"];
    for (pl, en) in dictionary
        .all(Lang::Pl)
        .iter()
        .zip(dictionary.all(Lang::En))
    {
        assert_eq!(pl.code, en.code);
        let code = &pl.code;
        assert_ne!(pl.title, en.title, "{code}: Polish title equals English");
        assert_ne!(pl.explanation, en.explanation, "{code}: explanation");
        assert_ne!(pl.action, en.action, "{code}: action");
        let polish = format!(" {} {} {} ", pl.title, pl.explanation, pl.action).to_lowercase();
        for marker in english_markers {
            assert!(
                !polish.contains(marker),
                "{code}: Polish text contains {marker:?}"
            );
        }
        assert!(
            polish.chars().any(|c| "ąćęłńóśźż".contains(c)),
            "{code}: Polish text has no Polish letters at all"
        );
    }
}

#[test]
fn every_fa3_finding_code_has_an_entry_with_the_same_source() {
    let dictionary = Dictionary::builtin();
    for &code in fa3::FindingCode::ALL {
        let entry = dictionary
            .get(code.as_str(), Lang::Pl)
            .unwrap_or_else(|| panic!("no dictionary entry for fa3 code {}", code.as_str()));
        let expected = match code.source() {
            fa3::RuleSource::Ksef => Source::Ksef,
            fa3::RuleSource::Ours => Source::Ours,
        };
        assert_eq!(entry.source, expected, "{}", code.as_str());
        // fa3 reports our own checks as warnings only; the hint must not say otherwise.
        if expected == Source::Ours {
            assert_eq!(
                entry.severity,
                dictionary::Severity::Warning,
                "{}",
                code.as_str()
            );
        }
    }
}

#[test]
fn every_exception_code_in_ksef_api_md_has_an_entry() {
    let codes = section_6_exception_codes(&ksef_api_md());
    // The scan itself must have found the list, including both ends and the expanded range.
    for sample in [9101, 21405, 25001, 25006, 25011, 30001] {
        assert!(codes.contains(&sample), "scan missed {sample}: {codes:?}");
    }
    let dictionary = Dictionary::builtin();
    let missing: Vec<u32> = codes
        .iter()
        .copied()
        .filter(|code| !dictionary.contains(&format!("ksef.exception.{code}")))
        .collect();
    assert!(
        missing.is_empty(),
        "no entry for exception codes {missing:?}"
    );
}

#[test]
fn every_status_client_engine_and_fallback_code_has_an_entry() {
    let dictionary = Dictionary::builtin();
    for list in LISTED_CODES {
        for code in list {
            assert!(dictionary.contains(code), "no dictionary entry for {code}");
        }
    }
}

/// Every entry is reachable: a typo such as `ksef.invoce.440` would otherwise sit unused while
/// the real code falls back.
#[test]
fn the_dictionary_has_no_stray_codes() {
    let mut expected: BTreeSet<String> = fa3::FindingCode::ALL
        .iter()
        .map(|code| code.as_str().to_owned())
        .collect();
    for list in LISTED_CODES {
        expected.extend(list.iter().map(|code| (*code).to_owned()));
    }
    expected.extend(
        section_6_exception_codes(&ksef_api_md())
            .into_iter()
            .map(|code| format!("ksef.exception.{code}")),
    );
    let stray: Vec<String> = Dictionary::builtin()
        .all(Lang::En)
        .into_iter()
        .map(|entry| entry.code)
        .filter(|code| !expected.contains(code))
        .collect();
    assert!(
        stray.is_empty(),
        "entries for codes nobody emits: {stray:?}"
    );
}

#[test]
fn entries_that_report_progress_are_not_errors() {
    let dictionary = Dictionary::builtin();
    for code in ["ksef.auth.100", "ksef.session.150", "ksef.invoice.200"] {
        let entry = dictionary.get(code, Lang::Pl).expect(code);
        assert_eq!(entry.severity, dictionary::Severity::Info, "{code}");
    }
}

/// The schema-file codes are listed here by hand; this ties the list to what `fa3` really emits.
#[test]
fn every_schema_file_state_and_fetch_error_code_is_listed() {
    use fa3::schemas::{FetchError, FileState, FA3_SCHEMA};
    let states = [
        FileState::Ok,
        FileState::Missing,
        FileState::HashMismatch {
            actual: String::new(),
        },
        FileState::Unreadable {
            reason: String::new(),
        },
    ];
    let errors = [
        FetchError::Download {
            url: String::new(),
            reason: String::new(),
        },
        FetchError::PinMismatch {
            url: String::new(),
            path: FA3_SCHEMA.path,
            actual: String::new(),
        },
        FetchError::Io {
            path: PathBuf::new(),
            source: std::io::Error::other("test"),
        },
    ];
    let emitted: Vec<&str> = states
        .iter()
        .map(FileState::code)
        .chain(errors.iter().map(FetchError::code))
        .collect();
    assert_eq!(emitted, SCHEMA_FILE_CODES);
}

/// The schema-loading codes are listed by hand; this ties the list to `fa3::xsd`.
#[test]
fn every_schema_load_error_code_is_listed() {
    use fa3::xsd::SchemaLoadError;
    let errors = [
        SchemaLoadError::Missing(PathBuf::new()),
        SchemaLoadError::Compile(String::new()),
        SchemaLoadError::Refused(String::new()),
    ];
    let emitted: Vec<&str> = errors.iter().map(SchemaLoadError::code).collect();
    assert_eq!(emitted, XSD_LOAD_CODES);
}
