//! Contract tests: every request body the client builds validates against the request schema of
//! the official `open-api.json` (read from the shared folder at test time), and sends no property
//! the schema does not declare.

use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use ksef_api::batch::{build_archive, package, BatchInvoice, BatchLimits, Compression};
use ksef_api::crypto::{EncryptionInfo, SessionCipher};
use ksef_api::port::{Ksef, MetadataQuery, QueryDateType, QuerySubject};
use ksef_api::status::InvoicingMode;
use ksef_api::{ContextIdentifier, FormCode, KsefNumber, Nip, Secret, Sha256B64};
use rand::SeedableRng;
use serde_json::Value;

use crate::adapter::auth_replies;
use crate::support::{Reply, TestServer};
use crate::{client, session, test_key};

fn spec() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/ksef/openapi/open-api.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// JSON pointer of the JSON request body schema of `POST {path}`.
fn request_schema_pointer(path: &str) -> String {
    format!(
        "#/paths/{}/post/requestBody/content/application~1json/schema",
        path.replace('~', "~0").replace('/', "~1")
    )
}

fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(pointer) => resolve(
            spec,
            spec.pointer(pointer.trim_start_matches('#'))
                .expect("$ref resolves"),
        ),
        None => schema,
    }
}

/// Declared properties of an object schema, following `$ref` and `allOf`.
fn properties<'a>(spec: &'a Value, schema: &'a Value, out: &mut Vec<(&'a String, &'a Value)>) {
    let schema = resolve(spec, schema);
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        out.extend(props.iter());
    }
    for part in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        properties(spec, part, out);
    }
}

/// Paths of instance properties the schema does not declare (the spec allows extra properties,
/// so the validator alone would not catch a misspelt optional field).
fn undeclared(spec: &Value, schema: &Value, instance: &Value, at: &str, found: &mut Vec<String>) {
    let schema = resolve(spec, schema);
    match instance {
        Value::Object(map) => {
            let mut declared = Vec::new();
            properties(spec, schema, &mut declared);
            for (key, value) in map {
                match declared.iter().find(|(name, _)| *name == key) {
                    Some((_, sub)) => undeclared(spec, sub, value, &format!("{at}/{key}"), found),
                    None => found.push(format!("{at}/{key}")),
                }
            }
        }
        Value::Array(items) => {
            let item_schema = schema.get("items").cloned().unwrap_or(Value::Null);
            for (i, item) in items.iter().enumerate() {
                undeclared(spec, &item_schema, item, &format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

fn check(spec: &Value, api_path: &str, body: &Value) {
    let pointer = request_schema_pointer(api_path);
    let mut root = spec.clone();
    // A `$ref` is a URI reference, so path-template braces must be percent-encoded there.
    let reference = pointer.replace('{', "%7B").replace('}', "%7D");
    root.as_object_mut()
        .unwrap()
        .insert("$ref".into(), Value::String(reference));
    let validator =
        jsonschema::draft7::new(&root).unwrap_or_else(|e| panic!("schema for {api_path}: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "POST {api_path} body violates the spec: {errors:#?}\n{body:#}"
    );
    let schema = spec.pointer(pointer.trim_start_matches('#')).unwrap();
    let mut extra = Vec::new();
    undeclared(spec, schema, body, "", &mut extra);
    assert!(
        extra.is_empty(),
        "POST {api_path} sends undeclared properties {extra:?}"
    );
}

/// A session key drawn from an RNG seeded with `seed`, and its encryption block for the test key.
fn session_key(seed: u64) -> (SessionCipher, EncryptionInfo) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let cipher = SessionCipher::generate(&mut rng);
    let info = cipher.encryption_info(&test_key(), &mut rng).unwrap();
    (cipher, info)
}

#[tokio::test(start_paused = true)]
async fn token_authentication_request_matches_the_spec() {
    let spec = spec();
    let server =
        TestServer::start(auth_replies(r#"{"status":{"code":450,"description":"x"}}"#)).await;
    let context = ContextIdentifier::internal_id("5265877635-12345").unwrap();
    let _ = client(&server.base())
        .authenticate(&context, &Secret::new("t"), &test_key())
        .await;
    check(&spec, "/auth/ksef-token", &server.requests()[1].json());
}

#[tokio::test]
async fn session_and_invoice_requests_match_the_spec() {
    let spec = spec();
    let opened = r#"{"referenceNumber":"20250625-SO-2C3E6C8000-B5D8AE4D5E-42","validUntil":"2025-06-26T00:00:00+00:00"}"#;
    let sent = r#"{"referenceNumber":"20250625-EE-319D7EE000-B67F415CDC-2C"}"#;
    let server = TestServer::start(vec![
        Reply::json(201, opened),
        Reply::json(202, sent),
        Reply::json(202, sent),
    ])
    .await;
    let ksef = client(&server.base());
    let access = Secret::new("a");
    let (cipher, info) = session_key(11);
    ksef.open_online_session(&access, FormCode::Fa3, &info)
        .await
        .unwrap();
    let plain = cipher.encrypt_invoice(b"<Faktura>1</Faktura>");
    ksef.send_invoice(&access, &session(), &plain, InvoicingMode::Online)
        .await
        .unwrap();
    let correction = cipher
        .encrypt_invoice(b"<Faktura>2</Faktura>")
        .correcting(Sha256B64::of(b"<Faktura>1</Faktura>"));
    ksef.send_invoice(&access, &session(), &correction, InvoicingMode::Offline)
        .await
        .unwrap();
    let requests = server.requests();
    check(&spec, "/sessions/online", &requests[0].json());
    assert_eq!(requests[0].json()["formCode"]["systemCode"], "FA (3)");
    check(
        &spec,
        "/sessions/online/{referenceNumber}/invoices",
        &requests[1].json(),
    );
    check(
        &spec,
        "/sessions/online/{referenceNumber}/invoices",
        &requests[2].json(),
    );
    assert!(requests[2].json()["hashOfCorrectedInvoice"].is_string());
}

#[tokio::test]
async fn batch_and_metadata_requests_match_the_spec() {
    let spec = spec();
    let opened =
        r#"{"referenceNumber":"20250625-SB-2C3E6C8000-B5D8AE4D5E-42","partUploadRequests":[]}"#;
    let found = r#"{"hasMore":false,"isTruncated":false,"invoices":[]}"#;
    let server = TestServer::start(vec![
        Reply::json(201, opened),
        Reply::json(201, opened),
        Reply::json(200, found),
    ])
    .await;
    let ksef = client(&server.base());
    let access = Secret::new("a");
    let (cipher, info) = session_key(12);
    let invoices = vec![BatchInvoice {
        file_name: "a.xml".into(),
        xml: b"<Faktura/>".to_vec(),
    }];
    let limits = BatchLimits {
        part_size_bytes_max: 64,
        ..BatchLimits::KSEF
    };
    for compression in [Compression::Zip, Compression::TarGz] {
        let archive = build_archive(&invoices, compression, &limits).unwrap();
        let pkg = package(&archive, compression, &cipher, &limits).unwrap();
        ksef.open_batch_session(
            &access,
            FormCode::Fa3,
            &pkg.file,
            &info,
            InvoicingMode::Online,
        )
        .await
        .unwrap();
    }
    let query = MetadataQuery {
        subject: QuerySubject::Seller,
        date_type: QueryDateType::Invoicing,
        from: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        to: Some(Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap()),
        seller_nip: Some(Nip::parse("5265877635").unwrap()),
        invoice_number: Some("FV/2026/01/0001".into()),
        ksef_number: Some(KsefNumber::parse("5265877635-20250826-0100001AF629-AF").unwrap()),
        page_offset: 0,
        page_size: 10,
    };
    ksef.query_invoice_metadata(&access, &query).await.unwrap();
    let requests = server.requests();
    check(&spec, "/sessions/batch", &requests[0].json());
    assert!(
        requests[0].json()["batchFile"]["fileParts"]
            .as_array()
            .unwrap()
            .len()
            > 1
    );
    check(&spec, "/sessions/batch", &requests[1].json());
    assert_eq!(requests[1].json()["batchFile"]["compressionType"], "TarGz");
    check(&spec, "/invoices/query/metadata", &requests[2].json());
    assert_eq!(
        requests[2].target,
        "/v2/invoices/query/metadata?pageOffset=0&pageSize=10"
    );
}

#[test]
fn the_checker_catches_violations() {
    // Guard against a vacuous contract test: a wrong body must fail the same check.
    let spec = spec();
    let bad = serde_json::json!({"formCode": {"systemCode": "FA (3)"}, "encryption": {}});
    assert!(std::panic::catch_unwind(|| check(&spec, "/sessions/online", &bad)).is_err());
    let extra = serde_json::json!({"formCode": {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"},
        "encryption": {"encryptedSymmetricKey": "AA==", "initializationVector": "AA==", "publicKeyID": "x"}});
    assert!(std::panic::catch_unwind(|| check(&spec, "/sessions/online", &extra)).is_err());
}
