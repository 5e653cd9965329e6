//! `ksef-desk-cli`: the headless shell over KSeF Desk's libraries. Parses arguments and
//! dispatches to one module per subcommand (`cmd/<name>.rs`); the work lives in the libraries.
//!
//! Exit codes (a contract scripts rely on): 0 success (every invoice valid, every schema file
//! in place); 1 a negative result (an invalid invoice, a missing schema file, a failed download);
//! 2 a usage error (bad arguments, a path that does not exist).

mod cmd;
mod files;
mod lang;
mod output;
mod schema_dir;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The outcome of a subcommand that ran to completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything checked out.
    Success,
    /// The command ran, and its answer is "no": something is invalid, missing or failed.
    Negative,
}

/// A usage error found after parsing (e.g. a nonexistent path): exit code 2, like clap's own.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

const EXIT_NEGATIVE: u8 = 1;
const EXIT_USAGE: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "ksef-desk-cli",
    version,
    about = "KSeF Desk from the command line"
)]
struct Cli {
    /// Outbox database (default: ksef-desk.sqlite in the app data folder).
    #[arg(long, global = true, value_name = "PATH")]
    db: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check FA(3) invoice files against every rule KSeF applies, before sending them.
    Validate(cmd::validate::Args),
    /// Check or download the official FA(3) schema files used for XSD validation.
    #[command(subcommand)]
    Schemas(cmd::schemas::Command),
    /// Import invoice files, folders and ZIPs into the outbox, queued for sending.
    Import(cmd::import::Args),
    /// Send queued invoices to KSeF, poll verdicts and store UPOs.
    Run(cmd::run::Args),
    /// Show every invoice's state, KSeF number, UPO and last error.
    Status(cmd::status::Args),
    /// Run the reconciliation job once against KSeF.
    Reconcile(cmd::reconcile::Args),
    /// Show the history of one invoice.
    Events(cmd::events::Args),
}

fn main() -> ExitCode {
    // Clap prints its own usage errors and exits with code 2.
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate(args) => cmd::validate::run(args),
        Command::Schemas(command) => cmd::schemas::run(command),
        Command::Import(args) => cmd::import::run(args, cli.db.as_deref()),
        Command::Run(args) => cmd::run::run(args, cli.db.as_deref()),
        Command::Status(args) => cmd::status::run(args, cli.db.as_deref()),
        Command::Reconcile(args) => cmd::reconcile::run(args, cli.db.as_deref()),
        Command::Events(args) => cmd::events::run(args, cli.db.as_deref()),
    };
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Negative) => ExitCode::from(EXIT_NEGATIVE),
        // The reader of our output went away (e.g. `| head`): nothing left to tell anyone.
        Err(error) if is_broken_pipe(&error) => ExitCode::from(EXIT_NEGATIVE),
        Err(error) => {
            eprintln!("ksef-desk-cli: {error:#}");
            if error.is::<UsageError>() {
                ExitCode::from(EXIT_USAGE)
            } else {
                ExitCode::from(EXIT_NEGATIVE)
            }
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .root_cause()
        .downcast_ref::<std::io::Error>()
        .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}
