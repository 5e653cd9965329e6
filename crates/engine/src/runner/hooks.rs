//! Crash injection: the runner asks its [`Hooks`] at every point between "a request reached
//! KSeF" and "its result is recorded", so tests can kill it exactly there and prove a fresh
//! runner on the same database converges without sending anything twice.

/// A point between a KSeF call and the durable record of its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CrashPoint {
    /// An online session was opened; its reference is not stored yet.
    AfterOpenSession,
    /// An invoice was sent; its invoice reference is not recorded yet.
    AfterSendBeforeRecord,
    /// The invoice reference is recorded (state `sent`).
    AfterSendRecorded,
    /// A batch session was opened and its parts uploaded; it is not closed yet.
    AfterBatchUpload,
    /// A session close request was answered; the close is not recorded yet.
    AfterCloseSession,
    /// A status answer arrived; the verdict is not recorded yet.
    AfterStatusBeforeRecord,
    /// A UPO was downloaded; it is not stored yet.
    AfterUpoDownloadBeforeStore,
}

impl CrashPoint {
    /// Every crash point, for tests that crash at each in turn.
    pub const ALL: [CrashPoint; 7] = [
        CrashPoint::AfterOpenSession,
        CrashPoint::AfterSendBeforeRecord,
        CrashPoint::AfterSendRecorded,
        CrashPoint::AfterBatchUpload,
        CrashPoint::AfterCloseSession,
        CrashPoint::AfterStatusBeforeRecord,
        CrashPoint::AfterUpoDownloadBeforeStore,
    ];
}

/// A simulated process death: the runner stops at once and records nothing more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("injected crash at {0:?}")]
pub struct InjectedCrash(pub CrashPoint);

/// Test hooks; production uses [`NoHooks`].
pub trait Hooks: Send + Sync {
    /// Called at `point`; returning `Err` makes the runner return immediately, as if killed.
    fn crash_point(&self, point: CrashPoint) -> Result<(), InjectedCrash> {
        let _ = point;
        Ok(())
    }
}

/// No crashes: the production hooks.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHooks;

impl Hooks for NoHooks {}

/// Crashes the first time the runner reaches one chosen point, then never again.
#[derive(Debug)]
pub struct CrashOnce {
    point: CrashPoint,
    fired: std::sync::atomic::AtomicBool,
}

impl CrashOnce {
    /// Arms a crash at `point`.
    pub fn at(point: CrashPoint) -> CrashOnce {
        CrashOnce {
            point,
            fired: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Whether the crash has happened.
    pub fn fired(&self) -> bool {
        self.fired.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Hooks for CrashOnce {
    fn crash_point(&self, point: CrashPoint) -> Result<(), InjectedCrash> {
        if point == self.point && !self.fired.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return Err(InjectedCrash(point));
        }
        Ok(())
    }
}
