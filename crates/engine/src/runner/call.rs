//! One KSeF request as the runner makes it: the circuit breaker admits it, the limiter grants a
//! permit, it leaves with a valid access token, and its outcome, success or failure, goes back to
//! the limiter, the breaker and the token holder. [`Runner::call`] is that sequence; the gates and
//! the feedback it is made of live here too.

use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;

use ksef_api::auth::AuthState;
use ksef_api::{ErrorClass, Ksef, KsefError, KsefResult, LimitGroup, LimitScope, Secret};

use super::{CrashPoint, Hooks, KsefClock, Runner, RunnerError, Tick};
use super::{UNAVAILABLE_ALERT, UNAVAILABLE_CODE};
use crate::backoff::{Admission, BreakerState};
use crate::clock::Clock;
use crate::limiter::Permit;
use crate::outcome::Health;

/// How a request gets past the circuit breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gate {
    /// The breaker is asked, then the limiter.
    Breaker,
    /// The caller's own admission covers this request; only the limiter is asked. Asking the
    /// breaker again would refuse the half-open probe the caller was just granted.
    CallerAdmitted,
}

/// What [`Runner::call`] needs to know about a request besides the call itself.
#[derive(Debug, Clone, Copy)]
pub(super) struct Request {
    group: LimitGroup,
    gate: Gate,
    crash: Option<CrashPoint>,
}

impl Request {
    /// A request counted in `group`: admitted by the breaker, then permitted by the limiter.
    pub(super) fn new(group: LimitGroup) -> Request {
        Request {
            group,
            gate: Gate::Breaker,
            crash: None,
        }
    }

    /// The same request, covered by the breaker admission its caller already holds.
    pub(super) fn caller_admitted(self) -> Request {
        Request {
            gate: Gate::CallerAdmitted,
            ..self
        }
    }

    /// The same request, with a test crash point once KSeF has answered and before anything,
    /// even the answer's effect on breaker and limiter, is recorded.
    pub(super) fn crash_at(self, point: CrashPoint) -> Request {
        Request {
            crash: Some(point),
            ..self
        }
    }
}

/// The KSeF port as a request's closure receives it: shared ownership, so the request's future
/// can hold it without borrowing the runner, which records the outcome afterwards.
pub(super) struct Port<K, C>(Arc<AuthState<K, KsefClock<C>>>);

impl<K: Ksef, C: Clock> Deref for Port<K, C> {
    type Target = K;

    fn deref(&self) -> &K {
        self.0.ksef()
    }
}

impl<K: Ksef, C: Clock + Clone + 'static, H: Hooks> Runner<K, C, H> {
    /// Makes one KSeF request the way every request is made: the breaker admits it (unless the
    /// caller already holds an admission), the limiter grants a permit, `send` runs with a valid
    /// access token (renewed and run once more after a 401), the tick counts as progressed, and
    /// the outcome settles the limiter and tells the breaker whether KSeF is up.
    ///
    /// `None` when the breaker or the limiter says "not now"; whichever refused has registered
    /// its wake-up on `tick`. Admission comes before the permit, so a request the breaker refuses
    /// uses up no permit; a probe admitted but then refused a permit is handed back at the next
    /// tick (see [`Runner::restore_unsent_probe`]).
    pub(super) async fn call<T, F, Fut>(
        &mut self,
        request: Request,
        tick: &mut Tick,
        send: F,
    ) -> Result<Option<KsefResult<T>>, RunnerError>
    where
        F: Fn(Port<K, C>, Secret) -> Fut + Send,
        Fut: Future<Output = KsefResult<T>> + Send,
        T: Send,
    {
        let admitted = request.gate == Gate::CallerAdmitted || self.admitted(tick);
        if !admitted || !self.permit(request.group, tick)? {
            return Ok(None);
        }
        let auth = Arc::clone(&self.auth);
        let result = self
            .auth
            .with_access(move |token| send(Port(Arc::clone(&auth)), token))
            .await;
        tick.progressed = true;
        if let Some(point) = request.crash {
            self.hooks.crash_point(point)?;
        }
        self.observe(request.group, result.as_ref().err()).await?;
        Ok(Some(result))
    }

    /// Asks the limiter for one request in `group`; on refusal records when to wake.
    pub(super) fn permit(
        &mut self,
        group: LimitGroup,
        tick: &mut Tick,
    ) -> Result<bool, RunnerError> {
        let now_ms = self.clock.now_ms();
        match self
            .limiter
            .try_acquire(&mut self.store, LimitScope::Context(group), now_ms)?
        {
            Permit::Granted => Ok(true),
            Permit::Wait { until_ms } => {
                tick.wake_at(until_ms);
                Ok(false)
            }
        }
    }

    /// Between ticks no request is in flight: a breaker still half-open had its probe admitted
    /// but never sent, so it goes back to open with that probe due.
    pub(super) fn restore_unsent_probe(&mut self) {
        if let Some(before) = self.unsent_probe.take() {
            if self.breaker.status().state == BreakerState::HalfOpen {
                self.breaker = before;
            }
        }
    }

    /// Whether the breaker lets a request through now; on refusal records when to wake.
    pub(super) fn admitted(&mut self, tick: &mut Tick) -> bool {
        let before = self.breaker.clone();
        match self.breaker.admit(self.clock.now_ms()) {
            Admission::Allowed => true,
            Admission::Probe => {
                self.unsent_probe = Some(before);
                true
            }
            Admission::Refused => {
                if let BreakerState::Open { probe_at_ms } = self.breaker.status().state {
                    tick.wake_at(probe_at_ms);
                }
                false
            }
        }
    }

    /// Feeds one call's result to the breaker, the limiter and the token holder.
    pub(super) async fn observe(
        &mut self,
        group: LimitGroup,
        error: Option<&KsefError>,
    ) -> Result<(), RunnerError> {
        let now_ms = self.clock.now_ms();
        let health = match error {
            None => Health::Up,
            Some(e) => match e.class() {
                ErrorClass::Transient | ErrorClass::OutcomeUnknown => Health::Down,
                _ => Health::Up,
            },
        };
        // The grant of this request counts from now on: KSeF saw it arrive no later than this.
        self.limiter
            .settle(&mut self.store, LimitScope::Context(group), now_ms)?;
        if let Some(KsefError::RateLimited { retry_after }) = error {
            let wait_ms = i64::try_from(retry_after.as_millis()).unwrap_or(i64::MAX);
            self.limiter
                .penalise(&mut self.store, LimitScope::Context(group), wait_ms, now_ms)?;
            tracing::warn!(
                group = group.key(),
                wait_ms,
                "KSeF answered 429; backing off"
            );
        }
        if error.is_some_and(|e| e.class() == ErrorClass::AuthExpired) {
            self.auth.invalidate_access().await;
        }
        self.health(health)
    }

    /// Applies a plan's health advice and keeps the persisted unavailability alert in step.
    fn health(&mut self, health: Health) -> Result<(), RunnerError> {
        // A request's outcome was reported: any probe was sent.
        self.unsent_probe = None;
        let now_ms = self.clock.now_ms();
        match health {
            Health::Up => {
                let was_down = self.breaker.status().unavailable_since_ms.is_some();
                self.breaker.on_success();
                if was_down {
                    for alert in self.store.open_alerts()? {
                        if alert.kind == UNAVAILABLE_ALERT {
                            self.store.resolve_alert(alert.id, now_ms)?;
                        }
                    }
                    tracing::info!("KSeF reachable again");
                }
            }
            Health::Down => {
                self.breaker.on_transient_failure(now_ms, &mut self.rng);
                let status = self.breaker.status();
                if let (BreakerState::Open { .. }, Some(since)) =
                    (status.state, status.unavailable_since_ms)
                {
                    self.store.raise_alert(
                        UNAVAILABLE_ALERT,
                        None,
                        UNAVAILABLE_CODE,
                        "KSeF is unreachable; sending resumes automatically",
                        since,
                    )?;
                }
            }
        }
        Ok(())
    }
}
