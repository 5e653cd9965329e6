//! XAdES signatures of `AuthTokenRequest` checked by an independent verifier, `xmlsec1` (real exc-c14n,
//! reference and signature checks), for RSA and ECDSA P-256, and tampering detected.

mod xades_support;

use chrono::{TimeZone, Utc};
use ksef_api::xades::{signed_auth_request, SignatureAlgorithm, Signer, SignerError};
use ksef_api::{ContextIdentifier, Nip};
use xades_support::{self_signed, xmlsec1_verify, KeyKind};

const CHALLENGE: &str = "20260210-CR-20F5EE4000-DA48AE4124-46";
const NIP: &str = "5265877635";

fn request(signer: &Signer) -> String {
    let context = ContextIdentifier::Nip(Nip::parse(NIP).expect("valid NIP"));
    let at = Utc
        .with_ymd_and_hms(2026, 2, 10, 10, 0, 0)
        .single()
        .expect("instant");
    signed_auth_request(CHALLENGE, &context, signer, at).expect("signs")
}

#[test]
fn rsa_signed_request_verifies_under_xmlsec1() {
    let (signer, pem) = self_signed(
        KeyKind::Rsa,
        &format!("CN=Jan Kowalski,2.5.4.5=TINPL-{NIP},C=PL"),
    );
    assert_eq!(signer.algorithm(), SignatureAlgorithm::RsaSha256);
    let xml = request(&signer);
    assert!(xml.contains(&format!("<Challenge>{CHALLENGE}</Challenge>")));
    assert!(xml.contains(&format!(
        "<ContextIdentifier><Nip>{NIP}</Nip></ContextIdentifier>"
    )));
    xmlsec1_verify(&xml, &pem).expect("xmlsec1 accepts our RSA signature");
}

#[test]
fn ecdsa_signed_request_verifies_under_xmlsec1() {
    let (signer, pem) = self_signed(
        KeyKind::EcP256,
        &format!("CN=Seal,O=Firma,2.5.4.97=VATPL-{NIP},C=PL"),
    );
    assert_eq!(signer.algorithm(), SignatureAlgorithm::EcdsaP256Sha256);
    xmlsec1_verify(&request(&signer), &pem).expect("xmlsec1 accepts our ECDSA signature");
}

#[test]
fn tampered_requests_are_rejected_by_xmlsec1() {
    let (signer, pem) = self_signed(KeyKind::EcP256, &format!("CN=Jan,2.5.4.5=TINPL-{NIP},C=PL"));
    let xml = request(&signer);
    // The signed document: another context NIP.
    let other_context = xml.replace(&format!("<Nip>{NIP}</Nip>"), "<Nip>7352765225</Nip>");
    assert_ne!(other_context, xml);
    let error = xmlsec1_verify(&other_context, &pem).expect_err("changed document must fail");
    assert!(!error.is_empty());
    // The signed properties: another signing time.
    let other_time = xml.replace("2026-02-10T10:00:00Z", "2026-02-10T11:00:00Z");
    assert_ne!(other_time, xml);
    xmlsec1_verify(&other_time, &pem).expect_err("changed signed properties must fail");
}

#[test]
fn signers_refuse_keys_that_are_not_the_certificates() {
    let (_, pem) = self_signed(KeyKind::EcP256, "CN=A,C=PL");
    let (_, other_pem) = self_signed(KeyKind::EcP256, "CN=B,C=PL");
    let cert = pem_block(&pem, "CERTIFICATE");
    let other_key = pem_block(&other_pem, "PRIVATE KEY");
    assert_eq!(
        Signer::from_pem(&cert, &other_key).map(|_| ()),
        Err(SignerError::KeyMismatch)
    );
    assert_eq!(
        Signer::from_pem("not a certificate", &other_key).map(|_| ()),
        Err(SignerError::Certificate)
    );
    let err = Signer::from_pem(
        &cert,
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    )
    .map(|_| ())
    .expect_err("garbage key");
    assert_eq!(err.code(), "xades.key");
    // Debug output names the algorithm and subject, never key material.
    let key = pem_block(&pem, "PRIVATE KEY");
    let signer = Signer::from_pem(&cert, &key).expect("matching pair");
    let debug = format!("{signer:?}");
    assert!(
        debug.contains("EcdsaP256Sha256") && debug.contains("CN=A"),
        "{debug}"
    );
    let key_body: String = key.lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(!debug.contains(&key_body[..16]), "{debug}");
}

/// One PEM block of `label` from a concatenated PEM text.
fn pem_block(text: &str, label: &str) -> String {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin).expect("block present");
    let stop = text[start..].find(&end).expect("block ends") + start + end.len();
    format!("{}\n", &text[start..stop])
}
