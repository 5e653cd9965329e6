//! Official FA(3) XSD validation, fully offline.
//!
//! INTERFACE STUB: the signatures below are the contract `validate` codes against; the
//! implementation (validator backend, offline `schemaLocation` mapping) replaces the bodies.

use std::path::{Path, PathBuf};

/// One violation of the XSD, as reported by the validator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XsdViolation {
    /// 1-based line in the validated document, when the validator knows it.
    pub line: Option<u32>,
    /// 1-based column, when known.
    pub column: Option<u32>,
    /// XPath-like location of the offending element, when known (e.g. `/Faktura/Fa/P_2`).
    pub path: Option<String>,
    /// The validator's own message (English, technical).
    pub message: String,
}

/// Why the schema set could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SchemaLoadError {
    #[error("schema file missing: {0}")]
    Missing(PathBuf),
    #[error("schema could not be compiled: {0}")]
    Compile(String),
}

/// The compiled FA(3) schema with its three base schemas. Cheap to share across threads.
#[derive(Debug)]
pub struct SchemaSet {
    _private: (),
}

impl SchemaSet {
    /// Loads `FA3/schemat_FA(3)_v1-0E.xsd` and `FA3/bazowe/*.xsd` from `dir` (the layout of the
    /// official documentation and of `../shared/ksef/schemas`).
    pub fn load(dir: &Path) -> Result<SchemaSet, SchemaLoadError> {
        Err(SchemaLoadError::Missing(dir.join("FA3/schemat_FA(3)_v1-0E.xsd")))
    }

    /// Validates a document that already passed the XML pre-checks (well-formed, no DOCTYPE).
    /// Returns every violation found; an empty vector means the document is schema-valid.
    pub fn validate(&self, _xml: &[u8]) -> Vec<XsdViolation> {
        Vec::new()
    }
}
