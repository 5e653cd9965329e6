//! Proactive rate limiting that mirrors KSeF's sliding windows (KSEF-API.md §7), so the engine
//! waits on its own instead of collecting 429s — whose blocks grow with every breach.
//!
//! Each group has per-second, per-minute and per-hour limits, all enforced together over windows
//! that slide with time (not clock-aligned). The budget lives in a [`LimiterStore`]; the SQLite
//! implementation lets several processes on one machine share it, and a server database can
//! implement the same trait later. The decision itself is the pure function [`decide`]. The
//! groups and their published limits are `ksef-api`'s data ([`LimitGroup`], [`RateLimits`]).

use ksef_api::limits::PUBLIC_PER_IP_PER_SECOND;
use ksef_api::{LimitGroup, LimitScope, RateLimit, RateLimits};
use rusqlite::{params, OptionalExtension, TransactionBehavior};

use crate::store::{Store, StoreError};

/// The sliding windows KSeF enforces, in milliseconds.
pub const SECOND_WINDOW_MS: i64 = 1_000;
/// See [`SECOND_WINDOW_MS`].
pub const MINUTE_WINDOW_MS: i64 = 60_000;
/// See [`SECOND_WINDOW_MS`]; also how long grant records are kept.
pub const HOUR_WINDOW_MS: i64 = 3_600_000;
/// How long a group runs on a reduced budget after a 429.
pub const PENALTY_PERIOD_MS: i64 = 600_000;
/// The reduced budget is the normal one divided by this.
pub const PENALTY_DIVISOR: u32 = 2;

impl From<RateLimit> for WindowLimits {
    fn from(l: RateLimit) -> WindowLimits {
        WindowLimits::new(l.per_second, l.per_minute, l.per_hour)
    }
}

/// Requests allowed per window; `None` means that window is not limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowLimits {
    /// Per sliding second.
    pub per_second: Option<u32>,
    /// Per sliding minute.
    pub per_minute: Option<u32>,
    /// Per sliding hour.
    pub per_hour: Option<u32>,
}

impl WindowLimits {
    /// All three windows limited.
    pub const fn new(per_second: u32, per_minute: u32, per_hour: u32) -> WindowLimits {
        WindowLimits {
            per_second: Some(per_second),
            per_minute: Some(per_minute),
            per_hour: Some(per_hour),
        }
    }

    /// Only a per-second limit (public endpoints, per IP).
    pub const fn per_second_only(per_second: u32) -> WindowLimits {
        WindowLimits {
            per_second: Some(per_second),
            per_minute: None,
            per_hour: None,
        }
    }

    /// `(window_ms, limit)` for each limited window.
    fn windows(self) -> impl Iterator<Item = (i64, u32)> {
        [
            (SECOND_WINDOW_MS, self.per_second),
            (MINUTE_WINDOW_MS, self.per_minute),
            (HOUR_WINDOW_MS, self.per_hour),
        ]
        .into_iter()
        .filter_map(|(w, l)| l.map(|l| (w, l)))
    }

    /// The budget while penalised: each limit divided, never below one request.
    fn reduced(self) -> WindowLimits {
        let cut = |l: Option<u32>| l.map(|l| (l / PENALTY_DIVISOR).max(1));
        WindowLimits {
            per_second: cut(self.per_second),
            per_minute: cut(self.per_minute),
            per_hour: cut(self.per_hour),
        }
    }
}

/// The budget key of a scope in the limiter store.
fn scope_key(scope: LimitScope) -> &'static str {
    match scope {
        LimitScope::Context(group) => group.key(),
        LimitScope::PublicPerIp => "publicPerIp",
    }
}

/// A group's standing after a 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Penalty {
    /// No request before this time (the server's Retry-After).
    pub blocked_until_ms: i64,
    /// The budget is reduced until this time.
    pub reduced_until_ms: i64,
}

/// The limiter's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permit {
    /// The request may go now; it has been counted.
    Granted,
    /// Not before `until_ms`; nothing was counted.
    Wait {
        /// The earliest time a retry can be granted.
        until_ms: i64,
    },
}

/// Decides whether a request at `now_ms` fits, given the group's earlier grants (`grants_ms`,
/// ascending; older than an hour may be omitted). On refusal, returns the earliest time at which
/// every window has room again.
pub fn decide(
    limits: WindowLimits,
    penalty: Option<Penalty>,
    grants_ms: &[i64],
    now_ms: i64,
) -> Permit {
    let mut limits = limits;
    if let Some(p) = penalty {
        if now_ms < p.blocked_until_ms {
            return Permit::Wait {
                until_ms: p.blocked_until_ms,
            };
        }
        if now_ms < p.reduced_until_ms {
            limits = limits.reduced();
        }
    }
    let mut until_ms: Option<i64> = None;
    for (window_ms, limit) in limits.windows() {
        // A zero limit would never make room; it is read as one request per window.
        let limit = limit.max(1);
        // Grants inside (now - window, now] are the tail of the ascending slice.
        let inside = grants_ms.len() - grants_ms.partition_point(|&t| t <= now_ms - window_ms);
        if inside >= limit as usize {
            // Room appears when the oldest grant that must leave has slid out of the window.
            let must_leave = grants_ms.len() - limit as usize;
            let at = grants_ms.get(must_leave).map_or(now_ms, |&t| t + window_ms);
            until_ms = Some(until_ms.map_or(at, |u| u.max(at)));
        }
    }
    match until_ms {
        Some(until_ms) => Permit::Wait { until_ms },
        None => Permit::Granted,
    }
}

/// Where the shared budget lives. `try_acquire` must be atomic across every process sharing it.
pub trait LimiterStore {
    /// The store's error type.
    type Error: std::error::Error;

    /// Atomically decides (with [`decide`]) and, when granted, records the grant.
    fn try_acquire(
        &mut self,
        scope: LimitScope,
        limits: WindowLimits,
        now_ms: i64,
    ) -> Result<Permit, Self::Error>;

    /// Records a penalty, keeping the later of any existing block.
    fn penalise(&mut self, scope: LimitScope, penalty: Penalty) -> Result<(), Self::Error>;

    /// Moves the newest grant of `scope` forward to `now_ms` (never back): its request has
    /// just completed. See [`RateLimiter::settle`].
    fn settle(&mut self, scope: LimitScope, now_ms: i64) -> Result<(), Self::Error>;
}

/// The engine's rate limiter: a limits table plus the penalty policy, over any store.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    limits: RateLimits,
}

impl RateLimiter {
    /// A limiter with KSeF's published production (and DEMO; TE since 2.5.0) table.
    pub fn production() -> RateLimiter {
        RateLimiter::with_limits(LimitGroup::production_limits())
    }

    /// A limiter with another table (`GET /rate-limits`, TE overrides, tests).
    pub fn with_limits(limits: RateLimits) -> RateLimiter {
        RateLimiter { limits }
    }

    /// The windows enforced for `scope`.
    pub fn limits(&self, scope: LimitScope) -> WindowLimits {
        match scope {
            LimitScope::Context(group) => self.limits.get(group).into(),
            LimitScope::PublicPerIp => WindowLimits::per_second_only(PUBLIC_PER_IP_PER_SECOND),
        }
    }

    /// Asks for one request in `scope` at `now_ms`.
    pub fn try_acquire<S: LimiterStore>(
        &self,
        store: &mut S,
        scope: LimitScope,
        now_ms: i64,
    ) -> Result<Permit, S::Error> {
        store.try_acquire(scope, self.limits(scope), now_ms)
    }

    /// Reacts to a 429: no request before Retry-After, then a reduced budget for
    /// [`PENALTY_PERIOD_MS`].
    pub fn penalise<S: LimiterStore>(
        &self,
        store: &mut S,
        scope: LimitScope,
        retry_after_ms: i64,
        now_ms: i64,
    ) -> Result<(), S::Error> {
        let blocked_until_ms = now_ms.saturating_add(retry_after_ms.max(0));
        let penalty = Penalty {
            blocked_until_ms,
            reduced_until_ms: blocked_until_ms.saturating_add(PENALTY_PERIOD_MS),
        };
        store.penalise(scope, penalty)
    }

    /// Records that the request of the newest grant in `scope` has completed at `now_ms`.
    ///
    /// KSeF counts a request when it arrives, somewhere between our grant and the response.
    /// Counted from the grant, a request that took longer than the next one (a token refresh
    /// first, a slow connection) would leave our window before it leaves KSeF's, and the request
    /// granted at that edge would be KSeF's one too many: a 429. Counted from its completion,
    /// every request stays in our window at least as long as in KSeF's.
    pub fn settle<S: LimiterStore>(
        &self,
        store: &mut S,
        scope: LimitScope,
        now_ms: i64,
    ) -> Result<(), S::Error> {
        store.settle(scope, now_ms)
    }
}

impl LimiterStore for Store {
    type Error = StoreError;

    fn try_acquire(
        &mut self,
        scope: LimitScope,
        limits: WindowLimits,
        now_ms: i64,
    ) -> Result<Permit, StoreError> {
        let key = scope_key(scope);
        // IMMEDIATE: take the write lock before reading, so two processes cannot both see room
        // for the last request.
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "DELETE FROM limiter_events WHERE grp = ?1 AND at_ms <= ?2",
            params![key, now_ms - HOUR_WINDOW_MS],
        )?;
        let penalty = tx
            .query_row(
                "SELECT blocked_until, reduced_until FROM limiter_penalties WHERE grp = ?1",
                [key],
                |r| {
                    Ok(Penalty {
                        blocked_until_ms: r.get(0)?,
                        reduced_until_ms: r.get(1)?,
                    })
                },
            )
            .optional()?;
        let grants: Vec<i64> = {
            let mut stmt = tx
                .prepare_cached("SELECT at_ms FROM limiter_events WHERE grp = ?1 ORDER BY at_ms")?;
            let rows = stmt.query_map([key], |r| r.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        let permit = decide(limits, penalty, &grants, now_ms);
        if permit == Permit::Granted {
            tx.execute(
                "INSERT INTO limiter_events (grp, at_ms) VALUES (?1, ?2)",
                params![key, now_ms],
            )?;
        }
        tx.commit()?;
        Ok(permit)
    }

    fn penalise(&mut self, scope: LimitScope, penalty: Penalty) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO limiter_penalties (grp, blocked_until, reduced_until) VALUES (?1, ?2, ?3)
             ON CONFLICT (grp) DO UPDATE SET
                 blocked_until = max(blocked_until, excluded.blocked_until),
                 reduced_until = max(reduced_until, excluded.reduced_until)",
            params![
                scope_key(scope),
                penalty.blocked_until_ms,
                penalty.reduced_until_ms
            ],
        )?;
        Ok(())
    }

    fn settle(&mut self, scope: LimitScope, now_ms: i64) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE limiter_events SET at_ms = max(at_ms, ?2)
             WHERE rowid = (SELECT rowid FROM limiter_events WHERE grp = ?1
                            ORDER BY at_ms DESC, rowid DESC LIMIT 1)",
            params![scope_key(scope), now_ms],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
