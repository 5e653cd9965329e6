//! `POST /auth/xades-signature` with documents signed by an independent signer, `xmlsec1` (keys and
//! self-signed certificates from the `openssl` CLI), laid out differently from our client's output
//! (indentation, namespace declarations on the root): the simulator's exc-c14n must reproduce xmlsec1's.

use std::path::Path;
use std::process::Command;

use base64::{engine::general_purpose::STANDARD, Engine as _};
use serde_json::Value;

use crate::support::{config, sha_b64, Harness, NIP};

/// Runs a tool, failing with a clear message when it is missing or fails.
fn run(program: &str, args: &[&str], dir: &Path) -> Vec<u8> {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} is required for the XAdES tests (scripts/deps.sh installs it): {e}")
        });
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// A self-signed certificate for `subject` with a `key` (`rsa:2048` or `ec`), as (cert DER).
fn certificate(dir: &Path, key: &str, subject: &str) -> Vec<u8> {
    let mut args = vec!["req", "-x509", "-newkey", key];
    if key == "ec" {
        args.extend(["-pkeyopt", "ec_paramgen_curve:P-256"]);
    }
    args.extend([
        "-nodes", "-days", "30", "-subj", subject, "-keyout", "key.pem", "-out", "cert.pem",
    ]);
    run("openssl", &args, dir);
    run(
        "openssl",
        &["x509", "-in", "cert.pem", "-outform", "DER"],
        dir,
    )
}

/// A signature template: pretty-printed, `ds` and `xades` declared on the root.
fn template(challenge: &str, cert_der: &[u8], method: &str) -> String {
    format!(
        r##"<?xml version="1.0" encoding="UTF-8"?>
<AuthTokenRequest xmlns="http://ksef.mf.gov.pl/auth/token/2.0"
                  xmlns:ds="http://www.w3.org/2000/09/xmldsig#"
                  xmlns:xades="http://uri.etsi.org/01903/v1.3.2#">
    <Challenge>{challenge}</Challenge>
    <ContextIdentifier>
        <Nip>{NIP}</Nip>
    </ContextIdentifier>
    <SubjectIdentifierType>certificateSubject</SubjectIdentifierType>
    <ds:Signature Id="Sig">
        <ds:SignedInfo>
            <ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
            <ds:SignatureMethod Algorithm="{method}"/>
            <ds:Reference URI="">
                <ds:Transforms>
                    <ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
                    <ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
                </ds:Transforms>
                <ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
                <ds:DigestValue/>
            </ds:Reference>
            <ds:Reference URI="#SP" Type="http://uri.etsi.org/01903#SignedProperties">
                <ds:Transforms>
                    <ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
                </ds:Transforms>
                <ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
                <ds:DigestValue/>
            </ds:Reference>
        </ds:SignedInfo>
        <ds:SignatureValue/>
        <ds:KeyInfo>
            <ds:X509Data/>
        </ds:KeyInfo>
        <ds:Object>
            <xades:QualifyingProperties Target="#Sig">
                <xades:SignedProperties Id="SP">
                    <xades:SignedSignatureProperties>
                        <xades:SigningTime>2026-02-10T10:00:00Z</xades:SigningTime>
                        <xades:SigningCertificate>
                            <xades:Cert>
                                <xades:CertDigest>
                                    <ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
                                    <ds:DigestValue>{digest}</ds:DigestValue>
                                </xades:CertDigest>
                                <xades:IssuerSerial>
                                    <ds:X509IssuerName>CN=Test</ds:X509IssuerName>
                                    <ds:X509SerialNumber>1</ds:X509SerialNumber>
                                </xades:IssuerSerial>
                            </xades:Cert>
                        </xades:SigningCertificate>
                    </xades:SignedSignatureProperties>
                </xades:SignedProperties>
            </xades:QualifyingProperties>
        </ds:Object>
    </ds:Signature>
</AuthTokenRequest>
"##,
        digest = sha_b64(cert_der),
    )
}

/// Signs `xml` with xmlsec1 using `key.pem` + `cert.pem` in `dir`.
fn xmlsec1_sign(dir: &Path, xml: &str) -> String {
    std::fs::write(dir.join("template.xml"), xml).expect("write template");
    let signed = run(
        "xmlsec1",
        &[
            "--sign",
            "--privkey-pem",
            "key.pem,cert.pem",
            "--id-attr:Id",
            "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
            "template.xml",
        ],
        dir,
    );
    String::from_utf8(signed).expect("UTF-8")
}

async fn post_xml(h: &Harness, xml: String) -> (u16, Value) {
    let response = h
        .http
        .post(format!("{}/auth/xades-signature", h.base))
        .header("content-type", "application/xml")
        .body(xml)
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// Posts a signed document, which must start an operation (202, checked against the contract), and
/// lets the processing delay pass: (the operation's status, its authentication token).
async fn processed_operation(h: &Harness, signed: String) -> (Value, String) {
    let (status, init) = post_xml(h, signed).await;
    assert_eq!(status, 202, "{init}");
    h.contract
        .check("/auth/xades-signature", "post", 202, &init);
    let reference = init["referenceNumber"].as_str().expect("ref");
    let token = init["authenticationToken"]["token"]
        .as_str()
        .expect("token");
    h.advance_ms(crate::support::PROCESSING_MS);
    (h.auth_status(reference, token).await, token.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_signed_by_xmlsec1_authenticate_for_the_certificates_nip() {
    let h = Harness::start(config()).await;
    let cases = [
        (
            "rsa:2048",
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        ),
        ("ec", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"),
    ];
    for (key, method) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        let der = certificate(
            dir.path(),
            key,
            &format!("/CN=Jan Kowalski/serialNumber=TINPL-{NIP}/C=PL"),
        );
        let (status, challenge) = h.post("/auth/challenge", None, None).await;
        assert_eq!(status, 200);
        let challenge = challenge["challenge"].as_str().expect("challenge");
        let signed = xmlsec1_sign(dir.path(), &template(challenge, &der, method));
        assert!(
            signed.contains(&STANDARD.encode(&der)[..40]),
            "xmlsec1 embedded the certificate"
        );

        let (body, token) = processed_operation(&h, signed.clone()).await;
        assert_eq!(body["status"]["code"], 200, "{key}: {body}");
        assert_eq!(
            body["authenticationMethodInfo"]["category"],
            "XadesSignature"
        );
        let (status, tokens) = h.post("/auth/token/redeem", Some(&token), None).await;
        assert_eq!(status, 200, "{tokens}");

        // The challenge is single-use: the same signed document again fails the operation (450).
        let (body, _) = processed_operation(&h, signed.clone()).await;
        assert_eq!(body["status"]["code"], 450, "{key}: {body}");

        // Any change to the signed content breaks the digest: 9105, in the documented error shape.
        let tampered = signed.replace(
            "<SubjectIdentifierType>certificateSubject",
            "<SubjectIdentifierType> certificateSubject",
        );
        assert_ne!(tampered, signed);
        let (status, error) = post_xml(&h, tampered).await;
        assert_eq!(status, 400, "{error}");
        h.contract
            .check_error("/auth/xades-signature", "post", 400, &error, false);
        assert!(error.to_string().contains("9105"), "{error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_unreadable_and_identity_less_documents_are_refused() {
    let h = Harness::start(config()).await;
    let (_, challenge) = h.post("/auth/challenge", None, None).await;
    let challenge = challenge["challenge"].as_str().expect("challenge");
    let dir = tempfile::tempdir().expect("tempdir");
    let der = certificate(dir.path(), "ec", "/CN=Nobody/C=PL");
    let method = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
    let unsigned = template(challenge, &der, method);
    let no_signature = unsigned
        .split("<ds:Signature")
        .next()
        .expect("prefix")
        .to_string()
        + "</AuthTokenRequest>";
    let cases = [
        (no_signature, "9102"),
        ("<AuthTokenRequest".to_string(), "9101"),
        (xmlsec1_sign(dir.path(), &unsigned), "21115"),
    ];
    for (xml, code) in cases {
        let (status, error) = post_xml(&h, xml).await;
        assert_eq!(status, 400, "{code}: {error}");
        assert!(error.to_string().contains(code), "{code}: {error}");
    }
    // Not UTF-8: 21217.
    let response = h
        .http
        .post(format!("{}/auth/xades-signature", h.base))
        .body(vec![0xff, 0xfe, 0x00])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 400);
    assert!(response.text().await.expect("body").contains("21217"));
}
