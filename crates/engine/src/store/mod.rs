//! The durable outbox on SQLite: one row per invoice (the intent), one per attempt, an
//! append-only event log, and the shared rate-limit budget.
//!
//! # Claim → call → record
//! A database transaction is never held across a network call. Workers follow three steps:
//! 1. **claim** ([`Store::claim_ready`]): one short transaction moves due invoices to `sending`,
//!    stamps a lease and bumps the fencing token;
//! 2. **call** KSeF with no transaction open;
//! 3. **record** ([`Store::apply_fenced`]): one short transaction guarded by
//!    `WHERE id = ? AND fence = ?`, so a worker whose lease expired — and whose invoice was since
//!    resolved or re-claimed — changes nothing.
//!
//! Durability: WAL journal, `synchronous=FULL` (a commit survives power loss), foreign keys on.

mod app;
mod error;
mod invoices;
mod keyset;
mod migrate;
mod queries;
mod records;

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

pub use app::{DayCounts, DAY_MS, REMOVED_DETAIL};
pub use error::StoreError;
pub(crate) use invoices::{find_by_content_hash, find_live_duplicate, insert_invoice};
pub use invoices::{
    AttemptRecord, ClaimOutcome, Claimed, Company, InvoiceRow, NewCompany, NewFinding, NewInvoice,
    CONFLICT_CODE,
};
pub use keyset::{KeyValue, SortKey};
pub use queries::{
    AttemptRow, ErrorCount, EventRow, InvoiceFilter, InvoicePage, InvoiceSort, InvoiceSummaryRow,
    Metrics, SortDirection,
};
pub use records::{Alert, AlertId, Upo};

/// How long a connection waits for another process's write lock before reporting busy.
pub const BUSY_TIMEOUT_MS: u64 = 5_000;

/// Row id of an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct InvoiceId(pub i64);

/// Row id of a company (a KSeF context in one environment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct CompanyId(pub i64);

/// Fencing token: bumped on every claim and override; every worker write must present the value
/// it got when claiming.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fence(pub i64);

/// A handle on the outbox database. Several handles (threads or processes) may open the same file.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS))?;
        // journal_mode returns a row, so it is queried rather than executed.
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Pragma {
                name: "journal_mode",
                got: mode,
            });
        }
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
        let mut store = Store { conn };
        migrate::migrate(&mut store.conn)?;
        Ok(store)
    }

    /// The schema version this database is at (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// Raw connection, for this crate's other modules and white-box tests.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Raw mutable connection, to open transactions.
    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
mod tests;
