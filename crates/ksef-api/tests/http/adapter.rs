//! Classification and wire behaviour of `HttpKsef`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ksef_api::crypto::SessionCipher;
use ksef_api::error::{ErrorClass, KsefError, Operation};
use ksef_api::http::SystemWarning;
use ksef_api::port::{Ksef, PartUpload, UpoSelector};
use ksef_api::status::{InvoicingMode, PageRequest};
use ksef_api::{ContextIdentifier, HashCheck, InvoiceRef, Nip, ReferenceNumber, Secret, Sha256B64};
use url::Url;

use crate::support::{Reply, TestServer};
use crate::{client, session, test_key, INVOICE, SESSION};

const TOKEN: &str = "eyJ.access-token-value";

fn invoice() -> ksef_api::crypto::EncryptedInvoice {
    SessionCipher::from_parts([7; 32], [9; 16]).encrypt_invoice(b"<Faktura/>")
}

/// Sends `invoice()` to `base`, expecting a failure; the error must not carry the token.
async fn failed_send(base: &str) -> KsefError {
    let err = client(base)
        .send_invoice(
            &Secret::new(TOKEN),
            &session(),
            &invoice(),
            InvoicingMode::Online,
        )
        .await
        .unwrap_err();
    assert!(!err.to_string().contains(TOKEN), "token leaked into {err}");
    err
}

async fn send_with(reply: Reply) -> (KsefError, TestServer) {
    let server = TestServer::start(vec![reply]).await;
    (failed_send(&server.base()).await, server)
}

async fn status_with(reply: Reply) -> KsefError {
    let server = TestServer::start(vec![reply]).await;
    client(&server.base())
        .session_status(&Secret::new(TOKEN), &session())
        .await
        .unwrap_err()
}

const SESSION_STATUS: &str = r#"{"status":{"code":200,"description":"Sesja interaktywna przetworzona pomyślnie"},
  "dateCreated":"2025-09-18T15:00:30+00:00","dateUpdated":"2025-09-18T15:01:20+00:00",
  "upo":{"pages":[{"referenceNumber":"20250901-EU-2EBD6FA000-242991F8C9-B4",
    "downloadUrl":"https://blob.example/upo/1.xml?sig=abc","downloadUrlExpirationDate":"2025-09-21T15:00:50+00:00"}]},
  "invoiceCount":10,"successfulInvoiceCount":8,"failedInvoiceCount":2,"futureField":{"x":1}}"#;

#[tokio::test]
async fn api_requests_carry_problem_details_and_bearer_and_parse_to_domain() {
    let server = TestServer::start(vec![Reply::json(200, SESSION_STATUS)]).await;
    let status = client(&server.base())
        .session_status(&Secret::new(TOKEN), &session())
        .await
        .unwrap();
    assert_eq!(
        (
            status.code,
            status.invoice_count,
            status.failed_invoice_count
        ),
        (200, Some(10), Some(2))
    );
    assert!(status.is_final() && status.failure().is_none());
    assert_eq!(
        status.upo_pages[0].reference.as_str(),
        "20250901-EU-2EBD6FA000-242991F8C9-B4"
    );
    let request = &server.requests()[0];
    assert_eq!(
        (request.method.as_str(), request.target.as_str()),
        ("GET", &*format!("/v2/sessions/{SESSION}"))
    );
    assert_eq!(request.header("x-error-format"), Some("problem-details"));
    assert_eq!(
        request.header("authorization"),
        Some(&*format!("Bearer {TOKEN}"))
    );
}

#[tokio::test]
async fn send_invoice_posts_hashes_and_returns_the_reference() {
    let server = TestServer::start(vec![Reply::json(
        202,
        &format!(r#"{{"referenceNumber":"{INVOICE}"}}"#),
    )])
    .await;
    let inv = invoice();
    let reference = client(&server.base())
        .send_invoice(
            &Secret::new(TOKEN),
            &session(),
            &inv,
            InvoicingMode::Offline,
        )
        .await
        .unwrap();
    assert_eq!(
        reference,
        InvoiceRef(ReferenceNumber::parse(INVOICE).unwrap())
    );
    let body = server.requests()[0].json();
    assert_eq!(body["invoiceHash"], Sha256B64::of(b"<Faktura/>").as_str());
    assert_eq!(body["encryptedInvoiceSize"], 16);
    assert_eq!(body["offlineMode"], true);
    assert!(body.get("hashOfCorrectedInvoice").is_none());
}

#[tokio::test]
async fn legacy_and_problem_400_bodies_give_the_exception_code() {
    let legacy = r#"{"exception":{"exceptionDetailList":[{"exceptionCode":21403,"exceptionDescription":"Nieprawidłowy skrót"}],"serviceCode":"s","timestamp":"2025-10-11T12:23:56.0154302"}}"#;
    let problem = r#"{"title":"Bad Request","status":400,"instance":"/v2/x","detail":"d","errors":[{"code":21403,"description":"Nieprawidłowy skrót"}],"timestamp":"2025-10-11T12:23:56Z","traceId":"t"}"#;
    for reply in [Reply::json(400, legacy), Reply::problem(400, problem)] {
        let (err, _) = send_with(reply).await;
        assert_eq!(err.code(), "ksef.exception.21403");
        assert_eq!(err.class(), ErrorClass::Rejected);
    }
    let (closed, _) = send_with(Reply::problem(
        400,
        r#"{"errors":[{"code":21180,"description":"Status sesji"}]}"#,
    ))
    .await;
    assert_eq!(closed.class(), ErrorClass::SessionFailed);
}

#[tokio::test]
async fn auth_and_permission_problems_are_classified() {
    let unauthorized = status_with(Reply::problem(
        401,
        r#"{"title":"Unauthorized","status":401,"detail":"Token expired"}"#,
    ))
    .await;
    assert_eq!(unauthorized.class(), ErrorClass::AuthExpired);
    let forbidden = status_with(Reply::problem(
        403,
        r#"{"title":"Forbidden","status":403,"detail":"Brak uprawnień","reasonCode":"missing-permissions","security":{"requiredAnyOfPermissions":["InvoiceWrite"]}}"#,
    ))
    .await;
    assert_eq!(forbidden.code(), "ksef.forbidden.missing-permissions");
    assert_eq!(forbidden.class(), ErrorClass::Permanent);
    let gone = status_with(Reply::problem(
        410,
        r#"{"title":"Gone","status":410,"detail":"expired"}"#,
    ))
    .await;
    assert_eq!(gone.code(), "ksef.http.410");
}

#[tokio::test]
async fn rate_limit_429_carries_retry_after_in_both_body_shapes() {
    let legacy = Reply::json(
        429,
        r#"{"status":{"code":429,"description":"Too Many Requests","details":["x"]}}"#,
    )
    .with_header("Retry-After", "12");
    let problem = Reply::problem(
        429,
        r#"{"title":"Too Many Requests","status":429,"detail":"d"}"#,
    )
    .with_header("Retry-After", "3");
    assert_eq!(
        send_with(legacy).await.0,
        KsefError::RateLimited {
            retry_after: Duration::from_secs(12)
        }
    );
    assert_eq!(
        status_with(problem).await,
        KsefError::RateLimited {
            retry_after: Duration::from_secs(3)
        }
    );
}

#[tokio::test]
async fn server_errors_are_outcome_unknown_only_for_creating_calls() {
    let (send, _) = send_with(Reply::json(500, "{}")).await;
    assert_eq!(
        send,
        KsefError::OutcomeUnknown {
            operation: Operation::SendInvoice,
            detail: "HTTP 500 Internal Server Error: {}".into()
        }
    );
    let status = status_with(Reply::json(503, "")).await;
    assert_eq!(status.class(), ErrorClass::Transient);
    assert_eq!(status.code(), "ksef.http.503");
}

#[tokio::test]
async fn connection_dropped_after_the_request_is_outcome_unknown_for_send() {
    let (send, server) = send_with(Reply::DropAfterRequest).await;
    assert_eq!(send.class(), ErrorClass::OutcomeUnknown);
    assert_eq!(
        server.requests().len(),
        1,
        "the request reached the server and was not retried"
    );
    assert_eq!(
        status_with(Reply::DropAfterRequest).await.class(),
        ErrorClass::Transient
    );
}

#[tokio::test(start_paused = true)]
async fn timeout_after_send_is_outcome_unknown_and_takes_the_configured_time() {
    let started = tokio::time::Instant::now();
    let (send, server) = send_with(Reply::Hang).await;
    assert_eq!(send.class(), ErrorClass::OutcomeUnknown, "{send}");
    assert_eq!(server.requests().len(), 1);
    // Paused time: the only way time passes is the client's 5 s request timeout firing.
    assert_eq!(started.elapsed().as_secs(), 5);
    assert_eq!(
        status_with(Reply::Hang).await.class(),
        ErrorClass::Transient
    );
}

#[tokio::test]
async fn connection_refused_is_transient_even_for_send() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = failed_send(&base).await;
    assert_eq!(
        err.class(),
        ErrorClass::Transient,
        "nothing was sent, so resending is safe: {err}"
    );
    // Transport errors must not echo a pre-signed URL's signature either.
    let signed = Url::parse(&format!("{base}/upo/1.xml?sig=SECRET-SIGNATURE")).unwrap();
    let err = client(&base).download_presigned(&signed).await.unwrap_err();
    assert!(!err.to_string().contains("SECRET-SIGNATURE"), "{err}");
}

#[tokio::test]
async fn unreadable_success_body_is_outcome_unknown_for_creating_calls() {
    let (err, _) = send_with(Reply::json(202, r#"{"referenceNumber":"too-short"}"#)).await;
    assert_eq!(err.class(), ErrorClass::OutcomeUnknown);
    let status = status_with(Reply::json(200, r#"{"status":"not an object"}"#)).await;
    assert_eq!(status.class(), ErrorClass::Permanent);
}

#[tokio::test]
async fn system_warnings_reach_the_sink() {
    let server = TestServer::start(vec![Reply::json(200, SESSION_STATUS).with_header(
        "X-System-Warning",
        "[W100]: Planned maintenance | [W200]: Deprecated field",
    )])
    .await;
    let seen: Arc<Mutex<Vec<(Operation, SystemWarning)>>> = Arc::default();
    let sink = seen.clone();
    let ksef =
        client(&server.base()).with_warning_sink(move |op, w| sink.lock().unwrap().push((op, w)));
    ksef.session_status(&Secret::new(TOKEN), &session())
        .await
        .unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].0, Operation::SessionStatus);
    assert_eq!(
        (seen[1].1.code.as_str(), seen[1].1.message.as_str()),
        ("W200", "Deprecated field")
    );
}

#[tokio::test]
async fn part_upload_uses_returned_method_and_headers_and_no_authorization() {
    let server = TestServer::start(vec![Reply::empty(201), Reply::empty(403)]).await;
    let part = PartUpload {
        ordinal: 1,
        method: "PUT".into(),
        url: Url::parse(&format!(
            "{}/blob/part1?sig=SECRET-SIGNATURE&se=2026",
            server.base()
        ))
        .unwrap(),
        headers: vec![("x-ms-blob-type".into(), "BlockBlob".into())],
    };
    let ksef = client(&server.base());
    ksef.upload_part(&part, b"encrypted-bytes").await.unwrap();
    let request = &server.requests()[0];
    assert_eq!(request.method, "PUT");
    assert_eq!(request.target, "/blob/part1?sig=SECRET-SIGNATURE&se=2026");
    assert_eq!(request.header("x-ms-blob-type"), Some("BlockBlob"));
    assert_eq!(request.header("authorization"), None);
    assert_eq!(request.header("x-error-format"), None);
    assert_eq!(request.body, b"encrypted-bytes");
    // An expired upload window (403) is reported without echoing the signed URL.
    let err = ksef.upload_part(&part, b"x").await.unwrap_err();
    assert_eq!(err.code(), "ksef.http.403");
    assert!(!format!("{err} {part:?}").contains("SECRET-SIGNATURE"));
}

#[tokio::test]
async fn upo_downloads_verify_the_meta_hash() {
    let upo = b"<Potwierdzenie/>".to_vec();
    let good = Sha256B64::of(&upo);
    let xml = |hash: Option<&str>| {
        let reply = Reply::Respond {
            status: 200,
            headers: vec![("Content-Type".into(), "application/xml".into())],
            body: upo.clone(),
        };
        match hash {
            Some(h) => reply.with_header("x-ms-meta-hash", h),
            None => reply,
        }
    };
    let wrong = Sha256B64::of(b"other");
    let server = TestServer::start(vec![
        xml(Some(good.as_str())),
        xml(None),
        xml(Some(wrong.as_str())),
    ])
    .await;
    let ksef = client(&server.base());
    let access = Secret::new(TOKEN);
    let by_ref = UpoSelector::Invoice(InvoiceRef(ReferenceNumber::parse(INVOICE).unwrap()));
    let verified = ksef
        .invoice_upo(&access, &session(), &by_ref)
        .await
        .unwrap();
    assert_eq!(
        (verified.bytes.as_slice(), verified.hash),
        (upo.as_slice(), HashCheck::Verified)
    );
    let presigned = Url::parse(&format!("{}/upo/page1.xml?sig=s", server.base())).unwrap();
    assert_eq!(
        ksef.download_presigned(&presigned).await.unwrap().hash,
        HashCheck::NotProvided
    );
    let mismatch = ksef
        .invoice_upo(&access, &session(), &by_ref)
        .await
        .unwrap_err();
    assert_eq!(mismatch.class(), ErrorClass::Transient);
    let requests = server.requests();
    assert_eq!(
        requests[0].target,
        format!("/v2/sessions/{SESSION}/invoices/{INVOICE}/upo")
    );
    assert_eq!(
        requests[1].header("authorization"),
        None,
        "pre-signed download must not carry the token"
    );
}

#[tokio::test]
async fn session_invoice_pages_send_the_continuation_token_as_header() {
    let page = |token: &str| {
        Reply::json(
            200,
            &format!(
                r#"{{"continuationToken":{token},"invoices":[{{"ordinalNumber":1,"invoiceNumber":"FV/1","ksefNumber":"5265877635-20250826-0100001AF629-AF",
            "referenceNumber":"{INVOICE}","invoiceHash":"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=","acquisitionDate":"2025-08-26T10:00:00+00:00",
            "invoicingDate":"2025-08-26T09:59:00+00:00","invoicingMode":"Online","status":{{"code":200,"description":"Sukces"}}}}]}}"#
            ),
        )
    };
    let server = TestServer::start(vec![page(r#""next-page""#), page("null")]).await;
    let ksef = client(&server.base());
    let access = Secret::new(TOKEN);
    let first = ksef
        .session_invoices(&access, &session(), &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(first.continuation.as_deref(), Some("next-page"));
    assert_eq!(
        first.items[0].ksef_number.as_ref().unwrap().as_str(),
        "5265877635-20250826-0100001AF629-AF"
    );
    let next = PageRequest {
        page_size: 10,
        continuation: first.continuation,
    };
    let second = ksef
        .session_failed_invoices(&access, &session(), &next)
        .await
        .unwrap();
    assert_eq!(second.continuation, None);
    let requests = server.requests();
    assert_eq!(
        requests[0].target,
        format!("/v2/sessions/{SESSION}/invoices?pageSize=10")
    );
    assert_eq!(requests[0].header("x-continuation-token"), None);
    assert_eq!(
        requests[1].target,
        format!("/v2/sessions/{SESSION}/invoices/failed?pageSize=10")
    );
    assert_eq!(
        requests[1].header("x-continuation-token"),
        Some("next-page")
    );
}

pub fn auth_replies(final_status: &str) -> Vec<Reply> {
    vec![
        Reply::json(
            200,
            r#"{"challenge":"20250625-CR-20F5EE4000-DA48AE4124-46","timestamp":"2025-06-25T12:00:00+00:00","timestampMs":1750852800123,"clientIp":"127.0.0.1"}"#,
        ),
        Reply::json(
            202,
            r#"{"referenceNumber":"20250625-AU-2C3E6C8000-B5D8AE4D5E-42","authenticationToken":{"token":"auth-op-token","validUntil":"2025-06-25T12:45:00+00:00"}}"#,
        ),
        Reply::json(
            200,
            r#"{"startDate":"2025-06-25T12:00:01+00:00","authenticationMethod":"Token","authenticationMethodInfo":{"category":"Token","code":"token","displayName":"Token"},"status":{"code":100,"description":"W toku"}}"#,
        ),
        Reply::json(200, final_status),
        Reply::json(
            200,
            r#"{"accessToken":{"token":"access-jwt","validUntil":"2025-06-25T12:15:00+00:00"},"refreshToken":{"token":"refresh-jwt","validUntil":"2025-07-02T12:00:00+00:00"}}"#,
        ),
    ]
}

#[tokio::test(start_paused = true)]
async fn token_authentication_runs_the_whole_flow() {
    let ok = r#"{"startDate":"2025-06-25T12:00:01+00:00","authenticationMethod":"Token","authenticationMethodInfo":{"category":"Token","code":"token","displayName":"Token"},"status":{"code":200,"description":"Sukces"}}"#;
    let server = TestServer::start(auth_replies(ok)).await;
    let key = test_key();
    let context = ContextIdentifier::Nip(Nip::parse("5265877635").unwrap());
    let tokens = client(&server.base())
        .authenticate(&context, &Secret::new("ksef-token"), &key)
        .await
        .unwrap();
    assert_eq!(
        (tokens.access.expose(), tokens.refresh.expose()),
        ("access-jwt", "refresh-jwt")
    );
    assert_eq!(
        tokens.access_valid_until.to_rfc3339(),
        "2025-06-25T12:15:00+00:00"
    );
    let requests = server.requests();
    let route: Vec<_> = requests
        .iter()
        .map(|r| format!("{} {}", r.method, r.target))
        .collect();
    assert_eq!(
        route,
        [
            "POST /v2/auth/challenge",
            "POST /v2/auth/ksef-token",
            "GET /v2/auth/20250625-AU-2C3E6C8000-B5D8AE4D5E-42",
            "GET /v2/auth/20250625-AU-2C3E6C8000-B5D8AE4D5E-42",
            "POST /v2/auth/token/redeem",
        ]
    );
    let init = requests[1].json();
    assert_eq!(
        init["contextIdentifier"],
        serde_json::json!({"type": "Nip", "value": "5265877635"})
    );
    assert_eq!(init["publicKeyId"], key.public_key_id());
    use base64::Engine;
    let encrypted = base64::engine::general_purpose::STANDARD
        .decode(init["encryptedToken"].as_str().unwrap())
        .unwrap();
    assert_eq!(encrypted.len(), 256, "RSA-2048 OAEP ciphertext");
    for r in &requests[2..] {
        assert_eq!(r.header("authorization"), Some("Bearer auth-op-token"));
    }
    assert_eq!(requests[0].header("authorization"), None);
}

#[tokio::test(start_paused = true)]
async fn failed_authentication_status_is_classified_by_auth_code() {
    let bad = r#"{"startDate":"2025-06-25T12:00:01+00:00","authenticationMethod":"Token","authenticationMethodInfo":{"category":"Token","code":"token","displayName":"Token"},"status":{"code":450,"description":"Nieprawidłowy token","details":["Invalid token"]}}"#;
    let server = TestServer::start(auth_replies(bad)).await;
    let context = ContextIdentifier::Nip(Nip::parse("5265877635").unwrap());
    let err = client(&server.base())
        .authenticate(&context, &Secret::new("ksef-token"), &test_key())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "ksef.auth.450");
    assert_eq!(err.class(), ErrorClass::Permanent);
    assert_eq!(
        server.requests().len(),
        4,
        "no redeem after a failed authentication"
    );
}

#[tokio::test(start_paused = true)]
async fn a_lost_redeem_is_transient_because_a_new_flow_is_independent() {
    let ok = r#"{"status":{"code":200,"description":"Sukces"}}"#;
    let mut replies = auth_replies(ok);
    replies.pop();
    replies.push(Reply::json(502, "{}"));
    let server = TestServer::start(replies).await;
    let context = ContextIdentifier::Nip(Nip::parse("5265877635").unwrap());
    let err = client(&server.base())
        .authenticate(&context, &Secret::new("ksef-token"), &test_key())
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::Transient, "{err}");
    assert_eq!(
        server.requests().last().unwrap().target,
        "/v2/auth/token/redeem"
    );
}
