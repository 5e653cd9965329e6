//! The error dictionary: what every stable code means, in plain Polish and English.
//!
//! Every finding, KSeF status, KSeF exception and engine outcome carries a stable string code
//! (`xml.bom`, `ksef.exception.21405`, `engine.stuck`, …). UIs and the CLI key on that code and
//! look up the title, the explanation and the "what to do" here; nothing matches on messages.
//!
//! Architecture invariant: the dictionary is data (`schemas/errors.toml`, embedded at compile
//! time) plus pure lookups. It depends on no other KSeF Desk crate; the tests tie it to the codes
//! that `fa3`, the KSeF client and the engine emit. The emitting crates' own tests close the loop
//! with the `audit` feature's source scanner: every code literal they contain has an entry.

#[cfg(any(test, feature = "audit"))]
pub mod audit;
mod codes;
mod entry;
mod parse;
mod search;

use std::collections::HashMap;
use std::sync::OnceLock;

pub use codes::{
    KsefCode, CLIENT_CODES, DESK_CODES, ENGINE_CODES, FALLBACK_CODES, KSEF_STATUS_CODES,
    SCHEMA_FILE_CODES, XSD_LOAD_CODES,
};
pub use entry::{Entry, Lang, Severity, Source};
pub use parse::DictionaryError;

use entry::StoredEntry;

/// The dictionary text shipped with the application (our own wording, reviewed in Polish first).
const BUILTIN_TOML: &str = include_str!("../../../schemas/errors.toml");

/// The code reported for lookups of codes the dictionary does not know.
pub const FALLBACK_CODE: &str = "unknown";

/// A parsed, validated dictionary: one entry per stable code, in the order of the source file.
#[derive(Debug)]
pub struct Dictionary {
    entries: Vec<StoredEntry>,
    index: HashMap<String, usize>,
}

impl Dictionary {
    /// The dictionary built into the binary, parsed once on first use.
    pub fn builtin() -> &'static Dictionary {
        static BUILTIN: OnceLock<Dictionary> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            // The embedded text is part of the program, not input; `builtin_dictionary_is_valid`
            // guards it, so a failure here is a build defect, not an operating error.
            Dictionary::from_toml(BUILTIN_TOML).expect("schemas/errors.toml is valid")
        })
    }

    /// Parses and validates dictionary text (see `schemas/errors.toml` for the format).
    pub fn from_toml(text: &str) -> Result<Dictionary, DictionaryError> {
        let entries = parse::parse(text)?;
        let index = entries
            .iter()
            .enumerate()
            .map(|(position, entry)| (entry.code.clone(), position))
            .collect();
        Ok(Dictionary { entries, index })
    }

    /// Whether `code` has its own entry.
    pub fn contains(&self, code: &str) -> bool {
        self.index.contains_key(code)
    }

    /// The entry for `code` in `lang`, or `None` when the dictionary has no such code.
    pub fn get(&self, code: &str, lang: Lang) -> Option<Entry<'_>> {
        let position = *self.index.get(code)?;
        self.entries.get(position).map(|stored| stored.view(lang))
    }

    /// The entry for `code`, or a sensible fallback that still reports `code` (with
    /// [`Entry::known`] false) so the user can quote it to support.
    ///
    /// Unknown `ksef.exception.*`, `ksef.http.*` and status codes fall back to their family's
    /// generic entry (e.g. "KSeF rejected the request") rather than to the bare fallback.
    pub fn describe(&self, code: &str, lang: Lang) -> Entry<'_> {
        if let Some(entry) = self.get(code, lang) {
            return entry;
        }
        let family = codes::family_fallback(code).unwrap_or(FALLBACK_CODE);
        let stored = self
            .index
            .get(family)
            .or_else(|| self.index.get(FALLBACK_CODE))
            .and_then(|&position| self.entries.get(position));
        match stored {
            Some(stored) => stored.view(lang).unknown_as(code),
            None => Entry::bare_fallback(code, lang),
        }
    }

    /// The entry for a numeric KSeF code (status, exception, HTTP status), with fallback.
    pub fn describe_ksef(&self, code: KsefCode<'_>, lang: Lang) -> Entry<'_> {
        self.describe(&code.key(), lang)
    }

    /// Every entry in `lang`, in file order: the UI's searchable browser lists these.
    pub fn all(&self, lang: Lang) -> Vec<Entry<'_>> {
        self.entries
            .iter()
            .map(|stored| stored.view(lang))
            .collect()
    }

    /// Entries whose code or `lang` texts contain every word of `query`, ignoring case and
    /// Polish diacritics ("blad" finds "Błąd"). Matches in the code or title come first.
    pub fn search(&self, query: &str, lang: Lang) -> Vec<Entry<'_>> {
        search::search(&self.entries, query, lang)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_ENTRIES: &str = r#"
[[entry]]
code = "unknown"
severity = "error"
source = "ours"
pl = { title = "Nieznany kod", explanation = "Nie znamy tego kodu.", action = "Zgłoś kod." }
en = { title = "Unknown code", explanation = "We do not know this code.", action = "Report the code." }

[[entry]]
code = "ksef.exception.21405"
severity = "error"
source = "ksef"
retryable = false
pl = { title = "Błąd danych", explanation = "KSeF odrzucił dane.", action = "Popraw dane." }
en = { title = "Bad data", explanation = "KSeF rejected the data.", action = "Fix the data." }
"#;

    fn small() -> Dictionary {
        Dictionary::from_toml(TWO_ENTRIES).expect("test dictionary parses")
    }

    #[test]
    fn get_returns_the_requested_language() {
        let dictionary = small();
        let pl = dictionary
            .get("ksef.exception.21405", Lang::Pl)
            .expect("entry");
        let en = dictionary
            .get("ksef.exception.21405", Lang::En)
            .expect("entry");
        assert_eq!(pl.title, "Błąd danych");
        assert_eq!(en.title, "Bad data");
        assert_eq!(pl.retryable, Some(false));
        assert!(pl.known);
    }

    #[test]
    fn describe_falls_back_and_reports_the_requested_code() {
        let dictionary = small();
        let entry = dictionary.describe("no.such.code", Lang::En);
        assert_eq!(entry.code, "no.such.code");
        assert!(!entry.known);
        assert_eq!(entry.title, "Unknown code");
    }

    #[test]
    fn describe_without_any_fallback_entry_still_answers() {
        let dictionary = Dictionary::from_toml("").expect("empty dictionary is valid");
        let entry = dictionary.describe("x.y", Lang::Pl);
        assert_eq!(entry.code, "x.y");
        assert!(!entry.known);
        assert!(!entry.title.is_empty() && !entry.action.is_empty());
    }
}
