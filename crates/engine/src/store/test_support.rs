//! Fixtures for store tests: a fresh database file in a temporary directory and a company.

use super::{CompanyId, NewCompany, Store};

/// A store on a fresh file; keep the directory alive as long as the store.
pub(crate) fn temp_store() -> (tempfile::TempDir, Store, CompanyId) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = Store::open(&dir.path().join("outbox.db")).expect("open store");
    let company = store
        .insert_company(
            &NewCompany {
                name: "Seller Sp. z o.o.",
                environment: "test",
                nip: "5265877635",
                base_url: "https://api-test.ksef.mf.gov.pl/v2",
                keyring_ref: "ksef-desk/5265877635/test",
            },
            0,
        )
        .expect("insert company");
    (dir, store, company)
}

/// Inserts a queued invoice with `bytes` as its content, as the importer would.
pub(crate) fn insert_queued(
    store: &mut Store,
    company: CompanyId,
    number: &str,
    bytes: &[u8],
    now_ms: i64,
) -> super::InvoiceId {
    use sha2::{Digest, Sha256};
    let sha = hex::encode(Sha256::digest(bytes));
    let key = format!("5265877635|VAT|{number}");
    let tx = store.conn_mut().transaction().expect("transaction");
    let id = super::insert_invoice(
        &tx,
        &super::NewInvoice {
            company,
            file_name: "f.xml",
            source_path: "f.xml",
            original: bytes,
            sha256: &sha,
            summary: None,
            duplicate_key: Some(&key),
            content_hash: &sha,
            state: crate::state::SubmissionState::Queued,
            conflict_with: None,
            trace_id: "trace",
            findings: &[],
        },
        now_ms,
    )
    .expect("insert invoice");
    tx.commit().expect("commit");
    id
}
