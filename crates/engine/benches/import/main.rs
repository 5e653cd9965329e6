//! Import throughput and peak memory: N generated FA(3) invoices (default 100 000,
//! `ENGINE_BENCH_INVOICES` overrides) imported from a folder, against baselines measured in the
//! same run: reading and hashing the files (the I/O floor) and validating them with fa3 (the
//! validation floor). Each phase runs in its own child process (this binary re-executed), because
//! a process's peak resident memory never goes down: one process per phase gives each phase its
//! own `VmHWM`.
//!
//! Prints figures only; it asserts nothing about time or memory.

mod memory;
mod phase;

use std::process::Command;

use memory::mib;
use phase::{invoice_path, ksef_dir, Inputs, Phase, PhaseResult};

/// Invoices generated when `ENGINE_BENCH_INVOICES` is not set.
const INVOICES_DEFAULT: usize = 100_000;
/// Set in a child to the name of the phase it runs.
const PHASE_ENV: &str = "ENGINE_BENCH_PHASE";
/// Set in a child to the folder of generated invoices.
const FOLDER_ENV: &str = "ENGINE_BENCH_FOLDER";
/// Set in a child to the outbox database path.
const DB_ENV: &str = "ENGINE_BENCH_DB";
/// Number of invoices (parent and child).
const INVOICES_ENV: &str = "ENGINE_BENCH_INVOICES";

/// Writes `count` copies of the first official sample, each with its own invoice number.
fn generate(inputs: &Inputs) {
    let sample = std::fs::read_to_string(ksef_dir().join("samples/fa3-valid/FA_3_Przyklad_1.xml"))
        .expect("official sample 1");
    let start = sample.find("<P_2>").expect("sample has P_2") + "<P_2>".len();
    let end = start + sample[start..].find("</P_2>").expect("P_2 closes");
    for i in 0..inputs.count {
        let xml = format!("{}BENCH/{i:07}{}", &sample[..start], &sample[end..]);
        let path = invoice_path(&inputs.folder, i);
        std::fs::create_dir_all(path.parent().expect("has parent")).expect("mkdir");
        std::fs::write(&path, xml).expect("write invoice");
    }
}

/// Runs `phase` in a child process and parses what it reports.
fn spawn(phase: Phase, inputs: &Inputs) -> PhaseResult {
    let exe = std::env::current_exe().expect("own executable");
    let output = Command::new(exe)
        .env(PHASE_ENV, phase.name())
        .env(FOLDER_ENV, &inputs.folder)
        .env(DB_ENV, &inputs.db)
        .env(INVOICES_ENV, inputs.count.to_string())
        .output()
        .expect("spawn phase");
    let stdout = String::from_utf8_lossy(&output.stdout);
    match PhaseResult::from_output(&stdout) {
        Some(result) if output.status.success() => result,
        _ => panic!(
            "phase {} failed ({}): {}",
            phase.name(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

fn invoices() -> usize {
    std::env::var(INVOICES_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(INVOICES_DEFAULT)
}

fn main() {
    if let Some(phase) = std::env::var(PHASE_ENV)
        .ok()
        .as_deref()
        .map(Phase::from_name)
    {
        let phase = phase.expect("known phase name");
        let inputs = Inputs {
            folder: std::env::var_os(FOLDER_ENV).expect("folder").into(),
            db: std::env::var_os(DB_ENV).expect("db").into(),
            count: invoices(),
        };
        phase::run_child(phase, &inputs);
        return;
    }

    let count = invoices();
    let dir = tempfile::tempdir().expect("temp dir");
    let inputs = Inputs {
        folder: dir.path().join("inbox"),
        db: dir.path().join("bench.db"),
        count,
    };
    generate(&inputs);
    let xsd = fa3::SchemaSet::load(&ksef_dir().join("schemas")).is_ok();
    let results: Vec<(Phase, PhaseResult)> = Phase::ALL
        .into_iter()
        .map(|phase| (phase, spawn(phase, &inputs)))
        .collect();
    let db_bytes = std::fs::metadata(&inputs.db).map_or(0, |m| m.len());
    report(count, xsd, &results, db_bytes);
}

fn report(count: usize, xsd: bool, results: &[(Phase, PhaseResult)], db_bytes: u64) {
    let get = |wanted: Phase| {
        results
            .iter()
            .find(|(p, _)| *p == wanted)
            .map(|(_, r)| *r)
            .expect("every phase ran")
    };
    let (idle, read, validate, import, reimport) = (
        get(Phase::Idle),
        get(Phase::Read),
        get(Phase::Validate),
        get(Phase::Import),
        get(Phase::Reimport),
    );
    println!("import bench: {count} invoices, XSD loaded: {xsd}");
    println!("  each phase runs in its own child process, so its peak RSS (VmHWM) is its own;");
    println!("  'set-up RSS' is after loading schemas / opening the database, before the work;");
    println!("  'idle' is a child that does nothing: the floor of the process itself.");
    println!(
        "  hashed / sendable by fa3:    {} / {}",
        read.count, validate.count
    );
    println!(
        "  imported / re-import known:  {} / {}",
        import.count, reimport.count
    );
    println!(
        "  {:<26} {:>10} {:>8} {:>13} {:>12} {:>12}",
        "phase", "files/s", "s", "set-up RSS", "peak RSS", "end RSS"
    );
    let row = |label: &str, r: PhaseResult| {
        println!(
            "  {label:<26} {:>10.0} {:>8.2} {:>9.1} MiB {:>8.1} MiB {:>8.1} MiB",
            count as f64 / r.seconds,
            r.seconds,
            mib(r.before.rss_kib),
            mib(r.after.peak_kib),
            mib(r.after.rss_kib)
        );
    };
    println!(
        "  {:<26} {:>10} {:>8} {:>9.1} MiB {:>8.1} MiB {:>8.1} MiB",
        "idle (process floor)",
        "-",
        "-",
        mib(idle.before.rss_kib),
        mib(idle.after.peak_kib),
        mib(idle.after.rss_kib)
    );
    row("read + sha256 (baseline)", read);
    row("read + fa3 validate", validate);
    row("import (validate + store)", import);
    row("re-import (all known)", reimport);
    println!(
        "  import / validate time:      {:.2}x",
        import.seconds / validate.seconds
    );
    println!(
        "  import / read time:          {:.2}x",
        import.seconds / read.seconds
    );
    println!(
        "  import / validate peak RSS:  {:.2}x",
        import.after.peak_kib as f64 / validate.after.peak_kib as f64
    );
    println!(
        "  import peak RSS above set-up: {:.1} MiB ({:.2} KiB per invoice)",
        mib(import.after.peak_kib.saturating_sub(import.before.rss_kib)),
        import.after.peak_kib.saturating_sub(import.before.rss_kib) as f64 / count as f64
    );
    println!(
        "  database size:               {:.1} MB",
        db_bytes as f64 / 1e6
    );
}
