//! `reconcile`: runs the reconciliation job once against KSeF — closes sessions left open,
//! resolves unknown outcomes, fetches missing UPOs and raises alerts for what needs a person.

use std::path::Path;

use super::run::{init_logging, open_store, runner, runtime, Connection};
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
    let store = open_store(db)?;
    let mut runner = runner(store, &args.connection)?;
    let outcome = runtime()?.block_on(runner.reconcile_now())?;
    tracing::info!(
        progressed = outcome.progressed,
        idle = outcome.idle,
        "reconciled"
    );
    Ok(Outcome::Success)
}
