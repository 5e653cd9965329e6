//! Reading FA(3) files out of ZIP archives without trusting the archive.
//!
//! Nothing is ever extracted to disk, so entry names are only labels and path traversal (`../`)
//! cannot happen. Sizes are checked against the declared headers *and* against what is actually
//! decompressed (through `take()`), because headers can lie.

use std::io::{Read, Seek};

use super::limits::ImportLimits;
use super::Code;

/// One entry of an archive, read or refused.
#[derive(Debug)]
pub(super) enum Entry {
    /// A directory; nothing to import.
    Directory,
    /// An `.xml` file's bytes.
    Xml { name: String, bytes: Vec<u8> },
    /// An entry that cannot be imported, with the reason.
    Refused { name: String, code: Code },
}

/// Why the rest of an archive was abandoned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ArchiveAbandoned;

/// Reads archive entries one at a time, enforcing per-entry and whole-archive limits.
pub(super) struct ArchiveReader<R: Read + Seek> {
    archive: zip::ZipArchive<R>,
    limits: ImportLimits,
    total_bytes: u64,
}

impl<R: Read + Seek> ArchiveReader<R> {
    /// Opens an archive; refuses one with too many entries before reading any.
    pub(super) fn open(reader: R, limits: ImportLimits) -> Result<ArchiveReader<R>, Code> {
        let archive = zip::ZipArchive::new(reader).map_err(|_| Code::Unreadable)?;
        if archive.len() > limits.zip_entries_max {
            return Err(Code::ZipBomb);
        }
        Ok(ArchiveReader {
            archive,
            limits,
            total_bytes: 0,
        })
    }

    /// Number of entries (directories included).
    pub(super) fn len(&self) -> usize {
        self.archive.len()
    }

    /// Reads entry `index`. `Err` means the archive as a whole broke a limit and must be
    /// abandoned.
    pub(super) fn entry(&mut self, index: usize) -> Result<Entry, ArchiveAbandoned> {
        let limits = self.limits;
        let mut file = match self.archive.by_index(index) {
            Ok(file) => file,
            Err(_) => {
                return Ok(Entry::Refused {
                    name: format!("#{index}"),
                    code: Code::Unreadable,
                })
            }
        };
        let name = file.name().to_owned();
        if file.is_dir() {
            return Ok(Entry::Directory);
        }
        let refuse = |code| {
            Ok(Entry::Refused {
                name: name.clone(),
                code,
            })
        };
        if !name.to_ascii_lowercase().ends_with(".xml") {
            return refuse(Code::NotXml);
        }
        let declared = file.size();
        let compressed = file.compressed_size();
        if exceeds_ratio(declared, compressed, limits) {
            return refuse(Code::ZipBomb);
        }
        if declared > limits.file_bytes_max {
            return refuse(Code::TooLarge);
        }
        // Never decompress more than the header promised (plus one byte to detect the lie).
        let mut bytes = Vec::new();
        if (&mut file)
            .take(declared.saturating_add(1))
            .read_to_end(&mut bytes)
            .is_err()
        {
            return refuse(Code::Unreadable);
        }
        let actual = bytes.len() as u64;
        self.total_bytes = self.total_bytes.saturating_add(actual);
        if self.total_bytes > limits.zip_total_bytes_max {
            return Err(ArchiveAbandoned);
        }
        if actual > declared || exceeds_ratio(actual, compressed, limits) {
            return refuse(Code::ZipBomb);
        }
        Ok(Entry::Xml { name, bytes })
    }
}

fn exceeds_ratio(uncompressed: u64, compressed: u64, limits: ImportLimits) -> bool {
    uncompressed >= limits.zip_ratio_floor_bytes
        && uncompressed > compressed.saturating_mul(limits.zip_ratio_max)
}
