//! `validate`: exit codes, one JSON line per file, XSD on/off, Polish and English reports.

use std::fs;
use std::path::Path;

use dictionary::{Dictionary, Lang};
use fa3::FindingCode;

use crate::common::{cli, json_lines, samples, schemas, stderr, stdout, xml_files};

/// A temp folder with one valid sample and `broken.xml`, the same sample made invalid by `mutate`.
fn folder_with_broken_copy(mutate: impl Fn(Vec<u8>) -> Vec<u8>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let original = fs::read(samples().join("FA_3_Przyklad_1.xml")).expect("read sample");
    fs::write(dir.path().join("a_valid.xml"), &original).expect("write valid copy");
    fs::write(dir.path().join("broken.xml"), mutate(original)).expect("write broken copy");
    dir
}

fn with_bom(bytes: Vec<u8>) -> Vec<u8> {
    [b"\xEF\xBB\xBF".as_slice(), &bytes].concat()
}

/// Inserts an element the FA(3) schema does not know: only the XSD can catch it.
fn with_unknown_element(bytes: Vec<u8>) -> Vec<u8> {
    let text = String::from_utf8(bytes).expect("sample is UTF-8");
    assert!(text.contains("</KodWaluty>"), "sample has KodWaluty");
    text.replacen("</KodWaluty>", "</KodWaluty><Nieznany>1</Nieznany>", 1)
        .into_bytes()
}

fn codes(line: &serde_json::Value) -> Vec<&str> {
    line["errors"]
        .as_array()
        .expect("errors array")
        .iter()
        .map(|e| e["code"].as_str().expect("code"))
        .collect()
}

fn file_name(line: &serde_json::Value) -> &str {
    let file = line["file"].as_str().expect("file");
    Path::new(file)
        .file_name()
        .and_then(|n| n.to_str())
        .expect("name")
}

#[test]
fn the_official_samples_are_valid_one_json_line_per_file_in_sorted_order() {
    let home = tempfile::tempdir().expect("home");
    let output = cli(home.path())
        .args(["validate", "--json", "--schemas"])
        .arg(schemas())
        .arg(samples())
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

    let lines = json_lines(&output);
    let expected: Vec<String> = xml_files(&samples())
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let files: Vec<String> = lines
        .iter()
        .map(|l| l["file"].as_str().expect("file").to_owned())
        .collect();
    assert_eq!(files.len(), 26);
    assert_eq!(files, expected);
    for line in &lines {
        assert_eq!(line["valid"], true, "{line}");
        assert_eq!(line["xsd"], "validated", "{line}");
        let sha = line["sha256"].as_str().expect("sha256");
        let bytes = fs::read(line["file"].as_str().expect("file")).expect("read");
        assert_eq!(sha, fa3::schemas::sha256_hex(&bytes));
    }
}

#[test]
fn an_invalid_file_exits_1_and_reports_its_code() {
    let home = tempfile::tempdir().expect("home");
    let dir = folder_with_broken_copy(with_bom);
    let output = cli(home.path())
        .args(["validate", "--json"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));

    let lines = json_lines(&output);
    assert_eq!(lines.len(), 2);
    assert_eq!(file_name(&lines[0]), "a_valid.xml");
    assert_eq!(lines[0]["valid"], true);
    assert_eq!(file_name(&lines[1]), "broken.xml");
    assert_eq!(lines[1]["valid"], false);
    let bom = lines[1]["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .find(|e| e["code"] == FindingCode::XmlBom.as_str())
        .unwrap_or_else(|| panic!("no xml.bom in {}", lines[1]));
    assert_eq!(bom["severity"], "error");
    assert_eq!(bom["rule"], "ksef");
    let title = Dictionary::builtin()
        .get("xml.bom", Lang::Pl)
        .expect("entry")
        .title;
    assert_eq!(bom["title"], title, "title in the default language, Polish");
}

#[test]
fn with_schemas_the_xsd_runs_and_catches_what_only_it_can() {
    let home = tempfile::tempdir().expect("home");
    let dir = folder_with_broken_copy(with_unknown_element);
    let run = |with_schemas: bool| {
        let mut command = cli(home.path());
        command.args(["validate", "--json"]);
        if with_schemas {
            command.arg("--schemas").arg(schemas());
        }
        command
            .arg(dir.path().join("broken.xml"))
            .output()
            .expect("run")
    };

    let validated = run(true);
    assert_eq!(validated.status.code(), Some(1), "{}", stderr(&validated));
    let line = &json_lines(&validated)[0];
    assert_eq!(line["xsd"], "validated");
    assert!(
        codes(line).contains(&FindingCode::SchemaInvalid.as_str()),
        "{line}"
    );
    assert!(
        !codes(line).contains(&FindingCode::SchemaSkipped.as_str()),
        "{line}"
    );

    let skipped = run(false);
    assert_eq!(
        skipped.status.code(),
        Some(0),
        "only the XSD sees this defect"
    );
    let line = &json_lines(&skipped)[0];
    assert_eq!(line["xsd"], "skipped");
    let skip = line["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .find(|e| e["code"] == FindingCode::SchemaSkipped.as_str())
        .unwrap_or_else(|| panic!("no schema.skipped in {line}"));
    assert_eq!(skip["severity"], "warning");
    assert!(stderr(&skipped).contains("XSD validation skipped"));
}

#[test]
fn the_schema_folder_can_come_from_the_environment() {
    let home = tempfile::tempdir().expect("home");
    let output = cli(home.path())
        .env(fa3::schemas::SCHEMAS_ENV, schemas())
        .args(["validate", "--json"])
        .arg(samples().join("FA_3_Przyklad_2.xml"))
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(json_lines(&output)[0]["xsd"], "validated");
}

#[test]
fn usage_errors_exit_2() {
    let home = tempfile::tempdir().expect("home");
    let sample = samples().join("FA_3_Przyklad_1.xml");
    let sample = sample.to_str().expect("utf-8 path");
    let cases: [&[&str]; 6] = [
        &["validate"],
        &["validate", "--no-such-flag", sample],
        &["validate", "--env", "staging", sample],
        &["validate", "--lang", "de", sample],
        &["validate", "/no/such/invoice.xml"],
        &["validate", "--schemas", "/no/such/folder", sample],
    ];
    for args in cases {
        let output = cli(home.path()).args(args).output().expect("run");
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(stdout(&output).is_empty(), "{args:?}");
    }
    let missing = cli(home.path())
        .args(["validate", "/no/such/invoice.xml"])
        .output()
        .expect("run");
    assert!(
        stderr(&missing).contains("/no/such/invoice.xml"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn the_text_report_speaks_polish_or_english_from_the_dictionary() {
    let home = tempfile::tempdir().expect("home");
    let dir = folder_with_broken_copy(with_bom);
    let broken = dir.path().join("broken.xml");
    let dictionary = Dictionary::builtin();
    for (flag, lang, summary) in [
        ("pl", Lang::Pl, "Podsumowanie:"),
        ("en", Lang::En, "Summary:"),
    ] {
        let output = cli(home.path())
            .args(["validate", "--lang", flag])
            .arg(&broken)
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(1));
        let text = stdout(&output);
        let entry = dictionary.get("xml.bom", lang).expect("entry");
        assert!(text.contains(entry.title), "{flag}: {text}");
        assert!(text.contains(entry.action), "{flag}: {text}");
        assert!(
            text.lines().last().is_some_and(|l| l.starts_with(summary)),
            "{flag}: {text}"
        );
    }
}

#[test]
fn the_report_language_follows_the_locale_and_defaults_to_polish() {
    let home = tempfile::tempdir().expect("home");
    let sample = samples().join("FA_3_Przyklad_3.xml");
    for (locale, summary) in [
        (Some("en_GB.UTF-8"), "Summary:"),
        (Some("pl_PL.UTF-8"), "Podsumowanie:"),
        (Some("C.UTF-8"), "Podsumowanie:"),
        (None, "Podsumowanie:"),
    ] {
        let mut command = cli(home.path());
        if let Some(locale) = locale {
            command.env("LANG", locale);
        }
        let output = command.arg("validate").arg(&sample).output().expect("run");
        assert_eq!(output.status.code(), Some(0));
        assert!(
            stdout(&output).contains(summary),
            "{locale:?}: {}",
            stdout(&output)
        );
    }
}
