//! Helpers for running the built binary hermetically: a clean environment (no schema folder,
//! no locale, no proxies unless a test sets them) and paths into the shared KSeF material.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::thread;

/// `/work/shared/ksef`, found relative to this crate.
pub fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/ksef")
}

pub fn samples() -> PathBuf {
    shared().join("samples/fa3-valid")
}

pub fn schemas() -> PathBuf {
    shared().join("schemas")
}

/// The binary with an empty environment except `HOME`/`XDG_DATA_HOME` pointing at `home`, so
/// no schema folder or locale of the machine leaks into a test.
pub fn cli(home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ksef-desk-cli"));
    command
        .env_clear()
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"));
    command
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// Every JSON line of stdout, parsed.
pub fn json_lines(output: &Output) -> Vec<serde_json::Value> {
    stdout(output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

/// The sorted `*.xml` files directly in `dir`.
pub fn xml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("list dir")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    files
}

/// A tiny HTTP/1.1 server on 127.0.0.1 serving `files` (URL path → body), 404 otherwise.
/// Returns its base URL. The thread lives until the test process ends.
pub fn serve(files: HashMap<String, Vec<u8>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            // Drain the headers; the requests we serve have no body.
            let mut header = String::new();
            while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                header.clear();
            }
            let path = request_line.split(' ').nth(1).unwrap_or("/");
            let path = path.replace("%28", "(").replace("%29", ")");
            let (status, body) = match files.get(&path) {
                Some(body) => ("200 OK", body.clone()),
                None => ("404 Not Found", b"not found".to_vec()),
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    format!("http://{address}")
}

/// The official schema files under their schema-folder paths, as a mirror serves them.
pub fn mirror_files() -> HashMap<String, Vec<u8>> {
    fa3::schemas::SCHEMA_FILES
        .iter()
        .map(|file| {
            let bytes = std::fs::read(schemas().join(file.path)).expect("read shared schema");
            (format!("/{}", file.path), bytes)
        })
        .collect()
}
