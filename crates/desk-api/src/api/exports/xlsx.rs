//! The invoice list as an Excel workbook with typed cells: issue dates are dates, amounts are
//! numbers with two decimals, and everything else (NIPs, invoice and KSeF numbers) is text, so
//! leading zeros survive and nothing an invoice says can become a formula. The header is bold,
//! frozen and carries an autofilter.
//!
//! Number formats in the file use Excel's neutral syntax (`#,##0.00`); Excel renders them in the
//! reader's locale, which for Polish settings is `1 234,56`.

use chrono::{Datelike as _, NaiveDate};
use rust_xlsxwriter::{ColNum, ExcelDateTime, Format, RowNum, Workbook, Worksheet, XlsxError};

use super::{yes_no, ExportRow, COLUMNS, HEADER_EN, HEADER_PL};
use crate::error::{codes, DeskError, DeskResult};

/// Polish date order, which the file carries as a date format (the value is a real date).
const DATE_FORMAT: &str = "dd.mm.yyyy";
/// Thousands grouping and two decimals; shown with the reader's separators.
const AMOUNT_FORMAT: &str = "#,##0.00";
/// Column widths in characters, in header order: wide enough for typical values.
const WIDTHS_CHARS: [f64; COLUMNS] = [22.0, 12.0, 40.0, 14.0, 14.0, 8.0, 16.0, 38.0, 6.0, 28.0];

/// The workbook's bytes for `rows`, with Polish or English headers.
pub(super) fn invoices(rows: &[ExportRow], pl: bool) -> DeskResult<Vec<u8>> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    fill(sheet, rows, pl).map_err(failed)?;
    book.save_to_buffer().map_err(failed)
}

fn fill(sheet: &mut Worksheet, rows: &[ExportRow], pl: bool) -> Result<(), XlsxError> {
    sheet.set_name(if pl { "Faktury" } else { "Invoices" })?;
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format(DATE_FORMAT);
    let amount = Format::new().set_num_format(AMOUNT_FORMAT);
    let header = if pl { &HEADER_PL } else { &HEADER_EN };
    for (col, (title, width)) in (0..).zip(header.iter().zip(WIDTHS_CHARS)) {
        sheet.write_string_with_format(0, col, *title, &bold)?;
        sheet.set_column_width(col, width)?;
    }
    let mut last: RowNum = 0;
    for (row, r) in (1..).zip(rows) {
        text(sheet, row, 0, &r.invoice_number)?;
        match excel_date(&r.issue_date) {
            Some(d) => {
                sheet.write_date_with_format(row, 1, d, &date)?;
            }
            // A malformed date is still shown, as the text the invoice holds.
            None => text(sheet, row, 1, &r.issue_date)?,
        }
        text(sheet, row, 2, &r.buyer_name)?;
        text(sheet, row, 3, &r.buyer_nip)?;
        if let Some(minor) = r.gross_minor {
            sheet.write_number_with_format(row, 4, amount_value(minor), &amount)?;
        }
        text(sheet, row, 5, &r.currency)?;
        text(sheet, row, 6, &r.state)?;
        text(sheet, row, 7, &r.ksef_number)?;
        text(sheet, row, 8, yes_no(r.has_upo, pl))?;
        text(sheet, row, 9, &r.error_code)?;
        last = row;
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, last, last_col())?;
    Ok(())
}

/// The last column's index.
const fn last_col() -> ColNum {
    COLUMNS as ColNum - 1
}

/// A text cell; empty values leave the cell empty (so Excel's filter offers "(blanks)").
fn text(sheet: &mut Worksheet, row: RowNum, col: ColNum, value: &str) -> Result<(), XlsxError> {
    if !value.is_empty() {
        sheet.write_string(row, col, value)?;
    }
    Ok(())
}

/// `YYYY-MM-DD` as an Excel date; `None` for anything else.
fn excel_date(text: &str) -> Option<ExcelDateTime> {
    let d = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    let year = u16::try_from(d.year()).ok()?;
    let month = u8::try_from(d.month()).ok()?;
    let day = u8::try_from(d.day()).ok()?;
    ExcelDateTime::from_ymd(year, month, day).ok()
}

/// Minor units as the number Excel stores. Excel holds every number as a double; the nearest
/// double to a two-decimal amount shows exactly with the two-decimal format (amounts stay far
/// below 2^53 minor units, where doubles would start to lose whole units).
fn amount_value(minor: i64) -> f64 {
    minor as f64 / 100.0
}

fn failed(e: XlsxError) -> DeskError {
    DeskError::new(
        codes::INTERNAL,
        format!("the XLSX file could not be built: {e}"),
    )
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read as _};

    use calamine::{Data, Reader as _, Xlsx};

    use super::*;

    fn row(number: &str, date: &str, nip: &str, gross: Option<i64>, upo: bool) -> ExportRow {
        ExportRow {
            invoice_number: number.to_owned(),
            issue_date: date.to_owned(),
            buyer_name: "=HYPERLINK(\"http://x\")".to_owned(),
            buyer_nip: nip.to_owned(),
            gross_minor: gross,
            currency: "PLN".to_owned(),
            state: "accepted".to_owned(),
            ksef_number: String::new(),
            has_upo: upo,
            error_code: String::new(),
        }
    }

    fn sheet(bytes: Vec<u8>, name: &str) -> calamine::Range<Data> {
        let mut book = Xlsx::new(Cursor::new(bytes)).expect("a readable workbook");
        book.worksheet_range(name).expect("the sheet")
    }

    fn sheet_xml(bytes: Vec<u8>) -> String {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip");
        let mut xml = String::new();
        zip.by_name("xl/worksheets/sheet1.xml")
            .expect("the sheet part")
            .read_to_string(&mut xml)
            .expect("UTF-8 XML");
        xml
    }

    #[test]
    fn cells_are_typed_as_dates_numbers_and_text() {
        let rows = [
            row("FV/1/2026", "2026-03-29", "0123456789", Some(123_456), true),
            row("FV/2/2026", "29.03.2026", "5265877635", Some(-5), false),
            row("FV/3/2026", "", "", None, false),
        ];
        let range = sheet(invoices(&rows, true).expect("workbook"), "Faktury");
        assert_eq!(range.get_size(), (1 + rows.len(), COLUMNS));
        for (col, title) in HEADER_PL.iter().enumerate() {
            assert_eq!(
                range.get_value((0, col as u32)),
                Some(&Data::String((*title).to_owned()))
            );
        }
        let first_date = match range.get_value((1, 1)) {
            Some(Data::DateTime(d)) => d.as_datetime().map(|t| t.date()),
            other => panic!("issue date is not a date cell: {other:?}"),
        };
        assert_eq!(first_date, NaiveDate::from_ymd_opt(2026, 3, 29));
        // Leading zero kept: the NIP is text, not the number 123456789.
        assert_eq!(
            range.get_value((1, 3)),
            Some(&Data::String("0123456789".to_owned()))
        );
        assert_eq!(range.get_value((1, 4)), Some(&Data::Float(1234.56)));
        assert_eq!(range.get_value((2, 4)), Some(&Data::Float(-0.05)));
        // A malformed date stays visible as the text the invoice holds.
        assert_eq!(
            range.get_value((2, 1)),
            Some(&Data::String("29.03.2026".to_owned()))
        );
        // Text that looks like a formula is stored as text.
        assert_eq!(
            range.get_value((1, 2)),
            Some(&Data::String("=HYPERLINK(\"http://x\")".to_owned()))
        );
        assert_eq!(
            range.get_value((1, 8)),
            Some(&Data::String("tak".to_owned()))
        );
        assert_eq!(
            range.get_value((2, 8)),
            Some(&Data::String("nie".to_owned()))
        );
        assert_eq!(range.get_value((3, 4)), Some(&Data::Empty));
    }

    #[test]
    fn english_headers_name_the_sheet_invoices() {
        let range = sheet(invoices(&[], false).expect("workbook"), "Invoices");
        assert_eq!(
            range.get_value((0, 0)),
            Some(&Data::String(HEADER_EN[0].to_owned()))
        );
        assert_eq!(range.get_size(), (1, COLUMNS));
    }

    #[test]
    fn the_header_is_frozen_and_filtered_and_amounts_show_two_decimals() {
        let rows = [row("FV/1", "2026-01-02", "1", Some(100), false)];
        let bytes = invoices(&rows, true).expect("workbook");
        let xml = sheet_xml(bytes.clone());
        assert!(xml.contains(r#"ySplit="1""#), "frozen header row: {xml}");
        assert!(
            xml.contains(r#"<autoFilter ref="A1:J2"/>"#),
            "autofilter: {xml}"
        );
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip");
        let mut styles = String::new();
        zip.by_name("xl/styles.xml")
            .expect("styles")
            .read_to_string(&mut styles)
            .expect("UTF-8 XML");
        assert!(styles.contains(r#"formatCode="dd.mm.yyyy""#), "{styles}");
        assert!(styles.contains("<b/>"), "a bold font for the header");
    }
}
