//! Month-end: N invoices (default 10 000, `MONTH_END_INVOICES` overrides) imported and sent to a
//! simulator enforcing KSeF's production limits, next to the time KSeF's interactive limit alone
//! would impose on one-by-one sending (computed from `ksef_api`'s production table).
//!
//! Two modes (`MONTH_END_MODE`):
//! - `in-process` (default): the real runner and the simulator in this process on one virtual
//!   clock, so hours of KSeF time pass in seconds;
//! - `processes`: the real `ksef-sim --limits production` and `ksef-desk-cli run --until-idle`
//!   binaries on the system clock (`scripts/bench-month-end` builds them and sets this mode).
//!
//! Prints figures only; it asserts nothing about time.

mod cpu;
mod in_process;
mod processes;

use ksef_api::LimitGroup;
use ksef_sim::state::Stats;

/// Invoices generated when `MONTH_END_INVOICES` is not set.
const INVOICES_DEFAULT: usize = 10_000;
/// Seed of the workload, the simulator and the runner.
const SEED: u64 = 31;
/// Simulated KSeF processing time of invoices, sessions and authentications, in milliseconds.
const PROCESSING_MS: u64 = 2_000;

/// What one run measured, in either mode.
pub struct Figures {
    /// Which mode ran.
    pub mode: &'static str,
    /// Generated base invoices (the workload adds conflicting twins).
    pub invoices: usize,
    /// Rows in the outbox after import.
    pub files: usize,
    /// Rows accepted by KSeF according to the outbox.
    pub accepted: usize,
    /// Entries in the simulator's ledger of accepted invoices.
    pub ledger: usize,
    /// Whether (and how) the run finished with every invoice terminal.
    pub finished: String,
    /// Wall time of the import, in seconds.
    pub import_s: f64,
    /// Wall time of sending until idle, in seconds.
    pub send_s: f64,
    /// Labelled CPU times, in seconds.
    pub cpu: Vec<(&'static str, Option<f64>)>,
    /// KSeF (simulator clock) time the sending took, in seconds.
    pub ksef_s: f64,
    /// What clock `ksef_s` was read from.
    pub ksef_clock: &'static str,
    /// The simulator's counters.
    pub stats: Stats,
    /// Size of the outbox database with its WAL at the end, in bytes.
    pub db_bytes: Option<u64>,
}

/// Size of the SQLite file at `db` plus its write-ahead log, in bytes.
pub fn database_bytes(db: &std::path::Path) -> Option<u64> {
    let main = std::fs::metadata(db).ok()?.len();
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    Some(main + std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0))
}

fn main() {
    let count = std::env::var("MONTH_END_INVOICES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(INVOICES_DEFAULT);
    let figures = match std::env::var("MONTH_END_MODE").as_deref() {
        Ok("processes") => processes::run(count),
        Ok("in-process") | Err(_) => in_process::run(count),
        Ok(other) => panic!("MONTH_END_MODE={other}: expected in-process or processes"),
    };
    report(&figures);
}

fn report(f: &Figures) {
    let per_hour = LimitGroup::production_limits()
        .get(LimitGroup::InvoiceSend)
        .per_hour;
    let interactive_h = f.accepted as f64 / f64::from(per_hour);
    let ksef_h = f.ksef_s / 3_600.0;
    let sessions = |kind: &str| f.stats.sessions_opened.get(kind).copied().unwrap_or(0);

    println!(
        "month-end bench ({}): {} generated invoices ({} files), production limits",
        f.mode, f.invoices, f.files
    );
    println!("  finished:                 {}", f.finished);
    println!("  accepted (outbox/ledger): {} / {}", f.accepted, f.ledger);
    println!("  import wall time:         {:.2} s", f.import_s);
    println!("  send wall time:           {:.2} s", f.send_s);
    for (label, seconds) in &f.cpu {
        match seconds {
            Some(s) => println!("  CPU {label:<21} {s:.2} s"),
            None => println!("  CPU {label:<21} unavailable (no /proc)"),
        }
    }
    println!(
        "  KSeF time ({}): {ksef_h:.4} h ({:.0} s)",
        f.ksef_clock, f.ksef_s
    );
    println!(
        "  one-by-one interactive:   {interactive_h:.2} h ({} accepted / {per_hour} invoiceSend per hour)",
        f.accepted
    );
    println!(
        "  KSeF time / interactive:  {:.5}x ({:.0}x faster)",
        ksef_h / interactive_h,
        interactive_h / ksef_h
    );
    println!(
        "  sessions opened:          {} batch, {} online",
        sessions("batch"),
        sessions("online")
    );
    println!("  429 responses:            {}", f.stats.rate_limited);
    match f.db_bytes {
        Some(bytes) => println!(
            "  outbox database:          {:.1} MB ({:.2} KB per file)",
            bytes as f64 / 1e6,
            bytes as f64 / 1e3 / f.files.max(1) as f64
        ),
        None => println!("  outbox database:          unknown"),
    }
    let total: u64 = f.stats.requests.values().sum();
    println!("  API requests:             {total}");
    for (group, requests) in &f.stats.requests {
        println!("    {group:<22} {requests}");
    }
}
