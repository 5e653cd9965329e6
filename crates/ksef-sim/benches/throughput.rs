//! Simulator throughput: invoices sent over HTTP (encrypted, hashed, decrypted, verified, numbered) against a
//! baseline measured in the same run — verifying the same invoices with `fa3` alone. Prints figures; never
//! asserts on time.

use aes::cipher::{block_padding::Pkcs7, BlockEncryptMut, KeyIvInit};
use base64::{engine::general_purpose::STANDARD, Engine as _};
use chrono::{TimeZone, Utc};
use ksef_sim::{keys::KeyUsage, LimitsMode, ManualClock, SimConfig, Simulator};
use rsa::{Oaep, RsaPublicKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Instant;

/// Invoices per measured run.
const INVOICES: usize = 300;
const NIP: &str = "5265877635";
const TOKEN: &str = "bench-token";

fn invoice(number: usize) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Faktura xmlns="http://crd.gov.pl/wzor/2025/06/25/13775/"><Naglowek><KodFormularza kodSystemowy="FA (3)" wersjaSchemy="1-0E">FA</KodFormularza><WariantFormularza>3</WariantFormularza><DataWytworzeniaFa>2026-02-02T10:00:00Z</DataWytworzeniaFa></Naglowek><Podmiot1><DaneIdentyfikacyjne><NIP>{NIP}</NIP><Nazwa>Seller</Nazwa></DaneIdentyfikacyjne><Adres><KodKraju>PL</KodKraju><AdresL1>ul. Testowa 1</AdresL1></Adres></Podmiot1><Podmiot2><DaneIdentyfikacyjne><NIP>7352765225</NIP><Nazwa>Buyer</Nazwa></DaneIdentyfikacyjne><Adres><KodKraju>PL</KodKraju><AdresL1>ul. Kupiecka 2</AdresL1></Adres><JST>2</JST><GV>2</GV></Podmiot2><Fa><KodWaluty>PLN</KodWaluty><P_1>2026-02-10</P_1><P_2>FV/BENCH/{number}</P_2><P_6>2026-02-10</P_6><P_13_1>100.00</P_13_1><P_14_1>23.00</P_14_1><P_15>123.00</P_15><Adnotacje><P_16>2</P_16><P_17>2</P_17><P_18>2</P_18><P_18A>2</P_18A><Zwolnienie><P_19N>1</P_19N></Zwolnienie><NoweSrodkiTransportu><P_22N>1</P_22N></NoweSrodkiTransportu><P_23>2</P_23><PMarzy><P_PMarzyN>1</P_PMarzyN></PMarzy></Adnotacje><RodzajFaktury>VAT</RodzajFaktury><FaWiersz><NrWierszaFa>1</NrWierszaFa><P_7>Service</P_7><P_8A>szt.</P_8A><P_8B>1</P_8B><P_9A>100.00</P_9A><P_11>100.00</P_11><P_12>23</P_12></FaWiersz></Fa></Faktura>"#
    )
    .into_bytes()
}

fn sha_b64(data: &[u8]) -> String {
    STANDARD.encode(Sha256::digest(data))
}

fn oaep(key: &RsaPublicKey, data: &[u8]) -> String {
    let encrypted = key
        .encrypt(&mut rand::thread_rng(), Oaep::new::<Sha256>(), data)
        .expect("RSA-OAEP encryption");
    STANDARD.encode(encrypted)
}

async fn post(
    http: &reqwest::Client,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
) -> Value {
    let mut request = http.post(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    response.json().await.unwrap_or(Value::Null)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let invoices: Vec<Vec<u8>> = (0..INVOICES).map(invoice).collect();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 2, 10).expect("date");
    let baseline_start = Instant::now();
    for xml in &invoices {
        let options = fa3::ValidationOptions {
            env: fa3::Environment::Test,
            today,
            schemas: None,
        };
        assert!(fa3::validate(xml, &options).is_valid());
    }
    let baseline = baseline_start.elapsed();

    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 2, 10, 10, 0, 0)
            .single()
            .expect("instant"),
    ));
    let config = SimConfig {
        tokens: vec![format!("{NIP}:{TOKEN}").parse().expect("token")],
        limits: LimitsMode::Off,
        processing_ms: 0,
        ..SimConfig::default()
    };
    let sim = Simulator::new(config, clock.clone()).expect("simulator");
    let (base, _task) = sim
        .serve("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("serve");
    let http = reqwest::Client::new();
    let (token_key, session_key) = sim_keys(&sim);

    let challenge = post(&http, format!("{base}/auth/challenge"), None, None).await;
    let plain = format!("{TOKEN}|{}", challenge["timestampMs"]);
    let init = post(
        &http,
        format!("{base}/auth/ksef-token"),
        None,
        Some(json!({
        "challenge": challenge["challenge"], "contextIdentifier": {"type": "Nip", "value": NIP},
        "encryptedToken": oaep(&token_key, plain.as_bytes())})),
    )
    .await;
    let auth = init["authenticationToken"]["token"]
        .as_str()
        .expect("auth token")
        .to_string();
    let tokens = post(
        &http,
        format!("{base}/auth/token/redeem"),
        Some(&auth),
        None,
    )
    .await;
    let access = tokens["accessToken"]["token"]
        .as_str()
        .expect("access token")
        .to_string();
    let (key, iv) = ([7u8; 32], [9u8; 16]);
    let opened = post(&http, format!("{base}/sessions/online"), Some(&access), Some(json!({
        "formCode": {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"},
        "encryption": {"encryptedSymmetricKey": oaep(&session_key, &key), "initializationVector": STANDARD.encode(iv)}}))).await;
    let session = opened["referenceNumber"]
        .as_str()
        .expect("session")
        .to_string();

    let sim_start = Instant::now();
    for xml in &invoices {
        let encrypted = cbc::Encryptor::<aes::Aes256>::new(&key.into(), &iv.into())
            .encrypt_padded_vec_mut::<Pkcs7>(xml);
        let body = json!({"invoiceHash": sha_b64(xml), "invoiceSize": xml.len(),
            "encryptedInvoiceHash": sha_b64(&encrypted), "encryptedInvoiceSize": encrypted.len(),
            "encryptedInvoiceContent": STANDARD.encode(&encrypted)});
        let sent = post(
            &http,
            format!("{base}/sessions/online/{session}/invoices"),
            Some(&access),
            Some(body),
        )
        .await;
        assert!(sent["referenceNumber"].is_string(), "{sent}");
    }
    // Processing is lazy: the next read judges every invoice that is due.
    clock.advance(chrono::Duration::milliseconds(1));
    let accepted = sim.ledger().len();
    let simulated = sim_start.elapsed();
    assert_eq!(accepted, INVOICES);

    let per_invoice_us = |d: std::time::Duration| d.as_secs_f64() * 1e6 / INVOICES as f64;
    println!("ksef-sim throughput ({INVOICES} invoices, one online session, sequential client)");
    println!(
        "  baseline fa3::validate only : {:>9.1} µs/invoice",
        per_invoice_us(baseline)
    );
    println!(
        "  HTTP send + processing      : {:>9.1} µs/invoice ({:.0} invoices/s)",
        per_invoice_us(simulated),
        INVOICES as f64 / simulated.as_secs_f64()
    );
    println!(
        "  ratio simulator / baseline  : {:>9.1}x",
        simulated.as_secs_f64() / baseline.as_secs_f64()
    );
}

/// The simulator's current public keys, read through its handle (the bench measures sending, not key parsing).
fn sim_keys(sim: &Simulator) -> (RsaPublicKey, RsaPublicKey) {
    let keys = sim.public_keys();
    let find = |usage| {
        keys.iter()
            .find(|(u, _)| *u == usage)
            .map(|(_, k)| k.clone())
            .expect("key")
    };
    (
        find(KeyUsage::KsefTokenEncryption),
        find(KeyUsage::SymmetricKeyEncryption),
    )
}
