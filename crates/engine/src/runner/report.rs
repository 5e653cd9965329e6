//! What the CLI shows and keys on: the company a database serves, and one status line per
//! invoice (with whether its UPO is stored).

use rusqlite::{params, OptionalExtension};

use crate::state::SubmissionState;
use crate::store::{CompanyId, InvoiceId, NewCompany, Store, StoreError};

/// One invoice as `status` prints it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StatusRow {
    /// Row id (what `events ID` takes).
    pub id: InvoiceId,
    /// Where it was imported from.
    pub file: String,
    /// `P_2`, when readable.
    pub invoice_number: Option<String>,
    /// Our state.
    pub state: SubmissionState,
    /// KSeF number once accepted.
    pub ksef_number: Option<String>,
    /// Whether the UPO is stored.
    pub upo: bool,
    /// Last error code.
    pub error_code: Option<String>,
    /// Correlates log lines and events.
    pub trace_id: String,
}

/// Every invoice of every company, oldest first.
pub fn status_rows(store: &Store) -> Result<Vec<StatusRow>, StoreError> {
    let mut stmt = store.conn().prepare(
        "SELECT i.id, i.source_path, i.invoice_number, i.state, i.ksef_number, u.id IS NOT NULL,
                i.error_code, i.trace_id
         FROM invoices i LEFT JOIN upos u ON u.invoice_id = i.id ORDER BY i.id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(StatusRow {
            id: InvoiceId(r.get(0)?),
            file: r.get(1)?,
            invoice_number: r.get(2)?,
            state: r.get(3)?,
            ksef_number: r.get(4)?,
            upo: r.get(5)?,
            error_code: r.get(6)?,
            trace_id: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The company with this NIP in `environment`, if registered.
pub fn find_company(
    store: &Store,
    environment: &str,
    nip: &str,
) -> Result<Option<CompanyId>, StoreError> {
    Ok(store
        .conn()
        .query_row(
            "SELECT id FROM companies WHERE environment = ?1 AND nip = ?2",
            params![environment, nip],
            |r| Ok(CompanyId(r.get(0)?)),
        )
        .optional()?)
}

/// Every registered company, oldest first.
pub fn companies(store: &Store) -> Result<Vec<CompanyId>, StoreError> {
    let mut stmt = store
        .conn()
        .prepare("SELECT id FROM companies ORDER BY id")?;
    let rows = stmt.query_map([], |r| Ok(CompanyId(r.get(0)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The company with this NIP in `environment`, registered now if new.
pub fn ensure_company(
    store: &mut Store,
    environment: &str,
    nip: &str,
    base_url: &str,
    now_ms: i64,
) -> Result<CompanyId, StoreError> {
    if let Some(id) = find_company(store, environment, nip)? {
        return Ok(id);
    }
    // The desktop app's naming, so a token saved there is found by the CLI too.
    let keyring_ref = format!("company-{nip}-{environment}");
    store.insert_company(
        &NewCompany {
            name: nip,
            environment,
            nip,
            base_url,
            keyring_ref: &keyring_ref,
        },
        now_ms,
    )
}
