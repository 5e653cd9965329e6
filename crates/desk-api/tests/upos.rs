//! Saving UPOs into a folder the user chose: exact bytes, hash checked first, nothing
//! overwritten, and counts for invoices without a UPO and for failures.

mod common;

use std::path::Path;

use common::{open, NOW_MS};
use engine::store::{InvoiceId, Store};

/// A receipt with non-ASCII text and CRLF line ends: any re-encoding would change its bytes.
const UPO: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<Potwierdzenie>\xc5\x81\xc3\xb3d\xc5\xba</Potwierdzenie>\r\n";

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn upos_are_saved_byte_for_byte_and_never_over_an_existing_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = tempfile::tempdir().expect("target folder");
    let fx = open(dir.path());
    let summary = fx.api.generate_demo_invoices(6).expect("demo");
    let ids: Vec<i64> = summary.items.iter().filter_map(|i| i.invoice_id).collect();
    let [with_upo, tampered, without, shared, ..] = ids[..] else {
        panic!("four invoices expected, got {ids:?}");
    };
    let db = dir.path().join(desk_api::DATABASE_FILE);
    let mut store = Store::open(&db).expect("store");
    store
        .save_upo(InvoiceId(with_upo), UPO, true, NOW_MS)
        .expect("upo");
    // One session UPO page is the receipt of both.
    store
        .save_upo(InvoiceId(shared), UPO, true, NOW_MS)
        .expect("upo");
    store
        .save_upo(InvoiceId(tampered), b"<Potwierdzenie/>", true, NOW_MS)
        .expect("upo");
    drop(store);
    // Someone edits the stored receipt behind the app's back: its hash no longer matches.
    rusqlite::Connection::open(&db)
        .expect("sqlite")
        .execute(
            "UPDATE upo_documents SET xml = ?1
             WHERE sha256 = (SELECT sha256 FROM upos WHERE invoice_id = ?2)",
            rusqlite::params![b"<Potwierdzenie>forged</Potwierdzenie>".to_vec(), tampered],
        )
        .expect("tamper");

    let chosen = vec![with_upo, tampered, without, with_upo, shared, 999_999];
    let saved = fx
        .api
        .save_upos(chosen.clone(), target.path())
        .expect("save");
    assert_eq!(
        (saved.saved, saved.without_upo, saved.failed),
        (2, 1, 2),
        "the duplicate id counts once; the tampered and the unknown invoice fail"
    );
    assert_eq!(saved.folder, target.path().display().to_string());
    let first = format!("UPO-faktura-{with_upo}.xml");
    let sharing = format!("UPO-faktura-{shared}.xml");
    assert_eq!(files(target.path()), vec![first.clone(), sharing.clone()]);
    for name in [&first, &sharing] {
        assert_eq!(
            std::fs::read(target.path().join(name)).expect("saved"),
            UPO,
            "exact bytes in {name}"
        );
    }
    {
        use std::os::unix::fs::MetadataExt as _;
        let inode = |name: &str| {
            std::fs::metadata(target.path().join(name))
                .expect("meta")
                .ino()
        };
        assert_eq!(
            inode(&first),
            inode(&sharing),
            "one copy of the shared page"
        );
    }

    // Saving again keeps the first file and writes a suffixed one.
    std::fs::write(target.path().join(&first), b"the user's own edits").expect("edit");
    let again = fx
        .api
        .save_upos(vec![with_upo], target.path())
        .expect("save again");
    assert_eq!(again.saved, 1);
    let second = format!("UPO-faktura-{with_upo}-1.xml");
    assert_eq!(
        files(target.path()),
        vec![second.clone(), first.clone(), sharing]
    );
    assert_eq!(
        std::fs::read(target.path().join(&first)).expect("kept"),
        b"the user's own edits"
    );
    assert_eq!(std::fs::read(target.path().join(second)).expect("new"), UPO);
}

#[test]
fn saving_needs_a_folder_and_a_selection() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fx = open(dir.path());
    let not_a_folder = dir.path().join("settings.json");
    let err = fx
        .api
        .save_upos(vec![1], &not_a_folder)
        .expect_err("a file is not a folder");
    assert_eq!(err.code, "desk.invalid_input");
    let err = fx
        .api
        .save_upos(Vec::new(), dir.path())
        .expect_err("nothing chosen");
    assert_eq!(err.code, "desk.invalid_input");
}
