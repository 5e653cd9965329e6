//! Batch packaging (KSEF-API.md §4): invoices → ZIP or tar.gz → byte parts → encrypted, hashed parts.

use std::collections::BTreeSet;
use std::io::{Cursor, Write};

use crate::crypto::SessionCipher;
use crate::hash::Sha256B64;

/// Archive format of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// ZIP with deflate (KSeF's default).
    Zip,
    /// gzip-compressed tar (since API 2.6.0).
    TarGz,
}

/// KSeF's batch limits; tests shrink `part_size_bytes_max` to exercise splitting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    /// Largest plain part before encryption.
    pub part_size_bytes_max: usize,
    /// Most parts per batch.
    pub parts_max: usize,
    /// Largest plain archive.
    pub archive_size_bytes_max: u64,
    /// Most invoices per batch.
    pub invoices_max: usize,
}

impl BatchLimits {
    /// Published limits: 100 MB parts, 50 parts, 5 GB archive, 10 000 invoices.
    pub const KSEF: BatchLimits = BatchLimits {
        part_size_bytes_max: 100_000_000,
        parts_max: 50,
        archive_size_bytes_max: 5_000_000_000,
        invoices_max: 10_000,
    };
}

/// Why a batch cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// A batch needs at least one invoice.
    #[error("batch has no invoices")]
    Empty,
    /// More invoices than KSeF accepts.
    #[error("batch has {count} invoices, at most {max} allowed")]
    TooManyInvoices {
        /// Invoices given.
        count: usize,
        /// Limit.
        max: usize,
    },
    /// File names must be plain, non-empty and unique inside the archive.
    #[error("invalid or duplicate file name in batch: {0:?}")]
    FileName(String),
    /// Archive larger than KSeF accepts.
    #[error("batch archive is {size} B, at most {max} B allowed")]
    ArchiveTooLarge {
        /// Archive size.
        size: u64,
        /// Limit.
        max: u64,
    },
    /// The archive would need more parts than KSeF accepts.
    #[error("batch archive needs {count} parts, at most {max} allowed")]
    TooManyParts {
        /// Parts needed.
        count: usize,
        /// Limit.
        max: usize,
    },
    /// Writing the archive failed.
    #[error("cannot build batch archive: {0}")]
    Archive(String),
}

/// One invoice file for a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchInvoice {
    /// File name inside the archive (e.g. `FV-2026-0001.xml`).
    pub file_name: String,
    /// The invoice XML.
    pub xml: Vec<u8>,
}

/// The `batchFile` description sent when opening a batch session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchFile {
    /// Size of the plain archive.
    pub size: u64,
    /// SHA-256 of the plain archive.
    pub hash: Sha256B64,
    /// Archive format.
    pub compression: Compression,
    /// Encrypted parts, in upload order.
    pub parts: Vec<BatchPart>,
}

/// One encrypted part as declared to KSeF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchPart {
    /// 1-based ordinal.
    pub ordinal: u32,
    /// Encrypted size.
    pub size: u64,
    /// SHA-256 of the encrypted bytes.
    pub hash: Sha256B64,
}

/// A packaged batch: the declaration and the bytes to upload for each part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchPackage {
    /// Declaration for `POST /sessions/batch`.
    pub file: BatchFile,
    /// Encrypted part bytes; index `i` belongs to `file.parts[i]`.
    pub encrypted_parts: Vec<Vec<u8>>,
}

/// Builds the plain archive. Entries get a fixed timestamp so the same invoices give the same bytes.
pub fn build_archive(
    invoices: &[BatchInvoice],
    compression: Compression,
    limits: &BatchLimits,
) -> Result<Vec<u8>, BatchError> {
    if invoices.is_empty() {
        return Err(BatchError::Empty);
    }
    if invoices.len() > limits.invoices_max {
        return Err(BatchError::TooManyInvoices {
            count: invoices.len(),
            max: limits.invoices_max,
        });
    }
    let mut names = BTreeSet::new();
    for invoice in invoices {
        let name = invoice.file_name.as_str();
        let plain = !name.is_empty() && !name.contains(['/', '\\']) && name != "." && name != "..";
        if !plain || !names.insert(name) {
            return Err(BatchError::FileName(name.to_owned()));
        }
    }
    let archive = match compression {
        Compression::Zip => zip_archive(invoices),
        Compression::TarGz => tar_gz_archive(invoices),
    }
    .map_err(|e| BatchError::Archive(e.to_string()))?;
    Ok(archive)
}

fn zip_archive(invoices: &[BatchInvoice]) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for invoice in invoices {
        writer.start_file(invoice.file_name.as_str(), options)?;
        writer.write_all(&invoice.xml)?;
    }
    Ok(writer.finish()?.into_inner())
}

fn tar_gz_archive(invoices: &[BatchInvoice]) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut builder = tar::Builder::new(gz);
    for invoice in invoices {
        let mut header = tar::Header::new_gnu();
        header.set_size(invoice.xml.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        builder.append_data(&mut header, &invoice.file_name, invoice.xml.as_slice())?;
    }
    Ok(builder.into_inner()?.finish()?)
}

/// Splits the plain archive into parts of at most `part_size_bytes_max` bytes, encrypts each
/// with the session cipher and hashes the results.
pub fn package(
    archive: &[u8],
    compression: Compression,
    cipher: &SessionCipher,
    limits: &BatchLimits,
) -> Result<BatchPackage, BatchError> {
    let size = archive.len() as u64;
    if archive.is_empty() {
        return Err(BatchError::Empty);
    }
    if size > limits.archive_size_bytes_max {
        return Err(BatchError::ArchiveTooLarge {
            size,
            max: limits.archive_size_bytes_max,
        });
    }
    let part_size = limits.part_size_bytes_max.max(1);
    let count = archive.len().div_ceil(part_size);
    if count > limits.parts_max {
        return Err(BatchError::TooManyParts {
            count,
            max: limits.parts_max,
        });
    }
    let encrypted_parts: Vec<Vec<u8>> = archive
        .chunks(part_size)
        .map(|chunk| cipher.encrypt(chunk))
        .collect();
    let parts = encrypted_parts
        .iter()
        .zip(1u32..)
        .map(|(bytes, ordinal)| BatchPart {
            ordinal,
            size: bytes.len() as u64,
            hash: Sha256B64::of(bytes),
        })
        .collect();
    Ok(BatchPackage {
        file: BatchFile {
            size,
            hash: Sha256B64::of(archive),
            compression,
            parts,
        },
        encrypted_parts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use std::io::Read;

    fn invoices(n: usize) -> Vec<BatchInvoice> {
        (0..n)
            .map(|i| BatchInvoice {
                file_name: format!("FV-{i:04}.xml"),
                // Varied content so deflate cannot shrink the archive to almost nothing.
                xml: format!(
                    "<Faktura>{}</Faktura>",
                    (0..200)
                        .map(|j| (i * 31 + j * 7) % 97)
                        .map(|v| v.to_string())
                        .collect::<String>()
                )
                .into_bytes(),
            })
            .collect()
    }

    fn small_parts() -> BatchLimits {
        BatchLimits {
            part_size_bytes_max: 700,
            ..BatchLimits::KSEF
        }
    }

    #[test]
    fn zip_batch_round_trips_through_parts() {
        let input = invoices(5);
        let archive = build_archive(&input, Compression::Zip, &small_parts()).unwrap();
        let cipher = SessionCipher::generate(&mut rand_chacha::ChaCha8Rng::seed_from_u64(9));
        let pkg = package(&archive, Compression::Zip, &cipher, &small_parts()).unwrap();
        assert_eq!(pkg.file.parts.len(), archive.len().div_ceil(700));
        assert!(pkg.file.parts.len() > 1, "test must exercise splitting");
        assert_eq!(pkg.file.hash, Sha256B64::of(&archive));
        let mut joined = Vec::new();
        for (part, bytes) in pkg.file.parts.iter().zip(&pkg.encrypted_parts) {
            assert_eq!(part.hash, Sha256B64::of(bytes));
            assert_eq!(part.size, bytes.len() as u64);
            let plain = cipher.decrypt(bytes).unwrap();
            assert!(plain.len() <= 700);
            joined.extend(plain);
        }
        assert_eq!(joined, archive);
        let mut zip = zip::ZipArchive::new(Cursor::new(joined)).unwrap();
        for invoice in &input {
            let mut content = Vec::new();
            zip.by_name(&invoice.file_name)
                .unwrap()
                .read_to_end(&mut content)
                .unwrap();
            assert_eq!(content, invoice.xml);
        }
    }

    #[test]
    fn tar_gz_batch_contains_the_invoices() {
        let input = invoices(3);
        let archive = build_archive(&input, Compression::TarGz, &BatchLimits::KSEF).unwrap();
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(archive.as_slice()));
        let mut seen = Vec::new();
        for entry in tar.entries().unwrap() {
            let mut entry = entry.unwrap();
            let name = entry.path().unwrap().to_string_lossy().into_owned();
            let mut content = Vec::new();
            entry.read_to_end(&mut content).unwrap();
            seen.push((name, content));
        }
        let expected: Vec<_> = input.into_iter().map(|i| (i.file_name, i.xml)).collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn archives_are_deterministic() {
        let input = invoices(2);
        for compression in [Compression::Zip, Compression::TarGz] {
            let a = build_archive(&input, compression, &BatchLimits::KSEF).unwrap();
            let b = build_archive(&input, compression, &BatchLimits::KSEF).unwrap();
            assert_eq!(a, b, "{compression:?}");
        }
    }

    #[test]
    fn limits_are_enforced() {
        let limits = BatchLimits {
            part_size_bytes_max: 10,
            parts_max: 2,
            archive_size_bytes_max: 25,
            invoices_max: 2,
        };
        let cipher = SessionCipher::from_parts([1; 32], [2; 16]);
        assert_eq!(
            package(&[0; 21], Compression::Zip, &cipher, &limits),
            Err(BatchError::TooManyParts { count: 3, max: 2 })
        );
        assert_eq!(
            package(&[0; 26], Compression::Zip, &cipher, &limits),
            Err(BatchError::ArchiveTooLarge { size: 26, max: 25 })
        );
        assert_eq!(
            package(&[0; 20], Compression::Zip, &cipher, &limits)
                .unwrap()
                .file
                .parts
                .len(),
            2
        );
        assert_eq!(
            build_archive(&invoices(3), Compression::Zip, &limits),
            Err(BatchError::TooManyInvoices { count: 3, max: 2 })
        );
        assert_eq!(
            build_archive(&[], Compression::Zip, &limits),
            Err(BatchError::Empty)
        );
        let mut dup = invoices(2);
        dup[1].file_name = dup[0].file_name.clone();
        assert_eq!(
            build_archive(&dup, Compression::Zip, &limits),
            Err(BatchError::FileName("FV-0000.xml".into()))
        );
        let mut traversal = invoices(1);
        traversal[0].file_name = "../evil.xml".into();
        assert!(matches!(
            build_archive(&traversal, Compression::Zip, &limits),
            Err(BatchError::FileName(_))
        ));
    }
}
