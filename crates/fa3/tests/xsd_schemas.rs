//! The schema set description: pins, directory verification and pinned fetching.

mod xsd_common;

use std::cell::RefCell;
use std::fs;
use std::path::Path;

use fa3::schemas::{self, FetchError, FileState, SchemaStatus, SourceUrls, SCHEMA_FILES};
use xsd_common::{copy_fa3_schemas, shared_ksef, shared_schemas};

fn states(status: &schemas::SchemaStatus) -> Vec<&'static str> {
    status.files.iter().map(|file| file.state.code()).collect()
}

/// A downloader serving the official copies by their official URL, counting requests.
fn official_downloader(
    requests: &RefCell<Vec<String>>,
) -> impl Fn(&str) -> Result<Vec<u8>, String> + '_ {
    move |url: &str| {
        requests.borrow_mut().push(url.to_owned());
        let official = SourceUrls::official();
        SCHEMA_FILES
            .iter()
            .find(|file| official.url_for(file) == url)
            .map(|file| fs::read(shared_schemas().join(file.path)).expect("shared copy"))
            .ok_or_else(|| format!("404 {url}"))
    }
}

/// Fetches into `dir` from the official sources (served from the shared copies), which must succeed:
/// the resulting status and the URLs requested, in order.
fn fetch_official(dir: &Path) -> (SchemaStatus, Vec<String>) {
    let requests = RefCell::new(Vec::new());
    let status = schemas::fetch_into(
        dir,
        &SourceUrls::official(),
        &official_downloader(&requests),
    )
    .expect("fetch succeeds");
    (status, requests.into_inner())
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in fs::read_dir(&current).expect("list") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(
                    path.strip_prefix(dir)
                        .expect("inside")
                        .display()
                        .to_string(),
                );
            }
        }
    }
    found.sort();
    found
}

#[test]
fn pins_match_the_official_sha256sums_file() {
    let sums = fs::read_to_string(shared_ksef().join("SHA256SUMS")).expect("SHA256SUMS");
    for file in SCHEMA_FILES {
        let expected = format!("{}  schemas/{}", file.sha256, file.path);
        assert!(sums.lines().any(|line| line == expected), "{expected}");
    }
}

#[test]
fn the_shared_schema_directory_is_intact() {
    let status = schemas::verify_dir(&shared_schemas());
    assert!(status.is_ok(), "{status:?}");
    assert_eq!(states(&status), vec!["schemas.ok"; 4]);
}

#[test]
fn one_changed_byte_is_a_hash_mismatch() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_fa3_schemas(dir.path());
    let target = dir.path().join(schemas::KODY_KRAJOW.path);
    let mut bytes = fs::read(&target).expect("read");
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    fs::write(&target, &bytes).expect("write");
    let status = schemas::verify_dir(dir.path());
    assert!(!status.is_ok());
    assert_eq!(
        states(&status),
        vec![
            "schemas.ok",
            "schemas.ok",
            "schemas.ok",
            "schemas.hash_mismatch"
        ]
    );
    assert_eq!(
        status.files[3].state,
        FileState::HashMismatch {
            actual: schemas::sha256_hex(&bytes)
        }
    );
}

#[test]
fn a_removed_file_is_missing() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_fa3_schemas(dir.path());
    fs::remove_file(dir.path().join(schemas::FA3_SCHEMA.path)).expect("remove");
    let status = schemas::verify_dir(dir.path());
    assert_eq!(
        states(&status),
        vec!["schemas.missing", "schemas.ok", "schemas.ok", "schemas.ok"]
    );
}

#[test]
fn fetch_into_an_empty_directory_writes_the_verified_set() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (status, requests) = fetch_official(dir.path());
    assert!(status.is_ok(), "{status:?}");
    assert_eq!(requests.len(), 4);
    // The result loads as a schema set, and no temporary file is left behind.
    fa3::SchemaSet::load(dir.path()).expect("fetched set compiles");
    let expected: Vec<String> = {
        let mut paths: Vec<String> = SCHEMA_FILES.iter().map(|f| f.path.to_owned()).collect();
        paths.sort();
        paths
    };
    assert_eq!(files_under(dir.path()), expected);
}

#[test]
fn fetch_into_downloads_only_what_is_not_already_good() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_fa3_schemas(dir.path());
    fs::remove_file(dir.path().join(schemas::ELEMENTARNE_TYPY_DANYCH.path)).expect("remove");
    let (status, requests) = fetch_official(dir.path());
    assert!(status.is_ok());
    assert_eq!(
        requests,
        vec![SourceUrls::official().url_for(&schemas::ELEMENTARNE_TYPY_DANYCH)]
    );
}

#[test]
fn tampered_downloads_are_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let requests = RefCell::new(Vec::new());
    let honest = official_downloader(&requests);
    // The last file is tampered with, so three good files were already downloaded when it fails.
    let tampered_url = SourceUrls::official().url_for(&schemas::KODY_KRAJOW);
    let tampering = |url: &str| {
        let mut bytes = honest(url)?;
        if url == tampered_url {
            bytes.extend_from_slice(b"<!-- evil -->");
        }
        Ok(bytes)
    };
    match schemas::fetch_into(dir.path(), &SourceUrls::official(), &tampering) {
        Err(error @ FetchError::PinMismatch { .. }) => {
            assert_eq!(error.code(), "schemas.pin_mismatch");
            assert!(error.to_string().contains(&tampered_url), "{error}");
        }
        other => panic!("expected PinMismatch, got {other:?}"),
    }
    assert_eq!(
        files_under(dir.path()),
        Vec::<String>::new(),
        "nothing may be written"
    );
}

#[test]
fn a_failing_downloader_is_a_typed_error_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let offline = |url: &str| Err(format!("no route to {url}"));
    match schemas::fetch_into(dir.path(), &SourceUrls::official(), &offline) {
        Err(error @ FetchError::Download { .. }) => {
            assert_eq!(error.code(), "schemas.download_failed")
        }
        other => panic!("expected Download, got {other:?}"),
    }
    assert_eq!(files_under(dir.path()), Vec::<String>::new());
}

#[test]
fn a_mirror_is_asked_under_its_own_urls() {
    let mirror = SourceUrls {
        form_url: "https://mirror.example/fa3.xsd".to_owned(),
        base_types_dir_url: "https://mirror.example/base/".to_owned(),
    };
    assert_eq!(
        mirror.url_for(&schemas::FA3_SCHEMA),
        "https://mirror.example/fa3.xsd"
    );
    assert_eq!(
        mirror.url_for(&schemas::STRUKTURY_DANYCH),
        "https://mirror.example/base/StrukturyDanych_v10-0E.xsd"
    );
}
