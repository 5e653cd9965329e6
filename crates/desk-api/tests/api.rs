//! DeskApi against a real temporary data folder: settings, companies, demo invoices, the
//! invoice list and detail, the dictionary, imports with events, and a missing keyring.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use common::{open, open_with, NOW_MS, SEED};
use desk_api::demo::{self, Intent, Seller};
use desk_api::error::codes;
use desk_api::sandbox::{SANDBOX_NAME, SANDBOX_NIP};
use desk_api::secrets::SecretStore;
use desk_api::types::*;
use desk_api::{DeskError, DeskEvent, DeskResult};

/// How long a test waits for a background import's final event before failing.
const IMPORT_WAIT: Duration = Duration::from_secs(60);

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 21).expect("date")
}

fn query() -> InvoiceQuery {
    InvoiceQuery {
        states: Vec::new(),
        date_from: None,
        date_to: None,
        counterparty: None,
        number: None,
        ids: None,
        sort: InvoiceSort {
            column: SortColumn::InvoiceNumber,
            dir: SortDir::Asc,
        },
        after: None,
        offset: 0,
        limit: 100,
        skip_total: false,
    }
}

/// The demo invoices DeskApi will generate first: the generator is a pure function of the seed.
fn expected_demo(count: usize) -> Vec<demo::DemoInvoice> {
    let seller = Seller {
        nip: SANDBOX_NIP.to_owned(),
        name: SANDBOX_NAME.to_owned(),
    };
    demo::generate(&mut engine::rng::seeded(SEED), &seller, today(), count)
}

#[test]
fn settings_persist_across_a_new_desk_api_on_the_same_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = open(dir.path());
    let defaults = first.api.get_settings().expect("settings");
    assert_eq!(defaults.language, Language::Pl, "Polish is the default");
    assert!(defaults.notifications);
    // A watched folder must exist to be chosen.
    let erp = tempfile::tempdir().expect("watched folder");
    let changed = Settings {
        language: Language::En,
        notifications: false,
        watched_folder: Some(erp.path().display().to_string()),
        data_dir: "ignored".to_owned(),
    };
    first.api.save_settings(changed.clone()).expect("save");
    drop(first);

    let second = open(dir.path());
    let loaded = second.api.get_settings().expect("settings");
    assert_eq!(loaded.language, Language::En);
    assert!(!loaded.notifications);
    assert_eq!(loaded.watched_folder, changed.watched_folder);
    assert_eq!(loaded.data_dir, dir.path().display().to_string());
}

#[test]
fn first_run_creates_the_active_sandbox_company_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let companies = open(dir.path()).api.list_companies().expect("companies");
    assert_eq!(companies.len(), 1);
    let sandbox = &companies[0];
    assert_eq!(sandbox.environment, Environment::Sandbox);
    assert!(sandbox.active && sandbox.has_token);
    assert_eq!(sandbox.nip, SANDBOX_NIP);
    // A second start is not a first run.
    assert_eq!(
        open(dir.path()).api.list_companies().expect("companies"),
        companies
    );
}

#[test]
fn demo_invoices_import_with_the_counts_the_generator_intended() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = open(dir.path());
    let expected = expected_demo(40);
    let valid = expected
        .iter()
        .filter(|i| i.intent == Intent::Valid)
        .count();
    assert!(
        valid > 0 && valid < 40,
        "the seed gives both kinds ({valid} valid)"
    );

    let summary = f.api.generate_demo_invoices(40).expect("generate");
    assert_eq!(summary.imported as usize, valid);
    assert_eq!(summary.invalid as usize, 40 - valid);
    assert_eq!(summary.items.len(), 40);

    let all = f.api.list_invoices(query()).expect("list");
    assert_eq!(all.total, Some(40));
    let invalid = f
        .api
        .list_invoices(InvoiceQuery {
            states: vec![InvoiceState::Invalid],
            ..query()
        })
        .expect("list invalid");
    assert_eq!(invalid.total, i64::try_from(40 - valid).ok());
    assert!(invalid
        .rows
        .iter()
        .all(|r| r.state == InvoiceState::Invalid));

    // Sorted by number, ascending, as asked.
    let numbers: Vec<_> = all
        .rows
        .iter()
        .filter_map(|r| r.invoice_number.clone())
        .collect();
    let mut sorted = numbers.clone();
    sorted.sort();
    assert_eq!(numbers, sorted);

    // Every valid row carries the gross total the generator computed.
    for inv in expected.iter().filter(|i| i.intent == Intent::Valid) {
        let number = fa3::Fa3Document::read(inv.xml.as_bytes())
            .expect("read")
            .number;
        let row = all
            .rows
            .iter()
            .find(|r| r.invoice_number == number)
            .expect("row for every valid invoice");
        assert_eq!(row.gross_minor, Some(inv.gross_minor));
        assert_eq!(row.state, InvoiceState::Queued);
    }
}

#[test]
fn detail_shows_findings_and_history_from_the_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = open(dir.path());
    let summary = f.api.generate_demo_invoices(40).expect("generate");
    let invalid_id = summary
        .items
        .iter()
        .find(|i| i.outcome == ImportOutcome::Invalid)
        .and_then(|i| i.invoice_id)
        .expect("an invalid invoice");
    let detail = f.api.invoice_detail(invalid_id).expect("detail");
    assert_eq!(detail.row.state, InvoiceState::Invalid);
    assert!(detail
        .findings
        .iter()
        .any(|x| x.severity == FindingSeverity::Error));
    assert_eq!(detail.events.len(), 1, "one creation event");
    assert_eq!(detail.events[0].to_state, Some(InvoiceState::Invalid));
    assert_eq!(detail.events[0].at, NOW_MS);
    assert_eq!(detail.sha256.len(), 64);

    let queued_id = summary
        .items
        .iter()
        .find(|i| i.outcome == ImportOutcome::Imported)
        .and_then(|i| i.invoice_id)
        .expect("a queued invoice");
    let detail = f.api.invoice_detail(queued_id).expect("detail");
    assert_eq!(detail.seller_nip.as_deref(), Some(SANDBOX_NIP));
    assert_eq!(detail.invoice_type.as_deref(), Some("VAT"));
    assert!(detail
        .findings
        .iter()
        .all(|x| x.severity != FindingSeverity::Error));

    let missing = f.api.invoice_detail(999_999).expect_err("no such invoice");
    assert_eq!(missing.code, "engine.invoice_not_found");
}

#[test]
fn list_restricted_to_ids_returns_exactly_those() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = open(dir.path());
    let summary = f.api.generate_demo_invoices(12).expect("generate");
    let ids: Vec<i64> = summary
        .items
        .iter()
        .filter_map(|i| i.invoice_id)
        .take(3)
        .collect();
    let page = f
        .api
        .list_invoices(InvoiceQuery {
            ids: Some(ids.clone()),
            ..query()
        })
        .expect("list");
    assert_eq!(page.total, Some(3));
    let mut got: Vec<i64> = page.rows.iter().map(|r| r.id).collect();
    got.sort_unstable();
    assert_eq!(got, ids);
}

#[test]
fn id_selection_pages_in_sql_and_an_empty_selection_selects_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = open(dir.path());
    let summary = f.api.generate_demo_invoices(12).expect("generate");
    let mut ids: Vec<i64> = summary.items.iter().filter_map(|i| i.invoice_id).collect();
    ids.truncate(5);
    let second_page = f
        .api
        .list_invoices(InvoiceQuery {
            ids: Some(ids.clone()),
            offset: 3,
            limit: 3,
            ..query()
        })
        .expect("list");
    // The total counts the whole selection; the page is what is left after the offset.
    assert_eq!(second_page.total, Some(5));
    assert_eq!(second_page.rows.len(), 2);
    assert!(second_page.rows.iter().all(|r| ids.contains(&r.id)));
    let nothing = f
        .api
        .list_invoices(InvoiceQuery {
            ids: Some(Vec::new()),
            ..query()
        })
        .expect("list");
    assert_eq!(nothing.total, Some(0));
    assert!(nothing.rows.is_empty());
}

#[test]
fn dictionary_has_every_builtin_code_in_both_languages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let entries = open(dir.path()).api.dictionary();
    let builtin = dictionary::Dictionary::builtin();
    assert_eq!(entries.len(), builtin.all(dictionary::Lang::Pl).len());
    let entry = entries
        .iter()
        .find(|e| e.code == "business.issue_date_in_future")
        .expect("a known fa3 code");
    let en = builtin
        .get("business.issue_date_in_future", dictionary::Lang::En)
        .expect("en");
    assert_eq!(entry.en.title, en.title);
    assert_ne!(entry.pl.title, entry.en.title);
    assert_eq!(entry.source, DictSource::Ksef);
}

#[test]
fn dashboard_counts_the_queue() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = open(dir.path());
    let summary = f.api.generate_demo_invoices(20).expect("generate");
    let board = f.api.dashboard().expect("dashboard");
    assert_eq!(board.queue_depth, i64::from(summary.imported));
    assert_eq!(
        board.counts.get(&InvoiceState::Invalid).copied(),
        Some(i64::from(summary.invalid))
    );
    assert_eq!(board.counts.len(), 8, "every state is listed");
    assert_eq!(board.ksef.environment, "sandbox");
    assert_eq!(
        f.api.engine_status().expect("status").queue_depth,
        board.queue_depth
    );
}

#[test]
fn invoice_counts_agree_with_the_list_and_the_dashboard() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = open(dir.path());
    let summary = f.api.generate_demo_invoices(30).expect("generate");
    let counts = f.api.invoice_counts().expect("counts");
    assert_eq!(counts.len(), 8, "every state is listed");
    assert_eq!(
        counts.values().sum::<i64>(),
        i64::try_from(summary.items.len()).expect("small")
    );
    // Each state's count is what the list filtered to that state finds.
    for (state, count) in &counts {
        let listed = f
            .api
            .list_invoices(InvoiceQuery {
                states: vec![*state],
                ..query()
            })
            .expect("list");
        assert_eq!(listed.total, Some(*count), "{state:?}");
    }
    assert_eq!(f.api.dashboard().expect("dashboard").counts, counts);
}

#[test]
fn a_page_can_skip_the_total_and_still_has_the_same_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = open(dir.path());
    f.api.generate_demo_invoices(12).expect("generate");
    let page = |skip_total| {
        f.api
            .list_invoices(InvoiceQuery {
                offset: 4,
                limit: 5,
                skip_total,
                ..query()
            })
            .expect("list")
    };
    let (counted, skipped) = (page(false), page(true));
    assert_eq!(counted.total, Some(12));
    assert_eq!(skipped.total, None);
    assert_eq!(skipped.rows.len(), 5);
    assert_eq!(skipped.rows, counted.rows);
    let empty_selection = f
        .api
        .list_invoices(InvoiceQuery {
            ids: Some(Vec::new()),
            skip_total: true,
            ..query()
        })
        .expect("list");
    assert_eq!(empty_selection.total, None);
}

#[test]
fn a_page_after_an_anchor_is_the_page_at_the_same_absolute_offset() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = open(dir.path());
    f.api.generate_demo_invoices(45).expect("generate");
    let every = 10_u32;
    let columns = [
        SortColumn::InvoiceNumber,
        SortColumn::Counterparty,
        SortColumn::IssueDate,
        SortColumn::Gross,
        SortColumn::State,
        SortColumn::KsefNumber,
        SortColumn::LastEventAt,
    ];
    let mut null_anchor_seen = false;
    for column in columns {
        for dir in [SortDir::Asc, SortDir::Desc] {
            let q = InvoiceQuery {
                sort: InvoiceSort { column, dir },
                limit: 7,
                skip_total: true,
                ..query()
            };
            let anchors = f.api.invoice_anchors(q.clone(), every).expect("anchors");
            assert_eq!(
                anchors.len(),
                4,
                "{column:?} {dir:?}: one per full block of 10"
            );
            null_anchor_seen |= anchors.iter().any(|a| a.value.is_none());
            for (block, anchor) in anchors.into_iter().enumerate() {
                // The key crosses the wire as JSON, as the webview sends it back.
                let json = serde_json::to_value(&anchor).expect("to json");
                let anchor: ListKey = serde_json::from_value(json).expect("from json");
                for offset in [0, 3, 9] {
                    let absolute = (u32::try_from(block).expect("small") + 1) * every + offset;
                    let by_offset = f
                        .api
                        .list_invoices(InvoiceQuery {
                            offset: absolute,
                            ..q.clone()
                        })
                        .expect("by offset");
                    let by_key = f
                        .api
                        .list_invoices(InvoiceQuery {
                            after: Some(anchor.clone()),
                            offset,
                            ..q.clone()
                        })
                        .expect("by key");
                    assert_eq!(
                        by_key.rows, by_offset.rows,
                        "{column:?} {dir:?} row {absolute}"
                    );
                }
            }
        }
    }
    assert!(
        null_anchor_seen,
        "some anchor lies among rows without a KSeF number"
    );
}

#[test]
fn a_key_of_the_wrong_kind_or_anchors_zero_rows_apart_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = open(dir.path());
    f.api.generate_demo_invoices(3).expect("generate");
    let wrong = |column, value| {
        f.api
            .list_invoices(InvoiceQuery {
                sort: InvoiceSort {
                    column,
                    dir: SortDir::Asc,
                },
                after: Some(ListKey { value, id: 1 }),
                ..query()
            })
            .expect_err("refused")
            .code
    };
    assert_eq!(
        wrong(SortColumn::InvoiceNumber, Some(ListKeyValue::Int(4))),
        codes::INVALID_INPUT
    );
    assert_eq!(
        wrong(SortColumn::Gross, Some(ListKeyValue::Text("4".into()))),
        codes::INVALID_INPUT
    );
    // Every row has a state and a last change: an empty key cannot come from an anchor.
    assert_eq!(wrong(SortColumn::LastEventAt, None), codes::INVALID_INPUT);
    let zero = f.api.invoice_anchors(query(), 0).expect_err("refused");
    assert_eq!(zero.code, codes::INVALID_INPUT);
}

#[test]
fn start_import_reports_progress_and_the_summary_as_events() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = open(dir.path());
    let samples = common::shared_ksef().join("samples/fa3-valid");
    let files: Vec<String> = [
        "FA_3_Przyklad_1.xml",
        "FA_3_Przyklad_2.xml",
        "FA_3_Przyklad_3.xml",
    ]
    .iter()
    .map(|n| samples.join(n).display().to_string())
    .collect();
    let job = f.api.start_import(files).expect("start");
    let mut progress = Vec::new();
    let finished = loop {
        match f
            .events
            .recv_timeout(IMPORT_WAIT)
            .expect("an event before the timeout")
        {
            DeskEvent::ImportProgress(p) => progress.push(p),
            DeskEvent::ImportFinished(done) => break done,
            _ => {}
        }
    };
    assert_eq!(finished.job_id, job.job_id);
    assert!(!finished.cancelled);
    assert_eq!(finished.summary.items.len(), 3);
    let done: Vec<u32> = progress.iter().map(|p| p.done).collect();
    assert_eq!(done, vec![1, 2, 3]);
    assert!(progress
        .iter()
        .all(|p| p.total == 3 && p.job_id == job.job_id));
    // The job is over, so it can no longer be cancelled.
    assert_eq!(
        f.api.cancel_import(job.job_id).expect_err("finished").code,
        codes::UNKNOWN_JOB
    );
}

/// A machine without a Secret Service: every keyring call fails the way `KeyringStore` reports it.
struct NoKeyring;

impl SecretStore for NoKeyring {
    fn set(&self, _reference: &str, _secret: &str) -> DeskResult<()> {
        Err(DeskError::new(
            codes::KEYRING_UNAVAILABLE,
            "no Secret Service",
        ))
    }
    fn get(&self, _reference: &str) -> DeskResult<Option<String>> {
        Err(DeskError::new(
            codes::KEYRING_UNAVAILABLE,
            "no Secret Service",
        ))
    }
}

#[test]
fn a_missing_keyring_is_a_typed_error_and_the_sandbox_keeps_working() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = open_with(dir.path(), Arc::new(NoKeyring));
    let err = f
        .api
        .add_company(NewCompany {
            name: "Firma Testowa".to_owned(),
            nip: "1111111111".to_owned(),
            environment: Environment::Test,
            token: "secret-token-value".to_owned(),
        })
        .expect_err("no keyring");
    assert_eq!(err.code, codes::KEYRING_UNAVAILABLE);
    assert!(!err.message.contains("secret-token-value"));
    // Nothing half-added; the Sandbox still lists, generates and queues.
    let companies = f.api.list_companies().expect("companies");
    assert_eq!(companies.len(), 1);
    assert_eq!(companies[0].environment, Environment::Sandbox);
    let summary = f
        .api
        .generate_demo_invoices(5)
        .expect("generate without a keyring");
    assert_eq!(summary.items.len(), 5);
}

#[test]
fn real_companies_keep_their_token_in_the_secret_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let secrets = Arc::new(desk_api::MemoryStore::default());
    let f = open_with(dir.path(), secrets.clone());
    let added = f
        .api
        .add_company(NewCompany {
            name: "Firma Testowa".to_owned(),
            nip: "1111111111".to_owned(),
            environment: Environment::Test,
            token: "tok-123".to_owned(),
        })
        .expect("add");
    assert!(added.has_token && !added.active);
    assert_eq!(
        secrets
            .get("company-1111111111-test")
            .expect("get")
            .as_deref(),
        Some("tok-123")
    );
    let bad = f
        .api
        .add_company(NewCompany {
            name: "Zła".to_owned(),
            nip: "1234567890".to_owned(),
            environment: Environment::Demo,
            token: "t".to_owned(),
        })
        .expect_err("bad NIP checksum");
    assert_eq!(bad.code, "business.nip_checksum");

    f.api.set_active_company(added.id).expect("activate");
    let listed = f.api.list_companies().expect("companies");
    assert_eq!(
        listed
            .iter()
            .filter(|c| c.active)
            .map(|c| c.id)
            .collect::<Vec<_>>(),
        vec![added.id]
    );
    // Demo invoices are a Sandbox feature.
    assert_eq!(
        f.api
            .generate_demo_invoices(3)
            .expect_err("not sandbox")
            .code,
        codes::INVALID_INPUT
    );
    // Persisted: a new DeskApi sees the same companies and active one.
    drop(f);
    let again = open_with(dir.path(), secrets);
    assert_eq!(again.api.list_companies().expect("companies"), listed);
}

#[test]
fn import_problems_become_one_grouped_notice_after_the_gather_window() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = open(dir.path());
    let summary = f.api.generate_demo_invoices(40).expect("generate");
    assert!(
        f.api.poll_notices().expect("poll").is_empty(),
        "still gathering"
    );
    f.clock.advance(desk_api::notify::NOTICE_GATHER_MS);
    let notices = f.api.poll_notices().expect("poll");
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].invoice_ids.len(), summary.invalid as usize);
    assert!(notices[0].title.starts_with(&summary.invalid.to_string()));
}

#[test]
fn the_sandbox_authenticates_through_the_real_client() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = open(dir.path());
    let sandbox = f.api.list_companies().expect("companies")[0].id;
    let result = f.api.test_connection(sandbox).expect("test");
    assert_eq!(
        result,
        ConnectionTest {
            ok: true,
            code: None,
            message: None
        }
    );
    assert!(f.api.sandbox_running());
    assert_eq!(
        f.api.engine_status().expect("status").ksef.state,
        KsefAvailability::Available
    );
}

#[test]
fn a_settings_file_that_still_lists_company_ids_loads_and_companies_come_from_the_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sandbox = open(dir.path()).api.list_companies().expect("companies")[0].id;
    // What builds before the store could list companies wrote (with a stale id in the list).
    let old = format!(
        r#"{{"language":"en","notifications":true,"watched_folder":null,"active_company":{sandbox},"companies":[{sandbox},99]}}"#
    );
    std::fs::write(dir.path().join(desk_api::settings::SETTINGS_FILE), old).expect("old file");
    let fx = open(dir.path());
    assert_eq!(
        fx.api.get_settings().expect("settings").language,
        Language::En
    );
    let added = fx
        .api
        .add_company(NewCompany {
            name: "Firma Testowa".to_owned(),
            nip: "1111111111".to_owned(),
            environment: Environment::Test,
            token: "token".to_owned(),
        })
        .expect("add");
    let ids: Vec<i64> = fx
        .api
        .list_companies()
        .expect("companies")
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(
        ids,
        vec![sandbox, added.id],
        "the store's companies, not the file's ids"
    );
    let stale = fx.api.set_active_company(99).expect_err("unknown company");
    assert_eq!(stale.code, "engine.company_not_found");
    fx.api.set_active_company(added.id).expect("switch");
    let rewritten =
        std::fs::read_to_string(dir.path().join(desk_api::settings::SETTINGS_FILE)).expect("file");
    assert!(!rewritten.contains("\"companies\""), "{rewritten}");
}

#[test]
fn remove_invalid_takes_only_invalid_rows_off_the_list_and_keeps_their_history() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fx = open(dir.path());
    let summary = fx.api.generate_demo_invoices(12).expect("demo");
    let all: Vec<i64> = summary.items.iter().filter_map(|i| i.invoice_id).collect();
    let invalid: Vec<i64> = summary
        .items
        .iter()
        .filter(|i| i.outcome == ImportOutcome::Invalid)
        .filter_map(|i| i.invoice_id)
        .collect();
    assert!(!invalid.is_empty(), "{summary:?}");
    let removed = fx.api.remove_invalid(all.clone()).expect("remove");
    assert_eq!(removed as usize, invalid.len());
    let page = fx.api.list_invoices(query()).expect("list");
    assert_eq!(page.total, i64::try_from(all.len() - invalid.len()).ok());
    assert!(page.rows.iter().all(|r| r.state != InvoiceState::Invalid));
    let kept = fx.api.invoice_detail(invalid[0]).expect("the row is kept");
    assert_eq!(kept.events.last().map(|e| e.actor), Some(EventActor::User));
    assert_eq!(fx.api.remove_invalid(all).expect("again"), 0);
}
