//! The IPC commands: each a thin adapter onto `DeskApi`, run on a blocking thread because the
//! application layer does SQLite and network work synchronously. Arguments keep the UI's
//! snake_case names (`rename_all = "snake_case"`).

use std::sync::Arc;

use desk_api::error::codes;
use desk_api::types::*;
use desk_api::{DeskApi, DeskError, DeskResult};
use tauri::State;
use tauri_plugin_dialog::DialogExt;

/// The managed state: one application layer for the whole app.
pub type Desk = Arc<DeskApi>;

/// Runs `f` on a blocking thread; a panic there becomes a typed error, not a dead IPC call.
async fn run<T, F>(desk: &State<'_, Desk>, f: F) -> DeskResult<T>
where
    T: Send + 'static,
    F: FnOnce(&Desk) -> DeskResult<T> + Send + 'static,
{
    let desk = Arc::clone(desk);
    tauri::async_runtime::spawn_blocking(move || f(&desk))
        .await
        .map_err(|e| DeskError::new(codes::INTERNAL, format!("the command failed: {e}")))?
}

#[tauri::command(rename_all = "snake_case")]
pub async fn list_invoices(desk: State<'_, Desk>, q: InvoiceQuery) -> DeskResult<InvoicePage> {
    run(&desk, move |d| d.list_invoices(q)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn invoice_anchors(
    desk: State<'_, Desk>,
    q: InvoiceQuery,
    every: u32,
) -> DeskResult<Vec<ListKey>> {
    run(&desk, move |d| d.invoice_anchors(q, every)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn invoice_detail(desk: State<'_, Desk>, id: i64) -> DeskResult<InvoiceDetail> {
    run(&desk, move |d| d.invoice_detail(id)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn get_upo_xml(desk: State<'_, Desk>, id: i64) -> DeskResult<String> {
    run(&desk, move |d| d.get_upo_xml(id)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn start_import(desk: State<'_, Desk>, paths: Vec<String>) -> DeskResult<ImportJob> {
    run(&desk, move |d| d.start_import(paths)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn cancel_import(desk: State<'_, Desk>, job_id: u32) -> DeskResult<()> {
    run(&desk, move |d| d.cancel_import(job_id)).await
}

/// Files chosen in the native dialog (the webview has no file system access of its own).
#[tauri::command(rename_all = "snake_case")]
pub async fn pick_import_files<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
) -> DeskResult<Vec<String>> {
    let picked = app
        .dialog()
        .file()
        .add_filter("FA(3) XML / ZIP", &["xml", "zip"])
        .blocking_pick_files();
    Ok(picked
        .unwrap_or_default()
        .iter()
        .map(ToString::to_string)
        .collect())
}

/// A folder chosen in the native dialog; the importer walks it.
#[tauri::command(rename_all = "snake_case")]
pub async fn pick_import_folder<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
) -> DeskResult<Vec<String>> {
    let picked = app.dialog().file().blocking_pick_folder();
    Ok(picked.iter().map(ToString::to_string).collect())
}

#[tauri::command(rename_all = "snake_case")]
pub async fn generate_demo_invoices(
    desk: State<'_, Desk>,
    count: u32,
) -> DeskResult<ImportSummary> {
    run(&desk, move |d| d.generate_demo_invoices(count)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn dashboard(desk: State<'_, Desk>) -> DeskResult<Dashboard> {
    run(&desk, |d| d.dashboard()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn invoice_counts(
    desk: State<'_, Desk>,
) -> DeskResult<std::collections::BTreeMap<InvoiceState, i64>> {
    run(&desk, |d| d.invoice_counts()).await
}

/// Queue depth and KSeF's state: what the app chrome shows, without the dashboard's metrics.
#[tauri::command(rename_all = "snake_case")]
pub async fn engine_status(desk: State<'_, Desk>) -> DeskResult<EngineStatus> {
    run(&desk, |d| d.engine_status()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn export_weekly_report(desk: State<'_, Desk>, week_start: String) -> DeskResult<String> {
    run(&desk, move |d| d.export_weekly_report(week_start)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn list_alerts(desk: State<'_, Desk>) -> DeskResult<Vec<Alert>> {
    run(&desk, |d| d.list_alerts()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn resolve_alert(desk: State<'_, Desk>, id: i64) -> DeskResult<()> {
    run(&desk, move |d| d.resolve_alert(id)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn dictionary(desk: State<'_, Desk>) -> DeskResult<Vec<DictEntry>> {
    run(&desk, |d| Ok(d.dictionary())).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn get_settings(desk: State<'_, Desk>) -> DeskResult<Settings> {
    run(&desk, |d| d.get_settings()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn save_settings(desk: State<'_, Desk>, s: Settings) -> DeskResult<()> {
    run(&desk, move |d| d.save_settings(s)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn list_companies(desk: State<'_, Desk>) -> DeskResult<Vec<Company>> {
    run(&desk, |d| d.list_companies()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn add_company(desk: State<'_, Desk>, c: NewCompany) -> DeskResult<Company> {
    run(&desk, move |d| d.add_company(c)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn test_connection(desk: State<'_, Desk>, id: i64) -> DeskResult<ConnectionTest> {
    run(&desk, move |d| d.test_connection(id)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn set_active_company(desk: State<'_, Desk>, id: i64) -> DeskResult<()> {
    run(&desk, move |d| d.set_active_company(id)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn schema_status(desk: State<'_, Desk>) -> DeskResult<SchemaStatus> {
    run(&desk, |d| d.schema_status()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn fetch_schemas(desk: State<'_, Desk>) -> DeskResult<SchemaStatus> {
    run(&desk, |d| d.fetch_schemas()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn backup_database(desk: State<'_, Desk>) -> DeskResult<String> {
    run(&desk, |d| d.backup_database()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn export_invoices(
    desk: State<'_, Desk>,
    ids: Vec<i64>,
    format: ExportFormat,
) -> DeskResult<String> {
    run(&desk, move |d| d.export_invoices(ids, format)).await
}

/// Saves the chosen invoices' UPOs into a folder picked in the native dialog; `None` when the
/// user cancels it.
#[tauri::command(rename_all = "snake_case")]
pub async fn save_upos<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    desk: State<'_, Desk>,
    ids: Vec<i64>,
) -> DeskResult<Option<SavedUpos>> {
    let Some(folder) = app.dialog().file().blocking_pick_folder() else {
        return Ok(None);
    };
    let folder = folder
        .into_path()
        .map_err(|e| DeskError::invalid(format!("the chosen folder is not a local path: {e}")))?;
    run(&desk, move |d| d.save_upos(ids, &folder).map(Some)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn remove_invalid(desk: State<'_, Desk>, ids: Vec<i64>) -> DeskResult<u32> {
    run(&desk, move |d| d.remove_invalid(ids)).await
}
