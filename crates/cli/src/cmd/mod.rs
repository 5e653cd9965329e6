//! One module per subcommand; each exposes its clap arguments and a `run` returning an outcome.

pub mod schemas;
pub mod validate;
