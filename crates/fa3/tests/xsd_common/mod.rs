//! Helpers shared by the XSD test files: where the official material is, and schema-dir copies.
#![allow(dead_code)] // each test file uses a different subset of these helpers

pub mod mutations;

use std::fs;
use std::path::{Path, PathBuf};

/// `../shared/ksef` relative to the repository root.
pub fn shared_ksef() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/ksef")
}

/// The official schema directory (`FA3/...`, `upo/...`, `auth/...`).
pub fn shared_schemas() -> PathBuf {
    shared_ksef().join("schemas")
}

/// Writes an XML catalog into `work` that maps the FA(3) schema's absolute import of
/// StrukturyDanych to the local official copy, so `xmllint --nonet` validates offline against the
/// very files we load; returns the catalog's path for `XML_CATALOG_FILES`.
pub fn write_xmllint_catalog(work: &Path) -> std::io::Result<PathBuf> {
    let local = shared_schemas()
        .canonicalize()?
        .join(fa3::schemas::STRUKTURY_DANYCH.path);
    let remote = fa3::schemas::STRUKTURY_DANYCH_IMPORT;
    let catalog = work.join("catalog.xml");
    fs::write(
        &catalog,
        format!(
            "<?xml version=\"1.0\"?>\n\
             <catalog xmlns=\"urn:oasis:names:tc:entity:xmlns:xml:catalog\">\n\
             <system systemId=\"{remote}\" uri=\"file://{local}\"/>\n\
             <uri name=\"{remote}\" uri=\"file://{local}\"/>\n\
             </catalog>\n",
            local = local.display()
        ),
    )?;
    Ok(catalog)
}

/// The 26 official valid samples as `(file name, bytes)`, sorted by name.
pub fn valid_samples() -> Vec<(String, Vec<u8>)> {
    let dir = shared_ksef().join("samples/fa3-valid");
    let mut samples: Vec<(String, Vec<u8>)> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "xml"))
        .map(|path| {
            let name = path
                .file_name()
                .expect("file name")
                .to_string_lossy()
                .into_owned();
            let bytes =
                fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            (name, bytes)
        })
        .collect();
    samples.sort();
    samples
}

/// One official sample's text.
pub fn sample_text(name: &str) -> String {
    let path = shared_ksef().join("samples/fa3-valid").join(name);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Copies the four FA(3) schema files into `target` with the official layout.
pub fn copy_fa3_schemas(target: &Path) {
    for file in fa3::schemas::SCHEMA_FILES {
        let to = target.join(file.path);
        fs::create_dir_all(to.parent().expect("parent")).expect("create schema dir");
        fs::copy(shared_schemas().join(file.path), &to).expect("copy schema file");
    }
}
