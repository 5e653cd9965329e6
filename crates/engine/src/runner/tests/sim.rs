//! The runner end to end against the in-process simulator. Both read one clock driven by tokio's
//! paused time, so processing delays pass by advancing time, never by sleeping.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use ksef_api::http::{HttpConfig, HttpKsef};
use ksef_api::{ContextIdentifier, Environment, Nip, Secret, Sha256B64};
use ksef_sim::{LimitsMode, RateTable, SimConfig, Simulator};

use super::super::*;
use crate::state::{Actor, Change, SubmissionState};
use crate::store::test_support::{insert_queued, temp_store};

/// Seller NIP of the official samples.
pub(super) const NIP: &str = "9999999999";
const TOKEN: &str = "20260201-TK-0000000001-0000000001-01|nip-9999999999|0123456789abcdef";
/// Ticks before a test gives up on convergence.
const TICKS_MAX: usize = 400;

/// Wall-clock time that moves exactly as tokio's paused clock does; shared by runner and simulator.
#[derive(Clone)]
pub(super) struct TestClock(Arc<(DateTime<Utc>, tokio::time::Instant)>);

impl TestClock {
    fn new() -> TestClock {
        // After every sample's issue date (latest 2026-08-17), so KSeF accepts them.
        let start = Utc.with_ymd_and_hms(2026, 9, 1, 9, 0, 0).unwrap();
        TestClock(Arc::new((start, tokio::time::Instant::now())))
    }

    fn utc(&self) -> DateTime<Utc> {
        self.0 .0 + chrono::Duration::from_std(self.0 .1.elapsed()).unwrap()
    }
}

impl Clock for TestClock {
    fn now_ms(&self) -> i64 {
        self.utc().timestamp_millis()
    }
}

impl ksef_sim::Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        self.utc()
    }
}

pub(super) fn sample(name: &str) -> Vec<u8> {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/ksef/samples/fa3-valid")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Official samples of the same seller with distinct invoice numbers.
pub(super) fn samples(count: usize) -> Vec<Vec<u8>> {
    let mut dir: Vec<_> = std::fs::read_dir(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/ksef/samples/fa3-valid"),
    )
    .unwrap()
    .map(|e| e.unwrap().path())
    .collect();
    dir.sort();
    let mut seen = std::collections::HashSet::new();
    dir.into_iter()
        .map(|p| std::fs::read(p).unwrap())
        .filter(|b| String::from_utf8_lossy(b).contains(NIP))
        // One file per invoice number: equal numbers are KSeF duplicates (tested separately).
        .filter(|b| seen.insert(invoice_number(b)))
        .take(count)
        .collect()
}

/// `P_2` of an FA(3) file, read naively (the samples are well-formed).
pub(super) fn invoice_number(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.split("<P_2>")
        .nth(1)
        .and_then(|rest| rest.split("</P_2>").next())
        .unwrap_or_default()
        .to_owned()
}

/// Queues `count` numbered copies of the first sample (due at `now_ms`): their bytes and ids.
fn queue_copies(
    store: &mut Store,
    company: CompanyId,
    count: usize,
    now_ms: i64,
) -> (Vec<Vec<u8>>, Vec<InvoiceId>) {
    let files = numbered_copies(count);
    let ids = files
        .iter()
        .enumerate()
        .map(|(i, b)| insert_queued(store, company, &i.to_string(), b, now_ms))
        .collect();
    (files, ids)
}

/// `count` copies of sample 1, each with its own invoice number (so none duplicates another).
pub(super) fn numbered_copies(count: usize) -> Vec<Vec<u8>> {
    let text = String::from_utf8(sample("FA_3_Przyklad_1.xml")).unwrap();
    let number = invoice_number(text.as_bytes());
    (0..count)
        .map(|i| {
            text.replacen(
                &format!("<P_2>{number}</P_2>"),
                &format!("<P_2>BATCH/{i:05}</P_2>"),
                1,
            )
            .into_bytes()
        })
        .collect()
}

pub(super) struct Env {
    pub(super) sim: Simulator,
    pub(super) base: String,
    pub(super) clock: TestClock,
}

pub(super) async fn start_sim() -> Env {
    start_sim_with(|_| {}).await
}

/// A simulator whose configuration `adjust` may change (limits, faults).
pub(super) async fn start_sim_with(adjust: impl FnOnce(&mut SimConfig)) -> Env {
    let clock = TestClock::new();
    let mut config = SimConfig {
        seed: 7,
        tokens: vec![format!("{NIP}:{TOKEN}").parse().unwrap()],
        limits: LimitsMode::Table(RateTable::production()),
        processing_ms: 2_000,
        ..SimConfig::default()
    };
    adjust(&mut config);
    let sim = Simulator::new(config, Arc::new(clock.clone())).unwrap();
    let (base, _server) = sim.serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
    Env { sim, base, clock }
}

pub(super) fn runner(env: &Env, store: Store, company: CompanyId) -> Runner<HttpKsef, TestClock> {
    runner_with(env, store, company, |_| {})
}

/// A runner whose configuration `adjust` may change (horizons, thresholds).
pub(super) fn runner_with(
    env: &Env,
    store: Store,
    company: CompanyId,
    adjust: impl FnOnce(&mut RunnerConfig),
) -> Runner<HttpKsef, TestClock> {
    let mut http = HttpConfig::new(Environment::custom(&env.base).unwrap());
    http.auth_poll_interval = Duration::from_millis(500);
    let ksef = HttpKsef::new(http).unwrap();
    let credentials = Credentials {
        context: ContextIdentifier::Nip(Nip::parse(NIP).unwrap()),
        ksef_token: Secret::new(TOKEN),
    };
    let mut config = RunnerConfig {
        owner: "test".to_owned(),
        ..RunnerConfig::default()
    };
    adjust(&mut config);
    Runner::new(
        store,
        company,
        ksef,
        credentials,
        env.clock.clone(),
        crate::rng::seeded(3),
        config,
    )
}

/// Ticks (advancing paused time to each wake-up) until idle or a crash.
pub(super) async fn drive<H: Hooks>(
    r: &mut Runner<HttpKsef, TestClock, H>,
) -> Result<(), RunnerError> {
    let mut last = Vec::new();
    for _ in 0..TICKS_MAX {
        let outcome = r.tick().await?;
        last.push((r.clock.now_ms(), outcome));
        if outcome.idle {
            return Ok(());
        }
        let now = r.clock.now_ms();
        let wait = u64::try_from(outcome.next_wake_at_ms - now).unwrap_or(0);
        tokio::time::advance(Duration::from_millis(wait.max(1))).await;
    }
    let rows = report::status_rows(r.store()).unwrap();
    let events: Vec<_> = rows
        .iter()
        .map(|row| r.store().event_history(row.id).unwrap())
        .collect();
    let tail = &last[last.len().saturating_sub(5)..];
    panic!("runner did not become idle in {TICKS_MAX} ticks: {tail:?} {rows:#?} {events:#?}");
}

/// Every ledger hash appears once: nothing was accepted twice.
pub(super) fn assert_no_double_acceptance(sim: &Simulator) {
    let ledger = sim.ledger();
    let mut hashes: Vec<_> = ledger.iter().map(|e| e.invoice_hash.clone()).collect();
    hashes.sort();
    let before = hashes.len();
    hashes.dedup();
    assert_eq!(
        before,
        hashes.len(),
        "an invoice was accepted twice: {ledger:?}"
    );
}

pub(super) fn assert_accepted_with_upo(
    store: &Store,
    id: InvoiceId,
    bytes: &[u8],
    sim: &Simulator,
) {
    let row = store.invoice(id).unwrap();
    assert_eq!(row.state, SubmissionState::Accepted, "{row:?}");
    let number = row.ksef_number.clone().unwrap();
    let entry = sim
        .ledger()
        .into_iter()
        .find(|e| e.ksef_number == number)
        .expect("KSeF knows the number we stored");
    assert_eq!(entry.invoice_hash, Sha256B64::of(bytes).as_str());
    let upo = store.upo(id).unwrap().expect("UPO stored");
    let parsed = ksef_api::upo::Upo::parse(&upo.xml).unwrap();
    assert!(parsed
        .documents
        .iter()
        .any(|d| d.ksef_number.to_string() == number));
}

#[tokio::test(start_paused = true)]
async fn single_invoice_is_accepted_with_upo_and_no_429() {
    let env = start_sim().await;
    let (_dir, mut store, company) = temp_store();
    let bytes = sample("FA_3_Przyklad_1.xml");
    let id = insert_queued(&mut store, company, "1", &bytes, env.clock.now_ms());
    let mut r = runner(&env, store, company);
    drive(&mut r).await.unwrap();
    assert_accepted_with_upo(r.store(), id, &bytes, &env.sim);
    assert_eq!(env.sim.ledger().len(), 1);
    assert_eq!(
        env.sim.stats().rate_limited,
        0,
        "the limiter kept us under KSeF's limits"
    );
    assert!(
        sessions::open_sessions(r.store(), company)
            .unwrap()
            .is_empty(),
        "the session is closed once idle"
    );
}

#[tokio::test(start_paused = true)]
async fn several_invoices_are_all_accepted_once() {
    let env = start_sim().await;
    let (_dir, mut store, company) = temp_store();
    let files = samples(6);
    assert!(files.len() >= 3, "need several samples of seller {NIP}");
    let ids: Vec<_> = files
        .iter()
        .enumerate()
        .map(|(i, b)| insert_queued(&mut store, company, &i.to_string(), b, env.clock.now_ms()))
        .collect();
    let mut r = runner(&env, store, company);
    drive(&mut r).await.unwrap();
    for (id, bytes) in ids.iter().zip(&files) {
        assert_accepted_with_upo(r.store(), *id, bytes, &env.sim);
    }
    assert_eq!(env.sim.ledger().len(), files.len());
    assert_no_double_acceptance(&env.sim);
}

#[tokio::test(start_paused = true)]
async fn rejected_invoice_stays_rejected_with_a_code() {
    let env = start_sim().await;
    let (_dir, mut store, company) = temp_store();
    // Well-formed XML that is no FA(3) invoice: KSeF refuses it.
    let bytes = b"<?xml version=\"1.0\"?><Faktura xmlns=\"urn:nothing\"/>".to_vec();
    let id = insert_queued(&mut store, company, "bad", &bytes, env.clock.now_ms());
    let mut r = runner(&env, store, company);
    drive(&mut r).await.unwrap();
    let row = r.store().invoice(id).unwrap();
    assert_eq!(row.state, SubmissionState::Rejected, "{row:?}");
    assert!(row.error_code.is_some());
    assert!(env.sim.ledger().is_empty());
    // Idle means idle: more ticks do not retry a rejected invoice.
    let attempts = r.store().attempt_history(id).unwrap().len();
    r.tick().await.unwrap();
    assert_eq!(r.store().attempt_history(id).unwrap().len(), attempts);
}

/// Crashes at `point`, then lets a fresh runner on the same file finish.
async fn crash_then_converge(point: CrashPoint) {
    let env = start_sim().await;
    let (dir, mut store, company) = temp_store();
    let files = samples(2);
    let ids: Vec<_> = files
        .iter()
        .enumerate()
        .map(|(i, b)| insert_queued(&mut store, company, &i.to_string(), b, env.clock.now_ms()))
        .collect();
    let store = crash_at(&env, store, company, point, dir.path()).await;
    let mut second = runner(&env, store, company);
    drive(&mut second).await.unwrap();
    for (id, bytes) in ids.iter().zip(&files) {
        assert_accepted_with_upo(second.store(), *id, bytes, &env.sim);
    }
    assert_eq!(env.sim.ledger().len(), files.len(), "{point:?}");
    assert_no_double_acceptance(&env.sim);
    let sends = env.sim.stats().requests.get("invoiceSend").copied();
    assert_eq!(
        sends,
        Some(files.len() as u64),
        "no invoice was sent twice ({point:?})"
    );
}

#[tokio::test(start_paused = true)]
async fn crash_after_open_session_converges() {
    crash_then_converge(CrashPoint::AfterOpenSession).await;
}

#[tokio::test(start_paused = true)]
async fn crash_after_send_before_record_converges_without_resend() {
    crash_then_converge(CrashPoint::AfterSendBeforeRecord).await;
}

#[tokio::test(start_paused = true)]
async fn crash_after_send_recorded_converges() {
    crash_then_converge(CrashPoint::AfterSendRecorded).await;
}

#[tokio::test(start_paused = true)]
async fn crash_after_close_session_converges() {
    crash_then_converge(CrashPoint::AfterCloseSession).await;
}

#[tokio::test(start_paused = true)]
async fn crash_after_status_before_record_converges() {
    crash_then_converge(CrashPoint::AfterStatusBeforeRecord).await;
}

#[tokio::test(start_paused = true)]
async fn crash_after_upo_download_before_store_converges() {
    crash_then_converge(CrashPoint::AfterUpoDownloadBeforeStore).await;
}

#[tokio::test(start_paused = true)]
async fn blind_resend_after_unknown_outcome_is_reconciled_as_our_own_duplicate() {
    let env = start_sim().await;
    let (dir, mut store, company) = temp_store();
    let bytes = sample("FA_3_Przyklad_1.xml");
    let id = insert_queued(&mut store, company, "1", &bytes, env.clock.now_ms());
    let mut first =
        runner(&env, store, company).with_hooks(CrashOnce::at(CrashPoint::AfterSendBeforeRecord));
    assert!(drive(&mut first).await.is_err());
    drop(first);
    // A person re-queues the invoice whose outcome is unknown, bypassing the resolver.
    let mut store = Store::open(&dir.path().join("outbox.db")).unwrap();
    tokio::time::advance(Duration::from_millis(200_000)).await;
    let now = env.clock.now_ms();
    let expired = store.claim_ready(company, now, 0, 1, "person").unwrap();
    assert_eq!(expired.unresolved, vec![id]);
    let requeue = Change {
        next_attempt_at: Some(now),
        ..Change::to(SubmissionState::Queued, Actor::User)
    };
    store.apply_override(id, &requeue, now).unwrap();
    let mut second = runner(&env, store, company);
    drive(&mut second).await.unwrap();
    let row = second.store().invoice(id).unwrap();
    assert_eq!(row.state, SubmissionState::Accepted, "{row:?}");
    let ledger = env.sim.ledger();
    assert_eq!(ledger.len(), 1, "KSeF accepted it once");
    assert_eq!(
        row.ksef_number.as_deref(),
        Some(ledger[0].ksef_number.as_str())
    );
    let events = second.store().event_history(id).unwrap();
    assert!(events
        .iter()
        .any(|e| e.code.as_deref() == Some(poller::DUPLICATE_OWN_CODE)));
    assert_accepted_with_upo(second.store(), id, &bytes, &env.sim);
}

#[tokio::test(start_paused = true)]
async fn someone_elses_invoice_with_our_number_is_a_foreign_duplicate() {
    let env = start_sim().await;
    let (_dir, mut store, company) = temp_store();
    let original = sample("FA_3_Przyklad_1.xml");
    // Same seller, type and number, different content: KSeF answers 440 for the second one.
    let text = String::from_utf8(original.clone()).unwrap();
    let altered = text
        .replacen("</Faktura>", "<!-- altered --></Faktura>", 1)
        .into_bytes();
    assert_ne!(altered, original);
    let first = insert_queued(&mut store, company, "a", &original, env.clock.now_ms());
    let mut r = runner(&env, store, company);
    drive(&mut r).await.unwrap();
    let mut store = r.into_store();
    let second = insert_queued(&mut store, company, "b", &altered, env.clock.now_ms());
    let mut r = runner(&env, store, company);
    drive(&mut r).await.unwrap();
    assert_eq!(
        r.store().invoice(first).unwrap().state,
        SubmissionState::Accepted
    );
    let row = r.store().invoice(second).unwrap();
    assert_eq!(row.state, SubmissionState::Conflict, "{row:?}");
    assert_eq!(
        row.error_code.as_deref(),
        Some(poller::DUPLICATE_FOREIGN_CODE)
    );
    // The counterpart is our own accepted invoice holding that KSeF number.
    assert_eq!(row.conflict_with, Some(first));
    assert_eq!(env.sim.ledger().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_duplicate_of_an_invoice_sent_by_another_client_is_a_conflict_never_resent() {
    let env = start_sim().await;
    let original = sample("FA_3_Przyklad_1.xml");
    let ours = String::from_utf8(original.clone())
        .unwrap()
        .replacen("</Faktura>", "<!-- ours --></Faktura>", 1)
        .into_bytes();
    // Another install sends the original in its own session; we never see its records.
    let (_other_dir, mut other_store, other_company) = temp_store();
    insert_queued(
        &mut other_store,
        other_company,
        "x",
        &original,
        env.clock.now_ms(),
    );
    let mut other = runner(&env, other_store, other_company);
    drive(&mut other).await.unwrap();
    let ledger = env.sim.ledger();
    assert_eq!(ledger.len(), 1);
    let (number, session) = (
        ledger[0].ksef_number.clone(),
        ledger[0].session_reference_number.clone(),
    );

    let (_dir, mut store, company) = temp_store();
    let id = insert_queued(&mut store, company, "a", &ours, env.clock.now_ms());
    let mut r = runner(&env, store, company);
    drive(&mut r).await.unwrap();
    // Idle does not mean done: more ticks never send it again.
    for _ in 0..5 {
        tokio::time::advance(Duration::from_millis(600_000)).await;
        r.tick().await.unwrap();
    }
    let row = r.store().invoice(id).unwrap();
    assert_eq!(row.state, SubmissionState::Conflict, "{row:?}");
    assert_eq!(row.attempts, 1, "sent once, never again");
    assert_eq!(
        row.conflict_with,
        Some(id),
        "KSeF's original is the counterpart"
    );
    assert_eq!(
        row.error_code.as_deref(),
        Some(poller::DUPLICATE_FOREIGN_CODE)
    );
    let detail = row.error_detail.unwrap_or_default();
    assert!(
        detail.contains(&number) && detail.contains(&session),
        "{detail}"
    );
    assert_eq!(env.sim.ledger().len(), 1, "KSeF holds only the original");
    let alerts = r.store().open_alerts().unwrap();
    assert!(
        alerts.iter().any(|a| a.invoice == Some(id)
            && a.kind == poller::CONFLICT_ALERT
            && a.code == poller::DUPLICATE_FOREIGN_CODE),
        "{alerts:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn batch_of_fifty_is_accepted_with_upos_from_session_pages() {
    let env = start_sim().await;
    let (_dir, mut store, company) = temp_store();
    let (files, ids) = queue_copies(&mut store, company, 50, env.clock.now_ms());
    let mut r = runner(&env, store, company);
    drive(&mut r).await.unwrap();
    for (id, bytes) in ids.iter().zip(&files) {
        assert_accepted_with_upo(r.store(), *id, bytes, &env.sim);
    }
    assert_eq!(env.sim.ledger().len(), 50);
    assert_no_double_acceptance(&env.sim);
    let stats = env.sim.stats();
    assert_eq!(
        stats.requests.get("invoiceSend"),
        None,
        "no online sends: {stats:?}"
    );
    assert_eq!(stats.rate_limited, 0);
    // Receipts came from session UPO pages, not per-invoice API calls.
    let pages_upo = r.store().upo(ids[0]).unwrap().unwrap();
    let parsed = ksef_api::upo::Upo::parse(&pages_upo.xml).unwrap();
    assert!(
        parsed.documents.len() > 1,
        "a session page confirms many invoices"
    );
}

#[tokio::test(start_paused = true)]
async fn every_invoice_of_a_batch_larger_than_a_poll_round_gets_its_upo_from_the_session_pages() {
    const POLLS_PER_TICK: usize = 10;
    let env = start_sim().await;
    let (_dir, mut store, company) = temp_store();
    let (files, ids) = queue_copies(&mut store, company, 3 * POLLS_PER_TICK, env.clock.now_ms());
    let mut r = runner_with(&env, store, company, |c| {
        c.polls_per_tick_max = POLLS_PER_TICK;
    });
    drive(&mut r).await.unwrap();
    for (id, bytes) in ids.iter().zip(&files) {
        assert_accepted_with_upo(r.store(), *id, bytes, &env.sim);
        // A per-invoice UPO confirms one invoice; a session page confirms the whole batch.
        let upo = r.store().upo(*id).unwrap().unwrap();
        let parsed = ksef_api::upo::Upo::parse(&upo.xml).unwrap();
        assert_eq!(parsed.documents.len(), files.len(), "invoice {id:?}");
    }
    let stats = env.sim.stats();
    assert_eq!(stats.rate_limited, 0);
    // Only the session's status polls: no per-invoice UPO requests.
    let misc = stats.requests.get("sessionMisc").copied().unwrap_or(0);
    assert!(
        misc < files.len() as u64 - POLLS_PER_TICK as u64,
        "{stats:?}"
    );
}

/// Runs a runner on `store` until it crashes at `point` (it must), then opens the outbox in `dir`
/// again, as a restarted process would.
async fn crash_at(
    env: &Env,
    store: Store,
    company: CompanyId,
    point: CrashPoint,
    dir: &std::path::Path,
) -> Store {
    let mut first = runner(env, store, company).with_hooks(CrashOnce::at(point));
    let crashed = drive(&mut first).await;
    assert!(
        matches!(crashed, Err(RunnerError::Crash(InjectedCrash(p))) if p == point),
        "expected a crash at {point:?}, got {crashed:?}"
    );
    drop(first);
    Store::open(&dir.join("outbox.db")).unwrap()
}

#[tokio::test(start_paused = true)]
async fn crash_after_batch_upload_converges_without_double_acceptance() {
    let env = start_sim().await;
    let (dir, mut store, company) = temp_store();
    let (files, ids) = queue_copies(&mut store, company, 6, env.clock.now_ms());
    let store = crash_at(
        &env,
        store,
        company,
        CrashPoint::AfterBatchUpload,
        dir.path(),
    )
    .await;
    let mut second = runner(&env, store, company);
    drive(&mut second).await.unwrap();
    for (id, bytes) in ids.iter().zip(&files) {
        assert_accepted_with_upo(second.store(), *id, bytes, &env.sim);
    }
    assert_eq!(env.sim.ledger().len(), files.len());
    assert_no_double_acceptance(&env.sim);
}

#[tokio::test(start_paused = true)]
async fn a_crash_while_judging_a_batch_leaves_nothing_to_per_invoice_polling() {
    let env = start_sim().await;
    let (dir, mut store, company) = temp_store();
    let (files, ids) = queue_copies(&mut store, company, 6, env.clock.now_ms());
    // The crash comes at the first verdict: every invoice of the batch is `sent`, none judged.
    let point = CrashPoint::AfterStatusBeforeRecord;
    let store = crash_at(&env, store, company, point, dir.path()).await;
    let sent = ids
        .iter()
        .filter(|id| store.invoice(**id).unwrap().state == SubmissionState::Sent)
        .count();
    assert_eq!(sent, files.len(), "the crash left the batch unjudged");
    let asked = |group: &str| {
        let stats = env.sim.stats();
        stats.requests.get(group).copied().unwrap_or(0)
    };
    let (status_before, lists_before) = (asked("invoiceStatus"), asked("sessionInvoiceList"));

    let mut second = runner(&env, store, company);
    drive(&mut second).await.unwrap();
    for (id, bytes) in ids.iter().zip(&files) {
        assert_accepted_with_upo(second.store(), *id, bytes, &env.sim);
        // The receipt is the session page, which confirms the whole batch.
        let upo = second.store().upo(*id).unwrap().unwrap();
        let parsed = ksef_api::upo::Upo::parse(&upo.xml).unwrap();
        assert_eq!(parsed.documents.len(), files.len(), "invoice {id:?}");
    }
    assert_no_double_acceptance(&env.sim);
    // Judged from one session listing after the restart: no per-invoice status requests.
    assert_eq!(
        asked("invoiceStatus"),
        status_before,
        "{:?}",
        env.sim.stats()
    );
    assert!(asked("sessionInvoiceList") > lists_before);
}

#[tokio::test(start_paused = true)]
async fn a_429_is_honoured_and_everything_still_converges() {
    // KSeF is stricter than the limiter's table: one send per second.
    let env = start_sim_with(|c| {
        let mut table = RateTable::production();
        table.invoice_send.per_second = 1;
        c.limits = LimitsMode::Table(table);
    })
    .await;
    let (_dir, mut store, company) = temp_store();
    let (files, ids) = queue_copies(&mut store, company, 3, env.clock.now_ms());
    let mut r = runner(&env, store, company);
    drive(&mut r).await.unwrap();
    assert!(env.sim.stats().rate_limited >= 1, "the test provoked a 429");
    for (id, bytes) in ids.iter().zip(&files) {
        assert_accepted_with_upo(r.store(), *id, bytes, &env.sim);
    }
    // The 429 was recorded as a penalty on the group, and the invoice it hit was requeued for
    // later with KSeF's code, not failed.
    let penalised: i64 = r
        .store()
        .conn()
        .query_row(
            "SELECT count(*) FROM limiter_penalties WHERE grp = 'invoiceSend'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(penalised, 1);
    let requeued = ids.iter().any(|id| {
        r.store()
            .event_history(*id)
            .unwrap()
            .iter()
            .any(|e| e.to_state == SubmissionState::Queued && e.code.is_some())
    });
    assert!(requeued);
    assert_no_double_acceptance(&env.sim);
}

#[tokio::test(start_paused = true)]
async fn dropped_responses_are_resolved_by_asking_without_resending() {
    // A third of protected calls commit their effect and then drop the connection.
    let env = start_sim_with(|c| {
        c.faults.drop_response = 0.3;
        c.seed = 21;
    })
    .await;
    let (_dir, mut store, company) = temp_store();
    let (files, ids) = queue_copies(&mut store, company, 4, env.clock.now_ms());
    let mut r = runner(&env, store, company);
    drive(&mut r).await.unwrap();
    assert!(
        env.sim.stats().faults_injected > 0,
        "the test injected faults"
    );
    for (id, bytes) in ids.iter().zip(&files) {
        assert_accepted_with_upo(r.store(), *id, bytes, &env.sim);
    }
    assert_eq!(env.sim.ledger().len(), files.len());
    assert_no_double_acceptance(&env.sim);
    let sends = env.sim.stats().requests.get("invoiceSend").copied();
    assert_eq!(sends, Some(files.len() as u64), "no invoice was sent twice");
}

/// `POST /_sim/faults` on the simulator's admin API, over a bare HTTP/1.1 connection.
pub(super) async fn sim_admin(base: &str, body: &str) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST /_sim/faults HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
}

#[tokio::test(start_paused = true)]
async fn an_outage_opens_the_breaker_persists_since_when_and_resumes_without_errors() {
    let env = start_sim().await;
    let (_dir, mut store, company) = temp_store();
    let (files, ids) = queue_copies(&mut store, company, 2, env.clock.now_ms());
    let outage_ms = 10 * 60_000;
    sim_admin(
        &env.base,
        &format!(r#"{{"outage": {{"mode": "503", "durationMs": {outage_ms}}}}}"#),
    )
    .await;
    let started = env.clock.now_ms();
    let mut r = runner(&env, store, company);
    // Half-way through the outage: KSeF is known to be down, since about when it started.
    while env.clock.now_ms() < started + outage_ms / 2 {
        let outcome = r.tick().await.unwrap();
        assert!(!outcome.idle);
        let wait = (outcome.next_wake_at_ms - env.clock.now_ms()).max(1);
        tokio::time::advance(Duration::from_millis(wait as u64)).await;
    }
    let since = ksef_unavailable_since_ms(r.store())
        .unwrap()
        .expect("outage persisted");
    assert!(
        since >= started && since < started + outage_ms / 2,
        "{since}"
    );
    for id in &ids {
        assert_eq!(
            r.store().invoice(*id).unwrap().state,
            SubmissionState::Queued
        );
    }
    // After it: automatic resume, everything accepted, nobody was pushed into an error state.
    drive(&mut r).await.unwrap();
    assert_eq!(ksef_unavailable_since_ms(r.store()).unwrap(), None);
    for (id, bytes) in ids.iter().zip(&files) {
        assert_accepted_with_upo(r.store(), *id, bytes, &env.sim);
        let events = r.store().event_history(*id).unwrap();
        assert!(
            events.iter().all(|e| !matches!(
                e.to_state,
                SubmissionState::NeedsAttention | SubmissionState::Rejected
            )),
            "{events:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn reconciliation_alerts_on_invoices_in_our_sessions_that_match_none_of_ours() {
    let env = start_sim().await;
    let (_dir_a, mut store_a, company_a) = temp_store();
    insert_queued(
        &mut store_a,
        company_a,
        "1",
        &sample("FA_3_Przyklad_1.xml"),
        env.clock.now_ms(),
    );
    let mut a = runner(&env, store_a, company_a);
    drive(&mut a).await.unwrap();
    a.reconcile_now().await.unwrap();
    let orphan_alerts = |store: &Store| {
        store
            .open_alerts()
            .unwrap()
            .into_iter()
            .filter(|al| al.code == resolver::ORPHAN_CODE)
            .count()
    };
    assert_eq!(orphan_alerts(a.store()), 0, "our own invoice is no orphan");

    // A second database that believes it owns the same session, but has no such invoice.
    let reference: String = a
        .store()
        .conn()
        .query_row("SELECT ref FROM ksef_sessions", [], |row| row.get(0))
        .unwrap();
    let (_dir_b, store_b, company_b) = temp_store();
    let now = env.clock.now_ms();
    sessions::insert_session(&store_b, company_b, &reference, "online", None, now).unwrap();
    sessions::mark_closed(&store_b, &reference, now).unwrap();
    let mut b = runner(&env, store_b, company_b);
    b.reconcile_now().await.unwrap();
    assert_eq!(orphan_alerts(b.store()), 1);
}

/// A runner dies at `point` holding leases; the next one takes the runner lock, ends them at once
/// and converges without resending, before the dead leases (`lease_ms`) would have run out.
async fn take_over_converges_before_the_dead_lease_ends(
    point: CrashPoint,
    files: Vec<Vec<u8>>,
    lease_ms: i64,
) {
    let env = start_sim().await;
    let (dir, mut store, company) = temp_store();
    let ids: Vec<_> = files
        .iter()
        .enumerate()
        .map(|(i, b)| insert_queued(&mut store, company, &i.to_string(), b, env.clock.now_ms()))
        .collect();
    let mut first = runner(&env, store, company).with_hooks(CrashOnce::at(point));
    assert!(matches!(
        drive(&mut first).await,
        Err(RunnerError::Crash(InjectedCrash(p))) if p == point
    ));
    let died_at_ms = env.clock.now_ms();
    drop(first);
    let db = dir.path().join("outbox.db");
    let store = Store::open(&db).unwrap();
    let leased: i64 = store
        .conn()
        .query_row(
            "SELECT count(*) FROM invoices WHERE state = 'sending'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(leased > 0, "the dead runner left claims behind ({point:?})");
    let lock = RunnerLock::try_acquire(&db, company).unwrap();
    let mut second = runner(&env, store, company);
    let ended = second.take_over(&lock).unwrap();
    assert_eq!(
        i64::try_from(ended).unwrap(),
        leased,
        "every lease left was the dead runner's"
    );
    drive(&mut second).await.unwrap();
    assert!(
        env.clock.now_ms() < died_at_ms + lease_ms,
        "idle {} ms after the crash; the dead lease lasts {lease_ms} ms",
        env.clock.now_ms() - died_at_ms
    );
    for (id, bytes) in ids.iter().zip(&files) {
        assert_accepted_with_upo(second.store(), *id, bytes, &env.sim);
    }
    assert_eq!(env.sim.ledger().len(), files.len(), "{point:?}");
    assert_no_double_acceptance(&env.sim);
}

#[tokio::test(start_paused = true)]
async fn take_over_after_a_crash_mid_online_send_does_not_wait_out_the_lease() {
    let lease_ms = RunnerConfig::default().lease_ms;
    take_over_converges_before_the_dead_lease_ends(
        CrashPoint::AfterSendBeforeRecord,
        samples(2),
        lease_ms,
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn take_over_after_a_crash_mid_batch_does_not_wait_out_the_batch_lease() {
    let lease_ms = RunnerConfig::default().batch_lease_ms;
    take_over_converges_before_the_dead_lease_ends(
        CrashPoint::AfterBatchUpload,
        numbered_copies(6),
        lease_ms,
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_lock_for_another_company_is_refused() {
    let env = start_sim().await;
    let (dir, store, company) = temp_store();
    let other = CompanyId(company.0 + 1);
    let lock = RunnerLock::try_acquire(&dir.path().join("outbox.db"), other).unwrap();
    let mut r = runner(&env, store, company);
    let err = r.take_over(&lock).unwrap_err();
    assert_eq!(err.code(), "engine.runner_lock_mismatch");
}
