//! Outage: KSeF answers 503 for a simulated hour. Everything stays buffered (queued / sending /
//! sent — never an error state), the runner reports "unavailable since", its circuit breaker
//! keeps the requests made during the outage under a bound derived from the breaker's policy,
//! and once KSeF is back every invoice is delivered exactly once with its UPO.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::Request;
use axum::middleware::{self, Next};
use engine::backoff::{BREAKER_COOL_DOWN_MS, BREAKER_COOL_DOWN_MS_MAX, BREAKER_FAILURES_MAX};
use engine::clock::Clock;
use engine::state::SubmissionState;
use ksef_desk_tests::audit::audit;
use ksef_desk_tests::clock::VirtualClock;
use ksef_desk_tests::local::read_store;
use ksef_desk_tests::world::{sim_config, wait_for_wake, Outbox};
use ksef_sim::Simulator;

const SEED: u64 = 41;
const INVOICES: usize = 20;
/// The outage lasts one simulated hour.
const OUTAGE_MS: i64 = 3_600_000;
/// Ticks the test allows for delivery after the outage.
const RECOVERY_TICKS_MAX: u32 = 20_000;
/// HTTP requests one admitted operation may make before its first failure ends it (the token
/// holder's challenge → authenticate chain fails at its first request; a send is one request).
const REQUESTS_PER_ADMISSION_MAX: u64 = 2;

/// Probes the breaker can admit within `window_ms`: each cool-down is at least half of its
/// doubling, capped ceiling ("equal jitter"), so the shortest possible cool-downs bound the count.
fn probes_max(window_ms: i64) -> u64 {
    let mut elapsed_ms = 0;
    let mut probes = 0;
    for opens in 1.. {
        let shift = (opens - 1).min(30);
        let ceiling = (BREAKER_COOL_DOWN_MS << shift).min(BREAKER_COOL_DOWN_MS_MAX);
        elapsed_ms += ceiling / 2;
        if elapsed_ms > window_ms {
            break;
        }
        probes += 1;
    }
    probes
}

/// Serves the simulator's router behind a layer that counts every HTTP request, including the
/// ones an outage answers before the simulator's own statistics see them.
async fn serve_counted(clock: VirtualClock) -> (Simulator, String, String, Arc<AtomicU64>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let root = format!("http://{}", listener.local_addr().expect("addr"));
    let config = ksef_sim::SimConfig {
        public_base_url: Some(root.clone()),
        processing_ms: 1_500,
        ..sim_config(SEED)
    };
    let sim = Simulator::new(config, Arc::new(clock)).expect("simulator");
    let requests = Arc::new(AtomicU64::new(0));
    let counter = requests.clone();
    let app = sim
        .router()
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            counter.fetch_add(1, Ordering::SeqCst);
            next.run(req)
        }));
    tokio::spawn(async move {
        let service = app.into_make_service_with_connect_info::<SocketAddr>();
        // The server ends with the test's runtime.
        let _ = axum::serve(listener, service).await;
    });
    (sim, format!("{root}/v2"), root, requests)
}

#[tokio::test(start_paused = true)]
async fn an_hour_long_outage_buffers_everything_backs_off_and_then_delivers() {
    let clock = VirtualClock::after_samples();
    let (sim, api_base, root, requests) = serve_counted(clock).await;
    let outbox = Outbox::import(SEED, INVOICES, &api_base, &clock).expect("import");

    let outage = serde_json::json!({"outage": {"mode": "503", "durationMs": OUTAGE_MS}});
    let answer = reqwest::Client::new()
        .post(format!("{root}/_sim/faults"))
        .json(&outage)
        .send()
        .await
        .expect("faults endpoint");
    assert!(answer.status().is_success());
    let outage_start_ms = clock.now_ms();
    let outage_end_ms = outage_start_ms + OUTAGE_MS;
    let before = requests.load(Ordering::SeqCst);

    let mut runner = outbox.runner(&api_base, clock, SEED, 0).expect("runner");
    let mut unavailable_since = None;
    while clock.now_ms() < outage_end_ms {
        let outcome = runner.tick().await.expect("tick");
        for row in read_store(runner.store(), outbox.company).expect("read") {
            assert!(
                matches!(
                    row.state,
                    SubmissionState::Queued
                        | SubmissionState::Sending
                        | SubmissionState::Sent
                        | SubmissionState::Invalid
                        | SubmissionState::Conflict
                ),
                "{} in {} during the outage ({:?})",
                row.file_name,
                row.state,
                row.reasons
            );
        }
        unavailable_since = unavailable_since.or(runner.unavailable_since_ms());
        wait_for_wake(&clock, outcome.next_wake_at_ms.min(outage_end_ms)).await;
    }
    let during = requests.load(Ordering::SeqCst) - before;
    let since = unavailable_since.expect("the runner reported KSeF unavailable");
    assert!(
        (outage_start_ms..outage_end_ms).contains(&since),
        "unavailable since {since}, outage from {outage_start_ms}"
    );
    let admissions_max = u64::from(BREAKER_FAILURES_MAX) + probes_max(OUTAGE_MS);
    let bound = admissions_max * REQUESTS_PER_ADMISSION_MAX;
    println!("requests during a 1 h outage: {during} (bound {bound})");
    assert!(during > 0, "the runner tried KSeF during the outage");
    assert!(
        during <= bound,
        "{during} requests in the outage, bound {bound}"
    );

    for _ in 0..RECOVERY_TICKS_MAX {
        let outcome = runner.tick().await.expect("tick");
        if outcome.idle {
            break;
        }
        wait_for_wake(&clock, outcome.next_wake_at_ms).await;
    }
    assert_eq!(runner.unavailable_since_ms(), None, "KSeF is back");
    let local = read_store(runner.store(), outbox.company).expect("read");
    let violations = audit(&outbox.workload, &sim.ledger(), &local);
    assert!(violations.is_empty(), "{violations:#?}");
}

#[test]
fn the_probe_bound_follows_the_breaker_policy() {
    // Cool-downs of at least 15 s, 30 s, 60 s, …: two fit in 45 s, not three.
    assert_eq!(
        BREAKER_COOL_DOWN_MS, 30_000,
        "the example below assumes 30 s"
    );
    assert_eq!(probes_max(45_000), 2);
    assert_eq!(probes_max(44_999), 1);
}
