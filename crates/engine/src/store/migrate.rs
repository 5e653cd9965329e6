//! Versioned schema migrations: embedded SQL files, each applied in its own transaction together
//! with the `PRAGMA user_version` bump, so a crash leaves the schema at a whole version.

use rusqlite::{Connection, TransactionBehavior};

use super::StoreError;

/// Every migration in order; the version of entry `i` is `i + 1`. Never edit a released entry:
/// append a new one.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_outbox.sql"),
    include_str!("migrations/0002_ksef_number_index.sql"),
    include_str!("migrations/0003_removed_invalid.sql"),
    include_str!("migrations/0004_lookup_indexes.sql"),
    include_str!("migrations/0005_list_indexes.sql"),
];

/// The schema version this build produces.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Applies every migration newer than the file's `user_version`. Idempotent.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    for (index, sql) in MIGRATIONS.iter().enumerate() {
        let version = index as i64 + 1;
        // IMMEDIATE takes the write lock before reading the version, so two processes opening a
        // fresh file at once cannot both apply the same migration.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if current > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                found: current,
                known: SCHEMA_VERSION,
            });
        }
        if current >= version {
            continue;
        }
        tx.execute_batch(sql)
            .and_then(|()| tx.pragma_update(None, "user_version", version))
            .map_err(|source| StoreError::Migration { version, source })?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::Store;

    /// The steps of SQLite's plan for `sql`.
    fn plan(store: &Store, sql: &str) -> Vec<String> {
        let mut stmt = store
            .conn()
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("plan");
        let steps = stmt
            .query_map([], |r| r.get::<_, String>(3))
            .expect("steps");
        steps.collect::<Result<_, _>>().expect("step")
    }

    #[test]
    fn lookups_by_content_hash_and_by_invoice_state_search_an_index() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(&dir.path().join("plan.db")).expect("open");
        let by_hash = plan(
            &store,
            "SELECT 1 FROM invoices WHERE company_id = 1 AND sha256 = 'x' LIMIT 1",
        );
        assert!(
            by_hash
                .iter()
                .any(|s| s.contains("(company_id=? AND sha256=?)")),
            "{by_hash:?}"
        );
        let entered = plan(
            &store,
            "SELECT max(at) FROM events WHERE invoice_id = 1 AND to_state = 'sent'",
        );
        assert!(
            entered
                .iter()
                .any(|s| s.contains("(invoice_id=? AND to_state=?)")),
            "{entered:?}"
        );
    }
}
