//! The watched folder: an ERP drops FA(3) XML or ZIP files into a folder and KSeF Desk imports
//! each one once it is complete.
//!
//! ERPs write in pieces, so a file is imported only after its size has stayed the same for
//! [`SETTLE_MS`]; until then it is re-measured every [`RESCAN_PERIOD`]. The decision is a pure
//! state machine ([`Settle`]) fed with file events, sizes and the injected clock's time, so it
//! is tested without waiting; [`FolderWatch`] wires it to the OS (the `notify` crate) on a
//! thread of its own. Re-imports of the same content are recognised by the importer (same
//! bytes, same row), so an extra event never duplicates an invoice.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

use engine::clock::Clock;
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};

/// How long a file's size must stay unchanged before it is taken as complete.
pub const SETTLE_MS: i64 = 2_000;
/// How often files still being written are re-measured.
pub const RESCAN_PERIOD: Duration = Duration::from_millis(250);

/// Whether a path names something the watcher imports: `.xml` or `.zip` (any case), not a
/// hidden file (editors' and sync tools' temporaries start with a dot).
pub fn is_candidate(path: &Path) -> bool {
    let hidden = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_none_or(|n| n.starts_with('.'));
    let wanted = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("xml") || e.eq_ignore_ascii_case("zip"));
    wanted && !hidden
}

/// One file being waited on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pending {
    /// Size when last measured; `None` before the first measurement.
    size: Option<u64>,
    /// When the file last changed (an event or a different size), Unix ms.
    changed_at: i64,
}

/// Which files are complete: each candidate waits until it has been non-empty and unchanged
/// for [`SETTLE_MS`]. Files that disappear (renamed temporaries) are forgotten.
#[derive(Debug, Default)]
pub struct Settle {
    pending: BTreeMap<PathBuf, Pending>,
}

impl Settle {
    /// The file system reported a change to `path` at `now_ms`: (re)start its wait.
    pub fn touched(&mut self, path: PathBuf, now_ms: i64) {
        if !is_candidate(&path) {
            return;
        }
        let entry = self.pending.entry(path).or_insert(Pending {
            size: None,
            changed_at: now_ms,
        });
        entry.changed_at = now_ms;
    }

    /// `path` measured `size` bytes at `now_ms` (`None`: it is gone or not a file).
    pub fn measured(&mut self, path: &Path, size: Option<u64>, now_ms: i64) {
        let Some(size) = size else {
            self.pending.remove(path);
            return;
        };
        if let Some(p) = self.pending.get_mut(path) {
            if p.size != Some(size) {
                p.size = Some(size);
                p.changed_at = now_ms;
            }
        }
    }

    /// Files waited on, to be measured.
    pub fn pending(&self) -> Vec<PathBuf> {
        self.pending.keys().cloned().collect()
    }

    /// The files complete at `now_ms`, in path order; they are no longer waited on.
    pub fn take_ready(&mut self, now_ms: i64) -> Vec<PathBuf> {
        let ready: Vec<PathBuf> = self
            .pending
            .iter()
            .filter(|(_, p)| {
                p.size.is_some_and(|s| s > 0) && now_ms.saturating_sub(p.changed_at) >= SETTLE_MS
            })
            .map(|(path, _)| path.clone())
            .collect();
        for path in &ready {
            self.pending.remove(path);
        }
        ready
    }
}

/// What the watcher reports to its owner.
pub trait WatchHandler: Send + 'static {
    /// These files are complete: import them.
    fn ready(&self, files: Vec<PathBuf>);
    /// The OS watcher reported an error (the folder vanished, too many watches…).
    fn failed(&self, message: String);
}

/// A running watch of one folder; dropping it stops the watch and its thread.
pub struct FolderWatch {
    folder: PathBuf,
    // Owns the channel's sender: dropping it ends the thread (`Disconnected`).
    _watcher: RecommendedWatcher,
}

impl std::fmt::Debug for FolderWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FolderWatch")
            .field("folder", &self.folder)
            .finish_non_exhaustive()
    }
}

impl FolderWatch {
    /// Starts watching `folder` (not its subfolders). Candidates already in it are imported
    /// too: files dropped while the app was closed are not left behind.
    pub fn start(
        folder: &Path,
        clock: Arc<dyn Clock>,
        handler: impl WatchHandler,
    ) -> Result<FolderWatch, notify::Error> {
        let (tx, rx) = channel();
        let mut watcher = notify::recommended_watcher(move |res| {
            // The thread ended (handler gone): nothing left to tell.
            let _ = tx.send(res);
        })?;
        watcher.watch(folder, RecursiveMode::NonRecursive)?;
        let mut settle = Settle::default();
        let now = clock.now_ms();
        for path in existing(folder) {
            settle.touched(path, now);
        }
        std::thread::Builder::new()
            .name("ksef-desk-watch".to_owned())
            .spawn(move || loop {
                match rx.recv_timeout(RESCAN_PERIOD) {
                    Ok(Ok(event)) if !matches!(event.kind, EventKind::Access(_)) => {
                        let now = clock.now_ms();
                        for path in event.paths {
                            settle.touched(path, now);
                        }
                    }
                    Ok(Ok(_)) | Err(RecvTimeoutError::Timeout) => {}
                    Ok(Err(e)) => handler.failed(e.to_string()),
                    Err(RecvTimeoutError::Disconnected) => return,
                }
                let now = clock.now_ms();
                for path in settle.pending() {
                    let size = std::fs::metadata(&path)
                        .ok()
                        .filter(std::fs::Metadata::is_file)
                        .map(|m| m.len());
                    settle.measured(&path, size, now);
                }
                let ready = settle.take_ready(now);
                if !ready.is_empty() {
                    handler.ready(ready);
                }
            })
            .map_err(notify::Error::io)?;
        Ok(FolderWatch {
            folder: folder.to_path_buf(),
            _watcher: watcher,
        })
    }

    /// The folder watched.
    pub fn folder(&self) -> &Path {
        &self.folder
    }
}

/// Candidates already in `folder`; an unreadable folder yields none (the watch reports it).
fn existing(folder: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(folder)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| is_candidate(p))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_700_000_000_000;

    fn p(name: &str) -> PathBuf {
        PathBuf::from("/drop").join(name)
    }

    #[test]
    fn only_visible_xml_and_zip_files_are_candidates() {
        assert!(is_candidate(&p("FV-1.xml")));
        assert!(is_candidate(&p("PACZKA.ZIP")));
        assert!(is_candidate(&p("a.Xml")));
        assert!(!is_candidate(&p("FV-1.xml.part")));
        assert!(!is_candidate(&p("FV-1.tmp")));
        assert!(!is_candidate(&p(".~lock.FV-1.xml")));
        assert!(!is_candidate(&p("notes.txt")));
        assert!(!is_candidate(Path::new("/")));
    }

    #[test]
    fn a_file_is_ready_only_after_its_size_stays_the_same_for_the_settle_time() {
        let mut s = Settle::default();
        let f = p("FV-1.xml");
        s.touched(f.clone(), T0);
        s.measured(&f, Some(100), T0);
        assert!(s.take_ready(T0 + SETTLE_MS - 1).is_empty());
        // The ERP writes more: the wait starts again from this measurement.
        s.measured(&f, Some(4_000), T0 + SETTLE_MS - 1);
        assert!(s.take_ready(T0 + SETTLE_MS).is_empty());
        assert!(s.take_ready(T0 + 2 * SETTLE_MS - 2).is_empty());
        s.measured(&f, Some(4_000), T0 + 2 * SETTLE_MS - 1);
        assert_eq!(s.take_ready(T0 + 2 * SETTLE_MS - 1), vec![f.clone()]);
        // Taken once: not offered again until the file changes again.
        assert!(s.take_ready(T0 + 10 * SETTLE_MS).is_empty());
        assert!(s.pending().is_empty());
    }

    #[test]
    fn a_new_event_restarts_the_wait_even_at_the_same_size() {
        let mut s = Settle::default();
        let f = p("FV-1.xml");
        s.touched(f.clone(), T0);
        s.measured(&f, Some(10), T0);
        s.touched(f.clone(), T0 + SETTLE_MS - 1);
        s.measured(&f, Some(10), T0 + SETTLE_MS);
        assert!(s.take_ready(T0 + SETTLE_MS).is_empty());
        assert_eq!(s.take_ready(T0 + 2 * SETTLE_MS - 1), vec![f]);
    }

    #[test]
    fn never_measured_and_empty_files_wait() {
        let mut s = Settle::default();
        let unmeasured = p("a.xml");
        let empty = p("b.xml");
        s.touched(unmeasured.clone(), T0);
        s.touched(empty.clone(), T0);
        s.measured(&empty, Some(0), T0);
        assert!(s.take_ready(T0 + 100 * SETTLE_MS).is_empty());
        assert_eq!(s.pending(), vec![unmeasured, empty]);
    }

    #[test]
    fn a_file_that_disappears_is_forgotten_and_others_are_not_held_up() {
        let mut s = Settle::default();
        let temp = p("FV-1.xml");
        let other = p("FV-2.zip");
        s.touched(temp.clone(), T0);
        s.touched(other.clone(), T0);
        s.measured(&temp, Some(50), T0);
        s.measured(&other, Some(70), T0);
        s.measured(&temp, None, T0 + 1);
        assert_eq!(s.take_ready(T0 + SETTLE_MS), vec![other]);
        assert!(s.pending().is_empty());
    }

    #[test]
    fn non_candidates_are_ignored() {
        let mut s = Settle::default();
        s.touched(p("FV-1.xml.part"), T0);
        s.touched(p(".hidden.xml"), T0);
        assert!(s.pending().is_empty());
    }
}
