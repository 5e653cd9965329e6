//! Far pages of the invoice list at 100 000 rows (`ENGINE_BENCH_INVOICES` overrides): a page
//! reached by OFFSET (the baseline, measured in the same run) against the same page reached by
//! seeking after an anchor (`InvoiceFilter::after`), plus the one ordered walk that reads the
//! anchors. Rows carry NULLs and ties in the sort columns, as real lists do.
//!
//! Prints figures only; it asserts nothing about time.

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use engine::store::{InvoiceFilter, InvoiceSort, NewCompany, SortDirection, Store};
use rusqlite::{params, Connection};

/// Invoices generated when `ENGINE_BENCH_INVOICES` is not set.
const INVOICES_DEFAULT: usize = 100_000;
/// Rows between two anchors, as the UI's page cache asks for them.
const ANCHOR_ROWS: u32 = 1_000;
/// Rows per page, as the UI's page cache asks for them.
const PAGE_ROWS: u32 = 200;
/// Repetitions of each measured fetch; the median is reported.
const REPEATS: usize = 15;

fn invoices() -> usize {
    std::env::var("ENGINE_BENCH_INVOICES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(INVOICES_DEFAULT)
}

/// `count` queued invoices written straight into the table (the import path is not measured
/// here): small originals, every tenth number and buyer missing, numbers repeating every 7 000.
fn seed(db: &std::path::Path, count: usize) -> engine::store::CompanyId {
    let mut store = Store::open(db).expect("open store");
    let company = store
        .insert_company(
            &NewCompany {
                name: "Bench Sp. z o.o.",
                environment: "test",
                nip: "5265877635",
                base_url: "https://api-test.ksef.mf.gov.pl/v2",
                keyring_ref: "ksef-desk/bench",
            },
            0,
        )
        .expect("company");
    drop(store);
    let mut conn = Connection::open(db).expect("connection");
    let tx = conn.transaction().expect("transaction");
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO invoices (company_id, file_name, source_path, original, size_bytes,
                     sha256, buyer_name, invoice_number, issue_date, gross_minor, content_hash,
                     state, next_attempt_at, trace_id, created_at, updated_at)
                 VALUES (?1, 'f.xml', 'f.xml', ?2, length(?2), ?3, ?4, ?5, ?6, ?7, ?3,
                         'queued', 0, 't', ?8, ?8)",
            )
            .expect("prepare");
        for i in 0..count {
            let n = i64::try_from(i).expect("count fits i64");
            let missing = i % 10 == 0;
            insert
                .execute(params![
                    company.0,
                    format!("<Faktura>{i}</Faktura>").into_bytes(),
                    format!("{n:064x}"),
                    (!missing).then(|| format!("Nabywca {:05}", (n * 7_919) % 20_011)),
                    (!missing).then(|| format!("FV/{:06}", (n * 104_729) % 7_000)),
                    format!("2026-{:02}-{:02}", 1 + n % 12, 1 + n % 28),
                    (n * 3_571) % 1_000_000,
                    n % 50_000,
                ])
                .expect("insert");
        }
    }
    tx.commit().expect("commit");
    company
}

/// Median wall time of `REPEATS` runs of `f`.
fn median(mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..REPEATS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort_unstable();
    times[REPEATS / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

fn main() {
    let count = invoices();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("outbox.db");
    let company = seed(&db, count);
    let store = Store::open(&db).expect("open store");
    let every = NonZeroU32::new(ANCHOR_ROWS).expect("non-zero");
    println!("list pages at {count} invoices, page {PAGE_ROWS} rows, anchors every {ANCHOR_ROWS}");
    println!("sort                      anchors ms      row  offset ms  seek ms  offset/seek");
    for (sort, direction) in [
        (InvoiceSort::InvoiceNumber, SortDirection::Ascending),
        (InvoiceSort::Buyer, SortDirection::Descending),
        (InvoiceSort::UpdatedAt, SortDirection::Descending),
    ] {
        let base = InvoiceFilter {
            sort,
            direction,
            limit: PAGE_ROWS,
            ..InvoiceFilter::all(company)
        };
        let mut anchors = Vec::new();
        let walk = median(|| anchors = store.list_anchors(&base, every).expect("anchors"));
        let total = u32::try_from(count).expect("count fits u32");
        for row in [total / 2, total - total / 100] {
            let row = row - row % PAGE_ROWS;
            let by_offset = InvoiceFilter {
                offset: row,
                ..base.clone()
            };
            let block = usize::try_from(row / ANCHOR_ROWS).expect("fits");
            let by_key = InvoiceFilter {
                after: block.checked_sub(1).and_then(|b| anchors.get(b)).cloned(),
                offset: row % ANCHOR_ROWS,
                ..base.clone()
            };
            let expected = store.list_invoice_rows(&by_offset).expect("page");
            assert_eq!(store.list_invoice_rows(&by_key).expect("page"), expected);
            let offset = median(|| drop(store.list_invoice_rows(&by_offset).expect("page")));
            let seek = median(|| drop(store.list_invoice_rows(&by_key).expect("page")));
            println!(
                "{:<24} {:>11.2}  {row:>7}  {:>9.2}  {:>7.2}  {:>10.1}x",
                format!("{sort:?} {direction:?}"),
                ms(walk),
                ms(offset),
                ms(seek),
                offset.as_secs_f64() / seek.as_secs_f64()
            );
        }
    }
}
