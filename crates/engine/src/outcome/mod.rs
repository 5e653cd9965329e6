//! The one place where KSeF's vocabulary (classified errors, numeric invoice status codes) is
//! translated into ours (a [`SubmissionState`] change plus advice for the breaker, the limiter
//! and the session keeper).
//!
//! Pure functions of the KSeF result, the invoice's history and the injected time and RNG, so
//! every branch is tested without a network.

use ksef_api::status::invoice_code;
use ksef_api::{
    ErrorClass, InvoiceRef, InvoiceStatus, KsefError, KsefResult, SessionRef, Sha256B64,
};

use crate::backoff::{RetryDecision, RetryPolicy, ATTEMPTS_EXHAUSTED_CODE};
use crate::rng::EngineRng;
use crate::state::{Actor, Change, SubmissionState};

/// Shortest wait between two status polls of a sent invoice.
pub const POLL_DELAY_MS_MIN: i64 = 2_000;
/// Longest wait between two status polls.
pub const POLL_DELAY_MS_MAX: i64 = 60_000;
/// After this long without a verdict, a person is told (KSeF normally answers in seconds);
/// polling goes on, because the invoice may still be accepted.
pub const POLL_HORIZON_MS: i64 = 24 * 3_600_000;
/// Alert code for an invoice without a verdict past [`POLL_HORIZON_MS`].
pub const STUCK_CODE: &str = "engine.stuck";

const _: () =
    assert!(POLL_DELAY_MS_MIN <= POLL_DELAY_MS_MAX && POLL_DELAY_MS_MAX < POLL_HORIZON_MS);

/// What a result says about KSeF's health, for the circuit breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// KSeF answered (even a refusal proves it is up).
    Up,
    /// KSeF or the network failed transiently.
    Down,
}

/// What to do with the session after a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionAdvice {
    /// Keep using it.
    Keep,
    /// It is closed, failed or unknown: open a new one before the next send.
    Reopen,
}

/// Everything the engine does after one KSeF result, owned so it outlives the result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The new state; `None` keeps the invoice where it is (still processing).
    pub to: Option<SubmissionState>,
    /// Who decided.
    pub actor: Actor,
    /// Stable code (KSeF's remote key, or ours).
    pub code: Option<String>,
    /// Human detail; never contains credentials (KSeF errors are built without them).
    pub detail: Option<String>,
    /// For `queued`: when due; for `sent` (or staying there): when to poll next.
    pub next_at_ms: Option<i64>,
    /// Session reference to keep.
    pub ksef_session_ref: Option<String>,
    /// Invoice reference to keep.
    pub ksef_invoice_ref: Option<String>,
    /// KSeF number to keep.
    pub ksef_number: Option<String>,
    /// Feedback for the circuit breaker.
    pub health: Health,
    /// A 429's Retry-After, for the rate limiter's penalty.
    pub retry_after_ms: Option<i64>,
    /// Session advice.
    pub session: SessionAdvice,
    /// The access token was refused: authenticate again before the next call.
    pub reauthenticate: bool,
    /// An alert to raise (and keep open) for people, e.g. [`STUCK_CODE`].
    pub alert: Option<&'static str>,
}

impl Plan {
    fn new(to: Option<SubmissionState>, actor: Actor, health: Health) -> Plan {
        Plan {
            to,
            actor,
            code: None,
            detail: None,
            next_at_ms: None,
            ksef_session_ref: None,
            ksef_invoice_ref: None,
            ksef_number: None,
            health,
            retry_after_ms: None,
            session: SessionAdvice::Keep,
            reauthenticate: false,
            alert: None,
        }
    }

    fn because(mut self, code: impl Into<String>, detail: impl Into<String>) -> Plan {
        self.code = Some(code.into());
        self.detail = Some(detail.into());
        self
    }

    /// The state change to record, when the state changes.
    pub fn change(&self) -> Option<Change<'_>> {
        let to = self.to?;
        Some(Change {
            to,
            actor: self.actor,
            code: self.code.as_deref(),
            detail: self.detail.as_deref(),
            next_attempt_at: self.next_at_ms,
            ksef_session_ref: self.ksef_session_ref.as_deref(),
            ksef_invoice_ref: self.ksef_invoice_ref.as_deref(),
            ksef_number: self.ksef_number.as_deref(),
            conflict_with: None,
        })
    }
}

/// The history an outcome decision needs.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    /// Now, from the injected clock.
    pub now_ms: i64,
    /// Attempts made so far, including the one being judged.
    pub attempts_done: u32,
    /// The retry policy.
    pub policy: RetryPolicy,
}

/// A transient failure: retry with backoff (Retry-After as a floor), or give up.
fn retry(err: &KsefError, ctx: Context, retry_after_ms: Option<i64>, rng: &mut EngineRng) -> Plan {
    let decision = ctx
        .policy
        .after_failure(ctx.attempts_done, retry_after_ms, ctx.now_ms, rng);
    match decision {
        RetryDecision::RetryAt(at) => {
            let mut plan = Plan::new(Some(SubmissionState::Queued), Actor::Engine, Health::Down)
                .because(err.code(), err.to_string());
            plan.next_at_ms = Some(at);
            plan
        }
        RetryDecision::GiveUp => Plan::new(
            Some(SubmissionState::NeedsAttention),
            Actor::Engine,
            Health::Down,
        )
        .because(
            ATTEMPTS_EXHAUSTED_CODE,
            format!("last error {}: {err}", err.code()),
        ),
    }
}

/// Judges the result of `POST /sessions/online/{ref}/invoices` for an invoice in `sending`.
pub fn after_send(
    result: &KsefResult<InvoiceRef>,
    session: &SessionRef,
    ctx: Context,
    rng: &mut EngineRng,
) -> Plan {
    let err = match result {
        Ok(invoice_ref) => {
            let mut plan = Plan::new(Some(SubmissionState::Sent), Actor::Ksef, Health::Up);
            plan.ksef_session_ref = Some(session.to_string());
            plan.ksef_invoice_ref = Some(invoice_ref.to_string());
            plan.next_at_ms = Some(ctx.now_ms + POLL_DELAY_MS_MIN);
            return plan;
        }
        Err(err) => err,
    };
    let requeue_now = |health| {
        let mut plan = Plan::new(Some(SubmissionState::Queued), Actor::Engine, health)
            .because(err.code(), err.to_string());
        plan.next_at_ms = Some(ctx.now_ms);
        plan
    };
    match err {
        KsefError::Transient { .. } => retry(err, ctx, None, rng),
        KsefError::RateLimited { retry_after } => {
            // Not the invoice's fault: no attempt is charged against the limit here, the
            // limiter's penalty keeps everyone else back too.
            let wait_ms = i64::try_from(retry_after.as_millis()).unwrap_or(i64::MAX);
            let mut plan = requeue_now(Health::Up);
            plan.next_at_ms = Some(ctx.now_ms.saturating_add(wait_ms));
            plan.retry_after_ms = Some(wait_ms);
            plan
        }
        KsefError::AuthExpired { .. } => {
            let mut plan = requeue_now(Health::Up);
            plan.reauthenticate = true;
            plan
        }
        KsefError::SessionFailed { .. } => {
            // KSeF refused the request because of the session, so the invoice did not enter it.
            let mut plan = requeue_now(Health::Up);
            plan.session = SessionAdvice::Reopen;
            plan
        }
        KsefError::Rejected { .. } => {
            Plan::new(Some(SubmissionState::Rejected), Actor::Ksef, Health::Up)
                .because(err.code(), err.to_string())
        }
        KsefError::Permanent { .. } => Plan::new(
            Some(SubmissionState::NeedsAttention),
            Actor::Engine,
            Health::Up,
        )
        .because(err.code(), err.to_string()),
        // The request may have reached KSeF: resolve by asking, never by resending.
        KsefError::OutcomeUnknown { .. } => Plan::new(
            Some(SubmissionState::NeedsAttention),
            Actor::Engine,
            Health::Down,
        )
        .because(ErrorClass::OutcomeUnknown.code(), err.to_string()),
    }
}

/// When to poll a sent invoice next: the longer it has been waiting, the less often.
pub fn next_poll_at(sent_at_ms: i64, now_ms: i64) -> i64 {
    let waited = (now_ms - sent_at_ms).max(0);
    now_ms + (waited / 2).clamp(POLL_DELAY_MS_MIN, POLL_DELAY_MS_MAX)
}

/// Judges the result of `GET /sessions/{ref}/invoices/{invoiceRef}` for an invoice in `sent`.
/// `expected_hash` is the SHA-256 of the bytes we sent; `sent_at_ms` when it entered `sent`.
pub fn after_status(
    result: &KsefResult<InvoiceStatus>,
    expected_hash: &Sha256B64,
    sent_at_ms: i64,
    ctx: Context,
    rng: &mut EngineRng,
) -> Plan {
    let waiting = |health| {
        let mut plan = Plan::new(None, Actor::Engine, health);
        plan.next_at_ms = Some(next_poll_at(sent_at_ms, ctx.now_ms));
        plan
    };
    let attention = |code: String, detail: String, health| {
        Plan::new(Some(SubmissionState::NeedsAttention), Actor::Engine, health)
            .because(code, detail)
    };
    let status = match result {
        Ok(status) => status,
        // Asking is idempotent, so any passing failure just means: ask again later.
        Err(err) => {
            return match err.class() {
                ErrorClass::Transient | ErrorClass::OutcomeUnknown => waiting(Health::Down),
                ErrorClass::RateLimited | ErrorClass::AuthExpired => {
                    let mut plan = waiting(Health::Up);
                    plan.reauthenticate = err.class() == ErrorClass::AuthExpired;
                    if let KsefError::RateLimited { retry_after } = err {
                        let wait_ms = i64::try_from(retry_after.as_millis()).unwrap_or(i64::MAX);
                        plan.retry_after_ms = Some(wait_ms);
                        plan.next_at_ms = plan.next_at_ms.map(|at| at.max(ctx.now_ms + wait_ms));
                    }
                    plan
                }
                // The invoice or session cannot be found or read: a person must look.
                ErrorClass::Rejected | ErrorClass::SessionFailed | ErrorClass::Permanent => {
                    attention(err.code(), err.to_string(), Health::Up)
                }
            };
        }
    };
    if !status.is_final() {
        let mut plan = waiting(Health::Up);
        if ctx.now_ms - sent_at_ms >= POLL_HORIZON_MS {
            plan.alert = Some(STUCK_CODE);
        }
        return plan;
    }
    if status.status.code == invoice_code::SUCCEEDED {
        let Some(number) = &status.ksef_number else {
            return attention(
                "engine.accepted_without_number".to_owned(),
                "KSeF reported success without a KSeF number".to_owned(),
                Health::Up,
            );
        };
        if &status.invoice_hash != expected_hash {
            // KSeF holds different bytes than we sent: never mark that as ours.
            return attention(
                "engine.hash_mismatch".to_owned(),
                "KSeF's invoice hash differs from the sent file".to_owned(),
                Health::Up,
            );
        }
        let mut plan = Plan::new(Some(SubmissionState::Accepted), Actor::Ksef, Health::Up);
        plan.ksef_number = Some(number.to_string());
        return plan;
    }
    let Some(err) = status.failure() else {
        return waiting(Health::Up);
    };
    if status.status.code == invoice_code::DUPLICATE {
        // The original may be this very invoice sent earlier: the reconciler decides.
        let original = status
            .status
            .duplicate_of
            .as_ref()
            .and_then(|d| d.ksef_number.clone())
            .unwrap_or_default();
        return attention(
            err.code(),
            format!("duplicate of KSeF number {original}"),
            Health::Up,
        );
    }
    match err.class() {
        // 500/550: KSeF dropped it; sending again is allowed.
        ErrorClass::Transient => retry(&err, ctx, None, rng),
        _ => Plan::new(Some(SubmissionState::Rejected), Actor::Ksef, Health::Up)
            .because(err.code(), err.to_string()),
    }
}

#[cfg(test)]
mod tests;
