//! The `ksef-sim` binary: prints its API base URL first, then serves.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// Kills the child even when an assertion fails.
struct Child(std::process::Child);

impl Child {
    /// Starts the binary with `args`; returns it with the first line it prints (the API base URL),
    /// trimmed.
    fn spawn(args: &[&str]) -> (Child, String) {
        let child = Command::new(env!("CARGO_BIN_EXE_ksef-sim"))
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("binary starts");
        let mut child = Child(child);
        let stdout = child.0.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("first line");
        (child, line.trim().to_owned())
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn binary_prints_the_base_url_first_and_serves_public_keys() {
    let (_child, base) = Child::spawn(&[
        "--addr",
        "127.0.0.1:0",
        "--seed",
        "7",
        "--token",
        "5265877635:secret",
        "--limits",
        "off",
    ]);
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

/// The curl + openssl guide (`docs/ksef-sim-curl.md`) runs as `scripts/sim-curl-demo`: it must keep
/// working against the real binary, or the guide has rotted.
#[test]
fn the_curl_guide_script_sends_an_invoice_and_verifies_its_upo() {
    for tool in ["bash", "curl", "jq", "openssl", "xxd", "base64"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            found,
            "{tool} is required by scripts/sim-curl-demo (scripts/deps.sh installs it)"
        );
    }
    let (_child, base) = Child::spawn(&[
        "--token",
        "5265877635:TESTTOKEN",
        "--limits",
        "off",
        "--processing-ms",
        "0",
    ]);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let sample = root.join("../shared/ksef/samples/fa3-valid/FA_3_Przyklad_1.xml");
    let output = Command::new("bash")
        .arg(root.join("scripts/sim-curl-demo"))
        .args([base.as_str(), "5265877635", "TESTTOKEN"])
        .arg(&sample)
        .output()
        .expect("script runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "script failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The sample's seller NIP opens its KSeF number; the UPO hash was checked by the script itself.
    assert!(stdout.contains("KSeF number: 9999999999-"), "{stdout}");
    assert!(stdout.contains("UPO verified:"), "{stdout}");
    assert!(stdout.contains("closed"), "{stdout}");

    // Every step of the guide is the script's text verbatim, so testing the script tests the guide.
    let guide = std::fs::read_to_string(root.join("docs/ksef-sim-curl.md")).expect("guide");
    let script = std::fs::read_to_string(root.join("scripts/sim-curl-demo")).expect("script");
    let steps = guide
        .split_once("## 1.")
        .and_then(|(_, rest)| rest.split_once("## Other"))
        .map(|(steps, _)| steps)
        .expect("numbered steps");
    let blocks: Vec<&str> = steps
        .split("```sh\n")
        .skip(1)
        .filter_map(|b| b.split_once("```").map(|(code, _)| code))
        .collect();
    assert_eq!(blocks.len(), 10, "one command block per step");
    for block in blocks {
        assert!(
            script.contains(block),
            "guide step not in the script:\n{block}"
        );
    }
}
