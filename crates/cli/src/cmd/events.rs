//! `events ID`: the history of one invoice (time, actor, from → to, code, detail); one JSON
//! object per event per line with `--json`.

use std::io::Write;
use std::path::Path;

use engine::runner::ms_to_utc;
use engine::store::InvoiceId;

use super::run::open_store;
use crate::{Outcome, UsageError};

/// Arguments of `events`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// One JSON object per event per line.
    #[arg(long)]
    json: bool,
    /// Invoice id, as `status` shows it.
    #[arg(value_name = "ID")]
    id: i64,
}

/// Runs `events`; an unknown id is a usage error.
pub fn run(args: Args, db: Option<&Path>) -> anyhow::Result<Outcome> {
    let store = open_store(db)?;
    let id = InvoiceId(args.id);
    if store.invoice(id).is_err() {
        return Err(UsageError(format!("no invoice with id {}", args.id)).into());
    }
    let events = store.event_history(id)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for e in &events {
        let at = ms_to_utc(e.at).to_rfc3339();
        let from = e.from_state.map_or("-", |s| s.as_str());
        if args.json {
            let line = serde_json::json!({
                "at": at,
                "at_ms": e.at,
                "actor": e.actor,
                "from": e.from_state,
                "to": e.to_state,
                "code": e.code,
                "detail": e.detail,
            });
            writeln!(out, "{line}")?;
        } else {
            writeln!(
                out,
                "{at}  {:<10} {from} -> {}  {}  {}",
                e.actor,
                e.to_state.as_str(),
                e.code.as_deref().unwrap_or("-"),
                e.detail.as_deref().unwrap_or("")
            )?;
        }
    }
    Ok(Outcome::Success)
}
