//! Unpacking batch archives (ZIP or tar.gz) with limits that defuse decompression bombs.

use std::io::Read;

/// Most files a batch may carry (§4).
pub const FILES_MAX: usize = 10_000;
/// Bytes read from one file: one more than the largest invoice KSeF accepts (3 MB with attachment),
/// so an oversized file is still seen as oversized by verification without being inflated further.
pub const FILE_BYTES_MAX: u64 = 3_000_001;
/// Total decompressed bytes across the archive.
pub const TOTAL_BYTES_MAX: u64 = 1_000_000_000;

/// Why an archive could not be unpacked.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UnpackError {
    /// Not a readable archive of the declared type.
    #[error("archive could not be decompressed: {0}")]
    Corrupt(String),
    /// More than [`FILES_MAX`] files.
    #[error("archive holds more than {FILES_MAX} files")]
    TooManyFiles,
    /// More than [`TOTAL_BYTES_MAX`] bytes once decompressed.
    #[error("archive inflates beyond {TOTAL_BYTES_MAX} bytes")]
    TooLarge,
}

/// Archive format (`compressionType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Compression {
    /// ZIP (default).
    Zip,
    /// gzip-compressed tar.
    TarGz,
}

/// One file of the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveFile {
    /// Name inside the archive.
    pub name: String,
    /// Content, capped at [`FILE_BYTES_MAX`].
    pub bytes: Vec<u8>,
}

fn read_capped(reader: impl Read, total: &mut u64) -> Result<Vec<u8>, UnpackError> {
    let mut bytes = Vec::new();
    reader
        .take(FILE_BYTES_MAX)
        .read_to_end(&mut bytes)
        .map_err(|e| UnpackError::Corrupt(e.to_string()))?;
    *total += bytes.len() as u64;
    if *total > TOTAL_BYTES_MAX {
        return Err(UnpackError::TooLarge);
    }
    Ok(bytes)
}

/// Unpacks every regular file of `archive`.
pub fn unpack(archive: &[u8], compression: Compression) -> Result<Vec<ArchiveFile>, UnpackError> {
    let corrupt = |e: &dyn std::fmt::Display| UnpackError::Corrupt(e.to_string());
    let mut files = Vec::new();
    let mut total = 0u64;
    match compression {
        Compression::Zip => {
            let mut zip =
                zip::ZipArchive::new(std::io::Cursor::new(archive)).map_err(|e| corrupt(&e))?;
            if zip.len() > FILES_MAX {
                return Err(UnpackError::TooManyFiles);
            }
            for index in 0..zip.len() {
                let entry = zip.by_index(index).map_err(|e| corrupt(&e))?;
                if entry.is_dir() {
                    continue;
                }
                let name = entry.name().to_string();
                let bytes = read_capped(entry, &mut total)?;
                files.push(ArchiveFile { name, bytes });
            }
        }
        Compression::TarGz => {
            let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(archive));
            for entry in tar.entries().map_err(|e| corrupt(&e))? {
                let entry = entry.map_err(|e| corrupt(&e))?;
                if !entry.header().entry_type().is_file() {
                    continue;
                }
                if files.len() == FILES_MAX {
                    return Err(UnpackError::TooManyFiles);
                }
                let name = entry
                    .path()
                    .map(|p| p.to_string_lossy().into_owned())
                    .map_err(|e| corrupt(&e))?;
                let bytes = read_capped(entry, &mut total)?;
                files.push(ArchiveFile { name, bytes });
            }
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn unpacks_zip_and_tar_gz_alike_and_rejects_garbage() {
        let mut zip_bytes = Vec::new();
        {
            let mut writer = zip::ZipWriter::new(std::io::Cursor::new(&mut zip_bytes));
            let opts = zip::write::SimpleFileOptions::default();
            writer.start_file("a.xml", opts).expect("start");
            writer.write_all(b"<a/>").expect("write");
            writer.finish().expect("finish");
        }
        let mut tar_gz = Vec::new();
        {
            let gz = flate2::write::GzEncoder::new(&mut tar_gz, flate2::Compression::fast());
            let mut builder = tar::Builder::new(gz);
            let mut header = tar::Header::new_gnu();
            header.set_size(4);
            header.set_cksum();
            builder
                .append_data(&mut header, "a.xml", &b"<a/>"[..])
                .expect("append");
            builder.into_inner().expect("tar").finish().expect("gz");
        }
        let expected = vec![ArchiveFile {
            name: "a.xml".into(),
            bytes: b"<a/>".to_vec(),
        }];
        assert_eq!(unpack(&zip_bytes, Compression::Zip), Ok(expected.clone()));
        assert_eq!(unpack(&tar_gz, Compression::TarGz), Ok(expected));
        assert!(matches!(
            unpack(b"not an archive", Compression::Zip),
            Err(UnpackError::Corrupt(_))
        ));
    }

    #[test]
    fn a_huge_entry_is_read_only_up_to_the_cap() {
        let mut zip_bytes = Vec::new();
        {
            let mut writer = zip::ZipWriter::new(std::io::Cursor::new(&mut zip_bytes));
            let opts = zip::write::SimpleFileOptions::default();
            writer.start_file("bomb.xml", opts).expect("start");
            writer.write_all(&vec![b'a'; 5_000_000]).expect("write");
            writer.finish().expect("finish");
        }
        // Deflate squeezes 5 MB of one byte into a few KB: the classic bomb shape.
        assert!(zip_bytes.len() < 100_000);
        let files = unpack(&zip_bytes, Compression::Zip).expect("readable");
        assert_eq!(
            files.first().map(|f| f.bytes.len() as u64),
            Some(FILE_BYTES_MAX)
        );
    }
}
