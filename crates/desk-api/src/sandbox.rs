//! The Sandbox company: the KSeF simulator running in-process on 127.0.0.1 with a provisioned
//! token, so a first run works with no configuration and no network.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use ksef_sim::{ProvisionedToken, SimConfig, Simulator, SystemClock};

use crate::error::{codes, DeskError, DeskResult};

/// The Sandbox company's NIP (a valid checksum; the simulator's context).
pub const SANDBOX_NIP: &str = "5265877635";
/// The Sandbox company's display name.
pub const SANDBOX_NAME: &str = "Sandbox — Przykładowa Firma sp. z o.o.";
/// The token provisioned in the simulator. Not a secret: it opens only the local simulator.
pub const SANDBOX_TOKEN: &str = "sandbox-local-token";
/// What the store records as the Sandbox's base URL; the real one is known once it runs.
pub const SANDBOX_BASE_URL: &str = "in-process";

/// How long the Sandbox takes to process an invoice, session or sign-in: short, so demo
/// invoices reach `accepted` with their UPO within seconds, yet the in-progress states show.
pub const SANDBOX_PROCESSING_MS: u64 = 200;

/// A running simulator; dropping it stops the server.
pub struct Sandbox {
    base_url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Sandbox {
    /// Starts the simulator on a free local port, on `runtime`. Blocks while the simulator
    /// generates its keys.
    pub fn start(
        runtime: &tokio::runtime::Runtime,
        seed: u64,
        schemas_dir: Option<PathBuf>,
    ) -> DeskResult<Sandbox> {
        let config = SimConfig {
            seed,
            tokens: vec![ProvisionedToken {
                nip: SANDBOX_NIP.to_owned(),
                token: SANDBOX_TOKEN.to_owned(),
            }],
            schemas_dir,
            processing_ms: SANDBOX_PROCESSING_MS,
            ..SimConfig::default()
        };
        let failed = |e: ksef_sim::SimError| {
            DeskError::new(
                codes::SANDBOX_START,
                format!("the Sandbox could not start: {e}"),
            )
        };
        let sim = Simulator::new(config, Arc::new(SystemClock)).map_err(failed)?;
        let local = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let (base_url, task) = runtime.block_on(sim.serve(local)).map_err(failed)?;
        Ok(Sandbox { base_url, task })
    }

    /// The API base URL (`http://127.0.0.1:PORT/v2`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}
