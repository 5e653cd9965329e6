//! Reading dictionary text: the TOML wire form, converted to validated entries.

use std::collections::HashSet;

use serde::Deserialize;

use crate::entry::{Severity, Source, StoredEntry, Texts};

/// Why dictionary text was rejected.
#[derive(Debug, thiserror::Error)]
pub enum DictionaryError {
    /// The text is not TOML of the expected shape.
    #[error("dictionary is not valid TOML: {0}")]
    Syntax(#[from] toml::de::Error),
    /// Two entries share a code.
    #[error("code {code} appears more than once")]
    DuplicateCode {
        /// The repeated code.
        code: String,
    },
    /// A code is empty or has characters outside `a-z 0-9 . _ -`.
    #[error("code {code:?} is not a valid code")]
    InvalidCode {
        /// The offending code.
        code: String,
    },
    /// A title, explanation or action is empty.
    #[error("entry {code}: {field} is empty")]
    EmptyText {
        /// The entry's code.
        code: String,
        /// Which text, e.g. `pl.title`.
        field: String,
    },
}

impl DictionaryError {
    /// A stable code for this error, for UIs and logs.
    pub const fn code(&self) -> &'static str {
        match self {
            DictionaryError::Syntax(_) => "dictionary.syntax",
            DictionaryError::DuplicateCode { .. } => "dictionary.duplicate_code",
            DictionaryError::InvalidCode { .. } => "dictionary.invalid_code",
            DictionaryError::EmptyText { .. } => "dictionary.empty_text",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDto {
    #[serde(default)]
    entry: Vec<EntryDto>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryDto {
    code: String,
    severity: SeverityDto,
    source: SourceDto,
    retryable: Option<bool>,
    pl: TextsDto,
    en: TextsDto,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TextsDto {
    title: String,
    explanation: String,
    action: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum SeverityDto {
    Error,
    Warning,
    Info,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum SourceDto {
    Ksef,
    Ours,
    Engine,
}

/// Parses and validates `text` into entries, keeping file order.
pub(crate) fn parse(text: &str) -> Result<Vec<StoredEntry>, DictionaryError> {
    let file: FileDto = toml::from_str(text)?;
    let mut seen = HashSet::new();
    let mut entries = Vec::with_capacity(file.entry.len());
    for dto in file.entry {
        if !is_valid_code(&dto.code) {
            return Err(DictionaryError::InvalidCode { code: dto.code });
        }
        if !seen.insert(dto.code.clone()) {
            return Err(DictionaryError::DuplicateCode { code: dto.code });
        }
        let pl = texts(&dto.code, "pl", dto.pl)?;
        let en = texts(&dto.code, "en", dto.en)?;
        entries.push(StoredEntry {
            severity: match dto.severity {
                SeverityDto::Error => Severity::Error,
                SeverityDto::Warning => Severity::Warning,
                SeverityDto::Info => Severity::Info,
            },
            source: match dto.source {
                SourceDto::Ksef => Source::Ksef,
                SourceDto::Ours => Source::Ours,
                SourceDto::Engine => Source::Engine,
            },
            retryable: dto.retryable,
            code: dto.code,
            pl,
            en,
        });
    }
    Ok(entries)
}

fn is_valid_code(code: &str) -> bool {
    !code.is_empty()
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

fn texts(code: &str, lang: &str, dto: TextsDto) -> Result<Texts, DictionaryError> {
    for (name, value) in [
        ("title", &dto.title),
        ("explanation", &dto.explanation),
        ("action", &dto.action),
    ] {
        if value.trim().is_empty() {
            return Err(DictionaryError::EmptyText {
                code: code.to_owned(),
                field: format!("{lang}.{name}"),
            });
        }
    }
    Ok(Texts {
        title: dto.title.trim().to_owned(),
        explanation: dto.explanation.trim().to_owned(),
        action: dto.action.trim().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(code: &str, pl_title: &str) -> String {
        format!(
            r#"
[[entry]]
code = "{code}"
severity = "warning"
source = "ours"
pl = {{ title = "{pl_title}", explanation = "Wyjaśnienie.", action = "Działanie." }}
en = {{ title = "Title", explanation = "Explanation.", action = "Action." }}
"#
        )
    }

    #[test]
    fn reads_an_entry() {
        let entries = parse(&entry("xml.bom", "Znacznik BOM")).expect("parses");
        let [only] = entries.as_slice() else {
            panic!("expected one entry, got {}", entries.len());
        };
        assert_eq!(only.code, "xml.bom");
        assert_eq!(only.severity, Severity::Warning);
        assert_eq!(only.source, Source::Ours);
        assert_eq!(only.retryable, None);
        assert_eq!(only.pl.title, "Znacznik BOM");
    }

    #[test]
    fn rejects_duplicate_codes() {
        let text = entry("xml.bom", "A") + &entry("xml.bom", "B");
        let error = parse(&text).expect_err("duplicate");
        assert_eq!(error.code(), "dictionary.duplicate_code");
    }

    #[test]
    fn rejects_empty_texts() {
        let error = parse(&entry("xml.bom", "  ")).expect_err("empty title");
        assert!(
            matches!(&error, DictionaryError::EmptyText { field, .. } if field == "pl.title"),
            "{error:?}"
        );
    }

    #[test]
    fn rejects_codes_with_spaces_or_capitals() {
        for bad in ["", "Xml.bom", "xml bom"] {
            let error = parse(&entry(bad, "A")).expect_err(bad);
            assert_eq!(error.code(), "dictionary.invalid_code", "{bad:?}");
        }
    }

    #[test]
    fn rejects_unknown_fields_and_bad_enums() {
        let typo = entry("xml.bom", "A").replace("severity", "severty");
        assert_eq!(parse(&typo).expect_err("typo").code(), "dictionary.syntax");
        let bad_source = entry("xml.bom", "A").replace("\"ours\"", "\"them\"");
        assert_eq!(
            parse(&bad_source).expect_err("source").code(),
            "dictionary.syntax"
        );
    }
}
