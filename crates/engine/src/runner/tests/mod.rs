//! Runner tests: hooks here; end-to-end runs against the in-process simulator in `sim` and, for
//! unknown outcomes, attachments and UPO fallbacks, in `resolve`.

use super::*;

#[test]
fn crash_once_fires_only_at_its_point_and_only_once() {
    let hooks = CrashOnce::at(CrashPoint::AfterSendBeforeRecord);
    assert_eq!(hooks.crash_point(CrashPoint::AfterOpenSession), Ok(()));
    assert!(!hooks.fired());
    assert_eq!(
        hooks.crash_point(CrashPoint::AfterSendBeforeRecord),
        Err(InjectedCrash(CrashPoint::AfterSendBeforeRecord))
    );
    assert!(hooks.fired());
    assert_eq!(hooks.crash_point(CrashPoint::AfterSendBeforeRecord), Ok(()));
}

mod resolve;
mod sim;
