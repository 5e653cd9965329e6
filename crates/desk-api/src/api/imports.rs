//! Imports: files and folders on a background thread with progress events and cancel, and the
//! Sandbox's "generate demo invoices" (written to the data folder, then imported like any file).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use engine::fa3_validator::Fa3Validator;
use engine::import::Importer;
use engine::store::{CompanyId, Store};

use super::{lock, DeskApi, DATABASE_FILE};
use crate::convert::summary_out;
use crate::demo::{self, Seller};
use crate::error::{codes, DeskError, DeskResult};
use crate::events::DeskEvent;
use crate::notify::NoticeKind;
use crate::types::{
    Environment, ImportFinished, ImportJob, ImportOutcome, ImportProgress, ImportSummary,
    InvoicesChanged,
};

/// Most demo invoices one request may generate.
pub const DEMO_COUNT_MAX: u32 = 500;
/// Folder (inside the data folder) the demo invoices are written to.
pub const DEMO_SUBDIR: &str = "demo";

impl DeskApi {
    /// `start_import`: imports `paths` (files, folders, ZIPs) into the active company on a
    /// background thread with its own database connection, so the UI's queries never wait for
    /// it. Emits `import_progress` after each input and `import_finished` at the end.
    pub fn start_import(self: &Arc<Self>, paths: Vec<String>) -> DeskResult<ImportJob> {
        if paths.is_empty() {
            return Err(DeskError::invalid("nothing to import"));
        }
        let active = self.active()?;
        let job_id = self.next_job.fetch_add(1, Ordering::SeqCst);
        let cancel = Arc::new(AtomicBool::new(false));
        lock(&self.imports)?.insert(job_id, Arc::clone(&cancel));
        let api = Arc::clone(self);
        let paths: Vec<PathBuf> = paths.into_iter().map(PathBuf::from).collect();
        std::thread::Builder::new()
            .name(format!("import-{job_id}"))
            .spawn(move || {
                let events = Arc::clone(&api.events);
                let mut progress = |p: engine::import::Progress| {
                    events.emit(DeskEvent::ImportProgress(ImportProgress {
                        job_id,
                        done: u32::try_from(p.done).unwrap_or(u32::MAX),
                        total: u32::try_from(p.total).unwrap_or(u32::MAX),
                        current_file: None,
                    }));
                };
                let result = Store::open(&api.data_dir.join(DATABASE_FILE))
                    .map_err(DeskError::from)
                    .and_then(|mut store| {
                        api.import_into(
                            &mut store,
                            active.id,
                            active.environment,
                            &paths,
                            &mut progress,
                            &cancel,
                        )
                    });
                if let Ok(mut jobs) = api.imports.lock() {
                    jobs.remove(&job_id);
                }
                // A failed import still finishes: the summary holds what was written before it.
                let (summary, cancelled) = match result {
                    Ok((summary, cancelled)) => (summary, cancelled),
                    Err(_) => (ImportSummary::default(), true),
                };
                api.announce(&summary);
                api.events.emit(DeskEvent::ImportFinished(ImportFinished {
                    job_id,
                    cancelled,
                    summary,
                }));
            })
            .map_err(|e| {
                DeskError::new(codes::INTERNAL, format!("cannot start the import: {e}"))
            })?;
        Ok(ImportJob { job_id })
    }

    /// `cancel_import`: stops the job between two inputs, keeping what it imported.
    pub fn cancel_import(&self, job_id: u32) -> DeskResult<()> {
        let jobs = lock(&self.imports)?;
        let cancel = jobs.get(&job_id).ok_or_else(|| {
            DeskError::new(codes::UNKNOWN_JOB, format!("no running import {job_id}"))
        })?;
        cancel.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// `generate_demo_invoices`: Sandbox only. Writes `count` generated invoices to
    /// `<data>/demo/<batch>/` and imports them synchronously.
    pub fn generate_demo_invoices(&self, count: u32) -> DeskResult<ImportSummary> {
        if count == 0 || count > DEMO_COUNT_MAX {
            return Err(DeskError::invalid(format!(
                "count must be 1–{DEMO_COUNT_MAX}"
            )));
        }
        let active = self.active()?;
        if active.environment != Environment::Sandbox {
            return Err(DeskError::invalid(
                "demo invoices can only be generated for the Sandbox company",
            ));
        }
        let seller = Seller {
            nip: active.nip.clone(),
            name: crate::sandbox::SANDBOX_NAME.to_owned(),
        };
        let invoices = {
            let mut rng = lock(&self.rng)?;
            demo::generate(&mut *rng, &seller, self.today(), count as usize)
        };
        let batch_dir = self
            .data_dir
            .join(DEMO_SUBDIR)
            .join(format!("{}", self.clock.now_ms()));
        let paths = write_all(&batch_dir, &invoices)?;
        let cancel = AtomicBool::new(false);
        let (summary, _) = {
            let mut store = lock(&self.store)?;
            self.import_into(
                &mut store,
                active.id,
                active.environment,
                &paths,
                &mut |_| {},
                &cancel,
            )?
        };
        self.announce(&summary);
        Ok(summary)
    }

    /// Runs the engine's importer; returns the UI summary and whether it was cancelled.
    fn import_into(
        &self,
        store: &mut Store,
        company: CompanyId,
        environment: Environment,
        paths: &[PathBuf],
        progress: &mut dyn FnMut(engine::import::Progress),
        cancel: &AtomicBool,
    ) -> DeskResult<(ImportSummary, bool)> {
        let schemas = self.schemas();
        let validator = Fa3Validator::new(fa3_env(environment), self.today(), schemas.as_deref());
        // The importer draws trace ids from its own generator, seeded from ours.
        let mut rng = engine::rng::seeded(rand::RngCore::next_u64(&mut *lock(&self.rng)?));
        let summary = Importer::new(store, &validator, self.clock.as_ref(), &mut rng, company)
            .import(paths, progress, cancel)?;
        Ok((summary_out(&summary), summary.cancelled))
    }

    /// Tells listeners which invoices appeared, and queues notices for the problem ones.
    fn announce(&self, summary: &ImportSummary) {
        let now = self.clock.now_ms();
        if let Ok(mut notices) = self.notices.lock() {
            for item in &summary.items {
                let kind = match item.outcome {
                    ImportOutcome::Invalid => NoticeKind::Invalid,
                    ImportOutcome::Conflict => NoticeKind::Conflict,
                    _ => continue,
                };
                if let Some(id) = item.invoice_id {
                    notices.record(kind, id, now);
                }
            }
        }
        let ids: Vec<i64> = summary.items.iter().filter_map(|i| i.invoice_id).collect();
        if !ids.is_empty() {
            self.events
                .emit(DeskEvent::InvoicesChanged(InvoicesChanged { ids }));
            self.wake_sending();
        }
    }
}

fn fa3_env(env: Environment) -> fa3::Environment {
    match env {
        Environment::Sandbox => fa3::Environment::Sandbox,
        Environment::Test => fa3::Environment::Test,
        Environment::Demo => fa3::Environment::Demo,
        Environment::Prd => fa3::Environment::Production,
    }
}

fn write_all(dir: &Path, invoices: &[demo::DemoInvoice]) -> DeskResult<Vec<PathBuf>> {
    let failed = |e: std::io::Error| {
        DeskError::new(
            codes::DATA_DIR,
            format!("cannot write demo invoices to {}: {e}", dir.display()),
        )
    };
    std::fs::create_dir_all(dir).map_err(failed)?;
    invoices
        .iter()
        .map(|inv| {
            let path = dir.join(&inv.file_name);
            std::fs::write(&path, &inv.xml).map_err(failed)?;
            Ok(path)
        })
        .collect()
}
