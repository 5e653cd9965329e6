//! The engine's sending runner for the active company, on DeskApi's runtime: started by the
//! shell, restarted when the active company changes, woken when invoices are queued, stopped on
//! quit. After every tick it tells the UI which rows changed (`invoices_changed`, one event per
//! tick) and, when it changed, the queue depth and KSeF's state (`engine_status`).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use engine::clock::Clock;
use engine::runner::{report, Credentials, Runner, RunnerConfig, RunnerLock};
use engine::store::{CompanyId, Store};
use ksef_api::http::HttpKsef;
use ksef_api::{ContextIdentifier, Nip};
use tokio::sync::Notify;

use super::{lock, DeskApi, DATABASE_FILE};
use crate::convert::state_out;
use crate::error::{DeskError, DeskResult};
use crate::events::{DeskEvent, EventSink};
use crate::types::{EngineStatus, InvoiceState, InvoicesChanged, KsefAvailability, KsefStatus};

/// Wait before the next tick after the outbox could not be read or written (disk full, a
/// locked database): long enough not to spin, short enough to recover unnoticed.
const STORE_RETRY_MS: u64 = 5_000;
/// Longest wait for the current tick to finish when sending stops; past it the task is
/// aborted, which the outbox survives like a crash (leases expire, unknown outcomes resolve).
const STOP_WAIT_MS: u64 = 10_000;

/// The runner task of one company and the signals it listens to.
pub(super) struct SendingTask {
    company: i64,
    stop: Arc<Notify>,
    wake: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

/// KSeF's state per company as runners last saw it, shared with the runner tasks.
pub(super) type KsefSeen = Arc<Mutex<HashMap<i64, KsefStatus>>>;

/// The injected clock as the runner wants it (`Clone + 'static`).
#[derive(Clone)]
struct SharedClock(Arc<dyn Clock>);

impl Clock for SharedClock {
    fn now_ms(&self) -> i64 {
        self.0.now_ms()
    }
}

/// What the runner task needs besides the runner.
struct Drive {
    company: CompanyId,
    clock: SharedClock,
    events: Arc<dyn EventSink>,
    seen: KsefSeen,
    stop: Arc<Notify>,
    wake: Arc<Notify>,
}

impl DeskApi {
    /// Starts sending for the active company (the shell calls this once at start-up, off the UI
    /// thread: the Sandbox's simulator may have to start first). From then on the runner follows
    /// the active company, even if this first start failed (e.g. no token yet). Replaces a
    /// runner already running.
    pub fn start_sending(&self) -> DeskResult<()> {
        self.sending_wanted.store(true, Ordering::SeqCst);
        self.halt_sending()?;
        let active = self.active()?;
        let company = lock(&self.store)?.company(active.id)?;
        let endpoint = self.endpoint(&company)?;
        let nip = Nip::parse(&company.nip)
            .map_err(|e| DeskError::new("business.nip_checksum", e.to_string()))?;
        let ksef =
            HttpKsef::new(endpoint.http).map_err(|e| DeskError::new(&e.code(), e.to_string()))?;
        // One runner per database and company (another app instance or `ksef-desk-cli run`
        // holds it otherwise); held by the task until it ends.
        let db = self.data_dir.join(DATABASE_FILE);
        let runner_lock = RunnerLock::try_acquire(&db, active.id)
            .map_err(|e| DeskError::new(e.code(), e.to_string()))?;
        // The runner gets its own connection, so UI queries never wait behind a tick.
        let store = Store::open(&db)?;
        let seed = rand::RngCore::next_u64(&mut *lock(&self.rng)?);
        let clock = SharedClock(Arc::clone(&self.clock));
        let mut runner = Runner::new(
            store,
            active.id,
            ksef,
            Credentials {
                context: ContextIdentifier::Nip(nip),
                ksef_token: endpoint.token,
            },
            clock.clone(),
            engine::rng::seeded(seed),
            RunnerConfig::default(),
        );
        // Holding the lock proves leases left in the outbox are a dead process's: end them now.
        runner
            .take_over(&runner_lock)
            .map_err(|e| DeskError::new(e.code(), e.to_string()))?;
        let stop = Arc::new(Notify::new());
        let wake = Arc::new(Notify::new());
        let drive = Drive {
            company: active.id,
            clock,
            events: Arc::clone(&self.events),
            seen: Arc::clone(&self.ksef_seen),
            stop: Arc::clone(&stop),
            wake: Arc::clone(&wake),
        };
        let task = self.runtime.spawn(async move {
            drive.run(runner).await;
            drop(runner_lock);
        });
        *lock(&self.sending)? = Some(SendingTask {
            company: active.id.0,
            stop,
            wake,
            task,
        });
        Ok(())
    }

    /// Stops sending (quit): the runner finishes its current tick, waited for up to
    /// [`STOP_WAIT_MS`]. Must not be called from inside an async task.
    pub fn stop_sending(&self) -> DeskResult<()> {
        self.sending_wanted.store(false, Ordering::SeqCst);
        self.halt_sending()
    }

    /// Stops the running runner, if any, without changing whether sending is wanted.
    fn halt_sending(&self) -> DeskResult<()> {
        let running = lock(&self.sending)?.take();
        if let Some(mut running) = running {
            running.stop.notify_one();
            let wait = Duration::from_millis(STOP_WAIT_MS);
            let finished = self
                .runtime
                .block_on(async { tokio::time::timeout(wait, &mut running.task).await });
            if finished.is_err() {
                tracing::warn!("the runner did not stop within {STOP_WAIT_MS} ms; aborted");
                running.task.abort();
            }
        }
        Ok(())
    }

    /// Whether a runner is sending for `company`.
    pub fn sending_for(&self, company: i64) -> bool {
        lock(&self.sending).is_ok_and(|s| s.as_ref().is_some_and(|t| t.company == company))
    }

    /// Wakes the runner now (new invoices were queued) instead of at its next planned tick.
    pub(super) fn wake_sending(&self) {
        if let Ok(sending) = self.sending.lock() {
            if let Some(running) = sending.as_ref() {
                running.wake.notify_one();
            }
        }
    }

    /// After the active company changed: once sending was started, the runner moves to it. A
    /// company that cannot send (no token) still becomes active; its KSeF state shows
    /// unavailable and "test connection" says why.
    pub(super) fn follow_active_company(&self) -> DeskResult<()> {
        if !self.sending_wanted.load(Ordering::SeqCst) {
            return Ok(());
        }
        if let Err(e) = self.start_sending() {
            tracing::warn!(code = %e.code, "sending cannot start for the active company");
        }
        Ok(())
    }
}

impl Drive {
    async fn run(self, mut runner: Runner<HttpKsef, SharedClock>) {
        let mut rows = row_states(runner.store());
        let mut last_status = None;
        loop {
            let delay_ms = match runner.tick().await {
                Ok(outcome) => {
                    if outcome.progressed {
                        let now = row_states(runner.store());
                        let ids = changed(&rows, &now);
                        rows = now;
                        if !ids.is_empty() {
                            self.events
                                .emit(DeskEvent::InvoicesChanged(InvoicesChanged { ids }));
                        }
                    }
                    let status = self.status(&runner);
                    if last_status.as_ref() != Some(&status) {
                        self.events.emit(DeskEvent::EngineStatus(status.clone()));
                        last_status = Some(status);
                    }
                    let delta = outcome.next_wake_at_ms.saturating_sub(self.clock.now_ms());
                    u64::try_from(delta).unwrap_or(0)
                }
                Err(e) => {
                    tracing::warn!(code = e.code(), "sending paused: {e}");
                    STORE_RETRY_MS
                }
            };
            tokio::select! {
                _ = self.stop.notified() => return,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(delay_ms)) => {}
            }
        }
    }

    /// Queue depth and KSeF's state from the runner's breaker; records the state for
    /// `engine_status` and the dashboard.
    fn status(&self, runner: &Runner<HttpKsef, SharedClock>) -> EngineStatus {
        let now = self.clock.now_ms();
        let mut seen = self.seen.lock().ok();
        let previous = seen.as_ref().and_then(|s| s.get(&self.company.0).cloned());
        let ksef = match runner.unavailable_since_ms() {
            Some(since) => KsefStatus {
                state: KsefAvailability::Unavailable,
                since: Some(since),
            },
            // Available since the first tick that found it so, not since every tick.
            None => match previous {
                Some(p) if p.state == KsefAvailability::Available => p,
                _ => KsefStatus {
                    state: KsefAvailability::Available,
                    since: Some(now),
                },
            },
        };
        if let Some(seen) = seen.as_mut() {
            seen.insert(self.company.0, ksef.clone());
        }
        let counts: BTreeMap<InvoiceState, i64> = runner
            .store()
            .counts_by_state(self.company)
            .unwrap_or_default()
            .into_iter()
            .map(|(s, n)| (state_out(s), n))
            .collect();
        EngineStatus {
            queue_depth: super::dashboard::queue_depth(&counts),
            ksef,
        }
    }
}

/// What the UI shows of each row and can change under the runner: state, KSeF number, UPO,
/// error code. A store that cannot be read gives an empty map (every row counts as changed
/// on the next successful read, which only over-refreshes).
fn row_states(store: &Store) -> HashMap<i64, report::StatusRow> {
    report::status_rows(store)
        .unwrap_or_default()
        .into_iter()
        .map(|r| (r.id.0, r))
        .collect()
}

/// Ids whose row differs between two snapshots (new rows included), ascending.
fn changed(
    before: &HashMap<i64, report::StatusRow>,
    after: &HashMap<i64, report::StatusRow>,
) -> Vec<i64> {
    let mut ids: Vec<i64> = after
        .iter()
        .filter(|(id, row)| before.get(id) != Some(row))
        .map(|(id, _)| *id)
        .collect();
    ids.sort_unstable();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::state::SubmissionState;
    use engine::store::InvoiceId;

    fn row(id: i64, state: SubmissionState, upo: bool) -> (i64, report::StatusRow) {
        (
            id,
            report::StatusRow {
                id: InvoiceId(id),
                file: format!("{id}.xml"),
                invoice_number: None,
                state,
                ksef_number: None,
                upo,
                error_code: None,
                trace_id: String::new(),
            },
        )
    }

    #[test]
    fn changed_lists_rows_whose_state_or_upo_moved_and_new_rows() {
        let before: HashMap<_, _> = [
            row(1, SubmissionState::Queued, false),
            row(2, SubmissionState::Accepted, false),
            row(3, SubmissionState::Invalid, false),
        ]
        .into();
        let after: HashMap<_, _> = [
            row(1, SubmissionState::Sending, false),
            row(2, SubmissionState::Accepted, true),
            row(3, SubmissionState::Invalid, false),
            row(4, SubmissionState::Queued, false),
        ]
        .into();
        assert_eq!(changed(&before, &after), vec![1, 2, 4]);
        assert!(changed(&after, &after).is_empty());
    }
}
