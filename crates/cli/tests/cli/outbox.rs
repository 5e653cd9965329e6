//! The outbox commands end to end: `import`, `status`, `events` and `run --until-idle` of the
//! built binary against a simulator served in-process on 127.0.0.1:0 (real time, short
//! processing delays).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;

use ksef_sim::{LimitsMode, RateTable, SimConfig, Simulator, SystemClock};

use crate::common::{cli, json_lines, samples};

const NIP: &str = "9999999999";
const TOKEN: &str = "20260201-TK-0000000001-0000000001-01|nip-9999999999|0123456789abcdef";

fn ok(output: Output) -> Output {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// `import` of `files` into `db` with the options `args`; asserts it exits 0.
fn import<F: AsRef<OsStr>>(home: &Path, db: &Path, args: &[&str], files: &[F]) -> Output {
    ok(cli(home)
        .arg("import")
        .args(args)
        .arg("--db")
        .arg(db)
        .args(files)
        .output()
        .unwrap())
}

/// `status --json` of `db`: one row per invoice; asserts it exits 0.
fn status_rows(home: &Path, db: &Path) -> Vec<serde_json::Value> {
    json_lines(&ok(cli(home)
        .args(["status", "--json", "--db"])
        .arg(db)
        .output()
        .unwrap()))
}

/// `events --json` of invoice `id` in `db`; asserts it exits 0.
fn events_of(home: &Path, db: &Path, id: &str) -> Vec<serde_json::Value> {
    json_lines(&ok(cli(home)
        .args(["events", "--json", "--db"])
        .arg(db)
        .arg(id)
        .output()
        .unwrap()))
}

/// A fresh home with two official samples imported into its `outbox.sqlite`: (home, database).
fn imported_two_samples() -> (tempfile::TempDir, PathBuf) {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("outbox.sqlite");
    let files = two_samples(home.path());
    import(home.path(), &db, &["--nip", NIP], &files);
    (home, db)
}

/// A simulator with production limits and short processing, served on 127.0.0.1 from its own
/// runtime (kept alive as long as this value).
struct Served {
    sim: Simulator,
    root: String,
    _runtime: tokio::runtime::Runtime,
}

fn serve_sim(seed: u64) -> Served {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let config = SimConfig {
        seed,
        tokens: vec![format!("{NIP}:{TOKEN}").parse().unwrap()],
        limits: LimitsMode::Table(RateTable::production()),
        processing_ms: 100,
        ..SimConfig::default()
    };
    let sim = Simulator::new(config, Arc::new(SystemClock)).unwrap();
    let (root, _server) = runtime
        .block_on(sim.serve("127.0.0.1:0".parse().unwrap()))
        .unwrap();
    Served {
        sim,
        root,
        _runtime: runtime,
    }
}

/// Two official samples with different invoice numbers.
fn two_samples(dir: &Path) -> Vec<PathBuf> {
    let names = ["FA_3_Przyklad_1.xml", "FA_3_Przyklad_2.xml"];
    names
        .iter()
        .map(|n| {
            let to = dir.join(n);
            std::fs::copy(samples().join(n), &to).unwrap();
            to
        })
        .collect()
}

#[test]
fn import_then_status_then_events_before_any_sending() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("outbox.sqlite");
    let files = two_samples(home.path());
    let out = import(home.path(), &db, &["--json", "--nip", NIP], &files);
    let lines = json_lines(&out);
    let summary = &lines.last().unwrap()["summary"];
    assert_eq!(summary["imported"], 2, "{lines:?}");
    assert_eq!(lines.len(), 3, "one line per input plus the summary");

    // Importing the same files again adds nothing.
    let again = import(home.path(), &db, &["--json"], &files);
    assert_eq!(
        json_lines(&again).last().unwrap()["summary"]["already_known"],
        2
    );

    let rows = status_rows(home.path(), &db);
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert_eq!(row["state"], "queued");
        assert_eq!(row["upo"], false);
        assert!(row["ksef_number"].is_null());
        for key in ["id", "file", "invoice_number", "error_code"] {
            assert!(row.get(key).is_some(), "missing {key}: {row}");
        }
    }
    let id = rows[0]["id"].as_i64().unwrap().to_string();
    let events = events_of(home.path(), &db, &id);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["to"], "queued");
    assert_eq!(events[0]["code"], "engine.imported");

    let missing = cli(home.path())
        .args(["events", "--db"])
        .arg(&db)
        .arg("999")
        .output()
        .unwrap();
    assert_eq!(
        missing.status.code(),
        Some(2),
        "an unknown id is a usage error"
    );
}

#[test]
fn import_of_an_invalid_file_exits_one() {
    let home = tempfile::tempdir().unwrap();
    let bad = home.path().join("bad.xml");
    std::fs::write(&bad, "<not-an-invoice/>").unwrap();
    let out = cli(home.path())
        .args(["import", "--nip", NIP])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn run_until_idle_sends_everything_and_stores_upos() {
    let served = serve_sim(11);
    let (home, db) = imported_two_samples();

    let run = run_until_idle(home.path(), &db, &served.root);
    let log = String::from_utf8_lossy(&run.stderr);
    assert!(!log.contains(TOKEN), "the token never reaches the log");

    let rows = status_rows(home.path(), &db);
    let ledger = served.sim.ledger();
    assert_eq!(ledger.len(), 2);
    for row in &rows {
        assert_eq!(row["state"], "accepted", "{row}");
        assert_eq!(row["upo"], true, "{row}");
        let number = row["ksef_number"].as_str().unwrap();
        assert!(ledger.iter().any(|e| e.ksef_number == number));
    }
    assert_eq!(served.sim.stats().rate_limited, 0);
    let id = rows[0]["id"].as_i64().unwrap().to_string();
    let events = events_of(home.path(), &db, &id);
    let path: Vec<_> = events
        .iter()
        .map(|e| e["to"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(path, ["queued", "sending", "sent", "accepted"]);
}

#[test]
fn run_without_a_token_is_a_usage_error() {
    let home = tempfile::tempdir().unwrap();
    let out = cli(home.path())
        .args([
            "run",
            "--until-idle",
            "--nip",
            NIP,
            "--base-url",
            "http://127.0.0.1:9/v2",
        ])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("KSEF_TOKEN"),
        "tells where the token comes from: {stderr}"
    );
}

#[test]
fn reconcile_and_run_refuse_while_another_runner_holds_the_lock() {
    let served = serve_sim(12);
    let (home, db) = imported_two_samples();
    let company = {
        let store = engine::store::Store::open(&db).unwrap();
        engine::runner::report::find_company(&store, "test", NIP)
            .unwrap()
            .expect("import registered the company")
    };
    let connect = |command: &str| {
        let mut c = cli(home.path());
        c.args([command, "--nip", NIP, "--base-url", &served.root, "--db"])
            .arg(&db)
            .env("KSEF_TOKEN", TOKEN);
        c
    };

    // This test process plays the live runner: another process must not reconcile meanwhile.
    let held = engine::runner::RunnerLock::try_acquire(&db, company).unwrap();
    for command in ["reconcile", "run"] {
        let out = connect(command).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command}: {stderr}");
        assert!(
            stderr.contains("another runner is already sending"),
            "{command} says why: {stderr}"
        );
    }
    assert_eq!(
        served.sim.stats().requests.values().sum::<u64>(),
        0,
        "nothing reached KSeF"
    );

    // Once the runner is gone, reconcile runs and releases the lock again when it ends.
    drop(held);
    ok(connect("reconcile").output().unwrap());
    engine::runner::RunnerLock::try_acquire(&db, company).expect("reconcile released the lock");
}

/// `run --until-idle` against `root` for the database `db`; asserts it exits 0.
fn run_until_idle(home: &Path, db: &Path, root: &str) -> Output {
    ok(cli(home)
        .args([
            "run",
            "--until-idle",
            "--nip",
            NIP,
            "--base-url",
            root,
            "--db",
        ])
        .arg(db)
        .env("KSEF_TOKEN", TOKEN)
        .output()
        .unwrap())
}

#[test]
fn run_until_idle_ends_with_a_conflict_for_a_duplicate_another_install_sent_first() {
    let served = serve_sim(12);
    // Another install (its own database) sends the invoice first.
    let other = tempfile::tempdir().unwrap();
    let other_db = other.path().join("outbox.sqlite");
    let original = other.path().join("original.xml");
    std::fs::copy(samples().join("FA_3_Przyklad_1.xml"), &original).unwrap();
    import(other.path(), &other_db, &["--nip", NIP], &[&original]);
    run_until_idle(other.path(), &other_db, &served.root);
    assert_eq!(served.sim.ledger().len(), 1);

    // Ours has the same seller, type and number but different content.
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("outbox.sqlite");
    let ours = home.path().join("ours.xml");
    let text = std::fs::read_to_string(&original).unwrap();
    std::fs::write(
        &ours,
        text.replacen("</Faktura>", "<!-- ours --></Faktura>", 1),
    )
    .unwrap();
    import(home.path(), &db, &["--nip", NIP], &[&ours]);
    run_until_idle(home.path(), &db, &served.root);

    let rows = status_rows(home.path(), &db);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["state"], "conflict", "{}", rows[0]);
    assert_eq!(rows[0]["error_code"], "engine.duplicate_foreign");
    assert_eq!(rows[0]["ksef_number"], serde_json::Value::Null);
    assert_eq!(
        served.sim.ledger().len(),
        1,
        "KSeF holds only the other install's invoice"
    );
    assert_eq!(
        served.sim.stats().requests.get("invoiceSend").copied(),
        Some(2),
        "one send per install: ours was never resent"
    );
}
