//! 440 duplicates whose original went out in a session KSeF will not list to us: the original was
//! sent under another context (another install, another NIP's token), so KSeF answers 21173 for
//! its session. The runner then asks KSeF's invoice search instead, backing off while it cannot.

use ksef_api::http::{HttpConfig, HttpKsef};
use ksef_api::{ContextIdentifier, Environment, LimitGroup, LimitScope, Nip, Secret};

use super::super::*;
use super::resolve::insert_read;
use super::sim::{drive, runner_with, sample, start_sim_with, Env, TestClock};
use crate::state::SubmissionState;
use crate::store::test_support::temp_store;

/// A second context the simulator accepts; it may send invoices of the samples' seller.
const OTHER_NIP: &str = "1111111111";
const OTHER_TOKEN: &str = "20260201-TK-0000000002-0000000002-01|nip-1111111111|fedcba9876543210";
/// Wait before the first retry; the backoff doubles it per try.
const RETRY_LATER_MS: i64 = 10_000;
/// How long the test keeps our invoice search blocked.
const SEARCH_BLOCKED_MS: i64 = 3_600_000;

async fn start() -> Env {
    start_sim_with(|c| {
        c.tokens
            .push(format!("{OTHER_NIP}:{OTHER_TOKEN}").parse().unwrap())
    })
    .await
}

/// The other context sends `bytes`; returns the KSeF number and session KSeF gave it.
async fn sent_by_other_context(env: &Env, bytes: &[u8]) -> (String, String) {
    let (_dir, mut store, company) = temp_store();
    insert_read(&mut store, company, bytes, env.clock.now_ms());
    let mut http = HttpConfig::new(Environment::custom(&env.base).unwrap());
    http.auth_poll_interval = std::time::Duration::from_millis(500);
    let credentials = Credentials {
        context: ContextIdentifier::Nip(Nip::parse(OTHER_NIP).unwrap()),
        ksef_token: Secret::new(OTHER_TOKEN),
    };
    let config = RunnerConfig {
        owner: "other".to_owned(),
        ..RunnerConfig::default()
    };
    let mut other: Runner<HttpKsef, TestClock> = Runner::new(
        store,
        company,
        HttpKsef::new(http).unwrap(),
        credentials,
        env.clock.clone(),
        crate::rng::seeded(5),
        config,
    );
    drive(&mut other).await.unwrap();
    let ledger = env.sim.ledger();
    assert_eq!(ledger.len(), 1, "the other context's invoice is accepted");
    (
        ledger[0].ksef_number.clone(),
        ledger[0].session_reference_number.clone(),
    )
}

fn session_lists(env: &Env) -> u64 {
    let stats = env.sim.stats();
    stats
        .requests
        .get("sessionInvoiceList")
        .copied()
        .unwrap_or(0)
}

#[tokio::test(start_paused = true)]
async fn an_unlistable_original_session_is_settled_by_the_search_asked_with_backoff() {
    let env = start().await;
    let bytes = sample("FA_3_Przyklad_1.xml");
    let (number, original_session) = sent_by_other_context(&env, &bytes).await;

    let (_dir, mut store, company) = temp_store();
    let id = insert_read(&mut store, company, &bytes, env.clock.now_ms());
    // Our records name the original's session (e.g. the company's token changed context), but
    // KSeF will not list it to our context.
    let now = env.clock.now_ms();
    sessions::insert_session(&store, company, &original_session, "online", None, now).unwrap();
    sessions::mark_closed(&store, &original_session, now).unwrap();
    let mut r = runner_with(&env, store, company, |c| {
        c.retry_later_ms = RETRY_LATER_MS;
        c.upo_horizon_ms = 60_000;
    });
    // KSeF's invoice search is out of budget for an hour.
    r.limiter
        .penalise(
            &mut r.store,
            LimitScope::Context(LimitGroup::InvoiceMetadata),
            SEARCH_BLOCKED_MS,
            now,
        )
        .unwrap();
    let lists_before = session_lists(&env);
    drive(&mut r).await.unwrap();

    let row = r.store().invoice(id).unwrap();
    assert_eq!(row.state, SubmissionState::Accepted, "{row:?}");
    assert_eq!(row.ksef_number.as_deref(), Some(number.as_str()));
    assert_eq!(row.attempts, 1, "sent once");
    let events = r.store().event_history(id).unwrap();
    let accepted = events
        .iter()
        .find(|e| e.code.as_deref() == Some(poller::DUPLICATE_OWN_CODE))
        .expect("settled as our own duplicate");
    assert!(
        accepted.at >= now + SEARCH_BLOCKED_MS,
        "only the search could settle it, and only once it was allowed"
    );
    assert!(env.sim.stats().requests.get("invoiceMetadata").copied() >= Some(1));
    // Each check lists our session and the original's. Asking at every wake-up (every
    // RETRY_LATER_MS while the list fails) would list ~2 * SEARCH_BLOCKED_MS / RETRY_LATER_MS
    // times; backing off to at most every reconciliation period lists a few dozen times.
    let every_wake_up = 2 * SEARCH_BLOCKED_MS / RETRY_LATER_MS;
    let lists = i64::try_from(session_lists(&env) - lists_before).unwrap();
    assert!(
        lists < every_wake_up / 6,
        "{lists} session lists in an hour (asking at every wake-up: {every_wake_up})"
    );
}
