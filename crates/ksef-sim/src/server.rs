//! The simulator handle: shared state behind one lock, the axum router, and a server loop that can drop
//! connections on purpose (fault injection needs a real connection error, not an error status).

use axum::extract::{ConnectInfo, Request};
use axum::http::HeaderMap;
use axum::Router;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use fa3::SchemaSet;
use hyper_util::rt::TokioIo;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;
use tower::ServiceExt;

use crate::clock::Clock;
use crate::config::SimConfig;
use crate::error::ApiError;
use crate::faults::{FaultState, KillSwitch};
use crate::ids::{opaque_hex, RefKind};
use crate::keys::{KeyError, KeyRing};
use crate::limits::RateLimiter;
use crate::state::{IssuedToken, LedgerEntry, ProcessCtx, SimState, Stats, TokenKind};

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// Key material could not be generated.
    #[error(transparent)]
    Keys(#[from] KeyError),
    /// The FA(3) schemas could not be loaded.
    #[error("FA(3) schemas could not be loaded: {0}")]
    Schemas(String),
    /// Persisted state could not be loaded.
    #[error(transparent)]
    State(#[from] crate::persist::PersistError),
    /// Binding or serving failed.
    #[error("network: {0}")]
    Io(#[from] std::io::Error),
}

struct Inner {
    config: SimConfig,
    clock: Arc<dyn Clock>,
    schemas: Option<SchemaSet>,
    state: Mutex<SimState>,
    faults: Mutex<FaultState>,
    root_url: Mutex<Option<String>>,
    /// Set by every state access when persisting; cleared by each save.
    dirty: AtomicBool,
}

/// How often a served simulator writes changed state to the state directory.
const STATE_FLUSH_INTERVAL_MS: u64 = 250;

/// A running simulator's handle; cheap to clone, shared by every request.
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

impl Simulator {
    /// Builds the world: keys (seeded), provisioned tokens, schemas.
    pub fn new(config: SimConfig, clock: Arc<dyn Clock>) -> Result<Self, SimError> {
        let now = clock.now();
        let mut rng = ChaCha20Rng::seed_from_u64(config.seed);
        let keys = KeyRing::generate(config.seed, config.rsa_key_bits, now)?;
        let schemas = match &config.schemas_dir {
            Some(dir) => Some(SchemaSet::load(dir).map_err(|e| SimError::Schemas(e.to_string()))?),
            None => None,
        };
        let token_refs = config
            .tokens
            .iter()
            .map(|t| {
                (
                    t.token.clone(),
                    crate::ids::reference_number(&mut rng, now, RefKind::Token),
                )
            })
            .collect();
        let url_secret = opaque_hex(&mut rng, 32);
        let state = SimState {
            rng,
            keys,
            token_refs,
            challenges: HashMap::new(),
            auth_ops: HashMap::new(),
            tokens: HashMap::new(),
            sessions: HashMap::new(),
            session_order: Vec::new(),
            invoices: HashMap::new(),
            pending: Vec::new(),
            duplicates: HashMap::new(),
            ledger: Vec::new(),
            limiter: RateLimiter::default(),
            forced_rejection: None,
            stats: Stats::default(),
            url_secret,
        };
        let state = match &config.state_dir {
            Some(dir) => {
                crate::persist::load(dir, config.seed, config.rsa_key_bits, now)?.unwrap_or(state)
            }
            None => state,
        };
        let faults = FaultState::new(config.faults.clone(), config.seed);
        Ok(Self {
            inner: Arc::new(Inner {
                root_url: Mutex::new(config.public_base_url.clone()),
                config,
                clock,
                schemas,
                state: Mutex::new(state),
                faults: Mutex::new(faults),
                dirty: AtomicBool::new(false),
            }),
        })
    }

    /// The router serving `/v2/…`, its `/api/v2/…` alias, pre-signed blob URLs and `/_sim/…` admin routes.
    pub fn router(&self) -> Router {
        crate::routes::router(self.clone())
    }

    /// Binds `addr` (port 0 picks one) and serves; returns the API base URL (`…/v2`) and the server task.
    pub async fn serve(
        &self,
        addr: SocketAddr,
    ) -> Result<(String, tokio::task::JoinHandle<()>), SimError> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let root = {
            let mut root = lock(&self.inner.root_url);
            root.get_or_insert_with(|| format!("http://{local}"))
                .clone()
        };
        if self.inner.config.state_dir.is_some() {
            let sim = self.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(std::time::Duration::from_millis(
                    STATE_FLUSH_INTERVAL_MS,
                ));
                loop {
                    tick.tick().await;
                    // A failed periodic save is retried on the next tick; `save` reports errors to callers.
                    let _ = sim.save();
                }
            });
        }
        let router = self.router();
        let sim = self.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, peer)) = listener.accept().await else {
                    continue;
                };
                if sim.refuses_connections() {
                    // Outage in "refuse" mode: close before reading a byte.
                    drop(stream);
                    continue;
                }
                tokio::spawn(serve_connection(router.clone(), stream, peer));
            }
        });
        Ok((format!("{root}/v2"), task))
    }

    /// Root URL used in absolute URLs (`public_base_url`, else the bound address).
    pub fn root_url(&self) -> String {
        lock(&self.inner.root_url)
            .clone()
            .unwrap_or_else(|| "http://localhost".to_string())
    }

    /// Configuration.
    pub fn config(&self) -> &SimConfig {
        &self.inner.config
    }

    /// Now, per the injected clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    /// Runs `f` on the world advanced to now.
    pub(crate) fn with_state<R>(&self, f: impl FnOnce(&mut SimState, DateTime<Utc>) -> R) -> R {
        let now = self.now();
        let config = &self.inner.config;
        let ctx = ProcessCtx {
            processing: Duration::milliseconds(
                i64::try_from(config.processing_ms).unwrap_or(i64::MAX),
            ),
            environment: config.environment,
            schemas: self.inner.schemas.as_ref(),
        };
        let mut state = lock(&self.inner.state);
        state.advance(now, &ctx);
        if config.state_dir.is_some() {
            self.inner.dirty.store(true, Ordering::Release);
        }
        f(&mut state, now)
    }

    /// Writes the state to the state directory if it changed since the last save (no-op without one).
    pub fn save(&self) -> Result<(), crate::persist::PersistError> {
        let Some(dir) = &self.inner.config.state_dir else {
            return Ok(());
        };
        let state = lock(&self.inner.state);
        if self.inner.dirty.swap(false, Ordering::AcqRel) {
            if let Err(error) = crate::persist::save(dir, &state) {
                self.inner.dirty.store(true, Ordering::Release);
                return Err(error);
            }
        }
        Ok(())
    }

    /// Fault configuration and draws.
    pub(crate) fn faults(&self) -> std::sync::MutexGuard<'_, FaultState> {
        lock(&self.inner.faults)
    }

    fn refuses_connections(&self) -> bool {
        let now = self.now();
        self.faults().refuses_connections(now)
    }

    /// Timestamp and trace id for an error body.
    pub(crate) fn error_stamp(&self) -> (String, String) {
        self.with_state(|state, now| (rfc3339(now), opaque_hex(&mut state.rng, 16)))
    }

    /// Every accepted invoice so far.
    pub fn ledger(&self) -> Vec<LedgerEntry> {
        self.with_state(|state, _| state.ledger.clone())
    }

    /// Request counters.
    pub fn stats(&self) -> Stats {
        self.with_state(|state, _| state.stats.clone())
    }

    /// The current public keys by usage (for embedding clients that skip certificate parsing).
    pub fn public_keys(&self) -> Vec<(crate::keys::KeyUsage, rsa::RsaPublicKey)> {
        self.with_state(|state, _| {
            state
                .keys
                .entries()
                .iter()
                .map(|k| (k.usage, k.public_key()))
                .collect()
        })
    }

    /// Rotates both public keys; the old `publicKeyId`s are withdrawn.
    pub fn rotate_keys(&self) -> Result<(), KeyError> {
        self.with_state(|state, now| state.keys.rotate(now))
    }

    /// A pre-signed absolute URL for `path`, valid until `expires`.
    pub(crate) fn presign(&self, secret: &str, path: &str, expires: DateTime<Utc>) -> String {
        let se = expires.timestamp_millis();
        format!(
            "{}{path}?se={se}&sig={}",
            self.root_url(),
            url_signature(secret, path, se)
        )
    }
}

/// Signature of a pre-signed URL: SHA-256 over the secret, path and expiry.
pub(crate) fn url_signature(secret: &str, path: &str, expires_ms: i64) -> String {
    hex::encode(Sha256::digest(
        format!("{secret}\n{path}\n{expires_ms}").as_bytes(),
    ))
}

/// Checks a bearer token of `kind`; 401 when missing, unknown, of another kind or expired.
pub(crate) fn authorize(
    state: &SimState,
    headers: &HeaderMap,
    now: DateTime<Utc>,
    kind: TokenKind,
) -> Result<IssuedToken, ApiError> {
    let token = bearer(headers)
        .ok_or_else(|| ApiError::Unauthorized("Brak tokenu uwierzytelniającego.".into()))?;
    let issued = state
        .tokens
        .get(token)
        .filter(|t| t.kind == kind)
        .ok_or_else(|| ApiError::Unauthorized("Nieprawidłowy token.".into()))?;
    if now >= issued.valid_until {
        return Err(ApiError::Unauthorized("Token wygasł.".into()));
    }
    Ok(issued.clone())
}

/// The `Authorization: Bearer …` token, if any.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// RFC 3339 with milliseconds and `Z`.
pub(crate) fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A JWT-shaped opaque token: header.payload.random (not signed; the simulator looks tokens up).
pub(crate) fn jwt_shaped(
    rng: &mut ChaCha20Rng,
    token_type: &str,
    subject: &str,
    valid_until: DateTime<Utc>,
) -> String {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = serde_json::json!({
        "token-type": token_type, "sub": subject, "exp": valid_until.timestamp(), "iss": "ksef-sim",
    });
    let payload = URL_SAFE_NO_PAD.encode(payload.to_string());
    let mut random = [0u8; 32];
    rng.fill_bytes(&mut random);
    format!("{header}.{payload}.{}", URL_SAFE_NO_PAD.encode(random))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock must not take the whole simulator down with it.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn serve_connection(router: Router, stream: tokio::net::TcpStream, peer: SocketAddr) {
    let kill = Arc::new(Notify::new());
    let switch = KillSwitch(kill.clone());
    let service =
        hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
            let mut request: Request = request.map(axum::body::Body::new);
            request.extensions_mut().insert(ConnectInfo(peer));
            request.extensions_mut().insert(switch.clone());
            router.clone().oneshot(request)
        });
    let connection =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    // Dropping the connection future closes the socket without a response: the client sees a connection error.
    tokio::select! {
        _ = connection => {}
        _ = kill.notified() => {}
    }
}
