//! The watched folder as the app runs it: started from the settings at start-up and again
//! whenever the user picks or clears the folder. Complete files go through `start_import`, the
//! same path as a manual import (validation, idempotency, progress and finish events, notices),
//! so the invoice list refreshes the same way. Every failure becomes an alert.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};

use super::{lock, DeskApi};
use crate::error::{codes, DeskError, DeskResult};
use crate::watch::{FolderWatch, WatchHandler};

/// Alert family of watched-folder failures.
pub const WATCH_ALERT: &str = "watched_folder";

/// Reports back to the app without keeping it alive (the app owns the watch).
struct Handler(Weak<DeskApi>);

impl WatchHandler for Handler {
    fn ready(&self, files: Vec<PathBuf>) {
        let Some(api) = self.0.upgrade() else { return };
        let paths = files.iter().map(|p| p.display().to_string()).collect();
        if let Err(e) = api.start_import(paths) {
            api.watch_alert(&e.message);
        }
    }

    fn failed(&self, message: String) {
        if let Some(api) = self.0.upgrade() {
            api.watch_alert(&message);
        }
    }
}

impl DeskApi {
    /// Starts watching the folder named in the settings, replacing any earlier watch; with no
    /// folder set, stops watching. A folder that cannot be watched raises an alert and is
    /// returned as an error.
    pub fn start_watching(self: &Arc<Self>) -> DeskResult<()> {
        let folder = lock(&self.settings)?.watched_folder.clone();
        let mut slot = lock(&self.watch)?;
        // The old watch ends first, so one folder is never imported by two watchers.
        *slot = None;
        let Some(folder) = folder else {
            return Ok(());
        };
        let handler = Handler(Arc::downgrade(self));
        match FolderWatch::start(Path::new(&folder), Arc::clone(&self.clock), handler) {
            Ok(watch) => {
                *slot = Some(watch);
                Ok(())
            }
            Err(e) => {
                let message = format!("cannot watch {folder}: {e}");
                drop(slot);
                self.watch_alert(&message);
                Err(DeskError::new(codes::WATCHED_FOLDER, message))
            }
        }
    }

    /// The folder being watched now, if any.
    pub fn watching(&self) -> Option<PathBuf> {
        self.watch
            .lock()
            .ok()
            .and_then(|w| w.as_ref().map(|w| w.folder().to_path_buf()))
    }

    /// Raises (or keeps open) the watched-folder alert with `message`.
    fn watch_alert(&self, message: &str) {
        tracing::warn!(%message, "watched folder");
        let raised = lock(&self.store).and_then(|mut store| {
            store
                .raise_alert(
                    WATCH_ALERT,
                    None,
                    codes::WATCHED_FOLDER,
                    message,
                    self.clock.now_ms(),
                )
                .map_err(DeskError::from)
        });
        if let Err(e) = raised {
            tracing::error!(code = %e.code, "the watched-folder alert could not be stored");
        }
    }
}
