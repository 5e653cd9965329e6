//! The real app (commands, capabilities, CSP config) on Tauri's mock runtime: commands answer
//! through IPC from the app's own origin, errors arrive as `{ code, message }`, and what the
//! capabilities do not grant — core window commands, remote origins — is refused.

use desk_api::types::{Company, Environment, ImportSummary, InvoicePage, InvoiceState, ListKey};
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{Manager, WebviewWindow};

/// The origin the bundled UI runs at on Linux in tests (see TAURI-NOTES, gotcha 5).
const APP_ORIGIN: &str = "tauri://localhost";

fn app(dir: &std::path::Path) -> (tauri::App<MockRuntime>, WebviewWindow<MockRuntime>) {
    let app = ksef_desk::with_commands(tauri::test::mock_builder())
        .build(tauri::generate_context!())
        .expect("build the app on the mock runtime");
    // What `run`'s set-up does (set-up hooks only run with the event loop).
    let desk = ksef_desk::open_desk(app.handle(), dir.to_path_buf()).expect("open the data folder");
    app.manage(desk);
    // The mock runtime does not open the configured windows; open the main one by its label,
    // which is what the capability is bound to.
    let window = tauri::WebviewWindowBuilder::new(&app, ksef_desk::MAIN_WINDOW, Default::default())
        .build()
        .expect("the main window");
    (app, window)
}

fn invoke(
    window: &WebviewWindow<MockRuntime>,
    origin: &str,
    cmd: &str,
    body: Value,
) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: origin.parse().expect("url"),
        body: InvokeBody::Json(body),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(window, request).map(|body| body.deserialize::<Value>().expect("json"))
}

#[test]
fn commands_answer_through_ipc_with_snake_case_arguments() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_app, window) = app(dir.path());

    let companies: Vec<Company> = serde_json::from_value(
        invoke(&window, APP_ORIGIN, "list_companies", json!({})).expect("allowed"),
    )
    .expect("companies");
    assert_eq!(companies.len(), 1);
    assert_eq!(companies[0].environment, Environment::Sandbox);

    let summary: ImportSummary = serde_json::from_value(
        invoke(
            &window,
            APP_ORIGIN,
            "generate_demo_invoices",
            json!({ "count": 5 }),
        )
        .expect("allowed"),
    )
    .expect("summary");
    assert_eq!(summary.items.len(), 5);

    let q = json!({ "q": {
        "states": [], "date_from": null, "date_to": null, "counterparty": null, "number": null,
        "ids": null, "sort": { "column": "issue_date", "dir": "desc" }, "offset": 0, "limit": 50
    }});
    let page: InvoicePage = serde_json::from_value(
        invoke(&window, APP_ORIGIN, "list_invoices", q.clone()).expect("allowed"),
    )
    .expect("page");
    assert_eq!(page.total, Some(5));

    // Far pages start after an anchor: the key crosses IPC and back unchanged.
    let mut q = q;
    let anchors: Vec<ListKey> = serde_json::from_value(
        invoke(
            &window,
            APP_ORIGIN,
            "invoice_anchors",
            json!({ "q": q["q"].clone(), "every": 2 }),
        )
        .expect("allowed"),
    )
    .expect("anchors");
    assert_eq!(anchors.len(), 2, "rows 1 and 3 of 5");
    q["q"]["after"] = serde_json::to_value(&anchors[0]).expect("key");
    let after: InvoicePage =
        serde_json::from_value(invoke(&window, APP_ORIGIN, "list_invoices", q).expect("allowed"))
            .expect("page");
    assert_eq!(after.rows, page.rows[2..]);

    // The list's chips read the counts alone; the capability grants the command.
    let counts: std::collections::BTreeMap<InvoiceState, i64> = serde_json::from_value(
        invoke(&window, APP_ORIGIN, "invoice_counts", json!({})).expect("allowed"),
    )
    .expect("counts");
    assert_eq!(counts.values().sum::<i64>(), 5);

    // The app chrome reads the queue and KSeF's state alone.
    let status = invoke(&window, APP_ORIGIN, "engine_status", json!({})).expect("allowed");
    let waiting: i64 = [
        InvoiceState::Queued,
        InvoiceState::Sending,
        InvoiceState::Sent,
    ]
    .iter()
    .map(|s| counts.get(s).copied().unwrap_or(0))
    .sum();
    assert_eq!(status["queue_depth"].as_i64(), Some(waiting), "{status}");
    assert!(status["ksef"]["state"].is_string(), "{status}");
}

#[test]
fn errors_cross_ipc_as_code_and_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_app, window) = app(dir.path());
    let err = invoke(&window, APP_ORIGIN, "invoice_detail", json!({ "id": 4242 }))
        .expect_err("no such invoice");
    assert_eq!(err["code"], "engine.invoice_not_found");
    assert!(err["message"].is_string());
    // Cancelling a job that never ran: the argument name is the UI's snake_case `job_id`.
    let err = invoke(
        &window,
        APP_ORIGIN,
        "cancel_import",
        json!({ "job_id": 77 }),
    )
    .expect_err("unknown job");
    assert_eq!(err["code"], "desk.unknown_job");
}

/// The ACL's refusal text for `cmd` ("… not allowed …"), failing the test on any other answer.
fn refusal(answer: Result<Value, Value>) -> String {
    match answer {
        Err(Value::String(message)) if message.contains("not allowed") => message,
        other => panic!("expected an ACL refusal, got {other:?}"),
    }
}

#[test]
fn what_the_capabilities_do_not_grant_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_app, window) = app(dir.path());
    // A core command the UI does not use: no capability grants window control.
    let denied = refusal(invoke(
        &window,
        APP_ORIGIN,
        "plugin:window|close",
        json!({}),
    ));
    assert!(denied.contains("window"), "{denied}");
    // Our own command, granted to the app's origin, is refused to a remote one.
    let remote = refusal(invoke(
        &window,
        "https://example.com",
        "list_companies",
        json!({}),
    ));
    assert!(
        remote.contains("list_companies") || remote.contains("list-companies"),
        "{remote}"
    );
    // The dialog plugin is used from Rust only; the webview may not open dialogs itself.
    refusal(invoke(&window, APP_ORIGIN, "plugin:dialog|open", json!({})));
}
