//! The small slice of libxml2's C API the XSD backend uses, declared by hand.
//!
//! Hand-written rather than generated (bindgen) so the crate needs no libclang at build time. Every
//! declaration matches libxml2 2.9–2.14's public headers; the two structs whose fields we read
//! (`xmlError`, the common head of `xmlNode`/`xmlAttr`) have had the same layout since 2.0.

use std::os::raw::{c_char, c_int, c_long, c_void};

/// Opaque `xmlSchema`: a compiled schema, read-only once parsed.
#[repr(C)]
pub struct XmlSchema {
    _opaque: [u8; 0],
}

/// Opaque `xmlSchemaParserCtxt`.
#[repr(C)]
pub struct XmlSchemaParserCtxt {
    _opaque: [u8; 0],
}

/// Opaque `xmlSchemaValidCtxt`: per-validation state, never shared between threads.
#[repr(C)]
pub struct XmlSchemaValidCtxt {
    _opaque: [u8; 0],
}

/// Opaque `xmlDoc`.
#[repr(C)]
pub struct XmlDoc {
    _opaque: [u8; 0],
}

/// Opaque `xmlParserCtxt`.
#[repr(C)]
pub struct XmlParserCtxt {
    _opaque: [u8; 0],
}

/// Opaque `xmlParserInputBuffer`.
#[repr(C)]
pub struct XmlParserInputBuffer {
    _opaque: [u8; 0],
}

/// Opaque `xmlSAXHandler` (we only ever pass null).
#[repr(C)]
pub struct XmlSaxHandler {
    _opaque: [u8; 0],
}

/// Opaque `xmlParserInput`.
#[repr(C)]
pub struct XmlParserInput {
    _opaque: [u8; 0],
}

/// `xmlError` (include/libxml/xmlerror.h).
#[repr(C)]
pub struct XmlError {
    pub domain: c_int,
    pub code: c_int,
    pub message: *mut c_char,
    pub level: c_int,
    pub file: *mut c_char,
    pub line: c_int,
    pub str1: *mut c_char,
    pub str2: *mut c_char,
    pub str3: *mut c_char,
    /// Column for parser errors.
    pub int1: c_int,
    pub int2: c_int,
    pub ctxt: *mut c_void,
    /// The `xmlNode` (or `xmlAttr`) the error is about, when known.
    pub node: *mut c_void,
}

/// The fields `xmlNode` and `xmlAttr` share at their start (include/libxml/tree.h).
#[repr(C)]
pub struct XmlNodeHead {
    pub private: *mut c_void,
    pub node_type: c_int,
    pub name: *const c_char,
    pub children: *mut XmlNodeHead,
    pub last: *mut XmlNodeHead,
    pub parent: *mut XmlNodeHead,
    pub next: *mut XmlNodeHead,
    pub prev: *mut XmlNodeHead,
}

/// `XML_ELEMENT_NODE`.
pub const XML_ELEMENT_NODE: c_int = 1;
/// `XML_ATTRIBUTE_NODE`.
pub const XML_ATTRIBUTE_NODE: c_int = 2;

/// `XML_ERR_WARNING`: reported by libxml2 but not a validity failure.
pub const XML_ERR_WARNING: c_int = 1;

/// `XML_PARSE_NOERROR`: no error reports on stderr (ours go through the structured handler).
pub const XML_PARSE_NOERROR: c_int = 1 << 5;
/// `XML_PARSE_NOWARNING`.
pub const XML_PARSE_NOWARNING: c_int = 1 << 6;
/// `XML_PARSE_NONET`: forbid network access while parsing.
pub const XML_PARSE_NONET: c_int = 1 << 11;
/// `XML_PARSE_BIG_LINES`: report line numbers above 65535 correctly.
pub const XML_PARSE_BIG_LINES: c_int = 1 << 22;

/// `XML_CHAR_ENCODING_NONE`: detect the encoding from the bytes.
pub const XML_CHAR_ENCODING_NONE: c_int = 0;

/// `xmlStructuredErrorFunc`.
pub type XmlStructuredErrorFunc =
    unsafe extern "C" fn(user_data: *mut c_void, error: *mut XmlError);

/// `xmlExternalEntityLoader`.
pub type XmlExternalEntityLoader = unsafe extern "C" fn(
    url: *const c_char,
    id: *const c_char,
    ctxt: *mut XmlParserCtxt,
) -> *mut XmlParserInput;

// Linked by build.rs (pkg-config `libxml-2.0`, falling back to `-lxml2`).
extern "C" {
    pub fn xmlInitParser();
    pub fn xmlSetExternalEntityLoader(loader: XmlExternalEntityLoader);
    pub fn xmlNewInputFromFile(
        ctxt: *mut XmlParserCtxt,
        filename: *const c_char,
    ) -> *mut XmlParserInput;
    pub fn xmlSetStructuredErrorFunc(ctx: *mut c_void, handler: Option<XmlStructuredErrorFunc>);

    pub fn xmlSchemaNewParserCtxt(url: *const c_char) -> *mut XmlSchemaParserCtxt;
    pub fn xmlSchemaSetParserStructuredErrors(
        ctxt: *mut XmlSchemaParserCtxt,
        handler: Option<XmlStructuredErrorFunc>,
        ctx: *mut c_void,
    );
    pub fn xmlSchemaParse(ctxt: *mut XmlSchemaParserCtxt) -> *mut XmlSchema;
    pub fn xmlSchemaFreeParserCtxt(ctxt: *mut XmlSchemaParserCtxt);
    pub fn xmlSchemaFree(schema: *mut XmlSchema);

    pub fn xmlSchemaNewValidCtxt(schema: *mut XmlSchema) -> *mut XmlSchemaValidCtxt;
    pub fn xmlSchemaSetValidStructuredErrors(
        ctxt: *mut XmlSchemaValidCtxt,
        handler: Option<XmlStructuredErrorFunc>,
        ctx: *mut c_void,
    );
    pub fn xmlSchemaValidateDoc(ctxt: *mut XmlSchemaValidCtxt, doc: *mut XmlDoc) -> c_int;
    pub fn xmlSchemaValidateStream(
        ctxt: *mut XmlSchemaValidCtxt,
        input: *mut XmlParserInputBuffer,
        enc: c_int,
        sax: *mut XmlSaxHandler,
        user_data: *mut c_void,
    ) -> c_int;
    pub fn xmlSchemaFreeValidCtxt(ctxt: *mut XmlSchemaValidCtxt);

    pub fn xmlParserInputBufferCreateMem(
        mem: *const c_char,
        size: c_int,
        enc: c_int,
    ) -> *mut XmlParserInputBuffer;
    pub fn xmlFreeParserInputBuffer(input: *mut XmlParserInputBuffer);

    pub fn xmlReadMemory(
        buffer: *const c_char,
        size: c_int,
        url: *const c_char,
        encoding: *const c_char,
        options: c_int,
    ) -> *mut XmlDoc;
    pub fn xmlGetIntSubset(doc: *const XmlDoc) -> *mut c_void;
    pub fn xmlFreeDoc(doc: *mut XmlDoc);
    pub fn xmlGetLineNo(node: *const c_void) -> c_long;
}
