//! Typed store errors, each with a stable code that UIs key on.

use crate::state::SubmissionState;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error (I/O, constraint, busy…).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A pragma did not take effect (e.g. the file system does not support WAL).
    #[error("database setting {name} could not be applied (got {got:?})")]
    Pragma {
        /// The pragma's name.
        name: &'static str,
        /// What SQLite reported instead.
        got: String,
    },
    /// A schema migration failed; its transaction was rolled back.
    #[error("schema migration {version} failed: {source}")]
    Migration {
        /// The migration's version number.
        version: i64,
        /// The underlying error.
        source: rusqlite::Error,
    },
    /// The database was written by a newer KSeF Desk.
    #[error("database schema version {found} is newer than this build knows ({known})")]
    SchemaTooNew {
        /// The file's `user_version`.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// A state change the state machine forbids (a programmer error, never written).
    #[error("illegal state transition {from} -> {to}")]
    IllegalTransition {
        /// Current state.
        from: SubmissionState,
        /// Requested state.
        to: SubmissionState,
    },
    /// A row breaks what its state implies.
    #[error("invoice {id} breaks an invariant: {what}")]
    Invariant {
        /// The invoice's id.
        id: i64,
        /// Which invariant.
        what: &'static str,
    },
    /// A column holds a value this build does not understand.
    #[error("unexpected value {value:?} in column {column}")]
    Corrupt {
        /// The column.
        column: &'static str,
        /// The stored value.
        value: String,
    },
    /// No invoice with this id.
    #[error("invoice {0} not found")]
    InvoiceNotFound(i64),
    /// No company with this id.
    #[error("company {0} not found")]
    CompanyNotFound(i64),
}

impl StoreError {
    /// Stable machine-readable code for UIs and the CLI's JSON.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Sqlite(e) if is_busy(e) => "engine.store_busy",
            StoreError::Sqlite(rusqlite::Error::FromSqlConversionFailure(..)) => {
                "engine.store_corrupt"
            }
            StoreError::Sqlite(_) => "engine.store_io",
            StoreError::Pragma { .. } => "engine.store_pragma",
            StoreError::Migration { .. } => "engine.store_migration",
            StoreError::SchemaTooNew { .. } => "engine.store_schema_too_new",
            StoreError::IllegalTransition { .. } => "engine.illegal_transition",
            StoreError::Invariant { .. } => "engine.store_invariant",
            StoreError::Corrupt { .. } => "engine.store_corrupt",
            StoreError::InvoiceNotFound(_) => "engine.invoice_not_found",
            StoreError::CompanyNotFound(_) => "engine.company_not_found",
        }
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}
