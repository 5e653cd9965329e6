//! Records around the state machine: official receipts (UPOs) and alerts for people.

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use super::{InvoiceId, Store, StoreError};

/// A stored UPO (official receipt).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upo {
    /// The exact XML KSeF returned.
    pub xml: Vec<u8>,
    /// SHA-256 of `xml`, lowercase hex.
    pub sha256: String,
    /// Whether KSeF's transport hash (`x-ms-meta-hash`) was checked on download.
    pub verified: bool,
    /// When it was fetched.
    pub fetched_at: i64,
}

/// Row id of an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct AlertId(pub i64);

/// Something a person should know about (KSeF unavailable, invoice needs attention…).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Alert {
    /// Row id.
    pub id: AlertId,
    /// Alert family, e.g. `ksef_unavailable`, `needs_attention`.
    pub kind: String,
    /// The invoice concerned, if any.
    pub invoice: Option<InvoiceId>,
    /// Stable code the UI keys on.
    pub code: String,
    /// Text for people.
    pub message: String,
    /// When raised.
    pub raised_at: i64,
    /// When resolved (`None` while open).
    pub resolved_at: Option<i64>,
}

/// An alert to raise.
#[derive(Debug, Clone, Copy)]
pub(super) struct NewAlert<'a> {
    /// Alert family, e.g. `conflict`.
    pub kind: &'a str,
    /// The invoice it concerns, if any.
    pub invoice: Option<InvoiceId>,
    /// Stable code.
    pub code: &'a str,
    /// Text for people; never contains credentials.
    pub message: &'a str,
}

/// Raises `alert` inside the caller's transaction, unless the same one (kind, invoice, code) is
/// already open.
pub(super) fn raise_alert_in(
    conn: &Connection,
    alert: &NewAlert<'_>,
    now_ms: i64,
) -> Result<AlertId, StoreError> {
    let invoice = alert.invoice.map(|i| i.0);
    let open: Option<i64> = conn
        .query_row(
            "SELECT id FROM alerts WHERE kind = ?1 AND invoice_id IS ?2 AND code = ?3
               AND resolved_at IS NULL",
            params![alert.kind, invoice, alert.code],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(id) = open {
        return Ok(AlertId(id));
    }
    conn.execute(
        "INSERT INTO alerts (kind, invoice_id, code, message, raised_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![alert.kind, invoice, alert.code, alert.message, now_ms],
    )?;
    Ok(AlertId(conn.last_insert_rowid()))
}

impl Store {
    /// Stores an invoice's UPO. Saving the same receipt again is a no-op; a *different* receipt
    /// for the same invoice is refused, because the first one is the legal record.
    pub fn save_upo(
        &mut self,
        invoice: InvoiceId,
        xml: &[u8],
        verified: bool,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let sha = hex::encode(Sha256::digest(xml));
        let tx = self.conn_mut().transaction()?;
        // One session UPO page is the receipt of every invoice it lists: the document is kept
        // once, by its hash, and each invoice's receipt points at it.
        tx.execute(
            "INSERT INTO upo_documents (sha256, xml) VALUES (?1, ?2)
             ON CONFLICT (sha256) DO NOTHING",
            params![sha, xml],
        )?;
        tx.execute(
            "INSERT INTO upos (invoice_id, sha256, verified, fetched_at)
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (invoice_id) DO NOTHING",
            params![invoice.0, sha, verified, now_ms],
        )?;
        let stored: String = tx.query_row(
            "SELECT sha256 FROM upos WHERE invoice_id = ?1",
            [invoice.0],
            |r| r.get(0),
        )?;
        if stored != sha {
            return Err(StoreError::Invariant {
                id: invoice.0,
                what: "a different UPO is already stored for this invoice",
            });
        }
        tx.commit()?;
        Ok(())
    }

    /// An invoice's UPO, once fetched.
    pub fn upo(&self, invoice: InvoiceId) -> Result<Option<Upo>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT d.xml, u.sha256, u.verified, u.fetched_at
                 FROM upos u JOIN upo_documents d ON d.sha256 = u.sha256
                 WHERE u.invoice_id = ?1",
                [invoice.0],
                |r| {
                    Ok(Upo {
                        xml: r.get(0)?,
                        sha256: r.get(1)?,
                        verified: r.get(2)?,
                        fetched_at: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// Raises an alert, unless the same one (kind, invoice, code) is already open: a condition
    /// that persists raises one alert, not one per retry.
    pub fn raise_alert(
        &mut self,
        kind: &str,
        invoice: Option<InvoiceId>,
        code: &str,
        message: &str,
        now_ms: i64,
    ) -> Result<AlertId, StoreError> {
        let tx = self.conn_mut().transaction()?;
        let id = raise_alert_in(
            &tx,
            &NewAlert {
                kind,
                invoice,
                code,
                message,
            },
            now_ms,
        )?;
        tx.commit()?;
        Ok(id)
    }

    /// Resolves an alert; resolving twice keeps the first time.
    pub fn resolve_alert(&mut self, id: AlertId, now_ms: i64) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE alerts SET resolved_at = ?1 WHERE id = ?2 AND resolved_at IS NULL",
            params![now_ms, id.0],
        )?;
        Ok(())
    }

    /// Open alerts, oldest first.
    pub fn open_alerts(&self) -> Result<Vec<Alert>, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT id, kind, invoice_id, code, message, raised_at, resolved_at FROM alerts
             WHERE resolved_at IS NULL ORDER BY raised_at, id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Alert {
                id: AlertId(r.get(0)?),
                kind: r.get(1)?,
                invoice: r.get::<_, Option<i64>>(2)?.map(InvoiceId),
                code: r.get(3)?,
                message: r.get(4)?,
                raised_at: r.get(5)?,
                resolved_at: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::temp_store;
    use super::*;

    #[test]
    fn upo_is_stored_once_and_a_different_one_is_refused() {
        let (_dir, mut store, _) = temp_store();
        // UPOs belong to invoices; a bare row is enough here.
        store
            .conn()
            .execute_batch(
                "INSERT INTO invoices (id, company_id, file_name, source_path, original, size_bytes,
                     sha256, content_hash, state, trace_id, created_at, updated_at)
                 VALUES (7, 1, 'f', 'f', x'00', 1, printf('%064d', 0), 'h', 'invalid', 't', 0, 0);",
            )
            .unwrap();
        let id = InvoiceId(7);
        assert_eq!(store.upo(id).unwrap(), None);
        store.save_upo(id, b"<Potwierdzenie/>", true, 5).unwrap();
        store.save_upo(id, b"<Potwierdzenie/>", true, 6).unwrap();
        let upo = store.upo(id).unwrap().unwrap();
        assert_eq!(upo.xml, b"<Potwierdzenie/>");
        assert_eq!(upo.sha256, hex::encode(Sha256::digest(b"<Potwierdzenie/>")));
        assert_eq!(upo.fetched_at, 5, "the first save stands");
        let err = store.save_upo(id, b"<Inne/>", true, 7).unwrap_err();
        assert_eq!(err.code(), "engine.store_invariant");
    }

    #[test]
    fn alerts_deduplicate_while_open_and_resolve() {
        let (_dir, mut store, _) = temp_store();
        let a = store
            .raise_alert("ksef_unavailable", None, "ksef.http.503", "KSeF down", 10)
            .unwrap();
        let again = store
            .raise_alert("ksef_unavailable", None, "ksef.http.503", "KSeF down", 20)
            .unwrap();
        assert_eq!(a, again);
        let open = store.open_alerts().unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].raised_at, 10);
        store.resolve_alert(a, 30).unwrap();
        assert!(store.open_alerts().unwrap().is_empty());
        let later = store
            .raise_alert("ksef_unavailable", None, "ksef.http.503", "KSeF down", 40)
            .unwrap();
        assert_ne!(later, a, "a new outage is a new alert");
    }
}
