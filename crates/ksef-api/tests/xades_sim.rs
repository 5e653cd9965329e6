//! XAdES authentication end to end against the independent simulator: our signed request is accepted
//! for the certificate's own NIP (RSA and ECDSA), refused for another context, and a tampered request is
//! refused by the simulator and by `xmlsec1` alike.

mod xades_support;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use ksef_api::xades::{signed_auth_request, Signer};
use ksef_api::{
    AuthPolicy, AuthState, ContextIdentifier, Environment, HttpConfig, HttpKsef, Ksef, ManualClock,
    Nip, RemoteCode,
};
use ksef_sim::{LimitsMode, SimConfig, Simulator};
use xades_support::{self_signed, xmlsec1_verify, KeyKind};

const NIP: &str = "5265877635";
const OTHER_NIP: &str = "7352765225";

fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 2, 10, 10, 0, 0)
        .single()
        .expect("instant")
}

/// A simulator that finishes authentication at once, so no time needs to pass.
async fn simulator() -> (Simulator, String) {
    let clock = Arc::new(ksef_sim::ManualClock::new(start_time()));
    let config = SimConfig {
        seed: 11,
        limits: LimitsMode::Off,
        processing_ms: 0,
        ..SimConfig::default()
    };
    let sim = Simulator::new(config, clock).expect("simulator");
    let (base, _server) = sim
        .serve("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("serves");
    (sim, base)
}

fn holder(base: &str, nip: &str, signer: Signer) -> AuthState<HttpKsef, Arc<ManualClock>> {
    let mut config = HttpConfig::new(Environment::custom(base).expect("url"));
    config.auth_poll_interval = Duration::from_millis(1);
    AuthState::with_signer(
        HttpKsef::new(config).expect("client"),
        Arc::new(ManualClock::new(start_time())),
        ContextIdentifier::Nip(Nip::parse(nip).expect("nip")),
        Arc::new(signer),
        AuthPolicy::default(),
    )
}

#[tokio::test]
async fn certificates_naming_the_context_nip_sign_in() {
    let (_sim, base) = simulator().await;
    let cases = [
        (
            KeyKind::Rsa,
            format!("CN=Jan Kowalski,2.5.4.5=TINPL-{NIP},C=PL"),
        ),
        (
            KeyKind::EcP256,
            format!("CN=Firma,O=Firma,2.5.4.97=VATPL-{NIP},C=PL"),
        ),
    ];
    for (kind, subject) in cases {
        let (signer, _) = self_signed(kind, &subject);
        let auth = holder(&base, NIP, signer);
        let access = auth
            .access_token()
            .await
            .expect("XAdES authentication succeeds");
        // The access token really opens protected endpoints.
        auth.ksef()
            .rate_limits(&access)
            .await
            .unwrap_or_else(|e| panic!("{kind:?}: access token refused: {e}"));
    }
}

#[tokio::test]
async fn a_certificate_for_another_nip_gets_no_access_to_the_context() {
    let (_sim, base) = simulator().await;
    let (signer, _) = self_signed(
        KeyKind::EcP256,
        &format!("CN=Obcy,2.5.4.5=TINPL-{OTHER_NIP},C=PL"),
    );
    let error = holder(&base, NIP, signer)
        .access_token()
        .await
        .expect_err("another NIP's certificate must not sign in");
    assert_eq!(error.remote(), Some(&RemoteCode::Auth(415)), "{error}");
}

/// A fresh authentication challenge from the simulator at `base`.
async fn fetch_challenge(http: &reqwest::Client, base: &str) -> String {
    let challenge: serde_json::Value = http
        .post(format!("{base}/auth/challenge"))
        .send()
        .await
        .expect("challenge")
        .json()
        .await
        .expect("json");
    challenge["challenge"]
        .as_str()
        .expect("challenge")
        .to_string()
}

/// Posts a signed `AuthTokenRequest` to the simulator at `base`: (HTTP status, body text).
async fn post_signed(http: &reqwest::Client, base: &str, xml: String) -> (u16, String) {
    let response = http
        .post(format!("{base}/auth/xades-signature"))
        .header("content-type", "application/xml")
        .body(xml)
        .send()
        .await
        .expect("sent");
    (
        response.status().as_u16(),
        response.text().await.expect("body"),
    )
}

#[tokio::test]
async fn tampered_requests_are_refused_by_the_simulator_and_by_xmlsec1() {
    let (_sim, base) = simulator().await;
    let http = reqwest::Client::new();
    let (signer, pem) = self_signed(KeyKind::Rsa, &format!("CN=Jan,2.5.4.5=TINPL-{NIP},C=PL"));
    let post = |xml: String| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let challenge = fetch_challenge(&http, &base).await;
            post_signed(&http, &base, xml.replace("CHALLENGE", &challenge)).await
        }
    };
    // Sign for a placeholder challenge, then swap in the real one: that alone is tampering, so we
    // first prove an honestly signed request passes, with the real challenge signed in.
    let challenge = fetch_challenge(&http, &base).await;
    let context = ContextIdentifier::Nip(Nip::parse(NIP).expect("nip"));
    let honest = signed_auth_request(&challenge, &context, &signer, start_time()).expect("signs");
    let (status, body) = post_signed(&http, &base, honest.clone()).await;
    assert_eq!(status, 202, "{body}");
    xmlsec1_verify(&honest, &pem).expect("xmlsec1 accepts the honest request");

    let placeholder =
        signed_auth_request("CHALLENGE", &context, &signer, start_time()).expect("signs");
    let (status, body) = post(placeholder.clone()).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("9105"), "{body}");
    xmlsec1_verify(
        &placeholder.replace("CHALLENGE", "20260210-CR-0000000000-0000000000-00"),
        &pem,
    )
    .expect_err("xmlsec1 rejects the changed challenge too");

    // Cutting the signature off: 9102.
    let cut = honest
        .split("<ds:Signature")
        .next()
        .expect("prefix")
        .to_string()
        + "</AuthTokenRequest>";
    let (status, body) = post(cut).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("9102"), "{body}");
}
