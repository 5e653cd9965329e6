//! Files the user takes away: the invoice list as XLSX or as CSV for Polish Excel, the weekly
//! error report as CSV, and a backup copy of the database. Each command writes a new file in the
//! data folder and returns its path; the shell offers to open or move it.
//!
//! CSV for Polish Excel: UTF-8 with a byte-order mark, `;` between fields, `,` as decimal
//! separator, CRLF line ends. Excel with Polish regional settings splits on the locale's list
//! separator, which is `;` (the `,` is the decimal separator), and reads a file without a BOM
//! as Windows-1250, which garbles ą, ę, ł, ż…; with the BOM it reads UTF-8. XLSX needs none of
//! this: its cells are typed (see `xlsx`).

mod xlsx;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use engine::store::{InvoiceFilter, InvoiceId, InvoiceSort, InvoiceSummaryRow, SortDirection};

use super::{lock, DeskApi};
use crate::convert::state_out;
use crate::error::{codes, DeskError, DeskResult};
use crate::types::{ExportFormat, Language};
use crate::warsaw;

/// Folder (inside the data folder) exports are written to.
pub const EXPORTS_SUBDIR: &str = "exports";
/// Folder (inside the data folder) backups are written to.
pub const BACKUPS_SUBDIR: &str = "backups";
/// Invoices read from the store per query while exporting (the store's page cap).
pub const EXPORT_PAGE_ROWS: u32 = 1_000;
/// Invoices exported in one file at most: far beyond a month-end, well within a sheet's
/// 1 048 576 rows, and a bound on the memory one export may take.
pub const EXPORT_ROWS_MAX: usize = 200_000;

/// UTF-8 byte-order mark: tells Excel the file is UTF-8.
const BOM: &str = "\u{feff}";
/// Field separator Polish Excel splits on.
const SEPARATOR: char = ';';
/// Days in the weekly report.
const WEEK_DAYS: u64 = 7;

/// The invoice list's column titles, Polish.
const HEADER_PL: [&str; COLUMNS] = [
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
];
/// The invoice list's column titles, English.
const HEADER_EN: [&str; COLUMNS] = [
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
];
/// Columns of the invoice list.
const COLUMNS: usize = 10;

/// One exported invoice, as both formats write it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ExportRow {
    invoice_number: String,
    /// `P_1` as stored (`YYYY-MM-DD` when the invoice is well-formed).
    issue_date: String,
    buyer_name: String,
    buyer_nip: String,
    gross_minor: Option<i64>,
    currency: String,
    /// Our state's wire name (`accepted`, `rejected`…).
    state: String,
    ksef_number: String,
    has_upo: bool,
    error_code: String,
}

impl ExportRow {
    fn new(r: InvoiceSummaryRow, has_upo: bool) -> ExportRow {
        let state = serde_json::to_value(state_out(r.state))
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        ExportRow {
            invoice_number: r.invoice_number.unwrap_or_default(),
            issue_date: r.issue_date.unwrap_or_default(),
            buyer_name: r.buyer_name.unwrap_or_default(),
            buyer_nip: r.buyer_nip.unwrap_or_default(),
            gross_minor: r.gross_minor,
            currency: r.currency.unwrap_or_default(),
            state,
            ksef_number: r.ksef_number.unwrap_or_default(),
            has_upo,
            error_code: r.error_code.unwrap_or_default(),
        }
    }
}

/// "yes"/"no" in the user's language.
fn yes_no(b: bool, pl: bool) -> &'static str {
    match (b, pl) {
        (true, true) => "tak",
        (true, false) => "yes",
        (false, true) => "nie",
        (false, false) => "no",
    }
}

impl DeskApi {
    /// `export_invoices`: the chosen invoices of the active company (at most
    /// [`EXPORT_ROWS_MAX`]), oldest issue date first, as XLSX or CSV; returns the file's path.
    pub fn export_invoices(&self, ids: Vec<i64>, format: ExportFormat) -> DeskResult<String> {
        if ids.is_empty() {
            return Err(DeskError::invalid("no invoices chosen"));
        }
        if ids.len() > EXPORT_ROWS_MAX {
            return Err(DeskError::invalid(format!(
                "at most {EXPORT_ROWS_MAX} invoices can be exported at once"
            )));
        }
        let company = self.active()?.id;
        let pl = lock(&self.settings)?.language == Language::Pl;
        let rows = self.export_rows(company, ids)?;
        let stamp = self.clock.now_ms();
        match format {
            ExportFormat::Csv => {
                let name = format!("faktury-{stamp}.csv");
                self.write_export(&name, csv_document(&rows, pl).as_bytes())
            }
            ExportFormat::Xlsx => {
                let bytes = xlsx::invoices(&rows, pl)?;
                self.write_export(&format!("faktury-{stamp}.xlsx"), &bytes)
            }
        }
    }

    /// The chosen invoices of `company`, read page by page with the store's id filter.
    fn export_rows(
        &self,
        company: engine::store::CompanyId,
        ids: Vec<i64>,
    ) -> DeskResult<Vec<ExportRow>> {
        let mut filter = InvoiceFilter::all(company);
        filter.ids = ids.into_iter().map(InvoiceId).collect();
        filter.sort = InvoiceSort::IssueDate;
        filter.direction = SortDirection::Ascending;
        filter.limit = EXPORT_PAGE_ROWS;
        let store = lock(&self.store)?;
        let mut rows = Vec::new();
        loop {
            let page = store.list_invoices(&filter)?;
            let page_ids: Vec<InvoiceId> = page.rows.iter().map(|r| r.id).collect();
            let with_upo = store.upo_stored(&page_ids)?;
            let fetched = page.rows.len();
            rows.extend(page.rows.into_iter().map(|r| {
                let has_upo = with_upo.contains(&r.id);
                ExportRow::new(r, has_upo)
            }));
            if fetched < EXPORT_PAGE_ROWS as usize {
                return Ok(rows);
            }
            filter.offset += EXPORT_PAGE_ROWS;
        }
    }

    /// `export_weekly_report`: how often each error code was recorded in the week starting on
    /// `week_start` (`YYYY-MM-DD`, Warsaw calendar days, so a week holding a clock change is
    /// 167 or 169 hours), most frequent first, with the dictionary's title in the user's
    /// language; returns the CSV file's path.
    pub fn export_weekly_report(&self, week_start: String) -> DeskResult<String> {
        let day = NaiveDate::parse_from_str(week_start.trim(), "%Y-%m-%d").map_err(|_| {
            DeskError::invalid(format!("{week_start:?} is not a date (YYYY-MM-DD)"))
        })?;
        let range = day
            .checked_add_days(chrono::Days::new(WEEK_DAYS))
            .and_then(|end| Some((warsaw::midnight_ms(day)?, warsaw::midnight_ms(end)?)))
            .ok_or_else(|| DeskError::invalid("the week's start is out of range"))?;
        let company = self.active()?.id;
        let language = lock(&self.settings)?.language;
        let counts = lock(&self.store)?.error_report(company, range.0, range.1)?;
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
        self.write_export(&format!("bledy-{day}.csv"), csv.finish().as_bytes())
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

    fn write_export(&self, name: &str, contents: &[u8]) -> DeskResult<String> {
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

/// The invoice list as CSV for Polish Excel.
fn csv_document(rows: &[ExportRow], pl: bool) -> String {
    let mut csv = Csv::new(if pl { &HEADER_PL } else { &HEADER_EN });
    for r in rows {
        csv.row(&[
            &r.invoice_number,
            &r.issue_date,
            &r.buyer_name,
            &r.buyer_nip,
            &r.gross_minor.map(decimal_comma).unwrap_or_default(),
            &r.currency,
            &r.state,
            &r.ksef_number,
            yes_no(r.has_upo, pl),
            &r.error_code,
        ]);
    }
    csv.finish()
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
