//! The reconciliation job's stuck thresholds, driven by the paused clock: an alert only once a
//! threshold has passed, and resolved once the work moved on.

use std::time::Duration;

use super::super::*;
use super::sim::{drive, runner_with, sample, start_sim};
use crate::store::test_support::{insert_queued, temp_store};

const THRESHOLD_MS: i64 = 30 * 60_000;
/// Well-formed batch session reference the simulator never issued.
const BATCH_SESSION: &str = "20260901-SB-0000000000-0000000000-00";

fn open_kinds(store: &Store) -> Vec<(String, String)> {
    store
        .open_alerts()
        .unwrap()
        .into_iter()
        .map(|a| (a.kind, a.code))
        .collect()
}

fn stuck(kind: &str) -> (String, String) {
    (kind.to_owned(), crate::outcome::STUCK_CODE.to_owned())
}

#[tokio::test(start_paused = true)]
async fn a_due_invoice_left_in_the_queue_past_the_threshold_raises_an_alert_resolved_once_sent() {
    let env = start_sim().await;
    let (_dir, mut store, company) = temp_store();
    let bytes = sample("FA_3_Przyklad_1.xml");
    let id = insert_queued(&mut store, company, "a", &bytes, env.clock.now_ms());
    let mut r = runner_with(&env, store, company, |c| c.stuck_queued_ms = THRESHOLD_MS);
    // The reconciliation job alone never sends: the invoice waits in the queue.
    let step = u64::try_from(THRESHOLD_MS / 2).unwrap();
    tokio::time::advance(Duration::from_millis(step - 1)).await;
    r.reconcile_now().await.unwrap();
    assert!(!open_kinds(r.store()).contains(&stuck(stuck::STUCK_QUEUE_ALERT)));
    tokio::time::advance(Duration::from_millis(step + 2)).await;
    r.reconcile_now().await.unwrap();
    let alerts = r.store().open_alerts().unwrap();
    let alert = alerts
        .iter()
        .find(|a| a.kind == stuck::STUCK_QUEUE_ALERT)
        .expect("stuck queue alert");
    assert_eq!(alert.code, crate::outcome::STUCK_CODE);
    assert!(
        alert.message.starts_with("1 invoice(s)"),
        "{}",
        alert.message
    );
    // Once it went out, the next reconciliation resolves the alert.
    drive(&mut r).await.unwrap();
    assert_eq!(
        r.store().invoice(id).unwrap().state,
        crate::state::SubmissionState::Accepted
    );
    r.reconcile_now().await.unwrap();
    assert!(!open_kinds(r.store()).contains(&stuck(stuck::STUCK_QUEUE_ALERT)));
}

#[tokio::test(start_paused = true)]
async fn a_batch_ksef_processes_past_the_threshold_raises_an_alert_resolved_once_processed() {
    let env = start_sim().await;
    let (_dir, store, company) = temp_store();
    let opened = env.clock.now_ms();
    sessions::insert_session(&store, company, BATCH_SESSION, "batch", None, opened).unwrap();
    sessions::set_state(&store, BATCH_SESSION, sessions::BATCH_PROCESSING, opened).unwrap();
    let mut r = runner_with(&env, store, company, |c| c.stuck_batch_ms = THRESHOLD_MS);
    tokio::time::advance(Duration::from_millis(
        u64::try_from(THRESHOLD_MS - 1).unwrap(),
    ))
    .await;
    r.reconcile_now().await.unwrap();
    assert!(!open_kinds(r.store()).contains(&stuck(stuck::STUCK_BATCH_ALERT)));
    tokio::time::advance(Duration::from_millis(2)).await;
    r.reconcile_now().await.unwrap();
    let alerts = r.store().open_alerts().unwrap();
    let alert = alerts
        .iter()
        .find(|a| a.kind == stuck::STUCK_BATCH_ALERT)
        .expect("stuck batch alert");
    assert_eq!(alert.code, crate::outcome::STUCK_CODE);
    assert!(alert.message.contains(BATCH_SESSION), "{}", alert.message);
    sessions::set_state(r.store(), BATCH_SESSION, "closed", env.clock.now_ms()).unwrap();
    r.reconcile_now().await.unwrap();
    assert!(!open_kinds(r.store()).contains(&stuck(stuck::STUCK_BATCH_ALERT)));
}
