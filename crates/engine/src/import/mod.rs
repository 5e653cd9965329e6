//! Importing FA(3) files, folders and ZIP archives into the outbox.
//!
//! Every file is validated before it may be queued, and nothing is dropped silently: each input
//! ends as a new row (`queued`, `invalid` or `conflict`), as "already known", or as a reported
//! item with a stable code (unreadable, not XML, too large, ZIP bomb). Validation runs outside any
//! transaction; rows are then written in short batched transactions, so a large import never
//! blocks the sender for long and a crash loses at most the unwritten batch (re-importing is
//! idempotent by content hash).

mod archive;
pub mod limits;

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::clock::Clock;
use crate::rng::EngineRng;
use crate::state::SubmissionState;
use crate::store::{self, CompanyId, InvoiceId, NewInvoice, Store, StoreError};
use crate::validation::{InvoiceValidator, Validation};
use archive::{ArchiveAbandoned, ArchiveReader, Entry};
pub use limits::ImportLimits;

/// Why an input was not stored as an invoice row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Code {
    /// The file, folder or archive could not be read.
    #[serde(rename = "engine.import_unreadable")]
    Unreadable,
    /// A ZIP entry that is not an `.xml` file.
    #[serde(rename = "engine.import_not_xml")]
    NotXml,
    /// Larger than any invoice KSeF accepts.
    #[serde(rename = "engine.import_too_large")]
    TooLarge,
    /// An archive or entry that breaks the decompression limits.
    #[serde(rename = "engine.import_zip_bomb")]
    ZipBomb,
}

impl Code {
    /// The stable string UIs key on.
    pub const fn as_str(self) -> &'static str {
        match self {
            Code::Unreadable => "engine.import_unreadable",
            Code::NotXml => "engine.import_not_xml",
            Code::TooLarge => "engine.import_too_large",
            Code::ZipBomb => "engine.import_zip_bomb",
        }
    }
}

/// What became of one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// New row, queued for sending.
    Imported,
    /// Same content already in the outbox; no new row.
    AlreadyKnown,
    /// New row in `conflict`: same duplicate key as another invoice, different content.
    Conflict,
    /// New row in `invalid`, with its findings.
    Invalid,
    /// Not stored; `code` says why.
    Skipped,
}

/// One input's line in the import report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportItem {
    /// Path, or `archive.zip!entry/name.xml`.
    pub source: String,
    /// What happened.
    pub outcome: Outcome,
    /// The row (new or already known), if any.
    pub invoice_id: Option<InvoiceId>,
    /// For conflicts: the invoice it collides with.
    pub conflict_with: Option<InvoiceId>,
    /// For skipped inputs: why.
    pub code: Option<Code>,
}

/// The result of one import, as `import --json` prints it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    /// New queued rows.
    pub imported: u64,
    /// Inputs whose content was already known.
    pub already_known: u64,
    /// New conflict rows.
    pub conflicts: u64,
    /// New invalid rows.
    pub invalid: u64,
    /// Inputs not stored (see their codes).
    pub skipped: u64,
    /// Whether the import stopped early at the caller's request.
    pub cancelled: bool,
    /// One line per input, in processing order.
    pub items: Vec<ImportItem>,
}

impl ImportSummary {
    fn push(&mut self, item: ImportItem) {
        let counter = match item.outcome {
            Outcome::Imported => &mut self.imported,
            Outcome::AlreadyKnown => &mut self.already_known,
            Outcome::Conflict => &mut self.conflicts,
            Outcome::Invalid => &mut self.invalid,
            Outcome::Skipped => &mut self.skipped,
        };
        *counter += 1;
        self.items.push(item);
    }
}

/// Progress report after each input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// Inputs handled so far.
    pub done: u64,
    /// Inputs in total (files plus archive entries), known before the first is handled.
    pub total: u64,
}

/// One unit of work found while scanning the inputs.
enum Unit {
    File(PathBuf),
    Zip(PathBuf),
    Skipped(String, Code),
}

/// An input's result waiting for the next batch write, kept in processing order.
enum Pending {
    /// A validated file to store.
    Write(Box<Prepared>),
    /// An input that will not be stored; reported as is.
    Report(ImportItem),
}

/// A validated input waiting to be written.
struct Prepared {
    source: String,
    file_name: String,
    bytes: Vec<u8>,
    /// SHA-256 of `bytes`, lowercase hex: the content hash every dedupe uses.
    sha256: String,
    validation: Validation,
}

/// Imports files into one company's outbox.
pub struct Importer<'a> {
    store: &'a mut Store,
    validator: &'a dyn InvoiceValidator,
    clock: &'a dyn Clock,
    rng: &'a mut EngineRng,
    company: CompanyId,
    limits: ImportLimits,
}

impl<'a> Importer<'a> {
    /// An importer with the default limits.
    pub fn new(
        store: &'a mut Store,
        validator: &'a dyn InvoiceValidator,
        clock: &'a dyn Clock,
        rng: &'a mut EngineRng,
        company: CompanyId,
    ) -> Importer<'a> {
        Importer {
            store,
            validator,
            clock,
            rng,
            company,
            limits: ImportLimits::default(),
        }
    }

    /// Replaces the limits (tests use small ones).
    pub fn with_limits(mut self, limits: ImportLimits) -> Importer<'a> {
        self.limits = limits;
        self
    }

    /// Imports `paths`: files (any name), folders (every `*.xml` below, recursively) and `*.zip`
    /// archives. Calls `progress` after each input; stops between inputs once `cancel` is set,
    /// keeping everything handled so far.
    pub fn import(
        &mut self,
        paths: &[PathBuf],
        progress: &mut dyn FnMut(Progress),
        cancel: &AtomicBool,
    ) -> Result<ImportSummary, StoreError> {
        self.store.company(self.company)?;
        let mut units = Vec::new();
        for path in paths {
            scan(path, &mut units);
        }
        let mut archives = Vec::new();
        let mut total = 0u64;
        for unit in &units {
            if let Unit::Zip(path) = unit {
                let opened = File::open(path)
                    .map_err(|_| Code::Unreadable)
                    .and_then(|f| ArchiveReader::open(f, self.limits));
                total += opened.as_ref().map_or(1, |a| a.len() as u64);
                archives.push(opened);
            } else {
                total += 1;
            }
        }
        let mut run = Run {
            summary: ImportSummary::default(),
            batch: Vec::new(),
            batch_bytes: 0,
            done: 0,
            total,
        };
        let mut archives = archives.into_iter();
        for unit in units {
            if cancel.load(Ordering::SeqCst) {
                run.summary.cancelled = true;
                break;
            }
            match unit {
                Unit::Skipped(source, code) => run.skip(source, code),
                Unit::File(path) => {
                    let source = path.display().to_string();
                    match read_file(&path, self.limits.file_bytes_max) {
                        Ok(bytes) => {
                            let file_name = file_name_of(&path);
                            self.prepare(&mut run, source, file_name, bytes)?;
                        }
                        Err(code) => run.skip(source, code),
                    }
                }
                Unit::Zip(path) => {
                    // `archives` holds one opened reader per Zip unit, in the same order.
                    let Some(opened) = archives.next() else { break };
                    self.import_archive(&mut run, &path, opened, progress, cancel)?;
                    if run.summary.cancelled {
                        break;
                    }
                    continue;
                }
            }
            run.done += 1;
            progress(run.progress());
        }
        self.flush(&mut run)?;
        Ok(run.summary)
    }

    fn import_archive(
        &mut self,
        run: &mut Run,
        path: &Path,
        opened: Result<ArchiveReader<File>, Code>,
        progress: &mut dyn FnMut(Progress),
        cancel: &AtomicBool,
    ) -> Result<(), StoreError> {
        let label = path.display().to_string();
        let mut reader = match opened {
            Ok(reader) => reader,
            Err(code) => {
                run.skip(label, code);
                run.done += 1;
                progress(run.progress());
                return Ok(());
            }
        };
        let entries = reader.len();
        for index in 0..entries {
            if cancel.load(Ordering::SeqCst) {
                run.summary.cancelled = true;
                return Ok(());
            }
            match reader.entry(index) {
                Ok(Entry::Directory) => {}
                Ok(Entry::Refused { name, code }) => run.skip(format!("{label}!{name}"), code),
                Ok(Entry::Xml { name, bytes }) => {
                    let file_name = name.rsplit('/').next().unwrap_or(&name).to_owned();
                    self.prepare(run, format!("{label}!{name}"), file_name, bytes)?;
                }
                Err(ArchiveAbandoned) => {
                    run.skip(label, Code::ZipBomb);
                    // The remaining entries will not be read; count them as handled.
                    run.done += (entries - index) as u64;
                    progress(run.progress());
                    return Ok(());
                }
            }
            run.done += 1;
            progress(run.progress());
        }
        Ok(())
    }

    /// Validates one input (outside any transaction) and queues it for the next batch write.
    fn prepare(
        &mut self,
        run: &mut Run,
        source: String,
        file_name: String,
        bytes: Vec<u8>,
    ) -> Result<(), StoreError> {
        let sha256 = hex::encode(Sha256::digest(&bytes));
        // Re-importing a folder is common; known content needs no second validation. (Files of
        // the pending batch are caught again when it is written.)
        if let Some(known) = store::find_by_content_hash(self.store.conn(), self.company, &sha256)?
        {
            run.batch.push(Pending::Report(ImportItem {
                source,
                outcome: Outcome::AlreadyKnown,
                invoice_id: Some(known),
                conflict_with: None,
                code: None,
            }));
            return Ok(());
        }
        let validation = self.validator.validate(&bytes);
        run.batch_bytes += bytes.len() as u64;
        run.batch.push(Pending::Write(Box::new(Prepared {
            source,
            file_name,
            bytes,
            sha256,
            validation,
        })));
        if run.batch.len() >= limits::BATCH_FILES_MAX || run.batch_bytes >= limits::BATCH_BYTES_MAX
        {
            self.flush(run)?;
        }
        Ok(())
    }

    /// Writes the pending batch in one transaction, deciding each file's fate against what is
    /// already stored (including earlier files of the same batch).
    fn flush(&mut self, run: &mut Run) -> Result<(), StoreError> {
        if run.batch.is_empty() {
            return Ok(());
        }
        let now_ms = self.clock.now_ms();
        let company = self.company;
        let tx = self.store.conn_mut().transaction()?;
        let mut items = Vec::with_capacity(run.batch.len());
        for pending in &run.batch {
            items.push(match pending {
                Pending::Write(p) => {
                    let trace_id = new_trace_id(self.rng);
                    write_one(&tx, company, p, &trace_id, now_ms)?
                }
                Pending::Report(item) => item.clone(),
            });
        }
        tx.commit()?;
        run.batch.clear();
        run.batch_bytes = 0;
        for item in items {
            run.summary.push(item);
        }
        Ok(())
    }
}

/// Decides and writes one validated input inside the batch transaction.
fn write_one(
    tx: &rusqlite::Connection,
    company: CompanyId,
    p: &Prepared,
    trace_id: &str,
    now_ms: i64,
) -> Result<ImportItem, StoreError> {
    let duplicate_key = p.validation.duplicate_key.as_deref();
    // Our own hash of the exact bytes, not the validator's: dedupe must not depend on how a
    // validator spells its hash, and unparseable files have no key at all.
    let content_hash = p.sha256.as_str();
    let item = |outcome, invoice_id, conflict_with| ImportItem {
        source: p.source.clone(),
        outcome,
        invoice_id,
        conflict_with,
        code: None,
    };
    if let Some(known) = store::find_by_content_hash(tx, company, content_hash)? {
        return Ok(item(Outcome::AlreadyKnown, Some(known), None));
    }
    let (state, conflict_with) = match duplicate_key {
        Some(key) if p.validation.is_sendable() => {
            match store::find_live_duplicate(tx, company, key)? {
                Some(other) => (SubmissionState::Conflict, Some(other)),
                None => (SubmissionState::Queued, None),
            }
        }
        _ => (SubmissionState::Invalid, None),
    };
    let id = store::insert_invoice(
        tx,
        &NewInvoice {
            company,
            file_name: &p.file_name,
            source_path: &p.source,
            original: &p.bytes,
            sha256: content_hash,
            summary: p.validation.summary.as_ref(),
            duplicate_key,
            content_hash,
            state,
            conflict_with,
            trace_id,
            findings: &p.validation.findings,
        },
        now_ms,
    )?;
    let outcome = match state {
        SubmissionState::Queued => Outcome::Imported,
        SubmissionState::Conflict => Outcome::Conflict,
        _ => Outcome::Invalid,
    };
    Ok(item(outcome, Some(id), conflict_with))
}

/// Mutable bookkeeping of one import run.
struct Run {
    summary: ImportSummary,
    batch: Vec<Pending>,
    batch_bytes: u64,
    done: u64,
    total: u64,
}

impl Run {
    /// Reports an input that will not be stored, after any file still waiting in the batch.
    fn skip(&mut self, source: String, code: Code) {
        self.batch.push(Pending::Report(ImportItem {
            source,
            outcome: Outcome::Skipped,
            invoice_id: None,
            conflict_with: None,
            code: Some(code),
        }));
    }

    fn progress(&self) -> Progress {
        Progress {
            done: self.done,
            total: self.total,
        }
    }
}

/// Expands one input path into units, in a deterministic (sorted) order.
fn scan(path: &Path, units: &mut Vec<Unit>) {
    let label = || path.display().to_string();
    let Ok(meta) = std::fs::metadata(path) else {
        units.push(Unit::Skipped(label(), Code::Unreadable));
        return;
    };
    if meta.is_file() {
        units.push(if has_extension(path, "zip") {
            Unit::Zip(path.to_owned())
        } else {
            Unit::File(path.to_owned())
        });
        return;
    }
    let Ok(read_dir) = std::fs::read_dir(path) else {
        units.push(Unit::Skipped(label(), Code::Unreadable));
        return;
    };
    let mut children: Vec<PathBuf> = Vec::new();
    for entry in read_dir {
        match entry {
            Ok(entry) => children.push(entry.path()),
            Err(_) => units.push(Unit::Skipped(label(), Code::Unreadable)),
        }
    }
    children.sort();
    for child in children {
        // symlink_metadata: a symlinked folder is not followed, so a link loop cannot recurse.
        match std::fs::symlink_metadata(&child) {
            Ok(m) if m.is_dir() => scan(&child, units),
            Ok(_) if has_extension(&child, "xml") => units.push(Unit::File(child)),
            Ok(_) => {}
            Err(_) => units.push(Unit::Skipped(child.display().to_string(), Code::Unreadable)),
        }
    }
}

fn has_extension(path: &Path, ext: &str) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

fn file_name_of(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Reads a whole file, refusing (without reading it all) one larger than `bytes_max`.
fn read_file(path: &Path, bytes_max: u64) -> Result<Vec<u8>, Code> {
    let file = File::open(path).map_err(|_| Code::Unreadable)?;
    let mut bytes = Vec::new();
    file.take(bytes_max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|_| Code::Unreadable)?;
    if bytes.len() as u64 > bytes_max {
        return Err(Code::TooLarge);
    }
    Ok(bytes)
}

/// A random 128-bit trace id, hex: correlates an invoice's events, logs and KSeF calls.
fn new_trace_id(rng: &mut EngineRng) -> String {
    let mut raw = [0u8; 16];
    rng.fill_bytes(&mut raw);
    hex::encode(raw)
}

#[cfg(test)]
mod tests;
