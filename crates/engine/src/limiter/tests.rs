//! Limiter tests: the pure decision against an independent brute-force window counter, the
//! SQLite budget shared by two handles on one file, and penalties.

use proptest::prelude::*;

use super::*;
use ksef_api::LimitGroup;

fn ctx(group: LimitGroup) -> LimitScope {
    LimitScope::Context(group)
}

fn production(group: LimitGroup) -> WindowLimits {
    RateLimiter::production().limits(ctx(group))
}
use crate::clock::{Clock, ManualClock};
use crate::store::test_support::temp_store;

/// Independent check: no window of any size ever holds more grants than its limit. The busiest
/// window of length `w` ending anywhere ends at some grant, so checking at each grant suffices.
fn assert_within_limits(grants: &[i64], limits: WindowLimits) {
    for (window_ms, limit) in [
        (SECOND_WINDOW_MS, limits.per_second),
        (MINUTE_WINDOW_MS, limits.per_minute),
        (HOUR_WINDOW_MS, limits.per_hour),
    ] {
        let Some(limit) = limit else { continue };
        for &end in grants {
            let inside = grants
                .iter()
                .filter(|&&t| t > end - window_ms && t <= end)
                .count();
            assert!(
                inside <= limit as usize,
                "{inside} grants in the {window_ms} ms window ending at {end} (limit {limit})"
            );
        }
    }
}

/// Runs `arrivals` (ascending request times) through `decide`, waiting whenever told to, and
/// checks each wait is both sufficient (granted at `until`) and tight (refused just before).
fn simulate(limits: WindowLimits, arrivals: &[i64]) -> Vec<i64> {
    let mut grants: Vec<i64> = Vec::new();
    let mut now = 0;
    for &arrival in arrivals {
        now = now.max(arrival);
        if let Permit::Wait { until_ms } = decide(limits, None, &grants, now) {
            assert!(until_ms > now, "a wait must lie in the future");
            assert_eq!(
                decide(limits, None, &grants, until_ms - 1),
                Permit::Wait { until_ms }
            );
            now = until_ms;
        }
        assert_eq!(
            decide(limits, None, &grants, now),
            Permit::Granted,
            "wait was too short"
        );
        grants.push(now);
    }
    grants
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn decide_never_exceeds_any_window(
        gaps in prop::collection::vec(0i64..3_000, 1..400),
        per_second in 1u32..6,
        per_minute in 1u32..20,
        per_hour in 1u32..60,
    ) {
        let limits = WindowLimits::new(per_second, per_minute, per_hour);
        let arrivals: Vec<i64> = gaps.iter().scan(0, |t, g| { *t += g; Some(*t) }).collect();
        let grants = simulate(limits, &arrivals);
        assert_within_limits(&grants, limits);
    }
}

#[test]
fn production_table_survives_a_long_burst() {
    let limiter = RateLimiter::production();
    let scopes = LimitGroup::ALL
        .into_iter()
        .map(ctx)
        .chain([LimitScope::PublicPerIp]);
    for scope in scopes {
        let limits = limiter.limits(scope);
        let arrivals = vec![0; 1_500];
        let grants = simulate(limits, &arrivals);
        assert_within_limits(&grants, limits);
    }
}

#[test]
fn sqlite_budget_holds_over_a_long_simulated_run() {
    let (_dir, mut store, _) = temp_store();
    let clock = ManualClock::new(0);
    let limiter = RateLimiter::production();
    let mut grants = Vec::new();
    while grants.len() < 400 {
        match limiter
            .try_acquire(&mut store, ctx(LimitGroup::InvoiceSend), clock.now_ms())
            .unwrap()
        {
            Permit::Granted => {
                grants.push(clock.now_ms());
                clock.advance(37); // a fast sender
            }
            Permit::Wait { until_ms } => clock.set(until_ms),
        }
    }
    assert_within_limits(&grants, production(LimitGroup::InvoiceSend));
    // 180/h: the 181st grant cannot come before the first has left the hour.
    assert!(grants[180] >= grants[0] + HOUR_WINDOW_MS);
    let kept: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM limiter_events", [], |r| r.get(0))
        .unwrap();
    assert!(
        kept <= 180,
        "grants older than an hour are pruned (kept {kept})"
    );
}

#[test]
fn two_handles_on_one_file_share_the_budget() {
    let (dir, mut a, _) = temp_store();
    let mut b = Store::open(&dir.path().join("outbox.db")).unwrap();
    let limiter = RateLimiter::production();
    let per_second = production(LimitGroup::SessionList).per_second.unwrap();
    let now = 1_000_000;
    for i in 0..per_second {
        let handle = if i % 2 == 0 { &mut a } else { &mut b };
        assert_eq!(
            limiter
                .try_acquire(handle, ctx(LimitGroup::SessionList), now)
                .unwrap(),
            Permit::Granted
        );
    }
    let expected = Permit::Wait {
        until_ms: now + SECOND_WINDOW_MS,
    };
    assert_eq!(
        limiter
            .try_acquire(&mut a, ctx(LimitGroup::SessionList), now)
            .unwrap(),
        expected
    );
    assert_eq!(
        limiter
            .try_acquire(&mut b, ctx(LimitGroup::SessionList), now)
            .unwrap(),
        expected
    );
    // Groups are independent.
    assert_eq!(
        limiter
            .try_acquire(&mut b, ctx(LimitGroup::InvoiceSend), now)
            .unwrap(),
        Permit::Granted
    );
}

#[test]
fn penalty_blocks_until_retry_after_then_halves_the_budget() {
    let (dir, mut store, _) = temp_store();
    let mut other = Store::open(&dir.path().join("outbox.db")).unwrap();
    let limiter = RateLimiter::production();
    let group = ctx(LimitGroup::InvoiceSend);
    let now = 5_000_000;
    limiter.penalise(&mut store, group, 30_000, now).unwrap();
    let blocked = Permit::Wait {
        until_ms: now + 30_000,
    };
    assert_eq!(
        limiter.try_acquire(&mut other, group, now).unwrap(),
        blocked
    );
    assert_eq!(
        limiter
            .try_acquire(&mut other, group, now + 29_999)
            .unwrap(),
        blocked
    );
    // A shorter Retry-After later does not shorten the block.
    limiter.penalise(&mut other, group, 1_000, now + 1).unwrap();
    assert_eq!(
        limiter.try_acquire(&mut store, group, now + 2).unwrap(),
        blocked
    );

    let after = now + 30_000;
    let full = limiter.limits(group).per_second.unwrap();
    let reduced = full / PENALTY_DIVISOR;
    for _ in 0..reduced {
        assert_eq!(
            limiter.try_acquire(&mut store, group, after).unwrap(),
            Permit::Granted
        );
    }
    assert!(matches!(
        limiter.try_acquire(&mut store, group, after).unwrap(),
        Permit::Wait { .. }
    ));
    // Once the penalty period is over, the full budget is back.
    let later = after + PENALTY_PERIOD_MS;
    for _ in 0..full {
        assert_eq!(
            limiter.try_acquire(&mut store, group, later).unwrap(),
            Permit::Granted
        );
    }
}

#[test]
fn zero_limit_still_makes_progress() {
    let limits = WindowLimits::new(0, 10, 10);
    assert_eq!(decide(limits, None, &[], 0), Permit::Granted);
    assert_eq!(
        decide(limits, None, &[0], 0),
        Permit::Wait { until_ms: 1_000 }
    );
}

/// The most requests any `window_ms` window (KSeF's: `(end - window, end]`) holds.
fn busiest(arrivals: &[i64], window_ms: i64) -> usize {
    arrivals
        .iter()
        .map(|&end| {
            arrivals
                .iter()
                .filter(|&&t| t > end - window_ms && t <= end)
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// A sequential client on the injected clock: each request is granted, reaches KSeF after its
/// latency (one in fifteen is slow, as behind a token refresh) and completes 1 ms later. Returns
/// the arrival times KSeF counts.
fn arrivals_at_ksef(settle: bool) -> Vec<i64> {
    const SLOW_LATENCY_MS: i64 = 400;
    let (_dir, mut store, _) = temp_store();
    let clock = ManualClock::new(0);
    let limiter = RateLimiter::production();
    let group = ctx(LimitGroup::SessionMisc);
    let mut arrivals = Vec::new();
    while arrivals.len() < 40 {
        match limiter
            .try_acquire(&mut store, group, clock.now_ms())
            .unwrap()
        {
            Permit::Granted => {
                let latency_ms = if arrivals.len() % 15 == 0 {
                    SLOW_LATENCY_MS
                } else {
                    1
                };
                arrivals.push(clock.now_ms() + latency_ms);
                clock.advance(latency_ms + 1);
                if settle {
                    limiter.settle(&mut store, group, clock.now_ms()).unwrap();
                }
            }
            Permit::Wait { until_ms } => clock.set(until_ms),
        }
    }
    arrivals
}

#[test]
fn a_grant_counted_from_its_completion_never_lets_ksefs_window_overfill() {
    let per_second = production(LimitGroup::SessionMisc).per_second.unwrap() as usize;
    // Counted from the grant, the slow request leaves our window 400 ms before it leaves
    // KSeF's, and the request granted at that edge is KSeF's eleventh in a second: a 429.
    assert!(busiest(&arrivals_at_ksef(false), SECOND_WINDOW_MS) > per_second);
    let settled = arrivals_at_ksef(true);
    assert_eq!(settled.len(), 40);
    assert!(busiest(&settled, SECOND_WINDOW_MS) <= per_second);
    assert!(busiest(&settled, MINUTE_WINDOW_MS) <= 120);
}

#[test]
fn settle_moves_only_the_newest_grant_and_never_back() {
    let (_dir, mut store, _) = temp_store();
    let limiter = RateLimiter::production();
    let group = ctx(LimitGroup::SessionList);
    let other = ctx(LimitGroup::InvoiceSend);
    for at in [100, 200] {
        assert_eq!(
            limiter.try_acquire(&mut store, group, at).unwrap(),
            Permit::Granted
        );
    }
    assert_eq!(
        limiter.try_acquire(&mut store, other, 300).unwrap(),
        Permit::Granted
    );
    limiter.settle(&mut store, group, 250).unwrap();
    limiter.settle(&mut store, other, 10).unwrap();
    let mut stmt = store
        .conn()
        .prepare("SELECT grp, at_ms FROM limiter_events ORDER BY grp, at_ms")
        .unwrap();
    let rows: Vec<(String, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let expected = [
        (LimitGroup::InvoiceSend.key(), 300),
        (LimitGroup::SessionList.key(), 100),
        (LimitGroup::SessionList.key(), 250),
    ];
    let expected: Vec<(String, i64)> = expected
        .iter()
        .map(|(g, t)| ((*g).to_owned(), *t))
        .collect();
    assert_eq!(rows, expected);
}
