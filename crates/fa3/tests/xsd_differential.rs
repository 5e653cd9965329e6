//! Differential test: our in-process validator must reach the same valid/invalid verdict as the
//! reference `xmllint --schema` on every official sample and on every schema-targeted mutation.
//!
//! xmllint runs with `--nonet` and an XML catalog that maps the FA(3) schema's absolute import to
//! the local copy, so the reference sees the official files byte for byte. CI installs xmllint
//! (scripts/deps.sh); without it this test fails rather than passing vacuously.

mod xsd_common;

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;

use fa3::xsd::SchemaSet;
use xsd_common::mutations::mutations;
use xsd_common::{sample_text, shared_schemas, valid_samples, write_xmllint_catalog};

/// How many mutations must break the schema according to xmllint (the brief asks for 40+).
const INVALID_MUTATIONS_MIN: usize = 40;

struct Xmllint {
    catalog: PathBuf,
    schema: PathBuf,
}

impl Xmllint {
    fn new(work: &Path) -> Xmllint {
        let schemas = shared_schemas().canonicalize().expect("shared schemas");
        let catalog = write_xmllint_catalog(work).expect("write catalog");
        Xmllint {
            catalog,
            schema: schemas.join(fa3::schemas::FA3_SCHEMA.path),
        }
    }

    /// `Ok(true)` valid, `Ok(false)` invalid (with xmllint's first complaint), or why it could not run.
    fn verdict(&self, document: &Path) -> Result<bool, String> {
        let output = Command::new("xmllint")
            .args(["--noout", "--nonet", "--schema"])
            .arg(&self.schema)
            .arg(document)
            .env("XML_CATALOG_FILES", &self.catalog)
            .output();
        let output = match output {
            Ok(output) => output,
            Err(error) if error.kind() == ErrorKind::NotFound => panic!(
                "xmllint is not installed: this differential test needs it \
                 (Debian/Ubuntu: apt-get install libxml2-utils; scripts/deps.sh does this)"
            ),
            Err(error) => panic!("xmllint could not run: {error}"),
        };
        match output.status.code() {
            Some(0) => Ok(true),
            // 3 = validation error, 1 = not well-formed: both are "invalid" verdicts.
            Some(1) | Some(3) => Ok(false),
            other => Err(format!(
                "xmllint exit {other:?} (schema not loadable?): {}",
                String::from_utf8_lossy(&output.stderr)
            )),
        }
    }
}

#[test]
fn libxml2_backend_agrees_with_xmllint_on_samples_and_mutations() {
    let work = tempfile::tempdir().expect("tempdir");
    let xmllint = Xmllint::new(work.path());
    let schema = SchemaSet::load(&shared_schemas()).expect("schema");

    let mut cases: Vec<(String, Vec<u8>)> = valid_samples()
        .into_iter()
        .map(|(name, bytes)| (format!("sample {name}"), bytes))
        .collect();
    assert_eq!(cases.len(), 26);
    let catalogue = mutations();
    for mutation in &catalogue {
        let text = mutation
            .apply(&sample_text(mutation.sample))
            .unwrap_or_else(|stale| panic!("{stale}"));
        cases.push((
            format!("mutation `{}` of {}", mutation.name, mutation.sample),
            text.into_bytes(),
        ));
    }

    let mut disagreements = Vec::new();
    let mut invalid_mutations = 0;
    for (index, (name, bytes)) in cases.iter().enumerate() {
        let file = work.path().join(format!("case-{index}.xml"));
        fs::write(&file, bytes).expect("write case");
        let reference = xmllint
            .verdict(&file)
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        let ours = schema.validate(bytes);
        if reference == ours.is_empty() {
            if !reference && name.starts_with("mutation") {
                invalid_mutations += 1;
            }
        } else {
            disagreements.push(format!(
                "{name}: xmllint says {}, we say {} {:?}",
                if reference { "valid" } else { "invalid" },
                if ours.is_empty() { "valid" } else { "invalid" },
                ours.first().map(|v| &v.message)
            ));
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} disagreement(s):\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );

    // Agreement alone could hide mutations that break nothing: each non-neutral one must really
    // be invalid for the reference.
    let neutral = catalogue
        .iter()
        .filter(|m| m.name.starts_with("neutral"))
        .count();
    assert_eq!(
        invalid_mutations,
        catalogue.len() - neutral,
        "every non-neutral mutation breaks the schema"
    );
    assert!(
        invalid_mutations >= INVALID_MUTATIONS_MIN,
        "only {invalid_mutations} schema-breaking mutations"
    );
}

#[test]
fn xmllint_with_the_catalog_accepts_the_official_samples() {
    // Guards the guard: a broken catalog would make xmllint reject everything.
    let work = tempfile::tempdir().expect("tempdir");
    let xmllint = Xmllint::new(work.path());
    for (name, bytes) in valid_samples() {
        let file = work.path().join(&name);
        fs::write(&file, bytes).expect("write");
        assert_eq!(xmllint.verdict(&file), Ok(true), "{name}");
    }
}
