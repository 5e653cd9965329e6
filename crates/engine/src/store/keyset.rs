//! Keyset ("seek") paging for the invoice list: a far page starts right after a known sort key,
//! so SQLite seeks to it in the sort index instead of walking every row before it
//! (`benches/list_pages.rs`: at 100 000 invoices a page at OFFSET 99 000 takes 4–6 ms, the same
//! page after an anchor about 0.15 ms). The backend keeps no state: the caller reads the keys of
//! every n-th row once ([`Store::list_anchors`]) and sends one back with each far page.
//!
//! # Segments
//! SQLite sorts NULL first ascending and last descending, and a row-value comparison with a NULL
//! is NULL (matches nothing). So a sorted list is two segments, the NULL rows (in id order) and
//! the rest, and a page after a key is read from the key's own segment first, then, when that
//! runs out, from the start of the segment that follows it (if one does). A list sorted by state
//! and filtered to some states is one segment per listed state, for the same reason: SQLite
//! reads `state IN (…)` a state at a time and cannot seek by `(state, id)` across them.

use std::num::NonZeroU32;

use rusqlite::{params_from_iter, types::Value};

use super::queries::{InvoiceFilter, InvoiceSort, InvoiceSummaryRow, ListSql, SortDirection};
use super::{InvoiceId, Store, StoreError};

/// The value of the sort column in one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyValue {
    /// The column is empty (only nullable columns).
    Null,
    /// An integer column (`gross_minor`, `updated_at`).
    Int(i64),
    /// A text column (dates, numbers, names, states).
    Text(String),
}

/// Where one row stands in a sorted list: its sort column's value, then its id (the tie-breaker).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    /// The sort column's value.
    pub value: KeyValue,
    /// The row's id.
    pub id: InvoiceId,
}

impl InvoiceSort {
    /// Whether the column may be NULL (state and updated_at are `NOT NULL`).
    fn nullable(self) -> bool {
        !matches!(self, InvoiceSort::State | InvoiceSort::UpdatedAt)
    }
}

/// A criterion (a `WHERE` term) and its parameters.
type Criterion = (String, Vec<Value>);

/// How to read the rows after a key: the list's criteria, then the rest of the key's own
/// segment, then the segment that follows it (each read in the sort index's order).
struct Seek {
    base: ListSql,
    rest: Option<Criterion>,
    next: Option<Criterion>,
}

impl InvoiceFilter {
    /// The direction's comparison for "after" in the list's order.
    fn after_op(&self) -> &'static str {
        match self.direction {
            SortDirection::Ascending => ">",
            SortDirection::Descending => "<",
        }
    }

    /// How to read the rows after `key` in this list (see the module docs).
    fn seek(&self, key: &SortKey) -> Seek {
        if let (InvoiceSort::State, KeyValue::Text(state), false) =
            (self.sort, &key.value, self.states.is_empty())
        {
            return self.seek_in_states(state, key.id);
        }
        let col = self.sort.column();
        let after = self.after_op();
        let id = Value::Integer(key.id.0);
        let (rest, next) = match &key.value {
            KeyValue::Null => (
                (format!("{col} IS NULL AND id {after} ?"), vec![id]),
                // Ascending, the non-NULL rows follow the NULL ones.
                (self.direction == SortDirection::Ascending)
                    .then(|| (format!("{col} IS NOT NULL"), Vec::new())),
            ),
            KeyValue::Int(v) => (
                (
                    format!("({col}, id) {after} (?, ?)"),
                    vec![Value::Integer(*v), id],
                ),
                self.null_tail(),
            ),
            KeyValue::Text(v) => (
                (
                    format!("({col}, id) {after} (?, ?)"),
                    vec![Value::Text(v.clone()), id],
                ),
                self.null_tail(),
            ),
        };
        Seek {
            base: self.without_bound_behind(&key.value).sql(),
            rest: Some(rest),
            next,
        }
    }

    /// Sorted by issue date, the date bound on the side the list comes from adds nothing once
    /// the key is inside the range, and of two bounds on that side SQLite seeks by only one:
    /// leave it the key's.
    fn without_bound_behind(&self, value: &KeyValue) -> InvoiceFilter {
        let mut f = self.clone();
        if let (InvoiceSort::IssueDate, KeyValue::Text(date)) = (self.sort, value) {
            match self.direction {
                SortDirection::Ascending => {
                    f.issued_from.take_if(|from| from.as_str() <= date.as_str());
                }
                SortDirection::Descending => {
                    f.issued_to.take_if(|to| to.as_str() >= date.as_str());
                }
            }
        }
        f
    }

    /// Descending on a nullable column, the NULL rows follow the others. A date bound matches
    /// no row without a date (and may have been left out of the seek's criteria).
    fn null_tail(&self) -> Option<Criterion> {
        let dated = self.issued_from.is_some() || self.issued_to.is_some();
        let nulls_listed = self.sort.nullable() && !(self.sort == InvoiceSort::IssueDate && dated);
        (self.direction == SortDirection::Descending && nulls_listed)
            .then(|| (format!("{} IS NULL", self.sort.column()), Vec::new()))
    }

    /// Sorted by state with a state filter: SQLite reads `state IN (…)` one state at a time and
    /// would not seek by `(state, id)` inside a state, so each listed state is its own segment:
    /// the key's state from the key on, then the listed states after it, from their start.
    fn seek_in_states(&self, state: &str, id: InvoiceId) -> Seek {
        let after = self.after_op();
        let listed = self.states.iter().any(|s| s.as_str() == state);
        let rest = listed.then(|| {
            (
                format!("state = ? AND id {after} ?"),
                vec![Value::Text(state.to_owned()), Value::Integer(id.0)],
            )
        });
        let later: Vec<Value> = self
            .states
            .iter()
            .map(|s| s.as_str())
            .filter(|s| match self.direction {
                SortDirection::Ascending => *s > state,
                SortDirection::Descending => *s < state,
            })
            .map(|s| Value::Text(s.to_owned()))
            .collect();
        let next = (!later.is_empty()).then(|| {
            let marks = vec!["?"; later.len()].join(", ");
            (format!("state IN ({marks})"), later)
        });
        let everything = InvoiceFilter {
            states: Vec::new(),
            ..self.clone()
        };
        Seek {
            base: everything.sql(),
            rest,
            next,
        }
    }
}

impl Store {
    /// Rows `[offset, offset + limit)` counted from just after `key` (see the module docs).
    pub(super) fn seek_rows(
        &self,
        f: &InvoiceFilter,
        key: &SortKey,
        limit: u32,
    ) -> Result<Vec<InvoiceSummaryRow>, StoreError> {
        let Seek { base, rest, next } = f.seek(key);
        let with = |(clause, args): &Criterion| {
            let mut all = base.args.clone();
            all.extend(args.iter().cloned());
            (format!("{} AND {clause}", base.filter), all)
        };
        let rest = rest.as_ref().map(with);
        let mut rows = match &rest {
            Some((filter, args)) => {
                self.page_rows(&f.page_sql(filter), args.clone(), limit, f.offset)?
            }
            None => Vec::new(),
        };
        let short = u32::try_from(rows.len()).map_or(0, |got| limit.saturating_sub(got));
        let Some((next_filter, next_args)) = next.as_ref().filter(|_| short > 0).map(with) else {
            return Ok(rows);
        };
        // Some rows of this page came from the key's segment, so the offset ended inside it;
        // none did, so it went past the segment's rest (fewer rows than the offset: cheap to
        // count) and goes on into the next one.
        let skip = match &rest {
            Some((filter, args)) if rows.is_empty() && f.offset > 0 => {
                let count = format!(
                    "SELECT count(*) FROM invoices INDEXED BY {} WHERE {filter}",
                    f.sort.index()
                );
                let in_rest: i64 =
                    self.conn()
                        .query_row(&count, params_from_iter(args.iter()), |r| r.get(0))?;
                f.offset
                    .saturating_sub(u32::try_from(in_rest).unwrap_or(u32::MAX))
            }
            Some(_) => 0,
            None => f.offset,
        };
        rows.extend(self.page_rows(&f.page_sql(&next_filter), next_args, short, skip)?);
        Ok(rows)
    }

    /// The sort keys of the rows at positions `every - 1`, `2 * every - 1`, … of the list `f`
    /// selects (its paging is ignored): the last row of each block of `every`. A page at row
    /// `r >= every` is then `after = anchors[r / every - 1]`, `offset = r % every`.
    ///
    /// One ordered walk of the sort index: at 100 000 rows about 9 ms, where numbering the rows
    /// with a window function took about 54 ms.
    pub fn list_anchors(
        &self,
        f: &InvoiceFilter,
        every: NonZeroU32,
    ) -> Result<Vec<SortKey>, StoreError> {
        let base = f.sql();
        let col = f.sort.column();
        let sql = format!(
            "SELECT {col}, id FROM invoices INDEXED BY {index} WHERE {filter} ORDER BY {order}",
            index = f.sort.index(),
            filter = base.filter,
            order = f.order_by()
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let mut rows = stmt.query(params_from_iter(base.args.iter()))?;
        let every = u64::from(every.get());
        let mut anchors = Vec::new();
        let mut position: u64 = 0;
        while let Some(row) = rows.next()? {
            position += 1;
            if !position.is_multiple_of(every) {
                continue;
            }
            let value = match row.get::<_, Value>(0)? {
                Value::Null => KeyValue::Null,
                Value::Integer(v) => KeyValue::Int(v),
                Value::Text(v) => KeyValue::Text(v),
                other => {
                    return Err(StoreError::Corrupt {
                        column: col,
                        value: format!("{other:?}"),
                    })
                }
            };
            anchors.push(SortKey {
                value,
                id: InvoiceId(row.get(1)?),
            });
        }
        Ok(anchors)
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use rusqlite::types::Value;

    use super::{Criterion, KeyValue, Seek, SortKey};
    use crate::state::SubmissionState;
    use crate::store::queries::tests::{filters as every_filter, plan};
    use crate::store::queries::{InvoiceFilter, InvoiceSort, SortDirection};
    use crate::store::test_support::{insert_queued, temp_store};
    use crate::store::{CompanyId, InvoiceId, Store};

    const DIRECTIONS: [SortDirection; 2] = [SortDirection::Ascending, SortDirection::Descending];
    /// Rows per page in the comparisons: small, so a list of a few dozen rows has many pages.
    const PAGE_ROWS: u32 = 5;

    /// A sortable copy of one column's value, for the oracle (each column holds one kind).
    #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
    enum Cell {
        Int(i64),
        Text(String),
    }

    /// One generated invoice, as the oracle sees it.
    #[derive(Debug, Clone)]
    struct Generated {
        id: InvoiceId,
        number: Option<String>,
        issued: Option<String>,
        buyer: Option<String>,
        gross: Option<i64>,
        ksef: Option<String>,
        state: SubmissionState,
        updated_at: i64,
        removed: bool,
    }

    impl Generated {
        fn cell(&self, sort: InvoiceSort) -> Option<Cell> {
            let text = |v: &Option<String>| v.clone().map(Cell::Text);
            match sort {
                InvoiceSort::IssueDate => text(&self.issued),
                InvoiceSort::InvoiceNumber => text(&self.number),
                InvoiceSort::Buyer => text(&self.buyer),
                InvoiceSort::State => Some(Cell::Text(self.state.as_str().to_owned())),
                InvoiceSort::Gross => self.gross.map(Cell::Int),
                InvoiceSort::KsefNumber => text(&self.ksef),
                InvoiceSort::UpdatedAt => Some(Cell::Int(self.updated_at)),
            }
        }

        fn key(&self, sort: InvoiceSort) -> SortKey {
            let value = match self.cell(sort) {
                None => KeyValue::Null,
                Some(Cell::Int(v)) => KeyValue::Int(v),
                Some(Cell::Text(v)) => KeyValue::Text(v),
            };
            SortKey { value, id: self.id }
        }
    }

    /// Picks one of `pool` (None entries are NULLs; repeated entries make ties).
    fn pick<T: Clone>(rng: &mut ChaCha8Rng, pool: &[T]) -> T {
        pool[rng.gen_range(0..pool.len())].clone()
    }

    /// `count` invoices with NULLs, duplicate values and some removed rows in every column.
    fn seed(store: &mut Store, company: CompanyId, count: usize, seed: u64) -> Vec<Generated> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let text = |v: &[Option<&str>]| -> Vec<Option<String>> {
            v.iter().map(|s| s.map(str::to_owned)).collect()
        };
        let numbers = text(&[None, Some("FV/1"), Some("FV/1"), Some("FV/10"), Some("A-7")]);
        let dates = text(&[
            None,
            Some("2026-01-31"),
            Some("2026-02-01"),
            Some("2026-02-01"),
            Some("2026-03-15"),
        ]);
        let buyers = text(&[
            None,
            Some("Alfa"),
            Some("Beta"),
            Some("alpejski"),
            Some("Gamma"),
        ]);
        let ksef = text(&[
            None,
            None,
            Some("5265877635-20260101-AB"),
            Some("5265877635-2026"),
        ]);
        let states = [
            SubmissionState::Queued,
            SubmissionState::Invalid,
            SubmissionState::Rejected,
        ];
        let mut out = Vec::with_capacity(count);
        for n in 0..count {
            let id = insert_queued(
                store,
                company,
                &format!("N{n}"),
                n.to_string().as_bytes(),
                0,
            );
            let g = Generated {
                id,
                number: pick(&mut rng, &numbers),
                issued: pick(&mut rng, &dates),
                buyer: pick(&mut rng, &buyers),
                gross: pick(
                    &mut rng,
                    &[None, Some(-5), Some(0), Some(1_250), Some(1_250)],
                ),
                ksef: pick(&mut rng, &ksef),
                state: pick(&mut rng, &states),
                updated_at: rng.gen_range(0..4),
                removed: rng.gen_range(0..7) == 0,
            };
            store
                .conn()
                .execute(
                    "UPDATE invoices SET invoice_number = ?2, issue_date = ?3, buyer_name = ?4,
                     gross_minor = ?5, ksef_number = ?6, state = ?7, updated_at = ?8,
                     removed_at = ?9 WHERE id = ?1",
                    rusqlite::params![
                        id.0,
                        g.number,
                        g.issued,
                        g.buyer,
                        g.gross,
                        g.ksef,
                        g.state.as_str(),
                        g.updated_at,
                        g.removed.then_some(1_i64),
                    ],
                )
                .expect("update");
            out.push(g);
        }
        out
    }

    /// The list `f` selects, filtered and sorted in Rust: NULL first ascending (as SQLite does),
    /// ties by id, everything reversed descending.
    fn oracle<'a>(
        data: &'a [Generated],
        f: &InvoiceFilter,
        matches: &dyn Fn(&Generated) -> bool,
    ) -> Vec<&'a Generated> {
        let mut rows: Vec<&Generated> = data.iter().filter(|g| !g.removed && matches(g)).collect();
        rows.sort_by(|a, b| {
            let order = (a.cell(f.sort), a.id).cmp(&(b.cell(f.sort), b.id));
            match f.direction {
                SortDirection::Ascending => order,
                SortDirection::Descending => order.reverse(),
            }
        });
        rows
    }

    /// Which generated rows a filter keeps, as the oracle decides it.
    type Matches = Box<dyn Fn(&Generated) -> bool>;

    /// The kinds of list the UI asks for: everything, a state chip, a text search and a date
    /// range open at either end.
    fn filters(company: CompanyId) -> Vec<(InvoiceFilter, Matches)> {
        let all = InvoiceFilter::all(company);
        let states = vec![SubmissionState::Queued, SubmissionState::Rejected];
        let wanted = states.clone();
        vec![
            (all.clone(), Box::new(|_: &Generated| true)),
            (
                InvoiceFilter {
                    states,
                    ..all.clone()
                },
                Box::new(move |g: &Generated| wanted.contains(&g.state)),
            ),
            (
                InvoiceFilter {
                    issued_from: Some("2026-02-01".into()),
                    ..all.clone()
                },
                Box::new(|g: &Generated| g.issued.as_deref().is_some_and(|d| d >= "2026-02-01")),
            ),
            (
                InvoiceFilter {
                    issued_to: Some("2026-02-01".into()),
                    ..all.clone()
                },
                Box::new(|g: &Generated| g.issued.as_deref().is_some_and(|d| d <= "2026-02-01")),
            ),
            (
                InvoiceFilter {
                    counterparty: Some("AL".into()),
                    ..all
                },
                Box::new(|g: &Generated| {
                    g.buyer
                        .as_deref()
                        .is_some_and(|b| b.to_ascii_lowercase().contains("al"))
                }),
            ),
        ]
    }

    fn ids(rows: &[crate::store::InvoiceSummaryRow]) -> Vec<InvoiceId> {
        rows.iter().map(|r| r.id).collect()
    }

    #[test]
    fn a_page_after_a_key_is_the_page_at_the_same_absolute_offset() {
        let (_dir, mut store, company) = temp_store();
        let data = seed(&mut store, company, 48, 7);
        // The data must exercise what the seek has to get right.
        assert!(data.iter().any(|g| g.number.is_none()) && data.iter().any(|g| g.removed));
        for (base, matches) in filters(company) {
            for sort in InvoiceSort::ALL {
                for direction in DIRECTIONS {
                    let f = InvoiceFilter {
                        sort,
                        direction,
                        limit: PAGE_ROWS,
                        ..base.clone()
                    };
                    let expected: Vec<InvoiceId> =
                        oracle(&data, &f, &matches).iter().map(|g| g.id).collect();
                    let want = |from: usize| -> Vec<InvoiceId> {
                        expected
                            .iter()
                            .skip(from)
                            .take(PAGE_ROWS as usize)
                            .copied()
                            .collect()
                    };
                    let keys = oracle(&data, &f, &matches);
                    for start in 0..=expected.len() {
                        let offset = u32::try_from(start).unwrap();
                        let by_offset = store
                            .list_invoice_rows(&InvoiceFilter {
                                offset,
                                ..f.clone()
                            })
                            .unwrap();
                        assert_eq!(
                            ids(&by_offset),
                            want(start),
                            "{sort:?} {direction:?} @{start}"
                        );
                    }
                    // From after every row, every offset: across the NULL boundary both ways,
                    // past the key's segment and past the end.
                    for (at, anchor) in keys.iter().enumerate() {
                        for offset in 0..=u32::try_from(expected.len() - at).unwrap() {
                            let page = store
                                .list_invoice_rows(&InvoiceFilter {
                                    after: Some(anchor.key(sort)),
                                    offset,
                                    ..f.clone()
                                })
                                .unwrap();
                            assert_eq!(
                                ids(&page),
                                want(at + 1 + offset as usize),
                                "{sort:?} {direction:?} {f:?} after row {at} +{offset}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn anchors_are_the_last_keys_of_each_block() {
        let (_dir, mut store, company) = temp_store();
        let data = seed(&mut store, company, 40, 11);
        for (base, matches) in filters(company) {
            for sort in InvoiceSort::ALL {
                for direction in DIRECTIONS {
                    let f = InvoiceFilter {
                        sort,
                        direction,
                        ..base.clone()
                    };
                    let rows = oracle(&data, &f, &matches);
                    for every in [1_usize, 4, 10] {
                        let expected: Vec<SortKey> = rows
                            .iter()
                            .skip(every - 1)
                            .step_by(every)
                            .map(|g| g.key(sort))
                            .collect();
                        let step = NonZeroU32::new(u32::try_from(every).unwrap()).unwrap();
                        let anchors = store.list_anchors(&f, step).unwrap();
                        assert_eq!(anchors, expected, "{sort:?} {direction:?} every {every}");
                    }
                }
            }
        }
    }

    #[test]
    fn every_seek_is_a_range_search_in_the_sort_index() {
        let (_dir, store, company) = temp_store();
        let mut wrong = Vec::new();
        for sort in InvoiceSort::ALL {
            for direction in DIRECTIONS {
                let base = InvoiceFilter {
                    sort,
                    direction,
                    ..InvoiceFilter::all(company)
                };
                let value = match sort {
                    InvoiceSort::Gross | InvoiceSort::UpdatedAt => KeyValue::Int(5),
                    InvoiceSort::State => KeyValue::Text("queued".into()),
                    // Inside the plan's date range, as an anchor of that list would be.
                    InvoiceSort::IssueDate => KeyValue::Text("2026-01-15".into()),
                    _ => KeyValue::Text("m".into()),
                };
                let mut keys = vec![SortKey {
                    value,
                    id: InvoiceId(9),
                }];
                if sort.nullable() {
                    keys.push(SortKey {
                        value: KeyValue::Null,
                        id: InvoiceId(9),
                    });
                }
                let col = sort.column();
                let after = base.after_op();
                let index = format!(
                    "SEARCH invoices USING INDEX {} (company_id=? AND removed_at=? AND ",
                    sort.index()
                );
                for f in every_filter(&base) {
                    // SQLite names a row value's leading column as the range of its seek. With
                    // an id selection it may look each selected id up instead (as many probes
                    // as ids, and still in order).
                    let mut ranges =
                        vec![format!("{col}{after}?"), format!("{col}=? AND id{after}?")];
                    if !f.ids.is_empty() {
                        ranges.push(format!("{col}=? AND id=?"));
                    }
                    for key in &keys {
                        let Seek {
                            base: sql,
                            rest,
                            next,
                        } = f.seek(key);
                        let planned = |(clause, args): &Criterion| {
                            let mut all = sql.args.clone();
                            all.extend(args.iter().cloned());
                            all.extend([Value::Integer(5), Value::Integer(3)]);
                            let page = f.page_sql(&format!("{} AND {clause}", sql.filter));
                            plan(&store, &page, &all)
                        };
                        if let Some(rest) = &rest {
                            let seek = planned(rest);
                            // The range may follow the other side's date bound.
                            let ranged = seek.contains(&index)
                                && ranges.iter().any(|r| seek.contains(r.as_str()));
                            if !ranged || seek.contains("TEMP B-TREE") {
                                wrong.push(format!("{sort:?} {direction:?} {f:?} {key:?}: {seek}"));
                            }
                        }
                        if let Some(next) = &next {
                            let tail = planned(next);
                            if !tail.contains(&format!("{index}{col}"))
                                || tail.contains("TEMP B-TREE")
                            {
                                wrong.push(format!("next {sort:?} {direction:?} {f:?}: {tail}"));
                            }
                        }
                    }
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
