//! The simulator's public-key certificates (§2.3): seeded RSA key pairs, self-signed X.509 certificates,
//! and rotation that withdraws the previous generation.

use crate::crypto::sha256_b64;
use base64::{engine::general_purpose::STANDARD, Engine as _};
use chrono::{DateTime, Duration, Utc};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rsa::pkcs8::EncodePublicKey;
use rsa::{Oaep, RsaPrivateKey};
use sha2::Sha256;
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Mutex, OnceLock};
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::der::asn1::UtcTime;
use x509_cert::der::Encode;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::{Time, Validity};

/// How long a generated certificate is valid.
const CERT_VALIDITY_DAYS: i64 = 730;

/// Failure to build the key material (never input-driven).
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// RSA key generation failed.
    #[error("RSA key generation failed: {0}")]
    Rsa(#[from] rsa::Error),
    /// Encoding the key or certificate failed.
    #[error("certificate encoding failed: {0}")]
    Encoding(String),
}

/// What a certificate may be used for (`PublicKeyCertificateUsage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyUsage {
    /// Encrypting `token|timestampMs` in `/auth/ksef-token`.
    KsefTokenEncryption,
    /// Encrypting the session AES key.
    SymmetricKeyEncryption,
}

impl KeyUsage {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyUsage::KsefTokenEncryption => "KsefTokenEncryption",
            KeyUsage::SymmetricKeyEncryption => "SymmetricKeyEncryption",
        }
    }
}

/// One key pair and its certificate.
pub struct KeyEntry {
    /// Usage of this key.
    pub usage: KeyUsage,
    private: RsaPrivateKey,
    /// Certificate DER.
    pub certificate_der: Vec<u8>,
    /// b64 SHA-256 of the SubjectPublicKeyInfo DER.
    pub public_key_id: String,
    /// b64 SHA-256 of the certificate DER.
    pub certificate_id: String,
    /// Start of validity.
    pub valid_from: DateTime<Utc>,
    /// End of validity.
    pub valid_to: DateTime<Utc>,
}

impl KeyEntry {
    /// Certificate as standard Base64 (no PEM armour).
    pub fn certificate_b64(&self) -> String {
        STANDARD.encode(&self.certificate_der)
    }

    /// RSA-OAEP (SHA-256, MGF1-SHA-256, empty label) decryption; `None` on any failure.
    pub fn decrypt(&self, ciphertext: &[u8]) -> Option<Vec<u8>> {
        self.private.decrypt(Oaep::new::<Sha256>(), ciphertext).ok()
    }

    /// The public key, for clients in tests.
    pub fn public_key(&self) -> rsa::RsaPublicKey {
        self.private.to_public_key()
    }
}

/// The current generation of keys; older generations are withdrawn (21470).
pub struct KeyRing {
    seed: u64,
    bits: usize,
    generation: u32,
    current: Vec<KeyEntry>,
}

/// Key generation is slow in debug builds and fully determined by (seed, generation, usage, bits),
/// so generated keys are shared process-wide.
fn cached_private_key(
    seed: u64,
    generation: u32,
    usage: KeyUsage,
    bits: usize,
) -> Result<RsaPrivateKey, KeyError> {
    type Cache = Mutex<HashMap<(u64, u32, KeyUsage, usize), RsaPrivateKey>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let key = (seed, generation, usage, bits);
    if let Some(found) = cache
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(&key)
    {
        return Ok(found.clone());
    }
    let usage_salt: u64 = match usage {
        KeyUsage::KsefTokenEncryption => 1,
        KeyUsage::SymmetricKeyEncryption => 2,
    };
    let mut rng = ChaCha20Rng::seed_from_u64(
        seed ^ (u64::from(generation) << 32) ^ usage_salt.wrapping_mul(0x9E37_79B9_7F4A_7C15),
    );
    let private = RsaPrivateKey::new(&mut rng, bits)?;
    cache
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .insert(key, private.clone());
    Ok(private)
}

fn utc_time(at: DateTime<Utc>) -> Result<Time, KeyError> {
    let secs =
        u64::try_from(at.timestamp()).map_err(|_| KeyError::Encoding("time before 1970".into()))?;
    UtcTime::from_unix_duration(std::time::Duration::from_secs(secs))
        .map(Time::UtcTime)
        .map_err(|e| KeyError::Encoding(e.to_string()))
}

fn build_entry(
    usage: KeyUsage,
    private: RsaPrivateKey,
    generation: u32,
    now: DateTime<Utc>,
) -> Result<KeyEntry, KeyError> {
    let enc = |e: &dyn std::fmt::Display| KeyError::Encoding(e.to_string());
    let spki_der = private
        .to_public_key()
        .to_public_key_der()
        .map_err(|e| enc(&e))?;
    let spki = SubjectPublicKeyInfoOwned::try_from(spki_der.as_bytes()).map_err(|e| enc(&e))?;
    // Whole seconds: X.509 UTCTime has no fractions, and validFrom must equal the certificate's notBefore.
    let valid_from = DateTime::<Utc>::from_timestamp(now.timestamp(), 0).unwrap_or(now);
    let valid_to = valid_from + Duration::days(CERT_VALIDITY_DAYS);
    let validity = Validity {
        not_before: utc_time(valid_from)?,
        not_after: utc_time(valid_to)?,
    };
    let subject = Name::from_str(&format!(
        "CN=KSeF Simulator {},O=ksef-sim,C=PL",
        usage.as_str()
    ))
    .map_err(|e| enc(&e))?;
    // Distinct positive serials per generation and usage (u64: no overflow for any u32 generation).
    let serial = SerialNumber::from(
        u64::from(generation) * 2 + 1 + u64::from(usage == KeyUsage::SymmetricKeyEncryption),
    );
    let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new(private.clone());
    let cert = CertificateBuilder::new(Profile::Root, serial, validity, subject, spki, &signer)
        .map_err(|e| enc(&e))?
        .build::<rsa::pkcs1v15::Signature>()
        .map_err(|e| enc(&e))?;
    let certificate_der = cert.to_der().map_err(|e| enc(&e))?;
    Ok(KeyEntry {
        usage,
        public_key_id: sha256_b64(spki_der.as_bytes()),
        certificate_id: sha256_b64(&certificate_der),
        certificate_der,
        private,
        valid_from,
        valid_to,
    })
}

impl KeyRing {
    /// Generates generation 0 of both keys.
    pub fn generate(seed: u64, bits: usize, now: DateTime<Utc>) -> Result<Self, KeyError> {
        let mut ring = Self {
            seed,
            bits,
            generation: 0,
            current: Vec::new(),
        };
        ring.current = ring.build_generation(0, now)?;
        Ok(ring)
    }

    fn build_generation(
        &self,
        generation: u32,
        now: DateTime<Utc>,
    ) -> Result<Vec<KeyEntry>, KeyError> {
        [
            KeyUsage::KsefTokenEncryption,
            KeyUsage::SymmetricKeyEncryption,
        ]
        .into_iter()
        .map(|usage| {
            let private = cached_private_key(self.seed, generation, usage, self.bits)?;
            build_entry(usage, private, generation, now)
        })
        .collect()
    }

    /// Rebuilds a persisted generation (the keys derive from seed and generation alone).
    pub fn restore(
        seed: u64,
        bits: usize,
        generation: u32,
        now: DateTime<Utc>,
    ) -> Result<Self, KeyError> {
        let mut ring = Self {
            seed,
            bits,
            generation,
            current: Vec::new(),
        };
        ring.current = ring.build_generation(generation, now)?;
        Ok(ring)
    }

    /// Current generation (0 at start, +1 per rotation).
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// Replaces both keys; clients holding the old `publicKeyId` get 21470 from now on.
    pub fn rotate(&mut self, now: DateTime<Utc>) -> Result<(), KeyError> {
        let next = self.generation + 1;
        self.current = self.build_generation(next, now)?;
        self.generation = next;
        Ok(())
    }

    /// Current certificates.
    pub fn entries(&self) -> &[KeyEntry] {
        &self.current
    }

    /// Selects the key for `usage`; with a `public_key_id`, it must be the current one for that usage.
    pub fn select(&self, usage: KeyUsage, public_key_id: Option<&str>) -> Option<&KeyEntry> {
        self.current
            .iter()
            .find(|k| k.usage == usage && public_key_id.is_none_or(|id| id == k.public_key_id))
    }
}
