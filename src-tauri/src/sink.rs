//! Forwards desk-api's events to the webview under their wire names.

use desk_api::{DeskEvent, EventSink};
use tauri::{AppHandle, Emitter, Runtime};

/// An [`EventSink`] that emits on a Tauri app.
pub struct TauriSink<R: Runtime> {
    app: AppHandle<R>,
}

impl<R: Runtime> TauriSink<R> {
    /// A sink emitting on `app`.
    pub fn new(app: AppHandle<R>) -> TauriSink<R> {
        TauriSink { app }
    }
}

impl<R: Runtime> EventSink for TauriSink<R> {
    fn emit(&self, event: DeskEvent) {
        // No window listening (closed to the tray) is normal; the UI re-queries when shown.
        let _ = self.app.emit(event.name(), event.payload());
    }
}
