//! Collects libxml2's structured errors into [`XsdViolation`]s with line, column and element path.

use std::ffi::CStr;
use std::os::raw::{c_char, c_void};
use std::panic::{self, AssertUnwindSafe};

use super::ffi;
use super::XsdViolation;

/// At most this many violations are kept per document: a document with a million bad lines must
/// not produce a million findings (libxml2 keeps validating after the first error).
pub const VIOLATIONS_MAX: usize = 1_000;

/// Element nesting deeper than this is not walked when building a path (the parser's own depth
/// limit is lower; this only bounds the walk should that ever change).
const PATH_DEPTH_MAX: usize = 512;

/// Receives libxml2's errors for one load or one validation.
#[derive(Default)]
pub struct Collector {
    /// Errors (not warnings), in the order libxml2 reported them.
    pub violations: Vec<XsdViolation>,
}

impl Collector {
    /// The pointer libxml2 hands back to [`collect`].
    pub fn as_user_data(&mut self) -> *mut c_void {
        (self as *mut Collector).cast()
    }
}

/// The `xmlStructuredErrorFunc` libxml2 calls for every error; `user_data` is a `Collector`.
pub unsafe extern "C" fn collect(user_data: *mut c_void, error: *mut ffi::XmlError) {
    if user_data.is_null() || error.is_null() {
        return;
    }
    // A panic must not unwind into C; losing one report is the lesser evil.
    let _ = panic::catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `user_data` is the `Collector` registered for this call, borrowed by nobody else
        // while libxml2 runs; `error` points to libxml2's error record, valid during this call.
        let (collector, error) = unsafe { (&mut *user_data.cast::<Collector>(), &*error) };
        if error.level == ffi::XML_ERR_WARNING || collector.violations.len() >= VIOLATIONS_MAX {
            return;
        }
        // SAFETY: as above; the node (when set) belongs to the document being validated.
        collector.violations.push(unsafe { violation_from(error) });
    }));
}

/// Converts one libxml2 error record.
///
/// # Safety
/// `error.message` and `error.node` must be null or valid, as libxml2 guarantees in its callback.
unsafe fn violation_from(error: &ffi::XmlError) -> XsdViolation {
    let message = if error.message.is_null() {
        format!("libxml2 error {} (domain {})", error.code, error.domain)
    } else {
        // SAFETY: libxml2's message is NUL-terminated.
        readable(&unsafe { CStr::from_ptr(error.message) }.to_string_lossy())
    };
    let node = error.node.cast::<ffi::XmlNodeHead>().cast_const();
    // SAFETY: a non-null node is a live node of the document being validated.
    let node_line = if node.is_null() {
        0
    } else {
        unsafe { ffi::xmlGetLineNo(node.cast()) }
    };
    let positive = |value: Option<u32>| value.filter(|v| *v > 0);
    XsdViolation {
        line: positive(u32::try_from(node_line).ok()).or(positive(u32::try_from(error.line).ok())),
        column: positive(u32::try_from(error.int2).ok()),
        // SAFETY: as above.
        path: unsafe { element_path(node) },
        message,
    }
}

/// libxml2 names elements in Clark notation (`{namespace}local`); the namespace of FA(3) documents
/// is always the same, so the braces only make the message harder to read.
fn readable(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message.trim_end();
    while let Some(open) = rest.find('{') {
        match rest[open..].find('}') {
            Some(close) => {
                out.push_str(&rest[..open]);
                rest = &rest[open + close + 1..];
            }
            None => break,
        }
    }
    out.push_str(rest);
    out
}

/// `/Faktura/Fa/FaWiersz[2]/P_12`, or `.../KodFormularza/@kodSystemowy` for an attribute.
///
/// # Safety
/// `node` must be null or a live `xmlNode`/`xmlAttr` whose ancestors are live.
unsafe fn element_path(node: *const ffi::XmlNodeHead) -> Option<String> {
    let mut steps = Vec::new();
    let mut current = node;
    while !current.is_null() && steps.len() < PATH_DEPTH_MAX {
        // SAFETY: guaranteed by the caller for `node` and, through `parent`, its ancestors.
        let head = unsafe { &*current };
        let name = match unsafe { name_of(head) } {
            Some(name) => name,
            None => break,
        };
        match head.node_type {
            ffi::XML_ATTRIBUTE_NODE => steps.push(format!("@{name}")),
            ffi::XML_ELEMENT_NODE => match unsafe { sibling_position(head, &name) } {
                Some(position) => steps.push(format!("{name}[{position}]")),
                None => steps.push(name),
            },
            _ => break,
        }
        current = head.parent;
    }
    if steps.is_empty() {
        return None;
    }
    steps.reverse();
    Some(format!("/{}", steps.join("/")))
}

/// # Safety
/// `head.name` must be null or NUL-terminated.
unsafe fn name_of(head: &ffi::XmlNodeHead) -> Option<String> {
    if head.name.is_null() {
        return None;
    }
    // SAFETY: libxml2 node names are NUL-terminated strings from the document's dictionary.
    Some(
        unsafe { CStr::from_ptr(head.name.cast::<c_char>()) }
            .to_string_lossy()
            .into_owned(),
    )
}

/// The 1-based position among same-named element siblings, or `None` when the name is unique.
///
/// # Safety
/// `head`'s sibling chain must be live.
unsafe fn sibling_position(head: &ffi::XmlNodeHead, name: &str) -> Option<usize> {
    let same = |sibling: *mut ffi::XmlNodeHead| -> bool {
        // SAFETY: siblings of a live node are live.
        let sibling = unsafe { &*sibling };
        sibling.node_type == ffi::XML_ELEMENT_NODE
            && unsafe { name_of(sibling) }.as_deref() == Some(name)
    };
    let mut before = 0;
    let mut cursor = head.prev;
    while !cursor.is_null() {
        if same(cursor) {
            before += 1;
        }
        // SAFETY: as above.
        cursor = unsafe { (*cursor).prev };
    }
    let mut after = false;
    let mut cursor = head.next;
    while !cursor.is_null() && !after {
        after = same(cursor);
        // SAFETY: as above.
        cursor = unsafe { (*cursor).next };
    }
    (before > 0 || after).then_some(before + 1)
}

#[cfg(test)]
mod tests {
    use super::readable;

    #[test]
    fn readable_drops_clark_namespaces_and_trailing_newline() {
        assert_eq!(
            readable("Element '{http://crd.gov.pl/wzor/2025/06/25/13775/}P_2': too long.\n"),
            "Element 'P_2': too long."
        );
        assert_eq!(readable("unbalanced { brace"), "unbalanced { brace");
    }
}
