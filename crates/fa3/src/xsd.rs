//! Official FA(3) XSD validation, fully offline, backed by libxml2.
//!
//! libxml2 was chosen over the pure-Rust `uppsala` by a differential test against `xmllint`
//! (docs/decisions/xsd-validator.md). The compiled schema is loaded once and shared by all
//! threads; each validation gets its own libxml2 validation context.
//!
//! Offline by construction: libxml2 reads every resource through our allow-list loader
//! (`xsd/loader.rs`), which serves only the four files of the schema set (the FA(3) schema's absolute
//! `http://` import is answered from the local copy) and only while a schema set is being
//! compiled; during validation it refuses everything. Documents are never given entity
//! substitution or DTD loading: one that mentions `<!DOCTYPE` is parsed into a tree with
//! `XML_PARSE_NONET` and refused if it really carries one; all others are streamed.

mod ffi;
mod loader;
mod report;

use std::ffi::CString;
use std::os::raw::{c_char, c_int, c_void};
use std::path::{Path, PathBuf};
use std::ptr::{self, NonNull};

use crate::schemas::{self, SchemaFile};

pub use report::VIOLATIONS_MAX;

/// Documents above this are refused unparsed. Defence in depth: the rule layer refuses oversized
/// input long before (KSeF's largest invoice is 3 MB); this only guards direct callers.
pub const DOCUMENT_BYTES_MAX: usize = 4_000_000;

/// libxml2 parser options for documents: no network, no entity substitution (`XML_PARSE_NOENT` is
/// absent), no external DTD (`XML_PARSE_DTDLOAD` is absent), errors only through our handler.
const DOCUMENT_PARSE_OPTIONS: c_int = ffi::XML_PARSE_NONET
    | ffi::XML_PARSE_NOERROR
    | ffi::XML_PARSE_NOWARNING
    | ffi::XML_PARSE_BIG_LINES;

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

impl XsdViolation {
    fn general(message: impl Into<String>) -> XsdViolation {
        XsdViolation {
            line: None,
            column: None,
            path: None,
            message: message.into(),
        }
    }
}

/// Why the schema set could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SchemaLoadError {
    /// A file of the schema set is not in the directory.
    #[error("schema file missing: {0}")]
    Missing(PathBuf),
    /// libxml2 could not compile the set (a damaged or foreign file); its messages, joined.
    #[error("schema could not be compiled: {0}")]
    Compile(String),
    /// The schema referred to a resource outside the schema set (another URL or file); it was
    /// refused, not fetched.
    #[error("schema refers to a resource outside the offline schema set (refused): {0}")]
    Refused(String),
}

impl SchemaLoadError {
    /// Stable code for UIs and the CLI's JSON.
    pub fn code(&self) -> &'static str {
        match self {
            SchemaLoadError::Missing(_) => "xsd.schema_missing",
            SchemaLoadError::Compile(_) => "xsd.schema_compile",
            SchemaLoadError::Refused(_) => "xsd.schema_refused",
        }
    }
}

/// The compiled FA(3) schema with its three base schemas. Cheap to share across threads.
#[derive(Debug)]
pub struct SchemaSet {
    schema: NonNull<ffi::XmlSchema>,
}

// SAFETY: the `xmlSchema` is owned by this value alone and never mutated after `xmlSchemaParse`
// returns: libxml2 documents a parsed schema as read-only and shareable, with all per-validation
// state in an `xmlSchemaValidCtxt`, of which `validate` creates one per call on the calling
// thread. libxml2's global state is initialised once (`xmlInitParser` in `loader::install`) before
// any schema exists, and its error handlers are thread-local in threaded builds.
unsafe impl Send for SchemaSet {}
// SAFETY: see `Send`; `&SchemaSet` only reads the schema.
unsafe impl Sync for SchemaSet {}

impl Drop for SchemaSet {
    fn drop(&mut self) {
        // SAFETY: we own the schema; no validation context outlives a `validate` call.
        unsafe { ffi::xmlSchemaFree(self.schema.as_ptr()) }
    }
}

/// Restores "no structured error handler" on this thread when dropped.
struct ThreadErrorHandler;

impl ThreadErrorHandler {
    /// Routes this thread's libxml2 errors (parser errors included) to `collector`.
    fn route_to(collector: &mut report::Collector) -> ThreadErrorHandler {
        // SAFETY: the handler is thread-local in libxml2; the collector outlives the guard because
        // the guard is dropped before the collector in every caller.
        unsafe { ffi::xmlSetStructuredErrorFunc(collector.as_user_data(), Some(report::collect)) };
        ThreadErrorHandler
    }
}

impl Drop for ThreadErrorHandler {
    fn drop(&mut self) {
        // SAFETY: resetting the thread-local handler is always allowed.
        unsafe { ffi::xmlSetStructuredErrorFunc(ptr::null_mut(), None) }
    }
}

impl SchemaSet {
    /// Loads `FA3/schemat_FA(3)_v1-0E.xsd` and `FA3/bazowe/*.xsd` from `dir` (the layout of the
    /// official documentation and of `../shared/ksef/schemas`). Reads nothing else: see the module
    /// documentation. Check the files against their pins first with [`schemas::verify_dir`].
    pub fn load(dir: &Path) -> Result<SchemaSet, SchemaLoadError> {
        let files = schemas::SCHEMA_FILES
            .iter()
            .map(|file| local_file(dir, file))
            .collect::<Result<Vec<_>, _>>()?;
        let structures = local_file(dir, &schemas::STRUKTURY_DANYCH)?;
        let main = CString::new(path_text(&local_file(dir, &schemas::FA3_SCHEMA)?)?)
            .map_err(|_| SchemaLoadError::Compile("schema path contains NUL".to_owned()))?;

        loader::install();
        let file_refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
        let scope = loader::AllowScope::open(
            &file_refs,
            &[(schemas::STRUKTURY_DANYCH_IMPORT, structures.as_path())],
        )
        .map_err(SchemaLoadError::Compile)?;
        let mut collector = report::Collector::default();
        let schema = {
            let _handler = ThreadErrorHandler::route_to(&mut collector);
            // SAFETY: `main` is NUL-terminated; the parser context is freed before leaving the
            // block; the collector outlives both (see `ThreadErrorHandler`).
            unsafe { compile(main.as_ptr(), collector.as_user_data()) }
        };
        let refused = scope.refused();
        drop(scope);

        let schema = NonNull::new(schema);
        if let Some(location) = refused.into_iter().next() {
            if let Some(schema) = schema {
                // SAFETY: compiled just above and owned by nobody else.
                unsafe { ffi::xmlSchemaFree(schema.as_ptr()) };
            }
            return Err(SchemaLoadError::Refused(location));
        }
        schema.map(|schema| SchemaSet { schema }).ok_or_else(|| {
            let messages: Vec<String> = collector
                .violations
                .into_iter()
                .map(|v| v.message)
                .collect();
            SchemaLoadError::Compile(if messages.is_empty() {
                "libxml2 gave no reason".to_owned()
            } else {
                messages.join("; ")
            })
        })
    }

    /// Validates a document that already passed the XML pre-checks (well-formed, no DOCTYPE).
    /// Returns every violation found (at most [`VIOLATIONS_MAX`]); an empty vector means the
    /// document is schema-valid. Never touches the network or the file system.
    ///
    /// Valid documents, the common case, are checked by streaming (libxml2's SAX plug: no tree
    /// is built). Only a document that fails, or that might carry a DOCTYPE, is parsed into a
    /// tree, which gives each violation its element path and lets a DOCTYPE be refused.
    pub fn validate(&self, xml: &[u8]) -> Vec<XsdViolation> {
        if xml.len() > DOCUMENT_BYTES_MAX {
            return vec![XsdViolation::general(format!(
                "document of {} bytes exceeds the validator's limit of {DOCUMENT_BYTES_MAX} bytes",
                xml.len()
            ))];
        }
        let Ok(length) = c_int::try_from(xml.len()) else {
            return vec![XsdViolation::general(
                "document too large for the validator",
            )];
        };
        // Any "<!DOCTYPE" (even inside a comment) sends the document down the tree path, which
        // refuses a real one; the streaming parser is never shown a DTD.
        if memchr::memmem::find(xml, b"<!DOCTYPE").is_none() {
            let mut collector = report::Collector::default();
            let verdict = {
                let _handler = ThreadErrorHandler::route_to(&mut collector);
                // SAFETY: `xml` outlives the call; the collector outlives the handler guard.
                unsafe {
                    self.validate_stream(xml.as_ptr().cast(), length, collector.as_user_data())
                }
            };
            if matches!(verdict, Verdict::Checked) && collector.violations.is_empty() {
                return Vec::new();
            }
        }
        let mut collector = report::Collector::default();
        let verdict = {
            let _handler = ThreadErrorHandler::route_to(&mut collector);
            // SAFETY: as above.
            unsafe { self.validate_tree(xml.as_ptr().cast(), length, collector.as_user_data()) }
        };
        match verdict {
            Verdict::Checked if collector.violations.is_empty() => Vec::new(),
            Verdict::Checked | Verdict::Invalid => {
                if collector.violations.is_empty() {
                    collector
                        .violations
                        .push(XsdViolation::general("document is not valid"));
                }
                collector.violations
            }
            Verdict::Doctype => vec![XsdViolation::general(
                "a DOCTYPE is not allowed; entities are never expanded or resolved",
            )],
            Verdict::OutOfMemory => vec![XsdViolation::general("validator ran out of memory")],
        }
    }

    /// Validates while parsing, without building a tree. Violations carry lines but no paths.
    ///
    /// # Safety
    /// `xml` must point to `length` readable bytes; `user_data` must be a live `Collector`.
    unsafe fn validate_stream(
        &self,
        xml: *const c_char,
        length: c_int,
        user_data: *mut c_void,
    ) -> Verdict {
        // SAFETY: guaranteed by the caller. The buffer copies the bytes and is owned (and freed)
        // by `xmlSchemaValidateStream`'s parser from here on.
        unsafe {
            let input =
                ffi::xmlParserInputBufferCreateMem(xml, length, ffi::XML_CHAR_ENCODING_NONE);
            if input.is_null() {
                return Verdict::OutOfMemory;
            }
            let context = ffi::xmlSchemaNewValidCtxt(self.schema.as_ptr());
            if context.is_null() {
                ffi::xmlFreeParserInputBuffer(input);
                return Verdict::OutOfMemory;
            }
            ffi::xmlSchemaSetValidStructuredErrors(context, Some(report::collect), user_data);
            // No SAX handler of ours: libxml2 plugs in only its validator, so no tree is built.
            let code = ffi::xmlSchemaValidateStream(
                context,
                input,
                ffi::XML_CHAR_ENCODING_NONE,
                ptr::null_mut(),
                ptr::null_mut(),
            );
            ffi::xmlSchemaFreeValidCtxt(context);
            if code == 0 {
                Verdict::Checked
            } else {
                Verdict::Invalid
            }
        }
    }

    /// Parses into a tree, refuses a DOCTYPE, then validates the tree (violations get paths).
    ///
    /// # Safety
    /// `xml` must point to `length` readable bytes; `user_data` must be a live `Collector`.
    unsafe fn validate_tree(
        &self,
        xml: *const c_char,
        length: c_int,
        user_data: *mut c_void,
    ) -> Verdict {
        // SAFETY: guaranteed by the caller; NULL URL and encoding are allowed by libxml2.
        let doc = unsafe {
            ffi::xmlReadMemory(
                xml,
                length,
                ptr::null(),
                ptr::null(),
                DOCUMENT_PARSE_OPTIONS,
            )
        };
        if doc.is_null() {
            return Verdict::Invalid;
        }
        // SAFETY: `doc` is a live document owned here; freed on every path below.
        let verdict = unsafe {
            if !ffi::xmlGetIntSubset(doc).is_null() {
                Verdict::Doctype
            } else {
                let context = ffi::xmlSchemaNewValidCtxt(self.schema.as_ptr());
                if context.is_null() {
                    Verdict::OutOfMemory
                } else {
                    ffi::xmlSchemaSetValidStructuredErrors(
                        context,
                        Some(report::collect),
                        user_data,
                    );
                    let code = ffi::xmlSchemaValidateDoc(context, doc);
                    ffi::xmlSchemaFreeValidCtxt(context);
                    if code == 0 {
                        Verdict::Checked
                    } else {
                        Verdict::Invalid
                    }
                }
            }
        };
        // SAFETY: owned here and no longer referenced.
        unsafe { ffi::xmlFreeDoc(doc) };
        verdict
    }
}

/// What happened to one document before its violations are read.
enum Verdict {
    /// Validated; libxml2 said valid (the collector may still disagree, then it is invalid).
    Checked,
    /// Not well-formed or not schema-valid.
    Invalid,
    /// Carries a DOCTYPE: refused before validation.
    Doctype,
    /// libxml2 could not allocate its context.
    OutOfMemory,
}

/// Compiles the schema at `main` with libxml2; null when it could not.
///
/// # Safety
/// `main` must be NUL-terminated; `user_data` must be a live `Collector`.
unsafe fn compile(main: *const c_char, user_data: *mut c_void) -> *mut ffi::XmlSchema {
    // SAFETY: guaranteed by the caller.
    unsafe {
        let parser = ffi::xmlSchemaNewParserCtxt(main);
        if parser.is_null() {
            return ptr::null_mut();
        }
        ffi::xmlSchemaSetParserStructuredErrors(parser, Some(report::collect), user_data);
        let schema = ffi::xmlSchemaParse(parser);
        ffi::xmlSchemaFreeParserCtxt(parser);
        schema
    }
}

/// The absolute local path of one schema file, or `Missing`.
fn local_file(dir: &Path, file: &SchemaFile) -> Result<PathBuf, SchemaLoadError> {
    let path = dir.join(file.path);
    // Absolute and free of `..`, so it matches the locations libxml2 derives for includes.
    path.canonicalize()
        .map_err(|_| SchemaLoadError::Missing(path))
}

fn path_text(path: &Path) -> Result<&str, SchemaLoadError> {
    path.to_str().ok_or_else(|| {
        SchemaLoadError::Compile(format!("schema path is not UTF-8: {}", path.display()))
    })
}

/// The integration tests' mutation catalogue, reused to compare the two private paths.
#[cfg(test)]
#[path = "../tests/xsd_common/mutations.rs"]
mod mutations;

#[cfg(test)]
mod tests {
    use super::*;

    use super::mutations;

    fn shared(relative: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/ksef")
            .join(relative)
    }

    /// Runs one of the two private paths and reports its verdict as "valid?".
    fn verdict(schema: &SchemaSet, xml: &[u8], streaming: bool) -> bool {
        let length = c_int::try_from(xml.len()).expect("small document");
        let mut collector = report::Collector::default();
        let verdict = {
            let _handler = ThreadErrorHandler::route_to(&mut collector);
            // SAFETY: `xml` outlives the call; the collector outlives the handler guard.
            unsafe {
                if streaming {
                    schema.validate_stream(xml.as_ptr().cast(), length, collector.as_user_data())
                } else {
                    schema.validate_tree(xml.as_ptr().cast(), length, collector.as_user_data())
                }
            }
        };
        matches!(verdict, Verdict::Checked) && collector.violations.is_empty()
    }

    #[test]
    fn streaming_and_tree_paths_reach_the_same_verdict() {
        // `validate` trusts the streaming path's "valid"; it must never differ from the tree's.
        let schema = SchemaSet::load(&shared("schemas")).expect("schema");
        let mut checked = 0;
        let mut invalid = 0;
        for mutation in mutations::mutations() {
            let original =
                std::fs::read_to_string(shared("samples/fa3-valid").join(mutation.sample))
                    .expect("sample");
            for document in [
                original.clone(),
                mutation.apply(&original).expect("mutation applies"),
            ] {
                let tree = verdict(&schema, document.as_bytes(), false);
                assert_eq!(
                    verdict(&schema, document.as_bytes(), true),
                    tree,
                    "{}",
                    mutation.name
                );
                checked += 1;
                invalid += usize::from(!tree);
            }
        }
        assert!(
            invalid >= 40,
            "the comparison covered only {invalid} invalid documents of {checked}"
        );
    }
}
