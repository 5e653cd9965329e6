//! `ksef-sim`: runs the KSeF simulator on an address and prints its API base URL as the first stdout line.

use anyhow::Context as _;
use clap::Parser;
use ksef_sim::{
    Environment, FaultConfig, LimitsMode, ProvisionedToken, RateTable, SimConfig, Simulator,
    SystemClock,
};
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// KSeF 2.0 API simulator.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// Accepted KSeF token for a NIP context, `NIP:TOKEN` (repeatable).
    #[arg(long = "token")]
    tokens: Vec<ProvisionedToken>,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Rate limits: `production`, `off` or a JSON file shaped like `GET /rate-limits`.
    #[arg(long, default_value = "production")]
    limits: String,
    /// Probability (0..1) of answering 500.
    #[arg(long, default_value_t = 0.0)]
    fault_5xx: f64,
    /// Probability (0..1) of holding a request and dropping the connection.
    #[arg(long, default_value_t = 0.0)]
    fault_timeout: f64,
    /// Probability (0..1) of committing a request and then dropping the connection.
    #[arg(long, default_value_t = 0.0)]
    fault_drop_response: f64,
    /// How long a timeout fault holds the request, in milliseconds.
    #[arg(long, default_value_t = 30_000)]
    fault_timeout_hold_ms: u64,
    /// Processing time of invoices, sessions and authentications, in milliseconds.
    #[arg(long, default_value_t = 1_000)]
    processing_ms: u64,
    /// Apply production (PRD) verification rules.
    #[arg(long)]
    prd: bool,
    /// Directory with the FA(3) XSDs (`FA3/…`); XSD validation is skipped without it.
    #[arg(long)]
    schemas: Option<PathBuf>,
    /// Root URL used in every absolute URL handed out (the API is served under `/v2`).
    #[arg(long)]
    public_base_url: Option<String>,
    /// Directory for persisted state.
    #[arg(long)]
    state_dir: Option<PathBuf>,
}

fn probability(p: f64, name: &str) -> anyhow::Result<f64> {
    anyhow::ensure!((0.0..=1.0).contains(&p), "{name} must be within 0..1");
    Ok(p)
}

fn limits(spec: &str) -> anyhow::Result<LimitsMode> {
    Ok(match spec {
        "production" => LimitsMode::Table(RateTable::production()),
        "off" => LimitsMode::Off,
        path => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading limits file {path}"))?;
            LimitsMode::Table(
                serde_json::from_str(&text)
                    .with_context(|| format!("parsing limits file {path}"))?,
            )
        }
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let config = SimConfig {
        seed: args.seed,
        tokens: args.tokens,
        limits: limits(&args.limits)?,
        faults: FaultConfig {
            error_5xx: probability(args.fault_5xx, "--fault-5xx")?,
            timeout: probability(args.fault_timeout, "--fault-timeout")?,
            drop_response: probability(args.fault_drop_response, "--fault-drop-response")?,
            timeout_hold_ms: args.fault_timeout_hold_ms,
        },
        processing_ms: args.processing_ms,
        environment: if args.prd {
            Environment::Production
        } else {
            Environment::Test
        },
        public_base_url: args
            .public_base_url
            .map(|u| u.trim_end_matches('/').to_string()),
        state_dir: args.state_dir,
        schemas_dir: args.schemas,
        ..SimConfig::default()
    };
    let sim = Simulator::new(config, Arc::new(SystemClock)).context("starting the simulator")?;
    let (base_url, task) = sim.serve(args.addr).await.context("binding the listener")?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{base_url}")?;
    stdout.flush()?;
    tokio::select! {
        result = task => result.context("server task")?,
        _ = tokio::signal::ctrl_c() => {}
    }
    sim.save().context("saving state")?;
    Ok(())
}
