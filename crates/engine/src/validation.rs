//! The validation port: what the importer needs to know about a file before it may be queued.
//!
//! The importer depends on [`InvoiceValidator`], not on `fa3` directly, so it can be tested with a
//! deterministic stand-in and so `fa3`'s evolving report shape is adapted in exactly one place.

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// KSeF would reject the invoice; it must not be queued.
    Error,
    /// Worth a look; the invoice may still be sent.
    Warning,
}

impl Severity {
    /// The stable string stored in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One problem found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Stable code from the FA(3) finding catalogue (e.g. `xml.bom`).
    pub code: String,
    /// Error or warning.
    pub severity: Severity,
    /// Human-readable explanation.
    pub message: String,
    /// Location in the document, when known.
    pub path: Option<String>,
}

/// Columns the UI lists, filters and sorts on, read from the document when it could be parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvoiceSummary {
    /// `Podmiot1` NIP.
    pub seller_nip: Option<String>,
    /// `Podmiot2` NIP (or other identifier).
    pub buyer_nip: Option<String>,
    /// `Podmiot2` name.
    pub buyer_name: Option<String>,
    /// `RodzajFaktury` (VAT, KOR, …).
    pub invoice_type: Option<String>,
    /// `P_2`.
    pub invoice_number: Option<String>,
    /// `P_1`, ISO `YYYY-MM-DD`.
    pub issue_date: Option<String>,
    /// `KodWaluty`.
    pub currency: Option<String>,
    /// `P_15` in minor units (grosze), exact.
    pub gross_minor: Option<i64>,
    /// Number of `FaWiersz` lines.
    pub line_count: Option<i64>,
    /// Whether a `Zalacznik` is present (such invoices go by batch only).
    pub has_attachment: bool,
}

/// Everything validation says about one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validation {
    /// All findings, errors and warnings.
    pub findings: Vec<Finding>,
    /// KSeF's duplicate key (seller NIP, invoice type and number, KSEF-API.md §8), present when
    /// the document was read far enough to know it. The content hash is not the validator's
    /// business: the importer hashes the exact bytes itself.
    pub duplicate_key: Option<String>,
    /// Present when the document could be parsed.
    pub summary: Option<InvoiceSummary>,
}

impl Validation {
    /// Whether the file may be queued: no error findings and a known duplicate key.
    pub fn is_sendable(&self) -> bool {
        self.duplicate_key.is_some() && !self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

/// Validates one file's bytes. Implementations must not panic on any input.
pub trait InvoiceValidator {
    /// Validates `bytes` (the exact file content).
    fn validate(&self, bytes: &[u8]) -> Validation;
}

/// Parses an exact decimal amount (`"123.4"`, `"-0.05"`) into minor units with two decimals.
/// Returns `None` for anything else, including more than two decimals or overflow.
pub fn parse_minor_units(text: &str) -> Option<i64> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || fraction.len() > 2 || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let fraction: i64 = format!("{fraction:0<2}").parse().ok()?;
    let minor = whole.checked_mul(100)?.checked_add(fraction)?;
    Some(if negative { -minor } else { minor })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_units_are_exact() {
        assert_eq!(parse_minor_units("123.00"), Some(12_300));
        assert_eq!(parse_minor_units("123.4"), Some(12_340));
        assert_eq!(parse_minor_units("7"), Some(700));
        assert_eq!(parse_minor_units("-0.05"), Some(-5));
        // 0.1 + 0.2 style float error must not creep in.
        assert_eq!(parse_minor_units("0.29"), Some(29));
    }

    #[test]
    fn minor_units_reject_what_is_not_an_amount() {
        for bad in [
            "",
            ".5",
            "1.234",
            "1,00",
            "abc",
            "1e3",
            "--1",
            "99999999999999999999",
        ] {
            assert_eq!(parse_minor_units(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn sendable_needs_a_key_and_no_errors() {
        let warning = Finding {
            code: "w".into(),
            severity: Severity::Warning,
            message: String::new(),
            path: None,
        };
        let mut v = Validation {
            findings: vec![warning.clone()],
            duplicate_key: Some("k".into()),
            summary: None,
        };
        assert!(v.is_sendable());
        v.findings.push(Finding {
            severity: Severity::Error,
            ..warning
        });
        assert!(!v.is_sendable());
        v.findings.clear();
        v.duplicate_key = None;
        assert!(!v.is_sendable());
    }
}
