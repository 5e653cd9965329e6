//! A certificate and its private key (RSA ≥ 2048 or ECDSA P-256); the key never leaves this type and
//! is never printed.

use p256::ecdsa::SigningKey as EcSigningKey;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
use rsa::signature::{SignatureEncoding, Signer as _};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::Sha256;
use x509_cert::der::{Decode, DecodePem, Encode};
use x509_cert::Certificate;

/// Smallest RSA modulus KSeF accepts.
const RSA_BITS_MIN: usize = 2048;

/// Why a signer could not be built or could not sign.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignerError {
    /// The certificate is not X.509 (DER or PEM).
    #[error("the certificate is not a valid X.509 certificate")]
    Certificate,
    /// The key is neither an RSA (PKCS#8/PKCS#1) nor a P-256 (PKCS#8/SEC1) private key.
    #[error("the private key is not an RSA or EC P-256 private key (PKCS#8, PKCS#1 or SEC1)")]
    Key,
    /// The key does not belong to the certificate.
    #[error("the private key does not match the certificate's public key")]
    KeyMismatch,
    /// RSA key below 2048 bits.
    #[error("the RSA key is shorter than {RSA_BITS_MIN} bits")]
    WeakRsaKey,
    /// The signature primitive failed.
    #[error("signing failed")]
    Signing,
}

impl SignerError {
    /// Stable code for UIs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Certificate => "xades.certificate",
            Self::Key => "xades.key",
            Self::KeyMismatch => "xades.key_mismatch",
            Self::WeakRsaKey => "xades.weak_rsa_key",
            Self::Signing => "xades.signing",
        }
    }
}

/// XML-DSig signature algorithm of a signer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RsaSha256,
    /// ECDSA P-256 with SHA-256, `SignatureValue` = `R||S`.
    EcdsaP256Sha256,
}

impl SignatureAlgorithm {
    /// The `SignatureMethod/@Algorithm` URI.
    pub fn uri(self) -> &'static str {
        match self {
            Self::RsaSha256 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            Self::EcdsaP256Sha256 => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
        }
    }
}

enum Key {
    Rsa(Box<rsa::pkcs1v15::SigningKey<Sha256>>),
    EcP256(Box<EcSigningKey>),
}

/// A signing certificate with its private key.
pub struct Signer {
    certificate: Certificate,
    certificate_der: Vec<u8>,
    key: Key,
}

impl std::fmt::Debug for Signer {
    // Only public facts: the key must never reach logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("algorithm", &self.algorithm())
            .field(
                "subject",
                &self.certificate.tbs_certificate.subject.to_string(),
            )
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// From a DER certificate and a DER PKCS#8 private key.
    pub fn from_der(certificate_der: &[u8], pkcs8_key_der: &[u8]) -> Result<Self, SignerError> {
        let certificate =
            Certificate::from_der(certificate_der).map_err(|_| SignerError::Certificate)?;
        let key = if let Ok(rsa) = RsaPrivateKey::from_pkcs8_der(pkcs8_key_der) {
            PrivateKey::Rsa(Box::new(rsa))
        } else {
            let ec =
                p256::SecretKey::from_pkcs8_der(pkcs8_key_der).map_err(|_| SignerError::Key)?;
            PrivateKey::Ec(ec)
        };
        Self::new(certificate, key)
    }

    /// From a PEM certificate and a PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC).
    pub fn from_pem(certificate_pem: &str, key_pem: &str) -> Result<Self, SignerError> {
        let certificate =
            Certificate::from_pem(certificate_pem).map_err(|_| SignerError::Certificate)?;
        let key = if let Ok(rsa) = RsaPrivateKey::from_pkcs8_pem(key_pem) {
            PrivateKey::Rsa(Box::new(rsa))
        } else if let Ok(rsa) = RsaPrivateKey::from_pkcs1_pem(key_pem) {
            PrivateKey::Rsa(Box::new(rsa))
        } else if let Ok(ec) = p256::SecretKey::from_pkcs8_pem(key_pem) {
            PrivateKey::Ec(ec)
        } else {
            PrivateKey::Ec(p256::SecretKey::from_sec1_pem(key_pem).map_err(|_| SignerError::Key)?)
        };
        Self::new(certificate, key)
    }

    fn new(certificate: Certificate, key: PrivateKey) -> Result<Self, SignerError> {
        let certificate_der = certificate.to_der().map_err(|_| SignerError::Certificate)?;
        let spki = certificate
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|_| SignerError::Certificate)?;
        let (public, key) = match key {
            PrivateKey::Rsa(rsa) => {
                if rsa.size() * 8 < RSA_BITS_MIN {
                    return Err(SignerError::WeakRsaKey);
                }
                let public = RsaPublicKey::from(rsa.as_ref()).to_public_key_der();
                let key = Key::Rsa(Box::new(rsa::pkcs1v15::SigningKey::new(*rsa)));
                (public, key)
            }
            PrivateKey::Ec(ec) => {
                let public = ec.public_key().to_public_key_der();
                (public, Key::EcP256(Box::new(EcSigningKey::from(ec))))
            }
        };
        let public = public.map_err(|_| SignerError::Key)?;
        if public.as_bytes() != spki.as_slice() {
            return Err(SignerError::KeyMismatch);
        }
        Ok(Self {
            certificate,
            certificate_der,
            key,
        })
    }

    /// The signature algorithm the key implies.
    pub fn algorithm(&self) -> SignatureAlgorithm {
        match self.key {
            Key::Rsa(_) => SignatureAlgorithm::RsaSha256,
            Key::EcP256(_) => SignatureAlgorithm::EcdsaP256Sha256,
        }
    }

    /// The certificate, DER.
    pub fn certificate_der(&self) -> &[u8] {
        &self.certificate_der
    }

    pub(crate) fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// Signs `message` (SHA-256 inside); ECDSA signatures come as `R||S`.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignerError> {
        match &self.key {
            Key::Rsa(key) => key
                .try_sign(message)
                .map(|s| s.to_vec())
                .map_err(|_| SignerError::Signing),
            Key::EcP256(key) => {
                let signature: p256::ecdsa::Signature =
                    key.try_sign(message).map_err(|_| SignerError::Signing)?;
                Ok(signature.to_bytes().to_vec())
            }
        }
    }
}

enum PrivateKey {
    Rsa(Box<RsaPrivateKey>),
    Ec(p256::SecretKey),
}
