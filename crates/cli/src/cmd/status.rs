//! `status`: every invoice's state, KSeF number, UPO and last error; one JSON object per line
//! with `--json`, a table otherwise, plus "KSeF unavailable since …" while a runner finds KSeF
//! unreachable.

use std::io::Write;
use std::path::Path;

use engine::runner::{ksef_unavailable_since_ms, ms_to_utc, report};

use super::run::open_store;
use crate::Outcome;

/// Arguments of `status`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// One JSON object per invoice per line.
    #[arg(long)]
    json: bool,
}

/// Runs `status`.
pub fn run(args: Args, db: Option<&Path>) -> anyhow::Result<Outcome> {
    let store = open_store(db)?;
    let rows = report::status_rows(&store)?;
    let unavailable = ksef_unavailable_since_ms(&store)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        for row in &rows {
            writeln!(out, "{}", serde_json::to_string(row)?)?;
        }
    } else {
        writeln!(
            out,
            "{:>6}  {:<16} {:<20} {:<36} {:<4} {:<24} FILE",
            "ID", "STATE", "NUMBER", "KSEF NUMBER", "UPO", "ERROR"
        )?;
        for row in &rows {
            writeln!(
                out,
                "{:>6}  {:<16} {:<20} {:<36} {:<4} {:<24} {}",
                row.id.0,
                row.state.as_str(),
                row.invoice_number.as_deref().unwrap_or("-"),
                row.ksef_number.as_deref().unwrap_or("-"),
                if row.upo { "yes" } else { "no" },
                row.error_code.as_deref().unwrap_or("-"),
                row.file
            )?;
        }
    }
    if let Some(since) = unavailable {
        // On stderr with --json, so stdout stays one invoice object per line.
        let line = format!("KSeF unavailable since {}", ms_to_utc(since).to_rfc3339());
        if args.json {
            eprintln!("{line}");
        } else {
            writeln!(out, "{line}")?;
        }
    }
    Ok(Outcome::Success)
}
