//! Retry timing: exponential backoff with full jitter per invoice, and a circuit breaker that
//! stops hammering KSeF during a global outage.
//!
//! Both take the time as an argument and randomness from an injected [`EngineRng`], so tests
//! replay them exactly.

use rand::Rng;

use crate::rng::EngineRng;
use crate::state::{Actor, Change, SubmissionState};

/// First retry ceiling.
pub const RETRY_BASE_DELAY_MS: i64 = 2_000;
/// Largest retry delay.
pub const RETRY_DELAY_MS_MAX: i64 = 15 * 60_000;
/// Code recorded when an invoice runs out of attempts; the detail names the last failure.
pub const ATTEMPTS_EXHAUSTED_CODE: &str = "engine.attempts_exhausted";
/// Attempts per invoice before a person must look at it.
pub const ATTEMPTS_MAX: u32 = 8;
/// Consecutive transient failures that open the breaker.
pub const BREAKER_FAILURES_MAX: u32 = 5;
/// First cool-down before a probe.
pub const BREAKER_COOL_DOWN_MS: i64 = 30_000;
/// Longest cool-down between probes.
pub const BREAKER_COOL_DOWN_MS_MAX: i64 = 10 * 60_000;

const _: () = assert!(RETRY_BASE_DELAY_MS > 0 && RETRY_BASE_DELAY_MS <= RETRY_DELAY_MS_MAX);
const _: () = assert!(BREAKER_COOL_DOWN_MS > 0 && BREAKER_COOL_DOWN_MS <= BREAKER_COOL_DOWN_MS_MAX);

/// `base * 2^(step - 1)`, capped at `max`, for `step >= 1`.
fn doubling(base_ms: i64, step: u32, max_ms: i64) -> i64 {
    let shift = step.saturating_sub(1).min(62);
    base_ms.saturating_mul(1i64 << shift).min(max_ms)
}

/// How an invoice is retried after a transient failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Ceiling of the first delay.
    pub base_delay_ms: i64,
    /// Largest delay.
    pub delay_ms_max: i64,
    /// Attempts before giving up to `needs_attention`.
    pub attempts_max: u32,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            base_delay_ms: RETRY_BASE_DELAY_MS,
            delay_ms_max: RETRY_DELAY_MS_MAX,
            attempts_max: ATTEMPTS_MAX,
        }
    }
}

/// What to do after a transient failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Queue again, due at this time.
    RetryAt(i64),
    /// Out of attempts: a person or the reconciler must decide.
    GiveUp,
}

impl RetryDecision {
    /// The state change recording this decision; `code` names the failure. Giving up records
    /// [`ATTEMPTS_EXHAUSTED_CODE`] with the failure's code as the detail.
    pub fn change<'a>(self, code: &'a str, detail: Option<&'a str>) -> Change<'a> {
        match self {
            RetryDecision::RetryAt(at) => Change {
                next_attempt_at: Some(at),
                ..Change::to(SubmissionState::Queued, Actor::Engine).because(code, detail)
            },
            RetryDecision::GiveUp => Change::to(SubmissionState::NeedsAttention, Actor::Engine)
                .because(ATTEMPTS_EXHAUSTED_CODE, Some(code)),
        }
    }
}

impl RetryPolicy {
    /// Decides the next attempt after `attempts_done` attempts (at least one) failed
    /// transiently. The delay is uniform in `[0, ceiling]` ("full jitter", so a crowd of
    /// invoices failing together spreads out), and never shorter than the server's Retry-After.
    pub fn after_failure(
        &self,
        attempts_done: u32,
        retry_after_ms: Option<i64>,
        now_ms: i64,
        rng: &mut EngineRng,
    ) -> RetryDecision {
        if attempts_done >= self.attempts_max {
            return RetryDecision::GiveUp;
        }
        let ceiling = doubling(self.base_delay_ms, attempts_done, self.delay_ms_max);
        let jittered = rng.gen_range(0..=ceiling);
        let delay = jittered.max(retry_after_ms.unwrap_or(0));
        RetryDecision::RetryAt(now_ms.saturating_add(delay))
    }
}

/// Where the breaker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Requests flow.
    Closed,
    /// KSeF is treated as down; no request until `probe_at_ms`.
    Open {
        /// When a single probe will be let through.
        probe_at_ms: i64,
    },
    /// One probe is in flight; everything else waits for its outcome.
    HalfOpen,
}

/// The breaker's state for UIs: "KSeF unavailable since …".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerStatus {
    /// Current state.
    pub state: BreakerState,
    /// First failure of the current run of failures, while not closed.
    pub unavailable_since_ms: Option<i64>,
}

/// Whether a request may go now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Normal request.
    Allowed,
    /// The single probe after a cool-down; report its outcome.
    Probe,
    /// Not now; see [`CircuitBreaker::status`].
    Refused,
}

/// Circuit breaker for global outages: closed → open after [`BREAKER_FAILURES_MAX`] consecutive
/// transient failures → half-open probe after a cool-down that doubles (with jitter) each time a
/// probe fails → closed on the first success.
#[derive(Debug, Clone)]
pub struct CircuitBreaker {
    state: BreakerState,
    consecutive_failures: u32,
    consecutive_opens: u32,
    first_failure_ms: Option<i64>,
}

impl Default for CircuitBreaker {
    fn default() -> CircuitBreaker {
        CircuitBreaker::new()
    }
}

impl CircuitBreaker {
    /// A closed breaker.
    pub fn new() -> CircuitBreaker {
        CircuitBreaker {
            state: BreakerState::Closed,
            consecutive_failures: 0,
            consecutive_opens: 0,
            first_failure_ms: None,
        }
    }

    /// Asks to send a request at `now_ms`.
    pub fn admit(&mut self, now_ms: i64) -> Admission {
        match self.state {
            BreakerState::Closed => Admission::Allowed,
            BreakerState::Open { probe_at_ms } if now_ms >= probe_at_ms => {
                self.state = BreakerState::HalfOpen;
                Admission::Probe
            }
            BreakerState::Open { .. } | BreakerState::HalfOpen => Admission::Refused,
        }
    }

    /// A request succeeded: KSeF is reachable.
    pub fn on_success(&mut self) {
        *self = CircuitBreaker::new();
    }

    /// A request failed transiently (timeout, 5xx, connection refused). Permanent refusals
    /// (4xx about the invoice itself) say nothing about KSeF's health and must not be reported.
    pub fn on_transient_failure(&mut self, now_ms: i64, rng: &mut EngineRng) {
        self.first_failure_ms.get_or_insert(now_ms);
        match self.state {
            BreakerState::Closed => {
                self.consecutive_failures += 1;
                if self.consecutive_failures >= BREAKER_FAILURES_MAX {
                    self.open(now_ms, rng);
                }
            }
            BreakerState::HalfOpen => self.open(now_ms, rng),
            // A request admitted before the breaker opened; the outage is already known.
            BreakerState::Open { .. } => {}
        }
    }

    /// Current state and since when KSeF has been failing.
    pub fn status(&self) -> BreakerStatus {
        BreakerStatus {
            state: self.state,
            unavailable_since_ms: match self.state {
                BreakerState::Closed => None,
                _ => self.first_failure_ms,
            },
        }
    }

    fn open(&mut self, now_ms: i64, rng: &mut EngineRng) {
        self.consecutive_opens += 1;
        let ceiling = doubling(
            BREAKER_COOL_DOWN_MS,
            self.consecutive_opens,
            BREAKER_COOL_DOWN_MS_MAX,
        );
        // "Equal jitter": at least half the ceiling, so probes from many desks spread out
        // without the cool-down ever collapsing to nothing.
        let cool_down = ceiling / 2 + rng.gen_range(0..=ceiling / 2);
        self.state = BreakerState::Open {
            probe_at_ms: now_ms.saturating_add(cool_down),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::seeded;

    #[test]
    fn delays_stay_under_a_doubling_capped_ceiling_and_spread_out() {
        let policy = RetryPolicy::default();
        let mut rng = seeded(1);
        for attempt in 1..policy.attempts_max {
            let ceiling = (RETRY_BASE_DELAY_MS << (attempt - 1)).min(RETRY_DELAY_MS_MAX);
            let delays: Vec<i64> = (0..2_000)
                .map(
                    |_| match policy.after_failure(attempt, None, 1_000, &mut rng) {
                        RetryDecision::RetryAt(at) => at - 1_000,
                        RetryDecision::GiveUp => panic!("gave up at attempt {attempt}"),
                    },
                )
                .collect();
            let (min, max) = (*delays.iter().min().unwrap(), *delays.iter().max().unwrap());
            assert!(
                min >= 0 && max <= ceiling,
                "attempt {attempt}: {min}..{max} vs {ceiling}"
            );
            // Full jitter uses the whole range, not a fixed delay.
            assert!(
                min < ceiling / 10 && max > ceiling * 9 / 10,
                "attempt {attempt}"
            );
        }
    }

    #[test]
    fn retry_after_is_a_floor() {
        let policy = RetryPolicy::default();
        let mut rng = seeded(2);
        for _ in 0..100 {
            let decision = policy.after_failure(1, Some(60_000), 0, &mut rng);
            assert_eq!(
                decision,
                RetryDecision::RetryAt(60_000),
                "base ceiling is below 60 s"
            );
        }
    }

    #[test]
    fn gives_up_after_the_attempt_limit() {
        let policy = RetryPolicy {
            attempts_max: 3,
            ..RetryPolicy::default()
        };
        let mut rng = seeded(3);
        assert!(matches!(
            policy.after_failure(2, None, 0, &mut rng),
            RetryDecision::RetryAt(_)
        ));
        assert_eq!(
            policy.after_failure(3, None, 0, &mut rng),
            RetryDecision::GiveUp
        );
        let change = RetryDecision::GiveUp.change("ksef.unavailable", None);
        assert_eq!(change.to, SubmissionState::NeedsAttention);
        assert_eq!(change.code, Some(ATTEMPTS_EXHAUSTED_CODE));
        assert_eq!(change.detail, Some("ksef.unavailable"));
    }

    #[test]
    fn same_seed_same_schedule() {
        let policy = RetryPolicy::default();
        let schedule = |seed| {
            let mut rng = seeded(seed);
            (1..6)
                .map(|a| policy.after_failure(a, None, 0, &mut rng))
                .collect::<Vec<_>>()
        };
        assert_eq!(schedule(9), schedule(9));
        assert_ne!(schedule(9), schedule(10));
    }

    #[test]
    fn exhausted_attempts_land_in_needs_attention_in_the_store() {
        let (_dir, mut store, company) = crate::store::test_support::temp_store();
        let id = crate::store::test_support::insert_queued(&mut store, company, "FV/1", b"<F/>", 0);
        let policy = RetryPolicy {
            attempts_max: 3,
            ..RetryPolicy::default()
        };
        let mut rng = seeded(4);
        let mut now = 0;
        loop {
            let claimed = store
                .claim_ready(company, now, 1, 60_000, "w")
                .unwrap()
                .claimed;
            let Some(claim) = claimed.first().copied() else {
                break;
            };
            let attempts = store.invoice(id).unwrap().attempts as u32;
            let decision = policy.after_failure(attempts, None, now, &mut rng);
            store
                .apply_fenced(claim, &decision.change("ksef.http.503", None), now)
                .unwrap();
            if let RetryDecision::RetryAt(at) = decision {
                now = at;
            }
        }
        let row = store.invoice(id).unwrap();
        assert_eq!(row.state, SubmissionState::NeedsAttention);
        assert_eq!(row.attempts, 3);
        assert_eq!(row.error_code.as_deref(), Some(ATTEMPTS_EXHAUSTED_CODE));
        assert_eq!(row.error_detail.as_deref(), Some("ksef.http.503"));
    }

    #[test]
    fn breaker_opens_probes_and_closes() {
        let mut rng = seeded(5);
        let mut breaker = CircuitBreaker::new();
        for t in 0..i64::from(BREAKER_FAILURES_MAX) - 1 {
            assert_eq!(breaker.admit(100 + t), Admission::Allowed);
            breaker.on_transient_failure(100 + t, &mut rng);
        }
        assert_eq!(breaker.status().state, BreakerState::Closed);
        breaker.on_transient_failure(200, &mut rng);
        let BreakerState::Open { probe_at_ms } = breaker.status().state else {
            panic!("not open: {:?}", breaker.status())
        };
        assert_eq!(
            breaker.status().unavailable_since_ms,
            Some(100),
            "since the first failure"
        );
        assert!(
            (200 + BREAKER_COOL_DOWN_MS / 2..=200 + BREAKER_COOL_DOWN_MS).contains(&probe_at_ms)
        );
        assert_eq!(breaker.admit(probe_at_ms - 1), Admission::Refused);
        assert_eq!(breaker.admit(probe_at_ms), Admission::Probe);
        assert_eq!(
            breaker.admit(probe_at_ms),
            Admission::Refused,
            "one probe at a time"
        );
        breaker.on_success();
        assert_eq!(
            breaker.status(),
            BreakerStatus {
                state: BreakerState::Closed,
                unavailable_since_ms: None
            }
        );
        assert_eq!(breaker.admit(probe_at_ms + 1), Admission::Allowed);
    }

    #[test]
    fn failed_probes_lengthen_the_cool_down_up_to_the_cap() {
        let mut rng = seeded(6);
        let mut breaker = CircuitBreaker::new();
        let mut now = 0;
        for _ in 0..BREAKER_FAILURES_MAX {
            breaker.on_transient_failure(now, &mut rng);
        }
        let mut cool_downs = Vec::new();
        for _ in 0..10 {
            let BreakerState::Open { probe_at_ms } = breaker.status().state else {
                panic!("expected open")
            };
            cool_downs.push(probe_at_ms - now);
            now = probe_at_ms;
            assert_eq!(breaker.admit(now), Admission::Probe);
            breaker.on_transient_failure(now, &mut rng);
        }
        // Equal jitter on a doubling, capped ceiling: the n-th cool-down lies in
        // [ceiling/2, ceiling], so it grows until the cap and never collapses.
        for (n, &cool_down) in cool_downs.iter().enumerate() {
            let ceiling = (BREAKER_COOL_DOWN_MS << n).min(BREAKER_COOL_DOWN_MS_MAX);
            assert!(
                (ceiling / 2..=ceiling).contains(&cool_down),
                "{n}: {cool_downs:?}"
            );
        }
        assert!(cool_downs[9] > cool_downs[0], "{cool_downs:?}");
        assert_eq!(breaker.status().unavailable_since_ms, Some(0));
    }
}
