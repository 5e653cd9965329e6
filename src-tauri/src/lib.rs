//! KSeF Desk's Tauri 2 shell: set-up, command adapters and event forwarding only. Everything the
//! app does lives in `desk-api`, which the CLI can call too.
//!
//! Architecture invariant: no business logic here. Closing the window hides it (the engine keeps
//! running with a tray icon showing the queue and KSeF's state); Quit in the tray ends the app.

mod background;
pub mod commands;
mod sink;
mod tray;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use desk_api::types::{FilesDropped, Navigate};
use desk_api::{DeskApi, DeskOptions, KeyringStore};
use desk_api::{DeskEvent, EventSink};
use tauri::{DragDropEvent, Manager, RunEvent, Runtime, WindowEvent};

/// Environment variable that overrides the data folder (tests, portable installs).
pub const DATA_DIR_ENV: &str = "KSEF_DESK_DATA_DIR";
/// Label of the main window (see `tauri.conf.json` and `capabilities/`).
pub const MAIN_WINDOW: &str = "main";

/// `base` with every command registered (tests pass Tauri's mock builder).
pub fn with_commands<R: Runtime>(base: tauri::Builder<R>) -> tauri::Builder<R> {
    base.invoke_handler(tauri::generate_handler![
        commands::list_invoices,
        commands::invoice_anchors,
        commands::invoice_detail,
        commands::get_upo_xml,
        commands::start_import,
        commands::cancel_import,
        commands::pick_import_files,
        commands::pick_import_folder,
        commands::generate_demo_invoices,
        commands::dashboard,
        commands::invoice_counts,
        commands::engine_status,
        commands::export_weekly_report,
        commands::list_alerts,
        commands::resolve_alert,
        commands::dictionary,
        commands::get_settings,
        commands::save_settings,
        commands::list_companies,
        commands::add_company,
        commands::test_connection,
        commands::set_active_company,
        commands::schema_status,
        commands::fetch_schemas,
        commands::backup_database,
        commands::export_invoices,
        commands::save_upos,
        commands::remove_invalid,
    ])
}

/// Opens the application layer on `data_dir`, forwarding its events to `app`.
pub fn open_desk<R: Runtime>(
    app: &tauri::AppHandle<R>,
    data_dir: PathBuf,
) -> anyhow::Result<Arc<DeskApi>> {
    let desk = DeskApi::open(DeskOptions {
        data_dir,
        secrets: Arc::new(KeyringStore),
        events: Arc::new(sink::TauriSink::new(app.clone())),
        clock: Arc::new(engine::clock::SystemClock),
        rng: engine::rng::from_entropy(),
        schemas_dir: None,
    })
    .map_err(|e| anyhow::anyhow!("{}: {}", e.code, e.message))?;
    Ok(Arc::new(desk))
}

/// `KSEF_DESK_DATA_DIR`, else the platform's app data folder.
fn data_dir<R: Runtime>(app: &tauri::AppHandle<R>) -> anyhow::Result<PathBuf> {
    match std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => app
            .path()
            .app_data_dir()
            .context("no app data folder on this platform"),
    }
}

/// Shows and focuses the main window (tray "Show", a second launch).
fn show_main<R: Runtime>(app: &tauri::AppHandle<R>) {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}

/// Brings the main window forward showing `route` (a clicked notification's view).
fn open_route<R: Runtime>(app: &tauri::AppHandle<R>, route: String) {
    show_main(app);
    sink::TauriSink::new(app.clone()).emit(DeskEvent::Navigate(Navigate { route }));
}

/// Runs the desktop app until Quit.
pub fn run() -> anyhow::Result<()> {
    with_commands(tauri::Builder::<tauri::Wry>::new())
        // Must be first: a second launch only brings the running window forward.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            show_main(app)
        }))
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            let handle = app.handle().clone();
            let desk = open_desk(&handle, data_dir(&handle)?)?;
            app.manage(Arc::clone(&desk));
            tray::create(&handle)?;
            // A folder that cannot be watched raises an alert the user sees; the app runs on.
            let _ = desk.start_watching();
            background::start(handle, desk);
            Ok(())
        })
        .on_window_event(|window, event| match event {
            // Close hides to the tray; sending goes on. Quit is in the tray menu.
            WindowEvent::CloseRequested { api, .. } if window.label() == MAIN_WINDOW => {
                let _ = window.hide();
                api.prevent_close();
            }
            // Files dropped on the window go to the UI, which starts the import.
            WindowEvent::DragDrop(DragDropEvent::Drop { paths, .. }) => {
                let paths = paths.iter().map(|p| p.display().to_string()).collect();
                let dropped = DeskEvent::FilesDropped(FilesDropped { paths });
                sink::TauriSink::new(window.app_handle().clone()).emit(dropped);
            }
            _ => {}
        })
        .build(tauri::generate_context!())
        .context("KSeF Desk could not start")?
        .run(|app, event| {
            // Quit: let the runner finish its tick so no request is left half-recorded.
            if let RunEvent::Exit = event {
                if let Some(desk) = app.try_state::<Arc<DeskApi>>() {
                    let _ = desk.stop_sending();
                }
            }
        });
    Ok(())
}
