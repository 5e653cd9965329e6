//! Injected time: every engine timestamp is integer Unix milliseconds from a [`Clock`].
//!
//! Nothing in the engine reads the system time directly (nor SQL's `now()`), so tests drive time
//! explicitly with [`ManualClock`] instead of sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current time in Unix milliseconds.
pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
}

/// The operating system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        // A clock set before 1970 is a misconfigured machine; report the epoch rather than panic.
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// A clock that only moves when told to. Clones share the same time, so a test can hand one
/// clone to the code under test and advance another.
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    now_ms: Arc<AtomicI64>,
}

impl ManualClock {
    /// A clock frozen at `start_ms`.
    pub fn new(start_ms: i64) -> ManualClock {
        ManualClock {
            now_ms: Arc::new(AtomicI64::new(start_ms)),
        }
    }

    /// Moves time forward by `delta_ms` (which may be zero).
    pub fn advance(&self, delta_ms: i64) {
        assert!(delta_ms >= 0, "a ManualClock never goes backwards");
        self.now_ms.fetch_add(delta_ms, Ordering::SeqCst);
    }

    /// Jumps to `at_ms`, which must not be earlier than the current time.
    pub fn set(&self, at_ms: i64) {
        let previous = self.now_ms.swap(at_ms, Ordering::SeqCst);
        assert!(at_ms >= previous, "a ManualClock never goes backwards");
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.now_ms.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_clones_share_time() {
        let clock = ManualClock::new(1_000);
        let observer = clock.clone();
        clock.advance(250);
        assert_eq!(observer.now_ms(), 1_250);
        clock.set(5_000);
        assert_eq!(observer.now_ms(), 5_000);
    }

    #[test]
    #[should_panic(expected = "never goes backwards")]
    fn manual_clock_refuses_to_go_back() {
        let clock = ManualClock::new(1_000);
        clock.set(999);
    }

    #[test]
    fn system_clock_is_after_2020() {
        // 2020-01-01T00:00:00Z; guards against returning seconds or the zero fallback.
        assert!(SystemClock.now_ms() > 1_577_836_800_000);
    }
}
