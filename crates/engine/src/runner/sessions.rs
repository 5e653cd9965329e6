//! The runner's own records in the outbox: KSeF sessions it opened and the "send intent" attempt
//! written *before* each send, so that after a crash the sessions an invoice may have reached
//! are known and can be asked instead of sending blindly.

use rusqlite::{params, OptionalExtension};

use crate::state::SubmissionState;
use crate::store::{CompanyId, InvoiceId, Store, StoreError};

/// Attempt kind recorded before a send request leaves.
pub const SEND_INTENT_KIND: &str = "send_intent";

/// A session row still marked open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSessionRow {
    /// Row id.
    pub id: i64,
    /// KSeF session reference.
    pub reference: String,
    /// `online` or `batch`.
    pub kind: String,
}

/// Records a session KSeF opened for us; returns its row id.
pub fn insert_session(
    store: &Store,
    company: CompanyId,
    reference: &str,
    kind: &str,
    valid_until_ms: Option<i64>,
    now_ms: i64,
) -> Result<i64, StoreError> {
    store.conn().execute(
        "INSERT INTO ksef_sessions (company_id, ref, kind, state, opened_at, valid_until)
         VALUES (?1, ?2, ?3, 'open', ?4, ?5)",
        params![company.0, reference, kind, now_ms, valid_until_ms],
    )?;
    Ok(store.conn().last_insert_rowid())
}

/// Marks a session closed (idempotent).
pub fn mark_closed(store: &Store, reference: &str, now_ms: i64) -> Result<(), StoreError> {
    store.conn().execute(
        "UPDATE ksef_sessions SET state = 'closed', closed_at = ?1 WHERE ref = ?2 AND state <> 'closed'",
        params![now_ms, reference],
    )?;
    Ok(())
}

/// Sessions of `company` still marked open, oldest first.
pub fn open_sessions(store: &Store, company: CompanyId) -> Result<Vec<OpenSessionRow>, StoreError> {
    let mut stmt = store.conn().prepare(
        "SELECT id, ref, kind FROM ksef_sessions WHERE company_id = ?1 AND state = 'open' ORDER BY id",
    )?;
    let rows = stmt.query_map([company.0], |r| {
        Ok(OpenSessionRow {
            id: r.get(0)?,
            reference: r.get(1)?,
            kind: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Whether `reference` is one of our sessions.
pub fn is_ours(store: &Store, company: CompanyId, reference: &str) -> Result<bool, StoreError> {
    Ok(store
        .conn()
        .query_row(
            "SELECT 1 FROM ksef_sessions WHERE company_id = ?1 AND ref = ?2",
            params![company.0, reference],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Writes the intent to send `invoice` in session row `session_id`, before the request leaves.
pub fn record_send_intent(
    store: &Store,
    invoice: InvoiceId,
    session_id: i64,
    now_ms: i64,
) -> Result<(), StoreError> {
    store.conn().execute(
        "INSERT INTO attempts (invoice_id, session_id, kind, outcome, started_at, finished_at)
         VALUES (?1, ?2, ?3, 'unknown', ?4, ?4)",
        params![invoice.0, session_id, SEND_INTENT_KIND, now_ms],
    )?;
    Ok(())
}

/// Every session an invoice was ever about to be sent in, newest first.
pub fn sessions_of_invoice(store: &Store, invoice: InvoiceId) -> Result<Vec<String>, StoreError> {
    let mut stmt = store.conn().prepare(
        "SELECT DISTINCT s.ref FROM attempts a JOIN ksef_sessions s ON s.id = a.session_id
         WHERE a.invoice_id = ?1 AND a.kind = ?2 ORDER BY s.id DESC",
    )?;
    let rows = stmt.query_map(params![invoice.0, SEND_INTENT_KIND], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A closed batch session whose invoices still wait for KSeF's processing.
pub const BATCH_PROCESSING: &str = "closing";

/// Sets a session's local state (`open`, `closing`, `closed`, `failed`).
pub fn set_state(
    store: &Store,
    reference: &str,
    state: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    store.conn().execute(
        "UPDATE ksef_sessions SET state = ?1,
             closed_at = CASE WHEN ?1 IN ('closed', 'failed') THEN ?2 ELSE closed_at END
         WHERE ref = ?3",
        params![state, now_ms, reference],
    )?;
    Ok(())
}

/// Batch sessions we closed whose processing outcome is not recorded yet.
pub fn processing_batches(store: &Store, company: CompanyId) -> Result<Vec<String>, StoreError> {
    let mut stmt = store.conn().prepare(
        "SELECT ref FROM ksef_sessions WHERE company_id = ?1 AND kind = 'batch' AND state = ?2
         ORDER BY id",
    )?;
    let rows = stmt.query_map(params![company.0, BATCH_PROCESSING], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Invoices now in `state` that went out (or were about to) in session `reference`, with their
/// fence: found through their send intents, so an invoice not yet told its session is found too.
pub fn in_session(
    store: &Store,
    reference: &str,
    state: SubmissionState,
) -> Result<Vec<crate::store::Claimed>, StoreError> {
    let mut stmt = store.conn().prepare(
        "SELECT DISTINCT i.id, i.fence FROM invoices i
         JOIN attempts a ON a.invoice_id = i.id AND a.kind = ?1
         JOIN ksef_sessions s ON s.id = a.session_id
         WHERE s.ref = ?2 AND i.state = ?3 ORDER BY i.id",
    )?;
    let rows = stmt.query_map(params![SEND_INTENT_KIND, reference, state.as_str()], |r| {
        Ok(crate::store::Claimed {
            id: InvoiceId(r.get(0)?),
            fence: crate::store::Fence(r.get(1)?),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Whether `reference` is a batch session (its receipts come as session UPO pages).
pub fn is_batch(store: &Store, reference: &str) -> Result<bool, StoreError> {
    Ok(store
        .conn()
        .query_row(
            "SELECT 1 FROM ksef_sessions WHERE ref = ?1 AND kind = 'batch'",
            [reference],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Our sessions opened since `since_ms` that are closed (their lists are complete).
pub fn closed_since(
    store: &Store,
    company: CompanyId,
    since_ms: i64,
) -> Result<Vec<String>, StoreError> {
    let mut stmt = store.conn().prepare(
        "SELECT ref FROM ksef_sessions WHERE company_id = ?1 AND state = 'closed'
           AND opened_at >= ?2 ORDER BY id",
    )?;
    let rows = stmt.query_map(params![company.0, since_ms], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A session's kind (`online`, `batch`) and local state, if it is one of our records.
pub fn kind_and_state(
    store: &Store,
    reference: &str,
) -> Result<Option<(String, String)>, StoreError> {
    Ok(store
        .conn()
        .query_row(
            "SELECT kind, state FROM ksef_sessions WHERE ref = ?1",
            [reference],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}
