//! Checks a signed `AuthTokenRequest`: both references' digests (enveloped document, XAdES signed
//! properties), the `SignedInfo` signature with the embedded certificate's key (RSA-SHA256 PKCS#1 v1.5 or
//! ECDSA-P256-SHA256 `R||S`), the signing-certificate digest; then reads the challenge, context and identity.
//! TE accepts self-signed certificates (§13), so there is no chain check.

use base64::{engine::general_purpose::STANDARD, Engine as _};
use sha2::{Digest, Sha256};
use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::der::{Decode, Encode};
use x509_cert::Certificate;

use super::c14n::{canonicalize, scope_of, Scope};
use super::tree::{parse, Element, Node};

const AUTH_NAMESPACES: [&str; 2] = [
    "http://ksef.mf.gov.pl/auth/token/2.0",
    "http://ksef.mf.gov.pl/auth/token/2.1",
];
const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
const XADES: &str = "http://uri.etsi.org/01903/v1.3.2#";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
/// X.520 `serialNumber`.
const SERIAL_NUMBER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.5");
/// X.520 `organizationIdentifier`.
const ORGANIZATION_IDENTIFIER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.97");

/// Why a document is refused; each maps to a KSeF exception code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XadesError {
    /// Not UTF-8 (21217).
    #[error("the document is not UTF-8")]
    Encoding,
    /// Not well-formed or not an `AuthTokenRequest` (9101).
    #[error("not a well-formed AuthTokenRequest: {0}")]
    Document(String),
    /// Required request fields missing (21401).
    #[error("AuthTokenRequest is incomplete: {0}")]
    Schema(String),
    /// No `ds:Signature` (9102).
    #[error("the document is not signed")]
    NoSignature,
    /// More than one `ds:Signature` (9103).
    #[error("the document has more than one signature")]
    TooManySignatures,
    /// A digest or the signature value does not verify, or an unsupported algorithm (9105).
    #[error("invalid signature: {0}")]
    Signature(String),
    /// The certificate is unreadable or names no KSeF identity (21115).
    #[error("invalid certificate: {0}")]
    Certificate(String),
}

impl XadesError {
    /// KSeF exception code.
    pub fn code(&self) -> u32 {
        match self {
            Self::Encoding => 21217,
            Self::Document(_) => 9101,
            Self::Schema(_) => 21401,
            Self::NoSignature => 9102,
            Self::TooManySignatures => 9103,
            Self::Signature(_) => 9105,
            Self::Certificate(_) => 21115,
        }
    }
}

/// Who signed, from the certificate subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// `serialNumber` `TINPL-…` / `NIP…` or `organizationIdentifier` `VATPL-…`.
    Nip(String),
    /// `serialNumber` `PNOPL-…` / `PESEL…`.
    Pesel(String),
}

/// A verified request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedAuthRequest {
    /// `Challenge`.
    pub challenge: String,
    /// `ContextIdentifier` choice: (element name, value), e.g. `("Nip", "5265877635")`.
    pub context: (String, String),
    /// The signer.
    pub identity: Identity,
}

/// Verifies `body` and extracts the request.
pub fn verify_auth_request(body: &[u8]) -> Result<SignedAuthRequest, XadesError> {
    let text = std::str::from_utf8(body).map_err(|_| XadesError::Encoding)?;
    let root = parse(text).ok_or_else(|| XadesError::Document("not well-formed XML".into()))?;
    let root_scope = scope_of(&root, &Scope::new());
    let in_auth_ns = |e: &Element, scope: &Scope| {
        scope
            .get(e.prefix())
            .is_some_and(|uri| AUTH_NAMESPACES.contains(&uri.as_str()))
    };
    if root.local() != "AuthTokenRequest" || !in_auth_ns(&root, &root_scope) {
        return Err(XadesError::Document(
            "the root is not AuthTokenRequest".into(),
        ));
    }
    let named = |e: &Element, scope: &Scope, uri: &str, local: &str| {
        e.local() == local && scope.get(e.prefix()).map(String::as_str) == Some(uri)
    };
    let signatures: Vec<&Element> = root
        .elements()
        .filter(|e| named(e, &scope_of(e, &root_scope), DS, "Signature"))
        .collect();
    let signature = match signatures.as_slice() {
        [] => return Err(XadesError::NoSignature),
        [one] => *one,
        _ => return Err(XadesError::TooManySignatures),
    };
    let sig_scope = scope_of(signature, &root_scope);
    let child = |parent: &Element, scope: &Scope, uri: &str, local: &str| {
        parent
            .elements()
            .find(|e| named(e, &scope_of(e, scope), uri, local))
            .cloned()
    };
    let missing = |what: &str| XadesError::Signature(format!("{what} missing"));
    let signed_info =
        child(signature, &sig_scope, DS, "SignedInfo").ok_or_else(|| missing("SignedInfo"))?;
    let si_scope = scope_of(&signed_info, &sig_scope);
    let algorithm = |name: &str| {
        child(&signed_info, &si_scope, DS, name)
            .and_then(|e| e.attribute("Algorithm").map(str::to_string))
            .ok_or_else(|| missing(name))
    };
    if algorithm("CanonicalizationMethod")? != EXC_C14N {
        return Err(XadesError::Signature(
            "only exclusive c14n is supported".into(),
        ));
    }
    let method = algorithm("SignatureMethod")?;

    // References: the whole document (enveloped) and the XAdES signed properties, both required.
    let (mut whole_document, mut signed_properties) = (false, None);
    for reference in signed_info
        .elements()
        .filter(|e| named(e, &scope_of(e, &si_scope), DS, "Reference"))
    {
        let ref_scope = scope_of(reference, &si_scope);
        let transforms: Vec<String> = child(reference, &ref_scope, DS, "Transforms")
            .map(|t| {
                t.elements()
                    .filter_map(|e| e.attribute("Algorithm").map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if transforms.iter().any(|t| t != ENVELOPED && t != EXC_C14N) {
            return Err(XadesError::Signature("unsupported transform".into()));
        }
        let digest_method = child(reference, &ref_scope, DS, "DigestMethod")
            .and_then(|e| e.attribute("Algorithm").map(str::to_string));
        if digest_method.as_deref() != Some(SHA256) {
            return Err(XadesError::Signature(
                "only SHA-256 digests are supported".into(),
            ));
        }
        let expected = child(reference, &ref_scope, DS, "DigestValue")
            .map(|e| e.text())
            .ok_or_else(|| missing("DigestValue"))?;
        let uri = reference.attribute("URI").unwrap_or_default();
        let canonical = if uri.is_empty() {
            if !transforms.iter().any(|t| t == ENVELOPED) {
                return Err(XadesError::Signature(
                    "the document reference lacks the enveloped-signature transform".into(),
                ));
            }
            whole_document = true;
            canonicalize(&root, &Scope::new(), Some(signature))
        } else {
            let id = uri
                .strip_prefix('#')
                .ok_or_else(|| XadesError::Signature("only same-document references".into()))?;
            let (target, scope) = find_by_id(&root, &Scope::new(), id)
                .ok_or_else(|| XadesError::Signature(format!("reference #{id} not found")))?;
            if named(target, &scope_of(target, &scope), XADES, "SignedProperties") {
                signed_properties = Some(target.clone());
            }
            canonicalize(target, &scope, None)
        };
        if !digest_matches(&expected, canonical.as_bytes()) {
            return Err(XadesError::Signature(format!(
                "digest of reference '{uri}' does not match"
            )));
        }
    }
    let signed_properties = signed_properties.ok_or_else(|| missing("signed XAdES properties"))?;
    if !whole_document {
        return Err(missing("a reference to the whole document"));
    }

    // The certificate, bound to the signature by the signed properties' certificate digest.
    let der = find_text(signature, "X509Certificate")
        .and_then(|b64| {
            STANDARD
                .decode(b64.split_whitespace().collect::<String>())
                .ok()
        })
        .ok_or_else(|| XadesError::Certificate("no X509Certificate".into()))?;
    let certificate =
        Certificate::from_der(&der).map_err(|_| XadesError::Certificate("not X.509".into()))?;
    let cert_digest = find_text(&signed_properties, "DigestValue")
        .ok_or_else(|| missing("SigningCertificate digest"))?;
    if !digest_matches(&cert_digest, &der) {
        return Err(XadesError::Signature(
            "SigningCertificate digest is not the embedded certificate's".into(),
        ));
    }
    let value = find_text(signature, "SignatureValue")
        .and_then(|b64| {
            STANDARD
                .decode(b64.split_whitespace().collect::<String>())
                .ok()
        })
        .ok_or_else(|| missing("SignatureValue"))?;
    let signed_bytes = canonicalize(&signed_info, &sig_scope, None);
    check_signature(&certificate, &method, signed_bytes.as_bytes(), &value)?;

    let field = |local: &str| {
        root.elements()
            .find(|e| e.local() == local && in_auth_ns(e, &scope_of(e, &root_scope)))
            .ok_or_else(|| XadesError::Schema(format!("{local} missing")))
    };
    let challenge = field("Challenge")?.text().trim().to_string();
    let context = field("ContextIdentifier")?
        .elements()
        .next()
        .map(|e| (e.local().to_string(), e.text().trim().to_string()))
        .ok_or_else(|| XadesError::Schema("ContextIdentifier is empty".into()))?;
    let subject_type = field("SubjectIdentifierType")?.text();
    if subject_type.trim() != "certificateSubject" {
        return Err(XadesError::Schema(
            "only SubjectIdentifierType certificateSubject is supported".into(),
        ));
    }
    Ok(SignedAuthRequest {
        challenge,
        context,
        identity: identity(&certificate)?,
    })
}

/// The element whose `Id` is `id`, with the namespace bindings its ancestors declare.
fn find_by_id<'a>(
    element: &'a Element,
    inherited: &Scope,
    id: &str,
) -> Option<(&'a Element, Scope)> {
    if element.attribute("Id") == Some(id) {
        return Some((element, inherited.clone()));
    }
    let scope = scope_of(element, inherited);
    element
        .elements()
        .find_map(|child| find_by_id(child, &scope, id))
}

/// Text of the first descendant with local name `local`.
fn find_text(element: &Element, local: &str) -> Option<String> {
    element.children.iter().find_map(|node| match node {
        Node::Element(e) if e.local() == local => Some(e.text()),
        Node::Element(e) => find_text(e, local),
        Node::Text(_) => None,
    })
}

fn digest_matches(expected_b64: &str, data: &[u8]) -> bool {
    STANDARD
        .decode(expected_b64.trim())
        .is_ok_and(|expected| expected == Sha256::digest(data).as_slice())
}

fn check_signature(
    certificate: &Certificate,
    method: &str,
    message: &[u8],
    value: &[u8],
) -> Result<(), XadesError> {
    use rsa::pkcs8::DecodePublicKey;
    use rsa::signature::Verifier;
    let spki = certificate
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|_| XadesError::Certificate("unreadable public key".into()))?;
    let bad = || XadesError::Signature("SignatureValue does not verify".into());
    match method {
        RSA_SHA256 => {
            let key = rsa::RsaPublicKey::from_public_key_der(&spki)
                .map_err(|_| XadesError::Signature("the certificate key is not RSA".into()))?;
            let signature = rsa::pkcs1v15::Signature::try_from(value).map_err(|_| bad())?;
            rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key)
                .verify(message, &signature)
                .map_err(|_| bad())
        }
        ECDSA_SHA256 => {
            let key = p256::ecdsa::VerifyingKey::from_public_key_der(&spki)
                .map_err(|_| XadesError::Signature("the certificate key is not P-256".into()))?;
            let signature = p256::ecdsa::Signature::from_slice(value).map_err(|_| bad())?;
            key.verify(message, &signature).map_err(|_| bad())
        }
        other => Err(XadesError::Signature(format!(
            "unsupported signature method {other}"
        ))),
    }
}

/// The KSeF identity in the certificate subject (§2.2 b).
fn identity(certificate: &Certificate) -> Result<Identity, XadesError> {
    for rdn in certificate.tbs_certificate.subject.0.iter() {
        for attribute in rdn.0.iter() {
            let Ok(value) = std::str::from_utf8(attribute.value.value()) else {
                continue;
            };
            let found = if attribute.oid == SERIAL_NUMBER {
                digits_after(value, &["TINPL", "NIP"], 10)
                    .map(Identity::Nip)
                    .or_else(|| digits_after(value, &["PNOPL", "PESEL"], 11).map(Identity::Pesel))
            } else if attribute.oid == ORGANIZATION_IDENTIFIER {
                digits_after(value, &["VATPL"], 10).map(Identity::Nip)
            } else {
                None
            };
            if let Some(identity) = found {
                return Ok(identity);
            }
        }
    }
    Err(XadesError::Certificate(
        "the subject has no TINPL/PNOPL serialNumber or VATPL organizationIdentifier".into(),
    ))
}

/// `(PREFIX).*?(\d{len})`: the first run of `len` digits after one of `prefixes`.
fn digits_after(value: &str, prefixes: &[&str], len: usize) -> Option<String> {
    let prefix = prefixes.iter().find(|p| value.starts_with(**p))?;
    let rest = &value[prefix.len()..];
    let bytes = rest.as_bytes();
    (0..bytes.len()).find_map(|start| {
        let run = bytes.get(start..start + len)?;
        run.iter()
            .all(u8::is_ascii_digit)
            .then(|| String::from_utf8_lossy(run).into_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_follow_the_documented_patterns() {
        assert_eq!(
            digits_after("TINPL-5265877635", &["TINPL"], 10),
            Some("5265877635".into())
        );
        assert_eq!(
            digits_after("PNOPL-90010112345", &["PNOPL"], 11),
            Some("90010112345".into())
        );
        assert_eq!(digits_after("VATPL-52658", &["VATPL"], 10), None);
        assert_eq!(digits_after("IDCPL-5265877635", &["TINPL"], 10), None);
    }
}
