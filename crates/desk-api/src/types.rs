//! The DTOs every command and event exchanges with the UI, in step with
//! `ui/src/lib/backend/types.ts` (snake_case on the wire). TypeScript is generated from these
//! with ts-rs; 64-bit integers are declared `number` because ids, counts and Unix-millisecond
//! times stay far below 2^53.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Our submission state of one invoice (never KSeF's numeric status codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceState {
    /// Failed validation; never sent.
    Invalid,
    /// Same duplicate key as another invoice, different content.
    Conflict,
    /// Waiting for its next attempt.
    Queued,
    /// A request may be in flight.
    Sending,
    /// KSeF took it; awaiting the verdict.
    Sent,
    /// KSeF assigned a KSeF number.
    Accepted,
    /// KSeF refused it.
    Rejected,
    /// Outcome unknown or retries ran out.
    NeedsAttention,
}

/// Column an invoice list is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SortColumn {
    /// `P_2`.
    InvoiceNumber,
    /// Buyer name.
    Counterparty,
    /// `P_1`.
    IssueDate,
    /// `P_15`.
    Gross,
    /// Submission state.
    State,
    /// KSeF number.
    KsefNumber,
    /// Last change.
    LastEventAt,
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SortDir {
    /// Smallest first.
    Asc,
    /// Largest first.
    Desc,
}

/// Sort order of a list request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct InvoiceSort {
    /// Column.
    pub column: SortColumn,
    /// Direction.
    pub dir: SortDir,
}

/// One page request; filtering, sorting and paging happen in SQL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct InvoiceQuery {
    /// Only these states (empty: all).
    pub states: Vec<InvoiceState>,
    /// ISO date, inclusive.
    pub date_from: Option<String>,
    /// ISO date, inclusive.
    pub date_to: Option<String>,
    /// Counterparty name substring or NIP.
    pub counterparty: Option<String>,
    /// Invoice number substring.
    pub number: Option<String>,
    /// Restrict to these ids.
    #[ts(type = "number[] | null")]
    pub ids: Option<Vec<i64>>,
    /// Sort order.
    pub sort: InvoiceSort,
    /// Start right after the row with this key (one of `invoice_anchors`' answers for this same
    /// query); `offset` then counts from there. A far page is then a seek, not a walk over every
    /// row before it.
    #[serde(default)]
    #[ts(optional)]
    pub after: Option<ListKey>,
    /// Rows to skip (after `after` when it is set).
    pub offset: u32,
    /// Rows to return.
    pub limit: u32,
    /// Leave the total out (`InvoicePage::total` is then `None`): for the pages after the
    /// first of a query whose total the caller already has; counting every match again costs
    /// milliseconds per page at 100 000 invoices.
    #[serde(default)]
    #[ts(as = "Option<bool>", optional)]
    pub skip_total: bool,
}

/// Where one row stands in a sorted invoice list: its sort column's value, then its id. The UI
/// treats it as opaque: it sends back what `invoice_anchors` answered, for the same query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ListKey {
    /// The sort column's value in that row: a number for amounts and times, text for the
    /// other columns, null when the row has none.
    #[ts(type = "number | string | null")]
    pub value: Option<ListKeyValue>,
    /// The row's id (the tie-breaker).
    #[ts(type = "number")]
    pub id: i64,
}

/// A non-empty sort value on the wire: a JSON number or string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ListKeyValue {
    /// Gross amount (grosze) or time of the last change (Unix ms).
    Int(i64),
    /// Any text column.
    Text(String),
}

/// One line of the invoice list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct InvoiceRow {
    /// Row id.
    #[ts(type = "number")]
    pub id: i64,
    /// `P_2`.
    pub invoice_number: Option<String>,
    /// Buyer name.
    pub counterparty_name: Option<String>,
    /// Buyer NIP.
    pub counterparty_nip: Option<String>,
    /// `P_1`.
    pub issue_date: Option<String>,
    /// Gross amount in grosze.
    #[ts(type = "number | null")]
    pub gross_minor: Option<i64>,
    /// Currency code.
    pub currency: Option<String>,
    /// State.
    pub state: InvoiceState,
    /// KSeF number once accepted.
    pub ksef_number: Option<String>,
    /// Whether a UPO is stored.
    pub has_upo: bool,
    /// Last error code.
    pub error_code: Option<String>,
    /// Unix milliseconds of the last change.
    #[ts(type = "number")]
    pub last_event_at: i64,
}

/// One page of the invoice list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct InvoicePage {
    /// This page.
    pub rows: Vec<InvoiceRow>,
    /// Matches in total; `None` when the query asked to skip it.
    #[ts(type = "number | null")]
    pub total: Option<i64>,
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum FindingSeverity {
    /// Blocks sending.
    Error,
    /// Informational.
    Warning,
}

/// One validation finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Finding {
    /// Dictionary code.
    pub code: String,
    /// Severity.
    pub severity: FindingSeverity,
    /// Message.
    pub message: String,
    /// XPath-like location.
    pub path: Option<String>,
    /// Line in the file, when known.
    pub line: Option<u32>,
}

/// KSeF's reasons for a rejection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Rejection {
    /// Dictionary code.
    pub code: String,
    /// KSeF's description.
    pub description: Option<String>,
    /// KSeF's details.
    pub details: Vec<String>,
}

/// Who caused an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum EventActor {
    /// A person.
    User,
    /// The sending engine.
    Engine,
    /// KSeF.
    Ksef,
    /// The reconciler.
    Reconciler,
}

/// One entry of an invoice's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct InvoiceEvent {
    /// Unix milliseconds.
    #[ts(type = "number")]
    pub at: i64,
    /// Who.
    pub actor: EventActor,
    /// Previous state.
    pub from_state: Option<InvoiceState>,
    /// New state.
    pub to_state: Option<InvoiceState>,
    /// Code.
    pub code: Option<String>,
    /// Detail.
    pub detail: Option<String>,
}

/// One network attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Attempt {
    /// Kind of call.
    pub kind: String,
    /// Unix milliseconds.
    #[ts(type = "number")]
    pub started_at: i64,
    /// Unix milliseconds.
    #[ts(type = "number | null")]
    pub finished_at: Option<i64>,
    /// Outcome.
    pub outcome: String,
    /// Error code.
    pub error_code: Option<String>,
    /// KSeF request id.
    pub request_id: Option<String>,
}

/// Whether the UPO is stored and verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct UpoStatus {
    /// Stored locally.
    pub stored: bool,
    /// Signature/hash verified.
    pub verified: bool,
    /// SHA-256 of the stored UPO.
    pub sha256: Option<String>,
}

/// Everything the detail view shows about one invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct InvoiceDetail {
    /// The list row.
    pub row: InvoiceRow,
    /// Imported file name.
    pub file_name: String,
    /// Seller NIP.
    pub seller_nip: Option<String>,
    /// Seller name.
    pub seller_name: Option<String>,
    /// `RodzajFaktury`.
    pub invoice_type: Option<String>,
    /// Size of the stored original.
    #[ts(type = "number")]
    pub size_bytes: i64,
    /// SHA-256 of the stored original.
    pub sha256: String,
    /// Validation findings.
    pub findings: Vec<Finding>,
    /// KSeF's rejection, if rejected.
    pub rejection: Option<Rejection>,
    /// History, oldest first.
    pub events: Vec<InvoiceEvent>,
    /// Network attempts.
    pub attempts: Vec<Attempt>,
    /// UPO status.
    pub upo: UpoStatus,
}

/// What became of one import input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ImportOutcome {
    /// New queued row.
    Imported,
    /// Same content already stored.
    AlreadyKnown,
    /// New conflict row.
    Conflict,
    /// New invalid row.
    Invalid,
    /// Not stored (see `code`).
    Unreadable,
}

/// One input's line in the import report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ImportItem {
    /// Path (or `archive.zip!entry.xml`).
    pub file: String,
    /// Outcome.
    pub outcome: ImportOutcome,
    /// The row, if any.
    #[ts(type = "number | null")]
    pub invoice_id: Option<i64>,
    /// Why it was not stored.
    pub code: Option<String>,
}

/// The result of one import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ImportSummary {
    /// New queued rows.
    pub imported: u32,
    /// Already known inputs.
    pub already_known: u32,
    /// New conflict rows.
    pub conflicts: u32,
    /// New invalid rows.
    pub invalid: u32,
    /// One line per input.
    pub items: Vec<ImportItem>,
}

/// A started import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ImportJob {
    /// Job id for progress events and cancel.
    pub job_id: u32,
}

/// Event payload: import progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ImportProgress {
    /// Job id.
    pub job_id: u32,
    /// Inputs handled.
    pub done: u32,
    /// Inputs in total.
    pub total: u32,
    /// File being handled.
    pub current_file: Option<String>,
}

/// Event payload: an import ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ImportFinished {
    /// Job id.
    pub job_id: u32,
    /// Stopped early on request.
    pub cancelled: bool,
    /// Summary.
    pub summary: ImportSummary,
}

/// Whether KSeF is reachable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum KsefAvailability {
    /// Works.
    Available,
    /// Slow or partly failing.
    Degraded,
    /// Down.
    Unavailable,
}

/// KSeF's state as the engine sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct KsefStatus {
    /// Availability.
    pub state: KsefAvailability,
    /// Since when (Unix ms), if known.
    #[ts(type = "number | null")]
    pub since: Option<i64>,
}

/// KSeF's state plus the environment, for the dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DashboardKsef {
    /// Availability.
    pub state: KsefAvailability,
    /// Since when (Unix ms), if known.
    #[ts(type = "number | null")]
    pub since: Option<i64>,
    /// `sandbox`, `test`, `demo` or `prd`.
    pub environment: String,
}

/// Counts for one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DailyCounts {
    /// ISO date.
    pub day: String,
    /// Accepted that day.
    pub accepted: u32,
    /// Rejected that day.
    pub rejected: u32,
    /// Queued that day.
    pub queued: u32,
}

/// Latency figures in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Latency {
    /// Median.
    #[ts(type = "number | null")]
    pub median: Option<i64>,
    /// 95th percentile.
    #[ts(type = "number | null")]
    pub p95: Option<i64>,
}

/// How often one code occurred.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CodeCount {
    /// Code.
    pub code: String,
    /// Occurrences.
    #[ts(type = "number")]
    pub count: i64,
}

/// The dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Dashboard {
    /// Invoices per state (every state present).
    #[ts(as = "BTreeMap<InvoiceState, f64>")]
    pub counts: BTreeMap<InvoiceState, i64>,
    /// Queued, sending or sent: not yet given KSeF's verdict.
    #[ts(type = "number")]
    pub queue_depth: i64,
    /// KSeF.
    pub ksef: DashboardKsef,
    /// Latency queued → accepted.
    pub latency_ms: Latency,
    /// rejected / (accepted + rejected).
    pub rejection_rate: Option<f64>,
    /// Per-day counts.
    pub daily: Vec<DailyCounts>,
    /// Most frequent rejection codes.
    pub top_rejections: Vec<CodeCount>,
}

/// Texts of a dictionary entry in one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DictText {
    /// Title.
    pub title: String,
    /// Explanation.
    pub explanation: String,
    /// What to do.
    pub action: String,
}

/// Who stands behind a dictionary code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DictSource {
    /// KSeF.
    Ksef,
    /// Our own check.
    Ours,
    /// The engine.
    Engine,
}

/// One dictionary entry in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DictEntry {
    /// Stable code.
    pub code: String,
    /// Source.
    pub source: DictSource,
    /// Polish.
    pub pl: DictText,
    /// English.
    pub en: DictText,
}

/// UI language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    /// Polish (the default).
    #[default]
    Pl,
    /// English.
    En,
}

/// User settings as the UI edits them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Settings {
    /// UI language.
    pub language: Language,
    /// Desktop notifications on.
    pub notifications: bool,
    /// Folder watched for new invoices.
    pub watched_folder: Option<String>,
    /// The data folder (read-only for the UI).
    pub data_dir: String,
}

/// A KSeF environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    /// The in-process simulator.
    Sandbox,
    /// KSeF TE.
    Test,
    /// KSeF DEMO.
    Demo,
    /// KSeF production.
    Prd,
}

/// A company (one KSeF context in one environment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Company {
    /// Row id.
    #[ts(type = "number")]
    pub id: i64,
    /// Name.
    pub name: String,
    /// NIP.
    pub nip: String,
    /// Environment.
    pub environment: Environment,
    /// The active one.
    pub active: bool,
    /// A token is stored in the keyring.
    pub has_token: bool,
}

/// A company to add; the token goes to the keyring and is never returned.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct NewCompany {
    /// Name.
    pub name: String,
    /// NIP.
    pub nip: String,
    /// Environment.
    pub environment: Environment,
    /// KSeF token.
    pub token: String,
}

impl std::fmt::Debug for NewCompany {
    // The token is a secret: it never reaches a log through Debug.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewCompany")
            .field("name", &self.name)
            .field("nip", &self.nip)
            .field("environment", &self.environment)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// Result of "test connection".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ConnectionTest {
    /// Worked.
    pub ok: bool,
    /// Dictionary code when not.
    pub code: Option<String>,
    /// Message when not.
    pub message: Option<String>,
}

/// State of one schema file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SchemaFileState {
    /// Present with the pinned hash.
    Ok,
    /// Absent.
    Missing,
    /// Present with another hash.
    Mismatch,
}

/// One schema file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SchemaFile {
    /// File name.
    pub name: String,
    /// State.
    pub state: SchemaFileState,
}

/// The XSD files the validator uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SchemaStatus {
    /// Files.
    pub files: Vec<SchemaFile>,
    /// Folder they live in.
    pub folder: Option<String>,
}

/// Export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// CSV.
    Csv,
    /// Excel.
    Xlsx,
}

/// Result of saving UPOs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SavedUpos {
    /// Files written.
    pub saved: u32,
    /// Chosen invoices that have no UPO yet.
    pub without_upo: u32,
    /// Not written: not found, another company's, a stored UPO whose bytes no longer match
    /// their recorded hash, or the file could not be written.
    pub failed: u32,
    /// Where.
    pub folder: String,
}

/// Event payload: queue and KSeF state (also the tray's tooltip).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct EngineStatus {
    /// Queued, sending or sent: not yet given KSeF's verdict.
    #[ts(type = "number")]
    pub queue_depth: i64,
    /// KSeF.
    pub ksef: KsefStatus,
}

/// Event payload: files dropped on the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FilesDropped {
    /// Paths.
    pub paths: Vec<String>,
}

/// Event payload: show this view (a desktop notification was clicked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Navigate {
    /// A hash route, e.g. `#/invoices?states=rejected&ids=4,7`.
    pub route: String,
}

/// Event payload: invoices whose state changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct InvoicesChanged {
    /// Ids.
    #[ts(type = "number[]")]
    pub ids: Vec<i64>,
}

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// An invoice has not moved for too long.
    Stuck,
    /// An invoice failed for good.
    TerminalFailure,
    /// Two invoices share a duplicate key.
    Conflict,
    /// KSeF is down.
    Outage,
    /// An accepted invoice has no UPO yet.
    UpoMissing,
    /// The watched folder cannot be watched or imported from.
    WatchedFolder,
}

/// Something that needs a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Alert {
    /// Row id.
    #[ts(type = "number")]
    pub id: i64,
    /// Kind.
    pub kind: AlertKind,
    /// Dictionary code.
    pub code: String,
    /// The invoice concerned.
    #[ts(type = "number | null")]
    pub invoice_id: Option<i64>,
    /// Detail.
    pub message: Option<String>,
    /// Unix milliseconds.
    #[ts(type = "number")]
    pub raised_at: i64,
    /// Unix milliseconds.
    #[ts(type = "number | null")]
    pub resolved_at: Option<i64>,
}
