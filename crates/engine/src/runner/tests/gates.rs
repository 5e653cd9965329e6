//! The order of a request's gates: the circuit breaker is asked before the limiter, and right
//! before the request leaves. A permit taken first would be spent on a request that never leaves
//! while KSeF is down; an admission taken for a later request would hold a half-open breaker
//! against the one that has to go first.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use ksef_api::LimitGroup;

use super::super::call::Request;
use super::super::*;
use super::sim::{
    assert_accepted_with_upo, assert_no_double_acceptance, drive, runner, runner_with, samples,
    start_sim,
};
use crate::backoff::{BreakerState, CircuitBreaker, BREAKER_FAILURES_MAX};
use crate::state::SubmissionState;
use crate::store::test_support::{insert_queued, temp_store};

/// Limiter grants recorded so far, over every group.
fn grants(store: &Store) -> i64 {
    store
        .conn()
        .query_row("SELECT count(*) FROM limiter_events", [], |r| r.get(0))
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_request_the_breaker_refuses_takes_no_limiter_permit() {
    let env = start_sim().await;
    let (_dir, store, company) = temp_store();
    let mut r = runner(&env, store, company);
    let now_ms = r.clock.now_ms();
    for _ in 0..BREAKER_FAILURES_MAX {
        r.breaker.on_transient_failure(now_ms, &mut r.rng);
    }
    let BreakerState::Open { probe_at_ms } = r.breaker.status().state else {
        panic!("the breaker opens after {BREAKER_FAILURES_MAX} failures");
    };
    assert!(probe_at_ms > now_ms, "the probe is not due yet");
    let sent = AtomicU32::new(0);
    let send = |_, _| async {
        sent.fetch_add(1, Ordering::SeqCst);
        Ok(())
    };

    let mut tick = Tick {
        progressed: false,
        wake_ms: None,
    };
    let refused = r
        .call(Request::new(LimitGroup::SessionMisc), &mut tick, send)
        .await
        .unwrap();
    assert!(refused.is_none(), "the breaker says not now");
    assert_eq!(sent.load(Ordering::SeqCst), 0, "nothing left");
    assert_eq!(grants(r.store()), 0, "no permit was used up");
    assert_eq!(tick.wake_ms, Some(probe_at_ms), "woken for the probe");
    assert!(!tick.progressed);

    // The same request with the breaker closed does take a permit: the count above is real.
    r.breaker = CircuitBreaker::new();
    let answered = r
        .call(Request::new(LimitGroup::SessionMisc), &mut tick, send)
        .await
        .unwrap();
    assert!(matches!(answered, Some(Ok(()))), "{answered:?}");
    assert_eq!(sent.load(Ordering::SeqCst), 1);
    assert_eq!(grants(r.store()), 1);
    assert!(tick.progressed);
}

#[tokio::test(start_paused = true)]
async fn a_session_expiring_during_an_outage_is_closed_by_the_probe_and_sending_resumes() {
    let env = start_sim().await;
    let (_dir, mut store, company) = temp_store();
    let files = samples(2);
    let first = insert_queued(&mut store, company, "a", &files[0], env.clock.now_ms());
    let second = insert_queued(&mut store, company, "b", &files[1], env.clock.now_ms());
    // One send per tick: the session stays open with the second invoice still queued.
    let mut r = runner_with(&env, store, company, |c| c.sends_per_tick_max = 1);
    r.tick().await.unwrap();
    let valid_until_ms = r.online.as_ref().expect("a session is open").valid_until_ms;
    assert_eq!(
        r.store().invoice(second).unwrap().state,
        SubmissionState::Queued
    );
    // KSeF goes down (the breaker opens) and is back only once the session is near its end:
    // the next send must first close it, and that close is the probe.
    let now_ms = r.clock.now_ms();
    for _ in 0..BREAKER_FAILURES_MAX {
        r.breaker.on_transient_failure(now_ms, &mut r.rng);
    }
    let expiring_in_ms = valid_until_ms - r.config.session_margin_ms - now_ms;
    tokio::time::advance(Duration::from_millis(
        u64::try_from(expiring_in_ms).unwrap(),
    ))
    .await;

    drive(&mut r).await.unwrap();
    assert_accepted_with_upo(r.store(), first, &files[0], &env.sim);
    assert_accepted_with_upo(r.store(), second, &files[1], &env.sim);
    assert_no_double_acceptance(&env.sim);
}
