//! The committed TypeScript types (`ui/src/lib/backend/generated/`) match the Rust DTOs.
//! Regenerate with `scripts/gen-types`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn read_dir(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read_to_string(&path).expect("read"))
        })
        .collect()
}

#[test]
fn committed_typescript_types_are_up_to_date() {
    let fresh = tempfile::tempdir().expect("tempdir");
    desk_api::ts::export_all(fresh.path()).expect("export");
    let committed: PathBuf =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/backend/generated");
    let expected = read_dir(fresh.path());
    assert!(expected.contains_key("InvoiceQuery.ts") && expected.contains_key("DeskError.ts"));
    let actual = read_dir(&committed);
    let names = |m: &BTreeMap<String, String>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&actual), names(&expected), "run scripts/gen-types");
    for (name, text) in &expected {
        assert_eq!(
            actual.get(name),
            Some(text),
            "{name} is stale: run scripts/gen-types"
        );
    }
}
