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

/// Alert kind of an accepted invoice whose UPO KSeF will not hand out; while it is open the
/// runner stops asking (resolving the alert makes it try again).
pub const UPO_UNAVAILABLE_ALERT: &str = "upo_unavailable";

/// Alert kind of an unknown outcome KSeF could not settle in time; while it is open the runner
/// stops asking and a person decides (resolving the alert makes it ask again).
pub const UNRESOLVED_ALERT: &str = "outcome_unresolved";

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

/// Queued invoices due now that carry an attachment (`Zalacznik`): KSeF takes those only in a
/// batch session. Kept apart from [`ready_count`], which the `invoices_ready` index answers alone:
/// this one reads each due row, so the sender asks it only when fewer than a batch are due.
pub fn ready_with_attachment(
    store: &Store,
    company: CompanyId,
    now_ms: i64,
) -> Result<usize, StoreError> {
    let n: i64 = store.conn().query_row(
        "SELECT count(*) FROM invoices WHERE company_id = ?1 AND state = 'queued'
           AND next_attempt_at <= ?2 AND has_attachment = 1",
        params![company.0, now_ms],
        |r| r.get(0),
    )?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// Accepted invoices without a stored UPO that the runner still asks for (no open
/// [`UPO_UNAVAILABLE_ALERT`]): `(id, session ref, KSeF number)`.
pub fn missing_upos(
    store: &Store,
    company: CompanyId,
    limit: usize,
) -> Result<Vec<(InvoiceId, Option<String>, String)>, StoreError> {
    let mut stmt = store.conn().prepare(
        "SELECT i.id, i.ksef_session_ref, i.ksef_number FROM invoices i
         LEFT JOIN upos u ON u.invoice_id = i.id
         WHERE i.company_id = ?1 AND i.state = 'accepted' AND u.id IS NULL
           AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.invoice_id = i.id AND a.kind = ?3
                             AND a.resolved_at IS NULL)
         ORDER BY i.id LIMIT ?2",
    )?;
    let rows = stmt.query_map(
        params![
            company.0,
            i64::try_from(limit).unwrap_or(i64::MAX),
            UPO_UNAVAILABLE_ALERT
        ],
        |r| Ok((InvoiceId(r.get(0)?), r.get(1)?, r.get(2)?)),
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// `needs_attention` invoices whose outcome is unknown and may be resolved by asking KSeF
/// (not yet handed to a person with an open [`UNRESOLVED_ALERT`]).
pub fn unresolved(
    store: &Store,
    company: CompanyId,
    limit: usize,
) -> Result<Vec<InvoiceId>, StoreError> {
    let [a, b] = unknown_outcome_codes();
    let mut stmt = store.conn().prepare(
        "SELECT i.id FROM invoices i WHERE i.company_id = ?1 AND i.state = 'needs_attention'
           AND i.error_code IN (?2, ?3)
           AND NOT EXISTS (SELECT 1 FROM alerts al WHERE al.invoice_id = i.id AND al.kind = ?5
                             AND al.resolved_at IS NULL)
         ORDER BY i.id LIMIT ?4",
    )?;
    let rows = stmt.query_map(
        params![
            company.0,
            a,
            b,
            i64::try_from(limit).unwrap_or(i64::MAX),
            UNRESOLVED_ALERT
        ],
        |r| Ok(InvoiceId(r.get(0)?)),
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// When `invoice` last entered `sent` (the adaptive poll interval grows from there).
pub fn sent_at(store: &Store, invoice: InvoiceId) -> Result<Option<i64>, StoreError> {
    entered_at(store, invoice, "sent")
}

/// When `invoice` last entered `state` (its stored string form).
pub fn entered_at(
    store: &Store,
    invoice: InvoiceId,
    state: &str,
) -> Result<Option<i64>, StoreError> {
    Ok(store
        .conn()
        .query_row(
            "SELECT max(at) FROM events WHERE invoice_id = ?1 AND to_state = ?2",
            params![invoice.0, state],
            |r| r.get(0),
        )
        .optional()?
        .flatten())
}

/// What KSeF's invoice search needs to find an invoice: seller NIP, `P_2` and `P_1` as read at
/// import (absent when the file could not be read that far).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchKey {
    /// Seller NIP.
    pub seller_nip: String,
    /// `P_2`.
    pub invoice_number: String,
    /// `P_1`, ISO `YYYY-MM-DD`.
    pub issue_date: String,
}

/// The search key of `invoice`, when import recorded all three parts.
pub fn search_key(store: &Store, invoice: InvoiceId) -> Result<Option<SearchKey>, StoreError> {
    let row: Option<(Option<String>, Option<String>, Option<String>)> = store
        .conn()
        .query_row(
            "SELECT seller_nip, invoice_number, issue_date FROM invoices WHERE id = ?1",
            [invoice.0],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    Ok(match row {
        Some((Some(seller_nip), Some(invoice_number), Some(issue_date))) => Some(SearchKey {
            seller_nip,
            invoice_number,
            issue_date,
        }),
        _ => None,
    })
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

/// Invoices the runner still has work for: queued, sending, sent, unknown outcomes and accepted
/// invoices without a UPO that it still asks KSeF about (no open alert handing them to a
/// person). Zero means idle.
pub fn open_work(store: &Store, company: CompanyId) -> Result<i64, StoreError> {
    let [a, b] = unknown_outcome_codes();
    Ok(store.conn().query_row(
        "SELECT count(*) FROM invoices i LEFT JOIN upos u ON u.invoice_id = i.id
         WHERE i.company_id = ?1 AND (
               i.state IN ('queued', 'sending', 'sent')
            OR (i.state = 'needs_attention' AND i.error_code IN (?2, ?3)
                AND NOT EXISTS (SELECT 1 FROM alerts al WHERE al.invoice_id = i.id
                                  AND al.kind = ?5 AND al.resolved_at IS NULL))
            OR (i.state = 'accepted' AND u.id IS NULL
                AND NOT EXISTS (SELECT 1 FROM alerts al WHERE al.invoice_id = i.id
                                  AND al.kind = ?4 AND al.resolved_at IS NULL)))",
        params![company.0, a, b, UPO_UNAVAILABLE_ALERT, UNRESOLVED_ALERT],
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
