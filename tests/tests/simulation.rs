//! Deterministic end-to-end simulation: the real engine runner against the real (in-process)
//! simulator, one virtual clock, seeded randomness everywhere. Per seed: a safety phase with
//! simulator faults (5xx, timeouts, dropped responses after commit, 429s from tight limits, slow
//! processing) and crashes injected between every "sent" and "recorded" (the runner is dropped and
//! a fresh one opened on the same SQLite file), then a liveness phase without faults until idle,
//! then the audit: every valid invoice accepted exactly once with a verified UPO, every invalid
//! one refused with a reason, nothing lost. A failing seed prints its reproduction command.

use std::sync::Mutex;

use engine::clock::Clock;
use engine::runner::{CrashPoint, Hooks, InjectedCrash, Runner, RunnerError};
use engine::store::Store;
use ksef_api::HttpKsef;
use ksef_desk_tests::audit::{audit, Violation};
use ksef_desk_tests::clock::VirtualClock;
use ksef_desk_tests::local::read_store;
use ksef_desk_tests::seeds;
use ksef_desk_tests::world::{sim_config, wait_for_wake, Outbox};
use ksef_sim::limits::RateValues;
use ksef_sim::{FaultConfig, LimitsMode, RateTable, Simulator};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

/// Seeds CI runs (`SEED=n` / `SEEDS=a..b` override).
const SEEDS_CI: std::ops::Range<u64> = 0..10;
/// Generated invoices per seed (plus conflict twins).
const INVOICES: usize = 40;
/// Virtual time the faulty safety phase lasts.
const SAFETY_PHASE_MS: i64 = 30 * 60_000;
/// Ticks the safety phase may take at most (guards against a runner that never waits).
const SAFETY_TICKS_MAX: u32 = 5_000;
/// Virtual time the fault-free liveness phase may take to converge.
const LIVENESS_PHASE_MS: i64 = 12 * 3_600_000;
/// Ticks the liveness phase may take at most.
const LIVENESS_TICKS_MAX: u32 = 100_000;
/// Chance of a crash at each crash point reached during the safety phase.
const CRASH_PROBABILITY: f64 = 0.08;
/// Upper bounds of the per-seed fault probabilities.
const FAULT_5XX_MAX: f64 = 0.10;
const FAULT_TIMEOUT_MAX: f64 = 0.05;
const FAULT_DROP_RESPONSE_MAX: f64 = 0.10;
/// Range of the simulator's processing delay.
const PROCESSING_MS_MIN: u64 = 100;
const PROCESSING_MS_MAX: u64 = 8_000;

/// Crashes at any crash point with a seeded probability, as a process killed at random would.
struct SeededCrashes {
    rng: Mutex<ChaCha20Rng>,
    probability: f64,
}

impl Hooks for SeededCrashes {
    fn crash_point(&self, point: CrashPoint) -> Result<(), InjectedCrash> {
        let roll: f64 = match self.rng.lock() {
            Ok(mut rng) => rng.gen(),
            Err(poisoned) => poisoned.into_inner().gen(),
        };
        if roll < self.probability {
            return Err(InjectedCrash(point));
        }
        Ok(())
    }
}

/// Everything one seed's run needs.
struct World {
    seed: u64,
    clock: VirtualClock,
    api_base: String,
    root: String,
    sim: Simulator,
    outbox: Outbox,
}

/// Production limits, with sending and status polling squeezed so the engine meets 429s.
fn tight_limits() -> RateTable {
    let mut table = RateTable::production();
    table.invoice_send = RateValues {
        per_second: 2,
        per_minute: 8,
        per_hour: 180,
    };
    table.invoice_status = RateValues {
        per_second: 3,
        per_minute: 20,
        per_hour: 1_200,
    };
    table
}

async fn world(seed: u64) -> World {
    let mut rng = ChaCha20Rng::seed_from_u64(seed ^ 0x51A1);
    let clock = VirtualClock::after_samples();
    let config = ksef_sim::SimConfig {
        limits: LimitsMode::Table(tight_limits()),
        faults: FaultConfig {
            error_5xx: rng.gen_range(0.0..FAULT_5XX_MAX),
            timeout: rng.gen_range(0.0..FAULT_TIMEOUT_MAX),
            drop_response: rng.gen_range(0.0..FAULT_DROP_RESPONSE_MAX),
            timeout_hold_ms: 30_000,
        },
        processing_ms: rng.gen_range(PROCESSING_MS_MIN..PROCESSING_MS_MAX),
        ..sim_config(seed)
    };
    let sim = Simulator::new(config, std::sync::Arc::new(clock)).expect("simulator");
    let (api_base, _server) = sim
        .serve("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("serve");
    let root = sim.root_url();
    let outbox = Outbox::import(seed, INVOICES, &api_base, &clock).expect("import the workload");
    World {
        seed,
        clock,
        api_base,
        root,
        sim,
        outbox,
    }
}

impl World {
    /// A fresh runner on the same database, as after a process restart.
    fn runner(&self, generation: u64) -> Runner<HttpKsef, VirtualClock> {
        self.outbox
            .runner(&self.api_base, self.clock, self.seed, generation)
            .expect("runner")
    }

    /// Faults on, crashes injected, for a bounded stretch of virtual time. Returns the crash count.
    async fn safety_phase(&self) -> u32 {
        let deadline_ms = self.clock.now_ms() + SAFETY_PHASE_MS;
        let mut generation = 0;
        let mut crashes = 0;
        let hooks = |generation: u64| SeededCrashes {
            rng: Mutex::new(ChaCha20Rng::seed_from_u64(self.seed ^ (generation << 32))),
            probability: CRASH_PROBABILITY,
        };
        let mut runner = self.runner(generation).with_hooks(hooks(generation));
        for _ in 0..SAFETY_TICKS_MAX {
            if self.clock.now_ms() >= deadline_ms {
                break;
            }
            match runner.tick().await {
                Ok(outcome) => {
                    wait_for_wake(&self.clock, outcome.next_wake_at_ms.min(deadline_ms)).await
                }
                Err(RunnerError::Crash(_)) => {
                    crashes += 1;
                    generation += 1;
                    drop(runner);
                    runner = self.runner(generation).with_hooks(hooks(generation));
                }
                Err(other) => self.fail(&format!("safety phase: runner error {other}")),
            }
        }
        crashes
    }

    /// Faults off: a fresh runner must bring every invoice to a verdict.
    async fn liveness_phase(&self) -> Store {
        let off =
            serde_json::json!({"fault5xx": 0.0, "faultTimeout": 0.0, "faultDropResponse": 0.0});
        let answer = reqwest::Client::new()
            .post(format!("{}/_sim/faults", self.root))
            .json(&off)
            .send()
            .await
            .expect("faults endpoint");
        assert!(
            answer.status().is_success(),
            "faults off: {}",
            answer.status()
        );
        let deadline_ms = self.clock.now_ms() + LIVENESS_PHASE_MS;
        let mut runner = self.runner(u64::from(u32::MAX));
        for _ in 0..LIVENESS_TICKS_MAX {
            let outcome = match runner.tick().await {
                Ok(outcome) => outcome,
                Err(e) => self.fail(&format!("liveness phase: runner error {e}")),
            };
            if outcome.idle {
                return runner.into_store();
            }
            if self.clock.now_ms() >= deadline_ms {
                break;
            }
            wait_for_wake(&self.clock, outcome.next_wake_at_ms).await;
        }
        let pending = self.audit(runner.store());
        self.fail(&format!(
            "liveness phase: not idle within its bound; now:\n  {}",
            listing(&pending)
        ))
    }

    fn audit(&self, store: &Store) -> Vec<Violation> {
        let local = read_store(store, self.outbox.company).expect("read store");
        audit(&self.outbox.workload, &self.sim.ledger(), &local)
    }

    fn fail(&self, what: &str) -> ! {
        panic!(
            "seed {} failed: {what}\nsimulator: {:?}\nreproduce: {}",
            self.seed,
            self.sim.stats(),
            seeds::repro_line(self.seed, "simulation")
        )
    }
}

fn listing(violations: &[Violation]) -> String {
    let lines: Vec<String> = violations.iter().map(ToString::to_string).collect();
    format!("{} violations:\n  {}", lines.len(), lines.join("\n  "))
}

#[test]
fn every_valid_invoice_is_accepted_exactly_once_across_faults_and_crashes() {
    let seeds = seeds::from_env(SEEDS_CI).expect("SEED / SEEDS");
    let mut crashes_total = 0;
    for seed in seeds {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("runtime");
        crashes_total += runtime.block_on(async {
            let world = world(seed).await;
            let crashes = world.safety_phase().await;
            let store = world.liveness_phase().await;
            let violations = world.audit(&store);
            if !violations.is_empty() {
                world.fail(&format!("violations:\n  {}", listing(&violations)));
            }
            let stats = world.sim.stats();
            println!(
                "seed {seed}: ok, {} files, {crashes} crashes, {} faults, {} 429s",
                world.outbox.workload.items.len(),
                stats.faults_injected,
                stats.rate_limited
            );
            crashes
        });
    }
    // The run must actually have exercised the crash recovery path.
    assert!(
        crashes_total > 0,
        "no crash was injected; raise CRASH_PROBABILITY"
    );
}
