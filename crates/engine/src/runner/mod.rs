//! The sending runner: one deterministic, step-driven loop that claims ready invoices, sends them
//! in KSeF sessions, polls verdicts, stores UPOs, resolves unknown outcomes and reconciles.
//!
//! [`Runner::tick`] does one bounded round of work and never sleeps: time comes from the injected
//! [`Clock`], jitter and session keys from the injected [`EngineRng`]. It returns when to wake
//! next; [`Runner::run_until_idle`] and [`Runner::run_forever`] are the thin sleeping loops for
//! the CLI. Every step follows claim (short transaction) → call KSeF (no transaction) → record
//! (short fenced transaction). Every KSeF request is admitted by the circuit breaker right before
//! it leaves, then takes a permit from the persisted limiter, and its outcome goes back to both.
//! Requests go through one helper, `Runner::call` (module `call`); the few that cannot (session
//! opening, the online send, pre-signed transfers) say why where they are made.

mod batch;
mod call;
mod hooks;
mod lock;
mod lookup;
pub mod poller;
pub mod report;
pub mod resolver;
mod sender;
pub mod sessions;
pub mod stuck;
mod time;
mod work;

use std::collections::HashMap;
use std::sync::Arc;

use ksef_api::auth::{AuthPolicy, AuthState};
use ksef_api::{ContextIdentifier, Ksef, Secret};

use crate::backoff::{CircuitBreaker, RetryPolicy};
use crate::clock::Clock;
use crate::limiter::RateLimiter;
use crate::outcome::Plan;
use crate::rng::EngineRng;
use crate::store::{CompanyId, InvoiceId, Store, StoreError};

pub use hooks::{CrashOnce, CrashPoint, Hooks, InjectedCrash, NoHooks};
pub use lock::{LockError, RunnerLock};
pub use time::{ms_to_utc, utc_to_ms, KsefClock};

/// Alert kind (and code) kept open while KSeF is unreachable; its `raised_at` is "unavailable since".
pub const UNAVAILABLE_ALERT: &str = "ksef_unavailable";
/// Code of the unavailability alert.
pub const UNAVAILABLE_CODE: &str = "engine.ksef_unavailable";

/// Tunables of one runner.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// Lease owner name written on claims (process id + host in production).
    pub owner: String,
    /// How long a claim stays ours; must exceed one send's worst-case duration.
    pub lease_ms: i64,
    /// With at least this many invoices due, they go out in a batch session instead of online.
    pub batch_threshold: usize,
    /// Lease of invoices packed into a batch: covers upload, close and KSeF's processing.
    pub batch_lease_ms: i64,
    /// Batch packaging limits (invoices per session, part size).
    pub batch_limits: ksef_api::batch::BatchLimits,
    /// Sends per tick at most.
    pub sends_per_tick_max: usize,
    /// Sent invoices polled per tick at most.
    pub polls_per_tick_max: usize,
    /// UPO downloads per tick at most.
    pub upos_per_tick_max: usize,
    /// An online session is not used past its `validUntil` minus this margin.
    pub session_margin_ms: i64,
    /// An online session with nothing more to send is closed after this idle time.
    pub session_idle_close_ms: i64,
    /// Reconciliation runs on the first tick and then this often.
    pub reconcile_every_ms: i64,
    /// Wait before retrying a failed UPO download or resolution.
    pub retry_later_ms: i64,
    /// An unknown outcome KSeF cannot settle for this long is handed to a person (alert).
    pub resolve_horizon_ms: i64,
    /// An accepted invoice whose UPO KSeF does not hand out for this long is handed to a person.
    pub upo_horizon_ms: i64,
    /// Longest time `tick` lets pass before being called again, even with nothing due.
    pub idle_wake_ms: i64,
    /// A due invoice that has not left the queue for this long while KSeF is reachable raises
    /// the stuck-queue alert.
    pub stuck_queued_ms: i64,
    /// A batch session KSeF still processes this long after it was opened raises the
    /// stuck-batch alert.
    pub stuck_batch_ms: i64,
    /// Retry policy for transient failures.
    pub retry: RetryPolicy,
}

impl Default for RunnerConfig {
    fn default() -> RunnerConfig {
        RunnerConfig {
            owner: format!("runner-{}", std::process::id()),
            lease_ms: 120_000,
            batch_threshold: 5,
            batch_lease_ms: 30 * 60_000,
            batch_limits: ksef_api::batch::BatchLimits::KSEF,
            sends_per_tick_max: 20,
            polls_per_tick_max: 500,
            upos_per_tick_max: 50,
            session_margin_ms: 5 * 60_000,
            session_idle_close_ms: 30_000,
            reconcile_every_ms: 15 * 60_000,
            retry_later_ms: 10_000,
            resolve_horizon_ms: 24 * 3_600_000,
            upo_horizon_ms: 24 * 3_600_000,
            idle_wake_ms: 60_000,
            stuck_queued_ms: 60 * 60_000,
            stuck_batch_ms: 2 * 3_600_000,
            retry: RetryPolicy::default(),
        }
    }
}

/// What one tick did and when the next is useful.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TickOutcome {
    /// Call `tick` again no earlier than this (Unix ms); equal to now when more work is ready.
    pub next_wake_at_ms: i64,
    /// Something changed (a request was made or a record written).
    pub progressed: bool,
    /// Every invoice is terminal: accepted with UPO, rejected, invalid, conflict, or waiting for
    /// a person in `needs_attention` with a known cause.
    pub idle: bool,
}

/// Why a tick stopped early. KSeF failures are not errors here: they are recorded and retried.
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    /// The outbox could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A test hook simulated a crash; nothing after it was recorded.
    #[error(transparent)]
    Crash(#[from] InjectedCrash),
    /// The runner lock offered is for another company than this runner's.
    #[error("the runner lock is for company {lock} but this runner sends for company {runner}")]
    LockMismatch {
        /// The lock's company id.
        lock: i64,
        /// The runner's company id.
        runner: i64,
    },
}

impl RunnerError {
    /// Stable code for UIs and logs.
    pub fn code(&self) -> &'static str {
        match self {
            RunnerError::Store(e) => e.code(),
            RunnerError::Crash(_) => "engine.injected_crash",
            RunnerError::LockMismatch { .. } => "engine.runner_lock_mismatch",
        }
    }
}

/// Who the runner authenticates as.
pub struct Credentials {
    /// The company's KSeF context.
    pub context: ContextIdentifier,
    /// The KSeF token (from the keyring or `KSEF_TOKEN`); kept in memory only.
    pub ksef_token: Secret,
}

/// The open online session in use, with the key its invoices are encrypted with (memory only).
struct OnlineSession {
    row_id: i64,
    session: ksef_api::SessionRef,
    cipher: ksef_api::crypto::SessionCipher,
    valid_until_ms: i64,
    last_used_ms: i64,
}

/// Per-tick bookkeeping: progress and the earliest wake-up asked for.
#[derive(Debug, Clone, Copy)]
struct Tick {
    progressed: bool,
    wake_ms: Option<i64>,
}

impl Tick {
    fn wake_at(&mut self, at_ms: i64) {
        self.wake_ms = Some(self.wake_ms.map_or(at_ms, |w| w.min(at_ms)));
    }
}

/// The sending runner for one company. See the module docs.
pub struct Runner<K: Ksef, C: Clock + Clone + 'static, H: Hooks = NoHooks> {
    store: Store,
    company: CompanyId,
    /// Shared so that a request's future can own the port (see [`call::Port`]).
    auth: Arc<AuthState<K, KsefClock<C>>>,
    clock: C,
    rng: EngineRng,
    limiter: RateLimiter,
    breaker: CircuitBreaker,
    /// The breaker as it was before it admitted a probe whose outcome has not been reported
    /// yet. A probe admitted but never sent (a limit said wait after admission) would leave the
    /// breaker half-open, refusing everything, forever; the next tick puts this back instead.
    unsent_probe: Option<CircuitBreaker>,
    hooks: H,
    config: RunnerConfig,
    online: Option<OnlineSession>,
    next_reconcile_at_ms: i64,
    /// Invoices whose UPO download or resolution failed, and when to try again.
    retry_at: HashMap<InvoiceId, i64>,
    /// Unknown outcomes, and 440 originals, KSeF could not settle, and how often it could not
    /// so far (the wait before asking again doubles with each).
    uncertain_tries: HashMap<InvoiceId, u32>,
    /// Closed batch sessions KSeF is still processing: when we first asked and when to ask next.
    batch_polls: HashMap<String, BatchPoll>,
}

/// The adaptive status polling of one processing batch session.
#[derive(Debug, Clone, Copy)]
struct BatchPoll {
    since_ms: i64,
    due_ms: i64,
}

impl<K: Ksef, C: Clock + Clone + 'static> Runner<K, C, NoHooks> {
    /// A runner for `company` on `store`, talking to `ksef`.
    pub fn new(
        store: Store,
        company: CompanyId,
        ksef: K,
        credentials: Credentials,
        clock: C,
        rng: EngineRng,
        config: RunnerConfig,
    ) -> Runner<K, C, NoHooks> {
        let auth = Arc::new(AuthState::new(
            ksef,
            KsefClock(clock.clone()),
            credentials.context,
            credentials.ksef_token,
            AuthPolicy::default(),
        ));
        Runner {
            store,
            company,
            auth,
            clock,
            rng,
            limiter: RateLimiter::production(),
            breaker: CircuitBreaker::new(),
            unsent_probe: None,
            hooks: NoHooks,
            config,
            online: None,
            next_reconcile_at_ms: i64::MIN,
            retry_at: HashMap::new(),
            uncertain_tries: HashMap::new(),
            batch_polls: HashMap::new(),
        }
    }
}

impl<K: Ksef, C: Clock + Clone + 'static, H: Hooks> Runner<K, C, H> {
    /// The same runner with test hooks.
    pub fn with_hooks<H2: Hooks>(self, hooks: H2) -> Runner<K, C, H2> {
        Runner {
            store: self.store,
            company: self.company,
            auth: self.auth,
            clock: self.clock,
            rng: self.rng,
            limiter: self.limiter,
            breaker: self.breaker,
            unsent_probe: self.unsent_probe,
            hooks,
            config: self.config,
            online: self.online,
            next_reconcile_at_ms: self.next_reconcile_at_ms,
            retry_at: self.retry_at,
            uncertain_tries: self.uncertain_tries,
            batch_polls: self.batch_polls,
        }
    }

    /// The same runner with another rate-limit table (e.g. from `GET /rate-limits`).
    pub fn with_limiter(mut self, limiter: RateLimiter) -> Runner<K, C, H> {
        self.limiter = limiter;
        self
    }

    /// The company this runner sends for.
    pub fn company(&self) -> CompanyId {
        self.company
    }

    /// The outbox, for queries.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Consumes the runner, handing back its store.
    pub fn into_store(self) -> Store {
        self.store
    }

    /// When KSeF has been unreachable since (Unix ms), while the circuit breaker is not closed.
    pub fn unavailable_since_ms(&self) -> Option<i64> {
        self.breaker.status().unavailable_since_ms
    }

    /// Ends the leases of processes that died holding them, now. Holding `lock` proves no other
    /// runner for this company is alive, so every `sending` lease left is a dead process's:
    /// waiting it out (minutes, for a batch) would only delay delivery. Each such invoice becomes
    /// an unknown outcome that the next tick resolves by asking KSeF (never a blind resend).
    /// Returns how many leases ended.
    pub fn take_over(&mut self, lock: &RunnerLock) -> Result<usize, RunnerError> {
        if lock.company() != self.company {
            return Err(RunnerError::LockMismatch {
                lock: lock.company().0,
                runner: self.company.0,
            });
        }
        let ended = self
            .store
            .expire_all_leases(self.company, self.clock.now_ms())?;
        if !ended.is_empty() {
            tracing::info!(
                leases = ended.len(),
                "ended leases left by a runner that died"
            );
        }
        Ok(ended.len())
    }

    /// One bounded round of work; see the module docs.
    pub async fn tick(&mut self) -> Result<TickOutcome, RunnerError> {
        self.restore_unsent_probe();
        let now_ms = self.clock.now_ms();
        let mut tick = Tick {
            progressed: false,
            wake_ms: None,
        };
        if now_ms >= self.next_reconcile_at_ms {
            self.next_reconcile_at_ms = now_ms.saturating_add(self.config.reconcile_every_ms);
            self.reconcile(&mut tick).await?;
        }
        tick.wake_at(self.next_reconcile_at_ms);
        self.resolve_unknown(&mut tick).await?;
        self.send_ready(&mut tick).await?;
        self.poll_batches(&mut tick).await?;
        self.poll_sent(&mut tick).await?;
        self.fetch_missing_upos(&mut tick).await?;
        self.close_idle_session(&mut tick).await?;
        // Work already due but held back (limiter, breaker) registered its own wake-up; only
        // future due times are added here, or a blocked queue would spin.
        if let Some(due) = work::next_due_ms(&self.store, self.company)? {
            if due > self.clock.now_ms() {
                tick.wake_at(due);
            }
        }
        let idle = work::open_work(&self.store, self.company)? == 0 && self.online.is_none();
        let now_ms = self.clock.now_ms();
        let latest = now_ms.saturating_add(self.config.idle_wake_ms);
        let next_wake_at_ms = if tick.progressed {
            now_ms
        } else {
            tick.wake_ms.unwrap_or(latest).clamp(now_ms, latest)
        };
        Ok(TickOutcome {
            next_wake_at_ms,
            progressed: tick.progressed,
            idle,
        })
    }

    /// The reconciliation job once, now: closes leftover sessions, resolves unknown outcomes,
    /// fetches missing UPOs and raises alerts for what needs a person (the CLI's `reconcile`).
    pub async fn reconcile_now(&mut self) -> Result<TickOutcome, RunnerError> {
        self.restore_unsent_probe();
        let mut tick = Tick {
            progressed: false,
            wake_ms: None,
        };
        self.next_reconcile_at_ms = self
            .clock
            .now_ms()
            .saturating_add(self.config.reconcile_every_ms);
        self.reconcile(&mut tick).await?;
        self.resolve_unknown(&mut tick).await?;
        self.fetch_missing_upos(&mut tick).await?;
        let now_ms = self.clock.now_ms();
        Ok(TickOutcome {
            next_wake_at_ms: tick.wake_ms.unwrap_or(now_ms).max(now_ms),
            progressed: tick.progressed,
            idle: work::open_work(&self.store, self.company)? == 0,
        })
    }

    /// Ticks until idle, sleeping on the real clock between ticks (the CLI's `--until-idle`).
    pub async fn run_until_idle(&mut self) -> Result<(), RunnerError> {
        loop {
            let outcome = self.tick().await?;
            if outcome.idle {
                return Ok(());
            }
            self.sleep_until(outcome.next_wake_at_ms).await;
        }
    }

    /// Ticks until `shutdown` resolves; the current tick always finishes first.
    pub async fn run_forever<F>(&mut self, shutdown: F) -> Result<(), RunnerError>
    where
        F: std::future::Future<Output = ()>,
    {
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let outcome = self.tick().await?;
            let wait = self.sleep_until(outcome.next_wake_at_ms);
            tokio::select! {
                _ = &mut shutdown => return Ok(()),
                _ = wait => {}
            }
        }
    }

    async fn sleep_until(&self, at_ms: i64) {
        let delta = at_ms.saturating_sub(self.clock.now_ms()).max(0);
        tokio::time::sleep(std::time::Duration::from_millis(
            u64::try_from(delta).unwrap_or(0),
        ))
        .await;
    }

    /// Records a plan's state change under `claim`'s fence and applies its advice.
    fn record_plan(
        &mut self,
        claim: crate::store::Claimed,
        plan: &Plan,
    ) -> Result<(), RunnerError> {
        let now_ms = self.clock.now_ms();
        match plan.change() {
            Some(change) => {
                self.store.apply_fenced(claim, &change, now_ms)?;
            }
            None => {
                if let Some(at) = plan.next_at_ms {
                    self.store.reschedule_poll(claim, at, now_ms)?;
                }
            }
        }
        if let Some(code) = plan.alert {
            self.store.raise_alert(
                "stuck",
                Some(claim.id),
                code,
                "no verdict from KSeF yet",
                now_ms,
            )?;
        }
        Ok(())
    }
}

/// Unavailable since (Unix ms), as persisted by a runner: the open unavailability alert.
pub fn ksef_unavailable_since_ms(store: &Store) -> Result<Option<i64>, StoreError> {
    Ok(store
        .open_alerts()?
        .into_iter()
        .find(|a| a.kind == UNAVAILABLE_ALERT)
        .map(|a| a.raised_at))
}

#[cfg(test)]
mod tests;
