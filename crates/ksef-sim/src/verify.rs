//! The one seam to the `fa3` crate: judge an invoice's bytes the way KSeF does and extract the fields the
//! simulator needs (duplicate key, number, issue date).

use chrono::NaiveDate;
use fa3::{validate, Environment as Fa3Env, SchemaSet, ValidationOptions};

use crate::config::Environment;

/// Facts of an invoice that passed verification.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct InvoiceFacts {
    /// `Podmiot1` NIP.
    pub seller_nip: String,
    /// `RodzajFaktury`.
    pub invoice_kind: String,
    /// `P_2`.
    pub invoice_number: String,
    /// `P_1`.
    pub issue_date: NaiveDate,
    /// KSeF's duplicate criterion (seller NIP + kind + number), as `fa3` normalises it.
    pub duplicate_key: String,
}

/// Why an invoice is refused, as a KSeF invoice status.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// Invoice status code: 430 (file verification) or 450 (semantic verification).
    pub status: u16,
    /// One detail line per error finding.
    pub details: Vec<String>,
    /// `P_2` when it could be read, for `invoiceNumber` on failures.
    pub invoice_number: Option<String>,
}

/// Verifies `xml` for the environment on `today` (the acceptance day), with the XSD when loaded.
pub fn verify(
    xml: &[u8],
    environment: Environment,
    today: NaiveDate,
    schemas: Option<&SchemaSet>,
) -> Result<InvoiceFacts, Refusal> {
    let env = match environment {
        Environment::Test => Fa3Env::Test,
        Environment::Production => Fa3Env::Production,
    };
    let report = validate(
        xml,
        &ValidationOptions {
            env,
            today,
            schemas,
        },
    );
    let invoice_number = report.document.as_ref().and_then(|d| d.number.clone());
    let errors: Vec<_> = report.findings.iter().filter(|f| f.is_error()).collect();
    if !errors.is_empty() {
        // Business rules (issue date, NIP checksums, key fields) are semantic: 450; the rest is file-level: 430.
        let semantic = errors.iter().all(|f| {
            let code = f.code.as_str();
            code.starts_with("business.") || code.starts_with("doc.")
        });
        return Err(Refusal {
            status: if semantic { 450 } else { 430 },
            details: errors
                .iter()
                .map(|f| format!("{}: {}", f.code.as_str(), f.message))
                .collect(),
            invoice_number,
        });
    }
    let missing = |what: &str| Refusal {
        status: 450,
        details: vec![format!("missing {what}")],
        invoice_number: invoice_number.clone(),
    };
    let document = report
        .document
        .as_ref()
        .ok_or_else(|| missing("document"))?;
    let key = report
        .key
        .as_ref()
        .ok_or_else(|| missing("duplicate key fields"))?;
    Ok(InvoiceFacts {
        seller_nip: document
            .seller_nip
            .clone()
            .ok_or_else(|| missing("Podmiot1/NIP"))?,
        invoice_kind: document
            .invoice_kind
            .clone()
            .ok_or_else(|| missing("RodzajFaktury"))?,
        invoice_number: document.number.clone().ok_or_else(|| missing("P_2"))?,
        issue_date: document.issue_date.ok_or_else(|| missing("P_1"))?,
        duplicate_key: key.duplicate_key.clone(),
    })
}
