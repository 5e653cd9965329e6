//! Shared test fixtures: a DeskApi on a temp folder with a manual clock, a seeded RNG, the
//! official schemas and an event channel.

#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};

use desk_api::secrets::SecretStore;
use desk_api::{DeskApi, DeskEvent, DeskOptions, EventSink, MemoryStore};
use engine::clock::ManualClock;

/// 2026-11-21T12:00:00Z.
pub const NOW_MS: i64 = 1_795_262_400_000;
pub const SEED: u64 = 42;

pub fn shared_ksef() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/ksef")
}

pub fn schemas_dir() -> PathBuf {
    shared_ksef().join("schemas")
}

/// Forwards events to a channel so tests can wait for them without sleeping.
pub struct ChannelSink(pub Mutex<Sender<DeskEvent>>);

impl EventSink for ChannelSink {
    fn emit(&self, event: DeskEvent) {
        if let Ok(tx) = self.0.lock() {
            let _ = tx.send(event);
        }
    }
}

pub struct Fixture {
    pub api: Arc<DeskApi>,
    pub events: Receiver<DeskEvent>,
    pub clock: ManualClock,
}

pub fn open(dir: &Path) -> Fixture {
    open_with(dir, Arc::new(MemoryStore::default()))
}

pub fn open_with(dir: &Path, secrets: Arc<dyn SecretStore>) -> Fixture {
    open_at(dir, secrets, NOW_MS)
}

/// A fixture whose manual clock starts at `now_ms` (it only moves forward).
pub fn open_at(dir: &Path, secrets: Arc<dyn SecretStore>, now_ms: i64) -> Fixture {
    let (tx, rx) = channel();
    let clock = ManualClock::new(now_ms);
    let api = DeskApi::open(DeskOptions {
        data_dir: dir.to_path_buf(),
        secrets,
        events: Arc::new(ChannelSink(Mutex::new(tx))),
        clock: Arc::new(clock.clone()),
        rng: engine::rng::seeded(SEED),
        schemas_dir: Some(schemas_dir()),
    })
    .expect("open DeskApi");
    Fixture {
        api: Arc::new(api),
        events: rx,
        clock,
    }
}

/// A DeskApi on the wall clock: the Sandbox simulator runs on real time, so a runner talking to
/// it must too (a frozen clock would never see the simulator's processing delay pass).
pub fn open_real_clock(dir: &Path) -> (Arc<DeskApi>, Receiver<DeskEvent>) {
    let (tx, rx) = channel();
    let api = DeskApi::open(DeskOptions {
        data_dir: dir.to_path_buf(),
        secrets: Arc::new(MemoryStore::default()),
        events: Arc::new(ChannelSink(Mutex::new(tx))),
        clock: Arc::new(engine::clock::SystemClock),
        rng: engine::rng::seeded(SEED),
        schemas_dir: Some(schemas_dir()),
    })
    .expect("open DeskApi");
    (Arc::new(api), rx)
}
