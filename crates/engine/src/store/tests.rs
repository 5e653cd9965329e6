//! Store tests: schema and pragmas, database-enforced rules, claims and fencing, crash safety,
//! and the read-side queries.

use sha2::{Digest, Sha256};

use super::test_support::temp_store;
use super::*;
use crate::state::{Actor, Applied, Change, SubmissionState};
use crate::validation::{Finding, InvoiceSummary, Severity};

const LEASE_MS: i64 = 30_000;

/// Inserts a queued invoice whose summary is derived from `number`.
fn add(store: &mut Store, company: CompanyId, number: &str, now_ms: i64) -> InvoiceId {
    add_with(store, company, number, "Buyer S.A.", "2026-02-02", now_ms)
}

fn add_with(
    store: &mut Store,
    company: CompanyId,
    number: &str,
    buyer: &str,
    issue_date: &str,
    now_ms: i64,
) -> InvoiceId {
    let bytes = format!("<Faktura>{number}</Faktura>").into_bytes();
    let sha = hex::encode(Sha256::digest(&bytes));
    let summary = InvoiceSummary {
        invoice_number: Some(number.to_owned()),
        buyer_name: Some(buyer.to_owned()),
        buyer_nip: Some("7352765225".to_owned()),
        issue_date: Some(issue_date.to_owned()),
        gross_minor: Some(12_300),
        ..InvoiceSummary::default()
    };
    let key = format!("5265877635|VAT|{number}");
    let findings = [Finding {
        code: "ours.totals_mismatch".into(),
        severity: Severity::Warning,
        message: "a warning".into(),
        path: None,
    }];
    let tx = store.conn_mut().transaction().unwrap();
    let id = insert_invoice(
        &tx,
        &NewInvoice {
            company,
            file_name: "f.xml",
            source_path: "/in/f.xml",
            original: &bytes,
            sha256: &sha,
            summary: Some(&summary),
            duplicate_key: Some(&key),
            content_hash: &sha,
            state: SubmissionState::Queued,
            conflict_with: None,
            trace_id: "trace-1",
            findings: &findings,
        },
        now_ms,
    )
    .unwrap();
    tx.commit().unwrap();
    id
}

fn sent(invoice_ref: &str) -> Change<'_> {
    Change {
        ksef_session_ref: Some("20260202-SO-0000000001-0000000001-01"),
        ksef_invoice_ref: Some(invoice_ref),
        ..Change::to(SubmissionState::Sent, Actor::Ksef)
    }
}

/// Claims the one due invoice of `company` at t=1 and records it sent at t=2 (KSeF reference
/// `EE-1`); the claim stays current.
fn claim_and_send(store: &mut Store, company: CompanyId) -> Claimed {
    let claim = store
        .claim_ready(company, 1, 1, LEASE_MS, "w")
        .unwrap()
        .claimed[0];
    store.apply_fenced(claim, &sent("EE-1"), 2).unwrap();
    claim
}

fn event_count(store: &Store) -> i64 {
    store
        .conn()
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn open_sets_durability_pragmas() {
    let (_dir, store, _) = temp_store();
    let pragma = |name: &str| -> String {
        store
            .conn()
            .query_row(&format!("PRAGMA {name}"), [], |r| {
                r.get::<_, rusqlite::types::Value>(0)
            })
            .map(|v| format!("{v:?}"))
            .unwrap()
    };
    assert_eq!(pragma("journal_mode"), "Text(\"wal\")");
    assert_eq!(pragma("synchronous"), "Integer(2)", "2 = FULL");
    assert_eq!(pragma("foreign_keys"), "Integer(1)");
}

#[test]
fn migrations_are_idempotent_across_reopen() {
    let (dir, mut store, company) = temp_store();
    let id = add(&mut store, company, "FV/1", 10);
    assert_eq!(store.schema_version().unwrap(), migrate::SCHEMA_VERSION);
    drop(store);
    let store = Store::open(&dir.path().join("outbox.db")).unwrap();
    assert_eq!(store.schema_version().unwrap(), migrate::SCHEMA_VERSION);
    assert_eq!(store.invoice(id).unwrap().state, SubmissionState::Queued);
}

#[test]
fn newer_schema_is_refused_not_downgraded() {
    let (dir, store, _) = temp_store();
    store
        .conn()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    drop(store);
    let err = Store::open(&dir.path().join("outbox.db")).unwrap_err();
    assert_eq!(err.code(), "engine.store_schema_too_new");
}

#[test]
fn check_constraints_reject_unknown_state_and_broken_invariants() {
    let (_dir, mut store, company) = temp_store();
    let id = add(&mut store, company, "FV/1", 10);
    let conn = store.conn();
    let bad_state = conn.execute("UPDATE invoices SET state = 'done' WHERE id = ?1", [id.0]);
    assert!(bad_state.is_err(), "unknown state accepted");
    let accepted_without_number = conn.execute(
        "UPDATE invoices SET state = 'accepted' WHERE id = ?1",
        [id.0],
    );
    assert!(
        accepted_without_number.is_err(),
        "accepted without KSeF number"
    );
    let sending_without_lease = conn.execute(
        "UPDATE invoices SET state = 'sending' WHERE id = ?1",
        [id.0],
    );
    assert!(sending_without_lease.is_err(), "sending without lease");
    let bad_company = conn.execute("UPDATE invoices SET company_id = 999 WHERE id = ?1", [id.0]);
    assert!(bad_company.is_err(), "foreign key not enforced");
    assert_eq!(store.invoice(id).unwrap().state, SubmissionState::Queued);
}

#[test]
fn tokens_have_no_column_in_companies() {
    // The credential lives in the OS keyring; the schema must not even offer a place for it.
    let (_dir, store, _) = temp_store();
    let mut stmt = store
        .conn()
        .prepare("PRAGMA table_info(companies)")
        .unwrap();
    let columns: Vec<String> = stmt
        .query_map([], |r| r.get(1))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(columns.contains(&"keyring_ref".to_owned()));
    assert!(!columns
        .iter()
        .any(|c| c.contains("token") || c.contains("secret")));
}

#[test]
fn events_are_append_only() {
    let (_dir, mut store, company) = temp_store();
    add(&mut store, company, "FV/1", 10);
    let conn = store.conn();
    let update = conn.execute("UPDATE events SET detail = 'rewritten'", []);
    let delete = conn.execute("DELETE FROM events", []);
    assert!(update.unwrap_err().to_string().contains("append-only"));
    assert!(delete.unwrap_err().to_string().contains("append-only"));
    assert_eq!(event_count(&store), 1);
}

#[test]
fn claim_takes_only_due_invoices_up_to_the_limit_in_due_order() {
    let (_dir, mut store, company) = temp_store();
    let a = add(&mut store, company, "FV/1", 100);
    let b = add(&mut store, company, "FV/2", 50);
    let c = add(&mut store, company, "FV/3", 75);
    let later = add(&mut store, company, "FV/4", 500);
    let out = store.claim_ready(company, 200, 2, LEASE_MS, "w1").unwrap();
    let ids: Vec<_> = out.claimed.iter().map(|c| c.id).collect();
    assert_eq!(ids, vec![b, c], "earliest due first, limit respected");
    let out = store.claim_ready(company, 200, 10, LEASE_MS, "w1").unwrap();
    assert_eq!(
        out.claimed.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![a]
    );
    assert_eq!(store.invoice(later).unwrap().state, SubmissionState::Queued);
    let row = store.invoice(a).unwrap();
    assert_eq!(row.state, SubmissionState::Sending);
    assert_eq!(row.lease_owner.as_deref(), Some("w1"));
    assert_eq!(row.lease_until, Some(200 + LEASE_MS));
    assert_eq!(row.attempts, 1);
}

#[test]
fn an_online_claim_never_takes_an_invoice_with_an_attachment() {
    let (_dir, mut store, company) = temp_store();
    // The attachment invoice is due first: it lands (e.g. an import) after the sender looked.
    let attachment = add(&mut store, company, "FV/Z", 10);
    let plain = add(&mut store, company, "FV/1", 20);
    store
        .conn()
        .execute(
            "UPDATE invoices SET has_attachment = 1 WHERE id = ?1",
            [attachment.0],
        )
        .unwrap();
    let out = store
        .claim_ready_online(company, 100, 10, LEASE_MS, "w1")
        .unwrap();
    let ids: Vec<_> = out.claimed.iter().map(|c| c.id).collect();
    assert_eq!(ids, vec![plain]);
    let row = store.invoice(attachment).unwrap();
    assert_eq!(row.state, SubmissionState::Queued);
    assert_eq!(row.attempts, 0, "not even an attempt counted");
    assert!(store
        .claim_ready_online(company, 100, 10, LEASE_MS, "w1")
        .unwrap()
        .claimed
        .is_empty());
    // A batch claim takes it.
    let out = store.claim_ready(company, 100, 10, LEASE_MS, "w2").unwrap();
    assert_eq!(
        out.claimed.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![attachment]
    );
}

#[test]
fn stale_claimer_write_is_a_no_op() {
    let (_dir, mut store, company) = temp_store();
    let id = add(&mut store, company, "FV/1", 0);
    let old = store
        .claim_ready(company, 10, 1, LEASE_MS, "w1")
        .unwrap()
        .claimed[0];

    // w1 stalls past its lease; the next pass cannot know whether w1's request reached KSeF.
    let after_expiry = 10 + LEASE_MS;
    let out = store
        .claim_ready(company, after_expiry, 10, LEASE_MS, "w2")
        .unwrap();
    assert_eq!(out.unresolved, vec![id]);
    assert!(
        out.claimed.is_empty(),
        "an unknown outcome must not be blindly resent"
    );

    // A person decides to resend; w2 claims it.
    let retry = Change::to(SubmissionState::Queued, Actor::User).because("user.retry", None);
    store.apply_override(id, &retry, after_expiry + 1).unwrap();
    let new = store
        .claim_ready(company, after_expiry + 2, 1, LEASE_MS, "w2")
        .unwrap()
        .claimed[0];
    assert_ne!(old.fence, new.fence);

    let events_before = event_count(&store);
    let stale = store
        .apply_fenced(old, &sent("EE-old"), after_expiry + 3)
        .unwrap();
    assert_eq!(stale, Applied::Stale);
    let row = store.invoice(id).unwrap();
    assert_eq!(row.state, SubmissionState::Sending);
    assert_eq!(row.lease_owner.as_deref(), Some("w2"));
    assert_eq!(row.ksef_invoice_ref, None);
    assert_eq!(
        event_count(&store),
        events_before,
        "stale write logged an event"
    );

    let fresh = store
        .apply_fenced(new, &sent("EE-new"), after_expiry + 4)
        .unwrap();
    assert_eq!(
        fresh,
        Applied::Done {
            from: SubmissionState::Sending
        }
    );
    let row = store.invoice(id).unwrap();
    assert_eq!(row.state, SubmissionState::Sent);
    assert_eq!(row.ksef_invoice_ref.as_deref(), Some("EE-new"));
    assert_eq!(row.lease_owner, None, "the lease ends with sending");
}

#[test]
fn a_change_with_its_alert_lands_whole_or_not_at_all() {
    let (_dir, mut store, company) = temp_store();
    let id = add(&mut store, company, "FV/1", 0);
    let claim = claim_and_send(&mut store, company);
    let detail = "duplicate of KSeF number 1 in session 2";
    let conflict = Change::to(SubmissionState::Conflict, Actor::Ksef)
        .because(crate::state::DUPLICATE_FOREIGN_CODE, Some(detail));

    // A stale writer changes nothing and tells nobody.
    let stale = Claimed {
        fence: Fence(claim.fence.0 + 1),
        ..claim
    };
    let events_before = event_count(&store);
    let out = store
        .apply_fenced_raising(stale, &conflict, "conflict", 3)
        .unwrap();
    assert_eq!(out, Applied::Stale);
    assert_eq!(store.invoice(id).unwrap().state, SubmissionState::Sent);
    assert_eq!(event_count(&store), events_before);
    assert!(store.open_alerts().unwrap().is_empty());

    // The current claim writes the state, its event and the alert about this invoice.
    let out = store
        .apply_fenced_raising(claim, &conflict, "conflict", 4)
        .unwrap();
    assert_eq!(
        out,
        Applied::Done {
            from: SubmissionState::Sent
        }
    );
    assert_eq!(store.invoice(id).unwrap().state, SubmissionState::Conflict);
    assert_eq!(event_count(&store), events_before + 1);
    let alerts = store.open_alerts().unwrap();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].kind, "conflict");
    assert_eq!(alerts[0].invoice, Some(id));
    assert_eq!(alerts[0].code, crate::state::DUPLICATE_FOREIGN_CODE);
    assert_eq!(alerts[0].message, detail);
    assert_eq!(alerts[0].raised_at, 4);
}

#[test]
fn illegal_transition_is_refused_and_writes_nothing() {
    let (_dir, mut store, company) = temp_store();
    let id = add(&mut store, company, "FV/1", 0);
    let before = event_count(&store);
    let change = Change {
        ksef_number: Some("5265877635-20260202-0100001AF629-AF"),
        ..Change::to(SubmissionState::Accepted, Actor::Ksef)
    };
    let err = store.apply_override(id, &change, 5).unwrap_err();
    assert_eq!(err.code(), "engine.illegal_transition");
    assert_eq!(store.invoice(id).unwrap().state, SubmissionState::Queued);
    assert_eq!(event_count(&store), before);
}

#[test]
fn a_conflict_with_ksefs_original_points_at_itself_and_must_name_the_original() {
    let (_dir, mut store, company) = temp_store();
    // Never due in this test: the claims below take the invoice just added.
    let local = add(&mut store, company, "FV/0", 1_000);
    for (number, counterpart) in [("FV/1", None), ("FV/2", Some(local))] {
        let id = add(&mut store, company, number, 0);
        let claim = claim_and_send(&mut store, company);
        assert_eq!(claim.id, id);
        let detail = "duplicate of KSeF number 1 in session 2";
        let conflict = Change {
            conflict_with: counterpart,
            ..Change::to(SubmissionState::Conflict, Actor::Ksef)
                .because(crate::state::DUPLICATE_FOREIGN_CODE, Some(detail))
        };
        store.apply_fenced(claim, &conflict, 3).unwrap();
        let row = store.invoice(claim.id).unwrap();
        assert_eq!(row.state, SubmissionState::Conflict);
        assert_eq!(row.conflict_with, Some(counterpart.unwrap_or(claim.id)));
        assert_eq!(row.error_detail.as_deref(), Some(detail));
        if counterpart.is_none() {
            // Without KSeF's original named, a conflict with itself is a broken row.
            store
                .conn()
                .execute(
                    "UPDATE invoices SET error_code = 'engine.conflict' WHERE id = ?1",
                    [claim.id.0],
                )
                .unwrap();
            assert!(matches!(
                store.invoice(claim.id),
                Err(StoreError::Invariant { .. })
            ));
        }
    }
}

#[test]
fn every_transition_is_logged_with_from_and_to() {
    let (_dir, mut store, company) = temp_store();
    let id = add(&mut store, company, "FV/1", 0);
    let claim = claim_and_send(&mut store, company);
    let accepted = Change {
        ksef_number: Some("5265877635-20260202-0100001AF629-AF"),
        ..Change::to(SubmissionState::Accepted, Actor::Ksef)
    };
    store.apply_fenced(claim, &accepted, 3).unwrap();
    let history = store.event_history(id).unwrap();
    let steps: Vec<_> = history
        .iter()
        .map(|e| (e.from_state, e.to_state, e.at))
        .collect();
    use SubmissionState::*;
    assert_eq!(
        steps,
        vec![
            (None, Queued, 0),
            (Some(Queued), Sending, 1),
            (Some(Sending), Sent, 2),
            (Some(Sent), Accepted, 3)
        ]
    );
    let row = store.invoice(id).unwrap();
    assert_eq!(
        row.ksef_number.as_deref(),
        Some("5265877635-20260202-0100001AF629-AF")
    );
    assert_eq!(
        row.ksef_invoice_ref.as_deref(),
        Some("EE-1"),
        "kept from the earlier step"
    );
}

#[test]
fn invariants_are_checked_again_on_read() {
    let (_dir, mut store, company) = temp_store();
    let id = add(&mut store, company, "FV/1", 0);
    // A lease outside `sending` is not a CHECK constraint; the read-side check must catch it.
    store
        .conn()
        .execute(
            "UPDATE invoices SET state = 'rejected', lease_owner = 'ghost' WHERE id = ?1",
            [id.0],
        )
        .unwrap();
    assert_eq!(
        store.invoice(id).unwrap_err().code(),
        "engine.store_invariant"
    );
}

#[test]
fn uncommitted_work_vanishes_whole_after_a_crash() {
    let (dir, mut store, company) = temp_store();
    let id = add(&mut store, company, "FV/1", 0);
    let events_before = event_count(&store);
    {
        // Simulated crash: a transaction that changed the row and appended an event is dropped
        // without commit, then the handle itself is dropped.
        let tx = store.conn_mut().transaction().unwrap();
        let change = Change::to(SubmissionState::NeedsAttention, Actor::Engine);
        crate::state::apply(&tx, id, crate::state::Guard::Override, &change, None, 5).unwrap();
        let bytes = b"<x/>";
        insert_invoice(
            &tx,
            &NewInvoice {
                company,
                file_name: "g.xml",
                source_path: "g.xml",
                original: bytes,
                sha256: &hex::encode(Sha256::digest(bytes)),
                summary: None,
                duplicate_key: None,
                content_hash: "other",
                state: SubmissionState::Invalid,
                conflict_with: None,
                trace_id: "t",
                findings: &[],
            },
            5,
        )
        .unwrap();
    }
    drop(store);
    let store = Store::open(&dir.path().join("outbox.db")).unwrap();
    assert_eq!(store.invoice(id).unwrap().state, SubmissionState::Queued);
    assert_eq!(event_count(&store), events_before);
    let invoices: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM invoices", [], |r| r.get(0))
        .unwrap();
    assert_eq!(invoices, 1);
}

#[test]
fn crash_between_claim_and_record_leaves_a_resolvable_row() {
    let (dir, mut store, company) = temp_store();
    let id = add(&mut store, company, "FV/1", 0);
    store.claim_ready(company, 1, 1, LEASE_MS, "w1").unwrap();
    drop(store); // the worker dies mid-call
    let mut store = Store::open(&dir.path().join("outbox.db")).unwrap();
    let row = store.invoice(id).unwrap();
    assert_eq!(row.state, SubmissionState::Sending, "the claim was durable");
    let out = store
        .claim_ready(company, 1 + LEASE_MS, 10, LEASE_MS, "w2")
        .unwrap();
    assert_eq!(out.unresolved, vec![id]);
    let row = store.invoice(id).unwrap();
    assert_eq!(row.state, SubmissionState::NeedsAttention);
    assert_eq!(row.error_code.as_deref(), Some("engine.lease_expired"));
}

#[test]
fn findings_round_trip() {
    let (_dir, mut store, company) = temp_store();
    let id = add(&mut store, company, "FV/1", 0);
    let findings = store.findings(id).unwrap();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].code, "ours.totals_mismatch");
    assert_eq!(findings[0].severity, Severity::Warning);
}

#[test]
fn list_filters_sorts_and_pages_in_sql() {
    let (_dir, mut store, company) = temp_store();
    let mut ids = Vec::new();
    for (n, buyer, date) in [
        ("FV/2026/001", "Alfa Sp. z o.o.", "2026-01-05"),
        ("FV/2026/002", "Beta S.A.", "2026-01-20"),
        ("FV/2026/003", "alfa serwis", "2026-02-03"),
        ("KOR/2026/001", "Gamma", "2026-02-10"),
        ("FV/2025/100%", "Delta", "2025-12-30"),
    ] {
        ids.push(add_with(&mut store, company, n, buyer, date, 0));
    }
    let base = InvoiceFilter {
        limit: 2,
        sort: InvoiceSort::IssueDate,
        direction: SortDirection::Ascending,
        ..InvoiceFilter::all(company)
    };
    let page1 = store.list_invoices(&base).unwrap();
    let page2 = store
        .list_invoices(&InvoiceFilter {
            offset: 2,
            ..base.clone()
        })
        .unwrap();
    assert_eq!(page1.total, 5);
    let dates: Vec<_> = page1
        .rows
        .iter()
        .chain(&page2.rows)
        .map(|r| r.issue_date.clone().unwrap())
        .collect();
    assert_eq!(
        dates,
        ["2025-12-30", "2026-01-05", "2026-01-20", "2026-02-03"]
    );

    let alfa = InvoiceFilter {
        counterparty: Some("ALFA".into()),
        ..InvoiceFilter::all(company)
    };
    assert_eq!(store.list_invoices(&alfa).unwrap().total, 2);

    let february = InvoiceFilter {
        issued_from: Some("2026-02-01".into()),
        issued_to: Some("2026-02-28".into()),
        ..InvoiceFilter::all(company)
    };
    assert_eq!(store.list_invoices(&february).unwrap().total, 2);

    // `%` is literal text, not a wildcard.
    let percent = InvoiceFilter {
        number_contains: Some("%".into()),
        ..InvoiceFilter::all(company)
    };
    let rows = store.list_invoices(&percent).unwrap().rows;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].id, ids[4]);

    store.claim_ready(company, 0, 1, LEASE_MS, "w").unwrap();
    let sending = InvoiceFilter {
        states: vec![SubmissionState::Sending],
        ..InvoiceFilter::all(company)
    };
    assert_eq!(store.list_invoices(&sending).unwrap().total, 1);
    let counts = store.counts_by_state(company).unwrap();
    assert_eq!(counts.len(), SubmissionState::ALL.len());
    assert!(counts.contains(&(SubmissionState::Queued, 4)));
    assert!(counts.contains(&(SubmissionState::Sending, 1)));
    assert!(counts.contains(&(SubmissionState::Accepted, 0)));
}

#[test]
fn metrics_and_error_report_come_from_events() {
    let (_dir, mut store, company) = temp_store();
    // Three invoices queued at t=0, accepted after 1 s, 2 s and 10 s; one rejected.
    let mut latencies_ms = [1_000, 2_000, 10_000];
    for (i, latency) in latencies_ms.iter().enumerate() {
        let id = add(&mut store, company, &format!("FV/{i}"), 0);
        let claim = store
            .claim_ready(company, 0, 1, LEASE_MS, "w")
            .unwrap()
            .claimed[0];
        assert_eq!(claim.id, id);
        store.apply_fenced(claim, &sent("EE"), 1).unwrap();
        let accepted = Change {
            ksef_number: Some("n"),
            ..Change::to(SubmissionState::Accepted, Actor::Ksef)
        };
        store.apply_fenced(claim, &accepted, *latency).unwrap();
    }
    let id = add(&mut store, company, "FV/bad", 0);
    let claim = store
        .claim_ready(company, 0, 1, LEASE_MS, "w")
        .unwrap()
        .claimed[0];
    assert_eq!(claim.id, id);
    let retry =
        Change::to(SubmissionState::Queued, Actor::Engine).because("ksef.unavailable", None);
    store.apply_fenced(claim, &retry, 5).unwrap();
    let claim = store
        .claim_ready(company, 5, 1, LEASE_MS, "w")
        .unwrap()
        .claimed[0];
    let reject =
        Change::to(SubmissionState::Rejected, Actor::Ksef).because("ksef.exception.21401", None);
    store.apply_fenced(claim, &reject, 6).unwrap();

    let m = store.metrics(company, 0, 100_000).unwrap();
    latencies_ms.sort_unstable();
    assert_eq!(m.accepted, 3);
    assert_eq!(m.rejected, 1);
    assert_eq!(m.latency_median_ms, Some(latencies_ms[1]));
    assert_eq!(m.latency_p95_ms, Some(latencies_ms[2]));
    assert_eq!(m.rejection_rate, Some(0.25));

    let report = store.error_report(company, 0, 100_000).unwrap();
    let pairs: Vec<_> = report.iter().map(|e| (e.code.as_str(), e.count)).collect();
    assert_eq!(
        pairs,
        [("ksef.exception.21401", 1), ("ksef.unavailable", 1)]
    );
    assert!(
        store.error_report(company, 7, 100_000).unwrap().is_empty(),
        "period respected"
    );
}

#[test]
fn unknown_stored_state_reads_as_corruption_not_a_guess() {
    let (_dir, mut store, company) = temp_store();
    let id = add(&mut store, company, "FV/1", 0);
    // Only a foreign writer that bypasses the CHECK constraints could store this.
    store
        .conn()
        .execute_batch("PRAGMA ignore_check_constraints = ON; UPDATE invoices SET state = 'bogus';")
        .unwrap();
    assert_eq!(
        store.invoice(id).unwrap_err().code(),
        "engine.store_corrupt"
    );
    let listed = store.list_invoices(&InvoiceFilter::all(company));
    assert_eq!(listed.unwrap_err().code(), "engine.store_corrupt");
}

#[test]
fn sent_invoices_are_polled_when_due_and_rescheduling_is_fenced() {
    let (_dir, mut store, company) = temp_store();
    let id = add(&mut store, company, "FV/1", 0);
    let claim = store
        .claim_ready(company, 0, 1, LEASE_MS, "w")
        .unwrap()
        .claimed[0];
    let mut change = sent("EE-1");
    change.next_attempt_at = Some(2_000);
    store.apply_fenced(claim, &change, 10).unwrap();
    assert_eq!(store.invoice(id).unwrap().next_attempt_at, Some(2_000));

    assert!(store.due_for_poll(company, 1_999, 10).unwrap().is_empty());
    let due = store.due_for_poll(company, 2_000, 10).unwrap();
    assert_eq!(due, vec![claim], "polling keeps the claim's fence");

    let moved = store.reschedule_poll(claim, 9_000, 2_000).unwrap();
    assert_eq!(
        moved,
        Applied::Done {
            from: SubmissionState::Sent
        }
    );
    assert!(store.due_for_poll(company, 8_999, 10).unwrap().is_empty());

    // A person overrides (e.g. marks it for attention); the poller's reschedule is now stale.
    let hold = Change::to(SubmissionState::NeedsAttention, Actor::User);
    store.apply_override(id, &hold, 3_000).unwrap();
    assert_eq!(
        store.reschedule_poll(claim, 4_000, 3_000).unwrap(),
        Applied::Stale
    );
    assert_eq!(store.invoice(id).unwrap().next_attempt_at, None);
}

#[test]
fn attempts_are_recorded_in_order_and_bad_outcomes_refused() {
    let (_dir, mut store, company) = temp_store();
    let id = add(&mut store, company, "FV/1", 0);
    let attempt = |outcome, started_at| AttemptRecord {
        invoice: id,
        kind: "send",
        request_id: Some("EE-1"),
        outcome,
        error_code: (outcome != "ok").then_some("ksef.http.503"),
        started_at,
        finished_at: started_at + 40,
    };
    store.record_attempt(&attempt("ok", 200)).unwrap();
    store.record_attempt(&attempt("transient", 100)).unwrap();
    let history = store.attempt_history(id).unwrap();
    let seen: Vec<_> = history
        .iter()
        .map(|a| (a.started_at, a.outcome.as_str()))
        .collect();
    assert_eq!(seen, [(100, "transient"), (200, "ok")]);
    assert_eq!(history[0].error_code.as_deref(), Some("ksef.http.503"));
    assert!(
        store.record_attempt(&attempt("maybe", 300)).is_err(),
        "outcome CHECK"
    );
    let backwards = AttemptRecord {
        finished_at: 10,
        ..attempt("ok", 300)
    };
    assert!(
        store.record_attempt(&backwards).is_err(),
        "finished before started"
    );
}

#[test]
fn list_filters_by_id_selection_in_sql() {
    let (_dir, mut store, company) = temp_store();
    let other = store
        .insert_company(
            &NewCompany {
                name: "Other",
                environment: "demo",
                nip: "7352765225",
                base_url: "https://api-demo.ksef.mf.gov.pl/v2",
                keyring_ref: "ksef-desk/7352765225/demo",
            },
            0,
        )
        .unwrap();
    let ids: Vec<InvoiceId> = (0..6)
        .map(|i| add(&mut store, company, &format!("FV/{i}"), i))
        .collect();
    let foreign = add(&mut store, other, "FV/other", 0);
    let chosen = vec![ids[4], ids[1], foreign];
    let picked = InvoiceFilter {
        ids: chosen.clone(),
        sort: InvoiceSort::InvoiceNumber,
        direction: SortDirection::Ascending,
        ..InvoiceFilter::all(company)
    };
    let page = store.list_invoices(&picked).unwrap();
    // Another company's id is not this company's invoice, even when selected.
    assert_eq!(page.total, 2);
    let got: Vec<InvoiceId> = page.rows.iter().map(|r| r.id).collect();
    assert_eq!(got, [ids[1], ids[4]]);

    // The selection combines with the other criteria.
    let numbered = InvoiceFilter {
        number_contains: Some("FV/4".into()),
        ..picked.clone()
    };
    let rows = store.list_invoices(&numbered).unwrap().rows;
    assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), [ids[4]]);

    // Larger than SQLite's bound-parameter limit (32 766): still one query, still exact.
    let mut huge: Vec<InvoiceId> = (1_000_000..1_040_000).map(InvoiceId).collect();
    huge.push(ids[2]);
    let page = store
        .list_invoices(&InvoiceFilter {
            ids: huge,
            ..InvoiceFilter::all(company)
        })
        .unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.rows[0].id, ids[2]);

    // An empty selection is no filter at all.
    assert_eq!(
        store
            .list_invoices(&InvoiceFilter::all(company))
            .unwrap()
            .total,
        6
    );
}

#[test]
fn one_session_upo_page_is_stored_once_for_every_invoice_it_covers() {
    let (_dir, mut store, company) = temp_store();
    let ids: Vec<InvoiceId> = (1..=3)
        .map(|n| add(&mut store, company, &format!("FV/{n}"), 100))
        .collect();
    let page = b"<Potwierdzenie>three invoices</Potwierdzenie>".to_vec();
    for &id in &ids {
        store.save_upo(id, &page, true, 200).unwrap();
    }
    // Saving the same receipt again is a no-op; a different one for the same invoice is refused.
    store.save_upo(ids[0], &page, true, 300).unwrap();
    assert!(store.save_upo(ids[0], b"<other/>", true, 300).is_err());
    let documents: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM upo_documents", [], |r| r.get(0))
        .unwrap();
    assert_eq!(documents, 1, "the page is kept once, not once per invoice");
    for &id in &ids {
        let upo = store.upo(id).unwrap().expect("stored");
        assert_eq!(upo.xml, page);
        assert_eq!(upo.sha256, hex::encode(Sha256::digest(&page)));
        assert_eq!(upo.fetched_at, 200);
    }
}
