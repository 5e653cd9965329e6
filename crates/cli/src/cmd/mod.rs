//! One module per subcommand; each exposes its clap arguments and a `run` returning an outcome.

pub mod events;
pub mod import;
pub mod reconcile;
pub mod run;
pub mod schemas;
pub mod status;
pub mod validate;
