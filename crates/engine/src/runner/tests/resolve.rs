//! Unknown outcomes settled by each of the resolver's ways of asking (session list, invoice
//! status, invoice search), attachments only in batch, and UPOs that cannot be had, end to end
//! against the in-process simulator. A session "KSeF no longer knows" is one whose reference in
//! our records KSeF has never issued: KSeF answers 21173 for it, as for an expired one.

use sha2::Digest;

use super::super::*;
use super::sim::{
    assert_accepted_with_upo, assert_no_double_acceptance, drive, runner, runner_with, sample,
    sim_admin, start_sim, Env,
};
use crate::state::{Actor, Change, SubmissionState};
use crate::store::test_support::temp_store;
use crate::validation::InvoiceValidator;

/// Well-formed, never issued by KSeF.
const UNKNOWN_SESSION: &str = "20260901-SO-0000000000-0000000000-00";

/// Inserts `bytes` queued the way import does: with the summary read from the document (seller,
/// number, issue date, attachment flag).
pub(super) fn insert_read(
    store: &mut Store,
    company: CompanyId,
    bytes: &[u8],
    now_ms: i64,
) -> InvoiceId {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
    let validation = crate::fa3_validator::Fa3Validator::new(fa3::Environment::Test, today, None)
        .validate(bytes);
    let summary = validation.summary.expect("the sample reads");
    let sha = hex::encode(sha2::Sha256::digest(bytes));
    let tx = store.conn_mut().transaction().unwrap();
    let id = crate::store::insert_invoice(
        &tx,
        &crate::store::NewInvoice {
            company,
            file_name: "f.xml",
            source_path: "f.xml",
            original: bytes,
            sha256: &sha,
            summary: Some(&summary),
            duplicate_key: validation.duplicate_key.as_deref(),
            content_hash: &sha,
            state: SubmissionState::Queued,
            conflict_with: None,
            trace_id: "trace",
            findings: &[],
        },
        now_ms,
    )
    .unwrap();
    tx.commit().unwrap();
    id
}

/// Our records now name a session KSeF does not know (as after it expired or was lost).
fn forget_session(store: &Store, to: &str) {
    let changed = store
        .conn()
        .execute("UPDATE ksef_sessions SET ref = ?1", [to])
        .unwrap();
    assert_eq!(changed, 1, "the test expects exactly one session");
}

/// A first runner sends `bytes` and dies at `point`; returns the store it left behind.
async fn die_at(env: &Env, bytes: &[u8], point: CrashPoint) -> (tempfile::TempDir, InvoiceId) {
    let (dir, mut store, company) = temp_store();
    let id = insert_read(&mut store, company, bytes, env.clock.now_ms());
    let mut first = runner(env, store, company).with_hooks(CrashOnce::at(point));
    assert!(matches!(
        drive(&mut first).await,
        Err(RunnerError::Crash(InjectedCrash(p))) if p == point
    ));
    (dir, id)
}

fn reopen(dir: &tempfile::TempDir) -> (Store, CompanyId) {
    let store = Store::open(&dir.path().join("outbox.db")).unwrap();
    let company = report::companies(&store).unwrap()[0];
    (store, company)
}

fn codes(store: &Store, id: InvoiceId) -> Vec<String> {
    store
        .event_history(id)
        .unwrap()
        .into_iter()
        .filter_map(|e| e.code)
        .collect()
}

fn open_alert_codes(store: &Store, id: InvoiceId) -> Vec<String> {
    store
        .open_alerts()
        .unwrap()
        .into_iter()
        .filter(|a| a.invoice == Some(id))
        .map(|a| a.code)
        .collect()
}

fn open_alert(store: &Store, code: &str) -> crate::store::AlertId {
    store
        .open_alerts()
        .unwrap()
        .into_iter()
        .find(|a| a.code == code)
        .expect("alert open")
        .id
}

fn sends(env: &Env) -> Option<u64> {
    env.sim.stats().requests.get("invoiceSend").copied()
}

#[tokio::test(start_paused = true)]
async fn an_unknown_outcome_is_found_in_the_session_list_without_resending() {
    let env = start_sim().await;
    let bytes = sample("FA_3_Przyklad_1.xml");
    let (dir, id) = die_at(&env, &bytes, CrashPoint::AfterSendBeforeRecord).await;
    let (store, company) = reopen(&dir);
    let mut second = runner(&env, store, company);
    drive(&mut second).await.unwrap();
    assert_accepted_with_upo(second.store(), id, &bytes, &env.sim);
    assert!(codes(second.store(), id).contains(&resolver::RESOLVED_RECEIVED_CODE.to_owned()));
    assert_eq!(sends(&env), Some(1), "sent once");
    assert_no_double_acceptance(&env.sim);
}

#[tokio::test(start_paused = true)]
async fn an_unlistable_session_falls_back_to_the_invoices_own_status() {
    let env = start_sim().await;
    let bytes = sample("FA_3_Przyklad_1.xml");
    // Dies while judging: the invoice is `sent` with its session and invoice references.
    let (dir, id) = die_at(&env, &bytes, CrashPoint::AfterStatusBeforeRecord).await;
    let (mut store, company) = reopen(&dir);
    let row = store.invoice(id).unwrap();
    assert_eq!(row.state, SubmissionState::Sent);
    assert!(row.ksef_invoice_ref.is_some());
    // Its outcome becomes unknown, and the session its send intent names cannot be listed.
    let now = env.clock.now_ms();
    let unknown = Change::to(SubmissionState::NeedsAttention, Actor::Engine)
        .because("engine.lease_expired", None);
    store.apply_override(id, &unknown, now).unwrap();
    forget_session(&store, UNKNOWN_SESSION);
    let mut second = runner(&env, store, company);
    drive(&mut second).await.unwrap();
    assert_accepted_with_upo(second.store(), id, &bytes, &env.sim);
    let codes = codes(second.store(), id);
    assert!(
        codes.contains(&resolver::RESOLVED_BY_STATUS_CODE.to_owned()),
        "{codes:?}"
    );
    assert!(!codes.contains(&resolver::RESOLVED_RECEIVED_CODE.to_owned()));
    assert_eq!(sends(&env), Some(1), "sent once");
    assert_no_double_acceptance(&env.sim);
}

#[tokio::test(start_paused = true)]
async fn a_session_ksef_no_longer_knows_falls_back_to_the_invoice_search() {
    let env = start_sim().await;
    let bytes = sample("FA_3_Przyklad_1.xml");
    let (dir, id) = die_at(&env, &bytes, CrashPoint::AfterSendBeforeRecord).await;
    let (store, company) = reopen(&dir);
    assert_eq!(
        store.invoice(id).unwrap().ksef_invoice_ref,
        None,
        "no reference learnt"
    );
    forget_session(&store, UNKNOWN_SESSION);
    let mut second = runner_with(&env, store, company, |c| c.upo_horizon_ms = 60_000);
    drive(&mut second).await.unwrap();
    let row = second.store().invoice(id).unwrap();
    assert_eq!(row.state, SubmissionState::Accepted, "{row:?}");
    let ledger = env.sim.ledger();
    assert_eq!(ledger.len(), 1);
    assert_eq!(
        row.ksef_number.as_deref(),
        Some(ledger[0].ksef_number.as_str())
    );
    assert!(codes(second.store(), id).contains(&resolver::RESOLVED_BY_SEARCH_CODE.to_owned()));
    // The only session we know for it is the forgotten one: no UPO, and a person is told once
    // the horizon passed instead of the run waiting for ever.
    assert!(second.store().upo(id).unwrap().is_none());
    assert_eq!(
        open_alert_codes(second.store(), id),
        [poller::UPO_UNAVAILABLE_CODE]
    );
    assert_eq!(sends(&env), Some(1), "sent once");
    assert_no_double_acceptance(&env.sim);
}

#[tokio::test(start_paused = true)]
async fn an_invoice_ksef_cannot_place_is_never_resent_and_goes_to_a_person_after_the_horizon() {
    let env = start_sim().await;
    // KSeF takes the invoice but fails it, so its search never finds it.
    sim_admin(&env.base, r#"{"rejectNext": {"code": 450}}"#).await;
    let bytes = sample("FA_3_Przyklad_1.xml");
    let (dir, id) = die_at(&env, &bytes, CrashPoint::AfterSendBeforeRecord).await;
    let (store, company) = reopen(&dir);
    forget_session(&store, UNKNOWN_SESSION);
    let horizon_ms = 30 * 60_000;
    let mut second = runner_with(&env, store, company, |c| c.resolve_horizon_ms = horizon_ms);
    let started = env.clock.now_ms();
    drive(&mut second).await.unwrap();
    assert!(
        env.clock.now_ms() - started >= horizon_ms,
        "asked until the horizon"
    );
    let row = second.store().invoice(id).unwrap();
    assert_eq!(row.state, SubmissionState::NeedsAttention, "{row:?}");
    assert_eq!(
        open_alert_codes(second.store(), id),
        [resolver::OUTCOME_UNRESOLVED_CODE]
    );
    assert_eq!(sends(&env), Some(1), "never resent while uncertain");
    assert!(env.sim.ledger().is_empty());
    // Resolving the alert makes the runner ask KSeF once more; still nothing, so a new alert.
    let alert = open_alert(second.store(), resolver::OUTCOME_UNRESOLVED_CODE);
    second
        .store
        .resolve_alert(alert, env.clock.now_ms())
        .unwrap();
    let searches = |env: &Env| env.sim.stats().requests.get("invoiceMetadata").copied();
    let before = searches(&env);
    assert!(second.tick().await.unwrap().progressed);
    assert!(searches(&env) > before, "asked again");
    assert_ne!(
        open_alert(second.store(), resolver::OUTCOME_UNRESOLVED_CODE),
        alert
    );
    assert_eq!(sends(&env), Some(1));
}

#[tokio::test(start_paused = true)]
async fn an_invoice_with_an_attachment_goes_in_a_batch_even_alone() {
    let env = start_sim().await;
    let (_dir, mut store, company) = temp_store();
    let bytes = sample("FA_3_Przyklad_24.xml");
    let id = insert_read(&mut store, company, &bytes, env.clock.now_ms());
    let has_attachment: bool = store
        .conn()
        .query_row(
            "SELECT has_attachment FROM invoices WHERE id = ?1",
            [id.0],
            |r| r.get(0),
        )
        .unwrap();
    assert!(has_attachment, "the sample carries a Zalacznik");
    let mut r = runner(&env, store, company);
    assert!(r.config.batch_threshold > 1, "alone, it would go online");
    drive(&mut r).await.unwrap();
    assert_accepted_with_upo(r.store(), id, &bytes, &env.sim);
    assert_eq!(sends(&env), None, "no online send");
    let kinds: Vec<String> = r
        .store()
        .conn()
        .prepare("SELECT kind FROM ksef_sessions")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(kinds, ["batch"]);
}

#[tokio::test(start_paused = true)]
async fn an_unusable_session_reference_falls_back_to_the_upo_of_the_session_it_went_out_in() {
    let env = start_sim().await;
    let bytes = sample("FA_3_Przyklad_1.xml");
    let (dir, id) = die_at(&env, &bytes, CrashPoint::AfterUpoDownloadBeforeStore).await;
    let (store, company) = reopen(&dir);
    assert_eq!(store.invoice(id).unwrap().state, SubmissionState::Accepted);
    store
        .conn()
        .execute(
            "UPDATE invoices SET ksef_session_ref = 'not a reference'",
            [],
        )
        .unwrap();
    let mut second = runner(&env, store, company);
    drive(&mut second).await.unwrap();
    assert_accepted_with_upo(second.store(), id, &bytes, &env.sim);
    assert!(open_alert_codes(second.store(), id).is_empty());
}

#[tokio::test(start_paused = true)]
async fn an_accepted_invoice_with_no_usable_session_gets_an_alert_instead_of_an_endless_wait() {
    let env = start_sim().await;
    let bytes = sample("FA_3_Przyklad_1.xml");
    let (dir, id) = die_at(&env, &bytes, CrashPoint::AfterUpoDownloadBeforeStore).await;
    let (store, company) = reopen(&dir);
    store
        .conn()
        .execute(
            "UPDATE invoices SET ksef_session_ref = 'not a reference'",
            [],
        )
        .unwrap();
    forget_session(&store, "not a reference either");
    let mut second = runner(&env, store, company);
    drive(&mut second).await.unwrap();
    let row = second.store().invoice(id).unwrap();
    assert_eq!(row.state, SubmissionState::Accepted);
    assert!(second.store().upo(id).unwrap().is_none());
    assert_eq!(
        open_alert_codes(second.store(), id),
        [poller::UPO_UNAVAILABLE_CODE]
    );
    // Resolving the alert makes the runner ask again.
    let alert = open_alert(second.store(), poller::UPO_UNAVAILABLE_CODE);
    second
        .store
        .resolve_alert(alert, env.clock.now_ms())
        .unwrap();
    assert_eq!(work::open_work(second.store(), company).unwrap(), 1);
}

#[tokio::test(start_paused = true)]
async fn an_unknown_outcome_met_by_an_outage_is_resolved_once_ksef_is_back() {
    let env = start_sim().await;
    let bytes = sample("FA_3_Przyklad_1.xml");
    let (dir, id) = die_at(&env, &bytes, CrashPoint::AfterSendBeforeRecord).await;
    sim_admin(
        &env.base,
        r#"{"outage": {"mode": "503", "durationMs": 600000}}"#,
    )
    .await;
    let (store, company) = reopen(&dir);
    let mut second = runner(&env, store, company);
    // The breaker opens, then probes; each probe must really be sent or it never closes again.
    drive(&mut second).await.unwrap();
    assert_accepted_with_upo(second.store(), id, &bytes, &env.sim);
    assert_eq!(sends(&env), Some(1), "sent once");
    assert_no_double_acceptance(&env.sim);
}
