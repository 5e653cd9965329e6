//! SHA-256 digests in KSeF's standard-Base64 form, and `x-ms-meta-hash` verification.

use base64::{engine::general_purpose::STANDARD, Engine};
use sha2::{Digest, Sha256};

/// A SHA-256 digest as standard Base64 with padding (44 characters).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sha256B64(String);

/// Length of a Base64-encoded SHA-256 digest.
pub const SHA256_B64_LEN: usize = 44;

/// A string that is not a Base64 SHA-256 digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a Base64 SHA-256 digest: {0:?}")]
pub struct InvalidHash(pub String);

impl Sha256B64 {
    /// Digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(STANDARD.encode(Sha256::digest(bytes)))
    }

    /// Parses a digest received from KSeF.
    pub fn parse(value: &str) -> Result<Self, InvalidHash> {
        match STANDARD.decode(value) {
            Ok(raw) if raw.len() == 32 && value.len() == SHA256_B64_LEN => {
                Ok(Self(value.to_owned()))
            }
            _ => Err(InvalidHash(value.to_owned())),
        }
    }

    /// The 44-character Base64 text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Outcome of checking a downloaded body against its `x-ms-meta-hash` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashCheck {
    /// The header was present and matched the body.
    Verified,
    /// The server sent no hash header, so nothing could be checked.
    NotProvided,
}

/// The body does not match the hash the server announced: a corrupted or truncated download.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("downloaded body hash {actual} does not match x-ms-meta-hash {announced}")]
pub struct HashMismatch {
    /// Value of the header.
    pub announced: String,
    /// Digest of the body actually received.
    pub actual: String,
}

/// Verifies `body` against an optional `x-ms-meta-hash` header value.
pub fn verify_meta_hash(body: &[u8], header: Option<&str>) -> Result<HashCheck, HashMismatch> {
    let Some(announced) = header.map(str::trim) else {
        return Ok(HashCheck::NotProvided);
    };
    let actual = Sha256B64::of(body);
    if actual.as_str() == announced {
        Ok(HashCheck::Verified)
    } else {
        Err(HashMismatch {
            announced: announced.to_owned(),
            actual: actual.0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_of_empty_input_is_the_well_known_value() {
        // SHA-256("") = e3b0c442...b855, whose Base64 is this constant.
        assert_eq!(
            Sha256B64::of(b"").as_str(),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }

    #[test]
    fn meta_hash_is_verified_and_mismatch_reported() {
        let body = b"<Potwierdzenie/>";
        let good = Sha256B64::of(body);
        assert_eq!(
            verify_meta_hash(body, Some(good.as_str())),
            Ok(HashCheck::Verified)
        );
        assert_eq!(verify_meta_hash(body, None), Ok(HashCheck::NotProvided));
        let err = verify_meta_hash(b"<Potwierdzenie>", Some(good.as_str())).unwrap_err();
        assert_eq!(err.announced, good.as_str());
    }

    #[test]
    fn parse_rejects_non_digests() {
        assert!(Sha256B64::parse("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=").is_ok());
        assert!(Sha256B64::parse("AAAA").is_err());
        assert!(Sha256B64::parse("not base64 at all, but forty-four chars long!").is_err());
    }
}
