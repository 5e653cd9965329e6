//! Runner tests: hooks here; end-to-end runs against the in-process simulator in `sim`, for
//! unknown outcomes, attachments and UPO fallbacks in `resolve`, and for 440 duplicates whose
//! original KSeF will not list to us in `duplicate`, stuck thresholds in `stuck`, and the order
//! of a request's gates in `gates`.

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

mod duplicate;
mod gates;
mod resolve;
mod sim;
mod stuck;
