//! The submission state machine, in one place: the states, which moves are legal, the invariants
//! each state implies, and the single function that writes a state change together with its event.
//!
//! These are *our* states. KSeF's numeric status codes (100, 200, 440, …) are a separate vocabulary
//! that the sender translates into a [`Change`]; they never appear here.

use rusqlite::{params, Connection, OptionalExtension};

use crate::store::{Fence, InvoiceId, StoreError};

/// Code of a 440 whose original in KSeF is not this invoice: the row becomes a `conflict` that
/// names KSeF's original (its KSeF number and session) in its error detail.
pub const DUPLICATE_FOREIGN_CODE: &str = "engine.duplicate_foreign";

/// Where one invoice stands on its way to KSeF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionState {
    /// Failed validation; never sent. Its findings say why.
    Invalid,
    /// Shares a duplicate key (seller NIP, type, number) with different content: another local
    /// invoice found at import (never sent), or KSeF's original named by a 440 verdict.
    Conflict,
    /// Valid and waiting for its next attempt.
    Queued,
    /// Claimed by a worker whose lease is live; a request may be in flight.
    Sending,
    /// KSeF took the invoice for processing (it has an invoice reference); awaiting the verdict.
    Sent,
    /// KSeF assigned a KSeF number. Final.
    Accepted,
    /// KSeF refused the invoice for a stated reason.
    Rejected,
    /// The outcome is unknown or retries ran out; a person or the reconciler must decide.
    NeedsAttention,
}

impl SubmissionState {
    /// Every state, for exhaustive tests and per-state counts.
    pub const ALL: [SubmissionState; 8] = [
        SubmissionState::Invalid,
        SubmissionState::Conflict,
        SubmissionState::Queued,
        SubmissionState::Sending,
        SubmissionState::Sent,
        SubmissionState::Accepted,
        SubmissionState::Rejected,
        SubmissionState::NeedsAttention,
    ];

    /// The stable string stored in the database and shown to UIs.
    pub const fn as_str(self) -> &'static str {
        match self {
            SubmissionState::Invalid => "invalid",
            SubmissionState::Conflict => "conflict",
            SubmissionState::Queued => "queued",
            SubmissionState::Sending => "sending",
            SubmissionState::Sent => "sent",
            SubmissionState::Accepted => "accepted",
            SubmissionState::Rejected => "rejected",
            SubmissionState::NeedsAttention => "needs_attention",
        }
    }

    /// Parses the stored string form.
    pub fn parse(text: &str) -> Option<SubmissionState> {
        SubmissionState::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

impl std::fmt::Display for SubmissionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl rusqlite::types::FromSql for SubmissionState {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let text = value.as_str()?;
        SubmissionState::parse(text).ok_or_else(|| {
            rusqlite::types::FromSqlError::Other(Box::new(StoreError::Corrupt {
                column: "state",
                value: text.to_owned(),
            }))
        })
    }
}

/// Whether moving an invoice from `from` to `to` is ever legal.
///
/// `Sending → Sending` is a re-claim after an outage of the *queue* (not of a request) and is not
/// allowed: an expired lease on `Sending` means the outcome is unknown and goes to
/// `NeedsAttention`, never back out as a blind resend.
pub fn can_transition(from: SubmissionState, to: SubmissionState) -> bool {
    use SubmissionState::*;
    matches!(
        (from, to),
        // A person resolves a conflict once the other invoice is out of the way.
        (Conflict, Queued)
            | (Queued, Sending)
            | (Queued, NeedsAttention)
            // Sending: KSeF took it, refused it synchronously, failed transiently before
            // accepting the request, or the outcome is unknown.
            | (Sending, Sent)
            | (Sending, Rejected)
            | (Sending, Queued)
            | (Sending, NeedsAttention)
            // Sent: the verdict, or a session-level cancellation (405/550) that allows a resend.
            | (Sent, Accepted)
            | (Sent, Rejected)
            | (Sent, Queued)
            | (Sent, NeedsAttention)
            // A 440 whose original is another invoice: a person must decide, never a resend.
            | (Sent, Conflict)
            // Resolution of the unknown: by asking KSeF (reconciler) or a person's decision.
            | (NeedsAttention, Queued)
            | (NeedsAttention, Sent)
            | (NeedsAttention, Accepted)
            | (NeedsAttention, Rejected)
            // A person retries after fixing the cause (e.g. missing permission).
            | (Rejected, Queued)
    )
}

/// Whether a new invoice may start in `state`: the importer decides between these three.
pub fn is_initial(state: SubmissionState) -> bool {
    matches!(
        state,
        SubmissionState::Invalid | SubmissionState::Conflict | SubmissionState::Queued
    )
}

/// Who caused a state change; recorded in the event log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// A person, through the app or the CLI.
    User,
    /// The engine's own workers.
    Engine,
    /// A verdict reported by KSeF.
    Ksef,
    /// The reconciler, resolving unknown outcomes by asking KSeF.
    Reconciler,
}

impl Actor {
    /// The stable string stored in the event log.
    pub const fn as_str(self) -> &'static str {
        match self {
            Actor::User => "user",
            Actor::Engine => "engine",
            Actor::Ksef => "ksef",
            Actor::Reconciler => "reconciler",
        }
    }
}

/// Which writer may apply a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// Only the holder of this fencing token; anyone else's write is a no-op.
    Fence(Fence),
    /// A person or the reconciler overriding whatever a worker holds. Bumps the fence so any
    /// worker still holding the old token can no longer write.
    Override,
}

/// One state change and the data that comes with it.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    /// The target state.
    pub to: SubmissionState,
    /// Who makes the change.
    pub actor: Actor,
    /// A stable code explaining the change (error code, KSeF status mapped to our dictionary…).
    pub code: Option<&'a str>,
    /// Free text for people; never contains credentials.
    pub detail: Option<&'a str>,
    /// When a `Queued` invoice becomes due, or a `Sent` one is next polled; `None` means now.
    pub next_attempt_at: Option<i64>,
    /// KSeF session reference, kept once known.
    pub ksef_session_ref: Option<&'a str>,
    /// KSeF invoice reference, kept once known.
    pub ksef_invoice_ref: Option<&'a str>,
    /// The KSeF number, kept once known.
    pub ksef_number: Option<&'a str>,
    /// For `Conflict`: the local invoice it collides with; `None` when the counterpart is KSeF's
    /// original (the row then points at itself and its error code says so).
    pub conflict_with: Option<InvoiceId>,
}

impl<'a> Change<'a> {
    /// A change to `to` by `actor` with no data attached.
    pub fn to(to: SubmissionState, actor: Actor) -> Change<'a> {
        Change {
            to,
            actor,
            code: None,
            detail: None,
            next_attempt_at: None,
            ksef_session_ref: None,
            ksef_invoice_ref: None,
            ksef_number: None,
            conflict_with: None,
        }
    }

    /// Attaches an explanation code and detail.
    pub fn because(mut self, code: &'a str, detail: Option<&'a str>) -> Change<'a> {
        self.code = Some(code);
        self.detail = detail;
        self
    }
}

/// What [`apply`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The row and its event were written; the invoice was in `from`.
    Done {
        /// The state the invoice left.
        from: SubmissionState,
    },
    /// The fencing token no longer matches: a newer claim or an override won. Nothing changed.
    Stale,
}

/// Lease data written when a worker claims an invoice (`Queued → Sending`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lease<'a> {
    pub owner: &'a str,
    pub until_ms: i64,
}

/// Writes a state change and its event. Must run inside the caller's transaction, so both land
/// or neither does. Illegal moves are programmer errors surfaced as typed errors, never written.
pub(crate) fn apply(
    conn: &Connection,
    id: InvoiceId,
    guard: Guard,
    change: &Change<'_>,
    lease: Option<Lease<'_>>,
    now_ms: i64,
) -> Result<Applied, StoreError> {
    let current: Option<(SubmissionState, i64, String)> = conn
        .query_row(
            "SELECT state, fence, trace_id FROM invoices WHERE id = ?1",
            [id.0],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let (from, fence, trace_id) = current.ok_or(StoreError::InvoiceNotFound(id.0))?;
    let new_fence = match guard {
        Guard::Fence(expected) if expected.0 != fence => return Ok(Applied::Stale),
        Guard::Fence(_) if change.to == SubmissionState::Sending => fence + 1,
        Guard::Fence(_) => fence,
        Guard::Override => fence + 1,
    };
    if !can_transition(from, change.to) {
        return Err(StoreError::IllegalTransition {
            from,
            to: change.to,
        });
    }
    let to_sending = change.to == SubmissionState::Sending;
    if to_sending != lease.is_some() {
        return Err(StoreError::Invariant {
            id: id.0,
            what: "a lease is given exactly when entering sending",
        });
    }
    // Queued: when the next send is due; sent: when to poll for the verdict.
    let next_attempt_at = matches!(change.to, SubmissionState::Queued | SubmissionState::Sent)
        .then(|| change.next_attempt_at.unwrap_or(now_ms));
    let keeps_error = matches!(
        change.to,
        SubmissionState::Queued
            | SubmissionState::Rejected
            | SubmissionState::NeedsAttention
            | SubmissionState::Conflict
    );
    // The schema requires a counterpart for every conflict; one whose counterpart exists only in
    // KSeF points at itself, which the read invariants accept only with KSeF's original named.
    let conflict_with =
        (change.to == SubmissionState::Conflict).then(|| change.conflict_with.unwrap_or(id).0);
    let (error_code, error_detail) = if keeps_error {
        (change.code, change.detail)
    } else {
        (None, None)
    };
    conn.execute(
        "UPDATE invoices SET state = ?1, fence = ?2, attempts = attempts + ?3,
             next_attempt_at = ?4, lease_owner = ?5, lease_until = ?6,
             ksef_session_ref = COALESCE(?7, ksef_session_ref),
             ksef_invoice_ref = COALESCE(?8, ksef_invoice_ref),
             ksef_number = COALESCE(?9, ksef_number),
             error_code = ?10, error_detail = ?11, updated_at = ?12,
             conflict_with = COALESCE(?15, conflict_with)
         WHERE id = ?13 AND fence = ?14",
        params![
            change.to.as_str(),
            new_fence,
            i64::from(to_sending),
            next_attempt_at,
            lease.map(|l| l.owner),
            lease.map(|l| l.until_ms),
            change.ksef_session_ref,
            change.ksef_invoice_ref,
            change.ksef_number,
            error_code,
            error_detail,
            now_ms,
            id.0,
            fence,
            conflict_with,
        ],
    )?;
    conn.execute(
        "INSERT INTO events (invoice_id, trace_id, at, actor, from_state, to_state, code, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            id.0,
            trace_id,
            now_ms,
            change.actor.as_str(),
            from.as_str(),
            change.to.as_str(),
            change.code,
            change.detail,
        ],
    )?;
    Ok(Applied::Done { from })
}

/// The facts about one row that the per-state invariants speak of.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowFacts {
    pub state: SubmissionState,
    pub has_ksef_number: bool,
    pub has_invoice_ref: bool,
    pub has_lease: bool,
    pub has_next_attempt: bool,
    pub has_conflict_with: bool,
    /// The row's conflict counterpart is the row itself.
    pub conflicts_with_itself: bool,
    /// The row's error code is [`DUPLICATE_FOREIGN_CODE`]: KSeF's original is named in its detail.
    pub names_ksef_original: bool,
}

/// Checks what each state implies; called whenever a row is read, as a second line of defence
/// behind the database's `CHECK` constraints.
pub(crate) fn check_invariants(facts: RowFacts) -> Result<(), &'static str> {
    use SubmissionState::*;
    match facts.state {
        Accepted if !facts.has_ksef_number => Err("accepted without a KSeF number"),
        Sending if !facts.has_lease => Err("sending without a lease"),
        Sent if !facts.has_invoice_ref => Err("sent without a KSeF invoice reference"),
        Queued if !facts.has_next_attempt => Err("queued without a next attempt time"),
        Conflict if !facts.has_conflict_with => Err("conflict without the other invoice"),
        Conflict if facts.conflicts_with_itself && !facts.names_ksef_original => {
            Err("conflict with itself without KSeF's original")
        }
        _ if facts.state != Sending && facts.has_lease => Err("lease held outside sending"),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SubmissionState::*;

    #[test]
    fn state_strings_round_trip() {
        for s in SubmissionState::ALL {
            assert_eq!(SubmissionState::parse(s.as_str()), Some(s));
        }
        assert_eq!(SubmissionState::parse("done"), None);
    }

    #[test]
    fn final_and_never_sent_states_have_no_way_out_to_sending() {
        // Accepted is final; invalid never leaves; nothing jumps straight to sending except queued.
        for to in SubmissionState::ALL {
            assert!(!can_transition(Accepted, to), "accepted -> {to}");
            assert!(!can_transition(Invalid, to), "invalid -> {to}");
        }
        for from in SubmissionState::ALL {
            assert_eq!(
                can_transition(from, Sending),
                from == Queued,
                "{from} -> sending"
            );
        }
    }

    #[test]
    fn only_ksef_facts_lead_to_accepted() {
        // Accepted needs a KSeF number, which only a sent invoice or the reconciler can have.
        let sources: Vec<_> = SubmissionState::ALL
            .into_iter()
            .filter(|&from| can_transition(from, Accepted))
            .collect();
        assert_eq!(sources, vec![Sent, NeedsAttention]);
    }

    #[test]
    fn only_a_440_verdict_turns_a_sent_invoice_into_a_conflict() {
        // Besides import, the one way into conflict is KSeF naming another invoice as original.
        let sources: Vec<_> = SubmissionState::ALL
            .into_iter()
            .filter(|&from| can_transition(from, Conflict))
            .collect();
        assert_eq!(sources, vec![Sent]);
    }

    #[test]
    fn every_non_final_state_can_reach_a_final_one() {
        // Liveness of the graph: from any state that is not final, some path ends in accepted or
        // rejected, so no invoice can be stranded by the state machine itself.
        for start in [Conflict, Queued, Sending, Sent, NeedsAttention, Rejected] {
            let mut seen = vec![start];
            let mut frontier = vec![start];
            while let Some(s) = frontier.pop() {
                for to in SubmissionState::ALL {
                    if can_transition(s, to) && !seen.contains(&to) {
                        seen.push(to);
                        frontier.push(to);
                    }
                }
            }
            assert!(seen.contains(&Accepted), "{start} cannot reach accepted");
        }
    }

    #[test]
    fn invariants_flag_each_broken_state() {
        let ok = RowFacts {
            state: Accepted,
            has_ksef_number: true,
            has_invoice_ref: true,
            has_lease: false,
            has_next_attempt: false,
            has_conflict_with: false,
            conflicts_with_itself: false,
            names_ksef_original: false,
        };
        assert!(check_invariants(ok).is_ok());
        assert!(check_invariants(RowFacts {
            has_ksef_number: false,
            ..ok
        })
        .is_err());
        assert!(check_invariants(RowFacts {
            state: Sending,
            ..ok
        })
        .is_err());
        assert!(check_invariants(RowFacts {
            state: Sending,
            has_lease: true,
            ..ok
        })
        .is_ok());
        assert!(check_invariants(RowFacts {
            state: Queued,
            ..ok
        })
        .is_err());
        assert!(check_invariants(RowFacts {
            state: Sent,
            has_invoice_ref: false,
            ..ok
        })
        .is_err());
        assert!(check_invariants(RowFacts {
            state: Conflict,
            ..ok
        })
        .is_err());
        assert!(check_invariants(RowFacts {
            state: Rejected,
            has_lease: true,
            ..ok
        })
        .is_err());
        // A conflict whose counterpart is KSeF's original points at itself and names it.
        let foreign = RowFacts {
            state: Conflict,
            has_ksef_number: false,
            has_conflict_with: true,
            conflicts_with_itself: true,
            names_ksef_original: true,
            ..ok
        };
        assert!(check_invariants(foreign).is_ok());
        assert!(check_invariants(RowFacts {
            names_ksef_original: false,
            ..foreign
        })
        .is_err());
    }
}
