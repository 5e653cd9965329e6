//! Files the user takes away: the invoice list as XLSX and as CSV for Polish Excel, the weekly
//! error report, the database backup; and the dashboard's per-day chart in Warsaw days. Demo
//! invoices on a manual clock.

mod common;

use common::{open, NOW_MS};
use desk_api::types::*;

const DEMO_COUNT: u32 = 12;

fn imported(summary: &ImportSummary) -> Vec<i64> {
    summary.items.iter().filter_map(|i| i.invoice_id).collect()
}

#[test]
fn exported_csv_opens_in_polish_excel_with_one_line_per_chosen_invoice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fx = open(dir.path());
    let summary = fx.api.generate_demo_invoices(DEMO_COUNT).expect("demo");
    let ids = imported(&summary);
    let chosen = &ids[..ids.len() - 1];
    let path = fx
        .api
        .export_invoices(chosen.to_vec(), ExportFormat::Csv)
        .expect("export");
    let text = std::fs::read_to_string(&path).expect("exported file");
    let body = text.strip_prefix('\u{feff}').expect("UTF-8 BOM for Excel");
    let lines: Vec<&str> = body.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 1 + chosen.len(), "header plus one line each");
    assert!(
        lines[0].starts_with("Numer faktury;Data wystawienia;"),
        "{}",
        lines[0]
    );
    for id in chosen {
        let number = fx
            .api
            .invoice_detail(*id)
            .expect("detail")
            .row
            .invoice_number;
        if let Some(number) = number {
            assert!(
                lines.iter().any(|l| l.starts_with(&format!("{number};"))),
                "{number} is exported"
            );
        }
    }
    let empty = fx.api.export_invoices(Vec::new(), ExportFormat::Csv);
    assert_eq!(
        empty.expect_err("nothing chosen").code,
        "desk.invalid_input"
    );
}

#[test]
fn exported_xlsx_holds_each_chosen_invoice_as_typed_cells() {
    use calamine::{Data, Reader as _};

    let dir = tempfile::tempdir().expect("tempdir");
    let fx = open(dir.path());
    let summary = fx.api.generate_demo_invoices(DEMO_COUNT).expect("demo");
    // The source rows, read through the app's own list (the UI's view of the same invoices);
    // demo files that are not even XML have no number to match a row by, so they are left out.
    let sources: Vec<InvoiceRow> = fx
        .api
        .list_invoices(InvoiceQuery {
            states: Vec::new(),
            date_from: None,
            date_to: None,
            counterparty: None,
            number: None,
            ids: Some(imported(&summary)),
            sort: InvoiceSort {
                column: SortColumn::InvoiceNumber,
                dir: SortDir::Asc,
            },
            after: None,
            offset: 0,
            limit: 100,
            skip_total: false,
        })
        .expect("list")
        .rows
        .into_iter()
        .filter(|r| r.invoice_number.is_some())
        .skip(1)
        .collect();
    assert!(sources.len() >= 2, "enough invoices to compare");
    let chosen: Vec<i64> = sources.iter().map(|r| r.id).collect();
    let path = fx
        .api
        .export_invoices(chosen.clone(), ExportFormat::Xlsx)
        .expect("export");
    assert!(path.ends_with(".xlsx"), "{path}");
    assert!(
        path.starts_with(&dir.path().display().to_string()),
        "in the data folder"
    );
    let mut book = calamine::open_workbook_auto(&path).expect("a workbook Excel can read");
    let sheet = book.worksheet_range("Faktury").expect("the Polish sheet");
    assert_eq!(sheet.height(), 1 + chosen.len(), "header plus one row each");
    assert_eq!(
        sheet.get_value((0, 0)),
        Some(&Data::String("Numer faktury".to_owned()))
    );
    let mut last_date = None;
    for r in 1..sheet.height() as u32 {
        let number = match sheet.get_value((r, 0)) {
            Some(Data::String(n)) => n.clone(),
            other => panic!("row {r}: invoice number is not text: {other:?}"),
        };
        let source = sources
            .iter()
            .find(|row| row.invoice_number.as_deref() == Some(number.as_str()))
            .expect("the exported number is a chosen invoice");
        let date = match sheet.get_value((r, 1)) {
            Some(Data::DateTime(d)) => d.as_datetime().map(|t| t.date().to_string()),
            other => panic!("row {r}: issue date is not a date: {other:?}"),
        };
        assert_eq!(date, source.issue_date, "{number}: issue date");
        assert!(last_date <= date, "oldest issue date first");
        last_date = date;
        match (sheet.get_value((r, 4)), source.gross_minor) {
            (Some(Data::Float(v)), Some(gross)) => assert!(
                (v * 100.0 - gross as f64).abs() < 1e-6,
                "{number}: {v} vs {gross} minor units"
            ),
            (Some(Data::Empty), None) => {}
            (cell, gross) => panic!("row {r}: gross cell {cell:?} for {gross:?}"),
        }
        let nip = source
            .counterparty_nip
            .clone()
            .map_or(Data::Empty, Data::String);
        assert_eq!(
            sheet.get_value((r, 3)),
            Some(&nip),
            "{number}: buyer NIP as text"
        );
    }
}

#[test]
fn weekly_report_has_its_header_and_rejects_a_malformed_week() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fx = open(dir.path());
    let path = fx
        .api
        .export_weekly_report("2026-11-16".to_owned())
        .expect("report");
    let text = std::fs::read_to_string(path).expect("report file");
    assert_eq!(
        text, "\u{feff}Kod;Opis;Liczba\r\n",
        "no errors recorded that week"
    );
    let bad = fx.api.export_weekly_report("16.11.2026".to_owned());
    assert_eq!(bad.expect_err("malformed").code, "desk.invalid_input");
}

#[test]
fn backup_is_a_database_holding_the_same_invoices() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fx = open(dir.path());
    let summary = fx.api.generate_demo_invoices(DEMO_COUNT).expect("demo");
    let path = fx.api.backup_database().expect("backup");
    let copy = engine::store::Store::open(std::path::Path::new(&path)).expect("open backup");
    for id in imported(&summary) {
        let original = fx.api.invoice_detail(id).expect("detail");
        let bytes = copy
            .original_bytes(engine::store::InvoiceId(id))
            .expect("invoice in the backup");
        assert_eq!(bytes.len() as i64, original.size_bytes);
    }
}

#[test]
fn dashboard_days_are_warsaw_days() {
    const HOUR_MS: i64 = 3_600_000;
    // 2026-11-20T22:30Z is 23:30 on 20 November in Warsaw (UTC+1 in winter)…
    let before_warsaw_midnight = NOW_MS - 13 * HOUR_MS - 30 * 60_000;
    let dir = tempfile::tempdir().expect("tempdir");
    let fx = common::open_at(
        dir.path(),
        std::sync::Arc::new(desk_api::MemoryStore::default()),
        before_warsaw_midnight,
    );
    let earlier = fx.api.generate_demo_invoices(2).expect("demo");
    // …and an hour later, still 20 November in UTC, it is 00:30 on 21 November in Warsaw.
    fx.clock.set(before_warsaw_midnight + HOUR_MS);
    let late = fx.api.generate_demo_invoices(3).expect("demo");
    fx.clock.set(NOW_MS);
    assert!(
        late.imported > 0 && earlier.imported > 0,
        "both batches queued something"
    );
    let daily = fx.api.dashboard().expect("dashboard").daily;
    let day = |d: &str| daily.iter().find(|c| c.day == d).map(|c| c.queued);
    assert_eq!(day("2026-11-21"), Some(late.imported));
    assert_eq!(day("2026-11-20"), Some(earlier.imported));
    assert_eq!(daily.last().map(|c| c.day.as_str()), Some("2026-11-21"));
}

#[test]
fn dashboard_daily_covers_thirty_days_ending_today_with_todays_imports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fx = open(dir.path());
    let summary = fx.api.generate_demo_invoices(DEMO_COUNT).expect("demo");
    let daily = fx.api.dashboard().expect("dashboard").daily;
    assert_eq!(daily.len(), 30);
    let today = chrono::DateTime::from_timestamp_millis(NOW_MS)
        .expect("now")
        .date_naive()
        .to_string();
    let last = daily.last().expect("today");
    assert_eq!(last.day, today);
    assert_eq!(
        last.queued, summary.imported,
        "every valid import was queued today"
    );
    assert!(daily[..29]
        .iter()
        .all(|d| d.queued + d.accepted + d.rejected == 0));
}
