//! `validate`: every rule KSeF applies to an FA(3) document, plus our own checks, in one call.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

use crate::code::FindingCode;
use crate::document::Fa3Document;
use crate::finding::{Finding, Severity};
use crate::key::IdempotencyKey;
use crate::limits::{INVOICE_BYTES_MAX, INVOICE_WITH_ATTACHMENT_BYTES_MAX};
use crate::read::read_into;
use crate::sink::{At, FindingSink};
use crate::xsd::SchemaSet;
use crate::{business, ours};

/// The KSeF environment a document is meant for; some rules differ (NIP checksums).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Environment {
    /// The developers' sandbox (simulator).
    Sandbox,
    /// KSeF TE / TEST.
    Test,
    /// KSeF DEMO (pre-production).
    Demo,
    /// KSeF production.
    Production,
}

/// An unknown environment name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown environment '{0}' (expected sandbox, test, demo or prd)")]
pub struct UnknownEnvironment(String);

impl FromStr for Environment {
    type Err = UnknownEnvironment;

    /// Parses `sandbox`, `test`, `demo` or `prd`, as the CLI takes them.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sandbox" => Ok(Environment::Sandbox),
            "test" => Ok(Environment::Test),
            "demo" => Ok(Environment::Demo),
            "prd" => Ok(Environment::Production),
            other => Err(UnknownEnvironment(other.chars().take(32).collect())),
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Environment::Sandbox => "sandbox",
            Environment::Test => "test",
            Environment::Demo => "demo",
            Environment::Production => "prd",
        })
    }
}

/// What `validate` needs besides the bytes.
#[derive(Debug, Clone, Copy)]
pub struct ValidationOptions<'s> {
    /// Target environment.
    pub env: Environment,
    /// The day KSeF accepts the invoice (injected: this crate has no clock).
    pub today: NaiveDate,
    /// The compiled FA(3) XSD; without it XSD validation is skipped with a warning.
    pub schemas: Option<&'s SchemaSet>,
}

/// Whether the official XSD was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XsdStatus {
    /// The document was validated against the XSD (violations, if any, are findings).
    Validated,
    /// No schemas were available.
    Skipped {
        /// Why.
        reason: String,
    },
    /// Pre-checks failed, so the XSD was not applied.
    NotRun,
}

/// Everything `validate` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationReport {
    /// Every finding, errors and warnings, roughly in document order per rule family.
    pub findings: Vec<Finding>,
    /// Whether the XSD was applied.
    pub xsd: XsdStatus,
    /// The summary, when the document is well-formed FA(3).
    pub document: Option<Fa3Document>,
    /// The idempotency key, when the summary has all duplicate-criterion fields.
    pub key: Option<IdempotencyKey>,
}

impl ValidationReport {
    /// Whether KSeF would accept the document as far as we can tell: no error-severity finding.
    pub fn is_valid(&self) -> bool {
        !self.findings.iter().any(Finding::is_error)
    }

    /// Whether any finding has `code`.
    pub fn has(&self, code: FindingCode) -> bool {
        self.findings.iter().any(|f| f.code == code)
    }
}

/// Validates an FA(3) document against every rule, returning every finding.
///
/// Never panics on input. Inputs above [`crate::limits::INPUT_BYTES_MAX`] are refused without
/// parsing.
pub fn validate(bytes: &[u8], opts: &ValidationOptions<'_>) -> ValidationReport {
    let mut sink = FindingSink::new(bytes);
    let read = read_into(&mut sink, bytes);
    // Everything found so far is an input/XML problem: the XSD only sees documents that pass.
    let prechecks_passed = read.document.is_some() && !sink.has_errors();

    if read.parsed_xml {
        size(&mut sink, bytes.len(), read.has_attachment);
    }
    let xsd = match (prechecks_passed, opts.schemas) {
        (false, _) => XsdStatus::NotRun,
        (true, None) => {
            let reason = "no FA(3) schema set was loaded".to_owned();
            sink.warning(
                FindingCode::SchemaSkipped,
                format!("XSD validation was skipped: {reason}"),
                At::default(),
            );
            XsdStatus::Skipped { reason }
        }
        (true, Some(schemas)) => {
            for v in schemas.validate(bytes) {
                sink.push_positioned(Finding {
                    code: FindingCode::SchemaInvalid,
                    severity: Severity::Error,
                    message: v.message,
                    path: v.path,
                    line: v.line,
                    column: v.column,
                });
            }
            XsdStatus::Validated
        }
    };
    let (document, key) = match read.document {
        Some(parsed) => {
            business::check(&mut sink, &parsed.capture, opts.env, opts.today);
            ours::check(&mut sink, &parsed.capture);
            let key = IdempotencyKey::from_document(&parsed.document);
            (Some(parsed.document), key)
        }
        None => (None, None),
    };
    ValidationReport {
        findings: sink.finish(),
        xsd,
        document,
        key,
    }
}

fn size(sink: &mut FindingSink<'_>, len: usize, has_attachment: bool) {
    if has_attachment {
        if len > INVOICE_WITH_ATTACHMENT_BYTES_MAX {
            sink.error(
                FindingCode::SizeTooLargeWithAttachment,
                format!("document with attachment is {len} bytes; KSeF accepts at most {INVOICE_WITH_ATTACHMENT_BYTES_MAX}"),
                At::default(),
            );
        }
    } else if len > INVOICE_BYTES_MAX {
        sink.error(
            FindingCode::SizeTooLarge,
            format!("document is {len} bytes; KSeF accepts at most {INVOICE_BYTES_MAX} without an attachment"),
            At::default(),
        );
    }
}
