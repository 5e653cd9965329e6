//! The official FA(3) schema set: which files, where they come from, their pinned hashes, and how
//! to find, check and (with a downloader the caller supplies) fetch them.
//!
//! The pins are SHA-256 hashes of the copies in the official KSeF documentation. Any mismatch fails
//! closed: a file that does not match its pin is reported, never used, and never written by
//! [`fetch_into`]. This module does no networking itself; the CLI and the app pass in a downloader.

use std::ffi::OsStr;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// One file of the schema set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaFile {
    /// Path relative to the schema directory (the layout of the official documentation).
    pub path: &'static str,
    /// Lower-case hex SHA-256 of the official documentation's copy.
    pub sha256: &'static str,
    /// The file's name on the official server, relative to its [`Origin`].
    pub remote_name: &'static str,
    /// Which official location serves it.
    pub origin: Origin,
}

/// The two official locations the schema set is published under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The FA(3) form schema (`crd.gov.pl/wzor/...`).
    Form,
    /// The shared base type definitions (`crd.gov.pl/xml/schematy/...`).
    BaseTypes,
}

/// The FA(3) schema itself.
pub const FA3_SCHEMA: SchemaFile = SchemaFile {
    path: "FA3/schemat_FA(3)_v1-0E.xsd",
    sha256: "b646b6b525f51adf1bb2545f111fc8ca6e7aa6dd2f98948f1667d3695c06d958",
    remote_name: "schemat.xsd",
    origin: Origin::Form,
};

/// The base structures FA(3) imports by absolute URL (mapped to this file offline).
pub const STRUKTURY_DANYCH: SchemaFile = SchemaFile {
    path: "FA3/bazowe/StrukturyDanych_v10-0E.xsd",
    sha256: "cb08348374598e1e716e086c40d740390fb9e1bfa3aba1f4ec4cba0e1ef6d60f",
    remote_name: "StrukturyDanych_v10-0E.xsd",
    origin: Origin::BaseTypes,
};

/// The absolute `schemaLocation` under which the FA(3) schema imports [`STRUKTURY_DANYCH`]. The
/// validator answers it from the local copy; it is never fetched.
pub const STRUKTURY_DANYCH_IMPORT: &str =
    "http://crd.gov.pl/xml/schematy/dziedzinowe/mf/2022/01/05/eD/DefinicjeTypy/StrukturyDanych_v10-0E.xsd";

/// Elementary types, included by [`STRUKTURY_DANYCH`].
pub const ELEMENTARNE_TYPY_DANYCH: SchemaFile = SchemaFile {
    path: "FA3/bazowe/ElementarneTypyDanych_v10-0E.xsd",
    sha256: "8daf4d3771de200b26b697294cc906a2add3de9acfbbd97f4b1bd4fc0e5ecb2f",
    remote_name: "ElementarneTypyDanych_v10-0E.xsd",
    origin: Origin::BaseTypes,
};

/// Country codes, included by [`ELEMENTARNE_TYPY_DANYCH`].
pub const KODY_KRAJOW: SchemaFile = SchemaFile {
    path: "FA3/bazowe/KodyKrajow_v10-0E.xsd",
    sha256: "48be2a9f181d7ff80f185c62491ba12604c5cacbbe21af8e2aaaf2c585bbd214",
    remote_name: "KodyKrajow_v10-0E.xsd",
    origin: Origin::BaseTypes,
};

/// Every file of the schema set, the FA(3) schema first.
pub const SCHEMA_FILES: [SchemaFile; 4] = [
    FA3_SCHEMA,
    STRUKTURY_DANYCH,
    ELEMENTARNE_TYPY_DANYCH,
    KODY_KRAJOW,
];

/// The environment variable that points at a schema directory (second in [`locate`]'s order).
pub const SCHEMAS_ENV: &str = "KSEF_DESK_SCHEMAS";

/// The schema directory's name inside the application's data directory.
pub const APP_DATA_SUBDIR: &str = "schemas";

/// Where [`fetch_into`] downloads from: the official server, or a mirror with the same files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceUrls {
    /// The URL of the FA(3) schema itself.
    pub form_url: String,
    /// The directory URL (ending in `/`) holding the base schemas.
    pub base_types_dir_url: String,
}

impl SourceUrls {
    /// The official Ministry of Finance locations.
    pub fn official() -> SourceUrls {
        SourceUrls {
            form_url: "https://crd.gov.pl/wzor/2025/06/25/13775/schemat.xsd".to_owned(),
            base_types_dir_url:
                "https://crd.gov.pl/xml/schematy/dziedzinowe/mf/2022/01/05/eD/DefinicjeTypy/"
                    .to_owned(),
        }
    }

    /// The URL `file` is downloaded from.
    pub fn url_for(&self, file: &SchemaFile) -> String {
        match file.origin {
            Origin::Form => self.form_url.clone(),
            Origin::BaseTypes => format!("{}{}", self.base_types_dir_url, file.remote_name),
        }
    }
}

/// The state of one schema file on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileState {
    /// Present and matching its pin.
    Ok,
    /// Not there.
    Missing,
    /// Present but different from the official copy; never used.
    HashMismatch {
        /// Hex SHA-256 of the file found.
        actual: String,
    },
    /// Present but could not be read (permissions, a directory in its place, ...).
    Unreadable {
        /// The I/O error, for the log.
        reason: String,
    },
}

impl FileState {
    /// Stable code for UIs and the CLI's JSON.
    pub fn code(&self) -> &'static str {
        match self {
            FileState::Ok => "schemas.ok",
            FileState::Missing => "schemas.missing",
            FileState::HashMismatch { .. } => "schemas.hash_mismatch",
            FileState::Unreadable { .. } => "schemas.unreadable",
        }
    }
}

/// One file's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStatus {
    /// Which file.
    pub file: SchemaFile,
    /// What was found.
    pub state: FileState,
}

/// The verdict on a whole schema directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaStatus {
    /// The directory that was checked.
    pub dir: PathBuf,
    /// One entry per file of [`SCHEMA_FILES`], in that order.
    pub files: Vec<FileStatus>,
}

impl SchemaStatus {
    /// True when every file is present and matches its pin: only then may the set be loaded.
    pub fn is_ok(&self) -> bool {
        self.files
            .iter()
            .all(|status| status.state == FileState::Ok)
    }
}

/// Why [`fetch_into`] gave up. Nothing unverified was written in any case.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The downloader failed for one file.
    #[error("downloading {url} failed: {reason}")]
    Download {
        /// The URL asked for.
        url: String,
        /// The downloader's explanation.
        reason: String,
    },
    /// The downloaded bytes are not the official file.
    #[error("{url} does not match the pinned SHA-256 of {path} (got {actual})")]
    PinMismatch {
        /// The URL the bytes came from.
        url: String,
        /// The schema file they were meant to be.
        path: &'static str,
        /// Hex SHA-256 of what was downloaded.
        actual: String,
    },
    /// Writing into the schema directory failed.
    #[error("writing {path} failed: {source}")]
    Io {
        /// The file being written.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
}

impl FetchError {
    /// Stable code for UIs and the CLI's JSON.
    pub fn code(&self) -> &'static str {
        match self {
            FetchError::Download { .. } => "schemas.download_failed",
            FetchError::PinMismatch { .. } => "schemas.pin_mismatch",
            FetchError::Io { .. } => "schemas.write_failed",
        }
    }
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Checks every file of the schema set in `dir` against its pin.
pub fn verify_dir(dir: &Path) -> SchemaStatus {
    let files = SCHEMA_FILES
        .iter()
        .map(|file| FileStatus {
            file: *file,
            state: file_state(&dir.join(file.path), file),
        })
        .collect();
    SchemaStatus {
        dir: dir.to_path_buf(),
        files,
    }
}

fn file_state(path: &Path, file: &SchemaFile) -> FileState {
    match fs::read(path) {
        Ok(bytes) => {
            let actual = sha256_hex(&bytes);
            if actual == file.sha256 {
                FileState::Ok
            } else {
                FileState::HashMismatch { actual }
            }
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => FileState::Missing,
        Err(error) => FileState::Unreadable {
            reason: error.to_string(),
        },
    }
}

/// Picks the schema directory: an explicit choice (a CLI flag), else the `KSEF_DESK_SCHEMAS`
/// value (passed in, so this stays pure), else `<app data>/schemas`. Empty values count as unset.
/// Whether the directory holds a good set is [`verify_dir`]'s question, not this one's.
pub fn locate(
    explicit: Option<&Path>,
    env_value: Option<&OsStr>,
    app_data_dir: Option<&Path>,
) -> Option<PathBuf> {
    explicit
        .filter(|path| !path.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .or_else(|| {
            env_value
                .filter(|value| !value.is_empty())
                .map(PathBuf::from)
        })
        .or_else(|| app_data_dir.map(|dir| dir.join(APP_DATA_SUBDIR)))
}

/// Downloads every file not already present and pinned, verifies ALL of them against their pins
/// first, and only then writes each one (temporary file + rename, so a crash never leaves a half
/// file). On any error nothing new is written. Returns the directory's state afterwards.
pub fn fetch_into(
    dir: &Path,
    sources: &SourceUrls,
    download: &dyn Fn(&str) -> Result<Vec<u8>, String>,
) -> Result<SchemaStatus, FetchError> {
    let mut verified = Vec::new();
    for file in SCHEMA_FILES.iter() {
        if file_state(&dir.join(file.path), file) == FileState::Ok {
            continue;
        }
        let url = sources.url_for(file);
        let bytes = download(&url).map_err(|reason| FetchError::Download {
            url: url.clone(),
            reason,
        })?;
        let actual = sha256_hex(&bytes);
        if actual != file.sha256 {
            return Err(FetchError::PinMismatch {
                url,
                path: file.path,
                actual,
            });
        }
        verified.push((file, bytes));
    }
    for (file, bytes) in verified {
        write_atomically(&dir.join(file.path), &bytes)?;
    }
    Ok(verify_dir(dir))
}

/// Writes next to the target, syncs, then renames over it; removes the temporary file on failure.
fn write_atomically(target: &Path, bytes: &[u8]) -> Result<(), FetchError> {
    let io_error = |source| FetchError::Io {
        path: target.to_path_buf(),
        source,
    };
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent).map_err(io_error)?;
    }
    let mut temporary = target.as_os_str().to_owned();
    temporary.push(".partial");
    let temporary = PathBuf::from(temporary);
    let written = fs::File::create(&temporary)
        .and_then(|mut out| out.write_all(bytes).and_then(|()| out.sync_all()))
        .and_then(|()| fs::rename(&temporary, target));
    if let Err(error) = written {
        // Best effort: the temporary file is garbage either way and never read by anything.
        let _ = fs::remove_file(&temporary);
        return Err(io_error(error));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_prefers_explicit_then_env_then_app_data() {
        let explicit = Path::new("/flag");
        let env = OsStr::new("/env");
        let app = Path::new("/app");
        assert_eq!(
            locate(Some(explicit), Some(env), Some(app)),
            Some(PathBuf::from("/flag"))
        );
        assert_eq!(
            locate(None, Some(env), Some(app)),
            Some(PathBuf::from("/env"))
        );
        assert_eq!(
            locate(None, None, Some(app)),
            Some(PathBuf::from("/app/schemas"))
        );
        assert_eq!(locate(None, None, None), None);
    }

    #[test]
    fn locate_treats_empty_values_as_unset() {
        let app = Path::new("/app");
        assert_eq!(
            locate(Some(Path::new("")), Some(OsStr::new("")), Some(app)),
            Some(PathBuf::from("/app/schemas"))
        );
    }

    #[test]
    fn official_urls_follow_the_documented_layout() {
        let official = SourceUrls::official();
        assert_eq!(
            official.url_for(&FA3_SCHEMA),
            "https://crd.gov.pl/wzor/2025/06/25/13775/schemat.xsd"
        );
        assert_eq!(
            official.url_for(&KODY_KRAJOW),
            "https://crd.gov.pl/xml/schematy/dziedzinowe/mf/2022/01/05/eD/DefinicjeTypy/KodyKrajow_v10-0E.xsd"
        );
    }

    #[test]
    fn sha256_hex_matches_the_standard_test_vector() {
        // FIPS 180-2 example "abc".
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
