//! The watched folder with the real OS watcher: files dropped there (and files already there)
//! are imported through the same path as a manual import, a re-drop of the same content is
//! recognised, and a folder that cannot be watched becomes an alert. Waits are on the event
//! channel with a generous deadline, never sleeps.

mod common;

use std::path::Path;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use common::{open_real_clock, shared_ksef};
use desk_api::types::{AlertKind, ImportItem, ImportOutcome, Settings};
use desk_api::DeskEvent;

/// Far longer than the settle time; only a broken watcher ever reaches it.
const WAIT: Duration = Duration::from_secs(60);

/// The import item for a file named `name`, from the next `import_finished` events.
fn imported(events: &Receiver<DeskEvent>, name: &str) -> ImportItem {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match events.recv_timeout(left) {
            Ok(DeskEvent::ImportFinished(done)) => {
                if let Some(item) =
                    done.summary.items.into_iter().find(|i| {
                        Path::new(&i.file).file_name().and_then(|n| n.to_str()) == Some(name)
                    })
                {
                    return item;
                }
            }
            Ok(_) => {}
            Err(e) => panic!("no import of {name} within {WAIT:?}: {e}"),
        }
    }
}

fn watch(api: &std::sync::Arc<desk_api::DeskApi>, folder: Option<&Path>) {
    let s = api.get_settings().expect("settings");
    api.save_settings(Settings {
        watched_folder: folder.map(|f| f.display().to_string()),
        ..s
    })
    .expect("save settings");
}

#[test]
fn dropped_files_are_imported_once_complete_and_a_repeat_is_recognised() {
    let dir = tempfile::tempdir().expect("data");
    let drop_dir = tempfile::tempdir().expect("drop folder");
    let (api, events) = open_real_clock(dir.path());
    let sample =
        std::fs::read(shared_ksef().join("samples/fa3-valid/FA_3_Przyklad_1.xml")).expect("sample");
    std::fs::write(drop_dir.path().join("waiting.xml"), &sample).expect("pre-existing file");

    watch(&api, Some(drop_dir.path()));
    assert_eq!(api.watching().as_deref(), Some(drop_dir.path()));
    let before = imported(&events, "waiting.xml");
    assert!(before.invoice_id.is_some(), "{before:?}");

    // An ERP writing in pieces: the file is imported whole, once it stops growing.
    let (head, tail) = sample.split_at(sample.len() / 2);
    let path = drop_dir.path().join("erp-export.xml");
    std::fs::write(&path, head).expect("first piece");
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("reopen");
    std::io::Write::write_all(&mut file, tail).expect("second piece");
    drop(file);
    let dropped = imported(&events, "erp-export.xml");
    assert_eq!(
        dropped.outcome,
        ImportOutcome::AlreadyKnown,
        "the same bytes as waiting.xml: recognised, not a second invoice"
    );
    assert_eq!(dropped.invoice_id, before.invoice_id);
    // Not an invoice file: ignored.
    std::fs::write(drop_dir.path().join("notes.txt"), b"hello").expect("txt");

    watch(&api, None);
    assert_eq!(api.watching(), None);
}

#[test]
fn a_missing_folder_is_refused_and_one_that_vanishes_raises_an_alert() {
    let dir = tempfile::tempdir().expect("data");
    let (api, _events) = open_real_clock(dir.path());
    let missing = dir.path().join("no-such-folder");
    let s = api.get_settings().expect("settings");
    let err = api
        .save_settings(Settings {
            watched_folder: Some(missing.display().to_string()),
            ..s.clone()
        })
        .expect_err("nothing to watch");
    assert_eq!(err.code, desk_api::error::codes::WATCHED_FOLDER);
    assert_eq!(api.get_settings().expect("settings").watched_folder, None);

    // Chosen while it existed, gone by the next start: the watch cannot start, a person is told.
    let erp = dir.path().join("erp");
    std::fs::create_dir(&erp).expect("folder");
    watch(&api, Some(&erp));
    assert_eq!(api.watching().as_deref(), Some(erp.as_path()));
    std::fs::remove_dir(&erp).expect("remove");
    let err = api.start_watching().expect_err("the folder is gone");
    assert_eq!(err.code, desk_api::error::codes::WATCHED_FOLDER);
    let alerts = api.list_alerts().expect("alerts");
    assert!(
        alerts
            .iter()
            .any(|a| a.kind == AlertKind::WatchedFolder && a.code == err.code),
        "{alerts:?}"
    );
    assert_eq!(api.watching(), None);
}
