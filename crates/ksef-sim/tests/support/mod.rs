//! An independent minimal KSeF client for the HTTP tests (deliberately not `ksef-api`), plus the contract
//! checker that validates response bodies against the official OpenAPI schemas.

pub mod contract;

use aes::cipher::{block_padding::Pkcs7, BlockEncryptMut, KeyIvInit};
use base64::{engine::general_purpose::STANDARD, Engine as _};
use chrono::{DateTime, TimeZone, Utc};
use ksef_sim::{LimitsMode, ManualClock, SimConfig, Simulator};
use rsa::pkcs8::DecodePublicKey;
use rsa::{Oaep, RsaPublicKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use x509_cert::der::{Decode, Encode};

/// Context NIP with a provisioned token.
pub const NIP: &str = "5265877635";
/// The provisioned token.
pub const TOKEN: &str = "20260201-TK-0000000001-0000000001-01|nip-5265877635|0123456789abcdef";
/// Processing delay configured for tests.
pub const PROCESSING_MS: i64 = 2_000;

/// `../shared/ksef` resolved from the crate directory.
pub fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/ksef")
}

/// The start instant of every test clock.
pub fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 2, 10, 10, 0, 0)
        .single()
        .expect("valid instant")
}

/// The minimal FA(3) invoice of KSEF-API.md §12 with seller, number and issue date filled in.
pub fn invoice_xml(seller_nip: &str, number: &str, issue_date: &str) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Faktura xmlns="http://crd.gov.pl/wzor/2025/06/25/13775/">
  <Naglowek><KodFormularza kodSystemowy="FA (3)" wersjaSchemy="1-0E">FA</KodFormularza>
    <WariantFormularza>3</WariantFormularza><DataWytworzeniaFa>2026-02-02T10:00:00Z</DataWytworzeniaFa></Naglowek>
  <Podmiot1><DaneIdentyfikacyjne><NIP>{seller_nip}</NIP><Nazwa>Seller Sp. z o.o.</Nazwa></DaneIdentyfikacyjne>
    <Adres><KodKraju>PL</KodKraju><AdresL1>ul. Testowa 1, 00-001 Warszawa</AdresL1></Adres></Podmiot1>
  <Podmiot2><DaneIdentyfikacyjne><NIP>7352765225</NIP><Nazwa>Buyer S.A.</Nazwa></DaneIdentyfikacyjne>
    <Adres><KodKraju>PL</KodKraju><AdresL1>ul. Kupiecka 2, 30-001 Kraków</AdresL1></Adres><JST>2</JST><GV>2</GV></Podmiot2>
  <Fa><KodWaluty>PLN</KodWaluty><P_1>{issue_date}</P_1><P_2>{number}</P_2><P_6>{issue_date}</P_6>
    <P_13_1>100.00</P_13_1><P_14_1>23.00</P_14_1><P_15>123.00</P_15>
    <Adnotacje><P_16>2</P_16><P_17>2</P_17><P_18>2</P_18><P_18A>2</P_18A><Zwolnienie><P_19N>1</P_19N></Zwolnienie>
      <NoweSrodkiTransportu><P_22N>1</P_22N></NoweSrodkiTransportu><P_23>2</P_23><PMarzy><P_PMarzyN>1</P_PMarzyN></PMarzy></Adnotacje>
    <RodzajFaktury>VAT</RodzajFaktury>
    <FaWiersz><NrWierszaFa>1</NrWierszaFa><P_7>Test service</P_7><P_8A>szt.</P_8A><P_8B>1</P_8B>
      <P_9A>100.00</P_9A><P_11>100.00</P_11><P_12>23</P_12></FaWiersz></Fa>
</Faktura>
"#
    )
    .into_bytes()
}

/// SHA-256, standard Base64.
pub fn sha_b64(data: &[u8]) -> String {
    STANDARD.encode(Sha256::digest(data))
}

/// AES-256-CBC + PKCS#7, no IV prefix.
pub fn aes_encrypt(key: &[u8; 32], iv: &[u8; 16], plain: &[u8]) -> Vec<u8> {
    cbc::Encryptor::<aes::Aes256>::new(key.into(), iv.into()).encrypt_padded_vec_mut::<Pkcs7>(plain)
}

/// KSeF's CRC-8 (poly 0x07), written independently of the simulator's.
pub fn crc8(data: &[u8]) -> u8 {
    data.iter().fold(0u8, |mut crc, &b| {
        crc ^= b;
        for _ in 0..8 {
            crc = if crc & 0x80 != 0 {
                (crc << 1) ^ 0x07
            } else {
                crc << 1
            };
        }
        crc
    })
}

/// A running simulator with its fake clock.
pub struct Harness {
    /// The simulator handle.
    pub sim: Simulator,
    /// The fake clock.
    pub clock: Arc<ManualClock>,
    /// API base URL (`…/v2`).
    pub base: String,
    /// Root URL.
    pub root: String,
    /// HTTP client.
    pub http: reqwest::Client,
    /// Contract checker.
    pub contract: contract::Contract,
}

/// Test configuration: provisioned token, no limits, short processing.
pub fn config() -> SimConfig {
    SimConfig {
        seed: 42,
        tokens: vec![format!("{NIP}:{TOKEN}").parse().expect("valid token spec")],
        limits: LimitsMode::Off,
        processing_ms: PROCESSING_MS as u64,
        ..SimConfig::default()
    }
}

impl Harness {
    /// Starts a simulator on 127.0.0.1:0.
    pub async fn start(config: SimConfig) -> Harness {
        let clock = Arc::new(ManualClock::new(start()));
        let sim = Simulator::new(config, clock.clone()).expect("simulator starts");
        let addr: SocketAddr = "127.0.0.1:0".parse().expect("addr");
        let (base, _task) = sim.serve(addr).await.expect("serves");
        let root = base.trim_end_matches("/v2").to_string();
        Harness {
            sim,
            clock,
            base,
            root,
            http: reqwest::Client::new(),
            contract: contract::Contract::load(),
        }
    }

    /// Moves the fake clock forward.
    pub fn advance_ms(&self, ms: i64) {
        self.clock.advance(chrono::Duration::milliseconds(ms));
    }

    /// GET with optional bearer; returns (status, headers, body bytes).
    pub async fn get(
        &self,
        path: &str,
        token: Option<&str>,
    ) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request completes");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (
            status,
            headers,
            response.bytes().await.expect("body").to_vec(),
        )
    }

    /// POST JSON with optional bearer; returns (status, JSON or Null).
    pub async fn post(&self, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
        let result = self
            .try_post(path, token, body, &[])
            .await
            .expect("request completes");
        (result.0, result.2)
    }

    /// POST with extra headers; connection errors are returned, not panicked on.
    pub async fn try_post(
        &self,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Result<(u16, reqwest::header::HeaderMap, Value), reqwest::Error> {
        let mut request = self.http.post(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await?;
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok((status, headers, json))
    }

    /// The current certificate with `usage`: (publicKeyId, RSA public key).
    pub async fn key(&self, usage: &str) -> (String, RsaPublicKey) {
        let (status, _, body) = self.get("/security/public-key-certificates", None).await;
        assert_eq!(status, 200);
        let list: Value = serde_json::from_slice(&body).expect("json");
        self.contract
            .check("/security/public-key-certificates", "get", 200, &list);
        let entry = list
            .as_array()
            .and_then(|a| {
                a.iter().find(|c| {
                    c["usage"]
                        .as_array()
                        .is_some_and(|u| u.contains(&json!(usage)))
                })
            })
            .expect("certificate with usage");
        let der = STANDARD
            .decode(entry["certificate"].as_str().expect("certificate"))
            .expect("b64");
        let cert = x509_cert::Certificate::from_der(&der).expect("X.509 DER");
        let spki = cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .expect("spki");
        // The ids are derived the documented way: SHA-256 of the SPKI DER and of the certificate DER.
        assert_eq!(entry["publicKeyId"], json!(sha_b64(&spki)));
        assert_eq!(entry["certificateId"], json!(sha_b64(&der)));
        let public = RsaPublicKey::from_public_key_der(&spki).expect("RSA key");
        (
            entry["publicKeyId"].as_str().expect("id").to_string(),
            public,
        )
    }

    /// Starts a token authentication: (referenceNumber, authenticationToken).
    pub async fn start_auth(&self, nip: &str, token: &str) -> (String, String) {
        let (status, challenge) = self.post("/auth/challenge", None, None).await;
        assert_eq!(status, 200);
        self.contract
            .check("/auth/challenge", "post", 200, &challenge);
        let (key_id, key) = self.key("KsefTokenEncryption").await;
        let plain = format!(
            "{token}|{}",
            challenge["timestampMs"].as_i64().expect("timestampMs")
        );
        let encrypted = key
            .encrypt(
                &mut rand::thread_rng(),
                Oaep::new::<Sha256>(),
                plain.as_bytes(),
            )
            .expect("encrypts");
        let (status, init) = self
            .post(
                "/auth/ksef-token",
                None,
                Some(json!({"challenge": challenge["challenge"],
                    "contextIdentifier": {"type": "Nip", "value": nip},
                    "encryptedToken": STANDARD.encode(encrypted), "publicKeyId": key_id})),
            )
            .await;
        assert_eq!(status, 202, "{init}");
        self.contract.check("/auth/ksef-token", "post", 202, &init);
        (
            init["referenceNumber"].as_str().expect("ref").to_string(),
            init["authenticationToken"]["token"]
                .as_str()
                .expect("token")
                .to_string(),
        )
    }

    /// Full authentication; returns (accessToken, refreshToken).
    pub async fn authenticate(&self) -> (String, String) {
        let (reference, auth_token) = self.start_auth(NIP, TOKEN).await;
        self.advance_ms(PROCESSING_MS);
        let (status, _, body) = self
            .get(&format!("/auth/{reference}"), Some(&auth_token))
            .await;
        assert_eq!(status, 200);
        let body: Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(body["status"]["code"], 200, "{body}");
        let (status, tokens) = self
            .post("/auth/token/redeem", Some(&auth_token), None)
            .await;
        assert_eq!(status, 200, "{tokens}");
        self.contract
            .check("/auth/token/redeem", "post", 200, &tokens);
        (
            tokens["accessToken"]["token"]
                .as_str()
                .expect("access")
                .to_string(),
            tokens["refreshToken"]["token"]
                .as_str()
                .expect("refresh")
                .to_string(),
        )
    }

    /// Encryption block for opening a session with a fresh key.
    pub async fn encryption(&self, key: &[u8; 32], iv: &[u8; 16]) -> Value {
        let (key_id, public) = self.key("SymmetricKeyEncryption").await;
        let wrapped = public
            .encrypt(&mut rand::thread_rng(), Oaep::new::<Sha256>(), key)
            .expect("encrypts");
        json!({"encryptedSymmetricKey": STANDARD.encode(wrapped),
            "initializationVector": STANDARD.encode(iv), "publicKeyId": key_id})
    }

    /// Opens an online FA (3) session; returns its reference.
    pub async fn open_online(&self, access: &str, key: &[u8; 32], iv: &[u8; 16]) -> String {
        let body = json!({"formCode": {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"},
            "encryption": self.encryption(key, iv).await});
        let (status, opened) = self
            .post("/sessions/online", Some(access), Some(body))
            .await;
        assert_eq!(status, 201, "{opened}");
        self.contract
            .check("/sessions/online", "post", 201, &opened);
        opened["referenceNumber"].as_str().expect("ref").to_string()
    }

    /// The send-invoice body for `xml`.
    pub fn send_body(key: &[u8; 32], iv: &[u8; 16], xml: &[u8]) -> Value {
        let encrypted = aes_encrypt(key, iv, xml);
        json!({"invoiceHash": sha_b64(xml), "invoiceSize": xml.len(),
            "encryptedInvoiceHash": sha_b64(&encrypted), "encryptedInvoiceSize": encrypted.len(),
            "encryptedInvoiceContent": STANDARD.encode(&encrypted)})
    }

    /// Sends an invoice; returns its reference.
    pub async fn send(
        &self,
        access: &str,
        session: &str,
        key: &[u8; 32],
        iv: &[u8; 16],
        xml: &[u8],
    ) -> String {
        let path = format!("/sessions/online/{session}/invoices");
        let (status, sent) = self
            .post(&path, Some(access), Some(Self::send_body(key, iv, xml)))
            .await;
        assert_eq!(status, 202, "{sent}");
        self.contract.check(
            "/sessions/online/{referenceNumber}/invoices",
            "post",
            202,
            &sent,
        );
        sent["referenceNumber"].as_str().expect("ref").to_string()
    }

    /// GET returning JSON, checked against the contract for `template`.
    pub async fn get_json(&self, path: &str, template: &str, access: &str) -> Value {
        let (status, _, body) = self.get(path, Some(access)).await;
        let body: Value = serde_json::from_slice(&body).expect("json body");
        assert_eq!(status, 200, "{body}");
        self.contract.check(template, "get", 200, &body);
        body
    }

    /// `GET /auth/{reference}` with the authentication token, checked against the contract.
    pub async fn auth_status(&self, reference: &str, auth_token: &str) -> Value {
        self.get_json(
            &format!("/auth/{reference}"),
            "/auth/{referenceNumber}",
            auth_token,
        )
        .await
    }

    /// `GET /sessions/{session}/invoices/{invoice}`, checked against the contract.
    pub async fn invoice_status(&self, session: &str, invoice: &str, access: &str) -> Value {
        self.get_json(
            &format!("/sessions/{session}/invoices/{invoice}"),
            "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}",
            access,
        )
        .await
    }

    /// `GET /sessions/{session}`, checked against the contract.
    pub async fn session_status(&self, session: &str, access: &str) -> Value {
        self.get_json(
            &format!("/sessions/{session}"),
            "/sessions/{referenceNumber}",
            access,
        )
        .await
    }

    /// Closes an `online` or `batch` session; returns the HTTP status.
    pub async fn close_session(&self, kind: &str, session: &str, access: &str) -> u16 {
        self.post(
            &format!("/sessions/{kind}/{session}/close"),
            Some(access),
            None,
        )
        .await
        .0
    }

    /// `POST /_sim/faults` (the admin API at the root, not under `/v2`); returns the HTTP status.
    pub async fn set_faults(&self, faults: Value) -> u16 {
        let response = self
            .http
            .post(format!("{}/_sim/faults", self.root))
            .json(&faults)
            .send()
            .await
            .expect("admin answers");
        response.status().as_u16()
    }

    /// Downloads a pre-signed URL (UPO pages, batch parts): the body bytes.
    pub async fn download(&self, url: &str) -> Vec<u8> {
        let response = self.http.get(url).send().await.expect("download");
        response.bytes().await.expect("body").to_vec()
    }
}

/// The first `exceptionCode` of an `ExceptionResponse` body (`Null` when there is none).
pub fn exception_code(body: &Value) -> &Value {
    &body["exception"]["exceptionDetailList"][0]["exceptionCode"]
}

/// Validates `xml` against the UPO v4-3 XSD with xmllint.
pub fn assert_valid_upo(xml: &[u8]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("upo.xml");
    std::fs::write(&file, xml).expect("write");
    let output = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(shared().join("schemas/upo/upo-v4-3.xsd"))
        .arg(&file)
        .output()
        .expect("xmllint runs");
    assert!(
        output.status.success(),
        "UPO fails the XSD: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(xml)
    );
}
