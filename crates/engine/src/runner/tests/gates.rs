//! The order of a request's gates in [`Runner::call`]: the circuit breaker is asked before the
//! limiter. A permit taken first would be spent on a request that never leaves while KSeF is
//! down, and the limiter would hold back the first requests once it is up again.

use std::sync::atomic::{AtomicU32, Ordering};

use ksef_api::LimitGroup;

use super::super::call::Request;
use super::super::*;
use super::sim::{runner, start_sim};
use crate::backoff::{BreakerState, CircuitBreaker, BREAKER_FAILURES_MAX};
use crate::store::test_support::temp_store;

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
