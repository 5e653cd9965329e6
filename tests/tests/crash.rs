//! Crash test with real processes: the `ksef-sim` binary with faults, and `ksef-desk-cli run
//! --until-idle` killed with SIGKILL at seeded-random moments again and again, then run to idle.
//! The same audit holds: every valid invoice accepted exactly once (the simulator's ledger over
//! HTTP) with its UPO stored, every invalid one refused with a reason, nothing lost.
//!
//! The binaries belong to other packages, so `env!("CARGO_BIN_EXE_…")` cannot name them; the test
//! builds them with the cargo that runs it (a no-op when they are fresh) and runs them from the
//! target directory. Real time is unavoidable here; nothing waits on a timer for synchronisation:
//! the simulator's URL is read from its stdout, runs are awaited by exit, the kill delay is the
//! seeded stimulus itself.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use engine::state::SubmissionState;
use engine::store::{CompanyId, Store};
use ksef_desk_tests::audit::audit;
use ksef_desk_tests::local::read_store;
use ksef_desk_tests::paths::schemas_dir;
use ksef_desk_tests::seeds;
use ksef_desk_tests::workload::{Workload, SELLER_NIP};
use ksef_desk_tests::world::TOKEN;
use ksef_sim::state::LedgerEntry;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

/// Default seed (`SEED=n` overrides).
const SEED: u64 = 2026;
const INVOICES: usize = 20;
/// Kills before the final run.
const KILLS: u32 = 8;
/// Range of the real delay before each SIGKILL.
const KILL_AFTER_MS_MIN: u64 = 20;
const KILL_AFTER_MS_MAX: u64 = 600;
/// Longest the final run to idle may take (real time). Leases of killed runs end as soon as the
/// next run takes the runner lock, so this only bounds retries backing off in real time.
const FINAL_RUN_S_MAX: u64 = 90;

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Builds the two binaries and returns the directory holding them.
fn build_binaries() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .current_dir(workspace_root())
        .args(["build", "-p", "ksef-desk-cli", "-p", "ksef-sim", "--bins"])
        .status()
        .expect("cargo build");
    assert!(status.success(), "building the binaries failed");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    target.join("debug")
}

/// Kills the simulator when the test ends, however it ends.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_sim(bin: &Path, seed: u64) -> (Reaped, String) {
    let mut child = Command::new(bin.join("ksef-sim"))
        .args([
            "--token",
            &format!("{SELLER_NIP}:{TOKEN}"),
            "--seed",
            &seed.to_string(),
            "--processing-ms",
            "150",
            "--fault-5xx",
            "0.02",
            "--fault-timeout",
            "0.01",
            "--fault-timeout-hold-ms",
            "200",
            "--fault-drop-response",
            "0.03",
        ])
        .arg("--schemas")
        .arg(schemas_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ksef-sim");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("simulator prints its URL");
    (Reaped(child), line.trim().to_owned())
}

fn cli(bin: &Path, db: &Path) -> Command {
    let mut command = Command::new(bin.join("ksef-desk-cli"));
    command
        .arg("--db")
        .arg(db)
        .env("KSEF_TOKEN", TOKEN)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    command
}

fn ledger(root: &str) -> Vec<LedgerEntry> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        reqwest::get(format!("{root}/_sim/ledger"))
            .await
            .expect("ledger")
            .json()
            .await
            .expect("ledger JSON")
    })
}

#[test]
fn sigkilled_runs_neither_lose_nor_duplicate_invoices() {
    let seed = seeds::from_env(SEED..SEED + 1)
        .expect("SEED / SEEDS")
        .first()
        .copied()
        .unwrap_or(SEED);
    let bin = build_binaries();
    let dir = tempfile::tempdir().expect("temp dir");
    let inbox = dir.path().join("inbox");
    std::fs::create_dir(&inbox).expect("inbox");
    let workload = Workload::generate(seed, INVOICES).expect("workload");
    workload.write_to(&inbox).expect("write");
    let db = dir.path().join("outbox.sqlite");
    let (_sim, base_url) = start_sim(&bin, seed);
    let root = base_url.trim_end_matches("/v2").to_owned();

    let imported = cli(&bin, &db)
        .args(["import", "--nip", SELLER_NIP])
        .arg(&inbox)
        .status()
        .expect("import");
    assert!(imported.code().is_some(), "import ran to an exit code");

    let run_args = [
        "run",
        "--base-url",
        &base_url,
        "--nip",
        SELLER_NIP,
        "--until-idle",
    ];
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut killed = 0;
    for _ in 0..KILLS {
        let mut child = cli(&bin, &db).args(run_args).spawn().expect("run");
        let delay = Duration::from_millis(rng.gen_range(KILL_AFTER_MS_MIN..KILL_AFTER_MS_MAX));
        // The delay is the stimulus (when to pull the plug), not a wait for some state.
        std::thread::sleep(delay);
        if child.try_wait().expect("try_wait").is_none() {
            child.kill().expect("SIGKILL");
            killed += 1;
        }
        child.wait().expect("reap");
    }

    let started = Instant::now();
    let mut last = cli(&bin, &db).args(run_args).spawn().expect("final run");
    let status = loop {
        if let Some(status) = last.try_wait().expect("try_wait") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(FINAL_RUN_S_MAX) {
            let _ = last.kill();
            let _ = last.wait();
            let status = cli(&bin, &db).args(["status", "--json"]).output();
            let rows = status.map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
            panic!(
                "final run not idle within {FINAL_RUN_S_MAX} s; rows:\n{}\nreproduce: {}",
                rows.unwrap_or_default(),
                seeds::repro_line(seed, "crash")
            );
        }
        // Bounded poll of the child's exit; no state is assumed from the passage of time.
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "final run exit: {status:?}");
    let final_run = started.elapsed();

    let store = Store::open(&db).expect("open outbox");
    let local = read_store(&store, CompanyId(1)).expect("read outbox");
    let violations = audit(&workload, &ledger(&root), &local);
    assert!(violations.is_empty(), "{killed} kills: {violations:#?}");

    // The scripting contract agrees with the store: one JSON line per invoice, same states.
    let output = cli(&bin, &db)
        .args(["status", "--json"])
        .output()
        .expect("status");
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("status line is JSON"))
        .collect();
    assert_eq!(lines.len(), workload.items.len());
    for row in &local {
        let line = lines
            .iter()
            .find(|l| {
                l["file"]
                    .as_str()
                    .is_some_and(|f| f.ends_with(&row.file_name))
            })
            .unwrap_or_else(|| panic!("{} missing from status --json", row.file_name));
        assert_eq!(
            line["state"].as_str().and_then(SubmissionState::parse),
            Some(row.state)
        );
    }
    println!(
        "crash test: {killed} SIGKILLs, {} files audited, final run to idle {:.1} s",
        local.len(),
        final_run.as_secs_f64()
    );
    assert!(killed > 0, "no run was killed mid-flight");
}
