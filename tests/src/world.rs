//! The pieces every end-to-end test assembles: a simulator configuration for the samples' seller,
//! an outbox with the workload imported, and runners opened on that outbox (a fresh one per
//! simulated process start).

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use chrono::NaiveDate;
use engine::clock::Clock;
use engine::fa3_validator::Fa3Validator;
use engine::import::Importer;
use engine::rng::seeded;
use engine::runner::{Credentials, Runner, RunnerConfig};
use engine::store::{CompanyId, NewCompany, Store, StoreError};
use ksef_api::{ContextIdentifier, Environment, HttpConfig, HttpKsef, Nip, Secret};
use ksef_sim::SimConfig;

use crate::clock::VirtualClock;
use crate::paths::schemas_dir;
use crate::workload::{Workload, WorkloadError, SELLER_NIP};

/// The KSeF token the simulator provisions for [`SELLER_NIP`] (a test token, not a secret).
pub const TOKEN: &str = "20260201-TK-0000000001-0000000001-01|nip-9999999999|0123456789abcdef";

/// Least virtual time between two ticks. The runner at times answers "wake now" without having
/// progressed (while a 429's back-off runs out); at 1 ms steps that spun for 20 000 ticks without
/// converging, so harness loops let a second pass, as a loaded CLI loop would.
pub const TICK_GAP_MS_MIN: i64 = 1_000;

/// Why the outbox could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    /// The workload could not be built or written.
    #[error(transparent)]
    Workload(#[from] WorkloadError),
    /// The outbox database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Temporary directories or the FA(3) schemas could not be set up.
    #[error("set-up: {0}")]
    Setup(String),
}

/// A simulator for the samples' seller: seeded, XSD-checking, 2048-bit keys (what the client accepts).
pub fn sim_config(seed: u64) -> SimConfig {
    SimConfig {
        seed,
        tokens: format!("{SELLER_NIP}:{TOKEN}")
            .parse()
            .into_iter()
            .collect(),
        schemas_dir: Some(schemas_dir()),
        ..SimConfig::default()
    }
}

/// An outbox database with a workload imported, in its own temporary directory.
pub struct Outbox {
    /// The SQLite file.
    pub db: PathBuf,
    /// The seller's company row.
    pub company: CompanyId,
    /// What was imported.
    pub workload: Workload,
    _dir: tempfile::TempDir,
}

impl Outbox {
    /// Generates `invoices` for `seed`, writes them to a folder and imports it (XSD-validated).
    pub fn import(
        seed: u64,
        invoices: usize,
        api_base: &str,
        clock: &VirtualClock,
    ) -> Result<Outbox, WorldError> {
        let setup = |e: &dyn std::fmt::Display| WorldError::Setup(e.to_string());
        let dir = tempfile::tempdir().map_err(|e| setup(&e))?;
        let inbox = dir.path().join("inbox");
        std::fs::create_dir(&inbox).map_err(|e| setup(&e))?;
        let workload = Workload::generate(seed, invoices)?;
        workload.write_to(&inbox)?;
        let db = dir.path().join("outbox.db");
        let mut store = Store::open(&db)?;
        let company = store.insert_company(
            &NewCompany {
                name: "Symulacja",
                environment: "test",
                nip: SELLER_NIP,
                base_url: api_base,
                keyring_ref: "sim",
            },
            clock.now_ms(),
        )?;
        let schemas = fa3::SchemaSet::load(&schemas_dir()).map_err(|e| setup(&e))?;
        let today = NaiveDate::from_ymd_opt(2026, 9, 1).ok_or_else(|| setup(&"date"))?;
        let validator = Fa3Validator::new(fa3::Environment::Test, today, Some(&schemas));
        let mut rng = seeded(seed);
        Importer::new(&mut store, &validator, clock, &mut rng, company).import(
            &[inbox],
            &mut |_| {},
            &AtomicBool::new(false),
        )?;
        Ok(Outbox {
            db,
            company,
            workload,
            _dir: dir,
        })
    }

    /// A fresh runner on this outbox, as after a process start; `generation` varies its RNG
    /// and lease owner.
    pub fn runner(
        &self,
        api_base: &str,
        clock: VirtualClock,
        seed: u64,
        generation: u64,
    ) -> Result<Runner<HttpKsef, VirtualClock>, WorldError> {
        let setup = |e: &dyn std::fmt::Display| WorldError::Setup(e.to_string());
        let store = Store::open(&self.db)?;
        let mut http = HttpConfig::new(Environment::custom(api_base).map_err(|e| setup(&e))?);
        http.auth_poll_interval = std::time::Duration::from_millis(250);
        let ksef = HttpKsef::new(http).map_err(|e| setup(&e))?;
        let nip = Nip::parse(SELLER_NIP).map_err(|e| setup(&e))?;
        let credentials = Credentials {
            context: ContextIdentifier::Nip(nip),
            ksef_token: Secret::new(TOKEN),
        };
        let config = RunnerConfig {
            owner: format!("sim-{seed}-{generation}"),
            ..RunnerConfig::default()
        };
        let rng = seeded(seed.wrapping_mul(1_000_003).wrapping_add(generation));
        Ok(Runner::new(
            store,
            self.company,
            ksef,
            credentials,
            clock,
            rng,
            config,
        ))
    }
}

/// Waits for a runner's next wake-up, at least [`TICK_GAP_MS_MIN`] after now.
pub async fn wait_for_wake(clock: &VirtualClock, wake_at_ms: i64) {
    let now_ms = clock.now_ms();
    clock
        .sleep_until_ms(wake_at_ms.max(now_ms + TICK_GAP_MS_MIN))
        .await;
}
