//! Rendering `validate` results: one JSON object per line, or a readable report.

pub mod json;
pub mod text;

use std::path::PathBuf;

use fa3::{Fa3Document, Finding, XsdStatus};

/// Whether the XSD was applied to a file, as reported to users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XsdOutcome {
    /// Validated against the official schema.
    Validated,
    /// No schema set was available.
    Skipped,
    /// Earlier checks failed, so the XSD was not applied.
    NotRun,
}

impl XsdOutcome {
    /// The JSON form.
    pub const fn as_str(self) -> &'static str {
        match self {
            XsdOutcome::Validated => "validated",
            XsdOutcome::Skipped => "skipped",
            XsdOutcome::NotRun => "not_run",
        }
    }
}

impl From<&XsdStatus> for XsdOutcome {
    fn from(status: &XsdStatus) -> Self {
        match status {
            XsdStatus::Validated => XsdOutcome::Validated,
            XsdStatus::Skipped { .. } => XsdOutcome::Skipped,
            XsdStatus::NotRun => XsdOutcome::NotRun,
        }
    }
}

/// One checked file.
#[derive(Debug)]
pub struct Checked {
    /// The path as the user gave it (or as found under a folder they gave).
    pub file: PathBuf,
    /// Every finding, errors and warnings.
    pub findings: Vec<Finding>,
    /// Whether the XSD was applied.
    pub xsd: XsdOutcome,
    /// The invoice summary, when readable.
    pub document: Option<Fa3Document>,
    /// Hex SHA-256 of the file's bytes, when it was read whole.
    pub sha256: Option<String>,
}

impl Checked {
    /// Valid when no finding is an error (warnings do not count).
    pub fn is_valid(&self) -> bool {
        !self.findings.iter().any(Finding::is_error)
    }
}
