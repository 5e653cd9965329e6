//! `import`: files, folders and ZIPs into the outbox, validated and deduplicated, queued for `run`.
//!
//! Output: a summary (imported, already known, conflicts, invalid, skipped) and one line per
//! input; with `--json`, one JSON object per input per line followed by one summary line
//! (`{"summary": {...}}`). Exit 0 when every input was imported or already known; 1 when any is
//! invalid, conflicting or skipped (it was recorded, but will not be sent).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use anyhow::Context;
use engine::clock::{Clock, SystemClock};
use engine::fa3_validator::Fa3Validator;
use engine::import::Importer;

use super::run::{company_for_import, open_store, Env};
use crate::{Outcome, UsageError};

/// Arguments of `import`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Company NIP to file the invoices under (default: the database's only company).
    #[arg(long, value_name = "NIP")]
    nip: Option<String>,
    /// The company's environment (validation rules follow it).
    #[arg(long, value_enum, default_value = "test")]
    env: Env,
    /// One JSON object per input per line, then a summary line.
    #[arg(long)]
    json: bool,
    /// Invoice files, folders (searched recursively for *.xml) and ZIP archives.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

/// Runs `import`.
pub fn run(args: Args, db: Option<&Path>) -> anyhow::Result<Outcome> {
    for path in &args.paths {
        if !path.exists() {
            return Err(UsageError(format!("{}: no such file or folder", path.display())).into());
        }
    }
    let mut store = open_store(db)?;
    let company = company_for_import(&mut store, args.nip.as_deref(), args.env)?;
    let fa3_env = match args.env {
        Env::Prd => fa3::Environment::Production,
        Env::Demo => fa3::Environment::Demo,
        Env::Test => fa3::Environment::Test,
        Env::Sandbox => fa3::Environment::Sandbox,
    };
    // The CLI is the edge where "today" comes from the system clock (the local calendar day).
    let validator = Fa3Validator::new(fa3_env, chrono::Local::now().date_naive(), None);
    let clock = SystemClock;
    let mut rng = engine::rng::from_entropy();
    let summary = Importer::new(&mut store, &validator, &clock, &mut rng, company)
        .import(&args.paths, &mut |_| {}, &AtomicBool::new(false))
        .context("importing")?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        for item in &summary.items {
            writeln!(out, "{}", serde_json::to_string(item)?)?;
        }
        let totals = serde_json::json!({ "summary": {
            "imported": summary.imported,
            "already_known": summary.already_known,
            "conflicts": summary.conflicts,
            "invalid": summary.invalid,
            "skipped": summary.skipped,
        }});
        writeln!(out, "{totals}")?;
    } else {
        for item in &summary.items {
            let id = item.invoice_id.map_or("-".to_owned(), |i| i.0.to_string());
            let outcome = serde_json::to_value(item.outcome)?;
            let code = item
                .code
                .map(|c| format!(" ({})", c.as_str()))
                .unwrap_or_default();
            writeln!(
                out,
                "{:<14} #{id:<6} {}{code}",
                outcome.as_str().unwrap_or("?"),
                item.source
            )?;
        }
        writeln!(
            out,
            "imported {}, already known {}, conflicts {}, invalid {}, skipped {} (at {})",
            summary.imported,
            summary.already_known,
            summary.conflicts,
            summary.invalid,
            summary.skipped,
            engine::runner::ms_to_utc(clock.now_ms()).to_rfc3339()
        )?;
    }
    Ok(
        if summary.invalid + summary.conflicts + summary.skipped == 0 {
            Outcome::Success
        } else {
            Outcome::Negative
        },
    )
}
