//! libxml2's external-entity loader, replaced by an allow-list: the only way anything is read.
//!
//! libxml2 loads every schema document, `xsd:include`/`xsd:import` target, DTD and external entity
//! through one process-wide hook. We install ours once; it serves a file only while the current
//! thread is compiling a schema set (an [`AllowScope`] is alive) and only if the file is one of
//! that set's four files. The FA(3) schema's absolute `http://crd.gov.pl/...` import is answered
//! from the local copy. Everything else (other URLs, other files, anything during validation) is
//! refused and recorded, so nothing is ever fetched from the network or read from outside the
//! schema directory.

use std::cell::RefCell;
use std::ffi::{CStr, CString};
use std::os::raw::c_char;
use std::path::Path;
use std::ptr;
use std::sync::Once;

use super::ffi;

/// The files one schema set may read: `(location as libxml2 asks for it, local file)`.
struct Allowed {
    entries: Vec<(String, CString)>,
    refused: Vec<String>,
}

thread_local! {
    /// Set only while this thread compiles a schema set; `None` means "refuse everything".
    static ALLOWED: RefCell<Option<Allowed>> = const { RefCell::new(None) };
}

/// Initialises libxml2 and installs the allow-list loader, once per process.
pub fn install() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        // SAFETY: xmlInitParser is idempotent and must run before libxml2 is used from several
        // threads; the loader is a plain function valid for the whole process.
        unsafe {
            ffi::xmlInitParser();
            ffi::xmlSetExternalEntityLoader(allow_list_loader);
        }
    });
}

/// While alive, the current thread may read exactly the listed files. Dropping it closes the list.
pub struct AllowScope {
    _not_send: std::marker::PhantomData<*const ()>,
}

impl AllowScope {
    /// Opens the allow-list: `files` are local paths (allowed under their own name), `mapped` are
    /// remote locations answered from a local file.
    pub fn open(files: &[&Path], mapped: &[(&str, &Path)]) -> Result<AllowScope, String> {
        let mut entries = Vec::with_capacity(files.len() + mapped.len());
        for file in files {
            entries.push((normalise(&path_text(file)?), c_path(file)?));
        }
        for (location, file) in mapped {
            entries.push(((*location).to_owned(), c_path(file)?));
        }
        ALLOWED.with(|cell| {
            *cell.borrow_mut() = Some(Allowed {
                entries,
                refused: Vec::new(),
            })
        });
        Ok(AllowScope {
            _not_send: std::marker::PhantomData,
        })
    }

    /// Locations libxml2 asked for and was refused so far.
    pub fn refused(&self) -> Vec<String> {
        ALLOWED.with(|cell| {
            cell.borrow()
                .as_ref()
                .map(|allowed| allowed.refused.clone())
                .unwrap_or_default()
        })
    }
}

impl Drop for AllowScope {
    fn drop(&mut self) {
        ALLOWED.with(|cell| *cell.borrow_mut() = None);
    }
}

fn path_text(path: &Path) -> Result<String, String> {
    path.to_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("schema path is not valid UTF-8: {}", path.display()))
}

fn c_path(path: &Path) -> Result<CString, String> {
    CString::new(path_text(path)?)
        .map_err(|_| format!("schema path contains NUL: {}", path.display()))
}

/// Turns a location into the form the allow-list is keyed on: `file://` URIs and percent-escapes
/// (libxml2 escapes spaces and non-ASCII when it resolves relative includes) become plain paths,
/// and Windows separators become `/` (libxml2 joins relative includes with `/`).
fn normalise(location: &str) -> String {
    let plain = location
        .strip_prefix("file://localhost")
        .or_else(|| location.strip_prefix("file://"))
        .unwrap_or(location);
    percent_decode(plain).replace('\\', "/")
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&hi), Some(&lo)) => hex_value(hi).zip(hex_value(lo)),
            _ => None,
        };
        match escaped {
            Some((hi, lo)) => {
                out.push(hi << 4 | lo);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(digit: u8) -> Option<u8> {
    (digit as char)
        .to_digit(16)
        .and_then(|value| u8::try_from(value).ok())
}

/// Looks `location` up in this thread's allow-list; records it as refused when absent.
fn resolve(location: &str) -> Option<CString> {
    let wanted = normalise(location);
    ALLOWED.with(|cell| {
        let mut guard = cell.try_borrow_mut().ok()?;
        let allowed = guard.as_mut()?;
        let found = allowed
            .entries
            .iter()
            .find(|(key, _)| *key == wanted)
            .map(|(_, file)| file.clone());
        if found.is_none() {
            allowed.refused.push(location.to_owned());
        }
        found
    })
}

/// The loader libxml2 calls for every external resource.
unsafe extern "C" fn allow_list_loader(
    url: *const c_char,
    _id: *const c_char,
    ctxt: *mut ffi::XmlParserCtxt,
) -> *mut ffi::XmlParserInput {
    if url.is_null() {
        return ptr::null_mut();
    }
    // A panic must not unwind into C; treat one as a refusal.
    let file = std::panic::catch_unwind(|| {
        // SAFETY: libxml2 passes a NUL-terminated string that outlives this call.
        let location = unsafe { CStr::from_ptr(url) }.to_string_lossy();
        resolve(&location)
    })
    .ok()
    .flatten();
    match file {
        // SAFETY: `ctxt` is libxml2's own parser context for this load; the path is NUL-terminated
        // and names one of the schema set's files.
        Some(file) => unsafe { ffi::xmlNewInputFromFile(ctxt, file.as_ptr()) },
        None => ptr::null_mut(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRUKTURY_DANYCH_URL: &str = crate::schemas::STRUKTURY_DANYCH_IMPORT;

    #[test]
    fn normalise_strips_file_scheme_and_escapes() {
        assert_eq!(normalise("file:///a/b%20c/d.xsd"), "/a/b c/d.xsd");
        assert_eq!(normalise("file://localhost/a.xsd"), "/a.xsd");
        assert_eq!(normalise("/plain/path(3).xsd"), "/plain/path(3).xsd");
        // A stray or truncated escape is kept literally rather than guessed at.
        assert_eq!(normalise("/a%2"), "/a%2");
        assert_eq!(normalise("/a%zz"), "/a%zz");
        assert_eq!(
            normalise("C:\\Users\\%C5%81ukasz/b.xsd"),
            "C:/Users/Łukasz/b.xsd"
        );
    }

    #[test]
    fn nothing_resolves_without_an_open_scope() {
        assert!(resolve("/etc/passwd").is_none());
        assert!(resolve(STRUKTURY_DANYCH_URL).is_none());
    }

    #[test]
    fn scope_serves_listed_files_and_records_refusals() {
        let file = Path::new("/schemas/FA3/bazowe/StrukturyDanych_v10-0E.xsd");
        let scope =
            AllowScope::open(&[file], &[(STRUKTURY_DANYCH_URL, file)]).expect("utf-8 paths");
        assert_eq!(
            resolve(STRUKTURY_DANYCH_URL).as_deref(),
            Some(c"/schemas/FA3/bazowe/StrukturyDanych_v10-0E.xsd")
        );
        assert!(resolve("file:///schemas/FA3/bazowe/StrukturyDanych_v10-0E.xsd").is_some());
        assert!(resolve("http://example.com/evil.xsd").is_none());
        assert_eq!(
            scope.refused(),
            vec!["http://example.com/evil.xsd".to_owned()]
        );
        drop(scope);
        assert!(resolve(STRUKTURY_DANYCH_URL).is_none());
    }
}
