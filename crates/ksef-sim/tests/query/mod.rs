//! `POST /invoices/query/metadata`: filters, paging, sorting and validation, every body checked against
//! the official schema.

use serde_json::{json, Value};

use crate::support::{config, invoice_xml, sha_b64, Harness, NIP, PROCESSING_MS};

const KEY: [u8; 32] = [0x33; 32];
const IV: [u8; 16] = [0x44; 16];
const PATH: &str = "/invoices/query/metadata";

/// Sends `numbers` (issued on `issue_date`s) in one session and lets them be accepted.
async fn accepted_invoices(h: &Harness, access: &str, invoices: &[(String, &str)]) -> Vec<Vec<u8>> {
    let session = h.open_online(access, &KEY, &IV).await;
    let mut files = Vec::new();
    for (number, issue_date) in invoices {
        let xml = invoice_xml(NIP, number, issue_date);
        h.send(access, &session, &KEY, &IV, &xml).await;
        files.push(xml);
    }
    h.advance_ms(PROCESSING_MS);
    files
}

/// Runs a query; returns (status, body), checking 200 bodies against the contract.
async fn query(h: &Harness, access: &str, params: &str, filters: Value) -> (u16, Value) {
    let (status, body) = h
        .post(&format!("{PATH}?{params}"), Some(access), Some(filters))
        .await;
    if status == 200 {
        h.contract.check(PATH, "post", 200, &body);
    }
    (status, body)
}

fn numbers(body: &Value) -> Vec<String> {
    body["invoices"]
        .as_array()
        .expect("invoices")
        .iter()
        .map(|i| i["invoiceNumber"].as_str().expect("number").to_string())
        .collect()
}

fn issued(from: &str, to: &str) -> Value {
    json!({"subjectType": "Subject1",
        "dateRange": {"dateType": "Issue", "from": from, "to": to}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoices_are_found_by_seller_and_number_with_their_metadata() {
    let h = Harness::start(config()).await;
    let (access, _) = h.authenticate().await;
    let files = accepted_invoices(
        &h,
        &access,
        &[
            ("FV/1".to_string(), "2026-02-09"),
            ("FV/2".to_string(), "2026-02-10"),
        ],
    )
    .await;
    let mut filters = issued("2026-02-01T00:00:00Z", "2026-02-11T00:00:00Z");
    filters["sellerNip"] = json!(NIP);
    filters["invoiceNumber"] = json!("FV/2");
    let (status, body) = query(&h, &access, "pageSize=10", filters).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(numbers(&body), ["FV/2"]);
    let found = &body["invoices"][0];
    assert_eq!(found["invoiceHash"], json!(sha_b64(&files[1])));
    assert_eq!(found["seller"]["nip"], NIP);
    assert_eq!(
        found["buyer"]["identifier"],
        json!({"type": "Nip", "value": "7352765225"})
    );
    assert_eq!(found["issueDate"], "2026-02-10");
    assert_eq!(found["invoicingMode"], "Online");
    assert_eq!(found["netAmount"], json!(100.0));
    assert_eq!(found["vatAmount"], json!(23.0));
    assert_eq!(found["grossAmount"], json!(123.0));
    assert_eq!(body["hasMore"], false);
    assert!(body.get("permanentStorageHwmDate").is_none());

    // The KSeF number the ledger holds finds the same invoice; an issue date before today is offline.
    let ledger = h.sim.ledger();
    let first = ledger
        .iter()
        .find(|e| e.invoice_number == "FV/1")
        .expect("FV/1 accepted");
    let mut filters = issued("2026-02-01T00:00:00Z", "2026-02-11T00:00:00Z");
    filters["ksefNumber"] = json!(first.ksef_number);
    let (_, body) = query(&h, &access, "", filters).await;
    assert_eq!(numbers(&body), ["FV/1"]);
    assert_eq!(body["invoices"][0]["invoicingMode"], "Offline");

    // Nobody else's role matches: we are not the buyer, and other sellers' numbers find nothing.
    let mut filters = issued("2026-02-01T00:00:00Z", "2026-02-11T00:00:00Z");
    filters["subjectType"] = json!("Subject2");
    assert_eq!(
        numbers(&query(&h, &access, "", filters).await.1),
        Vec::<String>::new()
    );
    let mut filters = issued("2026-02-01T00:00:00Z", "2026-02-11T00:00:00Z");
    filters["sellerNip"] = json!("7352765225");
    assert_eq!(
        numbers(&query(&h, &access, "", filters).await.1),
        Vec::<String>::new()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn date_ranges_pages_and_sort_order_are_honoured() {
    let h = Harness::start(config()).await;
    let (access, _) = h.authenticate().await;
    let days = [
        "2026-02-01",
        "2026-02-02",
        "2026-02-03",
        "2026-02-04",
        "2026-02-05",
        "2026-02-06",
    ];
    let mut sent = Vec::new();
    for (i, day) in days.iter().cycle().take(12).enumerate() {
        sent.push((format!("FV/{i:02}"), *day));
    }
    accepted_invoices(&h, &access, &sent).await;

    // Issue-date range: whole days, inclusive at both ends.
    let (_, body) = query(
        &h,
        &access,
        "pageSize=10",
        issued("2026-02-02T00:00:00Z", "2026-02-03T00:00:00Z"),
    )
    .await;
    let mut in_range = numbers(&body);
    in_range.sort();
    assert_eq!(in_range, ["FV/01", "FV/02", "FV/07", "FV/08"]);

    // Paging: 12 matches in pages of 10, ascending by issue date; Desc is the exact reverse.
    let all = issued("2026-02-01T00:00:00Z", "2026-02-10T00:00:00Z");
    let (_, first) = query(&h, &access, "pageSize=10&pageOffset=0", all.clone()).await;
    let (_, second) = query(&h, &access, "pageSize=10&pageOffset=1", all.clone()).await;
    assert_eq!(first["hasMore"], true);
    assert_eq!(second["hasMore"], false);
    let ascending: Vec<String> = numbers(&first)
        .into_iter()
        .chain(numbers(&second))
        .collect();
    assert_eq!(ascending.len(), 12);
    let dates: Vec<String> = [&first, &second]
        .iter()
        .flat_map(|b| b["invoices"].as_array().expect("invoices").clone())
        .map(|i| i["issueDate"].as_str().expect("date").to_string())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] <= w[1]), "{dates:?}");
    let (_, desc) = query(&h, &access, "pageSize=20&sortOrder=Desc", all).await;
    let mut reversed = numbers(&desc);
    reversed.reverse();
    assert_eq!(reversed, ascending);

    // Invoicing-date range in Warsaw local time (UTC+1 in February) and the storage high-water mark.
    for (date_range, expected) in [
        (
            json!({"dateType": "Invoicing", "from": "2026-02-10T10:59:00", "to": "2026-02-10T11:01:00"}),
            12,
        ),
        (
            json!({"dateType": "Invoicing", "from": "2026-02-10T11:01:00", "to": "2026-02-10T12:00:00"}),
            0,
        ),
        (
            json!({"dateType": "PermanentStorage", "from": "2026-02-10T00:00:00Z"}),
            12,
        ),
    ] {
        let filters = json!({"subjectType": "Subject1", "dateRange": date_range});
        let (_, body) = query(&h, &access, "pageSize=20", filters).await;
        assert_eq!(numbers(&body).len(), expected, "{date_range}");
        if date_range["dateType"] == "PermanentStorage" {
            assert!(body["permanentStorageHwmDate"].is_string(), "{body}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_queries_are_refused_with_21405_and_need_an_access_token() {
    let h = Harness::start(config()).await;
    let (access, _) = h.authenticate().await;
    let range = issued("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z");
    for (params, filters) in [
        ("pageSize=9", range.clone()),
        ("pageSize=251", range.clone()),
        ("", issued("2025-10-01T00:00:00Z", "2026-02-01T00:00:00Z")),
        ("", issued("2026-02-01T00:00:00Z", "2026-01-01T00:00:00Z")),
        (
            "",
            json!({"subjectType": "Subject9", "dateRange": range["dateRange"]}),
        ),
        ("", json!({"subjectType": "Subject1"})),
    ] {
        let (status, body) = query(&h, &access, params, filters.clone()).await;
        assert_eq!(status, 400, "{params} {filters}: {body}");
        h.contract.check_error(PATH, "post", 400, &body, false);
        assert!(body.to_string().contains("21405"), "{body}");
    }
    let (status, _) = h.post(PATH, None, Some(range)).await;
    assert_eq!(status, 401);
}
