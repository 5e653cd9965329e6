//! The tray icon: queue depth and KSeF's state in the tooltip, Show and Quit in the menu.

use desk_api::types::{EngineStatus, KsefAvailability};
use tauri::menu::{Menu, MenuItem};
use tauri::tray::{MouseButton, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Runtime};

/// Id of the one tray icon.
pub const TRAY_ID: &str = "main";

/// Creates the tray icon and its menu.
pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let show = MenuItem::with_id(app, "show", "Pokaż / Show", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Zakończ / Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&show, &quit])?;
    let mut tray = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip("KSeF Desk")
        .menu(&menu)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "show" => crate::show_main(app),
            "quit" => app.exit(0),
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::DoubleClick {
                button: MouseButton::Left,
                ..
            } = event
            {
                crate::show_main(tray.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    Ok(())
}

/// Puts the engine status into the tooltip.
pub fn update<R: Runtime>(app: &AppHandle<R>, status: &EngineStatus) {
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        let _ = tray.set_tooltip(Some(tooltip(status)));
    }
}

/// "KSeF Desk — 12 in queue — KSeF: available".
pub fn tooltip(status: &EngineStatus) -> String {
    let ksef = match status.ksef.state {
        KsefAvailability::Available => "available",
        KsefAvailability::Degraded => "degraded",
        KsefAvailability::Unavailable => "unavailable",
    };
    format!("KSeF Desk — {} in queue — KSeF: {ksef}", status.queue_depth)
}

#[cfg(test)]
mod tests {
    use super::*;
    use desk_api::types::KsefStatus;

    #[test]
    fn tooltip_names_queue_and_ksef_state() {
        let status = EngineStatus {
            queue_depth: 12,
            ksef: KsefStatus {
                state: KsefAvailability::Degraded,
                since: None,
            },
        };
        assert_eq!(tooltip(&status), "KSeF Desk — 12 in queue — KSeF: degraded");
    }
}
