//! `DeskApi`: the application as the UI sees it, one method per command in
//! `ui/src/lib/backend/types.ts`. Owns the data folder, the settings, the outbox store, the
//! secrets, the in-process Sandbox, the sending runner and the event sink. Knows nothing of Tauri.

mod companies;
mod connection;
mod dashboard;
mod exports;
mod imports;
mod invoices;
mod schemas;
mod sending;
mod upos;
mod watching;

pub(crate) use watching::WATCH_ALERT;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use chrono::NaiveDate;
use engine::clock::Clock;
use engine::rng::EngineRng;
use engine::store::Store;

use crate::error::{codes, DeskError, DeskResult};
use crate::events::EventSink;
use crate::notify::{Notice, Throttle};
use crate::sandbox::Sandbox;
use crate::secrets::SecretStore;
use crate::settings::{self, StoredSettings};
use crate::types::{DictEntry, Settings};

/// File name of the outbox database inside the data folder.
pub const DATABASE_FILE: &str = "outbox.sqlite";
/// Worker threads of the engine's runtime (the machine is shared with a webview).
pub const RUNTIME_WORKERS: usize = 2;

/// What a `DeskApi` is built from; everything time-, randomness- or OS-dependent is injected.
pub struct DeskOptions {
    /// The data folder (created if missing).
    pub data_dir: PathBuf,
    /// Where KSeF tokens are kept.
    pub secrets: Arc<dyn SecretStore>,
    /// Where push events go.
    pub events: Arc<dyn EventSink>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Random numbers (demo invoices, import trace ids, the Sandbox's seed).
    pub rng: EngineRng,
    /// The FA(3) XSD folder; `None` uses `<data_dir>/schemas`.
    pub schemas_dir: Option<PathBuf>,
}

/// The application layer. Cheap to share behind an `Arc`; every method is safe to call from
/// any thread.
pub struct DeskApi {
    data_dir: PathBuf,
    schemas_dir: PathBuf,
    schemas: RwLock<Option<Arc<fa3::SchemaSet>>>,
    store: Mutex<Store>,
    settings: Mutex<StoredSettings>,
    secrets: Arc<dyn SecretStore>,
    events: Arc<dyn EventSink>,
    clock: Arc<dyn Clock>,
    rng: Mutex<EngineRng>,
    runtime: tokio::runtime::Runtime,
    sandbox: Mutex<Option<Sandbox>>,
    imports: Mutex<HashMap<u32, Arc<AtomicBool>>>,
    next_job: AtomicU32,
    ksef_seen: sending::KsefSeen,
    sending: Mutex<Option<sending::SendingTask>>,
    sending_wanted: AtomicBool,
    notices: Mutex<Throttle>,
    watch: Mutex<Option<crate::watch::FolderWatch>>,
}

impl DeskApi {
    /// Opens (or creates) the data folder. On first run — no settings file yet — the Sandbox
    /// company is created and made active.
    pub fn open(options: DeskOptions) -> DeskResult<DeskApi> {
        let DeskOptions {
            data_dir,
            secrets,
            events,
            clock,
            rng,
            schemas_dir,
        } = options;
        std::fs::create_dir_all(&data_dir).map_err(|e| {
            DeskError::new(
                codes::DATA_DIR,
                format!("cannot create data folder {}: {e}", data_dir.display()),
            )
        })?;
        let mut store = Store::open(&data_dir.join(DATABASE_FILE))?;
        let stored = match settings::load(&data_dir)? {
            Some(stored) => stored,
            None => companies::first_run(&mut store, clock.now_ms(), &data_dir)?,
        };
        let schemas_dir =
            schemas_dir.unwrap_or_else(|| data_dir.join(fa3::schemas::APP_DATA_SUBDIR));
        // Without the XSD files validation still runs every other check and says the XSD step
        // was skipped; the user fetches them from Settings.
        let schemas = RwLock::new(fa3::SchemaSet::load(&schemas_dir).ok().map(Arc::new));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(RUNTIME_WORKERS)
            .thread_name("ksef-desk-engine")
            .enable_all()
            .build()
            .map_err(|e| {
                DeskError::new(
                    codes::DATA_DIR,
                    format!("cannot start the engine runtime: {e}"),
                )
            })?;
        Ok(DeskApi {
            data_dir,
            schemas_dir,
            schemas,
            store: Mutex::new(store),
            settings: Mutex::new(stored),
            secrets,
            events,
            clock,
            rng: Mutex::new(rng),
            runtime,
            sandbox: Mutex::new(None),
            imports: Mutex::new(HashMap::new()),
            next_job: AtomicU32::new(1),
            ksef_seen: Arc::new(Mutex::new(HashMap::new())),
            sending: Mutex::new(None),
            sending_wanted: AtomicBool::new(false),
            notices: Mutex::new(Throttle::default()),
            watch: Mutex::new(None),
        })
    }

    /// The data folder.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// `get_settings`.
    pub fn get_settings(&self) -> DeskResult<Settings> {
        let s = lock(&self.settings)?;
        Ok(Settings {
            language: s.language,
            notifications: s.notifications,
            watched_folder: s.watched_folder.clone(),
            data_dir: self.data_dir.display().to_string(),
        })
    }

    /// `save_settings`. `data_dir` is informational and ignored (it is chosen at start-up). A
    /// changed watched folder must be an existing folder; it is watched from now on (see
    /// `start_watching`, which raises an alert if the watch cannot start).
    pub fn save_settings(self: &Arc<Self>, new: Settings) -> DeskResult<()> {
        let folder_changed = {
            let mut s = lock(&self.settings)?;
            let mut next = s.clone();
            next.language = new.language;
            next.notifications = new.notifications;
            next.watched_folder = new.watched_folder.filter(|f| !f.trim().is_empty());
            let changed = next.watched_folder != s.watched_folder;
            if let Some(folder) = next.watched_folder.as_deref().filter(|_| changed) {
                if !Path::new(folder).is_dir() {
                    return Err(DeskError::new(
                        codes::WATCHED_FOLDER,
                        format!("{folder} is not a folder"),
                    ));
                }
            }
            settings::save(&self.data_dir, &next)?;
            *s = next;
            changed
        };
        if folder_changed {
            // A failure here is an alert (raised by `start_watching`); the settings stand.
            let _ = self.start_watching();
        }
        Ok(())
    }

    /// `dictionary`: every code in both languages.
    pub fn dictionary(&self) -> Vec<DictEntry> {
        crate::convert::dictionary_out(dictionary::Dictionary::builtin())
    }

    /// Desktop notifications due now (grouped and throttled), in the user's language; none when
    /// the user turned notifications off. The shell polls this and shows what it returns.
    pub fn poll_notices(&self) -> DeskResult<Vec<Notice>> {
        let (enabled, language) = {
            let s = lock(&self.settings)?;
            (s.notifications, s.language)
        };
        let due = lock(&self.notices)?.poll(self.clock.now_ms(), language);
        Ok(if enabled { due } else { Vec::new() })
    }

    /// The loaded FA(3) schemas, if any.
    fn schemas(&self) -> Option<Arc<fa3::SchemaSet>> {
        self.schemas.read().ok().and_then(|s| s.clone())
    }

    /// Today as KSeF would judge an invoice's date, from the injected clock (UTC).
    fn today(&self) -> NaiveDate {
        chrono::DateTime::from_timestamp_millis(self.clock.now_ms())
            .map(|t| t.date_naive())
            .unwrap_or_default()
    }
}

/// Locks a mutex; a poisoned one (a panic elsewhere) becomes a typed error, not a second panic.
fn lock<T>(m: &Mutex<T>) -> DeskResult<MutexGuard<'_, T>> {
    m.lock().map_err(|_| {
        DeskError::new(
            codes::INTERNAL,
            "an earlier operation failed mid-way; restart KSeF Desk",
        )
    })
}
