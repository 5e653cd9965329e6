//! TypeScript generation: every DTO a command or event carries, written by ts-rs into one
//! folder (`ui/src/lib/backend/generated/` in the repository, by `scripts/gen-types`).

use std::path::Path;

use ts_rs::{ExportError, TS};

use crate::error::DeskError;
use crate::types::*;

/// Writes every command and event type (and the types they use) into `dir`, one file each.
pub fn export_all(dir: &Path) -> Result<(), ExportError> {
    // Command arguments and results.
    InvoiceQuery::export_all_to(dir)?;
    InvoicePage::export_all_to(dir)?;
    InvoiceDetail::export_all_to(dir)?;
    ImportJob::export_all_to(dir)?;
    ImportSummary::export_all_to(dir)?;
    Dashboard::export_all_to(dir)?;
    DictEntry::export_all_to(dir)?;
    Alert::export_all_to(dir)?;
    Settings::export_all_to(dir)?;
    Company::export_all_to(dir)?;
    NewCompany::export_all_to(dir)?;
    ConnectionTest::export_all_to(dir)?;
    SchemaStatus::export_all_to(dir)?;
    ExportFormat::export_all_to(dir)?;
    SavedUpos::export_all_to(dir)?;
    DeskError::export_all_to(dir)?;
    // Event payloads.
    ImportProgress::export_all_to(dir)?;
    ImportFinished::export_all_to(dir)?;
    FilesDropped::export_all_to(dir)?;
    EngineStatus::export_all_to(dir)?;
    InvoicesChanged::export_all_to(dir)?;
    Navigate::export_all_to(dir)?;
    Ok(())
}
