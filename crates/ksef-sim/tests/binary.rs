//! The `ksef-sim` binary: prints its API base URL first, then serves.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// Kills the child even when an assertion fails.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn binary_prints_the_base_url_first_and_serves_public_keys() {
    let child = Command::new(env!("CARGO_BIN_EXE_ksef-sim"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--seed",
            "7",
            "--token",
            "5265877635:secret",
            "--limits",
            "off",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let mut child = Child(child);
    let stdout = child.0.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("first line");
    let base = line.trim();
    assert!(
        base.starts_with("http://127.0.0.1:") && base.ends_with("/v2"),
        "{base}"
    );
    let keys: serde_json::Value = reqwest::get(format!("{base}/security/public-key-certificates"))
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(keys.as_array().map(Vec::len), Some(2));
    // The /api/v2 alias serves the same thing.
    let alias = base.replace("/v2", "/api/v2");
    let status = reqwest::get(format!("{alias}/security/public-key-certificates"))
        .await
        .expect("alias")
        .status();
    assert_eq!(status, 200);
}

#[test]
fn binary_refuses_a_probability_outside_zero_to_one() {
    let output = Command::new(env!("CARGO_BIN_EXE_ksef-sim"))
        .args(["--fault-5xx", "1.5"])
        .output()
        .expect("binary runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--fault-5xx"));
}
