//! The shell's background thread: starts sending for the active company (the Sandbox's
//! simulator first when it is active; desk-api's runner then follows company switches and
//! pushes `invoices_changed`/`engine_status` itself), then every few seconds
//! forwards the engine status (tray tooltip + `engine_status` event, only when it changed) and
//! shows due desktop notifications (grouped and throttled by desk-api) with notify-rust.

use std::sync::Arc;
use std::time::Duration;

use desk_api::notify::Notice;
use desk_api::{DeskApi, DeskEvent, EventSink};
use tauri::{AppHandle, Runtime};

use crate::sink::TauriSink;

/// How often the status and notifications are looked at.
pub const STATUS_PERIOD: Duration = Duration::from_secs(2);

/// Starts the background thread; it ends with the process.
pub fn start<R: Runtime>(app: AppHandle<R>, desk: Arc<DeskApi>) {
    let spawned = std::thread::Builder::new()
        .name("ksef-desk-status".to_owned())
        .spawn(move || {
            // A runner that cannot start (no token, a failing Sandbox) is shown by KSeF's state
            // (unavailable) and explained by "test connection"; a company switch retries.
            let _ = desk.start_sending();
            let sink = TauriSink::new(app.clone());
            let mut last = None;
            loop {
                if let Ok(status) = desk.engine_status() {
                    if last.as_ref() != Some(&status) {
                        crate::tray::update(&app, &status);
                        sink.emit(DeskEvent::EngineStatus(status.clone()));
                        last = Some(status);
                    }
                }
                for notice in desk.poll_notices().unwrap_or_default() {
                    show(&notice);
                }
                std::thread::sleep(STATUS_PERIOD);
            }
        });
    // Without the thread the app still works; only the tray tooltip and notifications stay idle.
    drop(spawned);
}

fn show(notice: &Notice) {
    // No notification daemon (e.g. a bare X server) is not an error worth more than skipping.
    let _ = notify_rust::Notification::new()
        .appname("KSeF Desk")
        .summary(&notice.title)
        .show();
}
