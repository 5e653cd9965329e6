//! The engine's local view for the auditor, read straight from its SQLite store.

use engine::store::{CompanyId, InvoiceFilter, Store, StoreError};
use ksef_api::upo::Upo;
use ksef_api::Sha256B64;

use crate::audit::{LocalInvoice, LocalUpo};

/// Rows fetched per page while reading the store.
const PAGE_ROWS_MAX: u32 = 500;

/// Every invoice of `company`, with its stored bytes' hash, reason codes and parsed UPO.
pub fn read_store(store: &Store, company: CompanyId) -> Result<Vec<LocalInvoice>, StoreError> {
    let mut out = Vec::new();
    let mut filter = InvoiceFilter::all(company);
    filter.limit = PAGE_ROWS_MAX;
    loop {
        let page = store.list_invoices(&filter)?;
        let fetched = page.rows.len();
        for summary in page.rows {
            let row = store.invoice(summary.id)?;
            let bytes = store.original_bytes(summary.id)?;
            let mut reasons: Vec<String> = row.error_code.into_iter().collect();
            reasons.extend(store.findings(summary.id)?.into_iter().map(|f| f.code));
            let upo = store
                .upo(summary.id)?
                .map(|upo| local_upo(&upo.xml, upo.verified));
            out.push(LocalInvoice {
                file_name: row.file_name,
                state: row.state,
                ksef_number: row.ksef_number,
                stored_hash: Some(Sha256B64::of(&bytes).as_str().to_owned()),
                reasons,
                upo,
            });
        }
        if fetched < PAGE_ROWS_MAX as usize {
            return Ok(out);
        }
        filter.offset += PAGE_ROWS_MAX;
    }
}

/// The receipt's first document; an unparsable receipt confirms nothing (empty fields).
fn local_upo(xml: &[u8], verified: bool) -> LocalUpo {
    let parsed = Upo::parse(xml).ok();
    let doc = parsed.as_ref().and_then(|u| u.documents.first());
    LocalUpo {
        verified,
        ksef_number: doc.map(|d| d.ksef_number.to_string()).unwrap_or_default(),
        document_hash: doc
            .map(|d| d.document_hash.as_str().to_owned())
            .unwrap_or_default(),
    }
}
