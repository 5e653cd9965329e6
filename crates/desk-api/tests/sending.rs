//! The sending runner inside the app: Sandbox demo invoices reach `accepted` with a stored,
//! verified UPO while the UI is told what changed; invalid ones stay `invalid`; the runner
//! follows the active company and stops cleanly. Waits are bounded on events, never sleeps.

mod common;

use std::collections::BTreeSet;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use common::open_real_clock;
use desk_api::types::*;
use desk_api::{DeskApi, DeskEvent};
use sha2::{Digest, Sha256};

/// Demo invoices generated: enough that the seeded generator yields invalid ones too, and
/// more than the runner's batch threshold, so they go out in a batch session.
const DEMO_COUNT: u32 = 20;
/// Longest wait for every valid demo invoice to be accepted with its UPO (the Sandbox's RSA
/// key generation included); the test fails, with the states reached, if it is exceeded.
const SEND_WAIT: Duration = Duration::from_secs(120);

fn accepted_with_upo(api: &DeskApi, id: i64) -> bool {
    api.invoice_detail(id)
        .is_ok_and(|d| d.row.state == InvoiceState::Accepted && d.upo.stored)
}

/// Receives events until `done` holds, failing after `SEND_WAIT`.
fn wait_until(
    events: &Receiver<DeskEvent>,
    mut done: impl FnMut() -> bool,
    mut seen: impl FnMut(DeskEvent),
    what: impl Fn() -> String,
) {
    let deadline = Instant::now() + SEND_WAIT;
    while !done() {
        let left = deadline.saturating_duration_since(Instant::now());
        match events.recv_timeout(left) {
            Ok(event) => seen(event),
            Err(_) => panic!("timed out waiting: {}", what()),
        }
    }
}

#[test]
fn sandbox_demo_invoices_are_accepted_with_a_verified_upo_and_the_ui_is_told() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (api, events) = open_real_clock(dir.path());
    let sandbox = api.list_companies().expect("companies")[0].id;
    api.start_sending().expect("start sending");
    assert!(api.sending_for(sandbox));

    let summary = api
        .generate_demo_invoices(DEMO_COUNT)
        .expect("demo invoices");
    let ids_of = |outcome: ImportOutcome| -> Vec<i64> {
        summary
            .items
            .iter()
            .filter(|i| i.outcome == outcome)
            .filter_map(|i| i.invoice_id)
            .collect()
    };
    let valid = ids_of(ImportOutcome::Imported);
    let invalid = ids_of(ImportOutcome::Invalid);
    assert!(!valid.is_empty() && !invalid.is_empty(), "{summary:?}");

    let mut changed = BTreeSet::new();
    let mut statuses = Vec::new();
    wait_until(
        &events,
        || valid.iter().all(|&id| accepted_with_upo(&api, id)),
        |event| match event {
            DeskEvent::InvoicesChanged(c) => changed.extend(c.ids),
            DeskEvent::EngineStatus(s) => statuses.push(s),
            _ => {}
        },
        || {
            let states: Vec<_> = valid
                .iter()
                .map(|&id| api.invoice_detail(id).map(|d| (d.row.state, d.upo.stored)))
                .collect();
            format!("{states:?}")
        },
    );

    for &id in &valid {
        let detail = api.invoice_detail(id).expect("detail");
        let number = detail.row.ksef_number.clone().expect("a KSeF number");
        assert!(detail.row.has_upo);
        assert!(
            detail.upo.verified,
            "invoice {id}: the UPO's hash was checked"
        );
        let xml = api.get_upo_xml(id).expect("UPO xml");
        assert_eq!(
            detail.upo.sha256.as_deref(),
            Some(hex(&Sha256::digest(xml.as_bytes())).as_str()),
            "the stored hash is the hash of the XML handed out"
        );
        assert!(xml.contains(&number), "the UPO confirms {number}");
        assert!(
            !detail.attempts.is_empty(),
            "invoice {id}: the calls to KSeF are recorded"
        );
        assert!(
            changed.contains(&id),
            "the UI was told invoice {id} changed"
        );
    }
    for &id in &invalid {
        let detail = api.invoice_detail(id).expect("detail");
        assert_eq!(detail.row.state, InvoiceState::Invalid);
        assert!(!detail.findings.is_empty(), "invoice {id} says why");
        assert!(detail.attempts.is_empty(), "invoice {id} was never sent");
        let missing = api.get_upo_xml(id).expect_err("no UPO");
        assert_eq!(missing.code, "engine.upo_missing");
    }
    assert!(
        statuses
            .iter()
            .any(|s| s.ksef.state == KsefAvailability::Available && s.ksef.since.is_some()),
        "{statuses:?}"
    );
    let page = api
        .list_invoices(InvoiceQuery {
            states: Vec::new(),
            date_from: None,
            date_to: None,
            counterparty: None,
            number: None,
            ids: Some(valid.clone()),
            sort: InvoiceSort {
                column: SortColumn::InvoiceNumber,
                dir: SortDir::Asc,
            },
            after: None,
            offset: 0,
            limit: 100,
            skip_total: false,
        })
        .expect("list");
    assert_eq!(page.rows.len(), valid.len());
    assert!(
        page.rows.iter().all(|r| r.has_upo),
        "the list shows the UPOs"
    );
    let daily = api.dashboard().expect("dashboard").daily;
    let accepted: u32 = daily.iter().map(|d| d.accepted).sum();
    assert_eq!(
        accepted as usize,
        valid.len(),
        "the chart counts the acceptances"
    );
    let status = api.engine_status().expect("status");
    assert_eq!(status.queue_depth, 0);
    assert_eq!(status.ksef.state, KsefAvailability::Available);

    api.stop_sending().expect("stop");
    assert!(!api.sending_for(sandbox));
}

#[test]
fn the_runner_follows_the_active_company_and_stops() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (api, _events) = open_real_clock(dir.path());
    let sandbox = api.list_companies().expect("companies")[0].id;
    let other = api
        .add_company(NewCompany {
            name: "Firma Testowa".to_owned(),
            nip: "1111111111".to_owned(),
            environment: Environment::Test,
            token: "token-for-te".to_owned(),
        })
        .expect("add company")
        .id;

    // Switching companies before sending started starts nothing.
    api.set_active_company(other).expect("switch");
    assert!(!api.sending_for(other));

    api.set_active_company(sandbox).expect("switch back");
    api.start_sending().expect("start");
    assert!(api.sending_for(sandbox));
    api.set_active_company(other).expect("switch while sending");
    assert!(api.sending_for(other));
    assert!(!api.sending_for(sandbox));
    let db = dir.path().join(desk_api::DATABASE_FILE);
    let company = engine::store::CompanyId(other);
    let busy = engine::runner::RunnerLock::try_acquire(&db, company).expect_err("app holds it");
    assert_eq!(busy.code(), "engine.runner_busy");
    engine::runner::RunnerLock::try_acquire(&db, engine::store::CompanyId(sandbox))
        .expect("the Sandbox's lock was released on the switch");

    api.stop_sending().expect("stop");
    assert!(!api.sending_for(other) && !api.sending_for(sandbox));
    engine::runner::RunnerLock::try_acquire(&db, company).expect("released on stop");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
