//! The `--json` line format: the wire form scripts consume, kept separate from domain types.

use dictionary::{Dictionary, Lang};
use fa3::Finding;
use serde::Serialize;

use super::Checked;

/// One line of `validate --json` output.
#[derive(Serialize)]
struct FileLine<'a> {
    file: String,
    valid: bool,
    /// Every finding, warnings included; `severity` tells them apart.
    errors: Vec<FindingLine<'a>>,
    xsd: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    invoice_number: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seller_nip: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha256: Option<&'a str>,
}

#[derive(Serialize)]
struct FindingLine<'a> {
    code: &'static str,
    severity: &'static str,
    message: &'a str,
    path: Option<&'a str>,
    line: Option<u32>,
    column: Option<u32>,
    /// `ksef` when KSeF enforces the rule, `ours` for our own checks.
    rule: &'static str,
    /// The dictionary title in the chosen language.
    title: &'a str,
}

/// The JSON line for one checked file (no trailing newline).
pub fn line(checked: &Checked, dictionary: &Dictionary, lang: Lang) -> serde_json::Result<String> {
    let errors = checked
        .findings
        .iter()
        .map(|finding| finding_line(finding, dictionary, lang))
        .collect();
    let document = checked.document.as_ref();
    serde_json::to_string(&FileLine {
        file: checked.file.display().to_string(),
        valid: checked.is_valid(),
        errors,
        xsd: checked.xsd.as_str(),
        invoice_number: document.and_then(|d| d.number.as_deref()),
        seller_nip: document.and_then(|d| d.seller_nip.as_deref()),
        sha256: checked.sha256.as_deref(),
    })
}

fn finding_line<'a>(
    finding: &'a Finding,
    dictionary: &'a Dictionary,
    lang: Lang,
) -> FindingLine<'a> {
    FindingLine {
        code: finding.code.as_str(),
        severity: match finding.severity {
            fa3::Severity::Error => "error",
            fa3::Severity::Warning => "warning",
        },
        message: &finding.message,
        path: finding.path.as_deref(),
        line: finding.line,
        column: finding.column,
        rule: match finding.code.source() {
            fa3::RuleSource::Ksef => "ksef",
            fa3::RuleSource::Ours => "ours",
        },
        title: dictionary.describe(finding.code.as_str(), lang).title,
    }
}
