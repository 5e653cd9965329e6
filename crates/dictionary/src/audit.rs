//! Source scanning for the emitting crates' tests: every code literal must have an entry.
//!
//! Only built with the `audit` feature (or for this crate's own tests): the shipped dictionary
//! stays data plus pure lookups. Emitting crates (engine, ksef-api, desk-api) call
//! [`scan_sources`] on their own `src/` from a test and assert [`check`] accepts every code.
//!
//! The scanner is deliberately textual: it finds quoted tokens (`"…"` or SQL's `'…'`) made only
//! of code characters and starting with a known family such as `engine.` or `ksef.`. A literal
//! that is a whole code is a [`Literal::Code`]; a `format!` string such as
//! `"ksef.exception.{n}"` is a [`Literal::Template`] of its family prefix. Test code and
//! comments are scanned too: a quoted code is held to the same rule wherever it appears, which
//! is how typos in test fixtures (`"ksef.http_503"`) surface.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::{codes, Dictionary};

/// The first segment of every stable code; a quoted token starting with `<family>.` is a code.
pub const CODE_FAMILIES: &[&str] = &[
    "engine", "ksef", "desk", "xsd", "schemas", "input", "xml", "size", "schema", "doc",
    "business", "ours",
];

/// A code-shaped token found in source text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    /// A whole quoted code, e.g. `"engine.stuck"`.
    Code(String),
    /// The fixed start of a format string, e.g. `ksef.exception.` from `"ksef.exception.{n}"`.
    Template(String),
}

/// One literal with where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The file it was found in (empty for [`code_literals`] on bare text).
    pub file: PathBuf,
    /// 1-based line number.
    pub line: usize,
    /// The literal.
    pub literal: Literal,
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, text) = match &self.literal {
            Literal::Code(code) => ("code", code),
            Literal::Template(prefix) => ("template", prefix),
        };
        write!(f, "{}:{}: {kind} {text:?}", self.file.display(), self.line)
    }
}

/// Why a literal does not resolve to a dictionary entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Undocumented {
    /// A whole code with no entry and no open family to answer for it.
    #[error("no dictionary entry for {0:?}")]
    NoEntry(String),
    /// A format string whose prefix is not an open KSeF family (codes must be enumerable).
    #[error("code template {0:?} is not an open KSeF family")]
    NotAFamily(String),
}

impl Undocumented {
    /// Stable code of the failure.
    pub fn code(&self) -> &'static str {
        match self {
            Undocumented::NoEntry(_) => "dictionary.no_entry",
            Undocumented::NotAFamily(_) => "dictionary.not_a_family",
        }
    }
}

/// Whether `literal` is documented in `dictionary`.
///
/// The rule: a code needs an entry of its own, with two open families as the only exception,
/// because their members are chosen by KSeF at run time: a well-formed HTTP status
/// (`ksef.http.<3 digits>`, answered by `ksef.http.5xx` or `ksef.http.other`) and a 403 reason
/// (`ksef.forbidden.<reason>`, answered by `ksef.http.403`). A literal `ksef.exception.<n>` or
/// KSeF status must have its own entry: the dictionary lists exactly KSEF-API.md's codes, so a
/// miss is a typo. A template must be the prefix of a KSeF family that [`Dictionary::describe`]
/// answers with a family entry.
pub fn check(dictionary: &Dictionary, literal: &Literal) -> Result<(), Undocumented> {
    match literal {
        Literal::Code(code) => {
            if dictionary.contains(code) || is_open_family_member(code) {
                Ok(())
            } else {
                Err(Undocumented::NoEntry(code.clone()))
            }
        }
        Literal::Template(prefix) => {
            let answered = codes::family_fallback(&format!("{prefix}0"))
                .is_some_and(|family| dictionary.contains(family));
            if prefix.starts_with("ksef.") && prefix.ends_with('.') && answered {
                Ok(())
            } else {
                Err(Undocumented::NotAFamily(prefix.clone()))
            }
        }
    }
}

/// The literals in `found` that [`check`] refuses, one line each (`file:line: why`), ready for a
/// test's failure message; empty when every one is documented.
pub fn undocumented(dictionary: &Dictionary, found: &[Found]) -> Vec<String> {
    found
        .iter()
        .filter_map(|found| {
            let error = check(dictionary, &found.literal).err()?;
            Some(format!("{found}: {error}"))
        })
        .collect()
}

fn is_open_family_member(code: &str) -> bool {
    if let Some(status) = code.strip_prefix("ksef.http.") {
        return status.len() == 3 && status.bytes().all(|b| b.is_ascii_digit());
    }
    code.strip_prefix("ksef.forbidden.")
        .is_some_and(|reason| !reason.is_empty())
}

/// Every code literal in `source`, in order (with an empty `file`).
pub fn code_literals(source: &str) -> Vec<Found> {
    let mut found = Vec::new();
    for (index, line) in source.lines().enumerate() {
        let mut rest = line;
        while let Some(start) = rest.find(['"', '\'']) {
            let quote = rest[start..].chars().next().unwrap_or('"');
            let after = &rest[start + 1..];
            let token_len = after
                .find(|c: char| !is_code_char(c))
                .unwrap_or(after.len());
            let token = &after[..token_len];
            let next = after[token_len..].chars().next();
            if let Some(rest_of_code) = after_family(token) {
                let literal = match next {
                    Some(c) if c == quote && rest_of_code.starts_with(is_alphanumeric) => {
                        Some(Literal::Code(token.to_owned()))
                    }
                    Some('{') if quote == '"' => Some(Literal::Template(token.to_owned())),
                    _ => None,
                };
                if let Some(literal) = literal {
                    found.push(Found {
                        file: PathBuf::new(),
                        line: index + 1,
                        literal,
                    });
                }
            }
            rest = after;
        }
    }
    found
}

/// Every code literal in the `.rs` files under `root`, files in sorted order.
pub fn scan_sources(root: &Path) -> io::Result<Vec<Found>> {
    let mut files = Vec::new();
    collect_rust_files(root, &mut files)?;
    files.sort();
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)?;
        found.extend(code_literals(&text).into_iter().map(|literal| Found {
            file: file.clone(),
            ..literal
        }));
    }
    Ok(found)
}

fn collect_rust_files(dir: &Path, files: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_rust_files(&path, files)?;
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    Ok(())
}

fn is_code_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
}

/// What follows `<family>.` when `token` starts with a known family.
fn after_family(token: &str) -> Option<&str> {
    let (family, rest) = token.split_once('.')?;
    CODE_FAMILIES.contains(&family).then_some(rest)
}

fn is_alphanumeric(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literals(source: &str) -> Vec<Literal> {
        code_literals(source)
            .into_iter()
            .map(|found| found.literal)
            .collect()
    }

    fn code(text: &str) -> Literal {
        Literal::Code(text.to_owned())
    }

    #[test]
    fn finds_string_sql_and_template_literals() {
        let source = r#"
            let a = "engine.stuck";
            conn.execute("INSERT INTO events (code) VALUES ('engine.imported')");
            format!("ksef.exception.{n}"); format!("engine.{kind}")
        "#;
        assert_eq!(
            literals(source),
            [
                code("engine.stuck"),
                code("engine.imported"),
                Literal::Template("ksef.exception.".to_owned()),
                Literal::Template("engine.".to_owned()),
            ]
        );
        assert_eq!(code_literals(source)[1].line, 3);
    }

    #[test]
    fn ignores_text_that_only_mentions_a_code() {
        let source = r#"
            /// Alert, e.g. `engine.stuck`.
            raise("ksef_unavailable", "ksef.http.503 KSeF down");
            let path = "Cargo.toml"; let s: &'static str = "xml";
            let family = "engine."; let other = "enginex.stuck";
        "#;
        assert_eq!(literals(source), []);
    }

    #[test]
    fn codes_need_an_entry_unless_their_family_is_open() {
        let dictionary = Dictionary::builtin();
        for ok in [
            "engine.stuck",
            "ksef.exception.21405",
            "ksef.http.503",
            "ksef.http.400",
            "ksef.forbidden.some-new-reason",
        ] {
            assert_eq!(check(dictionary, &code(ok)), Ok(()), "{ok}");
        }
        for typo in [
            "engine.stuk",
            "ksef.21401",
            "ksef.http_503",
            "ksef.http.5031",
            "ksef.exception.99999",
            "ksef.invoice.999",
        ] {
            let error = check(dictionary, &code(typo)).expect_err(typo);
            assert_eq!(error.code(), "dictionary.no_entry", "{typo}");
        }
    }

    #[test]
    fn templates_must_be_open_ksef_families() {
        let dictionary = Dictionary::builtin();
        for ok in [
            "ksef.exception.",
            "ksef.http.",
            "ksef.invoice.",
            "ksef.forbidden.",
        ] {
            let template = Literal::Template(ok.to_owned());
            assert_eq!(check(dictionary, &template), Ok(()), "{ok}");
        }
        for bad in ["engine.", "ksef.", "engine.store_", "ksef.exceptions."] {
            let error = check(dictionary, &Literal::Template(bad.to_owned())).expect_err(bad);
            assert_eq!(error.code(), "dictionary.not_a_family", "{bad}");
        }
    }

    #[test]
    fn undocumented_names_each_refused_literal_with_its_place() {
        let mut found = code_literals("let a = \"engine.stuck\";\nlet b = \"engine.stuk\";");
        for f in &mut found {
            f.file = PathBuf::from("src/x.rs");
        }
        let lines = undocumented(Dictionary::builtin(), &found);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].starts_with("src/x.rs:2"), "{}", lines[0]);
        assert!(lines[0].contains("engine.stuk"), "{}", lines[0]);
    }
}
