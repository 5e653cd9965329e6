//! The shell's background thread: starts sending for the active company (the Sandbox's
//! simulator first when it is active; desk-api's runner then follows company switches and
//! pushes `invoices_changed`/`engine_status` itself), then every few seconds
//! forwards the engine status (tray tooltip + `engine_status` event, only when it changed) and
//! shows due desktop notifications (grouped and throttled by desk-api) with notify-rust. Where
//! the platform reports clicks (XDG desktops), a click opens the view desk-api chose for the
//! notification.

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
                    show(&app, &notice);
                }
                std::thread::sleep(STATUS_PERIOD);
            }
        });
    // Without the thread the app still works; only the tray tooltip and notifications stay idle.
    drop(spawned);
}

#[cfg(all(unix, not(target_os = "macos")))]
fn show<R: Runtime>(app: &AppHandle<R>, notice: &Notice) {
    // No notification daemon (e.g. a bare X server) is not an error worth more than skipping.
    let Ok(handle) = notify_rust::Notification::new()
        .appname("KSeF Desk")
        .summary(&notice.title)
        .action("default", &notice.title)
        .show()
    else {
        return;
    };
    let app = app.clone();
    let route = notice.route();
    // Waiting for the click blocks until the notification is clicked or closed (daemons expire
    // them), so each waits on its own thread; notices are throttled to one burst a minute.
    let spawned = std::thread::Builder::new()
        .name("ksef-desk-notice".to_owned())
        .spawn(move || {
            handle.wait_for_action(|action| {
                if action == "default" {
                    crate::open_route(&app, route);
                }
            });
        });
    drop(spawned);
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
fn show<R: Runtime>(_app: &AppHandle<R>, notice: &Notice) {
    // Clicks are not reported here; the notification informs, the tray opens the app.
    let _ = notify_rust::Notification::new()
        .appname("KSeF Desk")
        .summary(&notice.title)
        .show();
}
