//! The invoice list and detail, read from the outbox store (filtering, sorting and paging in
//! SQL), the stored UPOs and the alerts.

use std::num::NonZeroU32;

use engine::store::{
    CompanyId, InvoiceFilter, InvoiceId, InvoiceSort as EngineSort, KeyValue, SortDirection,
    SortKey,
};
use sha2::{Digest, Sha256};

use super::{lock, DeskApi};
use crate::convert::{
    alert_out, attempt_out, event_out, finding_out, row_out, state_in, state_out,
};
use crate::error::{DeskError, DeskResult};
use crate::events::DeskEvent;
use crate::types::{
    Alert, InvoiceDetail, InvoicePage, InvoiceQuery, InvoiceRow, InvoiceState, InvoicesChanged,
    ListKey, ListKeyValue, Rejection, SortColumn, SortDir, UpoStatus,
};

fn invoice_not_found(id: i64) -> DeskError {
    DeskError::new(
        "engine.invoice_not_found",
        format!("invoice {id} not found"),
    )
}

impl DeskApi {
    /// `list_invoices`: one page of the active company's invoices; filtering (including an id
    /// selection of any size), sorting and paging all happen in SQL.
    pub fn list_invoices(&self, q: InvoiceQuery) -> DeskResult<InvoicePage> {
        let company = self.active()?.id;
        // An empty selection selects nothing (the store reads an empty id list as "no filter").
        if q.ids.as_ref().is_some_and(Vec::is_empty) {
            return Ok(InvoicePage {
                rows: Vec::new(),
                total: (!q.skip_total).then_some(0),
            });
        }
        let skip_total = q.skip_total;
        let filter = filter_in(company, q)?;
        let store = lock(&self.store)?;
        let total = if skip_total {
            None
        } else {
            Some(store.count_invoices(&filter)?)
        };
        let rows = store.list_invoice_rows(&filter)?;
        let ids: Vec<InvoiceId> = rows.iter().map(|r| r.id).collect();
        let with_upo = store.upo_stored(&ids)?;
        Ok(InvoicePage {
            rows: rows
                .iter()
                .map(|r| row_out(r, with_upo.contains(&r.id)))
                .collect(),
            total,
        })
    }

    /// `invoice_anchors`: the keys of rows `every - 1`, `2 * every - 1`, … of the list `q`
    /// selects (its paging is ignored), so the page at row `r >= every` can be asked for as
    /// `after = anchors[r / every - 1]`, `offset = r % every`: a seek instead of a walk over `r`
    /// rows. Asked once per query, after its first page, never with it.
    pub fn invoice_anchors(&self, q: InvoiceQuery, every: u32) -> DeskResult<Vec<ListKey>> {
        let every = NonZeroU32::new(every)
            .ok_or_else(|| DeskError::invalid("anchors must be at least one row apart"))?;
        let company = self.active()?.id;
        if q.ids.as_ref().is_some_and(Vec::is_empty) {
            return Ok(Vec::new());
        }
        let filter = filter_in(company, q)?;
        let anchors = lock(&self.store)?.list_anchors(&filter, every)?;
        Ok(anchors.into_iter().map(key_out).collect())
    }

    /// `invoice_detail`: the stored row, its findings and history, and the summary re-read from
    /// the stored original bytes (the exact bytes that are sent).
    pub fn invoice_detail(&self, id: i64) -> DeskResult<InvoiceDetail> {
        let company = self.active()?.id;
        let store = lock(&self.store)?;
        let row = store.invoice(InvoiceId(id))?;
        if row.company != company {
            return Err(invoice_not_found(id));
        }
        let bytes = store.original_bytes(InvoiceId(id))?;
        let findings = store.findings(InvoiceId(id))?;
        let events = store
            .event_history(InvoiceId(id))?
            .iter()
            .map(event_out)
            .collect::<DeskResult<Vec<_>>>()?;
        let last_event_at = events.last().map_or(0, |e| e.at);
        let attempts = store
            .attempt_history(InvoiceId(id))?
            .into_iter()
            .map(attempt_out)
            .collect();
        let upo = store.upo(InvoiceId(id))?;
        // Unreadable originals (invalid rows) simply have no summary.
        let doc = fa3::Fa3Document::read(&bytes).ok();
        let gross_minor = doc
            .as_ref()
            .and_then(|d| d.totals.gross)
            .and_then(|g| engine::validation::parse_minor_units(&g.to_string()));
        let state = state_out(row.state);
        let rejection = (state == InvoiceState::Rejected).then(|| Rejection {
            code: row
                .error_code
                .clone()
                .unwrap_or_else(|| dictionary::FALLBACK_CODE.to_owned()),
            description: row.error_detail.clone(),
            details: Vec::new(),
        });
        let buyer_nip = doc.as_ref().and_then(|d| match &d.buyer {
            Some(fa3::PartyId::Nip { nip }) => Some(nip.clone()),
            _ => None,
        });
        Ok(InvoiceDetail {
            row: InvoiceRow {
                id,
                invoice_number: doc.as_ref().and_then(|d| d.number.clone()),
                counterparty_name: doc.as_ref().and_then(|d| d.buyer_name.clone()),
                counterparty_nip: buyer_nip,
                issue_date: doc
                    .as_ref()
                    .and_then(|d| d.issue_date)
                    .map(|d| d.to_string()),
                gross_minor,
                currency: doc.as_ref().and_then(|d| d.currency.clone()),
                state,
                ksef_number: row.ksef_number.clone(),
                has_upo: upo.is_some(),
                error_code: row.error_code.clone(),
                last_event_at,
            },
            file_name: row.file_name,
            seller_nip: doc.as_ref().and_then(|d| d.seller_nip.clone()),
            seller_name: doc.as_ref().and_then(|d| d.seller_name.clone()),
            invoice_type: doc.as_ref().and_then(|d| d.invoice_kind.clone()),
            size_bytes: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
            sha256: hex_sha256(&bytes),
            findings: findings.iter().map(finding_out).collect(),
            rejection,
            events,
            attempts,
            upo: UpoStatus {
                stored: upo.is_some(),
                verified: upo.as_ref().is_some_and(|u| u.verified),
                sha256: upo.map(|u| u.sha256),
            },
        })
    }

    /// `get_upo_xml`: the stored UPO exactly as KSeF returned it (the legal record), for an
    /// invoice of the active company.
    pub fn get_upo_xml(&self, id: i64) -> DeskResult<String> {
        let company = self.active()?.id;
        let store = lock(&self.store)?;
        if store.invoice(InvoiceId(id))?.company != company {
            return Err(invoice_not_found(id));
        }
        let upo = store.upo(InvoiceId(id))?.ok_or_else(|| {
            DeskError::new("engine.upo_missing", format!("invoice {id} has no UPO yet"))
        })?;
        // Shown as text, never re-encoded: a lossy conversion would alter the legal record.
        String::from_utf8(upo.xml).map_err(|_| {
            DeskError::new(
                "engine.store_corrupt",
                format!("the UPO stored for invoice {id} is not UTF-8 text"),
            )
        })
    }

    /// `remove_invalid`: takes the chosen invalid invoices off the list (other states are
    /// left alone); returns how many. Nothing is deleted: the row, its file and its history stay,
    /// and the history records the removal (the event log is append-only).
    pub fn remove_invalid(&self, ids: Vec<i64>) -> DeskResult<u32> {
        let company = self.active()?.id;
        let ids: Vec<InvoiceId> = ids.into_iter().map(InvoiceId).collect();
        let removed = lock(&self.store)?.remove_invalid(company, &ids, self.clock.now_ms())?;
        if removed > 0 {
            self.events
                .emit(DeskEvent::InvoicesChanged(InvoicesChanged {
                    ids: ids.iter().map(|i| i.0).collect(),
                }));
        }
        Ok(removed)
    }

    /// `list_alerts`: the open alerts the runners raised (outages, stuck or orphaned invoices,
    /// UPO mismatches, decisions needed), oldest first.
    pub fn list_alerts(&self) -> DeskResult<Vec<Alert>> {
        Ok(lock(&self.store)?
            .open_alerts()?
            .iter()
            .map(alert_out)
            .collect())
    }

    /// `resolve_alert`: a person has seen to it. A condition that persists is raised again by
    /// the runner.
    pub fn resolve_alert(&self, id: i64) -> DeskResult<()> {
        let mut store = lock(&self.store)?;
        if !store.open_alerts()?.iter().any(|a| a.id.0 == id) {
            return Err(DeskError::invalid(format!("no open alert {id}")));
        }
        store.resolve_alert(engine::store::AlertId(id), self.clock.now_ms())?;
        Ok(())
    }
}

/// The UI's query → the store's filter (blank texts are no criterion).
fn filter_in(company: CompanyId, q: InvoiceQuery) -> DeskResult<InvoiceFilter> {
    let (sort, direction) = sort_in(q.sort.column, q.sort.dir);
    let blank = |v: Option<String>| v.filter(|t| !t.trim().is_empty());
    Ok(InvoiceFilter {
        company,
        states: q.states.iter().copied().map(state_in).collect(),
        issued_from: blank(q.date_from),
        issued_to: blank(q.date_to),
        counterparty: blank(q.counterparty),
        number_contains: blank(q.number),
        ids: q
            .ids
            .unwrap_or_default()
            .into_iter()
            .map(InvoiceId)
            .collect(),
        sort,
        direction,
        after: q.after.map(|k| key_in(q.sort.column, k)).transpose()?,
        offset: q.offset,
        limit: q.limit,
    })
}

/// A wire key → the store's, checked against the sort column: a key of another kind would
/// compare by SQLite's type order and silently give a wrong page.
fn key_in(column: SortColumn, key: ListKey) -> DeskResult<SortKey> {
    let numeric = matches!(column, SortColumn::Gross | SortColumn::LastEventAt);
    let never_empty = matches!(column, SortColumn::State | SortColumn::LastEventAt);
    let value = match key.value {
        None if !never_empty => KeyValue::Null,
        Some(ListKeyValue::Int(v)) if numeric => KeyValue::Int(v),
        Some(ListKeyValue::Text(v)) if !numeric => KeyValue::Text(v),
        _ => {
            return Err(DeskError::invalid(
                "the list key does not fit the sort column (ask for anchors again)",
            ))
        }
    };
    Ok(SortKey {
        value,
        id: InvoiceId(key.id),
    })
}

/// The store's key → the wire's.
fn key_out(key: SortKey) -> ListKey {
    ListKey {
        value: match key.value {
            KeyValue::Null => None,
            KeyValue::Int(v) => Some(ListKeyValue::Int(v)),
            KeyValue::Text(v) => Some(ListKeyValue::Text(v)),
        },
        id: key.id.0,
    }
}

/// The UI's sort → the store's.
fn sort_in(column: SortColumn, dir: SortDir) -> (EngineSort, SortDirection) {
    let sort = match column {
        SortColumn::InvoiceNumber => EngineSort::InvoiceNumber,
        SortColumn::Counterparty => EngineSort::Buyer,
        SortColumn::IssueDate => EngineSort::IssueDate,
        SortColumn::Gross => EngineSort::Gross,
        SortColumn::State => EngineSort::State,
        SortColumn::KsefNumber => EngineSort::KsefNumber,
        SortColumn::LastEventAt => EngineSort::UpdatedAt,
    };
    let direction = match dir {
        SortDir::Asc => SortDirection::Ascending,
        SortDir::Desc => SortDirection::Descending,
    };
    (sort, direction)
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
