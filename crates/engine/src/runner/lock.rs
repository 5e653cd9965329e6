//! One runner per database and company: an exclusive OS file lock, held for the runner's
//! lifetime, on a lock file next to the SQLite file.
//!
//! The OS releases the lock when its holder dies, however it dies (SIGKILL included). So whoever
//! takes the lock knows every `sending` lease still in the outbox belongs to a dead process and
//! may end it at once instead of waiting out the lease in real time.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use crate::store::CompanyId;

/// Why the runner lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another live runner holds the lock for this database and company.
    #[error("another runner is already sending for this company from {0}")]
    Busy(PathBuf),
    /// The lock file could not be created or locked.
    #[error("cannot lock {path}: {source}")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

impl LockError {
    /// Stable code for UIs and logs.
    pub fn code(&self) -> &'static str {
        match self {
            LockError::Busy(_) => "engine.runner_busy",
            LockError::Io { .. } => "engine.runner_lock_io",
        }
    }
}

/// Proof that this process is the only runner for one database and company; unlocks on drop.
#[derive(Debug)]
pub struct RunnerLock {
    /// Kept open: closing the file (or dying) releases the lock.
    _file: File,
    company: CompanyId,
}

impl RunnerLock {
    /// The lock file of `company` on the database at `db`: `<db>.runner-<company>.lock`.
    pub fn path_for(db: &Path, company: CompanyId) -> PathBuf {
        let mut name = db.as_os_str().to_owned();
        name.push(format!(".runner-{}.lock", company.0));
        PathBuf::from(name)
    }

    /// Takes the lock without waiting; [`LockError::Busy`] while another runner holds it.
    pub fn try_acquire(db: &Path, company: CompanyId) -> Result<RunnerLock, LockError> {
        let path = RunnerLock::path_for(db, company);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => Ok(RunnerLock {
                _file: file,
                company,
            }),
            Err(TryLockError::WouldBlock) => Err(LockError::Busy(db.to_owned())),
            Err(TryLockError::Error(e)) => Err(io(e)),
        }
    }

    /// The company this lock is for.
    pub fn company(&self) -> CompanyId {
        self.company
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_company_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("outbox.sqlite");
        let first = RunnerLock::try_acquire(&db, CompanyId(1)).expect("first lock");
        let second = RunnerLock::try_acquire(&db, CompanyId(1));
        assert!(
            matches!(&second, Err(LockError::Busy(p)) if p == &db),
            "{second:?}"
        );
        assert_eq!(second.map(|_| ()).unwrap_err().code(), "engine.runner_busy");
        // Another company on the same database has its own runner.
        let other = RunnerLock::try_acquire(&db, CompanyId(2)).expect("other company");
        assert_eq!(other.company(), CompanyId(2));
        drop(first);
        RunnerLock::try_acquire(&db, CompanyId(1)).expect("free again after drop");
    }

    #[test]
    fn an_unwritable_place_is_an_io_error_not_a_panic() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("missing-folder").join("outbox.sqlite");
        let err = RunnerLock::try_acquire(&db, CompanyId(1)).expect_err("no folder");
        assert_eq!(err.code(), "engine.runner_lock_io");
    }
}
