//! One fake clock for everybody: the engine, the KSeF client and the simulator read the same time,
//! so a simulated hour passes by advancing a number, never by sleeping.

use chrono::{DateTime, TimeZone, Utc};
use engine::clock::{Clock as EngineClock, ManualClock};

/// A manually driven clock; clones share the same time.
#[derive(Debug, Clone)]
pub struct SharedClock {
    inner: ManualClock,
}

impl SharedClock {
    /// A clock frozen at `start`.
    pub fn at(start: DateTime<Utc>) -> SharedClock {
        SharedClock {
            inner: ManualClock::new(start.timestamp_millis()),
        }
    }

    /// 2026-09-01 09:00 UTC: after every official sample's issue date (latest 2026-08-17), so
    /// KSeF's "not issued in the future" rule accepts them all.
    pub fn after_samples() -> SharedClock {
        SharedClock::at(
            Utc.with_ymd_and_hms(2026, 9, 1, 9, 0, 0)
                .single()
                .unwrap_or_default(),
        )
    }

    /// Moves time forward by `delta_ms`.
    pub fn advance_ms(&self, delta_ms: i64) {
        self.inner.advance(delta_ms);
    }

    /// Jumps forward to `at_ms` (never backwards).
    pub fn set_ms(&self, at_ms: i64) {
        self.inner.set(at_ms);
    }

    /// The engine's view of this clock.
    pub fn manual(&self) -> ManualClock {
        self.inner.clone()
    }

    fn instant(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.inner.now_ms()).unwrap_or_default()
    }
}

impl EngineClock for SharedClock {
    fn now_ms(&self) -> i64 {
        self.inner.now_ms()
    }
}

impl ksef_sim::Clock for SharedClock {
    fn now(&self) -> DateTime<Utc> {
        self.instant()
    }
}

impl ksef_api::Clock for SharedClock {
    fn now(&self) -> DateTime<Utc> {
        self.instant()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_three_views_read_the_same_advancing_time() {
        let clock = SharedClock::after_samples();
        let start = EngineClock::now_ms(&clock);
        let other = clock.clone();
        other.advance_ms(3_600_000);
        assert_eq!(EngineClock::now_ms(&clock), start + 3_600_000);
        assert_eq!(
            ksef_sim::Clock::now(&clock).timestamp_millis(),
            start + 3_600_000
        );
        assert_eq!(ksef_api::Clock::now(&clock), ksef_sim::Clock::now(&other));
    }
}
