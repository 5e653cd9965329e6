//! Where the official KSeF material lives (read-only, outside the repository).

use std::path::PathBuf;

/// `/work/shared/ksef`, resolved from this package's manifest directory (`<repo>/tests`).
pub fn ksef_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/ksef")
}

/// The official valid FA(3) samples.
pub fn samples_dir() -> PathBuf {
    ksef_dir().join("samples/fa3-valid")
}

/// The FA(3) XSDs.
pub fn schemas_dir() -> PathBuf {
    ksef_dir().join("schemas")
}
