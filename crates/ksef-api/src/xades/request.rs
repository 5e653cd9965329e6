//! The `AuthTokenRequest` document with its enveloped XAdES-BASELINE-B signature.
//!
//! Every part that is digested or signed is written once, already in exclusive-c14n form (no XML
//! declaration, no whitespace between elements, `<a></a>` for empty elements, namespace declarations
//! exactly where exc-c14n renders them, attributes in c14n order), and that same text is embedded in the
//! document, so what we hash is what a verifier's canonicaliser reproduces.

use base64::{engine::general_purpose::STANDARD, Engine as _};
use chrono::{DateTime, SecondsFormat, Utc};
use sha2::{Digest, Sha256};

use super::signer::{Signer, SignerError};
use crate::ids::ContextIdentifier;

/// Namespace of `AuthTokenRequest` (2.0; KSeF also accepts 2.1).
pub const AUTH_NAMESPACE: &str = "http://ksef.mf.gov.pl/auth/token/2.0";
const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
const XADES: &str = "http://uri.etsi.org/01903/v1.3.2#";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
const SIGNED_PROPERTIES_TYPE: &str = "http://uri.etsi.org/01903#SignedProperties";
/// `Id` of the `ds:Signature` (the `Target` of the qualifying properties).
const SIGNATURE_ID: &str = "Signature";
/// `Id` of `xades:SignedProperties` (the second reference).
const SIGNED_PROPERTIES_ID: &str = "SignedProperties";

/// Builds and signs the authentication request for `challenge` in `context`, with the certificate
/// subject as the identity (`SubjectIdentifierType` `certificateSubject`).
pub fn signed_auth_request(
    challenge: &str,
    context: &ContextIdentifier,
    signer: &Signer,
    signing_time: DateTime<Utc>,
) -> Result<String, SignerError> {
    let kind = context.kind();
    let body = format!(
        "<Challenge>{}</Challenge><ContextIdentifier><{kind}>{}</{kind}></ContextIdentifier>\
         <SubjectIdentifierType>certificateSubject</SubjectIdentifierType>",
        escape_text(challenge),
        escape_text(context.value()),
    );
    // Enveloped-signature transform + exc-c14n: the document as if the signature were absent.
    let unsigned =
        format!(r#"<AuthTokenRequest xmlns="{AUTH_NAMESPACE}">{body}</AuthTokenRequest>"#);
    let signed_properties = signed_properties(signer, signing_time)?;
    let signed_info = signed_info(signer, &unsigned, &signed_properties);
    let signature_value = STANDARD.encode(signer.sign(signed_info.as_bytes())?);
    let certificate = STANDARD.encode(signer.certificate_der());
    Ok(format!(
        r##"<AuthTokenRequest xmlns="{AUTH_NAMESPACE}">{body}<ds:Signature xmlns:ds="{DS}" Id="{SIGNATURE_ID}">{signed_info}<ds:SignatureValue>{signature_value}</ds:SignatureValue><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo><ds:Object><xades:QualifyingProperties xmlns:xades="{XADES}" Target="#{SIGNATURE_ID}">{signed_properties}</xades:QualifyingProperties></ds:Object></ds:Signature></AuthTokenRequest>"##
    ))
}

/// `xades:SignedProperties` in exc-c14n form (apex of its own reference, so it declares `xades`, and each
/// `ds:` element declares `ds` because no rendered ancestor does).
fn signed_properties(signer: &Signer, signing_time: DateTime<Utc>) -> Result<String, SignerError> {
    let tbs = &signer.certificate().tbs_certificate;
    let cert_digest = sha256_b64(signer.certificate_der());
    let issuer = escape_text(&tbs.issuer.to_string());
    let serial = decimal(tbs.serial_number.as_bytes());
    let time = signing_time.to_rfc3339_opts(SecondsFormat::Secs, true);
    if serial.is_empty() {
        return Err(SignerError::Certificate);
    }
    Ok(format!(
        r#"<xades:SignedProperties xmlns:xades="{XADES}" Id="{SIGNED_PROPERTIES_ID}"><xades:SignedSignatureProperties><xades:SigningTime>{time}</xades:SigningTime><xades:SigningCertificate><xades:Cert><xades:CertDigest><ds:DigestMethod xmlns:ds="{DS}" Algorithm="{SHA256}"></ds:DigestMethod><ds:DigestValue xmlns:ds="{DS}">{cert_digest}</ds:DigestValue></xades:CertDigest><xades:IssuerSerial><ds:X509IssuerName xmlns:ds="{DS}">{issuer}</ds:X509IssuerName><ds:X509SerialNumber xmlns:ds="{DS}">{serial}</ds:X509SerialNumber></xades:IssuerSerial></xades:Cert></xades:SigningCertificate></xades:SignedSignatureProperties></xades:SignedProperties>"#
    ))
}

/// `ds:SignedInfo` in exc-c14n form, with both references' digests.
fn signed_info(signer: &Signer, unsigned: &str, signed_properties: &str) -> String {
    let method = signer.algorithm().uri();
    let document_digest = sha256_b64(unsigned.as_bytes());
    let properties_digest = sha256_b64(signed_properties.as_bytes());
    format!(
        r##"<ds:SignedInfo xmlns:ds="{DS}"><ds:CanonicalizationMethod Algorithm="{EXC_C14N}"></ds:CanonicalizationMethod><ds:SignatureMethod Algorithm="{method}"></ds:SignatureMethod><ds:Reference URI=""><ds:Transforms><ds:Transform Algorithm="{ENVELOPED}"></ds:Transform><ds:Transform Algorithm="{EXC_C14N}"></ds:Transform></ds:Transforms><ds:DigestMethod Algorithm="{SHA256}"></ds:DigestMethod><ds:DigestValue>{document_digest}</ds:DigestValue></ds:Reference><ds:Reference Type="{SIGNED_PROPERTIES_TYPE}" URI="#{SIGNED_PROPERTIES_ID}"><ds:Transforms><ds:Transform Algorithm="{EXC_C14N}"></ds:Transform></ds:Transforms><ds:DigestMethod Algorithm="{SHA256}"></ds:DigestMethod><ds:DigestValue>{properties_digest}</ds:DigestValue></ds:Reference></ds:SignedInfo>"##
    )
}

fn sha256_b64(data: &[u8]) -> String {
    STANDARD.encode(Sha256::digest(data))
}

/// Text content escaped the way c14n writes it.
fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
    out
}

/// A big-endian unsigned integer (the DER serial's content octets) in decimal.
fn decimal(be: &[u8]) -> String {
    let mut digits: Vec<u8> = Vec::new(); // little-endian base-10 digits
    for &byte in be {
        let mut carry = u32::from(byte);
        for d in digits.iter_mut() {
            let v = u32::from(*d) * 256 + carry;
            *d = (v % 10) as u8;
            carry = v / 10;
        }
        while carry > 0 {
            digits.push((carry % 10) as u8);
            carry /= 10;
        }
    }
    if digits.is_empty() {
        return "0".into();
    }
    digits.iter().rev().map(|d| char::from(b'0' + d)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_print_in_decimal() {
        assert_eq!(decimal(&[]), "0");
        assert_eq!(decimal(&[0x01, 0x00]), "256");
        // 2^71 - 1: beyond u64, so the long-division path is exercised.
        let big = [0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(decimal(&big), ((1u128 << 71) - 1).to_string());
    }

    #[test]
    fn text_is_escaped_as_c14n_writes_it() {
        assert_eq!(escape_text("a&b<c>d\re\"f'"), "a&amp;b&lt;c&gt;d&#xD;e\"f'");
    }
}
