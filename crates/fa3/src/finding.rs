//! Findings: what validation reports, where, and how serious it is.

use crate::code::FindingCode;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// KSeF would reject the document (or, for `business.nip_checksum`, would on production).
    Error,
    /// Worth a look; KSeF accepts the document anyway.
    Warning,
}

/// One problem found in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Stable code the UI and dictionary key on; the rule's source is `code.source()`.
    pub code: FindingCode,
    /// Error or warning.
    pub severity: Severity,
    /// English technical detail. Never contains secrets; never matched on.
    pub message: String,
    /// XPath-like location, e.g. `/Faktura/Fa/P_1`, when known.
    pub path: Option<String>,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// 1-based column in characters, when known.
    pub column: Option<u32>,
}

impl Finding {
    /// Whether this finding makes the document invalid.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}
