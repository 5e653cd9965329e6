//! The settings file (`settings.json` in the data folder): what the user chose, plus which
//! company is active. The companies themselves live in the outbox store; files from builds that
//! listed their ids here still load (the field is ignored and dropped on the next save).
//!
//! Written atomically (temp file + rename) so a crash never leaves half a file; a missing file
//! means first run and yields the defaults.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{codes, DeskError, DeskResult};
use crate::types::Language;

/// File name of the settings inside the data folder.
pub const SETTINGS_FILE: &str = "settings.json";

/// What is persisted. Unknown fields are ignored and missing ones take defaults, so files from
/// older and newer builds both load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StoredSettings {
    /// UI language.
    pub language: Language,
    /// Desktop notifications on.
    pub notifications: bool,
    /// Folder watched for new invoices.
    pub watched_folder: Option<String>,
    /// The active company's id.
    pub active_company: Option<i64>,
}

impl Default for StoredSettings {
    fn default() -> StoredSettings {
        StoredSettings {
            language: Language::Pl,
            notifications: true,
            watched_folder: None,
            active_company: None,
        }
    }
}

/// Path of the settings file in `data_dir`.
pub fn settings_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SETTINGS_FILE)
}

/// Reads the settings; `None` when the file does not exist yet (first run).
pub fn load(data_dir: &Path) -> DeskResult<Option<StoredSettings>> {
    let path = settings_path(data_dir);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error("read", &path, &e)),
    };
    serde_json::from_str(&text).map(Some).map_err(|e| {
        DeskError::new(
            codes::SETTINGS_IO,
            format!("{} is not valid settings JSON: {e}", path.display()),
        )
    })
}

/// Writes the settings atomically.
pub fn save(data_dir: &Path, settings: &StoredSettings) -> DeskResult<()> {
    let path = settings_path(data_dir);
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_string_pretty(settings)
        .map_err(|e| DeskError::new(codes::SETTINGS_IO, e.to_string()))?;
    fs::write(&tmp, text).map_err(|e| io_error("write", &tmp, &e))?;
    fs::rename(&tmp, &path).map_err(|e| io_error("replace", &path, &e))
}

fn io_error(what: &str, path: &Path, e: &std::io::Error) -> DeskError {
    DeskError::new(
        codes::SETTINGS_IO,
        format!("cannot {what} {}: {e}", path.display()),
    )
}
