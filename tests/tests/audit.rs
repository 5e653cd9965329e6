//! The auditor must catch every broken promise it claims to check; a clean world passes. Each case
//! starts from a consistent world built from a real workload and breaks exactly one thing.

use engine::state::SubmissionState;
use ksef_desk_tests::audit::{audit, LocalInvoice, LocalUpo, Violation};
use ksef_desk_tests::workload::{Expect, Workload};
use ksef_sim::state::LedgerEntry;

struct World {
    workload: Workload,
    ledger: Vec<LedgerEntry>,
    local: Vec<LocalInvoice>,
}

/// A consistent outcome: the first of each duplicate-key group accepted, twins in conflict,
/// invalid items invalid with a finding code.
fn clean() -> World {
    let workload = Workload::generate(5, 30).expect("workload");
    let mut ledger = Vec::new();
    let mut local = Vec::new();
    for (n, (key, group)) in workload.valid_by_key().into_iter().enumerate() {
        for (i, item) in group.iter().enumerate() {
            let base = LocalInvoice {
                file_name: item.file_name.clone(),
                state: SubmissionState::Conflict,
                ksef_number: None,
                stored_hash: Some(item.hash.as_str().to_owned()),
                reasons: vec!["engine.conflict".into()],
                upo: None,
            };
            if i > 0 {
                local.push(base);
                continue;
            }
            let number = format!("9999999999-20260901-{n:012X}-00");
            ledger.push(LedgerEntry {
                ksef_number: number.clone(),
                seller_nip: key.seller_nip.clone(),
                invoice_type: key.invoice_type.clone(),
                invoice_number: key.invoice_number.clone(),
                invoice_hash: item.hash.as_str().to_owned(),
                session_reference_number: "20260901-SO-0000000000-0000000000-00".into(),
                accepted_at: chrono::DateTime::UNIX_EPOCH,
            });
            local.push(LocalInvoice {
                state: SubmissionState::Accepted,
                ksef_number: Some(number.clone()),
                reasons: Vec::new(),
                upo: Some(LocalUpo {
                    verified: true,
                    ksef_number: number,
                    document_hash: item.hash.as_str().to_owned(),
                }),
                ..base
            });
        }
    }
    for item in workload
        .items
        .iter()
        .filter(|i| i.expect == Expect::Invalid)
    {
        local.push(LocalInvoice {
            file_name: item.file_name.clone(),
            state: SubmissionState::Invalid,
            ksef_number: None,
            stored_hash: Some(item.hash.as_str().to_owned()),
            reasons: vec!["xml.malformed".into()],
            upo: None,
        });
    }
    World {
        workload,
        ledger,
        local,
    }
}

fn check(world: &World) -> Vec<Violation> {
    audit(&world.workload, &world.ledger, &world.local)
}

fn accepted(world: &mut World) -> &mut LocalInvoice {
    world
        .local
        .iter_mut()
        .find(|r| r.state == SubmissionState::Accepted)
        .expect("an accepted row")
}

#[test]
fn a_consistent_world_passes() {
    assert_eq!(check(&clean()), vec![]);
}

#[test]
fn a_second_acceptance_in_the_ledger_is_a_duplicate() {
    let mut w = clean();
    let mut again = w.ledger[0].clone();
    again.ksef_number.push('9');
    w.ledger.push(again);
    let found = check(&w);
    assert!(
        found
            .iter()
            .any(|v| matches!(v, Violation::Duplicated { count: 2, .. })),
        "{found:?}"
    );
}

#[test]
fn a_missing_row_is_lost() {
    let mut w = clean();
    let gone = w.local.remove(3).file_name;
    assert!(check(&w).contains(&Violation::Lost { file: gone }));
}

#[test]
fn a_row_still_sending_is_not_terminal() {
    let mut w = clean();
    let row = accepted(&mut w);
    row.state = SubmissionState::Sent;
    let file = row.file_name.clone();
    assert!(check(&w).contains(&Violation::NotTerminal {
        file,
        state: SubmissionState::Sent
    }));
}

#[test]
fn a_valid_invoice_ksef_never_saw_is_reported() {
    let mut w = clean();
    w.ledger.remove(0);
    assert!(check(&w)
        .iter()
        .any(|v| matches!(v, Violation::NeverAccepted { .. })));
}

#[test]
fn an_accepted_invalid_invoice_is_unexpected() {
    let mut w = clean();
    let invalid = w
        .workload
        .items
        .iter()
        .find(|i| i.expect == Expect::Invalid)
        .expect("an invalid item");
    let mut entry = w.ledger[0].clone();
    entry.invoice_hash = invalid.hash.as_str().to_owned();
    entry.invoice_number = "OTHER".into();
    w.ledger.push(entry);
    let found = check(&w);
    assert!(
        found
            .iter()
            .any(|v| matches!(v, Violation::Unexpected { .. })),
        "{found:?}"
    );
}

#[test]
fn an_accepted_invoice_without_a_verified_matching_upo_is_reported() {
    for (problem, breaks) in [
        (
            "missing",
            (|u: &mut Option<LocalUpo>| *u = None) as fn(&mut Option<LocalUpo>),
        ),
        ("not verified", |u| {
            if let Some(u) = u {
                u.verified = false
            }
        }),
        ("confirms another document", |u| {
            if let Some(u) = u {
                u.document_hash = "x".into()
            }
        }),
    ] {
        let mut w = clean();
        let row = accepted(&mut w);
        breaks(&mut row.upo);
        let file = row.file_name.clone();
        assert!(
            check(&w).contains(&Violation::Upo { file, problem }),
            "{problem}"
        );
    }
}

#[test]
fn a_local_ksef_number_other_than_the_ledgers_is_reported() {
    let mut w = clean();
    accepted(&mut w).ksef_number = Some("elsewhere".into());
    assert!(check(&w)
        .iter()
        .any(|v| matches!(v, Violation::KsefNumberMismatch { .. })));
}

#[test]
fn refused_rows_need_a_reason_and_the_right_state() {
    let mut w = clean();
    let row = w
        .local
        .iter_mut()
        .find(|r| r.state == SubmissionState::Invalid)
        .expect("an invalid row");
    row.reasons.clear();
    let file = row.file_name.clone();
    assert!(check(&w).contains(&Violation::NoReason {
        file: file.clone(),
        state: SubmissionState::Invalid
    }));

    let mut w = clean();
    let row = w
        .local
        .iter_mut()
        .find(|r| r.file_name == file)
        .expect("the same row");
    row.state = SubmissionState::Accepted;
    assert!(check(&w).iter().any(|v| matches!(
        v,
        Violation::WrongState {
            expected: "invalid or rejected",
            ..
        }
    )));
}

#[test]
fn changed_bytes_and_stray_rows_are_reported() {
    let mut w = clean();
    w.local[0].stored_hash = Some("different".into());
    let file = w.local[0].file_name.clone();
    let mut stray = w.local[1].clone();
    stray.file_name = "not-in-workload.xml".into();
    w.local.push(stray);
    let found = check(&w);
    assert!(
        found.contains(&Violation::BytesChanged { file }),
        "{found:?}"
    );
    assert!(found.contains(&Violation::UnknownRow {
        file: "not-in-workload.xml".into()
    }));
}
