//! `run`: sends queued invoices to KSeF with the engine's runner until interrupted (or, with
//! `--until-idle`, until every invoice is terminal). Also home of what `import`, `status`,
//! `events` and `reconcile` share: the database location and the KSeF connection.

use std::path::{Path, PathBuf};

use anyhow::Context;
use engine::clock::{Clock, SystemClock};
use engine::runner::{report, Credentials, LockError, Runner, RunnerConfig, RunnerLock};
use engine::store::{CompanyId, Store};
use ksef_api::http::{HttpConfig, HttpKsef};
use ksef_api::{ContextIdentifier, Environment, Nip, Secret};

use crate::{Outcome, UsageError};

/// Environment variable holding the KSeF token (else the OS keyring is asked).
pub const TOKEN_ENV: &str = "KSEF_TOKEN";
/// Keyring service the desktop app stores tokens under; the CLI reads the same entries.
const KEYRING_SERVICE: &str = "pl.ksefdesk.app";
/// Database file name inside the app data folder.
const DATABASE_FILE: &str = "ksef-desk.sqlite";

/// Target KSeF environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Env {
    /// A local simulator (stored as `test`).
    Sandbox,
    /// KSeF's test environment.
    Test,
    /// KSeF's pre-production environment.
    Demo,
    /// Production.
    Prd,
}

impl Env {
    /// The company environment as the outbox stores it.
    pub fn stored(self) -> &'static str {
        match self {
            Env::Sandbox | Env::Test => "test",
            Env::Demo => "demo",
            Env::Prd => "prod",
        }
    }
}

/// Which KSeF to talk to, and as whom.
#[derive(Debug, clap::Args)]
pub struct Connection {
    /// KSeF API base URL (e.g. https://api-test.ksef.mf.gov.pl/v2, or a simulator's).
    #[arg(long, value_name = "URL")]
    pub base_url: String,
    /// The company's NIP (its KSeF context).
    #[arg(long, value_name = "NIP")]
    pub nip: String,
    /// Target environment.
    #[arg(long, value_enum, default_value = "test")]
    pub env: Env,
}

/// Arguments of `run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    connection: Connection,
    /// Exit 0 once every invoice is terminal (accepted with UPO, rejected, invalid, conflict,
    /// or waiting for a person).
    #[arg(long)]
    until_idle: bool,
}

/// The database to use: `--db`, else `ksef-desk.sqlite` in the app data folder.
pub fn database_path(explicit: Option<&Path>) -> Result<PathBuf, UsageError> {
    if let Some(path) = explicit {
        return Ok(path.to_owned());
    }
    dirs::data_dir()
        .map(|dir| dir.join("ksef-desk").join(DATABASE_FILE))
        .ok_or_else(|| UsageError("no app data folder: pass --db PATH".to_owned()))
}

/// Opens (creating folder and file if needed) the outbox.
pub fn open_store(explicit: Option<&Path>) -> anyhow::Result<Store> {
    let path = database_path(explicit)?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    Store::open(&path).with_context(|| format!("opening {}", path.display()))
}

/// The KSeF token: `KSEF_TOKEN`, else the keyring entry the desktop app saved.
fn token(keyring_ref: &str) -> anyhow::Result<Secret> {
    if let Ok(value) = std::env::var(TOKEN_ENV) {
        if !value.trim().is_empty() {
            return Ok(Secret::new(value.trim()));
        }
    }
    let unusable = |e| {
        anyhow::anyhow!("no KSeF token: set {TOKEN_ENV} (the system keyring cannot be used: {e})")
    };
    let entry = keyring::Entry::new(KEYRING_SERVICE, keyring_ref).map_err(unusable)?;
    match entry.get_password() {
        Ok(value) => Ok(Secret::new(value)),
        Err(keyring::Error::NoEntry) => Err(UsageError(format!(
            "no KSeF token: set {TOKEN_ENV} or save one for this company in KSeF Desk"
        ))
        .into()),
        Err(e) => Err(unusable(e)),
    }
}

/// The company and a runner for it, from the connection arguments.
pub fn runner(
    store: Store,
    connection: &Connection,
) -> anyhow::Result<Runner<HttpKsef, SystemClock>> {
    let mut store = store;
    let nip = Nip::parse(&connection.nip)
        .map_err(|e| UsageError(format!("--nip {}: {e}", connection.nip)))?;
    let environment = Environment::custom(&connection.base_url)
        .map_err(|e| UsageError(format!("--base-url {}: {e}", connection.base_url)))?;
    let company = report::ensure_company(
        &mut store,
        connection.env.stored(),
        nip.as_str(),
        &connection.base_url,
        SystemClock.now_ms(),
    )?;
    let keyring_ref = store.company(company)?.keyring_ref;
    let credentials = Credentials {
        context: ContextIdentifier::Nip(nip),
        ksef_token: token(&keyring_ref)?,
    };
    let ksef = HttpKsef::new(HttpConfig::new(environment)).context("building the HTTP client")?;
    Ok(Runner::new(
        store,
        company,
        ksef,
        credentials,
        SystemClock,
        engine::rng::from_entropy(),
        RunnerConfig::default(),
    ))
}

/// The company `import` should file invoices under: `--nip` (registered if new), else the
/// database's only company.
pub fn company_for_import(
    store: &mut Store,
    nip: Option<&str>,
    env: Env,
) -> anyhow::Result<CompanyId> {
    if let Some(nip) = nip {
        let nip = Nip::parse(nip).map_err(|e| UsageError(format!("--nip {nip}: {e}")))?;
        let company = report::find_company(store, env.stored(), nip.as_str())?;
        return match company {
            Some(id) => Ok(id),
            None => Ok(store.insert_company(
                &engine::store::NewCompany {
                    name: nip.as_str(),
                    environment: env.stored(),
                    nip: nip.as_str(),
                    base_url: "",
                    keyring_ref: &format!("company-{}-{}", nip.as_str(), env.stored()),
                },
                SystemClock.now_ms(),
            )?),
        };
    }
    match report::companies(store)?.as_slice() {
        [only] => Ok(*only),
        [] => Err(UsageError("no company yet: pass --nip NIP".to_owned()).into()),
        _ => {
            Err(UsageError("several companies in this database: pass --nip NIP".to_owned()).into())
        }
    }
}

/// Logs to stderr, `RUST_LOG` filtering (default `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // A second initialisation (tests) is harmless; ignore it.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// A single-threaded runtime: the runner is one loop, the machine's cores are for others.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Takes the one-runner-per-(database, company) lock for `runner` and ends the leases of dead
/// runners. Held until the returned lock is dropped (or the process dies, when the OS releases
/// it); with it, any lease still in the outbox is a dead runner's. Another live runner (`run`,
/// `reconcile` or the desktop app) is a [`UsageError`]: exit 2 with a message saying so.
pub fn lock_runner(
    db: &Path,
    runner: &mut Runner<HttpKsef, SystemClock>,
) -> anyhow::Result<RunnerLock> {
    let lock = RunnerLock::try_acquire(db, runner.company()).map_err(|e| match e {
        LockError::Busy(_) => anyhow::Error::new(UsageError(format!(
            "{e} (another `run`, `reconcile` or the desktop app); stop it first"
        ))),
        LockError::Io { .. } => anyhow::Error::new(e),
    })?;
    runner.take_over(&lock)?;
    Ok(lock)
}

/// Runs `run`.
pub fn run(args: Args, db: Option<&Path>) -> anyhow::Result<Outcome> {
    init_logging();
    let path = database_path(db)?;
    let store = open_store(db)?;
    let mut runner = runner(store, &args.connection)?;
    let _lock = lock_runner(&path, &mut runner)?;
    runtime()?.block_on(async {
        if args.until_idle {
            runner.run_until_idle().await
        } else {
            runner.run_forever(shutdown_signal()).await
        }
    })?;
    Ok(Outcome::Success)
}
