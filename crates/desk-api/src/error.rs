//! The one error shape that crosses to the UI: a stable dictionary code plus a message.
//!
//! Lower layers keep their own typed errors; this module classifies them into `DeskError` once,
//! so the shell never inspects messages and the UI switches on `code` only.

use serde::Serialize;
use ts_rs::TS;

/// Codes desk-api itself reports (the engine, fa3 and KSeF codes pass through unchanged).
pub mod codes {
    /// The OS keyring (Secret Service, Keychain, Credential Manager) cannot be reached.
    pub const KEYRING_UNAVAILABLE: &str = "desk.keyring_unavailable";
    /// The company has no KSeF token stored.
    pub const TOKEN_MISSING: &str = "desk.token_missing";
    /// The settings file cannot be read or written.
    pub const SETTINGS_IO: &str = "desk.settings_io";
    /// The data folder cannot be created or used.
    pub const DATA_DIR: &str = "desk.data_dir";
    /// A request argument is invalid (bad NIP, unknown id, empty name…).
    pub const INVALID_INPUT: &str = "desk.invalid_input";
    /// The in-process Sandbox simulator could not start.
    pub const SANDBOX_START: &str = "desk.sandbox_start";
    /// No company is active.
    pub const NO_ACTIVE_COMPANY: &str = "desk.no_active_company";
    /// The command exists in the UI contract but the engine cannot serve it yet.
    pub const NOT_AVAILABLE: &str = "desk.not_available";
    /// A KSeF endpoint could not be reached.
    pub const CONNECTION_FAILED: &str = "desk.connection_failed";
    /// An import job id that is not running.
    pub const UNKNOWN_JOB: &str = "desk.unknown_job";
    /// An earlier operation panicked mid-way and left shared state unusable.
    pub const INTERNAL: &str = "desk.internal";
    /// The watched folder cannot be watched or its files cannot be imported.
    pub const WATCHED_FOLDER: &str = "desk.watched_folder";
}

/// Every failure as the UI sees it: `{ code, message }`. The message is for people and logs; it
/// never contains tokens or keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[error("{code}: {message}")]
pub struct DeskError {
    /// A dictionary key (e.g. `desk.keyring_unavailable`, `engine.invoice_not_found`).
    pub code: String,
    /// A human-readable explanation.
    pub message: String,
}

impl DeskError {
    /// An error with `code` and `message`.
    pub fn new(code: &str, message: impl Into<String>) -> DeskError {
        DeskError {
            code: code.to_owned(),
            message: message.into(),
        }
    }

    /// A bad argument from the caller.
    pub fn invalid(message: impl Into<String>) -> DeskError {
        DeskError::new(codes::INVALID_INPUT, message)
    }
}

impl From<engine::store::StoreError> for DeskError {
    fn from(e: engine::store::StoreError) -> DeskError {
        DeskError::new(e.code(), e.to_string())
    }
}

/// Result of every desk-api command.
pub type DeskResult<T> = Result<T, DeskError>;
