//! Outcome translation tests: one per KSeF result class and invoice status family.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use ksef_api::status::InvoiceProcessing;
use ksef_api::{KsefNumber, Operation, ReferenceNumber, RemoteCode};

use super::*;
use crate::backoff::ATTEMPTS_EXHAUSTED_CODE;
use crate::rng::seeded;

const NOW: i64 = 1_000_000;
const SENT_AT: i64 = NOW - 10_000;
const KSEF_NUMBER: &str = "5265877635-20250826-0100001AF629-AF";
const BYTES: &[u8] = b"<Faktura/>";

fn reference(tag: &str) -> ReferenceNumber {
    ReferenceNumber::parse(&format!("20260202-{tag}-0000000001-0000000001-01")).unwrap()
}

fn session() -> SessionRef {
    SessionRef(reference("SO"))
}

fn ctx(policy: RetryPolicy, attempts_done: u32) -> Context {
    Context {
        now_ms: NOW,
        attempts_done,
        policy,
    }
}

fn status(code: i32, number: Option<&str>, hash: &[u8]) -> InvoiceStatus {
    InvoiceStatus {
        ordinal: 1,
        invoice_ref: InvoiceRef(reference("EE")),
        invoice_number: Some("FV/1".into()),
        ksef_number: number.map(|n| KsefNumber::parse(n).unwrap()),
        invoice_hash: Sha256B64::of(hash),
        file_name: None,
        acquisition_date: None,
        invoicing_date: Utc.timestamp_millis_opt(SENT_AT).unwrap(),
        permanent_storage_date: None,
        upo_download: None,
        invoicing_mode: None,
        status: InvoiceProcessing {
            code,
            description: format!("status {code}"),
            details: Vec::new(),
            duplicate_of: None,
            extensions: BTreeMap::new(),
        },
    }
}

fn judge_status(result: KsefResult<InvoiceStatus>) -> Plan {
    let policy = RetryPolicy::default();
    after_status(
        &result,
        &Sha256B64::of(BYTES),
        SENT_AT,
        ctx(policy, 1),
        &mut seeded(1),
    )
}

fn judge_send(result: KsefResult<InvoiceRef>, attempts_done: u32) -> Plan {
    let policy = RetryPolicy::default();
    after_send(
        &result,
        &session(),
        ctx(policy, attempts_done),
        &mut seeded(1),
    )
}

fn transient() -> KsefError {
    KsefError::Transient {
        remote: Some(RemoteCode::Http(503)),
        detail: "service unavailable".into(),
    }
}

#[test]
fn accepted_send_moves_to_sent_with_both_references() {
    let plan = judge_send(Ok(InvoiceRef(reference("EE"))), 1);
    assert_eq!(plan.to, Some(SubmissionState::Sent));
    assert_eq!(plan.ksef_session_ref, Some(session().to_string()));
    assert_eq!(plan.ksef_invoice_ref, Some(reference("EE").to_string()));
    assert_eq!(plan.health, Health::Up);
    let change = plan.change().unwrap();
    assert_eq!(change.ksef_invoice_ref, plan.ksef_invoice_ref.as_deref());
}

#[test]
fn transient_send_failure_retries_with_backoff_then_gives_up() {
    let plan = judge_send(Err(transient()), 1);
    assert_eq!(plan.to, Some(SubmissionState::Queued));
    assert_eq!(plan.code.as_deref(), Some("ksef.http.503"));
    assert_eq!(plan.health, Health::Down);
    let due = plan.next_at_ms.unwrap();
    assert!((NOW..=NOW + crate::backoff::RETRY_BASE_DELAY_MS).contains(&due));

    let exhausted = judge_send(Err(transient()), crate::backoff::ATTEMPTS_MAX);
    assert_eq!(exhausted.to, Some(SubmissionState::NeedsAttention));
    assert_eq!(exhausted.code.as_deref(), Some(ATTEMPTS_EXHAUSTED_CODE));
    assert!(exhausted.detail.unwrap().contains("ksef.http.503"));
}

#[test]
fn unknown_send_outcome_is_never_requeued() {
    let err = KsefError::OutcomeUnknown {
        operation: Operation::SendInvoice,
        detail: "timeout after request body was sent".into(),
    };
    let plan = judge_send(Err(err), 1);
    assert_eq!(plan.to, Some(SubmissionState::NeedsAttention));
    assert_eq!(plan.code.as_deref(), Some("ksef.outcome_unknown"));
}

#[test]
fn rate_limit_waits_at_least_retry_after_and_asks_for_a_penalty() {
    let plan = judge_send(
        Err(KsefError::RateLimited {
            retry_after: Duration::from_secs(30),
        }),
        1,
    );
    assert_eq!(plan.to, Some(SubmissionState::Queued));
    assert_eq!(plan.next_at_ms, Some(NOW + 30_000));
    assert_eq!(plan.retry_after_ms, Some(30_000));
}

#[test]
fn session_failure_requeues_and_asks_for_a_new_session() {
    let err = KsefError::SessionFailed {
        remote: RemoteCode::Exception(21180),
        description: "session closed".into(),
        details: Vec::new(),
    };
    let plan = judge_send(Err(err), 1);
    assert_eq!(plan.to, Some(SubmissionState::Queued));
    assert_eq!(plan.next_at_ms, Some(NOW));
    assert_eq!(plan.session, SessionAdvice::Reopen);
}

#[test]
fn auth_expiry_requeues_and_asks_to_authenticate() {
    let plan = judge_send(Err(KsefError::AuthExpired { remote: None }), 1);
    assert_eq!(plan.to, Some(SubmissionState::Queued));
    assert!(plan.reauthenticate);
}

#[test]
fn synchronous_rejection_keeps_ksefs_code() {
    let err = KsefError::Rejected {
        remote: RemoteCode::Exception(21401),
        description: "XSD validation failed".into(),
        details: Vec::new(),
        duplicate_of: None,
    };
    let plan = judge_send(Err(err), 1);
    assert_eq!(plan.to, Some(SubmissionState::Rejected));
    assert_eq!(plan.actor, Actor::Ksef);
    assert_eq!(plan.code.as_deref(), Some("ksef.exception.21401"));
}

#[test]
fn success_with_matching_hash_is_accepted() {
    let plan = judge_status(Ok(status(200, Some(KSEF_NUMBER), BYTES)));
    assert_eq!(plan.to, Some(SubmissionState::Accepted));
    assert_eq!(plan.ksef_number.as_deref(), Some(KSEF_NUMBER));
}

#[test]
fn success_for_other_bytes_or_without_number_needs_attention() {
    let other = judge_status(Ok(status(200, Some(KSEF_NUMBER), b"<Other/>")));
    assert_eq!(other.code.as_deref(), Some("engine.hash_mismatch"));
    assert_eq!(other.to, Some(SubmissionState::NeedsAttention));
    let no_number = judge_status(Ok(status(200, None, BYTES)));
    assert_eq!(
        no_number.code.as_deref(),
        Some("engine.accepted_without_number")
    );
}

#[test]
fn processing_keeps_polling_with_a_growing_interval_until_the_horizon() {
    let plan = judge_status(Ok(status(150, None, BYTES)));
    assert_eq!(plan.to, None);
    assert_eq!(plan.alert, None);
    assert_eq!(plan.next_at_ms, Some(next_poll_at(SENT_AT, NOW)));
    assert!(next_poll_at(0, 100) - 100 == POLL_DELAY_MS_MIN);
    assert!(next_poll_at(0, 10 * POLL_DELAY_MS_MAX) - 10 * POLL_DELAY_MS_MAX == POLL_DELAY_MS_MAX);

    let policy = RetryPolicy::default();
    let late = Context {
        now_ms: SENT_AT + POLL_HORIZON_MS,
        ..ctx(policy, 1)
    };
    let plan = after_status(
        &Ok(status(100, None, BYTES)),
        &Sha256B64::of(BYTES),
        SENT_AT,
        late,
        &mut seeded(1),
    );
    assert_eq!(plan.to, None, "an invoice past the horizon is still polled");
    assert_eq!(plan.alert, Some(STUCK_CODE));
}

#[test]
fn final_failures_map_to_rejection_resend_or_attention() {
    let semantic = judge_status(Ok(status(450, None, BYTES)));
    assert_eq!(semantic.to, Some(SubmissionState::Rejected));
    assert_eq!(semantic.code.as_deref(), Some("ksef.invoice.450"));

    let dropped = judge_status(Ok(status(550, None, BYTES)));
    assert_eq!(
        dropped.to,
        Some(SubmissionState::Queued),
        "550 allows sending again"
    );

    let mut duplicate = status(440, None, BYTES);
    duplicate.status.duplicate_of = Some(ksef_api::status::DuplicateOf {
        ksef_number: Some(KSEF_NUMBER.into()),
        session: None,
    });
    let plan = judge_status(Ok(duplicate));
    assert_eq!(plan.to, Some(SubmissionState::NeedsAttention));
    assert!(plan.detail.unwrap().contains(KSEF_NUMBER));
}

#[test]
fn failed_status_queries_only_delay_the_next_poll() {
    let plan = judge_status(Err(transient()));
    assert_eq!((plan.to, plan.health), (None, Health::Down));
    let limited = judge_status(Err(KsefError::RateLimited {
        retry_after: Duration::from_secs(90),
    }));
    assert_eq!(limited.to, None);
    assert_eq!(limited.next_at_ms, Some(NOW + 90_000));
    let gone = judge_status(Err(KsefError::Permanent {
        remote: Some(RemoteCode::Exception(21164)),
        detail: "not found".into(),
    }));
    assert_eq!(gone.to, Some(SubmissionState::NeedsAttention));
    assert_eq!(gone.code.as_deref(), Some("ksef.exception.21164"));
}
