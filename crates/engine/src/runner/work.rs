//! Read-only questions the runner asks the outbox each tick: what is due, what waits for a UPO,
//! which unknown outcomes to resolve, and when anything becomes due next.

use rusqlite::{params, OptionalExtension};

use crate::store::{CompanyId, InvoiceId, Store, StoreError};

/// Codes of `needs_attention` invoices whose send may have reached KSeF: the runner resolves
/// these by asking KSeF; every other `needs_attention` waits for a person.
pub fn unknown_outcome_codes() -> [&'static str; 2] {
    [
        "engine.lease_expired",
        ksef_api::ErrorClass::OutcomeUnknown.code(),
    ]
}

/// Queued invoices due now.
pub fn ready_count(store: &Store, company: CompanyId, now_ms: i64) -> Result<usize, StoreError> {
    let n: i64 = store.conn().query_row(
        "SELECT count(*) FROM invoices WHERE company_id = ?1 AND state = 'queued'
           AND next_attempt_at <= ?2",
        params![company.0, now_ms],
        |r| r.get(0),
    )?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// Accepted invoices without a stored UPO: `(id, session ref, KSeF number)`.
pub fn missing_upos(
    store: &Store,
    company: CompanyId,
    limit: usize,
) -> Result<Vec<(InvoiceId, Option<String>, String)>, StoreError> {
    let mut stmt = store.conn().prepare(
        "SELECT i.id, i.ksef_session_ref, i.ksef_number FROM invoices i
         LEFT JOIN upos u ON u.invoice_id = i.id
         WHERE i.company_id = ?1 AND i.state = 'accepted' AND u.id IS NULL
         ORDER BY i.id LIMIT ?2",
    )?;
    let rows = stmt.query_map(
        params![company.0, i64::try_from(limit).unwrap_or(i64::MAX)],
        |r| Ok((InvoiceId(r.get(0)?), r.get(1)?, r.get(2)?)),
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// `needs_attention` invoices whose outcome is unknown and may be resolved by asking KSeF.
pub fn unresolved(
    store: &Store,
    company: CompanyId,
    limit: usize,
) -> Result<Vec<InvoiceId>, StoreError> {
    let [a, b] = unknown_outcome_codes();
    let mut stmt = store.conn().prepare(
        "SELECT id FROM invoices WHERE company_id = ?1 AND state = 'needs_attention'
           AND error_code IN (?2, ?3) ORDER BY id LIMIT ?4",
    )?;
    let rows = stmt.query_map(
        params![company.0, a, b, i64::try_from(limit).unwrap_or(i64::MAX)],
        |r| Ok(InvoiceId(r.get(0)?)),
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// When `invoice` last entered `sent` (the adaptive poll interval grows from there).
pub fn sent_at(store: &Store, invoice: InvoiceId) -> Result<Option<i64>, StoreError> {
    Ok(store
        .conn()
        .query_row(
            "SELECT max(at) FROM events WHERE invoice_id = ?1 AND to_state = 'sent'",
            [invoice.0],
            |r| r.get(0),
        )
        .optional()?
        .flatten())
}

/// The earliest `next_attempt_at` among queued and sent invoices, and the earliest lease expiry.
pub fn next_due_ms(store: &Store, company: CompanyId) -> Result<Option<i64>, StoreError> {
    Ok(store.conn().query_row(
        "SELECT min(t) FROM (
             SELECT min(next_attempt_at) AS t FROM invoices
              WHERE company_id = ?1 AND state IN ('queued', 'sent')
             UNION ALL
             SELECT min(lease_until) FROM invoices WHERE company_id = ?1 AND state = 'sending')",
        [company.0],
        |r| r.get(0),
    )?)
}

/// Invoices the runner still has work for: queued, sending, sent, resolvable unknown outcomes
/// and accepted ones without a UPO. Zero means idle.
pub fn open_work(store: &Store, company: CompanyId) -> Result<i64, StoreError> {
    let [a, b] = unknown_outcome_codes();
    Ok(store.conn().query_row(
        "SELECT count(*) FROM invoices i LEFT JOIN upos u ON u.invoice_id = i.id
         WHERE i.company_id = ?1 AND (
               i.state IN ('queued', 'sending', 'sent')
            OR (i.state = 'needs_attention' AND i.error_code IN (?2, ?3))
            OR (i.state = 'accepted' AND u.id IS NULL))",
        params![company.0, a, b],
        |r| r.get(0),
    )?)
}

/// `needs_attention` invoices that wait for a person (not resolvable by asking KSeF), with codes.
pub fn awaiting_person(
    store: &Store,
    company: CompanyId,
) -> Result<Vec<(InvoiceId, Option<String>)>, StoreError> {
    let [a, b] = unknown_outcome_codes();
    let mut stmt = store.conn().prepare(
        "SELECT id, error_code FROM invoices WHERE company_id = ?1
           AND state = 'needs_attention' AND coalesce(error_code, '') NOT IN (?2, ?3)",
    )?;
    let rows = stmt.query_map(params![company.0, a, b], |r| {
        Ok((InvoiceId(r.get(0)?), r.get(1)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Invoices still to be sent, due or not (queued, sending).
pub fn pending_sends(store: &Store, company: CompanyId) -> Result<i64, StoreError> {
    Ok(store.conn().query_row(
        "SELECT count(*) FROM invoices WHERE company_id = ?1 AND state IN ('queued', 'sending')",
        [company.0],
        |r| r.get(0),
    )?)
}

/// Our accepted invoice with this KSeF number, if any.
pub fn accepted_by_number(
    store: &Store,
    company: CompanyId,
    ksef_number: &str,
) -> Result<Option<InvoiceId>, StoreError> {
    Ok(store
        .conn()
        .query_row(
            "SELECT id FROM invoices WHERE company_id = ?1 AND state = 'accepted'
               AND ksef_number = ?2",
            params![company.0, ksef_number],
            |r| Ok(InvoiceId(r.get(0)?)),
        )
        .optional()?)
}

/// Whether `company` has an invoice whose exact bytes hash to `sha256_hex`.
pub fn has_content(
    store: &Store,
    company: CompanyId,
    sha256_hex: &str,
) -> Result<bool, StoreError> {
    Ok(store
        .conn()
        .query_row(
            "SELECT 1 FROM invoices WHERE company_id = ?1 AND sha256 = ?2 LIMIT 1",
            params![company.0, sha256_hex],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}
