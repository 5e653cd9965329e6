//! The in-process mode: the real runner sends to the simulator served in this process, both on
//! one virtual clock (paused tokio time), so only CPU work takes wall time.

use std::sync::Arc;
use std::time::Instant;

use engine::clock::Clock;
use engine::state::SubmissionState;
use ksef_desk_tests::clock::VirtualClock;
use ksef_desk_tests::local::read_store;
use ksef_desk_tests::world::{sim_config, wait_for_wake, Outbox};
use ksef_sim::{LimitsMode, RateTable, Simulator};

use crate::{cpu, Figures, PROCESSING_MS, SEED};

/// Ticks after which the run is reported as not finished.
const TICKS_MAX: u64 = 5_000_000;

/// Runs `count` invoices through the runner and the simulator on a paused single-thread runtime.
pub fn run(count: usize) -> Figures {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("runtime");
    runtime.block_on(send(count))
}

async fn send(count: usize) -> Figures {
    let clock = VirtualClock::after_samples();
    let config = ksef_sim::SimConfig {
        limits: LimitsMode::Table(RateTable::production()),
        processing_ms: PROCESSING_MS,
        ..sim_config(SEED)
    };
    let sim = Simulator::new(config, Arc::new(clock)).expect("simulator");
    let (api_base, _server) = sim
        .serve("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("serve");

    let cpu_start = cpu::own();
    let wall = Instant::now();
    let outbox = Outbox::import(SEED, count, &api_base, &clock).expect("import");
    let import_s = wall.elapsed().as_secs_f64();

    let mut runner = outbox.runner(&api_base, clock, SEED, 0).expect("runner");
    let start_ms = clock.now_ms();
    let send = Instant::now();
    let mut ticks = 0;
    let mut idle = false;
    while ticks < TICKS_MAX {
        ticks += 1;
        let outcome = runner.tick().await.expect("tick");
        if outcome.idle {
            idle = true;
            break;
        }
        wait_for_wake(&clock, outcome.next_wake_at_ms).await;
    }
    let send_s = send.elapsed().as_secs_f64();
    let ksef_s = (clock.now_ms() - start_ms) as f64 / 1_000.0;
    let cpu = cpu_start.zip(cpu::own()).map(|(a, b)| b.own_s - a.own_s);

    let local = read_store(runner.store(), outbox.company).expect("read");
    let accepted = local
        .iter()
        .filter(|r| r.state == SubmissionState::Accepted)
        .count();
    Figures {
        mode: "in-process, virtual clock",
        invoices: count,
        files: local.len(),
        accepted,
        ledger: sim.ledger().len(),
        finished: format!("{idle} after {ticks} ticks"),
        import_s,
        send_s,
        cpu: vec![("import + send + sim", cpu)],
        ksef_s,
        ksef_clock: "virtual clock",
        stats: sim.stats(),
        db_bytes: super::database_bytes(&outbox.db),
    }
}
