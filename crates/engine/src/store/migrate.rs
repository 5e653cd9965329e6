//! Versioned schema migrations: embedded SQL files, each applied in its own transaction together
//! with the `PRAGMA user_version` bump, so a crash leaves the schema at a whole version.

use rusqlite::{Connection, Transaction, TransactionBehavior};

use super::StoreError;

/// Every migration in order; the version of entry `i` is `i + 1`. Never edit a released entry:
/// append a new one.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_outbox.sql"),
    include_str!("migrations/0002_ksef_number_index.sql"),
    include_str!("migrations/0003_removed_invalid.sql"),
    include_str!("migrations/0004_lookup_indexes.sql"),
    include_str!("migrations/0005_list_indexes.sql"),
    include_str!("migrations/0006_sandbox_environment.sql"),
    include_str!("migrations/0007_upo_documents.sql"),
];

/// The schema version this build produces.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Applies every migration newer than the file's `user_version`. Idempotent.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    migrate_to(conn, MIGRATIONS.len())
}

/// Applies the first `count` migrations where not applied yet (tests stop at older versions).
///
/// A migration may rebuild a table other tables reference (SQLite's documented procedure for
/// changes ALTER TABLE cannot make): that needs foreign-key enforcement off, which cannot change
/// inside a transaction. So enforcement is off while migrating, each migration checks every key
/// itself before it commits, and the connection's setting is restored afterwards.
fn migrate_to(conn: &mut Connection, count: usize) -> Result<(), StoreError> {
    let enforced: bool = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
    conn.pragma_update(None, "foreign_keys", false)?;
    let applied = apply(conn, count);
    let restored = conn.pragma_update(None, "foreign_keys", enforced);
    applied?;
    Ok(restored?)
}

fn apply(conn: &mut Connection, count: usize) -> Result<(), StoreError> {
    for (index, sql) in MIGRATIONS.iter().enumerate().take(count) {
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
            .and_then(|()| keys_intact(&tx))
            .and_then(|()| tx.pragma_update(None, "user_version", version))
            .map_err(|source| StoreError::Migration { version, source })?;
        tx.commit()?;
    }
    Ok(())
}

/// Fails with SQLite's own foreign-key error when any row references a missing parent.
fn keys_intact(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let broken: i64 = tx.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
        r.get(0)
    })?;
    if broken == 0 {
        return Ok(());
    }
    Err(rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY),
        Some(format!(
            "{broken} rows reference a missing row after the migration"
        )),
    ))
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

    /// A file at schema 3 (before the Sandbox had its own environment name), with data.
    fn at_version_3(path: &std::path::Path) -> rusqlite::Connection {
        let mut conn = rusqlite::Connection::open(path).expect("open");
        conn.execute_batch("PRAGMA foreign_keys = ON;")
            .expect("keys on");
        super::migrate_to(&mut conn, 3).expect("migrate to 3");
        conn.execute_batch(
            "INSERT INTO companies (id, name, environment, nip, base_url, keyring_ref, created_at)
             VALUES (1, 'Sandbox', 'test', '5265877635', 'in-process', 'sandbox', 0),
                    (7, 'TE', 'test', '7352765225', 'https://api-test.ksef.mf.gov.pl/v2', 'k7', 1),
                    (9, 'Demo', 'demo', '5265877635', 'https://api-demo.ksef.mf.gov.pl/v2', 'k9', 2);
             INSERT INTO ksef_sessions (id, company_id, ref, kind, state, opened_at)
             VALUES (3, 7, 'S-1', 'online', 'open', 5);",
        )
        .expect("companies");
        for (id, company) in [(11, 1), (12, 7), (13, 9), (14, 7)] {
            conn.execute(
                "INSERT INTO invoices (id, company_id, file_name, source_path, original, size_bytes,
                     sha256, content_hash, state, next_attempt_at, trace_id, created_at,
                     updated_at, removed_at)
                 VALUES (?1, ?2, 'f.xml', 'f.xml', x'3c612f3e', 4, printf('%064d', ?1),
                     printf('h%d', ?1), 'queued', 0, 't', 0, 0, NULL)",
                [id, company],
            )
            .expect("invoice");
        }
        conn
    }

    fn rows(conn: &rusqlite::Connection, sql: &str) -> Vec<Vec<String>> {
        let mut stmt = conn.prepare(sql).expect("prepare");
        let width = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                (0..width)
                    .map(|i| {
                        r.get::<_, rusqlite::types::Value>(i)
                            .map(|v| format!("{v:?}"))
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .expect("query");
        rows.collect::<Result<_, _>>().expect("rows")
    }

    #[test]
    fn the_companies_rebuild_keeps_every_row_and_key_and_renames_only_the_sandbox() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("v3.db");
        let mut conn = at_version_3(&path);
        let companies = "SELECT id, name, environment, nip, base_url, keyring_ref, created_at
                         FROM companies ORDER BY id";
        let children = "SELECT 'invoice', id, company_id FROM invoices
                        UNION ALL SELECT 'session', id, company_id FROM ksef_sessions ORDER BY 1, 2";
        let mut expected = rows(&conn, companies);
        let children_before = rows(&conn, children);
        expected[0][2] = format!("{:?}", rusqlite::types::Value::Text("sandbox".into()));

        super::migrate(&mut conn).expect("migrate");

        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        assert_eq!(version, super::SCHEMA_VERSION);
        assert_eq!(rows(&conn, companies), expected);
        assert_eq!(rows(&conn, children), children_before);
        // Enforcement is back on and the children's keys point at the rebuilt table.
        let enforced: bool = conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .expect("pragma");
        assert!(enforced);
        assert!(rows(&conn, "PRAGMA foreign_key_check").is_empty());
        assert!(conn
            .execute("DELETE FROM companies WHERE id = 7", [])
            .is_err());
        let orphan = conn.execute("UPDATE invoices SET company_id = 999 WHERE id = 12", []);
        assert!(orphan.is_err(), "a missing company must be refused");
        // The new CHECK: `sandbox` is a name now, anything else still is not.
        let named = |env: &str| {
            conn.execute(
                "INSERT INTO companies (name, environment, nip, base_url, keyring_ref, created_at)
                 VALUES ('x', ?1, '1111111111', 'u', 'k', 0)",
                [env],
            )
        };
        assert!(named("sandbox").is_ok());
        assert!(named("staging").is_err());
    }

    #[test]
    fn a_migration_that_leaves_a_broken_key_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let mut conn = at_version_3(&dir.path().join("broken.db"));
        conn.execute_batch("PRAGMA foreign_keys = OFF;")
            .expect("keys off");
        let tx = conn.transaction().expect("tx");
        super::keys_intact(&tx).expect("intact before");
        tx.execute("UPDATE invoices SET company_id = 999 WHERE id = 13", [])
            .expect("orphan");
        let err = super::keys_intact(&tx).expect_err("orphan found");
        assert_eq!(
            err.sqlite_error_code(),
            Some(rusqlite::ErrorCode::ConstraintViolation)
        );
    }

    #[test]
    fn upo_documents_are_kept_once_and_every_receipt_still_reads_its_bytes() {
        let dir = tempfile::tempdir().expect("dir");
        let mut conn = at_version_3(&dir.path().join("v3-upos.db"));
        // Invoices 11 and 12 share one session UPO page; 13 has its own.
        let page = b"<Potwierdzenie>page \xC5\x9B</Potwierdzenie>\r\n".to_vec();
        let single = b"<Potwierdzenie>single</Potwierdzenie>".to_vec();
        let sha = |bytes: &[u8]| hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes));
        for (id, invoice, xml, verified) in [
            (1, 11, &page, true),
            (2, 12, &page, true),
            (3, 13, &single, false),
        ] {
            conn.execute(
                "INSERT INTO upos (id, invoice_id, xml, sha256, verified, fetched_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 100)",
                rusqlite::params![id, invoice, xml, sha(xml), verified],
            )
            .expect("upo");
        }
        let receipts = "SELECT id, invoice_id, sha256, verified, fetched_at FROM upos ORDER BY id";
        let before = rows(&conn, receipts);

        super::migrate(&mut conn).expect("migrate");

        assert_eq!(rows(&conn, receipts), before);
        let documents: i64 = conn
            .query_row("SELECT count(*) FROM upo_documents", [], |r| r.get(0))
            .expect("count");
        assert_eq!(documents, 2, "the shared page is stored once");
        for (invoice, xml) in [(11, &page), (12, &page), (13, &single)] {
            let stored: Vec<u8> = conn
                .query_row(
                    "SELECT d.xml FROM upos u JOIN upo_documents d ON d.sha256 = u.sha256
                     WHERE u.invoice_id = ?1",
                    [invoice],
                    |r| r.get(0),
                )
                .expect("receipt");
            assert_eq!(&stored, xml, "invoice {invoice}");
        }
        // A receipt must point at a stored document.
        let dangling = conn.execute(
            "INSERT INTO upos (invoice_id, sha256, verified, fetched_at)
             VALUES (14, printf('%064d', 0), 1, 0)",
            [],
        );
        assert!(dangling.is_err());
    }
}
