//! Reads and maintenance the desktop app needs beyond the runner's: the companies, which rows
//! have a UPO, the per-day counts of the dashboard chart, and an online backup of the database.

use std::collections::HashSet;
use std::path::Path;

use rusqlite::params;

use super::queries::COMPANY_INVOICE_IDS;
use super::{Company, CompanyId, InvoiceId, Store, StoreError};

/// Length of one chart day, in milliseconds (days are UTC days).
pub const DAY_MS: i64 = 86_400_000;

/// Detail of the event recording that a person removed an invalid invoice from the list.
pub const REMOVED_DETAIL: &str = "removed from the list";

/// How many invoices reached each state on one UTC day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct DayCounts {
    /// Start of the day (Unix ms, a multiple of [`DAY_MS`]).
    pub day_start_ms: i64,
    /// Invoices accepted that day.
    pub accepted: i64,
    /// Invoices rejected that day.
    pub rejected: i64,
    /// Invoices queued that day (imported, or requeued by a person).
    pub queued: i64,
}

impl Store {
    /// Every company, in the order they were added.
    pub fn companies(&self) -> Result<Vec<Company>, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT id, name, environment, nip, base_url, keyring_ref FROM companies ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Company {
                id: CompanyId(r.get(0)?),
                name: r.get(1)?,
                environment: r.get(2)?,
                nip: r.get(3)?,
                base_url: r.get(4)?,
                keyring_ref: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Which of `ids` have a stored UPO (one query, for a page of the invoice list).
    pub fn upo_stored(&self, ids: &[InvoiceId]) -> Result<HashSet<InvoiceId>, StoreError> {
        // Integers only, so the JSON array cannot carry anything but ids.
        let list = format!(
            "[{}]",
            ids.iter()
                .map(|i| i.0.to_string())
                .collect::<Vec<_>>()
                .join(",")
        );
        let mut stmt = self.conn().prepare(
            "SELECT invoice_id FROM upos WHERE invoice_id IN (SELECT value FROM json_each(?1))",
        )?;
        let found = stmt.query_map([list], |r| r.get::<_, i64>(0))?;
        Ok(found
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .map(InvoiceId)
            .collect())
    }

    /// Per UTC day in `[from_ms, to_ms)`, how many of `company`'s invoices were accepted,
    /// rejected and queued, from the event log. Days without any are left out; an invoice
    /// counts once per state and day.
    pub fn daily_counts(
        &self,
        company: CompanyId,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<DayCounts>, StoreError> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT (e.at / ?4) * ?4 AS day,
                    count(DISTINCT CASE WHEN e.to_state = 'accepted' THEN e.invoice_id END),
                    count(DISTINCT CASE WHEN e.to_state = 'rejected' THEN e.invoice_id END),
                    count(DISTINCT CASE WHEN e.to_state = 'queued' THEN e.invoice_id END)
             FROM events e
             WHERE e.invoice_id IN ({COMPANY_INVOICE_IDS}) AND e.at >= ?2 AND e.at < ?3
               AND e.to_state IN ('accepted', 'rejected', 'queued')
             GROUP BY day ORDER BY day"
        ))?;
        let rows = stmt.query_map(params![company.0, from_ms, to_ms, DAY_MS], |r| {
            Ok(DayCounts {
                day_start_ms: r.get(0)?,
                accepted: r.get(1)?,
                rejected: r.get(2)?,
                queued: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Takes `company`'s invalid invoices among `ids` off the list and counts (other rows are
    /// left alone); returns how many were removed. Nothing is deleted: each row keeps its
    /// content and history, and an event by the user records the removal.
    pub fn remove_invalid(
        &mut self,
        company: CompanyId,
        ids: &[InvoiceId],
        now_ms: i64,
    ) -> Result<u32, StoreError> {
        let tx = self.conn_mut().transaction()?;
        let mut removed = 0_u32;
        for id in ids {
            let changed = tx.execute(
                "UPDATE invoices SET removed_at = ?1, updated_at = ?1
                 WHERE id = ?2 AND company_id = ?3 AND state = 'invalid' AND removed_at IS NULL",
                params![now_ms, id.0, company.0],
            )?;
            if changed == 1 {
                tx.execute(
                    "INSERT INTO events (invoice_id, trace_id, at, actor, from_state, to_state, detail)
                     SELECT id, trace_id, ?1, 'user', 'invalid', 'invalid', ?2
                     FROM invoices WHERE id = ?3",
                    params![now_ms, REMOVED_DETAIL, id.0],
                )?;
                removed += 1;
            }
        }
        tx.commit()?;
        Ok(removed)
    }

    /// Writes a consistent copy of the whole database to `dest` (`VACUUM INTO`) while it stays
    /// in use; `dest` must not exist yet.
    pub fn backup_into(&self, dest: &Path) -> Result<(), StoreError> {
        let dest = dest.to_str().ok_or(StoreError::Invariant {
            id: 0,
            what: "the backup path is not valid UTF-8",
        })?;
        self.conn().execute("VACUUM INTO ?1", [dest])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::{insert_queued, temp_store};

    /// A second company beside the one `temp_store` made.
    fn second_company(store: &mut Store) -> CompanyId {
        store
            .insert_company(
                &crate::store::NewCompany {
                    name: "Druga",
                    environment: "demo",
                    nip: "1111111111",
                    base_url: "",
                    keyring_ref: "company-1111111111-demo",
                },
                1,
            )
            .expect("second company")
    }

    #[test]
    fn companies_lists_every_company_in_insertion_order() {
        let (_dir, mut store, first) = temp_store();
        let second = second_company(&mut store);
        let all = store.companies().expect("companies");
        let ids: Vec<CompanyId> = all.iter().map(|c| c.id).collect();
        assert_eq!(ids, vec![first, second]);
        assert_eq!(all[1], store.company(second).expect("company"));
    }

    #[test]
    fn upo_stored_names_exactly_the_rows_with_a_receipt() {
        let (_dir, mut store, company) = temp_store();
        let a = insert_queued(&mut store, company, "FV/1", b"<a/>", 0);
        let b = insert_queued(&mut store, company, "FV/2", b"<b/>", 0);
        store.save_upo(b, b"<upo/>", true, 5).expect("upo");
        let found = store.upo_stored(&[a, b]).expect("query");
        assert_eq!(found, HashSet::from([b]));
        assert!(store.upo_stored(&[]).expect("empty").is_empty());
    }

    #[test]
    fn daily_counts_group_queued_invoices_by_utc_day_within_the_period() {
        let (_dir, mut store, company) = temp_store();
        let day0 = 20_000 * DAY_MS;
        insert_queued(&mut store, company, "FV/1", b"<1/>", day0 + 1);
        insert_queued(&mut store, company, "FV/2", b"<2/>", day0 + DAY_MS - 1);
        insert_queued(&mut store, company, "FV/3", b"<3/>", day0 + DAY_MS);
        insert_queued(&mut store, company, "FV/4", b"<4/>", day0 + 5 * DAY_MS);
        let days = store
            .daily_counts(company, day0, day0 + 2 * DAY_MS)
            .expect("counts");
        let queued: Vec<(i64, i64)> = days.iter().map(|d| (d.day_start_ms, d.queued)).collect();
        assert_eq!(queued, vec![(day0, 2), (day0 + DAY_MS, 1)]);
        assert!(days.iter().all(|d| d.accepted == 0 && d.rejected == 0));
    }

    #[test]
    fn event_queries_count_only_the_asked_companys_invoices() {
        let (_dir, mut store, first) = temp_store();
        let second = second_company(&mut store);
        insert_queued(&mut store, first, "FV/1", b"<1/>", 10);
        insert_queued(&mut store, second, "FV/2", b"<2/>", 10);
        insert_queued(&mut store, second, "FV/3", b"<3/>", 10);
        let queued = |company| -> Vec<i64> {
            let days = store.daily_counts(company, 0, DAY_MS).expect("counts");
            days.iter().map(|d| d.queued).collect()
        };
        assert_eq!(queued(first), vec![1]);
        assert_eq!(queued(second), vec![2]);
    }

    #[test]
    fn the_list_sorts_by_ksef_number() {
        let (_dir, mut store, company) = temp_store();
        let b = insert_queued(&mut store, company, "FV/1", b"<1/>", 0);
        let a = insert_queued(&mut store, company, "FV/2", b"<2/>", 0);
        let none = insert_queued(&mut store, company, "FV/3", b"<3/>", 0);
        // Direct SQL stands in for the runner's acceptance, which sets the number.
        for (id, number) in [
            (a, "5265877635-20261121-0000000000A1-01"),
            (b, "5265877635-20261121-0000000000B2-02"),
        ] {
            store
                .conn()
                .execute(
                    "UPDATE invoices SET ksef_number = ?1 WHERE id = ?2",
                    params![number, id.0],
                )
                .expect("number");
        }
        let mut filter = crate::store::InvoiceFilter::all(company);
        filter.sort = crate::store::InvoiceSort::KsefNumber;
        filter.direction = crate::store::SortDirection::Ascending;
        let ids: Vec<InvoiceId> = store
            .list_invoices(&filter)
            .expect("list")
            .rows
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(ids, vec![none, a, b]);
    }

    #[test]
    fn a_version_1_database_gains_the_ksef_number_index() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("v1.db");
        let conn = rusqlite::Connection::open(&path).expect("open");
        conn.execute_batch(include_str!("migrations/0001_outbox.sql"))
            .expect("schema v1");
        conn.pragma_update(None, "user_version", 1)
            .expect("version");
        drop(conn);
        let store = Store::open(&path).expect("migrate");
        assert_eq!(
            store.schema_version().expect("version"),
            crate::store::migrate::SCHEMA_VERSION
        );
        let index: i64 = store
            .conn()
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'invoices_ksef_number'",
                [],
                |r| r.get(0),
            )
            .expect("index");
        assert_eq!(index, 1);
    }

    #[test]
    fn remove_invalid_hides_only_invalid_rows_and_records_an_event() {
        let (_dir, mut store, company) = temp_store();
        let queued = insert_queued(&mut store, company, "FV/1", b"<1/>", 0);
        let invalid = insert_queued(&mut store, company, "FV/2", b"<2/>", 0);
        store
            .conn()
            .execute(
                "UPDATE invoices SET state = 'invalid' WHERE id = ?1",
                [invalid.0],
            )
            .expect("make invalid");
        let removed = store
            .remove_invalid(company, &[queued, invalid], 7)
            .expect("remove");
        assert_eq!(removed, 1);
        let listed: Vec<InvoiceId> = store
            .list_invoices(&crate::store::InvoiceFilter::all(company))
            .expect("list")
            .rows
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(listed, vec![queued]);
        let invalid_count = store
            .counts_by_state(company)
            .expect("counts")
            .into_iter()
            .find(|(s, _)| *s == crate::state::SubmissionState::Invalid)
            .map(|(_, n)| n);
        assert_eq!(invalid_count, Some(0));
        let last = store.event_history(invalid).expect("history");
        let last = last.last().expect("an event");
        assert_eq!((last.at, last.detail.as_deref()), (7, Some(REMOVED_DETAIL)));
        assert_eq!(store.original_bytes(invalid).expect("kept"), b"<2/>");
        assert_eq!(
            store.remove_invalid(company, &[invalid], 8).expect("again"),
            0
        );
    }

    #[test]
    fn backup_into_writes_a_database_that_opens_with_the_same_invoices() {
        let (dir, mut store, company) = temp_store();
        let id = insert_queued(&mut store, company, "FV/1", b"<a/>", 0);
        let dest = dir.path().join("backup.sqlite");
        store.backup_into(&dest).expect("backup");
        let copy = Store::open(&dest).expect("open backup");
        assert_eq!(copy.original_bytes(id).expect("bytes"), b"<a/>");
        assert!(
            store.backup_into(&dest).is_err(),
            "an existing file is kept"
        );
    }
}
