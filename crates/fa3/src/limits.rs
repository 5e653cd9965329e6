//! Size limits, in one place, with units last.

/// KSeF's limit for an invoice without an attachment (KSEF-API.md §8).
pub const INVOICE_BYTES_MAX: usize = 1_000_000;

/// KSeF's limit for an invoice with an attachment (`Zalacznik`).
pub const INVOICE_WITH_ATTACHMENT_BYTES_MAX: usize = 3_000_000;

/// Inputs above this are refused unparsed (`input.too_large`): no invoice KSeF accepts comes
/// close, and refusing early keeps a hostile 100 MB file from costing more than a length check.
/// The margin above [`INVOICE_WITH_ATTACHMENT_BYTES_MAX`] lets the size rules themselves report
/// documents that are only slightly too large, with everything else that is wrong in them.
pub const INPUT_BYTES_MAX: usize = 4_000_000;

/// At most this many findings of one code are listed; one more finding then says how many were
/// left out. Keeps a document with a million bad characters from producing a million findings.
pub const FINDINGS_PER_CODE_MAX: usize = 100;

/// Input-derived text quoted in a finding message is cut to this many characters.
pub const EXCERPT_CHARS_MAX: usize = 64;

const _: () = assert!(INVOICE_BYTES_MAX < INVOICE_WITH_ATTACHMENT_BYTES_MAX);
const _: () = assert!(INVOICE_WITH_ATTACHMENT_BYTES_MAX < INPUT_BYTES_MAX);
