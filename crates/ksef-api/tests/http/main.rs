//! HTTP adapter tests against a scripted local server: error shapes, classification, pre-signed
//! transfers, the token flow, and request bodies validated against the official OpenAPI schemas.

mod adapter;
mod contract;
mod support;

use std::time::Duration;

use base64::{engine::general_purpose::STANDARD, Engine};
use ksef_api::crypto::EncryptionKey;
use ksef_api::http::{HttpConfig, HttpKsef};
use ksef_api::{Environment, ReferenceNumber, SessionRef};

pub const SESSION: &str = "20250625-SO-2C3E6C8000-B5D8AE4D5E-42";
pub const INVOICE: &str = "20250625-EE-319D7EE000-B67F415CDC-2C";

pub fn client(base: &str) -> HttpKsef {
    let mut config = HttpConfig::new(Environment::custom(base).unwrap());
    config.request_timeout = Duration::from_secs(5);
    config.auth_poll_interval = Duration::from_millis(500);
    HttpKsef::new(config).unwrap()
}

pub fn session() -> SessionRef {
    SessionRef(ReferenceNumber::parse(SESSION).unwrap())
}

pub fn test_key() -> EncryptionKey {
    let der = STANDARD
        .decode(include_str!("../fixtures/test-cert.der.b64").trim())
        .unwrap();
    EncryptionKey::from_certificate_der(&der).unwrap()
}
