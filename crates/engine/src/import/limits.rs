//! Import limits, named with units last, in one place.

/// Largest file accepted: KSeF's own ceiling for an invoice with attachments (3 MB, KSEF-API.md
/// §8). Anything bigger could never be accepted, so it is reported instead of stored.
pub const FILE_BYTES_MAX: u64 = 3_000_000;
/// Most entries one ZIP may hold: KSeF's per-session invoice ceiling (10 000) with room for
/// folders and stray files.
pub const ZIP_ENTRIES_MAX: usize = 20_000;
/// Most bytes all entries of one ZIP may decompress to.
pub const ZIP_TOTAL_BYTES_MAX: u64 = 1_000_000_000;
/// Highest uncompressed/compressed ratio accepted. Real invoices compress about 5–20×; bombs
/// reach thousands.
pub const ZIP_RATIO_MAX: u64 = 100;
/// Entries smaller than this skip the ratio test: tiny files can compress absurdly well and
/// cannot hurt anyone.
pub const ZIP_RATIO_FLOOR_BYTES: u64 = 64 * 1024;
/// Files validated before their rows are written in one transaction.
pub const BATCH_FILES_MAX: usize = 200;
/// Bytes held in memory before a batch is written.
pub const BATCH_BYTES_MAX: u64 = 16_000_000;

/// The limits one import runs under; [`ImportLimits::default`] uses the constants above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportLimits {
    /// See [`FILE_BYTES_MAX`].
    pub file_bytes_max: u64,
    /// See [`ZIP_ENTRIES_MAX`].
    pub zip_entries_max: usize,
    /// See [`ZIP_TOTAL_BYTES_MAX`].
    pub zip_total_bytes_max: u64,
    /// See [`ZIP_RATIO_MAX`].
    pub zip_ratio_max: u64,
    /// See [`ZIP_RATIO_FLOOR_BYTES`].
    pub zip_ratio_floor_bytes: u64,
}

impl Default for ImportLimits {
    fn default() -> ImportLimits {
        ImportLimits {
            file_bytes_max: FILE_BYTES_MAX,
            zip_entries_max: ZIP_ENTRIES_MAX,
            zip_total_bytes_max: ZIP_TOTAL_BYTES_MAX,
            zip_ratio_max: ZIP_RATIO_MAX,
            zip_ratio_floor_bytes: ZIP_RATIO_FLOOR_BYTES,
        }
    }
}

const _: () = assert!(
    BATCH_BYTES_MAX >= FILE_BYTES_MAX,
    "a batch must fit the largest file"
);
const _: () = assert!(ZIP_TOTAL_BYTES_MAX >= FILE_BYTES_MAX);
