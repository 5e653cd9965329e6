//! Writing the outbox: companies, new invoices with their findings, claims with leases, fenced
//! state changes and attempt records.

use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};

use super::records::{raise_alert_in, NewAlert};
use super::{CompanyId, Fence, InvoiceId, Store, StoreError};
use crate::state::{self, Applied, Change, Guard, Lease, RowFacts, SubmissionState};
use crate::validation::{Finding, InvoiceSummary};

/// A company to register. The credential stays in the OS keyring; only its entry name is stored.
#[derive(Debug, Clone)]
pub struct NewCompany<'a> {
    /// Display name.
    pub name: &'a str,
    /// `test`, `demo` or `prod`.
    pub environment: &'a str,
    /// The company's NIP (its KSeF context).
    pub nip: &'a str,
    /// KSeF API base URL for the environment.
    pub base_url: &'a str,
    /// Name of the keyring entry holding the credential.
    pub keyring_ref: &'a str,
}

/// A registered company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Company {
    /// Row id.
    pub id: CompanyId,
    /// Display name.
    pub name: String,
    /// `sandbox`, `test`, `demo` or `prod`.
    pub environment: String,
    /// NIP.
    pub nip: String,
    /// KSeF API base URL.
    pub base_url: String,
    /// Keyring entry name.
    pub keyring_ref: String,
}

/// A finding to store with a new invoice.
pub type NewFinding = Finding;

/// A new invoice as the importer hands it to the store.
#[derive(Debug, Clone)]
pub struct NewInvoice<'a> {
    /// Owning company.
    pub company: CompanyId,
    /// File name shown to people.
    pub file_name: &'a str,
    /// Where it came from (path, or `archive.zip!entry`).
    pub source_path: &'a str,
    /// The exact original bytes; what is sent is exactly what was imported.
    pub original: &'a [u8],
    /// SHA-256 of `original`, lowercase hex.
    pub sha256: &'a str,
    /// Summary columns, when the document could be parsed.
    pub summary: Option<&'a InvoiceSummary>,
    /// KSeF duplicate key, when known.
    pub duplicate_key: Option<&'a str>,
    /// Content hash (unique per company).
    pub content_hash: &'a str,
    /// Starting state: `invalid`, `conflict` or `queued`.
    pub state: SubmissionState,
    /// For `conflict`: the invoice it collides with.
    pub conflict_with: Option<InvoiceId>,
    /// Correlates this invoice's log lines, events and KSeF calls.
    pub trace_id: &'a str,
    /// Validation findings.
    pub findings: &'a [NewFinding],
}

/// An invoice claimed for sending: the id and the fencing token every later write must present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claimed {
    /// The claimed invoice.
    pub id: InvoiceId,
    /// Token proving this worker still holds the claim.
    pub fence: Fence,
}

/// What one claim pass found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaimOutcome {
    /// Invoices now `sending` under this worker's lease.
    pub claimed: Vec<Claimed>,
    /// Invoices whose `sending` lease had expired: the outcome of their last request is unknown,
    /// so they were moved to `needs_attention` for resolution instead of being resent.
    pub unresolved: Vec<InvoiceId>,
}

/// One invoice as stored (without its bytes), invariants checked on read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceRow {
    /// Row id.
    pub id: InvoiceId,
    /// Owning company.
    pub company: CompanyId,
    /// File name.
    pub file_name: String,
    /// Current state.
    pub state: SubmissionState,
    /// Current fencing token.
    pub fence: Fence,
    /// Attempts started so far.
    pub attempts: i64,
    /// When a queued invoice is due.
    pub next_attempt_at: Option<i64>,
    /// Lease holder while sending.
    pub lease_owner: Option<String>,
    /// Lease expiry while sending.
    pub lease_until: Option<i64>,
    /// KSeF duplicate key.
    pub duplicate_key: Option<String>,
    /// Content hash.
    pub content_hash: String,
    /// The invoice this one conflicts with.
    pub conflict_with: Option<InvoiceId>,
    /// KSeF session reference.
    pub ksef_session_ref: Option<String>,
    /// KSeF invoice reference.
    pub ksef_invoice_ref: Option<String>,
    /// KSeF number.
    pub ksef_number: Option<String>,
    /// Last error code.
    pub error_code: Option<String>,
    /// Last error detail.
    pub error_detail: Option<String>,
    /// Trace id.
    pub trace_id: String,
}

const INVOICE_COLUMNS: &str = "id, company_id, file_name, state, fence, attempts, next_attempt_at,
    lease_owner, lease_until, duplicate_key, content_hash, conflict_with, ksef_session_ref,
    ksef_invoice_ref, ksef_number, error_code, error_detail, trace_id";

fn invoice_from_row(r: &Row<'_>) -> rusqlite::Result<InvoiceRow> {
    Ok(InvoiceRow {
        id: InvoiceId(r.get(0)?),
        company: CompanyId(r.get(1)?),
        file_name: r.get(2)?,
        state: r.get(3)?,
        fence: Fence(r.get(4)?),
        attempts: r.get(5)?,
        next_attempt_at: r.get(6)?,
        lease_owner: r.get(7)?,
        lease_until: r.get(8)?,
        duplicate_key: r.get(9)?,
        content_hash: r.get(10)?,
        conflict_with: r.get::<_, Option<i64>>(11)?.map(InvoiceId),
        ksef_session_ref: r.get(12)?,
        ksef_invoice_ref: r.get(13)?,
        ksef_number: r.get(14)?,
        error_code: r.get(15)?,
        error_detail: r.get(16)?,
        trace_id: r.get(17)?,
    })
}

/// Checks a row read from the database against what its state implies.
fn checked(row: InvoiceRow) -> Result<InvoiceRow, StoreError> {
    let facts = RowFacts {
        state: row.state,
        has_ksef_number: row.ksef_number.is_some(),
        has_invoice_ref: row.ksef_invoice_ref.is_some(),
        has_lease: row.lease_owner.is_some() || row.lease_until.is_some(),
        has_next_attempt: row.next_attempt_at.is_some(),
        has_conflict_with: row.conflict_with.is_some(),
        conflicts_with_itself: row.conflict_with == Some(row.id),
        names_ksef_original: row.error_code.as_deref() == Some(state::DUPLICATE_FOREIGN_CODE),
    };
    state::check_invariants(facts).map_err(|what| StoreError::Invariant { id: row.id.0, what })?;
    Ok(row)
}

impl Store {
    /// Registers a company.
    pub fn insert_company(
        &mut self,
        c: &NewCompany<'_>,
        now_ms: i64,
    ) -> Result<CompanyId, StoreError> {
        self.conn().execute(
            "INSERT INTO companies (name, environment, nip, base_url, keyring_ref, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                c.name,
                c.environment,
                c.nip,
                c.base_url,
                c.keyring_ref,
                now_ms
            ],
        )?;
        Ok(CompanyId(self.conn().last_insert_rowid()))
    }

    /// Reads a company.
    pub fn company(&self, id: CompanyId) -> Result<Company, StoreError> {
        self.conn()
            .query_row(
                "SELECT id, name, environment, nip, base_url, keyring_ref FROM companies WHERE id = ?1",
                [id.0],
                |r| {
                    Ok(Company {
                        id: CompanyId(r.get(0)?),
                        name: r.get(1)?,
                        environment: r.get(2)?,
                        nip: r.get(3)?,
                        base_url: r.get(4)?,
                        keyring_ref: r.get(5)?,
                    })
                },
            )
            .optional()?
            .ok_or(StoreError::CompanyNotFound(id.0))
    }

    /// Reads one invoice, checking its state invariants.
    pub fn invoice(&self, id: InvoiceId) -> Result<InvoiceRow, StoreError> {
        let sql = format!("SELECT {INVOICE_COLUMNS} FROM invoices WHERE id = ?1");
        let raw = self
            .conn()
            .query_row(&sql, [id.0], invoice_from_row)
            .optional()?
            .ok_or(StoreError::InvoiceNotFound(id.0))?;
        checked(raw)
    }

    /// The exact bytes that were imported (and are what gets sent).
    pub fn original_bytes(&self, id: InvoiceId) -> Result<Vec<u8>, StoreError> {
        self.conn()
            .query_row("SELECT original FROM invoices WHERE id = ?1", [id.0], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or(StoreError::InvoiceNotFound(id.0))
    }

    /// The findings stored with an invoice, in validation order.
    pub fn findings(&self, id: InvoiceId) -> Result<Vec<Finding>, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT code, severity, message, path FROM findings WHERE invoice_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([id.0], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get(2)?,
                r.get(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (code, severity, message, path) = row?;
            let severity = match severity.as_str() {
                "error" => crate::validation::Severity::Error,
                "warning" => crate::validation::Severity::Warning,
                _ => {
                    return Err(StoreError::Corrupt {
                        column: "severity",
                        value: severity,
                    })
                }
            };
            out.push(Finding {
                code,
                severity,
                message,
                path,
            });
        }
        Ok(out)
    }

    /// Claims up to `limit` due invoices of `company` for `owner` for `lease_ms`, in one short
    /// transaction. Expired `sending` leases are moved to `needs_attention` (outcome unknown),
    /// never silently re-claimed.
    pub fn claim_ready(
        &mut self,
        company: CompanyId,
        now_ms: i64,
        limit: usize,
        lease_ms: i64,
        owner: &str,
    ) -> Result<ClaimOutcome, StoreError> {
        self.claim(company, now_ms, limit, lease_ms, owner, true)
    }

    /// [`claim_ready`](Self::claim_ready) for an online session: invoices with an attachment
    /// are never claimed, since KSeF takes those only in batch sessions. The filter sits in the
    /// claim itself, so an import landing after the sender looked cannot slip one in.
    pub fn claim_ready_online(
        &mut self,
        company: CompanyId,
        now_ms: i64,
        limit: usize,
        lease_ms: i64,
        owner: &str,
    ) -> Result<ClaimOutcome, StoreError> {
        self.claim(company, now_ms, limit, lease_ms, owner, false)
    }

    fn claim(
        &mut self,
        company: CompanyId,
        now_ms: i64,
        limit: usize,
        lease_ms: i64,
        owner: &str,
        attachments: bool,
    ) -> Result<ClaimOutcome, StoreError> {
        assert!(lease_ms > 0, "a lease must last some time");
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut outcome = ClaimOutcome {
            unresolved: expire_leases_until(&tx, company, now_ms, now_ms)?,
            ..ClaimOutcome::default()
        };
        let due = ids(
            &tx,
            "SELECT id, fence FROM invoices
             WHERE company_id = ?1 AND state = 'queued' AND next_attempt_at <= ?2
               AND (?4 OR has_attachment = 0)
             ORDER BY next_attempt_at, id LIMIT ?3",
            params![
                company.0,
                now_ms,
                i64::try_from(limit).unwrap_or(i64::MAX),
                attachments
            ],
        )?;
        let lease = Lease {
            owner,
            until_ms: now_ms.saturating_add(lease_ms),
        };
        for (id, fence) in due {
            let change = Change::to(SubmissionState::Sending, state::Actor::Engine);
            if let Applied::Done { .. } =
                state::apply(&tx, id, Guard::Fence(fence), &change, Some(lease), now_ms)?
            {
                outcome.claimed.push(Claimed {
                    id,
                    fence: Fence(fence.0 + 1),
                });
            }
        }
        tx.commit()?;
        Ok(outcome)
    }

    /// Ends every `sending` lease of `company` now, whatever its expiry: for a caller that knows
    /// all lease holders are dead (it holds the runner lock, so no other runner can be alive).
    /// Like an expired lease, each becomes `needs_attention` with an unknown outcome, to be
    /// resolved by asking KSeF, never by a blind resend. Returns the invoices affected.
    pub fn expire_all_leases(
        &mut self,
        company: CompanyId,
        now_ms: i64,
    ) -> Result<Vec<InvoiceId>, StoreError> {
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let expired = expire_leases_until(&tx, company, i64::MAX, now_ms)?;
        tx.commit()?;
        Ok(expired)
    }

    /// Records a worker's result, guarded by its fencing token: returns [`Applied::Stale`] and
    /// changes nothing if the claim is no longer current.
    pub fn apply_fenced(
        &mut self,
        claim: Claimed,
        change: &Change<'_>,
        now_ms: i64,
    ) -> Result<Applied, StoreError> {
        self.apply_fenced_with(claim, change, None, now_ms)
    }

    /// [`apply_fenced`](Self::apply_fenced) and, if the change landed, an alert of `kind` about
    /// the invoice, carrying the change's code and detail, in the same transaction: a crash
    /// cannot leave the state changed and the person never told.
    pub fn apply_fenced_raising(
        &mut self,
        claim: Claimed,
        change: &Change<'_>,
        kind: &str,
        now_ms: i64,
    ) -> Result<Applied, StoreError> {
        self.apply_fenced_with(claim, change, Some(kind), now_ms)
    }

    fn apply_fenced_with(
        &mut self,
        claim: Claimed,
        change: &Change<'_>,
        alert_kind: Option<&str>,
        now_ms: i64,
    ) -> Result<Applied, StoreError> {
        let tx = self.conn_mut().transaction()?;
        let applied = state::apply(
            &tx,
            claim.id,
            Guard::Fence(claim.fence),
            change,
            None,
            now_ms,
        )?;
        if let (Some(kind), false) = (alert_kind, applied == Applied::Stale) {
            let alert = NewAlert {
                kind,
                invoice: Some(claim.id),
                code: change.code.unwrap_or(kind),
                message: change.detail.unwrap_or_default(),
            };
            raise_alert_in(&tx, &alert, now_ms)?;
        }
        tx.commit()?;
        Ok(applied)
    }

    /// Sent invoices of `company` whose next status poll is due, oldest due first, with their
    /// current fencing token. Polling is idempotent, so no lease is taken: if two pollers race,
    /// the fence lets only the first verdict land.
    pub fn due_for_poll(
        &self,
        company: CompanyId,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<Claimed>, StoreError> {
        let due = ids(
            self.conn(),
            "SELECT id, fence FROM invoices
             WHERE company_id = ?1 AND state = 'sent' AND next_attempt_at <= ?2
             ORDER BY next_attempt_at, id LIMIT ?3",
            params![company.0, now_ms, i64::try_from(limit).unwrap_or(i64::MAX)],
        )?;
        Ok(due
            .into_iter()
            .map(|(id, fence)| Claimed { id, fence })
            .collect())
    }

    /// Moves a sent invoice's next poll to `at_ms`. Not a state change, so no event; fenced like
    /// every worker write.
    pub fn reschedule_poll(
        &mut self,
        claim: Claimed,
        at_ms: i64,
        now_ms: i64,
    ) -> Result<Applied, StoreError> {
        let changed = self.conn().execute(
            "UPDATE invoices SET next_attempt_at = ?1, updated_at = ?2
             WHERE id = ?3 AND fence = ?4 AND state = 'sent'",
            params![at_ms, now_ms, claim.id.0, claim.fence.0],
        )?;
        Ok(if changed == 1 {
            Applied::Done {
                from: SubmissionState::Sent,
            }
        } else {
            Applied::Stale
        })
    }

    /// A person's or the reconciler's decision; invalidates any worker's claim on the invoice.
    pub fn apply_override(
        &mut self,
        id: InvoiceId,
        change: &Change<'_>,
        now_ms: i64,
    ) -> Result<Applied, StoreError> {
        let tx = self.conn_mut().transaction()?;
        let applied = state::apply(&tx, id, Guard::Override, change, None, now_ms)?;
        tx.commit()?;
        Ok(applied)
    }
}

/// One attempt (a request to KSeF) as it happened. Recorded even for a worker whose claim went
/// stale: the request was made, and the audit trail must say so.
#[derive(Debug, Clone)]
pub struct AttemptRecord<'a> {
    /// The invoice concerned.
    pub invoice: InvoiceId,
    /// What was tried (`send`, `status`, `upo`, …).
    pub kind: &'a str,
    /// KSeF's reference or trace id for the request, when known.
    pub request_id: Option<&'a str>,
    /// `ok`, `transient`, `permanent` or `unknown`.
    pub outcome: &'a str,
    /// Stable error code on failure.
    pub error_code: Option<&'a str>,
    /// When the request started.
    pub started_at: i64,
    /// When it finished.
    pub finished_at: i64,
}

impl Store {
    /// Appends an attempt record.
    pub fn record_attempt(&mut self, a: &AttemptRecord<'_>) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO attempts (invoice_id, kind, request_id, outcome, error_code, started_at,
                                   finished_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                a.invoice.0,
                a.kind,
                a.request_id,
                a.outcome,
                a.error_code,
                a.started_at,
                a.finished_at
            ],
        )?;
        Ok(())
    }
}

fn ids(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<(InvoiceId, Fence)>, StoreError> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map(params, |r| Ok((InvoiceId(r.get(0)?), Fence(r.get(1)?))))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Error code of an invoice held back because another one has its duplicate key.
pub const CONFLICT_CODE: &str = "engine.conflict";

/// Inserts a new invoice, its findings and its creation event. Runs inside the caller's
/// transaction (the importer batches many files per commit).
pub(crate) fn insert_invoice(
    conn: &Connection,
    inv: &NewInvoice<'_>,
    now_ms: i64,
) -> Result<InvoiceId, StoreError> {
    assert!(
        state::is_initial(inv.state),
        "invoices start as invalid, conflict or queued"
    );
    let s = inv.summary.cloned().unwrap_or_default();
    let size = i64::try_from(inv.original.len()).unwrap_or(i64::MAX);
    let next_attempt_at = (inv.state == SubmissionState::Queued).then_some(now_ms);
    conn.prepare_cached(
        "INSERT INTO invoices (company_id, file_name, source_path, original, size_bytes, sha256,
             seller_nip, buyer_nip, buyer_name, invoice_type, invoice_number, issue_date, currency,
             gross_minor, line_count, has_attachment, duplicate_key, content_hash, conflict_with,
             state, next_attempt_at, error_code, trace_id, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
                 ?19, ?20, ?21, ?22, ?23, ?24, ?24)",
    )?
    .execute(params![
        inv.company.0,
        inv.file_name,
        inv.source_path,
        inv.original,
        size,
        inv.sha256,
        s.seller_nip,
        s.buyer_nip,
        s.buyer_name,
        s.invoice_type,
        s.invoice_number,
        s.issue_date,
        s.currency,
        s.gross_minor,
        s.line_count,
        s.has_attachment,
        inv.duplicate_key,
        inv.content_hash,
        inv.conflict_with.map(|i| i.0),
        inv.state.as_str(),
        next_attempt_at,
        (inv.state == SubmissionState::Conflict).then_some(CONFLICT_CODE),
        inv.trace_id,
        now_ms,
    ])?;
    let id = InvoiceId(conn.last_insert_rowid());
    let mut stmt = conn.prepare_cached(
        "INSERT INTO findings (invoice_id, code, severity, message, path) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for f in inv.findings {
        stmt.execute(params![
            id.0,
            f.code,
            f.severity.as_str(),
            f.message,
            f.path
        ])?;
    }
    conn.prepare_cached(
        "INSERT INTO events (invoice_id, trace_id, at, actor, from_state, to_state, code)
         VALUES (?1, ?2, ?3, 'user', NULL, ?4, 'engine.imported')",
    )?
    .execute(params![id.0, inv.trace_id, now_ms, inv.state.as_str()])?;
    Ok(id)
}

/// Looks up an invoice of `company` by content hash.
pub(crate) fn find_by_content_hash(
    conn: &Connection,
    company: CompanyId,
    content_hash: &str,
) -> Result<Option<InvoiceId>, StoreError> {
    // Cached statements: the importer runs these once per file.
    Ok(conn
        .prepare_cached("SELECT id FROM invoices WHERE company_id = ?1 AND content_hash = ?2")?
        .query_row(params![company.0, content_hash], |r| {
            Ok(InvoiceId(r.get(0)?))
        })
        .optional()?)
}

/// Finds an invoice of `company` with the same duplicate key that is — or may be — in KSeF, or
/// is on its way there. Invalid, conflicting and rejected invoices do not block a corrected file.
pub(crate) fn find_live_duplicate(
    conn: &Connection,
    company: CompanyId,
    duplicate_key: &str,
) -> Result<Option<InvoiceId>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT id FROM invoices WHERE company_id = ?1 AND duplicate_key = ?2
               AND state IN ('queued', 'sending', 'sent', 'accepted', 'needs_attention')
             ORDER BY id LIMIT 1",
        )?
        .query_row(params![company.0, duplicate_key], |r| {
            Ok(InvoiceId(r.get(0)?))
        })
        .optional()?)
}

/// Moves `company`'s `sending` invoices whose lease ends at or before `until_ms` to
/// `needs_attention` (outcome unknown), inside the caller's transaction.
fn expire_leases_until(
    tx: &rusqlite::Transaction<'_>,
    company: CompanyId,
    until_ms: i64,
    now_ms: i64,
) -> Result<Vec<InvoiceId>, StoreError> {
    let expired = ids(
        tx,
        "SELECT id, fence FROM invoices
         WHERE company_id = ?1 AND state = 'sending' AND lease_until <= ?2 ORDER BY id",
        params![company.0, until_ms],
    )?;
    let mut out = Vec::with_capacity(expired.len());
    for (id, _) in expired {
        let change = Change::to(SubmissionState::NeedsAttention, state::Actor::Engine).because(
            "engine.lease_expired",
            Some("the worker's lease expired mid-send; the outcome is unknown"),
        );
        state::apply(tx, id, Guard::Override, &change, None, now_ms)?;
        out.push(id);
    }
    Ok(out)
}
