//! Expanding the PATH arguments of `validate` into a sorted, de-duplicated list of XML files.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::UsageError;

/// Every file named directly, plus every `*.xml` (any case) under each folder, recursively.
/// Sorted so output is deterministic. A path that does not exist is a usage error.
pub fn collect(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut found = BTreeSet::new();
    for path in paths {
        let metadata = fs::metadata(path)
            .map_err(|error| UsageError(format!("cannot access {}: {error}", path.display())))?;
        if metadata.is_dir() {
            walk(path, &mut found)?;
        } else {
            found.insert(path.clone());
        }
    }
    Ok(found.into_iter().collect())
}

fn walk(dir: &Path, found: &mut BTreeSet<PathBuf>) -> anyhow::Result<()> {
    let entries =
        fs::read_dir(dir).with_context(|| format!("cannot list folder {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list folder {}", dir.display()))?;
        let path = entry.path();
        // `file_type` does not follow symlinks, so a link cycle cannot make the walk endless.
        let file_type = entry
            .file_type()
            .with_context(|| format!("cannot inspect {}", path.display()))?;
        if file_type.is_dir() {
            walk(&path, found)?;
        } else if is_xml(&path) {
            found.insert(path);
        }
    }
    Ok(())
}

fn is_xml(path: &Path) -> bool {
    path.extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("xml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_walked_recursively_sorted_and_filtered() {
        let root = tempfile::tempdir().expect("temp dir");
        let nested = root.path().join("b");
        fs::create_dir(&nested).expect("mkdir");
        for name in ["z.xml", "a.XML", "notes.txt", "b/c.xml"] {
            fs::write(root.path().join(name), b"<x/>").expect("write");
        }
        let files = collect(&[root.path().to_path_buf()]).expect("collect");
        let names: Vec<_> = files
            .iter()
            .map(|f| {
                f.strip_prefix(root.path())
                    .expect("under root")
                    .to_path_buf()
            })
            .collect();
        let expected: Vec<PathBuf> = ["a.XML", "b/c.xml", "z.xml"]
            .iter()
            .map(PathBuf::from)
            .collect();
        assert_eq!(names, expected);
    }

    #[test]
    fn a_file_named_twice_is_checked_once_and_any_extension_is_taken() {
        let root = tempfile::tempdir().expect("temp dir");
        let file = root.path().join("invoice.txt");
        fs::write(&file, b"<x/>").expect("write");
        let files = collect(&[file.clone(), file.clone()]).expect("collect");
        assert_eq!(files, vec![file]);
    }

    #[test]
    fn a_missing_path_is_a_usage_error() {
        let error = collect(&[PathBuf::from("/no/such/path.xml")]).expect_err("missing");
        assert!(error.is::<UsageError>());
    }
}
