//! Cryptographic primitives of the KSeF wire protocol: SHA-256 digests, RSA-OAEP unwrapping, AES-256-CBC.

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, KeyIvInit};
use base64::{engine::general_purpose::STANDARD, Engine as _};
use sha2::{Digest, Sha256};

/// AES-256 key length in bytes.
pub const AES_KEY_BYTES: usize = 32;
/// AES-CBC IV length in bytes.
pub const AES_IV_BYTES: usize = 16;

/// SHA-256 of `data`, standard Base64 with padding (the API's `Sha256HashBase64`).
pub fn sha256_b64(data: &[u8]) -> String {
    STANDARD.encode(Sha256::digest(data))
}

/// Decodes standard Base64, `None` when malformed.
pub fn b64_decode(text: &str) -> Option<Vec<u8>> {
    STANDARD.decode(text.trim()).ok()
}

/// A session's symmetric key material (key + IV shared by every invoice or part of the session).
#[derive(Clone)]
pub struct SessionKey {
    key: [u8; AES_KEY_BYTES],
    iv: [u8; AES_IV_BYTES],
}

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Key material never reaches logs.
        f.write_str("SessionKey(..)")
    }
}

impl SessionKey {
    /// Builds the key from raw bytes; `None` when the lengths are wrong.
    pub fn new(key: &[u8], iv: &[u8]) -> Option<Self> {
        Some(Self {
            key: key.try_into().ok()?,
            iv: iv.try_into().ok()?,
        })
    }

    /// AES-256-CBC + PKCS#7 decryption without an IV prefix (§3.1); `None` on bad padding or length.
    pub fn decrypt(&self, ciphertext: &[u8]) -> Option<Vec<u8>> {
        cbc::Decryptor::<aes::Aes256>::new(&self.key.into(), &self.iv.into())
            .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
            .ok()
    }
}

/// Persisted as `{key, iv}` in Base64: the state file holds the session keys so a restarted simulator can
/// still decrypt parts and invoices of sessions opened before the restart.
impl serde::Serialize for SessionKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("SessionKey", 2)?;
        s.serialize_field("key", &STANDARD.encode(self.key))?;
        s.serialize_field("iv", &STANDARD.encode(self.iv))?;
        s.end()
    }
}

impl<'de> serde::Deserialize<'de> for SessionKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Raw {
            key: String,
            iv: String,
        }
        let raw = Raw::deserialize(deserializer)?;
        let key =
            b64_decode(&raw.key).ok_or_else(|| serde::de::Error::custom("key is not Base64"))?;
        let iv = b64_decode(&raw.iv).ok_or_else(|| serde::de::Error::custom("iv is not Base64"))?;
        SessionKey::new(&key, &iv).ok_or_else(|| serde::de::Error::custom("wrong key or IV length"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes::cipher::BlockEncryptMut;

    #[test]
    fn decrypts_what_aes_cbc_pkcs7_encrypted_with_the_same_key_and_iv() {
        let key = [7u8; 32];
        let iv = [9u8; 16];
        let plain = b"<Faktura/> with some length to span blocks".to_vec();
        let ct = cbc::Encryptor::<aes::Aes256>::new(&key.into(), &iv.into())
            .encrypt_padded_vec_mut::<Pkcs7>(&plain);
        assert_eq!(ct.len(), (plain.len() / 16 + 1) * 16);
        let session = SessionKey::new(&key, &iv).expect("lengths are right");
        assert_eq!(session.decrypt(&ct), Some(plain));
        let wrong = SessionKey::new(&[8u8; 32], &iv).expect("lengths are right");
        assert_ne!(wrong.decrypt(&ct), session.decrypt(&ct));
    }

    #[test]
    fn rejects_wrong_key_lengths() {
        assert!(SessionKey::new(&[0u8; 16], &[0u8; 16]).is_none());
        assert!(SessionKey::new(&[0u8; 32], &[0u8; 12]).is_none());
    }
}
