//! The human-readable report: the dictionary's title and "what to do" for every finding.

use std::fmt::Write;

use dictionary::{Dictionary, Lang};
use fa3::Finding;

use super::{Checked, XsdOutcome};

/// Totals for the closing summary line.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Files checked.
    pub files: usize,
    /// Files with no error.
    pub valid: usize,
    /// Warnings across all files.
    pub warnings: usize,
    /// Files the XSD was skipped for (no schema set).
    pub xsd_skipped: usize,
}

impl Tally {
    /// Adds one file's result.
    pub fn add(&mut self, checked: &Checked) {
        self.files += 1;
        self.valid += usize::from(checked.is_valid());
        self.warnings += checked.findings.iter().filter(|f| !f.is_error()).count();
        self.xsd_skipped += usize::from(checked.xsd == XsdOutcome::Skipped);
    }
}

/// The report block for one file, ending with a newline.
pub fn file_block(checked: &Checked, dictionary: &Dictionary, lang: Lang) -> String {
    let mut out = String::new();
    let errors = checked.findings.iter().filter(|f| f.is_error()).count();
    let warnings = checked.findings.len() - errors;
    let verdict = match (lang, checked.is_valid()) {
        (Lang::Pl, true) => "poprawna",
        (Lang::Pl, false) => "NIEPOPRAWNA",
        (Lang::En, true) => "valid",
        (Lang::En, false) => "INVALID",
    };
    let _ = write!(out, "{}: {verdict}", checked.file.display());
    if let Some(document) = &checked.document {
        if let Some(number) = &document.number {
            let _ = match lang {
                Lang::Pl => write!(out, ", faktura {number}"),
                Lang::En => write!(out, ", invoice {number}"),
            };
        }
    }
    if !checked.findings.is_empty() {
        let _ = write!(
            out,
            " ({}, {})",
            count(lang, errors, Noun::Error),
            count(lang, warnings, Noun::Warning)
        );
    }
    out.push('\n');
    for finding in &checked.findings {
        finding_block(&mut out, finding, dictionary, lang);
    }
    out
}

fn finding_block(out: &mut String, finding: &Finding, dictionary: &Dictionary, lang: Lang) {
    let entry = dictionary.describe(finding.code.as_str(), lang);
    let (label, details, todo) = match (lang, finding.is_error()) {
        (Lang::Pl, true) => ("błąd", "Szczegóły", "Co zrobić"),
        (Lang::Pl, false) => ("ostrzeżenie", "Szczegóły", "Co zrobić"),
        (Lang::En, true) => ("error", "Details", "What to do"),
        (Lang::En, false) => ("warning", "Details", "What to do"),
    };
    let _ = writeln!(
        out,
        "  [{label}] {}: {}",
        finding.code.as_str(),
        entry.title
    );
    let location = location(finding, lang);
    if !location.is_empty() {
        let _ = writeln!(out, "      {location}");
    }
    let _ = writeln!(out, "      {details}: {}", finding.message);
    let _ = writeln!(out, "      {todo}: {}", entry.action);
}

fn location(finding: &Finding, lang: Lang) -> String {
    let (line_word, column_word) = match lang {
        Lang::Pl => ("wiersz", "kolumna"),
        Lang::En => ("line", "column"),
    };
    let mut parts = Vec::new();
    if let Some(line) = finding.line {
        parts.push(format!("{line_word} {line}"));
    }
    if let Some(column) = finding.column {
        parts.push(format!("{column_word} {column}"));
    }
    if let Some(path) = &finding.path {
        parts.push(path.clone());
    }
    parts.join(", ")
}

/// The closing summary line, ending with a newline.
pub fn summary(tally: Tally, lang: Lang) -> String {
    let invalid = tally.files - tally.valid;
    let xsd = match (lang, tally.xsd_skipped) {
        (Lang::Pl, 0) => String::new(),
        (Lang::Pl, _) => " Zgodności ze wzorem FA(3) (XSD) nie sprawdzono: brak plików schematu \
                          (pobierz je poleceniem „ksef-desk-cli schemas fetch”)."
            .to_owned(),
        (Lang::En, 0) => String::new(),
        (Lang::En, _) => " The FA(3) XSD check was skipped: no schema files \
                          (download them with \"ksef-desk-cli schemas fetch\")."
            .to_owned(),
    };
    let (head, valid_word, invalid_word) = match lang {
        Lang::Pl => ("Podsumowanie", Noun::ValidFile, Noun::InvalidFile),
        Lang::En => ("Summary", Noun::ValidFile, Noun::InvalidFile),
    };
    format!(
        "{head}: {}, {}, {}, {}.{xsd}\n",
        count(lang, tally.files, Noun::File),
        count(lang, tally.valid, valid_word),
        count(lang, invalid, invalid_word),
        count(lang, tally.warnings, Noun::Warning),
    )
}

/// Words counted in the report.
#[derive(Debug, Clone, Copy)]
enum Noun {
    File,
    ValidFile,
    InvalidFile,
    Error,
    Warning,
}

/// `n` with the noun in the right form: Polish has three plural forms (1 plik, 2 pliki,
/// 5 plików; 12–14 take the last one), English two.
fn count(lang: Lang, n: usize, noun: Noun) -> String {
    let forms: [&str; 3] = match (lang, noun) {
        (Lang::Pl, Noun::File) => ["plik", "pliki", "plików"],
        (Lang::Pl, Noun::ValidFile) => ["poprawny", "poprawne", "poprawnych"],
        (Lang::Pl, Noun::InvalidFile) => ["niepoprawny", "niepoprawne", "niepoprawnych"],
        (Lang::Pl, Noun::Error) => ["błąd", "błędy", "błędów"],
        (Lang::Pl, Noun::Warning) => ["ostrzeżenie", "ostrzeżenia", "ostrzeżeń"],
        (Lang::En, Noun::File) => ["file", "files", "files"],
        (Lang::En, Noun::ValidFile) => ["valid", "valid", "valid"],
        (Lang::En, Noun::InvalidFile) => ["invalid", "invalid", "invalid"],
        (Lang::En, Noun::Error) => ["error", "errors", "errors"],
        (Lang::En, Noun::Warning) => ["warning", "warnings", "warnings"],
    };
    let form = match lang {
        Lang::Pl => polish_plural(n),
        Lang::En if n == 1 => 0,
        Lang::En => 2,
    };
    format!("{n} {}", forms[form])
}

fn polish_plural(n: usize) -> usize {
    if n == 1 {
        0
    } else if (2..=4).contains(&(n % 10)) && !(12..=14).contains(&(n % 100)) {
        1
    } else {
        2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polish_plurals_follow_the_grammar() {
        let forms: Vec<String> = [0, 1, 2, 4, 5, 11, 12, 14, 21, 22, 25, 112, 122]
            .iter()
            .map(|&n| count(Lang::Pl, n, Noun::File))
            .collect();
        assert_eq!(
            forms,
            [
                "0 plików",
                "1 plik",
                "2 pliki",
                "4 pliki",
                "5 plików",
                "11 plików",
                "12 plików",
                "14 plików",
                "21 plików",
                "22 pliki",
                "25 plików",
                "112 plików",
                "122 pliki"
            ]
        );
    }

    #[test]
    fn english_plurals() {
        assert_eq!(count(Lang::En, 1, Noun::Warning), "1 warning");
        assert_eq!(count(Lang::En, 0, Noun::Warning), "0 warnings");
    }

    #[test]
    fn the_summary_mentions_a_skipped_xsd_only_when_it_was_skipped() {
        let checked = Tally {
            files: 2,
            valid: 1,
            warnings: 0,
            xsd_skipped: 0,
        };
        assert_eq!(
            summary(checked, Lang::Pl),
            "Podsumowanie: 2 pliki, 1 poprawny, 1 niepoprawny, 0 ostrzeżeń.\n"
        );
        let skipped = Tally {
            xsd_skipped: 1,
            ..checked
        };
        assert!(summary(skipped, Lang::En).contains("XSD check was skipped"));
    }
}
