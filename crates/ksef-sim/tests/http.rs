//! HTTP-level tests of the simulator through an independent minimal client, each response body checked
//! against the official OpenAPI schema.

mod query;
mod support;
mod xades;

use serde_json::{json, Value};
use support::{
    assert_valid_upo, config, crc8, exception_code, invoice_xml, sha_b64, Harness, NIP,
    PROCESSING_MS, TOKEN,
};

const KEY: [u8; 32] = [0x11; 32];
const IV: [u8; 16] = [0x22; 16];
const TODAY: &str = "2026-02-10";

/// The authentication flow: 100 while processing, 200 after, redeem once, refresh, access expiry → 401.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_flow_follows_the_documented_states_and_token_rules() {
    let h = Harness::start(config()).await;
    let (reference, auth_token) = h.start_auth(NIP, TOKEN).await;
    let status = h.auth_status(&reference, &auth_token).await;
    assert_eq!(status["status"]["code"], 100);
    h.advance_ms(PROCESSING_MS);
    let status = h.auth_status(&reference, &auth_token).await;
    assert_eq!(status["status"]["code"], 200);

    let (code, tokens) = h.post("/auth/token/redeem", Some(&auth_token), None).await;
    assert_eq!(code, 200);
    h.contract.check("/auth/token/redeem", "post", 200, &tokens);
    let (code, again) = h.post("/auth/token/redeem", Some(&auth_token), None).await;
    assert_eq!(code, 400);
    assert_eq!(exception_code(&again), 21301);
    h.contract
        .check_error("/auth/token/redeem", "post", 400, &again, false);

    let access = tokens["accessToken"]["token"].as_str().expect("access");
    let refresh = tokens["refreshToken"]["token"].as_str().expect("refresh");
    let limits = h
        .get_json("/limits/context", "/limits/context", access)
        .await;
    assert_eq!(limits["onlineSession"]["maxInvoices"], 10_000);

    // 15 minutes later the access token is refused with problem details; the refresh token still works.
    h.advance_ms(15 * 60 * 1000);
    let (code, headers, body) = h.get("/limits/context", Some(access)).await;
    assert_eq!(code, 401);
    assert_eq!(headers["content-type"], "application/problem+json");
    let body: Value = serde_json::from_slice(&body).expect("json");
    h.contract
        .check_error("/limits/context", "get", 401, &body, true);
    let (code, refreshed) = h.post("/auth/token/refresh", Some(refresh), None).await;
    assert_eq!(code, 200);
    h.contract
        .check("/auth/token/refresh", "post", 200, &refreshed);
    let fresh = refreshed["accessToken"]["token"].as_str().expect("token");
    h.get_json("/limits/context", "/limits/context", fresh)
        .await;
}

/// A token for another context, or an unknown one, ends the operation with 450, not a 400.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_ksef_token_fails_the_operation_with_450() {
    let h = Harness::start(config()).await;
    let (reference, auth_token) = h.start_auth(NIP, "not-the-token").await;
    h.advance_ms(PROCESSING_MS);
    let status = h.auth_status(&reference, &auth_token).await;
    assert_eq!(status["status"]["code"], 450);
    let (code, _) = h.post("/auth/token/redeem", Some(&auth_token), None).await;
    assert_eq!(code, 400);
}

/// Send → 200 with a KSeF number whose CRC-8 checks out → UPO that validates and matches x-ms-meta-hash.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn online_invoice_is_accepted_with_a_valid_ksef_number_and_a_verifiable_upo() {
    let h = Harness::start(config()).await;
    let (access, session) = open_session(&h).await;
    let xml = invoice_xml(NIP, "FV/2026/02/0001", TODAY);
    let invoice = h.send(&access, &session, &KEY, &IV, &xml).await;
    let pending = h.invoice_status(&session, &invoice, &access).await;
    assert_eq!(pending["status"]["code"], 100);
    h.advance_ms(PROCESSING_MS);
    let done = h.invoice_status(&session, &invoice, &access).await;
    assert_eq!(done["status"]["code"], 200, "{done}");
    assert_eq!(done["invoiceHash"], json!(sha_b64(&xml)));
    assert_eq!(done["invoiceNumber"], "FV/2026/02/0001");
    assert_eq!(done["invoicingMode"], "Online");
    let number = done["ksefNumber"].as_str().expect("ksefNumber");
    assert_eq!(number.len(), 35);
    assert!(number.starts_with(&format!("{NIP}-20260210-")));
    assert_eq!(
        &number[33..],
        format!("{:02X}", crc8(&number.as_bytes()[..32]))
    );

    // Pre-signed UPO URL: no token, body hash in x-ms-meta-hash, valid against the UPO XSD.
    let url = done["upoDownloadUrl"].as_str().expect("upoDownloadUrl");
    let response = h.http.get(url).send().await.expect("upo download");
    assert_eq!(response.status(), 200);
    let meta_hash = response.headers()["x-ms-meta-hash"]
        .to_str()
        .expect("ascii")
        .to_string();
    let upo = response.bytes().await.expect("body");
    assert_eq!(meta_hash, sha_b64(&upo));
    assert_valid_upo(&upo);
    let upo_text = String::from_utf8_lossy(&upo);
    assert!(upo_text.contains(&format!(
        "<NumerKSeFDokumentu>{number}</NumerKSeFDokumentu>"
    )));
    assert!(upo_text.contains(&format!(
        "<SkrotDokumentu>{}</SkrotDokumentu>",
        sha_b64(&xml)
    )));

    // The same UPO by KSeF number, with the token.
    let (code, _, by_number) = h
        .get(
            &format!("/sessions/{session}/invoices/ksef/{number}/upo"),
            Some(&access),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(by_number, upo.to_vec());

    // The invoice itself can be downloaded by its KSeF number, byte for byte.
    let (code, headers, file) = h
        .get(&format!("/invoices/ksef/{number}"), Some(&access))
        .await;
    assert_eq!(code, 200);
    assert_eq!(file, xml);
    assert_eq!(
        headers["x-ms-meta-hash"].to_str().expect("ascii"),
        sha_b64(&xml)
    );

    // Close: 170, then 200 with a session UPO page.
    let status = close_and_settle(&h, "online", &session, &access, 170).await;
    assert_eq!(status["successfulInvoiceCount"], 1);
    assert_session_upo_counts(&h, &status, 1).await;

    // The ledger records exactly this invoice.
    let ledger = h.sim.ledger();
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0].ksef_number, number);
    assert_eq!(ledger[0].session_reference_number, session);
}

/// The same seller + kind + number again (different bytes) → 440 with the original's session and number.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_invoice_is_rejected_with_440_pointing_at_the_original() {
    let h = Harness::start(config()).await;
    let (access, _) = h.authenticate().await;
    let first_session = h.open_online(&access, &KEY, &IV).await;
    let first = send_invoice(&h, &access, &first_session, "FV/DUP/1", TODAY).await;
    h.advance_ms(PROCESSING_MS);
    let original = h.invoice_status(&first_session, &first, &access).await;
    assert_eq!(original["status"]["code"], 200);

    let second_session = h.open_online(&access, &KEY, &IV).await;
    let mut other_bytes = invoice_xml(NIP, "FV/DUP/1", TODAY);
    other_bytes.extend_from_slice(b"\n");
    let second = h
        .send(&access, &second_session, &KEY, &IV, &other_bytes)
        .await;
    h.advance_ms(PROCESSING_MS);
    let dup = h.invoice_status(&second_session, &second, &access).await;
    assert_eq!(dup["status"]["code"], 440, "{dup}");
    assert_eq!(
        dup["status"]["extensions"]["originalSessionReferenceNumber"],
        json!(first_session)
    );
    assert_eq!(
        dup["status"]["extensions"]["originalKsefNumber"],
        original["ksefNumber"]
    );
    let failed = h
        .get_json(
            &format!("/sessions/{second_session}/invoices/failed"),
            "/sessions/{referenceNumber}/invoices/failed",
            &access,
        )
        .await;
    assert_eq!(failed["invoices"].as_array().map(Vec::len), Some(1));
    assert_eq!(h.sim.ledger().len(), 1);
}

/// A wrong invoiceHash is refused synchronously with 21403, in both error shapes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hash_mismatch_is_refused_with_21403_in_both_error_shapes() {
    let h = Harness::start(config()).await;
    let (access, session) = open_session(&h).await;
    let mut body = Harness::send_body(&KEY, &IV, &invoice_xml(NIP, "FV/H/1", TODAY));
    body["invoiceHash"] = json!(sha_b64(b"something else"));
    let (_, headers, legacy) = refused(&h, &access, &session, &body, 400, false).await;
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(exception_code(&legacy), 21403);
    let (_, headers, problem) = refused(&h, &access, &session, &body, 400, true).await;
    assert_eq!(headers["content-type"], "application/problem+json");
    assert_eq!(problem["errors"][0]["code"], 21403);
}

/// With production limits, the 11th invoice within one second gets 429 with Retry-After.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoice_send_beyond_ten_per_second_gets_429_with_retry_after() {
    let mut cfg = config();
    cfg.limits = ksef_sim::LimitsMode::Table(ksef_sim::RateTable::production());
    let h = Harness::start(cfg).await;
    let (access, session) = open_session(&h).await;
    let path = format!("/sessions/online/{session}/invoices");
    for i in 0..10 {
        let body = Harness::send_body(&KEY, &IV, &invoice_xml(NIP, &format!("FV/RL/{i}"), TODAY));
        let (code, _) = h.post(&path, Some(&access), Some(body)).await;
        assert_eq!(code, 202, "request {i}");
    }
    let body = Harness::send_body(&KEY, &IV, &invoice_xml(NIP, "FV/RL/10", TODAY));
    let (_, headers, _) = refused(&h, &access, &session, &body, 429, false).await;
    let retry: u64 = headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(retry >= 1);
    refused(&h, &access, &session, &body, 429, true).await;
    // After the advertised wait (and the doubled block of the repeated breach) the group is open again.
    h.advance_ms(i64::try_from(retry * 4 * 1000).expect("small"));
    let (code, _) = h.post(&path, Some(&access), Some(body)).await;
    assert_eq!(code, 202);
    let limits = h.get_json("/rate-limits", "/rate-limits", &access).await;
    assert_eq!(
        limits["invoiceSend"],
        json!({"perSecond": 10, "perMinute": 30, "perHour": 180})
    );
    assert_eq!(limits.as_object().map(|o| o.len()), Some(12));
    assert!(h.sim.stats().rate_limited >= 2);
}

/// Drop-after-commit: the client sees a connection error, yet the invoice was taken and gets accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_after_commit_loses_the_answer_but_not_the_invoice() {
    let h = Harness::start(config()).await;
    let (access, session) = open_session(&h).await;
    assert_eq!(h.set_faults(json!({"faultDropResponse": 1.0})).await, 200);
    let xml = invoice_xml(NIP, "FV/DROP/1", TODAY);
    let body = Harness::send_body(&KEY, &IV, &xml);
    let result = try_send_body(&h, &access, &session, body, &[]).await;
    let error = result.expect_err("the connection is dropped");
    assert!(
        !error.is_status(),
        "a transport error, not an HTTP status: {error}"
    );
    assert_eq!(h.set_faults(json!({"faultDropResponse": 0.0})).await, 200);
    h.advance_ms(PROCESSING_MS);
    let ledger: Vec<Value> = fetch_json(h.http.get(format!("{}/_sim/ledger", h.root))).await;
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0]["invoiceNumber"], "FV/DROP/1");
    assert_eq!(ledger[0]["invoiceHash"], json!(sha_b64(&xml)));
    assert_eq!(h.sim.stats().faults_injected, 1);
}

/// Timeout fault: the connection drops and nothing was done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_fault_drops_the_connection_without_an_effect() {
    let mut cfg = config();
    cfg.faults.timeout_hold_ms = 0;
    let h = Harness::start(cfg).await;
    let (access, session) = open_session(&h).await;
    assert_eq!(h.set_faults(json!({"faultTimeout": 1.0})).await, 200);
    let body = Harness::send_body(&KEY, &IV, &invoice_xml(NIP, "FV/TO/1", TODAY));
    let result = try_send_body(&h, &access, &session, body, &[]).await;
    assert!(result.is_err());
    h.advance_ms(PROCESSING_MS);
    assert!(h.sim.ledger().is_empty());
}

/// A session left open past 12 h is closed by the clock; with no invoices it ends 440.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn online_session_expires_after_twelve_hours() {
    let mut cfg = config();
    cfg.access_token_ttl_ms = 13 * 3600 * 1000;
    let h = Harness::start(cfg).await;
    let (access, session) = open_session(&h).await;
    h.advance_ms(12 * 3600 * 1000);
    let body = Harness::send_body(&KEY, &IV, &invoice_xml(NIP, "FV/EXP/1", TODAY));
    let (code, refused) = h
        .post(
            &format!("/sessions/online/{session}/invoices"),
            Some(&access),
            Some(body),
        )
        .await;
    assert_eq!(code, 400);
    assert_eq!(exception_code(&refused), 21180);
    h.advance_ms(PROCESSING_MS);
    let status = h.session_status(&session, &access).await;
    assert_eq!(status["status"]["code"], 440);
}

/// After rotation the old publicKeyId is refused with 21470 and the new one works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotated_key_id_is_refused_with_21470() {
    let h = Harness::start(config()).await;
    let (access, _) = h.authenticate().await;
    let old = h.encryption(&KEY, &IV).await;
    let rotate = h
        .http
        .post(format!("{}/_sim/rotate-keys", h.root))
        .send()
        .await
        .expect("rotate");
    assert_eq!(rotate.status(), 204);
    let form = json!({"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"});
    let (code, refused) = h
        .post(
            "/sessions/online",
            Some(&access),
            Some(json!({"formCode": form, "encryption": old})),
        )
        .await;
    assert_eq!(code, 400);
    assert_eq!(exception_code(&refused), 21470);
    h.open_online(&access, &KEY, &IV).await;
}

/// Lists page with a continuation token; a forged token is 21418.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_lists_page_and_reject_bad_continuation_tokens() {
    let h = Harness::start(config()).await;
    let (access, _) = h.authenticate().await;
    for _ in 0..12 {
        h.open_online(&access, &KEY, &IV).await;
    }
    let first = h
        .get_json(
            "/sessions?sessionType=Online&pageSize=10",
            "/sessions",
            &access,
        )
        .await;
    assert_eq!(first["sessions"].as_array().map(Vec::len), Some(10));
    let token = first["continuationToken"].as_str().expect("more pages");
    let second = h
        .http
        .get(format!(
            "{}/sessions?sessionType=Online&pageSize=10&statuses=InProgress",
            h.base
        ))
        .bearer_auth(&access)
        .header("x-continuation-token", token)
        .send()
        .await
        .expect("page 2");
    let second: Value = second.json().await.expect("json");
    h.contract.check("/sessions", "get", 200, &second);
    assert_eq!(second["sessions"].as_array().map(Vec::len), Some(2));
    assert!(second.get("continuationToken").is_none());
    let bad = h
        .http
        .get(format!("{}/sessions?sessionType=Online", h.base))
        .bearer_auth(&access)
        .header("x-continuation-token", "garbage")
        .send()
        .await
        .expect("answer");
    assert_eq!(bad.status(), 400);
    let bad: Value = bad.json().await.expect("json");
    assert_eq!(exception_code(&bad), 21418);
    let (code, _, _) = h.get("/sessions", Some(&access)).await;
    assert_eq!(code, 400, "sessionType is required");
}

/// Authenticates and opens an online session with this file's key: (access token, session reference).
async fn open_session(h: &Harness) -> (String, String) {
    let (access, _) = h.authenticate().await;
    let session = h.open_online(&access, &KEY, &IV).await;
    (access, session)
}

/// Sends the test invoice `number` issued on `issue_date` into `session`; returns the invoice reference.
async fn send_invoice(
    h: &Harness,
    access: &str,
    session: &str,
    number: &str,
    issue_date: &str,
) -> String {
    let xml = invoice_xml(NIP, number, issue_date);
    h.send(access, session, &KEY, &IV, &xml).await
}

/// Sends a request built outside the harness's helpers (another base URL, the admin API) and parses its JSON body.
async fn fetch_json<T: serde::de::DeserializeOwned>(request: reqwest::RequestBuilder) -> T {
    let response = request.send().await.expect("request completes");
    response.json().await.expect("json body")
}

/// Closes a `kind` session (204), which reports `closing_code` until the processing delay has passed
/// and 200 after it; returns that final status.
async fn close_and_settle(
    h: &Harness,
    kind: &str,
    session: &str,
    access: &str,
    closing_code: u16,
) -> Value {
    assert_eq!(h.close_session(kind, session, access).await, 204);
    let status = h.session_status(session, access).await;
    assert_eq!(status["status"]["code"], closing_code, "{status}");
    h.advance_ms(PROCESSING_MS);
    let status = h.session_status(session, access).await;
    assert_eq!(status["status"]["code"], 200, "{status}");
    status
}

/// Downloads the first session UPO page `status` names; it must pass the UPO XSD and count `documents`.
async fn assert_session_upo_counts(h: &Harness, status: &Value, documents: usize) {
    let page_url = status["upo"]["pages"][0]["downloadUrl"]
        .as_str()
        .expect("page url");
    let page = h.download(page_url).await;
    assert_valid_upo(&page);
    let count = format!("<CalkowitaLiczbaDokumentow>{documents}</CalkowitaLiczbaDokumentow>");
    assert!(
        String::from_utf8_lossy(&page).contains(&count),
        "the session UPO does not count {documents} documents"
    );
}

/// One answer of the harness's `try_post`: (status, headers, JSON body or `Null`).
type Answer = (u16, reqwest::header::HeaderMap, Value);

/// Posts a ready send-invoice `body` into `session` with extra `headers`; transport errors are returned.
async fn try_send_body(
    h: &Harness,
    access: &str,
    session: &str,
    body: Value,
    headers: &[(&str, &str)],
) -> Result<Answer, reqwest::Error> {
    let path = format!("/sessions/online/{session}/invoices");
    h.try_post(&path, Some(access), Some(body), headers).await
}

/// Sends `body` into `session`, asking for the problem-details error shape or the default
/// `ExceptionResponse`; the answer must carry `status` and match the contract's schema for that shape.
async fn refused(
    h: &Harness,
    access: &str,
    session: &str,
    body: &Value,
    status: u16,
    problem_details: bool,
) -> Answer {
    let headers: &[(&str, &str)] = if problem_details {
        &[("X-Error-Format", "problem-details")]
    } else {
        &[]
    };
    let answer = try_send_body(h, access, session, body.clone(), headers)
        .await
        .expect("answer");
    assert_eq!(
        answer.0, status,
        "problem details {problem_details}: {}",
        answer.2
    );
    let template = "/sessions/online/{referenceNumber}/invoices";
    h.contract
        .check_error(template, "post", status, &answer.2, problem_details);
    answer
}

/// The contract checker itself must be able to fail, or every check above would prove nothing.
#[test]
fn contract_checker_rejects_bodies_that_break_the_schema() {
    let contract = support::contract::Contract::load();
    let good = json!({"referenceNumber": "20260210-SO-0000000000-0000000000-00", "validUntil": "2026-02-10T22:00:00.000Z"});
    contract.check("/sessions/online", "post", 201, &good);
    for bad in [
        json!({"validUntil": "2026-02-10T22:00:00.000Z"}),
        json!({"referenceNumber": "too-short", "validUntil": "2026-02-10T22:00:00.000Z"}),
    ] {
        let outcome =
            std::panic::catch_unwind(|| contract.check("/sessions/online", "post", 201, &bad));
        assert!(outcome.is_err(), "accepted {bad}");
    }
}

fn zip_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    use std::io::Write;
    let mut bytes = Vec::new();
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(&mut bytes));
    for (name, content) in files {
        writer
            .start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .expect("start file");
        writer.write_all(content).expect("write file");
    }
    writer.finish().expect("finish zip");
    bytes
}

/// Opens a batch for `archive` split into `parts` byte ranges; returns (reference, upload requests, encrypted parts).
async fn open_batch(
    h: &Harness,
    access: &str,
    archive: &[u8],
    parts: usize,
) -> (String, Vec<Value>, Vec<Vec<u8>>) {
    let chunk = archive.len().div_ceil(parts);
    let encrypted: Vec<Vec<u8>> = archive
        .chunks(chunk)
        .map(|c| support::aes_encrypt(&KEY, &IV, c))
        .collect();
    let file_parts: Vec<Value> = encrypted
        .iter()
        .enumerate()
        .map(|(i, p)| json!({"ordinalNumber": i + 1, "fileSize": p.len(), "fileHash": sha_b64(p)}))
        .collect();
    let body = json!({
        "formCode": {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"},
        "batchFile": {"fileSize": archive.len(), "fileHash": sha_b64(archive), "fileParts": file_parts},
        "encryption": h.encryption(&KEY, &IV).await,
    });
    let (code, opened) = h.post("/sessions/batch", Some(access), Some(body)).await;
    assert_eq!(code, 201, "{opened}");
    h.contract.check("/sessions/batch", "post", 201, &opened);
    let requests = opened["partUploadRequests"]
        .as_array()
        .expect("requests")
        .clone();
    (
        opened["referenceNumber"].as_str().expect("ref").to_string(),
        requests,
        encrypted,
    )
}

async fn upload(h: &Harness, request: &Value, bytes: Vec<u8>) -> u16 {
    let mut put = h.http.put(request["url"].as_str().expect("url"));
    for (name, value) in request["headers"].as_object().expect("headers") {
        put = put.header(name.as_str(), value.as_str().expect("header value"));
    }
    put.body(bytes)
        .send()
        .await
        .expect("upload")
        .status()
        .as_u16()
}

/// 120 invoices (one of them broken) in a ZIP split into 3 encrypted parts: each judged on its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_of_many_invoices_across_parts_is_processed_invoice_by_invoice() {
    let h = Harness::start(config()).await;
    let (access, _) = h.authenticate().await;
    let mut files: Vec<(String, Vec<u8>)> = (0..119)
        .map(|i| {
            (
                format!("inv-{i:03}.xml"),
                invoice_xml(NIP, &format!("FV/B/{i:03}"), TODAY),
            )
        })
        .collect();
    files.push(("broken.xml".into(), b"<Faktura>not closed".to_vec()));
    let archive = zip_of(&files);
    let (session, requests, encrypted) = open_batch(&h, &access, &archive, 3).await;
    assert_eq!(requests.len(), 3);
    for (request, part) in requests.iter().zip(encrypted) {
        assert_eq!(upload(&h, request, part).await, 201);
    }
    let status = close_and_settle(&h, "batch", &session, &access, 150).await;
    assert_eq!(status["invoiceCount"], 120);
    assert_eq!(status["successfulInvoiceCount"], 119);
    assert_eq!(status["failedInvoiceCount"], 1);

    let list_path = format!("/sessions/{session}/invoices?pageSize=100");
    let first = h
        .get_json(&list_path, "/sessions/{referenceNumber}/invoices", &access)
        .await;
    assert_eq!(first["invoices"].as_array().map(Vec::len), Some(100));
    let failed = h
        .get_json(
            &format!("/sessions/{session}/invoices/failed"),
            "/sessions/{referenceNumber}/invoices/failed",
            &access,
        )
        .await;
    assert_eq!(failed["invoices"][0]["invoiceFileName"], "broken.xml");
    assert_eq!(failed["invoices"][0]["status"]["code"], 430);

    assert_session_upo_counts(&h, &status, 119).await;
    assert_eq!(h.sim.ledger().len(), 119);
}

/// Closing before every declared part arrived is refused with 21205; an unsigned upload is 403.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_close_requires_every_part_and_uploads_require_the_signature() {
    let h = Harness::start(config()).await;
    let (access, _) = h.authenticate().await;
    let archive = zip_of(&[("a.xml".into(), invoice_xml(NIP, "FV/P/1", TODAY))]);
    let (session, requests, mut encrypted) = open_batch(&h, &access, &archive, 2).await;
    let second = encrypted.pop().expect("two parts");
    let first = encrypted.pop().expect("two parts");
    assert_eq!(upload(&h, &requests[0], first).await, 201);
    let (code, refused) = h
        .post(
            &format!("/sessions/batch/{session}/close"),
            Some(&access),
            None,
        )
        .await;
    assert_eq!(code, 400);
    assert_eq!(exception_code(&refused), 21205);
    let mut forged = requests[1].clone();
    forged["url"] = json!(forged["url"]
        .as_str()
        .expect("url")
        .replace("sig=", "sig=0"));
    assert_eq!(upload(&h, &forged, second.clone()).await, 403);
    // The window is parts × 20 minutes: after 40 minutes the genuine URL is refused too.
    h.advance_ms(40 * 60 * 1000);
    assert_eq!(upload(&h, &requests[1], second).await, 403);
}

/// Outage windows: 503 for every API call until stopped; forced rejection gives the next invoice the code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_outage_and_forced_rejection_take_effect() {
    let h = Harness::start(config()).await;
    let (access, session) = open_session(&h).await;
    assert_eq!(h.set_faults(json!({"outage": {"mode": "503"}})).await, 200);
    let (code, _, _) = h.get(&format!("/sessions/{session}"), Some(&access)).await;
    assert_eq!(code, 503);
    assert_eq!(
        h.set_faults(json!({"stopOutage": true, "rejectNext": {"code": 450}}))
            .await,
        200
    );
    let first = send_invoice(&h, &access, &session, "FV/F/1", TODAY).await;
    let second = send_invoice(&h, &access, &session, "FV/F/2", TODAY).await;
    h.advance_ms(PROCESSING_MS);
    let rejected = h.invoice_status(&session, &first, &access).await;
    assert_eq!(rejected["status"]["code"], 450);
    let accepted = h.invoice_status(&session, &second, &access).await;
    assert_eq!(accepted["status"]["code"], 200);
    let (code, _) = h
        .post("/_sim/faults", None, Some(json!({"fault5xx": 2.0})))
        .await;
    assert_eq!(code, 404, "admin lives at the root, not under /v2");
    assert_eq!(h.set_faults(json!({"fault5xx": 2.0})).await, 400);
    assert_eq!(h.set_faults(json!({"fault5xx": 1.0})).await, 200);
    let (code, _, _) = h.get(&format!("/sessions/{session}"), Some(&access)).await;
    assert_eq!(code, 500);
    // Public endpoints are never faulted: clients can always start over.
    let (code, _) = h.post("/auth/challenge", None, None).await;
    assert_eq!(code, 200);
    assert_eq!(h.sim.stats().faults_injected, 1);
}

/// TE echoes X-Test-System-Warning and accepts test-data set-up calls.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_environment_echoes_warnings_and_accepts_test_data_calls() {
    let h = Harness::start(config()).await;
    let (_, headers, _) = h
        .try_post(
            "/auth/challenge",
            None,
            None,
            &[("X-Test-System-Warning", "[1]: planned maintenance")],
        )
        .await
        .expect("answer");
    assert_eq!(headers["x-system-warning"], "[1]: planned maintenance");
    let (code, _) = h
        .post(
            "/testdata/person",
            None,
            Some(
                json!({"nip": NIP, "pesel": "90010112345", "isBailiff": false, "description": "t"}),
            ),
        )
        .await;
    assert_eq!(code, 200, "TE test-data set-up calls succeed");
}

/// With the FA(3) XSD loaded, an invoice that breaks it (no JST/GV) is refused 430; a P_1 after today is 450.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_uses_the_xsd_and_the_acceptance_day() {
    let mut cfg = config();
    cfg.schemas_dir = Some(support::shared().join("schemas"));
    let h = Harness::start(cfg).await;
    let (access, session) = open_session(&h).await;
    let xsd_invalid = String::from_utf8(invoice_xml(NIP, "FV/X/1", TODAY))
        .expect("utf-8")
        .replace("<JST>2</JST><GV>2</GV>", "");
    let bad_xsd = h
        .send(&access, &session, &KEY, &IV, xsd_invalid.as_bytes())
        .await;
    let future = send_invoice(&h, &access, &session, "FV/X/2", "2026-02-11").await;
    let fine = send_invoice(&h, &access, &session, "FV/X/3", TODAY).await;
    h.advance_ms(PROCESSING_MS);
    let code_of = |v: Value| v["status"]["code"].clone();
    assert_eq!(
        code_of(h.invoice_status(&session, &bad_xsd, &access).await),
        430
    );
    assert_eq!(
        code_of(h.invoice_status(&session, &future, &access).await),
        450
    );
    assert_eq!(
        code_of(h.invoice_status(&session, &fine, &access).await),
        200
    );
}

/// An earlier-day P_1 marks the invoice Offline even without offlineMode (§10).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn earlier_issue_date_is_invoiced_offline() {
    let h = Harness::start(config()).await;
    let (access, session) = open_session(&h).await;
    let invoice = send_invoice(&h, &access, &session, "FV/O/1", "2026-02-09").await;
    h.advance_ms(PROCESSING_MS);
    let done = h.invoice_status(&session, &invoice, &access).await;
    assert_eq!(done["invoicingMode"], "Offline");
}

/// With a state directory, a restarted simulator keeps tokens, sessions, the ledger and duplicate detection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_survives_a_restart_through_the_state_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = config();
    cfg.state_dir = Some(dir.path().to_path_buf());
    let h = Harness::start(cfg.clone()).await;
    let (access, session) = open_session(&h).await;
    send_invoice(&h, &access, &session, "FV/S/1", TODAY).await;
    h.advance_ms(PROCESSING_MS);
    let before = h.sim.ledger();
    assert_eq!(before.len(), 1);
    h.sim.save().expect("state saved");

    let restarted = ksef_sim::Simulator::new(cfg, h.clock.clone()).expect("restarts from state");
    let (base, _task) = restarted
        .serve("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("serves");
    assert_eq!(restarted.ledger(), before);
    let status: Value = fetch_json(
        h.http
            .get(format!("{base}/sessions/{session}"))
            .bearer_auth(&access),
    )
    .await;
    assert_eq!(
        status["status"]["code"], 100,
        "the session is still open: {status}"
    );
    let path = format!("{base}/sessions/online/{session}/invoices");
    let again = Harness::send_body(&KEY, &IV, &invoice_xml(NIP, "FV/S/1", TODAY));
    let sent: Value = fetch_json(h.http.post(path).bearer_auth(&access).json(&again)).await;
    h.advance_ms(PROCESSING_MS);
    let invoice = sent["referenceNumber"].as_str().expect("ref");
    let dup: Value = fetch_json(
        h.http
            .get(format!("{base}/sessions/{session}/invoices/{invoice}"))
            .bearer_auth(&access),
    )
    .await;
    assert_eq!(dup["status"]["code"], 440, "{dup}");
}

/// A 1.5 MB invoice crosses the transport (axum's 2 MB default would refuse its 2 MB Base64 body) and is
/// then refused by verification as too large, as KSeF does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_invoice_is_refused_by_verification_not_by_the_transport() {
    let h = Harness::start(config()).await;
    let (access, session) = open_session(&h).await;
    let xml = String::from_utf8(invoice_xml(NIP, "FV/BIG/1", TODAY)).expect("utf-8");
    let padding = format!("<!--{}-->", "x".repeat(1_500_000));
    let big = xml.replacen("<Naglowek>", &format!("{padding}<Naglowek>"), 1);
    let invoice = h.send(&access, &session, &KEY, &IV, big.as_bytes()).await;
    h.advance_ms(PROCESSING_MS);
    let status = h.invoice_status(&session, &invoice, &access).await;
    assert_eq!(status["status"]["code"], 430, "{status}");
    assert!(status["status"]["details"][0]
        .as_str()
        .is_some_and(|d| d.starts_with("size.too_large")));
}

/// Embedded in another server (plain `axum::serve`, no kill switch), a dropped response still reaches the
/// client as a transport error, not as a status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_fault_is_a_transport_error_when_the_router_is_embedded() {
    let clock = std::sync::Arc::new(ksef_sim::ManualClock::new(support::start()));
    let sim = ksef_sim::Simulator::new(config(), clock).expect("simulator");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let root = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, sim.router()).await });
    let http = reqwest::Client::new();
    let admin = http
        .post(format!("{root}/_sim/faults"))
        .json(&json!({"faultDropResponse": 1.0}));
    assert_eq!(admin.send().await.expect("admin").status(), 200);
    // `/rate-limits` is protected, so it draws the fault; the 401 it would answer never arrives.
    let result = http.get(format!("{root}/v2/rate-limits")).send().await;
    match result {
        Err(error) => assert!(!error.is_status(), "{error}"),
        Ok(response) => {
            let body = response.bytes().await;
            assert!(body.is_err(), "the body must fail, got {body:?}");
        }
    }
}

/// NIP checksums are enforced only when the simulator runs as PRD (§8, §13).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nip_checksum_is_enforced_only_in_production_mode() {
    // 5265877636 differs from a valid NIP in its check digit.
    let bad_nip_invoice = invoice_xml("5265877636", "FV/NIP/1", TODAY);
    for (environment, expected) in [
        (ksef_sim::Environment::Test, 200),
        (ksef_sim::Environment::Production, 450),
    ] {
        let mut cfg = config();
        cfg.environment = environment;
        let h = Harness::start(cfg).await;
        let (access, session) = open_session(&h).await;
        let invoice = h.send(&access, &session, &KEY, &IV, &bad_nip_invoice).await;
        h.advance_ms(PROCESSING_MS);
        let status = h.invoice_status(&session, &invoice, &access).await;
        assert_eq!(
            status["status"]["code"], expected,
            "{environment:?}: {status}"
        );
    }
}
