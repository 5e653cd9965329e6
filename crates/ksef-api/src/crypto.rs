//! Encryption KSeF requires (KSEF-API.md §2.3, §3.1): RSA-OAEP (SHA-256, MGF1-SHA-256) for the
//! KSeF token and the session key, AES-256-CBC/PKCS#7 for invoices, key choice by certificate usage.

use aes::Aes256;
use base64::{engine::general_purpose::STANDARD, Engine};
use cbc::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use chrono::{DateTime, Utc};
use rand::{CryptoRng, RngCore};
use rsa::pkcs8::DecodePublicKey;
use rsa::{Oaep, RsaPublicKey};
use sha2::Sha256;
use x509_cert::der::{Decode, Encode};
use x509_cert::Certificate;

use crate::hash::Sha256B64;
use crate::secret::Secret;

/// AES-256 key length in bytes.
pub const AES_KEY_LEN: usize = 32;
/// AES-CBC IV length in bytes.
pub const AES_IV_LEN: usize = 16;

/// Encryption failures; none of them carries key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The certificate is not DER X.509 with an RSA key.
    #[error("KSeF public key certificate is unusable: {0}")]
    InvalidCertificate(String),
    /// No currently valid certificate has the needed usage.
    #[error("KSeF publishes no valid certificate for {0:?}")]
    NoUsableKey(KeyUsage),
    /// RSA encryption failed (e.g. message too long for the key).
    #[error("RSA-OAEP encryption failed: {0}")]
    Rsa(String),
    /// Ciphertext is not a whole number of blocks or has bad padding (wrong key/IV or corruption).
    #[error("AES-CBC decryption failed: wrong key, IV or corrupted data")]
    Decrypt,
}

/// What KSeF allows a public key to be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyUsage {
    /// Encrypting `{ksefToken}|{timestampMs}` during token authentication.
    KsefTokenEncryption,
    /// Encrypting a session's AES key.
    SymmetricKeyEncryption,
}

/// A certificate from `GET /security/public-key-certificates`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKeyCertificate {
    /// DER bytes of the X.509 certificate.
    pub der: Vec<u8>,
    /// Start of validity as published by KSeF.
    pub valid_from: DateTime<Utc>,
    /// End of validity as published by KSeF.
    pub valid_to: DateTime<Utc>,
    /// Allowed uses.
    pub usage: Vec<KeyUsage>,
}

/// An RSA public key of KSeF and its `publicKeyId`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptionKey {
    key: RsaPublicKey,
    public_key_id: String,
}

impl EncryptionKey {
    /// Reads the RSA key from a DER certificate; `publicKeyId` = Base64 SHA-256 of its SubjectPublicKeyInfo DER.
    pub fn from_certificate_der(der: &[u8]) -> Result<Self, CryptoError> {
        let invalid = |e: &dyn std::fmt::Display| CryptoError::InvalidCertificate(e.to_string());
        let cert = Certificate::from_der(der).map_err(|e| invalid(&e))?;
        let spki_der = cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| invalid(&e))?;
        let key = RsaPublicKey::from_public_key_der(&spki_der).map_err(|e| invalid(&e))?;
        Ok(Self {
            key,
            public_key_id: Sha256B64::of(&spki_der).as_str().to_owned(),
        })
    }

    /// `publicKeyId` to send alongside data encrypted with this key.
    pub fn public_key_id(&self) -> &str {
        &self.public_key_id
    }

    /// RSA-OAEP with SHA-256 and MGF1-SHA-256, empty label.
    pub fn encrypt<R: RngCore + CryptoRng>(
        &self,
        rng: &mut R,
        data: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.key
            .encrypt(rng, Oaep::new::<Sha256>(), data)
            .map_err(|e| CryptoError::Rsa(e.to_string()))
    }
}

/// Picks the certificate to use: right usage, valid at `now`, latest `valid_from` wins.
pub fn select_key(
    certificates: &[PublicKeyCertificate],
    usage: KeyUsage,
    now: DateTime<Utc>,
) -> Result<EncryptionKey, CryptoError> {
    let chosen =
        choose_certificate(certificates, usage, now).ok_or(CryptoError::NoUsableKey(usage))?;
    EncryptionKey::from_certificate_der(&chosen.der)
}

fn choose_certificate(
    certificates: &[PublicKeyCertificate],
    usage: KeyUsage,
    now: DateTime<Utc>,
) -> Option<&PublicKeyCertificate> {
    certificates
        .iter()
        .filter(|c| c.usage.contains(&usage) && c.valid_from <= now && now < c.valid_to)
        .max_by_key(|c| c.valid_from)
}

/// `encryptedToken` for `POST /auth/ksef-token`: Base64(RSA-OAEP(`{token}|{timestampMs}`)).
///
/// `challenge_timestamp_ms` must be the challenge's `timestampMs`, not the local clock.
pub fn encrypt_ksef_token<R: RngCore + CryptoRng>(
    key: &EncryptionKey,
    ksef_token: &Secret,
    challenge_timestamp_ms: i64,
    rng: &mut R,
) -> Result<String, CryptoError> {
    let plain = format!("{}|{challenge_timestamp_ms}", ksef_token.expose());
    Ok(STANDARD.encode(key.encrypt(rng, plain.as_bytes())?))
}

/// The session's symmetric key as sent to KSeF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptionInfo {
    /// The AES key, RSA-OAEP encrypted with KSeF's `SymmetricKeyEncryption` key.
    pub encrypted_symmetric_key: Vec<u8>,
    /// The IV used for every invoice or part of the session.
    pub initialization_vector: [u8; AES_IV_LEN],
    /// Which KSeF key encrypted `encrypted_symmetric_key`.
    pub public_key_id: String,
}

/// AES-256-CBC key and IV of one session. Every invoice/part of the session uses both, and the
/// IV is not prefixed to the ciphertext (KSeF reads it from the session's `EncryptionInfo`).
#[derive(Clone)]
pub struct SessionCipher {
    key: [u8; AES_KEY_LEN],
    iv: [u8; AES_IV_LEN],
}

impl std::fmt::Debug for SessionCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionCipher([redacted])")
    }
}

impl SessionCipher {
    /// Fresh random key and IV.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut key = [0u8; AES_KEY_LEN];
        let mut iv = [0u8; AES_IV_LEN];
        rng.fill_bytes(&mut key);
        rng.fill_bytes(&mut iv);
        Self { key, iv }
    }

    /// Restores a cipher from persisted key material (e.g. to keep using a session after restart).
    pub fn from_parts(key: [u8; AES_KEY_LEN], iv: [u8; AES_IV_LEN]) -> Self {
        Self { key, iv }
    }

    /// `EncryptionInfo` for opening the session: the AES key wrapped with KSeF's key.
    pub fn encryption_info<R: RngCore + CryptoRng>(
        &self,
        ksef_key: &EncryptionKey,
        rng: &mut R,
    ) -> Result<EncryptionInfo, CryptoError> {
        Ok(EncryptionInfo {
            encrypted_symmetric_key: ksef_key.encrypt(rng, &self.key)?,
            initialization_vector: self.iv,
            public_key_id: ksef_key.public_key_id().to_owned(),
        })
    }

    /// AES-256-CBC + PKCS#7; output length is `(n / 16 + 1) * 16`.
    pub fn encrypt(&self, plain: &[u8]) -> Vec<u8> {
        cbc::Encryptor::<Aes256>::new(&self.key.into(), &self.iv.into())
            .encrypt_padded_vec_mut::<Pkcs7>(plain)
    }

    /// Inverse of [`SessionCipher::encrypt`] (export packages come back encrypted with our key).
    pub fn decrypt(&self, encrypted: &[u8]) -> Result<Vec<u8>, CryptoError> {
        cbc::Decryptor::<Aes256>::new(&self.key.into(), &self.iv.into())
            .decrypt_padded_vec_mut::<Pkcs7>(encrypted)
            .map_err(|_| CryptoError::Decrypt)
    }

    /// Encrypts an invoice and computes the hashes and sizes KSeF checks.
    pub fn encrypt_invoice(&self, xml: &[u8]) -> EncryptedInvoice {
        let content = self.encrypt(xml);
        EncryptedInvoice {
            invoice_hash: Sha256B64::of(xml),
            invoice_size: xml.len() as u64,
            encrypted_hash: Sha256B64::of(&content),
            encrypted_size: content.len() as u64,
            content,
            hash_of_corrected_invoice: None,
        }
    }
}

/// An invoice ready for `POST /sessions/online/{ref}/invoices`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedInvoice {
    /// SHA-256 of the plaintext XML.
    pub invoice_hash: Sha256B64,
    /// Plaintext size in bytes.
    pub invoice_size: u64,
    /// SHA-256 of the ciphertext.
    pub encrypted_hash: Sha256B64,
    /// Ciphertext size in bytes.
    pub encrypted_size: u64,
    /// The ciphertext.
    pub content: Vec<u8>,
    /// For a technical correction: hash of the rejected original file.
    pub hash_of_corrected_invoice: Option<Sha256B64>,
}

impl EncryptedInvoice {
    /// Marks this invoice as the technical correction of a rejected offline invoice.
    pub fn correcting(mut self, original_hash: Sha256B64) -> Self {
        self.hash_of_corrected_invoice = Some(original_hash);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn aes_round_trips_with_documented_sizes() {
        let cipher = SessionCipher::generate(&mut ChaCha8Rng::seed_from_u64(7));
        // Sizes from the spec examples: 6480 -> 6496 and 16037 -> 16048 (no IV prefix).
        for (plain_len, encrypted_len) in
            [(6480, 6496), (16037, 16048), (0, 16), (15, 16), (16, 32)]
        {
            let plain: Vec<u8> = (0..plain_len).map(|i| (i % 251) as u8).collect();
            let encrypted = cipher.encrypt(&plain);
            assert_eq!(encrypted.len(), encrypted_len);
            assert_eq!(cipher.decrypt(&encrypted).unwrap(), plain);
        }
    }

    #[test]
    fn same_session_uses_same_key_and_iv_and_other_sessions_differ() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let a = SessionCipher::generate(&mut rng);
        let b = SessionCipher::generate(&mut rng);
        assert_eq!(a.encrypt(b"invoice"), a.encrypt(b"invoice"));
        assert_ne!(a.encrypt(b"invoice"), b.encrypt(b"invoice"));
        assert_ne!(
            b.decrypt(&a.encrypt(b"invoice")).ok(),
            Some(b"invoice".to_vec())
        );
    }

    #[test]
    fn wrong_key_or_truncation_is_a_typed_error() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let a = SessionCipher::generate(&mut rng);
        let encrypted = a.encrypt(b"<Faktura/>");
        assert_eq!(
            a.decrypt(&encrypted[..encrypted.len() - 1]),
            Err(CryptoError::Decrypt)
        );
    }

    #[test]
    fn encrypted_invoice_hashes_are_of_plain_and_cipher_text() {
        let cipher = SessionCipher::generate(&mut ChaCha8Rng::seed_from_u64(3));
        let xml = b"<Faktura>1</Faktura>";
        let inv = cipher.encrypt_invoice(xml);
        assert_eq!(inv.invoice_hash, Sha256B64::of(xml));
        assert_eq!(inv.invoice_size, xml.len() as u64);
        assert_eq!(inv.encrypted_hash, Sha256B64::of(&inv.content));
        assert_eq!(inv.encrypted_size, 32);
    }

    #[test]
    fn garbage_certificate_is_rejected() {
        assert!(matches!(
            EncryptionKey::from_certificate_der(b"not der"),
            Err(CryptoError::InvalidCertificate(_))
        ));
        let err =
            select_key(&[], KeyUsage::SymmetricKeyEncryption, DateTime::UNIX_EPOCH).unwrap_err();
        assert_eq!(
            err,
            CryptoError::NoUsableKey(KeyUsage::SymmetricKeyEncryption)
        );
    }

    #[test]
    fn certificate_choice_is_by_usage_validity_and_latest_start() {
        let at = |day: u32| {
            chrono::NaiveDate::from_ymd_opt(2026, 1, day)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
                .and_utc()
        };
        let cert = |tag: u8, from: u32, to: u32, usage: KeyUsage| PublicKeyCertificate {
            der: vec![tag],
            valid_from: at(from),
            valid_to: at(to),
            usage: vec![usage],
        };
        let certs = [
            cert(1, 1, 30, KeyUsage::SymmetricKeyEncryption),
            cert(2, 5, 30, KeyUsage::SymmetricKeyEncryption), // newer: wins once valid
            cert(3, 20, 30, KeyUsage::SymmetricKeyEncryption), // not yet valid on day 10
            cert(4, 9, 30, KeyUsage::KsefTokenEncryption),    // wrong usage
            cert(5, 8, 9, KeyUsage::SymmetricKeyEncryption),  // already expired on day 10
        ];
        let chosen = |day| {
            choose_certificate(&certs, KeyUsage::SymmetricKeyEncryption, at(day)).map(|c| c.der[0])
        };
        assert_eq!(chosen(10), Some(2));
        assert_eq!(chosen(3), Some(1));
        assert_eq!(chosen(25), Some(3));
        assert_eq!(chosen(30), None);
    }

    #[test]
    fn debug_never_shows_the_session_key() {
        let cipher = SessionCipher::from_parts([0xAB; 32], [0xCD; 16]);
        assert_eq!(format!("{cipher:?}"), "SessionCipher([redacted])");
    }
}
