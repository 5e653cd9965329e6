//! The production [`InvoiceValidator`]: `fa3::validate`, adapted to the engine's validation
//! port in this one place.

use chrono::NaiveDate;

use crate::validation::{
    parse_minor_units, Finding, InvoiceSummary, InvoiceValidator, Severity, Validation,
};

/// Validates with `fa3` for one environment and acceptance day.
#[derive(Debug, Clone, Copy)]
pub struct Fa3Validator<'s> {
    env: fa3::Environment,
    today: NaiveDate,
    schemas: Option<&'s fa3::SchemaSet>,
}

impl<'s> Fa3Validator<'s> {
    /// A validator for `env`, judging dates against `today` (the day KSeF would accept the
    /// invoice; the caller derives it from the injected clock). Without `schemas` the XSD step is
    /// skipped and `fa3` reports that as a warning.
    pub fn new(
        env: fa3::Environment,
        today: NaiveDate,
        schemas: Option<&'s fa3::SchemaSet>,
    ) -> Fa3Validator<'s> {
        Fa3Validator {
            env,
            today,
            schemas,
        }
    }
}

impl InvoiceValidator for Fa3Validator<'_> {
    fn validate(&self, bytes: &[u8]) -> Validation {
        let options = fa3::ValidationOptions {
            env: self.env,
            today: self.today,
            schemas: self.schemas,
        };
        let report = fa3::validate(bytes, &options);
        Validation {
            findings: report.findings.into_iter().map(finding).collect(),
            duplicate_key: report.key.map(|k| k.duplicate_key),
            summary: report.document.as_ref().map(summary),
        }
    }
}

fn finding(f: fa3::Finding) -> Finding {
    Finding {
        code: f.code.as_str().to_owned(),
        severity: match f.severity {
            fa3::Severity::Error => Severity::Error,
            fa3::Severity::Warning => Severity::Warning,
        },
        message: f.message,
        path: f.path,
    }
}

fn summary(doc: &fa3::Fa3Document) -> InvoiceSummary {
    InvoiceSummary {
        seller_nip: doc.seller_nip.clone(),
        buyer_nip: doc.buyer.as_ref().and_then(party_id),
        buyer_name: doc.buyer_name.clone(),
        invoice_type: doc.invoice_kind.clone(),
        invoice_number: doc.number.clone(),
        issue_date: doc.issue_date.map(|d| d.format("%Y-%m-%d").to_string()),
        currency: doc.currency.clone(),
        gross_minor: doc
            .totals
            .gross
            .as_ref()
            .and_then(|g| parse_minor_units(&g.to_string())),
        line_count: Some(i64::from(doc.line_count)),
        has_attachment: doc.has_attachment,
    }
}

/// The buyer's identifier as one searchable string.
fn party_id(id: &fa3::PartyId) -> Option<String> {
    match id {
        fa3::PartyId::Nip { nip } => Some(nip.clone()),
        fa3::PartyId::InternalId { id } => Some(id.clone()),
        fa3::PartyId::EuVat { country, number } => Some(format!("{country}{number}")),
        fa3::PartyId::Other { country, id } => {
            Some(format!("{}{id}", country.as_deref().unwrap_or("")))
        }
        fa3::PartyId::NoId => None,
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::atomic::AtomicBool;

    use super::*;
    use crate::clock::ManualClock;
    use crate::import::{ImportLimits, Importer, Outcome};
    use crate::rng::seeded;
    use crate::state::SubmissionState;
    use crate::store::test_support::temp_store;
    use crate::store::{InvoiceFilter, InvoiceSort, SortDirection};

    fn ksef_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/ksef")
    }

    /// Text of the first `<tag>` element (the seller's `NIP` comes before the buyer's).
    fn first_text(xml: &str, tag: &str) -> String {
        let open = format!("<{tag}>");
        let start = xml.find(&open).unwrap() + open.len();
        xml[start..].split_once('<').unwrap().0.trim().to_owned()
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 31).expect("valid date")
    }

    #[test]
    fn official_samples_import_as_queued_with_summaries() {
        let schemas = fa3::SchemaSet::load(&ksef_dir().join("schemas")).ok();
        let validator = Fa3Validator::new(fa3::Environment::Test, today(), schemas.as_ref());
        let (_dir, mut store, company) = temp_store();
        let clock = ManualClock::new(0);
        let mut rng = seeded(1);
        let samples = vec![ksef_dir().join("samples/fa3-valid")];
        let summary = Importer::new(&mut store, &validator, &clock, &mut rng, company)
            .import(&samples, &mut |_| {}, &AtomicBool::new(false))
            .unwrap();
        let files = std::fs::read_dir(&samples[0]).unwrap().count() as u64;
        assert_eq!(summary.items.len() as u64, files);
        assert_eq!(summary.invalid + summary.skipped, 0, "{summary:#?}");
        // The official samples reuse numbers: exactly one invoice per distinct duplicate key
        // (seller NIP, kind, number — read here straight from the text) may be queued.
        let keys: std::collections::BTreeSet<_> = std::fs::read_dir(&samples[0])
            .unwrap()
            .map(|e| {
                let xml = std::fs::read_to_string(e.unwrap().path()).unwrap();
                ["NIP", "RodzajFaktury", "P_2"].map(|tag| first_text(&xml, tag))
            })
            .collect();
        assert_eq!(summary.imported, keys.len() as u64);
        assert_eq!(summary.conflicts, files - keys.len() as u64);

        // Independently re-derive the first sample's summary from its XML text.
        let first = summary
            .items
            .iter()
            .find(|i| i.source.ends_with("FA_3_Przyklad_1.xml"))
            .unwrap();
        let xml = std::fs::read_to_string(&first.source).unwrap();
        let text_of = |tag: &str| first_text(&xml, tag);
        let page = store
            .list_invoices(&InvoiceFilter {
                number_contains: Some(text_of("P_2")),
                sort: InvoiceSort::IssueDate,
                direction: SortDirection::Ascending,
                ..InvoiceFilter::all(company)
            })
            .unwrap();
        let row = page
            .rows
            .iter()
            .find(|r| Some(r.id) == first.invoice_id)
            .unwrap();
        assert_eq!(row.issue_date.as_deref(), Some(text_of("P_1").as_str()));
        assert_eq!(row.gross_minor, parse_minor_units(&text_of("P_15")));
        assert_eq!(row.currency.as_deref(), Some(text_of("KodWaluty").as_str()));
        assert_eq!(row.state, SubmissionState::Queued);
    }

    #[test]
    fn a_broken_sample_is_stored_invalid_with_fa3_findings() {
        let validator = Fa3Validator::new(fa3::Environment::Test, today(), None);
        let (_dir, mut store, company) = temp_store();
        let input = tempfile::tempdir().unwrap();
        let mut bytes = vec![0xEF, 0xBB, 0xBF]; // a BOM, which KSeF refuses
        bytes.extend(
            std::fs::read(ksef_dir().join("samples/fa3-valid/FA_3_Przyklad_1.xml")).unwrap(),
        );
        let path = input.path().join("bom.xml");
        std::fs::write(&path, &bytes).unwrap();
        let clock = ManualClock::new(0);
        let mut rng = seeded(1);
        let summary = Importer::new(&mut store, &validator, &clock, &mut rng, company)
            .with_limits(ImportLimits::default())
            .import(&[path], &mut |_| {}, &AtomicBool::new(false))
            .unwrap();
        assert_eq!(summary.items[0].outcome, Outcome::Invalid);
        let id = summary.items[0].invoice_id.unwrap();
        let codes: Vec<String> = store
            .findings(id)
            .unwrap()
            .into_iter()
            .map(|f| f.code)
            .collect();
        assert!(
            codes.contains(&fa3::FindingCode::XmlBom.as_str().to_owned()),
            "{codes:?}"
        );
        assert_eq!(store.invoice(id).unwrap().state, SubmissionState::Invalid);
    }
}
