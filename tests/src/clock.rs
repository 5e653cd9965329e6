//! One virtual clock for everybody: the engine, the KSeF client and the simulator read tokio's
//! (paused) time, so a simulated hour passes in the runtime's timer wheel, never by sleeping, and
//! the client's own waits (authentication polls, retry pauses) move the same time.

use chrono::{DateTime, TimeZone, Utc};
use engine::clock::Clock as EngineClock;
use tokio::time::Instant;

/// Wall-clock time that moves exactly as tokio's clock does; copies share the origin.
#[derive(Debug, Clone, Copy)]
pub struct VirtualClock {
    start_ms: i64,
    origin: Instant,
}

impl VirtualClock {
    /// A clock reading `start` now; must be created inside a tokio runtime.
    pub fn starting_at(start: DateTime<Utc>) -> VirtualClock {
        VirtualClock {
            start_ms: start.timestamp_millis(),
            origin: Instant::now(),
        }
    }

    /// 2026-09-01 09:00 UTC: after every official sample's issue date (latest 2026-08-17), so
    /// KSeF's "not issued in the future" rule accepts them all.
    pub fn after_samples() -> VirtualClock {
        let start = Utc.with_ymd_and_hms(2026, 9, 1, 9, 0, 0).single();
        VirtualClock::starting_at(start.unwrap_or_default())
    }

    /// The tokio instant at which this clock reads `at_ms` (the origin for earlier times).
    pub fn instant_at(&self, at_ms: i64) -> Instant {
        let ahead_ms = u64::try_from(at_ms.saturating_sub(self.start_ms)).unwrap_or(0);
        self.origin + std::time::Duration::from_millis(ahead_ms)
    }

    /// Sleeps (on tokio's clock) until this clock reads `at_ms`.
    pub async fn sleep_until_ms(&self, at_ms: i64) {
        tokio::time::sleep_until(self.instant_at(at_ms)).await;
    }

    fn instant(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.now_ms()).unwrap_or_default()
    }
}

impl EngineClock for VirtualClock {
    fn now_ms(&self) -> i64 {
        let elapsed_ms = i64::try_from(self.origin.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.start_ms.saturating_add(elapsed_ms)
    }
}

impl ksef_sim::Clock for VirtualClock {
    fn now(&self) -> DateTime<Utc> {
        self.instant()
    }
}

impl ksef_api::Clock for VirtualClock {
    fn now(&self) -> DateTime<Utc> {
        self.instant()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn all_three_views_follow_tokio_time() {
        let clock = VirtualClock::after_samples();
        let start = EngineClock::now_ms(&clock);
        clock.sleep_until_ms(start + 3_600_000).await;
        assert_eq!(EngineClock::now_ms(&clock), start + 3_600_000);
        assert_eq!(
            ksef_sim::Clock::now(&clock).timestamp_millis(),
            start + 3_600_000
        );
        assert_eq!(ksef_api::Clock::now(&clock), ksef_sim::Clock::now(&clock));
    }
}
