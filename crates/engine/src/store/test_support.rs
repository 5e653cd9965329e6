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
