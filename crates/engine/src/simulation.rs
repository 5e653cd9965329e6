//! Deterministic simulation of the outbox against a scripted KSeF, TigerBeetle style.
//!
//! Safety phase: a seeded workload with faults (transient errors, 429s, unknown outcomes, worker
//! crashes mid-send, stale workers waking up late) while an auditor checks after every step that
//! no invoice reached KSeF twice and every row satisfies its state invariants. Liveness phase:
//! faults off, the system must converge to a verdict for every invoice. A failure names its seed.

use std::collections::HashMap;
use std::time::Duration;

use ksef_api::status::InvoiceProcessing;
use ksef_api::{
    InvoiceRef, InvoiceStatus, KsefError, KsefNumber, KsefResult, Operation, ReferenceNumber,
    RemoteCode, SessionRef, Sha256B64,
};
use rand::Rng;

use crate::backoff::RetryPolicy;
use crate::clock::{Clock, ManualClock};
use crate::outcome::{self, Context, Plan};
use crate::rng::{seeded, EngineRng};
use crate::state::{Actor, Applied, Change, SubmissionState};
use crate::store::test_support::{insert_queued, temp_store};
use crate::store::{Claimed, CompanyId, InvoiceFilter, InvoiceId, Store};

const INVOICES: usize = 30;
const LEASE_MS: i64 = 20_000;
const SAFETY_STEPS: usize = 1_500;
const LIVENESS_ROUNDS_MAX: usize = 400;
const KSEF_NUMBER: &str = "5265877635-20250826-0100001AF629-AF";

/// KSeF as the simulation sees it: what it received, and the verdict it will give.
#[derive(Default)]
struct ScriptedKsef {
    /// Invoice → (invoice reference, times received).
    received: HashMap<InvoiceId, (InvoiceRef, u32)>,
    /// Status polls answered per invoice.
    polls: HashMap<InvoiceId, u32>,
}

impl ScriptedKsef {
    fn receive(&mut self, id: InvoiceId) -> InvoiceRef {
        let reference = format!("20260202-EE-{:010}-0000000001-01", id.0);
        let invoice_ref = InvoiceRef(ReferenceNumber::parse(&reference).expect("36 chars"));
        let entry = self.received.entry(id).or_insert((invoice_ref, 0));
        entry.1 += 1;
        entry.0.clone()
    }

    /// Processing for two polls, then 450 for every seventh invoice and 200 for the rest.
    fn status(&mut self, id: InvoiceId, bytes: &[u8]) -> InvoiceStatus {
        let polls = self.polls.entry(id).or_default();
        *polls += 1;
        let code = match *polls {
            0..=2 => 150,
            _ if id.0 % 7 == 0 => 450,
            _ => 200,
        };
        InvoiceStatus {
            ordinal: 1,
            invoice_ref: self.received[&id].0.clone(),
            invoice_number: None,
            ksef_number: (code == 200).then(|| KsefNumber::parse(KSEF_NUMBER).expect("valid")),
            invoice_hash: Sha256B64::of(bytes),
            file_name: None,
            acquisition_date: None,
            invoicing_date: chrono::DateTime::UNIX_EPOCH,
            permanent_storage_date: None,
            upo_download: None,
            invoicing_mode: None,
            status: InvoiceProcessing {
                code,
                description: format!("status {code}"),
                details: Vec::new(),
                duplicate_of: None,
                extensions: Default::default(),
            },
        }
    }
}

struct World {
    _dir: tempfile::TempDir,
    store: Store,
    company: CompanyId,
    clock: ManualClock,
    rng: EngineRng,
    ksef: ScriptedKsef,
    policy: RetryPolicy,
    session: SessionRef,
    /// Workers that stalled mid-send, with the result they will try to record when they wake.
    zombies: Vec<(Claimed, KsefResult<InvoiceRef>)>,
    ids: Vec<InvoiceId>,
    seed: u64,
}

impl World {
    fn new(seed: u64) -> World {
        let (dir, mut store, company) = temp_store();
        let ids = (0..INVOICES)
            .map(|i| {
                let bytes = format!("<Faktura><P_2>SIM/{i}</P_2></Faktura>");
                insert_queued(
                    &mut store,
                    company,
                    &format!("SIM/{i}"),
                    bytes.as_bytes(),
                    0,
                )
            })
            .collect();
        World {
            _dir: dir,
            store,
            company,
            clock: ManualClock::new(0),
            rng: seeded(seed),
            ksef: ScriptedKsef::default(),
            policy: RetryPolicy::default(),
            session: SessionRef(
                ReferenceNumber::parse("20260202-SO-0000000001-0000000001-01").expect("36 chars"),
            ),
            zombies: Vec::new(),
            ids,
            seed,
        }
    }

    fn ctx(&self, id: InvoiceId) -> Context {
        let attempts = self.store.invoice(id).expect("row").attempts;
        Context {
            now_ms: self.clock.now_ms(),
            attempts_done: u32::try_from(attempts).expect("small"),
            policy: self.policy,
        }
    }

    fn record(&mut self, claim: Claimed, plan: &Plan) {
        let now = self.clock.now_ms();
        match plan.change() {
            Some(change) => {
                self.store
                    .apply_fenced(claim, &change, now)
                    .expect("record");
            }
            None => {
                let at = plan.next_at_ms.expect("waiting plans say when");
                self.store
                    .reschedule_poll(claim, at, now)
                    .expect("reschedule");
            }
        }
    }

    /// One send pass; `faults` enables every failure mode.
    fn send(&mut self, faults: bool) {
        let owner = format!("w{}", self.rng.gen_range(0..3));
        let limit = self.rng.gen_range(1..6);
        let now = self.clock.now_ms();
        let claimed = self
            .store
            .claim_ready(self.company, now, limit, LEASE_MS, &owner)
            .expect("claim")
            .claimed;
        for claim in claimed {
            let roll = if faults {
                self.rng.gen_range(0..100)
            } else {
                0
            };
            let result = match roll {
                0..=49 => Ok(self.ksef.receive(claim.id)),
                50..=64 => Err(KsefError::Transient {
                    remote: Some(RemoteCode::Http(503)),
                    detail: "unavailable".into(),
                }),
                65..=74 => Err(KsefError::RateLimited {
                    retry_after: Duration::from_secs(5),
                }),
                75..=84 => {
                    if self.rng.gen_bool(0.5) {
                        self.ksef.receive(claim.id);
                    }
                    Err(KsefError::OutcomeUnknown {
                        operation: Operation::SendInvoice,
                        detail: "connection reset after upload".into(),
                    })
                }
                _ => {
                    // The worker stalls; its request may or may not have reached KSeF.
                    let reached = self.rng.gen_bool(0.5);
                    let result = if reached {
                        Ok(self.ksef.receive(claim.id))
                    } else {
                        Err(KsefError::Transient {
                            remote: None,
                            detail: "connect timeout".into(),
                        })
                    };
                    self.zombies.push((claim, result));
                    continue;
                }
            };
            let ctx = self.ctx(claim.id);
            let plan = outcome::after_send(&result, &self.session, ctx, &mut self.rng);
            self.record(claim, &plan);
        }
    }

    /// A stalled worker wakes and records its old result; the fence decides whether it counts.
    fn wake_zombie(&mut self) {
        if self.zombies.is_empty() {
            return;
        }
        let index = self.rng.gen_range(0..self.zombies.len());
        let (claim, result) = self.zombies.swap_remove(index);
        let ctx = self.ctx(claim.id);
        let plan = outcome::after_send(&result, &self.session, ctx, &mut self.rng);
        let change = plan.change().expect("send results always change state");
        let now = self.clock.now_ms();
        match self.store.apply_fenced(claim, &change, now) {
            Ok(Applied::Done { .. } | Applied::Stale) => {}
            Err(e) => panic!("seed {}: zombie write failed: {e}", self.seed),
        }
    }

    fn poll(&mut self, faults: bool) {
        let now = self.clock.now_ms();
        let due = self.store.due_for_poll(self.company, now, 10).expect("due");
        for claim in due {
            let bytes = self.store.original_bytes(claim.id).expect("bytes");
            let result = if faults && self.rng.gen_bool(0.1) {
                Err(KsefError::Transient {
                    remote: None,
                    detail: "timeout".into(),
                })
            } else {
                Ok(self.ksef.status(claim.id, &bytes))
            };
            let sent_at = self
                .store
                .event_history(claim.id)
                .expect("history")
                .iter()
                .rev()
                .find(|e| e.to_state == SubmissionState::Sent)
                .map(|e| e.at)
                .expect("a sent invoice has a sent event");
            let hash = Sha256B64::of(&bytes);
            let ctx = self.ctx(claim.id);
            let plan = outcome::after_status(&result, &hash, sent_at, ctx, &mut self.rng);
            self.record(claim, &plan);
        }
    }

    /// Resolves unknown outcomes by asking KSeF, never by resending blindly.
    fn reconcile(&mut self) {
        let filter = InvoiceFilter {
            states: vec![SubmissionState::NeedsAttention],
            limit: 1_000,
            ..InvoiceFilter::all(self.company)
        };
        let stuck = self.store.list_invoices(&filter).expect("list").rows;
        let now = self.clock.now_ms();
        for row in stuck {
            let session = self.session.to_string();
            let found = self.ksef.received.get(&row.id).map(|(r, _)| r.to_string());
            let change = match &found {
                Some(invoice_ref) => Change {
                    ksef_session_ref: Some(&session),
                    ksef_invoice_ref: Some(invoice_ref),
                    ..Change::to(SubmissionState::Sent, Actor::Reconciler)
                },
                None => Change::to(SubmissionState::Queued, Actor::Reconciler)
                    .because("engine.resolved_not_received", None),
            };
            self.store
                .apply_override(row.id, &change, now)
                .expect("resolve");
        }
    }

    /// The auditor: KSeF never received an invoice twice, and every row reads back valid.
    fn audit(&self) {
        for (id, (_, times)) in &self.ksef.received {
            assert_eq!(
                *times, 1,
                "seed {}: invoice {id:?} reached KSeF {times} times",
                self.seed
            );
        }
        for &id in &self.ids {
            let row = self
                .store
                .invoice(id)
                .unwrap_or_else(|e| panic!("seed {}: invoice {id:?}: {e}", self.seed));
            if row.state == SubmissionState::Accepted {
                assert!(self.ksef.received.contains_key(&id), "seed {}", self.seed);
            }
        }
    }
}

fn run(seed: u64) {
    let mut world = World::new(seed);
    for _ in 0..SAFETY_STEPS {
        match world.rng.gen_range(0..100) {
            0..=34 => world.send(true),
            35..=59 => world.poll(true),
            60..=67 => world.reconcile(),
            68..=72 => world.wake_zombie(),
            _ => {
                let step = world.rng.gen_range(0..8_000);
                world.clock.advance(step);
            }
        }
        world.audit();
    }
    // Liveness: stalled workers stay dead, KSeF behaves; everything must reach a verdict.
    world.zombies.clear();
    for _ in 0..LIVENESS_ROUNDS_MAX {
        world.clock.advance(60_000);
        world.reconcile();
        world.send(false);
        world.poll(false);
        world.audit();
        let counts = world.store.counts_by_state(world.company).expect("counts");
        let settled: i64 = counts
            .iter()
            .filter(|(s, _)| matches!(s, SubmissionState::Accepted | SubmissionState::Rejected))
            .map(|(_, n)| n)
            .sum();
        if settled == INVOICES as i64 {
            let rejected = world.ids.iter().filter(|id| id.0 % 7 == 0).count() as i64;
            assert!(
                counts.contains(&(SubmissionState::Rejected, rejected)),
                "seed {seed}"
            );
            return;
        }
    }
    panic!(
        "seed {seed}: did not converge: {:?}",
        world.store.counts_by_state(world.company)
    );
}

#[test]
fn outbox_never_sends_twice_and_converges_under_faults() {
    for seed in 0..4 {
        run(seed);
    }
}
