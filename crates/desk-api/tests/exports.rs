//! Files the user takes away: the invoice CSV for Polish Excel, the weekly error report, the
//! database backup; and the dashboard's per-day chart. Demo invoices on a manual clock.

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
    let xlsx = fx
        .api
        .export_invoices(chosen.to_vec(), ExportFormat::Xlsx)
        .expect_err("no XLSX yet");
    assert_eq!(xlsx.code, desk_api::error::codes::NOT_AVAILABLE);
    let empty = fx.api.export_invoices(Vec::new(), ExportFormat::Csv);
    assert_eq!(
        empty.expect_err("nothing chosen").code,
        "desk.invalid_input"
    );
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
