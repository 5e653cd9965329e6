//! Push events from the application to whoever shows it (the Tauri shell forwards them to the
//! webview under their wire names; tests collect them).

use std::sync::Mutex;

use crate::types::{
    EngineStatus, FilesDropped, ImportFinished, ImportProgress, InvoicesChanged, Navigate,
};

/// One push event; [`DeskEvent::name`] is the wire name the UI listens for.
#[derive(Debug, Clone, PartialEq)]
pub enum DeskEvent {
    /// `import_progress`.
    ImportProgress(ImportProgress),
    /// `import_finished`.
    ImportFinished(ImportFinished),
    /// `files_dropped`.
    FilesDropped(FilesDropped),
    /// `engine_status`.
    EngineStatus(EngineStatus),
    /// `invoices_changed`.
    InvoicesChanged(InvoicesChanged),
    /// `navigate`: the shell asks the UI to show a view (a notification was clicked).
    Navigate(Navigate),
}

impl DeskEvent {
    /// The event name in `BackendEvents` (types.ts).
    pub const fn name(&self) -> &'static str {
        match self {
            DeskEvent::ImportProgress(_) => "import_progress",
            DeskEvent::ImportFinished(_) => "import_finished",
            DeskEvent::FilesDropped(_) => "files_dropped",
            DeskEvent::EngineStatus(_) => "engine_status",
            DeskEvent::InvoicesChanged(_) => "invoices_changed",
            DeskEvent::Navigate(_) => "navigate",
        }
    }

    /// The payload as JSON, as the UI receives it.
    pub fn payload(&self) -> serde_json::Value {
        let value = match self {
            DeskEvent::ImportProgress(p) => serde_json::to_value(p),
            DeskEvent::ImportFinished(p) => serde_json::to_value(p),
            DeskEvent::FilesDropped(p) => serde_json::to_value(p),
            DeskEvent::EngineStatus(p) => serde_json::to_value(p),
            DeskEvent::InvoicesChanged(p) => serde_json::to_value(p),
            DeskEvent::Navigate(p) => serde_json::to_value(p),
        };
        // These are plain structs of strings and numbers; serialising them cannot fail.
        value.unwrap_or(serde_json::Value::Null)
    }
}

/// Where events go. Implementations must be cheap and must not block.
pub trait EventSink: Send + Sync {
    /// Delivers one event.
    fn emit(&self, event: DeskEvent);
}

/// Drops every event (headless use without listeners).
#[derive(Debug, Default)]
pub struct NullSink;

impl EventSink for NullSink {
    fn emit(&self, _event: DeskEvent) {}
}

/// Keeps every event in order, for tests and for callers that poll.
#[derive(Debug, Default)]
pub struct RecordingSink {
    events: Mutex<Vec<DeskEvent>>,
}

impl RecordingSink {
    /// Everything emitted so far.
    pub fn events(&self) -> Vec<DeskEvent> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }
}

impl EventSink for RecordingSink {
    fn emit(&self, event: DeskEvent) {
        if let Ok(mut events) = self.events.lock() {
            events.push(event);
        }
    }
}
