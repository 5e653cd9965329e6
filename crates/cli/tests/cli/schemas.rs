//! `schemas status` and `schemas fetch` (against a local mirror; never the real servers).

use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::process::Output;

use dictionary::{Dictionary, Lang};

use crate::common::{cli, json_lines, mirror_files, schemas, serve, stderr};

fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let Ok(entries) = fs::read_dir(&current) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

/// `schemas status --json` for the folder `dir`.
fn status_json(home: &Path, dir: &Path) -> Output {
    cli(home)
        .args(["schemas", "status", "--json", "--schemas"])
        .arg(dir)
        .output()
        .expect("run")
}

/// `schemas fetch` from the mirror at `base_url` into `dest`.
fn fetch_into(home: &Path, base_url: &str, dest: &Path) -> Output {
    cli(home)
        .args(["schemas", "fetch", "--base-url", base_url, "--dest"])
        .arg(dest)
        .output()
        .expect("run")
}

/// Fetches from a mirror serving `files` into an empty folder; asserts the fetch fails and leaves the
/// folder empty, and returns its stderr.
fn failed_fetch(files: HashMap<String, Vec<u8>>) -> String {
    let home = tempfile::tempdir().expect("home");
    let dest = tempfile::tempdir().expect("dest");
    let output = fetch_into(home.path(), &serve(files), dest.path());
    assert_ne!(output.status.code(), Some(0));
    assert_eq!(files_under(dest.path()), Vec::<String>::new());
    stderr(&output)
}

#[test]
fn status_of_the_official_copy_is_ok() {
    let home = tempfile::tempdir().expect("home");
    let output = status_json(home.path(), &schemas());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let status = &json_lines(&output)[0];
    assert_eq!(status["ok"], true);
    let files = status["files"].as_array().expect("files");
    assert_eq!(files.len(), fa3::schemas::SCHEMA_FILES.len());
    assert!(files.iter().all(|f| f["state"] == "ok"), "{status}");
}

#[test]
fn status_reports_missing_and_tampered_files_and_exits_1() {
    let home = tempfile::tempdir().expect("home");
    let dir = tempfile::tempdir().expect("dir");
    let tampered = fa3::schemas::FA3_SCHEMA.path;
    let target = dir.path().join(tampered);
    fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
    let mut bytes = fs::read(schemas().join(tampered)).expect("read");
    bytes.extend_from_slice(b"\n<!-- changed -->");
    fs::write(&target, &bytes).expect("write");

    let output = status_json(home.path(), dir.path());
    assert_eq!(output.status.code(), Some(1));
    let status = &json_lines(&output)[0];
    assert_eq!(status["ok"], false);
    for file in status["files"].as_array().expect("files") {
        let expected = if file["path"] == tampered {
            "hash_mismatch"
        } else {
            "missing"
        };
        assert_eq!(file["state"], expected, "{file}");
    }
    let mismatch = status["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["path"] == tampered)
        .expect("tampered file listed");
    assert_eq!(mismatch["actual_sha256"], fa3::schemas::sha256_hex(&bytes));
}

#[test]
fn fetch_from_a_mirror_writes_verified_copies() {
    let home = tempfile::tempdir().expect("home");
    let dest = tempfile::tempdir().expect("dest");
    let base_url = serve(mirror_files());
    let output = fetch_into(home.path(), &base_url, dest.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    for file in fa3::schemas::SCHEMA_FILES {
        let written = fs::read(dest.path().join(file.path)).expect("written");
        let official = fs::read(schemas().join(file.path)).expect("official");
        assert!(
            written == official,
            "{} differs from the official copy",
            file.path
        );
    }

    let status = status_json(home.path(), dest.path());
    assert_eq!(status.status.code(), Some(0));
    assert_eq!(json_lines(&status)[0]["ok"], true);
}

#[test]
fn fetch_defaults_to_the_app_data_folder() {
    let home = tempfile::tempdir().expect("home");
    let base_url = serve(mirror_files());
    let output = cli(home.path())
        .args(["schemas", "fetch", "--base-url", &base_url])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let installed = home.path().join("data/ksef-desk/schemas");
    assert_eq!(
        files_under(&installed).len(),
        fa3::schemas::SCHEMA_FILES.len()
    );
}

#[test]
fn a_tampered_download_fails_and_writes_nothing() {
    let mut files = mirror_files();
    let victim = format!("/{}", fa3::schemas::KODY_KRAJOW.path);
    files.get_mut(&victim).expect("served").push(b' ');
    let stderr = failed_fetch(files);
    assert!(stderr.contains("schemas.pin_mismatch"), "{stderr}");
}

#[test]
fn a_missing_file_on_the_mirror_fails_and_writes_nothing() {
    let mut files = mirror_files();
    files.remove(&format!("/{}", fa3::schemas::STRUKTURY_DANYCH.path));
    let stderr = failed_fetch(files);
    assert!(stderr.contains("schemas.download_failed"), "{stderr}");
}

#[test]
fn the_status_table_explains_each_state_in_the_users_language() {
    let home = tempfile::tempdir().expect("home");
    let empty = tempfile::tempdir().expect("dir");
    let output = cli(home.path())
        .env("LANG", "en_US.UTF-8")
        .args(["schemas", "status", "--schemas"])
        .arg(empty.path())
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let missing = Dictionary::builtin()
        .get("schemas.missing", Lang::En)
        .expect("entry");
    let text = crate::common::stdout(&output);
    assert_eq!(
        text.matches(missing.title).count(),
        fa3::schemas::SCHEMA_FILES.len(),
        "{text}"
    );
    assert!(text.contains(missing.action), "{text}");
}
