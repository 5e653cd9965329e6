//! The processes mode: the real `ksef-sim --limits production` and `ksef-desk-cli` binaries, as a
//! user would run them, on the system clock. The binaries come from `MONTH_END_BIN_DIR` (default
//! `target/release`; `scripts/bench-month-end` builds them first).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Instant;

use engine::state::SubmissionState;
use engine::store::Store;
use ksef_desk_tests::local::read_store;
use ksef_desk_tests::paths::schemas_dir;
use ksef_desk_tests::workload::{Workload, SELLER_NIP};
use ksef_desk_tests::world::TOKEN;
use ksef_sim::state::Stats;

use crate::{cpu, Figures, PROCESSING_MS, SEED};

/// Log lines of a failed `ksef-desk-cli run` shown before the figures.
const RUN_LOG_TAIL_LINES: usize = 20;

/// The simulator, killed when dropped so a failed run leaves no process behind.
struct Sim(Child);

impl Drop for Sim {
    fn drop(&mut self) {
        // Already exited or killed: nothing left to do.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn bin_dir() -> PathBuf {
    std::env::var_os("MONTH_END_BIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/release"))
}

fn binary(name: &str) -> PathBuf {
    let path = bin_dir().join(name);
    assert!(
        path.is_file(),
        "{} not found: build it first (scripts/bench-month-end does) or set MONTH_END_BIN_DIR",
        path.display()
    );
    path
}

/// Starts the simulator and reads the API base URL it prints as its first line.
fn start_sim() -> (Sim, String) {
    let mut child = Command::new(binary("ksef-sim"))
        .args(["--limits", "production", "--seed", &SEED.to_string()])
        .args(["--processing-ms", &PROCESSING_MS.to_string()])
        .arg("--token")
        .arg(format!("{SELLER_NIP}:{TOKEN}"))
        .arg("--schemas")
        .arg(schemas_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ksef-sim");
    let stdout = child.stdout.take().expect("piped stdout");
    let sim = Sim(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("ksef-sim prints its URL");
    (sim, line.trim().to_owned())
}

/// Runs the CLI with `args` against `db`, its output into `log`; returns its exit status and
/// the CPU seconds it used.
fn cli(db: &Path, log: &Path, args: &[&str]) -> (ExitStatus, Option<f64>) {
    let log = std::fs::File::create(log).expect("log file");
    let before = cpu::own();
    let status = Command::new(binary("ksef-desk-cli"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("KSEF_TOKEN", TOKEN)
        .env("KSEF_DESK_SCHEMAS", schemas_dir())
        .stdout(log.try_clone().expect("log file"))
        .stderr(log)
        .status()
        .expect("run ksef-desk-cli");
    let cpu = before
        .zip(cpu::own())
        .map(|(a, b)| b.children_s - a.children_s);
    (status, cpu)
}

/// The body of admin route `path` of the simulator serving `api_base` (`…/v2`; admin routes sit
/// at the root).
fn admin_get(api_base: &str, path: &str) -> String {
    let root = api_base.trim_end_matches('/').trim_end_matches("/v2");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        reqwest::get(format!("{root}{path}"))
            .await
            .expect("admin GET")
            .text()
            .await
            .expect("admin body")
    })
}

/// Imports `count` generated invoices with `ksef-desk-cli import` and sends them with
/// `ksef-desk-cli run --until-idle` to `ksef-sim --limits production`.
pub fn run(count: usize) -> Figures {
    let dir = tempfile::tempdir().expect("temp dir");
    let inbox = dir.path().join("inbox");
    std::fs::create_dir(&inbox).expect("inbox");
    Workload::generate(SEED, count)
        .expect("workload")
        .write_to(&inbox)
        .expect("write workload");
    let db = dir.path().join("outbox.sqlite");
    let inbox_arg = inbox.to_string_lossy().into_owned();
    let (sim, api_base) = start_sim();

    let wall = Instant::now();
    let (status, import_cpu) = cli(
        &db,
        &dir.path().join("import.log"),
        &["import", "--nip", SELLER_NIP, "--env", "test", &inbox_arg],
    );
    let import_s = wall.elapsed().as_secs_f64();
    // 1 is the expected answer: the workload holds invalid and conflicting invoices on purpose.
    assert!(
        matches!(status.code(), Some(0 | 1)),
        "import failed: {status}"
    );

    let send = Instant::now();
    let (status, run_cpu) = cli(
        &db,
        &dir.path().join("run.log"),
        &[
            "run",
            "--base-url",
            &api_base,
            "--nip",
            SELLER_NIP,
            "--env",
            "test",
            "--until-idle",
        ],
    );
    let send_s = send.elapsed().as_secs_f64();
    if !status.success() {
        // The temporary folder goes with this process: show why the run stopped.
        let log = std::fs::read_to_string(dir.path().join("run.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(RUN_LOG_TAIL_LINES).collect();
        eprintln!("ksef-desk-cli run: {status}; last log lines, newest first:");
        tail.iter().for_each(|line| eprintln!("  {line}"));
    }
    let stats: Stats =
        serde_json::from_str(&admin_get(&api_base, "/_sim/stats")).expect("stats JSON");
    let ledger: Vec<serde_json::Value> =
        serde_json::from_str(&admin_get(&api_base, "/_sim/ledger")).expect("ledger JSON");
    let sim_cpu = cpu::of_pid(sim.0.id()).map(|c| c.own_s);
    drop(sim);

    let store = Store::open(&db).expect("open outbox");
    let company = store
        .companies()
        .expect("companies")
        .first()
        .expect("the company import created")
        .id;
    let local = read_store(&store, company).expect("read");
    let accepted = local
        .iter()
        .filter(|r| r.state == SubmissionState::Accepted)
        .count();
    Figures {
        mode: "processes, system clock",
        invoices: count,
        files: local.len(),
        accepted,
        ledger: ledger.len(),
        finished: format!("ksef-desk-cli run --until-idle: {status}"),
        import_s,
        send_s,
        cpu: vec![
            ("ksef-desk-cli import", import_cpu),
            ("ksef-desk-cli run", run_cpu),
            ("ksef-sim", sim_cpu),
        ],
        ksef_s: send_s,
        ksef_clock: "system clock",
        stats,
        db_bytes: super::database_bytes(&db),
    }
}
