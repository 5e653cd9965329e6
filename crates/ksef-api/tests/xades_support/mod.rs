//! Test-time self-signed certificates (x509-cert builder) and the `xmlsec1` reference verifier.

use std::str::FromStr;
use std::time::Duration;

use ksef_api::xades::Signer;
use p256::pkcs8::EncodePrivateKey;
use rand::SeedableRng;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::der::{pem::LineEnding, EncodePem};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::Validity;

/// Key type of a test certificate.
#[derive(Debug, Clone, Copy)]
pub enum KeyKind {
    /// RSA 2048.
    Rsa,
    /// ECDSA P-256.
    EcP256,
}

/// A self-signed certificate for `subject` with a fresh key (seeded, so runs are reproducible):
/// the signer and the PEM text "certificate + PKCS#8 key".
pub fn self_signed(kind: KeyKind, subject: &str) -> (Signer, String) {
    // FNV-1a of the subject: distinct subjects get distinct keys.
    let seed = subject.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    let name = Name::from_str(subject).expect("subject parses");
    let validity = Validity::from_now(Duration::from_secs(3600 * 24 * 365)).expect("validity");
    let serial = SerialNumber::from(0x4b53_6546u32);
    let (cert_pem, key_pem) = match kind {
        KeyKind::Rsa => {
            let key = rsa::RsaPrivateKey::new(&mut rng, 2048).expect("rsa key");
            let spki = SubjectPublicKeyInfoOwned::from_key(key.to_public_key()).expect("spki");
            let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key.clone());
            let cert =
                CertificateBuilder::new(Profile::Root, serial, validity, name, spki, &signer)
                    .expect("builder")
                    .build::<rsa::pkcs1v15::Signature>()
                    .expect("certificate");
            (
                cert.to_pem(LineEnding::LF).expect("pem"),
                key.to_pkcs8_pem(LineEnding::LF).expect("pem").to_string(),
            )
        }
        KeyKind::EcP256 => {
            let key = p256::ecdsa::SigningKey::random(&mut rng);
            let spki = SubjectPublicKeyInfoOwned::from_key(*key.verifying_key()).expect("spki");
            let cert = CertificateBuilder::new(Profile::Root, serial, validity, name, spki, &key)
                .expect("builder")
                .build::<p256::ecdsa::DerSignature>()
                .expect("certificate");
            let secret = p256::SecretKey::from(&key);
            (
                cert.to_pem(LineEnding::LF).expect("pem"),
                secret
                    .to_pkcs8_pem(LineEnding::LF)
                    .expect("pem")
                    .to_string(),
            )
        }
    };
    let signer = Signer::from_pem(&cert_pem, &key_pem).expect("signer loads");
    (signer, format!("{cert_pem}{key_pem}"))
}

/// Verifies `xml` with `xmlsec1` against the certificate in `pem`; `Err(output)` when it rejects.
/// Panics with instructions when `xmlsec1` is not installed: the cross-check must not silently vanish.
pub fn xmlsec1_verify(xml: &str, pem: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = dir.path().join("request.xml");
    let cert = dir.path().join("cert.pem");
    std::fs::write(&doc, xml).expect("write xml");
    let cert_end = pem.find("-----END CERTIFICATE-----").expect("certificate") + 25;
    std::fs::write(&cert, &pem[..cert_end]).expect("write cert");
    let output = std::process::Command::new("xmlsec1")
        .args(["--verify", "--id-attr:Id", "http://uri.etsi.org/01903/v1.3.2#:SignedProperties"])
        .arg("--pubkey-cert-pem")
        .arg(&cert)
        .arg("--trusted-pem")
        .arg(&cert)
        .arg(&doc)
        .output()
        .unwrap_or_else(|e| {
            panic!("xmlsec1 is required for the XAdES cross-check (apt install xmlsec1; scripts/deps.sh): {e}")
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if output.status.success() && text.contains("OK") {
        Ok(())
    } else {
        Err(text)
    }
}
