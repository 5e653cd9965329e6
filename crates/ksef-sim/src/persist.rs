//! Persisting the simulator's world to `state.json` in the state directory, so a restart keeps sessions,
//! invoices, tokens and the ledger (rate-limit windows are deliberately not kept).

use chrono::{DateTime, Utc};
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::keys::{KeyError, KeyRing};
use crate::limits::RateLimiter;
use crate::state::{
    AuthOp, Challenge, ForcedRejection, Invoice, IssuedToken, LedgerEntry, Session, SimState, Stats,
};

/// Version of the file layout; a different version is refused rather than misread.
const FORMAT_VERSION: u32 = 1;
/// File name inside the state directory.
const FILE_NAME: &str = "state.json";

/// Why state could not be loaded or saved.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    /// Reading or writing the file failed.
    #[error("state file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file is not a state file of this version.
    #[error("state file {path} is unreadable: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// Cause.
        reason: String,
    },
    /// Keys of the persisted generation could not be rebuilt.
    #[error(transparent)]
    Keys(#[from] KeyError),
}

/// Declares the file layout twice from one field list: borrowed for saving (no copy of the world) and
/// owned for loading, so the two can never drift apart.
macro_rules! snapshot {
    ($name:ident, $($lt:lifetime)?, $wrap:ident, $derive:ident) => {
        #[derive($derive)]
        #[serde(rename_all = "camelCase")]
        struct $name$(<$lt>)? {
            version: u32,
            rng: $wrap!($($lt)? ChaCha20Rng),
            key_generation: u32,
            token_refs: $wrap!($($lt)? HashMap<String, String>),
            challenges: $wrap!($($lt)? HashMap<String, Challenge>),
            auth_ops: $wrap!($($lt)? HashMap<String, AuthOp>),
            tokens: $wrap!($($lt)? HashMap<String, IssuedToken>),
            sessions: $wrap!($($lt)? HashMap<String, Session>),
            session_order: $wrap!($($lt)? Vec<String>),
            invoices: $wrap!($($lt)? HashMap<String, Invoice>),
            pending: $wrap!($($lt)? Vec<String>),
            duplicates: $wrap!($($lt)? HashMap<String, (String, String)>),
            ledger: $wrap!($($lt)? Vec<LedgerEntry>),
            forced_rejection: Option<ForcedRejection>,
            stats: $wrap!($($lt)? Stats),
            url_secret: $wrap!($($lt)? String),
        }
    };
}

macro_rules! borrowed {
    ($lt:lifetime $t:ty) => { &$lt $t };
}
macro_rules! owned {
    ($t:ty) => {
        $t
    };
}

snapshot!(SnapshotRef, 'a, borrowed, Serialize);
snapshot!(Snapshot, , owned, Deserialize);

fn state_file(dir: &Path) -> PathBuf {
    dir.join(FILE_NAME)
}

/// Writes `state` atomically (temporary file, then rename).
pub fn save(dir: &Path, state: &SimState) -> Result<(), PersistError> {
    let path = state_file(dir);
    let io = |source| PersistError::Io {
        path: path.clone(),
        source,
    };
    let snapshot = SnapshotRef {
        version: FORMAT_VERSION,
        rng: &state.rng,
        key_generation: state.keys.generation(),
        token_refs: &state.token_refs,
        challenges: &state.challenges,
        auth_ops: &state.auth_ops,
        tokens: &state.tokens,
        sessions: &state.sessions,
        session_order: &state.session_order,
        invoices: &state.invoices,
        pending: &state.pending,
        duplicates: &state.duplicates,
        ledger: &state.ledger,
        forced_rejection: state.forced_rejection,
        stats: &state.stats,
        url_secret: &state.url_secret,
    };
    let json = serde_json::to_vec(&snapshot).map_err(|e| PersistError::Format {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    std::fs::create_dir_all(dir).map_err(io)?;
    let temporary = dir.join(format!("{FILE_NAME}.tmp"));
    std::fs::write(&temporary, json).map_err(io)?;
    std::fs::rename(&temporary, &path).map_err(io)
}

/// Loads the state saved in `dir`, or `None` when there is none yet.
pub fn load(
    dir: &Path,
    seed: u64,
    key_bits: usize,
    now: DateTime<Utc>,
) -> Result<Option<SimState>, PersistError> {
    let path = state_file(dir);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(PersistError::Io { path, source }),
    };
    let format = |reason: String| PersistError::Format {
        path: path.clone(),
        reason,
    };
    let snapshot: Snapshot = serde_json::from_slice(&bytes).map_err(|e| format(e.to_string()))?;
    if snapshot.version != FORMAT_VERSION {
        return Err(format(format!(
            "version {} (expected {FORMAT_VERSION})",
            snapshot.version
        )));
    }
    Ok(Some(SimState {
        rng: snapshot.rng,
        keys: KeyRing::restore(seed, key_bits, snapshot.key_generation, now)?,
        token_refs: snapshot.token_refs,
        challenges: snapshot.challenges,
        auth_ops: snapshot.auth_ops,
        tokens: snapshot.tokens,
        sessions: snapshot.sessions,
        session_order: snapshot.session_order,
        invoices: snapshot.invoices,
        pending: snapshot.pending,
        duplicates: snapshot.duplicates,
        ledger: snapshot.ledger,
        limiter: RateLimiter::default(),
        forced_rejection: snapshot.forced_rejection,
        stats: snapshot.stats,
        url_secret: snapshot.url_secret,
    }))
}

/// Serde helpers storing bytes as Base64 (a JSON array of numbers would be four times larger).
pub mod b64_opt {
    use base64::{engine::general_purpose::STANDARD, Engine as _};
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialises optional bytes.
    pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(bytes) => s.serialize_some(&STANDARD.encode(bytes)),
            None => s.serialize_none(),
        }
    }

    /// Deserialises optional bytes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| STANDARD.decode(text).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// Base64 values of a map of byte blobs.
pub mod b64_map {
    use base64::{engine::general_purpose::STANDARD, Engine as _};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    /// Serialises the map.
    pub fn serialize<S: Serializer>(map: &BTreeMap<u32, Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        map.iter()
            .map(|(k, v)| (*k, STANDARD.encode(v)))
            .collect::<BTreeMap<u32, String>>()
            .serialize(s)
    }

    /// Deserialises the map.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<u32, Vec<u8>>, D::Error> {
        BTreeMap::<u32, String>::deserialize(d)?
            .into_iter()
            .map(|(k, v)| {
                STANDARD
                    .decode(v)
                    .map(|b| (k, b))
                    .map_err(serde::de::Error::custom)
            })
            .collect()
    }
}
