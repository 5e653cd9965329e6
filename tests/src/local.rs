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
            let hash = Sha256B64::of(&bytes);
            let upo = store
                .upo(summary.id)?
                .map(|upo| local_upo(&upo.xml, upo.verified, &hash));
            out.push(LocalInvoice {
                file_name: row.file_name,
                state: row.state,
                ksef_number: row.ksef_number,
                stored_hash: Some(hash.as_str().to_owned()),
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

/// The receipt's document for our bytes (`hash`): a session UPO page confirms many invoices,
/// so the one whose document hash is ours, else the first (which the auditor then flags). An
/// unparsable receipt confirms nothing (empty fields).
fn local_upo(xml: &[u8], verified: bool, hash: &Sha256B64) -> LocalUpo {
    let parsed = Upo::parse(xml).ok();
    let documents = parsed
        .as_ref()
        .map(|u| u.documents.as_slice())
        .unwrap_or_default();
    let doc = documents
        .iter()
        .find(|d| d.document_hash == *hash)
        .or_else(|| documents.first());
    LocalUpo {
        verified,
        ksef_number: doc.map(|d| d.ksef_number.to_string()).unwrap_or_default(),
        document_hash: doc
            .map(|d| d.document_hash.as_str().to_owned())
            .unwrap_or_default(),
    }
}
