//! `reconcile`: runs the reconciliation job once against KSeF — closes sessions left open,
//! resolves unknown outcomes, fetches missing UPOs and raises alerts for what needs a person.
//! It takes the same runner lock as `run`, so it never races a live runner.

use std::path::Path;

use super::run::{
    database_path, init_logging, lock_runner, open_store, runner, runtime, Connection,
};
use crate::Outcome;

/// Arguments of `reconcile`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    connection: Connection,
}

/// Runs `reconcile`.
pub fn run(args: Args, db: Option<&Path>) -> anyhow::Result<Outcome> {
    init_logging();
    let path = database_path(db)?;
    let store = open_store(db)?;
    let mut runner = runner(store, &args.connection)?;
    // Reconciling while a runner sends would race it for the same invoices and sessions.
    let _lock = lock_runner(&path, &mut runner)?;
    let outcome = runtime()?.block_on(runner.reconcile_now())?;
    tracing::info!(
        progressed = outcome.progressed,
        idle = outcome.idle,
        "reconciled"
    );
    Ok(Outcome::Success)
}
