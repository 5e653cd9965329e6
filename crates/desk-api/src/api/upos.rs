//! Saving UPOs (KSeF's official receipts) into a folder the user chose in the shell's dialog.
//!
//! Each file holds the receipt's bytes exactly as stored (the legal record is never
//! re-encoded), and only after the bytes still match the SHA-256 recorded when KSeF sent them.
//! File names come from the KSeF number reduced to a safe alphabet, so nothing in invoice data
//! can name a path outside the folder; an existing file is never overwritten: the new one gets
//! a numeric suffix. One session UPO page is the receipt of up to 10 000 invoices: each invoice
//! still gets its own file, but the files of one document are hard links to one copy (a plain
//! copy where the file system has no links), so saving a month-end batch does not write the same
//! pages thousands of times. (An editor that rewrites one of them in place changes them all; they
//! are receipts, to be kept, not edited.)

use std::collections::{BTreeSet, HashMap};
use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use engine::store::{CompanyId, InvoiceId, Store};
use sha2::{Digest as _, Sha256};

use super::{lock, DeskApi};
use crate::error::{DeskError, DeskResult};
use crate::types::SavedUpos;

/// Name variants tried before giving up on a file (`UPO-x.xml`, `UPO-x-1.xml`…).
pub const NAME_SUFFIXES_MAX: u32 = 1_000;
/// Characters of a KSeF number kept in a file name at most (real ones have 35).
const NAME_CHARS_MAX: usize = 64;

/// Why one UPO was not written.
enum Skip {
    /// The invoice has no UPO yet.
    NoUpo,
    /// Not found, not the active company's, hash mismatch, or the file could not be written.
    Failed,
}

impl DeskApi {
    /// `save_upos`: writes the stored UPO of each chosen invoice of the active company into
    /// `folder` (chosen by the user in the shell's dialog); returns how many were saved, how
    /// many invoices have no UPO yet and how many failed.
    pub fn save_upos(&self, ids: Vec<i64>, folder: &Path) -> DeskResult<SavedUpos> {
        if ids.is_empty() {
            return Err(DeskError::invalid("no invoices chosen"));
        }
        if !folder.is_dir() {
            return Err(DeskError::invalid(format!(
                "{} is not a folder",
                folder.display()
            )));
        }
        let company = self.active()?.id;
        let store = lock(&self.store)?;
        let mut out = SavedUpos {
            saved: 0,
            without_upo: 0,
            failed: 0,
            folder: folder.display().to_string(),
        };
        let unique: BTreeSet<i64> = ids.into_iter().collect();
        let mut written = HashMap::new();
        for id in unique {
            match save_one(&store, company, InvoiceId(id), folder, &mut written) {
                Ok(_) => out.saved += 1,
                Err(Skip::NoUpo) => out.without_upo += 1,
                Err(Skip::Failed) => out.failed += 1,
            }
        }
        Ok(out)
    }
}

/// Saves one invoice's UPO; `written` maps each document's SHA-256 to the file already holding it
/// in this call.
fn save_one(
    store: &Store,
    company: CompanyId,
    id: InvoiceId,
    folder: &Path,
    written: &mut HashMap<String, PathBuf>,
) -> Result<PathBuf, Skip> {
    let invoice = store.invoice(id).map_err(|_| Skip::Failed)?;
    if invoice.company != company {
        return Err(Skip::Failed);
    }
    let upo = store
        .upo(id)
        .map_err(|_| Skip::Failed)?
        .ok_or(Skip::NoUpo)?;
    // The bytes must still be the ones KSeF sent; a changed receipt is no receipt.
    if hex(&Sha256::digest(&upo.xml)) != upo.sha256 {
        tracing::warn!(
            invoice = id.0,
            "stored UPO does not match its recorded hash"
        );
        return Err(Skip::Failed);
    }
    let stem = file_stem(invoice.ksef_number.as_deref(), id);
    let linked = written
        .get(&upo.sha256)
        .and_then(|first| link_new(folder, &stem, first).ok());
    let path = match linked {
        Some(path) => path,
        None => write_new(folder, &stem, &upo.xml).map_err(|e| {
            tracing::warn!(invoice = id.0, error = %e, "UPO not written");
            Skip::Failed
        })?,
    };
    written.entry(upo.sha256).or_insert_with(|| path.clone());
    Ok(path)
}

/// `UPO-<KSeF number>` with every character outside `[A-Za-z0-9-]` replaced by `_`, or
/// `UPO-faktura-<id>` without a number. Never holds a path separator or `..`.
fn file_stem(ksef_number: Option<&str>, id: InvoiceId) -> String {
    let clean: String = ksef_number
        .unwrap_or_default()
        .chars()
        .take(NAME_CHARS_MAX)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.chars().any(|c| c.is_ascii_alphanumeric()) {
        format!("UPO-{clean}")
    } else {
        format!("UPO-faktura-{}", id.0)
    }
}

/// Writes `bytes` to a file in `folder` that did not exist before (`create_new`, so even a
/// file appearing between two checks is never overwritten).
fn write_new(folder: &Path, stem: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    create_new(folder, stem, |path| {
        let mut file = OpenOptions::new().write(true).create_new(true).open(path)?;
        file.write_all(bytes)?;
        file.sync_all()
    })
}

/// A new hard link in `folder` to the file `first` (an error where the file system has none).
/// Linking never replaces an existing name either.
fn link_new(folder: &Path, stem: &str, first: &Path) -> std::io::Result<PathBuf> {
    create_new(folder, stem, |path| std::fs::hard_link(first, path))
}

/// Runs `create` on the first free name `stem.xml`, `stem-1.xml`…; `create` must fail with
/// `AlreadyExists` when the name is taken, so a name taken meanwhile is skipped, not replaced.
fn create_new(
    folder: &Path,
    stem: &str,
    create: impl Fn(&Path) -> std::io::Result<()>,
) -> std::io::Result<PathBuf> {
    for n in 0..NAME_SUFFIXES_MAX {
        let name = if n == 0 {
            format!("{stem}.xml")
        } else {
            format!("{stem}-{n}.xml")
        };
        let path = folder.join(name);
        match create(&path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        format!("{NAME_SUFFIXES_MAX} files named {stem}* already exist"),
    ))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_a_ksef_number_and_neutralise_anything_path_like() {
        let id = InvoiceId(7);
        assert_eq!(
            file_stem(Some("5265877635-20261121-0000000000A1-01"), id),
            "UPO-5265877635-20261121-0000000000A1-01"
        );
        assert_eq!(
            file_stem(Some("../../etc/passwd"), id),
            "UPO-______etc_passwd"
        );
        assert_eq!(file_stem(Some("a\\b:c"), id), "UPO-a_b_c");
        assert_eq!(file_stem(Some("../.."), id), "UPO-faktura-7");
        assert_eq!(file_stem(None, id), "UPO-faktura-7");
        let long = "9".repeat(500);
        assert_eq!(
            file_stem(Some(&long), id).len(),
            "UPO-".len() + NAME_CHARS_MAX
        );
    }

    #[test]
    fn an_existing_file_is_never_overwritten() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("UPO-x.xml"), b"first").expect("seed");
        let second = write_new(dir.path(), "UPO-x", b"second").expect("write");
        let third = write_new(dir.path(), "UPO-x", b"third").expect("write");
        assert_eq!(second, dir.path().join("UPO-x-1.xml"));
        assert_eq!(third, dir.path().join("UPO-x-2.xml"));
        let read = |p: &Path| std::fs::read(p).expect("read");
        assert_eq!(read(&dir.path().join("UPO-x.xml")), b"first");
        assert_eq!(read(&second), b"second");
        assert_eq!(read(&third), b"third");
    }

    #[cfg(unix)]
    #[test]
    fn a_shared_document_is_linked_not_copied_and_links_never_replace_a_file() {
        use std::os::unix::fs::MetadataExt as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let first = write_new(dir.path(), "UPO-a", b"page").expect("write");
        std::fs::write(dir.path().join("UPO-b.xml"), b"someone else's").expect("seed");
        let linked = link_new(dir.path(), "UPO-b", &first).expect("link");
        assert_eq!(linked, dir.path().join("UPO-b-1.xml"));
        assert_eq!(std::fs::read(&linked).expect("read"), b"page");
        assert_eq!(
            std::fs::read(dir.path().join("UPO-b.xml")).expect("read"),
            b"someone else's"
        );
        let inode = |p: &Path| std::fs::metadata(p).expect("meta").ino();
        assert_eq!(inode(&first), inode(&linked), "one copy on disk");
    }
}
