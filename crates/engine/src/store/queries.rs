//! Read-side queries for the UI and the CLI: filtered, sorted, paged invoice lists (all in SQL),
//! per-state counts, event history, latency metrics and the error report.

use rusqlite::{params, params_from_iter, types::Value};

use super::keyset::SortKey;
use super::{CompanyId, InvoiceId, Store, StoreError};
use crate::state::SubmissionState;

/// Most rows one list page may return, whatever the caller asks.
pub const LIST_PAGE_ROWS_MAX: u32 = 1_000;

/// The ids of company `?1`'s invoices, for the event queries. An `IN` over this list read from
/// the narrow list index beats joining every event to its invoice row: at 100 000 invoices the
/// join cost about 200 ms on the import day, the list about 80 ms (and the store lock is held
/// meanwhile). Removed invoices are included: their history still happened.
pub(super) const COMPANY_INVOICE_IDS: &str =
    "SELECT id FROM invoices INDEXED BY invoices_list_state WHERE company_id = ?1";

/// Column to sort an invoice list by. Ties are broken by id so pages never overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InvoiceSort {
    /// Issue date (`P_1`).
    IssueDate,
    /// Invoice number (`P_2`).
    InvoiceNumber,
    /// Buyer name.
    Buyer,
    /// State.
    State,
    /// Gross total.
    Gross,
    /// KSeF number (rows without one first when ascending).
    KsefNumber,
    /// Last change.
    #[default]
    UpdatedAt,
}

impl InvoiceSort {
    /// Every sort column (the plan and keyset tests walk them all).
    pub const ALL: [InvoiceSort; 7] = [
        InvoiceSort::IssueDate,
        InvoiceSort::InvoiceNumber,
        InvoiceSort::Buyer,
        InvoiceSort::State,
        InvoiceSort::Gross,
        InvoiceSort::KsefNumber,
        InvoiceSort::UpdatedAt,
    ];

    /// The column; a fixed whitelist, never user text, so it is safe to splice into SQL.
    pub(super) fn column(self) -> &'static str {
        match self {
            InvoiceSort::IssueDate => "issue_date",
            InvoiceSort::InvoiceNumber => "invoice_number",
            InvoiceSort::Buyer => "buyer_name",
            InvoiceSort::State => "state",
            InvoiceSort::Gross => "gross_minor",
            InvoiceSort::KsefNumber => "ksef_number",
            InvoiceSort::UpdatedAt => "updated_at",
        }
    }

    /// The list index in this column's order (migration 0005); every list criterion can be
    /// checked from it, so skipping rows never reads the table.
    pub(super) fn index(self) -> &'static str {
        match self {
            InvoiceSort::IssueDate => "invoices_list_issue_date",
            InvoiceSort::InvoiceNumber => "invoices_list_invoice_number",
            InvoiceSort::Buyer => "invoices_list_buyer_name",
            InvoiceSort::State => "invoices_list_state",
            InvoiceSort::Gross => "invoices_list_gross_minor",
            InvoiceSort::KsefNumber => "invoices_list_ksef_number",
            InvoiceSort::UpdatedAt => "invoices_list_updated_at",
        }
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortDirection {
    /// Smallest first.
    Ascending,
    /// Largest first.
    #[default]
    Descending,
}

/// Which invoices to list. Empty criteria match everything.
#[derive(Debug, Clone)]
pub struct InvoiceFilter {
    /// Whose invoices.
    pub company: CompanyId,
    /// Only these states (empty: all).
    pub states: Vec<SubmissionState>,
    /// Issue date on or after (`YYYY-MM-DD`).
    pub issued_from: Option<String>,
    /// Issue date on or before (`YYYY-MM-DD`).
    pub issued_to: Option<String>,
    /// Buyer NIP equal to, or buyer name containing (case-insensitive), this text.
    pub counterparty: Option<String>,
    /// Invoice number containing (case-insensitive) this text.
    pub number_contains: Option<String>,
    /// Only these invoices (empty: all): bulk actions on a selection. Any length; ids of other
    /// companies or unknown ids simply match nothing.
    pub ids: Vec<InvoiceId>,
    /// Sort column.
    pub sort: InvoiceSort,
    /// Sort direction.
    pub direction: SortDirection,
    /// Start right after the row with this sort key (the last row before the wanted page, as
    /// [`Store::list_anchors`] returns it); `offset` then counts from there. A far page is then
    /// a seek in the sort index instead of a walk over every row before it.
    pub after: Option<SortKey>,
    /// Rows to skip (after `after` when it is set, else from the first match).
    pub offset: u32,
    /// Rows to return (capped at [`LIST_PAGE_ROWS_MAX`]).
    pub limit: u32,
}

impl InvoiceFilter {
    /// Everything of `company`, newest change first, first page of 50.
    pub fn all(company: CompanyId) -> InvoiceFilter {
        InvoiceFilter {
            company,
            states: Vec::new(),
            issued_from: None,
            issued_to: None,
            counterparty: None,
            number_contains: None,
            ids: Vec::new(),
            sort: InvoiceSort::default(),
            direction: SortDirection::default(),
            after: None,
            offset: 0,
            limit: 50,
        }
    }
}

/// The two statements of one list request and the parameters they share (the page statement
/// takes LIMIT and OFFSET after them).
pub(super) struct ListSql {
    pub(super) count: String,
    pub(super) page: String,
    /// The `WHERE` criteria alone, for statements that add their own (the keyset seek).
    pub(super) filter: String,
    pub(super) args: Vec<Value>,
}

impl InvoiceFilter {
    pub(super) fn sql(&self) -> ListSql {
        // Invalid rows a person removed (`Store::remove_invalid`) are off the list.
        let mut clauses = vec!["company_id = ? AND removed_at IS NULL".to_owned()];
        let mut args: Vec<Value> = vec![Value::Integer(self.company.0)];
        if !self.states.is_empty() {
            let marks = vec!["?"; self.states.len()].join(", ");
            clauses.push(format!("state IN ({marks})"));
            args.extend(
                self.states
                    .iter()
                    .map(|s| Value::Text(s.as_str().to_owned())),
            );
        }
        if let Some(from) = &self.issued_from {
            clauses.push("issue_date >= ?".to_owned());
            args.push(Value::Text(from.clone()));
        }
        if let Some(to) = &self.issued_to {
            clauses.push("issue_date <= ?".to_owned());
            args.push(Value::Text(to.clone()));
        }
        if let Some(party) = &self.counterparty {
            // instr() rather than LIKE: user text can contain % and _ without meaning.
            clauses.push("(buyer_nip = ? OR instr(lower(buyer_name), lower(?)) > 0)".to_owned());
            args.push(Value::Text(party.clone()));
            args.push(Value::Text(party.clone()));
        }
        if let Some(number) = &self.number_contains {
            clauses.push("instr(lower(invoice_number), lower(?)) > 0".to_owned());
            args.push(Value::Text(number.clone()));
        }
        if !self.ids.is_empty() {
            // One JSON array parameter rather than one `?` per id: a selection can be larger
            // than SQLite's bound-parameter limit.
            clauses.push("id IN (SELECT value FROM json_each(?))".to_owned());
            let list: Vec<String> = self.ids.iter().map(|id| id.0.to_string()).collect();
            args.push(Value::Text(format!("[{}]", list.join(","))));
        }
        let filter = clauses.join(" AND ");
        // The plans are pinned (INDEXED BY): left to itself SQLite takes a narrower index for a
        // date range or a state and then sorts every match, reading each one's whole table row.
        let only_states = self.issued_from.is_none()
            && self.issued_to.is_none()
            && self.counterparty.is_none()
            && self.number_contains.is_none()
            && self.ids.is_empty();
        let count_index = if only_states {
            "invoices_list_state"
        } else {
            self.sort.index()
        };
        ListSql {
            count: format!("SELECT count(*) FROM invoices INDEXED BY {count_index} WHERE {filter}"),
            page: self.page_sql(&filter),
            filter,
            args,
        }
    }

    /// The page statement for `criteria` (a `WHERE` body), read in the sort index's order.
    pub(super) fn page_sql(&self, criteria: &str) -> String {
        format!(
            "SELECT id, file_name, state, invoice_number, issue_date, buyer_nip, buyer_name,
                    gross_minor, currency, ksef_number, error_code, updated_at
             FROM invoices INDEXED BY {index} WHERE {criteria}
             ORDER BY {order} LIMIT ? OFFSET ?",
            index = self.sort.index(),
            order = self.order_by()
        )
    }

    /// The `ORDER BY` body: the sort column, then id as the tie-breaker, both one way.
    pub(super) fn order_by(&self) -> String {
        let direction = match self.direction {
            SortDirection::Ascending => "ASC",
            SortDirection::Descending => "DESC",
        };
        format!("{} {direction}, id {direction}", self.sort.column())
    }
}

/// One line of the invoice list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InvoiceSummaryRow {
    /// Row id.
    pub id: InvoiceId,
    /// File name.
    pub file_name: String,
    /// State.
    pub state: SubmissionState,
    /// `P_2`.
    pub invoice_number: Option<String>,
    /// `P_1`.
    pub issue_date: Option<String>,
    /// Buyer NIP.
    pub buyer_nip: Option<String>,
    /// Buyer name.
    pub buyer_name: Option<String>,
    /// Gross total in minor units.
    pub gross_minor: Option<i64>,
    /// Currency.
    pub currency: Option<String>,
    /// KSeF number once accepted.
    pub ksef_number: Option<String>,
    /// Last error code.
    pub error_code: Option<String>,
    /// Last change (Unix ms).
    pub updated_at: i64,
}

/// One page of the invoice list with the total number of matches.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InvoicePage {
    /// Matching rows in total (for the pager).
    pub total: i64,
    /// This page.
    pub rows: Vec<InvoiceSummaryRow>,
}

/// One entry of an invoice's history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EventRow {
    /// When (Unix ms).
    pub at: i64,
    /// `user`, `engine`, `ksef` or `reconciler`.
    pub actor: String,
    /// Previous state (`None` at creation).
    pub from_state: Option<SubmissionState>,
    /// New state.
    pub to_state: SubmissionState,
    /// Stable code.
    pub code: Option<String>,
    /// Detail.
    pub detail: Option<String>,
}

/// One request made to KSeF for an invoice.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AttemptRow {
    /// What was tried (`send`, `status`, `upo`, …).
    pub kind: String,
    /// KSeF's reference or trace id, when known.
    pub request_id: Option<String>,
    /// `ok`, `transient`, `permanent` or `unknown`.
    pub outcome: String,
    /// Stable error code on failure.
    pub error_code: Option<String>,
    /// Start (Unix ms).
    pub started_at: i64,
    /// End (Unix ms).
    pub finished_at: i64,
}

/// Delivery metrics over a period.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Metrics {
    /// Invoices accepted in the period.
    pub accepted: i64,
    /// Invoices rejected in the period.
    pub rejected: i64,
    /// Median time from first queued to accepted (nearest rank), ms.
    pub latency_median_ms: Option<i64>,
    /// 95th percentile of the same, ms.
    pub latency_p95_ms: Option<i64>,
    /// rejected / (accepted + rejected); `None` when both are zero.
    pub rejection_rate: Option<f64>,
}

/// How often one error code occurred.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ErrorCount {
    /// Stable error code.
    pub code: String,
    /// Occurrences.
    pub count: i64,
}

impl Store {
    /// One page of invoices; filtering, sorting and paging all happen in SQL.
    pub fn list_invoices(&self, f: &InvoiceFilter) -> Result<InvoicePage, StoreError> {
        let total = self.count_invoices(f)?;
        Ok(InvoicePage {
            total,
            rows: self.list_invoice_rows(f)?,
        })
    }

    /// How many invoices match `f` (its paging is ignored).
    pub fn count_invoices(&self, f: &InvoiceFilter) -> Result<i64, StoreError> {
        let ListSql { count, args, .. } = f.sql();
        Ok(self
            .conn()
            .query_row(&count, params_from_iter(args.iter()), |r| r.get(0))?)
    }

    /// One page of invoices without the total: scrolling on through a query whose total the
    /// caller already has need not count every match again. With `f.after` set the page is
    /// found by seeking to that key rather than by skipping every row before it.
    pub fn list_invoice_rows(
        &self,
        f: &InvoiceFilter,
    ) -> Result<Vec<InvoiceSummaryRow>, StoreError> {
        let limit = f.limit.min(LIST_PAGE_ROWS_MAX);
        if let Some(key) = &f.after {
            return self.seek_rows(f, key, limit);
        }
        let ListSql { page, args, .. } = f.sql();
        self.page_rows(&page, args, limit, f.offset)
    }

    /// Runs a page statement: `args` bound first, then LIMIT and OFFSET.
    pub(super) fn page_rows(
        &self,
        page: &str,
        mut args: Vec<Value>,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<InvoiceSummaryRow>, StoreError> {
        args.push(Value::Integer(i64::from(limit)));
        args.push(Value::Integer(i64::from(offset)));
        let mut stmt = self.conn().prepare(page)?;
        let rows = stmt.query_map(params_from_iter(args.iter()), |r| {
            Ok(InvoiceSummaryRow {
                id: InvoiceId(r.get(0)?),
                file_name: r.get(1)?,
                state: r.get(2)?,
                invoice_number: r.get(3)?,
                issue_date: r.get(4)?,
                buyer_nip: r.get(5)?,
                buyer_name: r.get(6)?,
                gross_minor: r.get(7)?,
                currency: r.get(8)?,
                ksef_number: r.get(9)?,
                error_code: r.get(10)?,
                updated_at: r.get(11)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Number of invoices of `company` in each state, every state listed (zeros included).
    pub fn counts_by_state(
        &self,
        company: CompanyId,
    ) -> Result<Vec<(SubmissionState, i64)>, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT state, count(*) FROM invoices INDEXED BY invoices_list_state
             WHERE company_id = ?1 AND removed_at IS NULL GROUP BY state",
        )?;
        let mut counts: Vec<(SubmissionState, i64)> =
            SubmissionState::ALL.iter().map(|&s| (s, 0)).collect();
        let rows = stmt.query_map([company.0], |r| {
            Ok((r.get::<_, SubmissionState>(0)?, r.get(1)?))
        })?;
        for row in rows {
            let (s, n) = row?;
            if let Some(slot) = counts.iter_mut().find(|(k, _)| *k == s) {
                slot.1 = n;
            }
        }
        Ok(counts)
    }

    /// An invoice's full history, oldest first.
    pub fn event_history(&self, id: InvoiceId) -> Result<Vec<EventRow>, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT at, actor, from_state, to_state, code, detail FROM events
             WHERE invoice_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([id.0], |r| {
            Ok(EventRow {
                at: r.get(0)?,
                actor: r.get(1)?,
                from_state: r.get(2)?,
                to_state: r.get(3)?,
                code: r.get(4)?,
                detail: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every request made for an invoice, oldest first.
    pub fn attempt_history(&self, id: InvoiceId) -> Result<Vec<AttemptRow>, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT kind, request_id, outcome, error_code, started_at, finished_at FROM attempts
             WHERE invoice_id = ?1 ORDER BY started_at, id",
        )?;
        let rows = stmt.query_map([id.0], |r| {
            Ok(AttemptRow {
                kind: r.get(0)?,
                request_id: r.get(1)?,
                outcome: r.get(2)?,
                error_code: r.get(3)?,
                started_at: r.get(4)?,
                finished_at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Latency and rejection metrics for verdicts reached in `[from_ms, to_ms)`.
    pub fn metrics(
        &self,
        company: CompanyId,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Metrics, StoreError> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT a.at - (SELECT min(q.at) FROM events q
                            WHERE q.invoice_id = a.invoice_id AND q.to_state = 'queued')
             FROM events a
             WHERE a.invoice_id IN ({COMPANY_INVOICE_IDS})
               AND a.to_state = 'accepted' AND a.at >= ?2 AND a.at < ?3"
        ))?;
        let mut latencies: Vec<i64> = stmt
            .query_map(params![company.0, from_ms, to_ms], |r| {
                r.get::<_, Option<i64>>(0)
            })?
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect();
        latencies.sort_unstable();
        let accepted: i64 = self.count_verdicts(company, "accepted", from_ms, to_ms)?;
        let rejected: i64 = self.count_verdicts(company, "rejected", from_ms, to_ms)?;
        let decided = accepted + rejected;
        Ok(Metrics {
            accepted,
            rejected,
            latency_median_ms: nearest_rank(&latencies, 50),
            latency_p95_ms: nearest_rank(&latencies, 95),
            rejection_rate: (decided > 0).then(|| rejected as f64 / decided as f64),
        })
    }

    fn count_verdicts(
        &self,
        company: CompanyId,
        to_state: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<i64, StoreError> {
        Ok(self.conn().query_row(
            &format!(
                "SELECT count(DISTINCT e.invoice_id) FROM events e
                 WHERE e.invoice_id IN ({COMPANY_INVOICE_IDS})
                   AND e.to_state = ?2 AND e.at >= ?3 AND e.at < ?4"
            ),
            params![company.0, to_state, from_ms, to_ms],
            |r| r.get(0),
        )?)
    }

    /// How often each error code was recorded in `[from_ms, to_ms)` (most frequent first): the
    /// weekly error report.
    pub fn error_report(
        &self,
        company: CompanyId,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<ErrorCount>, StoreError> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT e.code, count(*) AS n FROM events e
             WHERE e.invoice_id IN ({COMPANY_INVOICE_IDS})
               AND e.at >= ?2 AND e.at < ?3 AND e.code IS NOT NULL
               AND e.from_state IS NOT NULL
               AND e.to_state IN ('queued', 'rejected', 'needs_attention')
             GROUP BY e.code ORDER BY n DESC, e.code"
        ))?;
        let rows = stmt.query_map(params![company.0, from_ms, to_ms], |r| {
            Ok(ErrorCount {
                code: r.get(0)?,
                count: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Nearest-rank percentile of sorted values.
fn nearest_rank(sorted: &[i64], percent: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

#[cfg(test)]
pub(super) mod tests {
    use rusqlite::{params_from_iter, types::Value};

    use super::{nearest_rank, InvoiceFilter, InvoiceSort, SortDirection};
    use crate::state::SubmissionState;
    use crate::store::test_support::temp_store;
    use crate::store::{InvoiceId, Store};

    /// SQLite's plan for `sql` with `args` bound, one line per step.
    pub(in crate::store) fn plan(store: &Store, sql: &str, args: &[Value]) -> String {
        let mut stmt = store
            .conn()
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap();
        let steps = stmt
            .query_map(params_from_iter(args.iter()), |r| r.get::<_, String>(3))
            .unwrap();
        steps.collect::<Result<Vec<_>, _>>().unwrap().join("; ")
    }

    /// Every criterion alone and all together, so each combination the UI can send is planned.
    pub(in crate::store) fn filters(base: &InvoiceFilter) -> Vec<InvoiceFilter> {
        let states = InvoiceFilter {
            states: vec![SubmissionState::Rejected, SubmissionState::NeedsAttention],
            ..base.clone()
        };
        let dates = InvoiceFilter {
            issued_from: Some("2026-01-01".into()),
            issued_to: Some("2026-01-31".into()),
            ..base.clone()
        };
        let texts = InvoiceFilter {
            counterparty: Some("alfa".into()),
            number_contains: Some("FV".into()),
            ..base.clone()
        };
        let ids = InvoiceFilter {
            ids: vec![InvoiceId(1), InvoiceId(2)],
            ..base.clone()
        };
        let everything = InvoiceFilter {
            ids: ids.ids.clone(),
            ..InvoiceFilter {
                counterparty: texts.counterparty.clone(),
                number_contains: texts.number_contains.clone(),
                ..InvoiceFilter {
                    issued_from: dates.issued_from.clone(),
                    issued_to: dates.issued_to.clone(),
                    ..states.clone()
                }
            }
        };
        vec![base.clone(), states, dates, texts, ids, everything]
    }

    #[test]
    fn every_list_page_and_count_is_answered_from_a_list_index_without_sorting() {
        let (_dir, store, company) = temp_store();
        for sort in InvoiceSort::ALL {
            for direction in [SortDirection::Ascending, SortDirection::Descending] {
                let base = InvoiceFilter {
                    sort,
                    direction,
                    offset: 90_000,
                    ..InvoiceFilter::all(company)
                };
                for f in filters(&base) {
                    let sql = f.sql();
                    let mut page_args = sql.args.clone();
                    page_args.extend([Value::Integer(50), Value::Integer(90_000)]);
                    let page = plan(&store, &sql.page, &page_args);
                    // A temp B-tree would mean sorting every match, i.e. reading each row.
                    assert!(
                        page.contains("USING INDEX invoices_list_")
                            && !page.contains("TEMP B-TREE"),
                        "{sort:?} {direction:?} {f:?}: {page}"
                    );
                    let count = plan(&store, &sql.count, &sql.args);
                    assert!(
                        count.contains("USING COVERING INDEX invoices_list_"),
                        "{sort:?} {f:?}: {count}"
                    );
                }
            }
        }
        let counts = plan(
            &store,
            "SELECT state, count(*) FROM invoices INDEXED BY invoices_list_state
             WHERE company_id = ?1 AND removed_at IS NULL GROUP BY state",
            &[Value::Integer(company.0)],
        );
        assert!(
            counts.contains("COVERING INDEX invoices_list_state"),
            "{counts}"
        );
    }

    #[test]
    fn nearest_rank_matches_definition() {
        let v: Vec<i64> = (1..=20).collect();
        assert_eq!(nearest_rank(&v, 50), Some(10));
        assert_eq!(nearest_rank(&v, 95), Some(19));
        assert_eq!(nearest_rank(&[7], 95), Some(7));
        assert_eq!(nearest_rank(&[], 50), None);
    }
}
