//! Files the user takes away: the invoice list and the weekly error report as CSV for Polish
//! Excel, and a backup copy of the database. Each command writes a new file in the data folder
//! and returns its path; the shell offers to open or move it.
//!
//! CSV for Polish Excel: UTF-8 with a byte-order mark, `;` between fields, `,` as decimal
//! separator, CRLF line ends. Excel with Polish regional settings splits on the locale's list
//! separator, which is `;` (the `,` is the decimal separator), and reads a file without a BOM
//! as Windows-1250, which garbles ą, ę, ł, ż…; with the BOM it reads UTF-8.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use engine::store::{InvoiceFilter, InvoiceId, InvoiceSort, SortDirection, DAY_MS};

use super::{lock, DeskApi};
use crate::convert::state_out;
use crate::error::{codes, DeskError, DeskResult};
use crate::types::{ExportFormat, Language};

/// Folder (inside the data folder) exports are written to.
pub const EXPORTS_SUBDIR: &str = "exports";
/// Folder (inside the data folder) backups are written to.
pub const BACKUPS_SUBDIR: &str = "backups";
/// Invoices exported in one file at most (the store's page cap).
pub const EXPORT_ROWS_MAX: u32 = 1_000;

/// UTF-8 byte-order mark: tells Excel the file is UTF-8.
const BOM: &str = "\u{feff}";
/// Field separator Polish Excel splits on.
const SEPARATOR: char = ';';
/// The report's week length.
const WEEK_MS: i64 = 7 * DAY_MS;

impl DeskApi {
    /// `export_invoices`: the chosen invoices of the active company (at most
    /// [`EXPORT_ROWS_MAX`]) as CSV; returns the file's path. XLSX is not offered yet.
    pub fn export_invoices(&self, ids: Vec<i64>, format: ExportFormat) -> DeskResult<String> {
        if format == ExportFormat::Xlsx {
            return Err(DeskError::new(
                codes::NOT_AVAILABLE,
                "XLSX export is not available yet; export CSV, which Excel opens",
            ));
        }
        if ids.is_empty() {
            return Err(DeskError::invalid("no invoices chosen"));
        }
        let company = self.active()?.id;
        let pl = lock(&self.settings)?.language == Language::Pl;
        let store = lock(&self.store)?;
        let mut filter = InvoiceFilter::all(company);
        filter.sort = InvoiceSort::IssueDate;
        filter.direction = SortDirection::Ascending;
        filter.limit = EXPORT_ROWS_MAX;
        let rows: Vec<_> = store
            .list_invoices(&filter)?
            .rows
            .into_iter()
            .filter(|r| ids.contains(&r.id.0))
            .collect();
        let row_ids: Vec<InvoiceId> = rows.iter().map(|r| r.id).collect();
        let with_upo = store.upo_stored(&row_ids)?;
        drop(store);
        let header: &[&str] = if pl {
            &[
                "Numer faktury",
                "Data wystawienia",
                "Nabywca",
                "NIP nabywcy",
                "Brutto",
                "Waluta",
                "Stan",
                "Numer KSeF",
                "UPO",
                "Kod błędu",
            ]
        } else {
            &[
                "Invoice number",
                "Issue date",
                "Buyer",
                "Buyer NIP",
                "Gross",
                "Currency",
                "State",
                "KSeF number",
                "UPO",
                "Error code",
            ]
        };
        let mut csv = Csv::new(header);
        let yes_no = |b: bool| match (b, pl) {
            (true, true) => "tak",
            (true, false) => "yes",
            (false, true) => "nie",
            (false, false) => "no",
        };
        for r in &rows {
            let state = serde_json::to_value(state_out(r.state))
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            csv.row(&[
                r.invoice_number.as_deref().unwrap_or(""),
                r.issue_date.as_deref().unwrap_or(""),
                r.buyer_name.as_deref().unwrap_or(""),
                r.buyer_nip.as_deref().unwrap_or(""),
                &r.gross_minor.map(decimal_comma).unwrap_or_default(),
                r.currency.as_deref().unwrap_or(""),
                &state,
                r.ksef_number.as_deref().unwrap_or(""),
                yes_no(with_upo.contains(&r.id)),
                r.error_code.as_deref().unwrap_or(""),
            ]);
        }
        let name = format!("faktury-{}.csv", self.clock.now_ms());
        self.write_export(&name, csv.finish())
    }

    /// `export_weekly_report`: how often each error code was recorded in the week starting on
    /// `week_start` (`YYYY-MM-DD`, UTC days), most frequent first, with the dictionary's title
    /// in the user's language; returns the CSV file's path.
    pub fn export_weekly_report(&self, week_start: String) -> DeskResult<String> {
        let day = NaiveDate::parse_from_str(week_start.trim(), "%Y-%m-%d").map_err(|_| {
            DeskError::invalid(format!("{week_start:?} is not a date (YYYY-MM-DD)"))
        })?;
        let from = day
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp_millis())
            .ok_or_else(|| DeskError::invalid("the week's start is out of range"))?;
        let company = self.active()?.id;
        let language = lock(&self.settings)?.language;
        let counts = lock(&self.store)?.error_report(company, from, from + WEEK_MS)?;
        let (lang, header): (_, &[&str]) = match language {
            Language::Pl => (dictionary::Lang::Pl, &["Kod", "Opis", "Liczba"]),
            Language::En => (dictionary::Lang::En, &["Code", "Title", "Count"]),
        };
        let dict = dictionary::Dictionary::builtin();
        let mut csv = Csv::new(header);
        for c in &counts {
            let title = dict.get(&c.code, lang).map(|e| e.title).unwrap_or("");
            csv.row(&[&c.code, title, &c.count.to_string()]);
        }
        self.write_export(&format!("bledy-{day}.csv"), csv.finish())
    }

    /// `backup_database`: a consistent copy of the outbox taken while it is in use (`VACUUM
    /// INTO`), in the data folder's `backups/`; returns its path.
    pub fn backup_database(&self) -> DeskResult<String> {
        let dir = self.data_dir.join(BACKUPS_SUBDIR);
        create_dir(&dir)?;
        let path = dir.join(format!("outbox-{}.sqlite", self.clock.now_ms()));
        lock(&self.store)?.backup_into(&path)?;
        Ok(path.display().to_string())
    }

    fn write_export(&self, name: &str, contents: String) -> DeskResult<String> {
        let dir = self.data_dir.join(EXPORTS_SUBDIR);
        create_dir(&dir)?;
        let path: PathBuf = dir.join(name);
        std::fs::write(&path, contents).map_err(|e| io_error(&path, &e))?;
        Ok(path.display().to_string())
    }
}

fn create_dir(dir: &Path) -> DeskResult<()> {
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, &e))
}

fn io_error(path: &Path, e: &std::io::Error) -> DeskError {
    DeskError::new(
        codes::DATA_DIR,
        format!("cannot write {}: {e}", path.display()),
    )
}

/// Minor units as Polish Excel reads a number: `-1234,56`.
fn decimal_comma(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{},{:02}", abs / 100, abs % 100)
}

/// A CSV document for Polish Excel (see the module docs).
struct Csv(String);

impl Csv {
    fn new(header: &[&str]) -> Csv {
        let mut csv = Csv(BOM.to_owned());
        csv.row(header);
        csv
    }

    fn row(&mut self, fields: &[&str]) {
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                self.0.push(SEPARATOR);
            }
            self.0.push_str(&field_text(field));
        }
        self.0.push_str("\r\n");
    }

    fn finish(self) -> String {
        self.0
    }
}

/// One field: quoted when it holds a separator, quote or line break; text that Excel would run
/// as a formula (names come from imported invoices) is prefixed with `'`.
fn field_text(field: &str) -> String {
    let formula = field.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_number(field);
    let text = if formula {
        format!("'{field}")
    } else {
        field.to_owned()
    };
    if text.contains([SEPARATOR, '"', '\n', '\r']) {
        let mut quoted = String::with_capacity(text.len() + 2);
        let _ = write!(quoted, "\"{}\"", text.replace('"', "\"\""));
        quoted
    } else {
        text
    }
}

/// `-1234,56` and the like: our own amounts, which may start with a minus.
fn is_number(field: &str) -> bool {
    let digits = field.strip_prefix('-').unwrap_or(field);
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit() || c == ',')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_use_a_decimal_comma_and_keep_their_sign() {
        assert_eq!(decimal_comma(123_456), "1234,56");
        assert_eq!(decimal_comma(-5), "-0,05");
        assert_eq!(decimal_comma(0), "0,00");
    }

    #[test]
    fn fields_are_quoted_and_formulas_neutralised() {
        assert_eq!(field_text("ACME; Sp. z o.o."), "\"ACME; Sp. z o.o.\"");
        assert_eq!(field_text("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(
            field_text("=HYPERLINK(\"x\")"),
            "\"'=HYPERLINK(\"\"x\"\")\""
        );
        assert_eq!(field_text("-12,50"), "-12,50");
        assert_eq!(field_text("-cmd"), "'-cmd");
        assert_eq!(field_text("Łódź"), "Łódź");
    }

    #[test]
    fn a_document_starts_with_the_bom_and_ends_lines_with_crlf() {
        let mut csv = Csv::new(&["a", "b"]);
        csv.row(&["1", "2"]);
        assert_eq!(csv.finish(), "\u{feff}a;b\r\n1;2\r\n");
    }
}
