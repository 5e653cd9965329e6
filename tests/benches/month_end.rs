//! Month-end: N invoices (default 10 000, `MONTH_END_INVOICES` overrides) imported and sent by the
//! real runner to the in-process simulator with KSeF's production limits, on the virtual clock.
//! Prints the simulated KSeF time, real wall and CPU time, requests per limit group and 429s,
//! next to the time KSeF's interactive limit alone would impose on one-by-one sending (computed
//! from `ksef_api`'s production table). Prints figures only; it asserts nothing about time.

use std::time::Instant;

use engine::clock::Clock;
use engine::state::SubmissionState;
use ksef_api::LimitGroup;
use ksef_desk_tests::clock::VirtualClock;
use ksef_desk_tests::local::read_store;
use ksef_desk_tests::world::{sim_config, wait_for_wake, Outbox};
use ksef_sim::{LimitsMode, RateTable, Simulator};

/// Invoices generated when `MONTH_END_INVOICES` is not set.
const INVOICES_DEFAULT: usize = 10_000;
/// Ticks after which the bench reports the run as not converged.
const TICKS_MAX: u64 = 5_000_000;
const SEED: u64 = 31;

/// CPU time this process has spent running, from `/proc/self/schedstat` (Linux), in seconds.
fn cpu_s() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/self/schedstat").ok()?;
    let ns: f64 = text.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

fn main() {
    let count = std::env::var("MONTH_END_INVOICES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(INVOICES_DEFAULT);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("runtime");
    runtime.block_on(run(count));
}

async fn run(count: usize) {
    let clock = VirtualClock::after_samples();
    let config = ksef_sim::SimConfig {
        limits: LimitsMode::Table(RateTable::production()),
        processing_ms: 2_000,
        ..sim_config(SEED)
    };
    let sim = Simulator::new(config, std::sync::Arc::new(clock)).expect("simulator");
    let (api_base, _server) = sim
        .serve("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("serve");

    let wall = Instant::now();
    let cpu_start = cpu_s();
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
    let simulated_h = (clock.now_ms() - start_ms) as f64 / 3_600_000.0;
    let cpu = cpu_start.zip(cpu_s()).map(|(a, b)| b - a);

    let local = read_store(runner.store(), outbox.company).expect("read");
    let accepted = local
        .iter()
        .filter(|r| r.state == SubmissionState::Accepted)
        .count();
    let stats = sim.stats();
    let per_hour = LimitGroup::production_limits()
        .get(LimitGroup::InvoiceSend)
        .per_hour;
    let interactive_h = accepted as f64 / f64::from(per_hour);

    println!(
        "month-end bench: {count} generated invoices ({} files), production limits",
        local.len()
    );
    println!("  converged:                {idle} after {ticks} ticks");
    println!(
        "  accepted (ledger):        {accepted} ({})",
        sim.ledger().len()
    );
    println!("  import wall time:         {import_s:.2} s");
    println!("  send wall time:           {send_s:.2} s");
    match cpu {
        Some(cpu) => println!("  CPU time (import + send): {cpu:.2} s"),
        None => println!("  CPU time:                 unavailable (no /proc/self/schedstat)"),
    }
    println!(
        "  simulated KSeF time:      {simulated_h:.4} h ({:.0} s)",
        simulated_h * 3_600.0
    );
    println!(
        "  one-by-one interactive:   {interactive_h:.2} h ({accepted} / {per_hour} invoiceSend per hour)"
    );
    println!(
        "  simulated / interactive:  {:.3}x",
        simulated_h / interactive_h
    );
    println!("  429 responses:            {}", stats.rate_limited);
    for (group, requests) in &stats.requests {
        println!("  requests {group:<18} {requests}");
    }
}
