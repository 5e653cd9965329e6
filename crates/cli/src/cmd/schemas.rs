//! `schemas status` and `schemas fetch`: the official FA(3) schema files, checked against pins.

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use dictionary::{Dictionary, Lang};
use fa3::schemas::{FileState, SchemaStatus, SourceUrls};
use serde::Serialize;

use crate::{lang, schema_dir, Outcome};

/// A schema file is tens of kilobytes; anything this large is not one, so stop reading.
const DOWNLOAD_BYTES_MAX: u64 = 10_000_000;
/// Generous for four small files on a slow line, short enough not to hang a script.
const DOWNLOAD_TIMEOUT_S: u64 = 60;

/// `schemas` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Show whether each schema file is present and matches its official SHA-256.
    Status {
        /// Folder with the schema files (else $KSEF_DESK_SCHEMAS, else the app data folder).
        #[arg(long, value_name = "DIR")]
        schemas: Option<PathBuf>,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Download missing schema files, verify each against its pinned SHA-256, then write them.
    Fetch {
        /// Folder to write into (else $KSEF_DESK_SCHEMAS, else the app data folder).
        #[arg(long, value_name = "DIR")]
        dest: Option<PathBuf>,
        /// A mirror holding the schema folder's layout (`FA3/schemat_FA(3)_v1-0E.xsd`,
        /// `FA3/bazowe/*.xsd`) instead of the official Ministry of Finance servers.
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
    },
}

/// Runs a `schemas` subcommand: `Negative` when a file is not in place or the download failed.
pub fn run(command: Command) -> anyhow::Result<Outcome> {
    let lang = lang::choose(None, |name| std::env::var(name).ok());
    match command {
        Command::Status { schemas, json } => {
            let dir = schema_dir::locate(schemas.as_deref())?;
            let status = fa3::schemas::verify_dir(&dir);
            print_status(&status, json, lang)?;
            Ok(outcome(&status))
        }
        Command::Fetch { dest, base_url } => {
            let dir = schema_dir::locate(dest.as_deref())?;
            let sources = base_url
                .as_deref()
                .map_or_else(SourceUrls::official, mirror);
            let client = reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(DOWNLOAD_TIMEOUT_S))
                .build()
                .context("starting the HTTP client")?;
            let download = |url: &str| download(&client, url);
            match fa3::schemas::fetch_into(&dir, &sources, &download) {
                Ok(status) => {
                    print_status(&status, false, lang)?;
                    Ok(outcome(&status))
                }
                Err(error) => {
                    // fetch_into writes nothing unless every file verified; the entry says so.
                    let entry = Dictionary::builtin().describe(error.code(), lang);
                    eprintln!("ksef-desk-cli: {} ({})", entry.title, error.code());
                    eprintln!("  {}", entry.action);
                    eprintln!("  {error}");
                    Ok(Outcome::Negative)
                }
            }
        }
    }
}

fn outcome(status: &SchemaStatus) -> Outcome {
    if status.is_ok() {
        Outcome::Success
    } else {
        Outcome::Negative
    }
}

/// Source URLs for a mirror laid out like a local schema folder.
fn mirror(base_url: &str) -> SourceUrls {
    let base = base_url.trim_end_matches('/');
    SourceUrls {
        form_url: format!("{base}/{}", fa3::schemas::FA3_SCHEMA.path),
        base_types_dir_url: format!("{base}/FA3/bazowe/"),
    }
}

/// Fetches `url` whole, refusing anything but a 2xx answer of at most [`DOWNLOAD_BYTES_MAX`].
fn download(client: &reqwest::blocking::Client, url: &str) -> Result<Vec<u8>, String> {
    let response = client
        .get(url)
        .send()
        .and_then(reqwest::blocking::Response::error_for_status)
        .map_err(|error| error.without_url().to_string())?;
    let mut bytes = Vec::new();
    response
        .take(DOWNLOAD_BYTES_MAX + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| error.to_string())?;
    if bytes.len() as u64 > DOWNLOAD_BYTES_MAX {
        return Err(format!("larger than {DOWNLOAD_BYTES_MAX} bytes"));
    }
    Ok(bytes)
}

#[derive(Serialize)]
struct StatusJson<'a> {
    dir: String,
    ok: bool,
    files: Vec<FileJson<'a>>,
}

#[derive(Serialize)]
struct FileJson<'a> {
    path: &'static str,
    /// `ok`, `missing`, `hash_mismatch` or `unreadable`.
    state: &'static str,
    code: &'static str,
    expected_sha256: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    actual_sha256: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

fn state_name(state: &FileState) -> &'static str {
    match state {
        FileState::Ok => "ok",
        FileState::Missing => "missing",
        FileState::HashMismatch { .. } => "hash_mismatch",
        FileState::Unreadable { .. } => "unreadable",
    }
}

fn print_status(status: &SchemaStatus, json: bool, lang: Lang) -> anyhow::Result<()> {
    if json {
        let files = status
            .files
            .iter()
            .map(|file| FileJson {
                path: file.file.path,
                state: state_name(&file.state),
                code: file.state.code(),
                expected_sha256: file.file.sha256,
                actual_sha256: match &file.state {
                    FileState::HashMismatch { actual } => Some(actual),
                    _ => None,
                },
                reason: match &file.state {
                    FileState::Unreadable { reason } => Some(reason),
                    _ => None,
                },
            })
            .collect();
        let line = serde_json::to_string(&StatusJson {
            dir: status.dir.display().to_string(),
            ok: status.is_ok(),
            files,
        })?;
        println!("{line}");
    } else {
        let dictionary = Dictionary::builtin();
        println!("{}", status.dir.display());
        for file in &status.files {
            let entry = dictionary.describe(file.state.code(), lang);
            println!(
                "  {:<14} {}: {}",
                state_name(&file.state),
                file.file.path,
                entry.title
            );
        }
        if let Some(problem) = status.files.iter().find(|f| f.state != FileState::Ok) {
            println!("{}", dictionary.describe(problem.state.code(), lang).action);
        }
    }
    Ok(())
}
