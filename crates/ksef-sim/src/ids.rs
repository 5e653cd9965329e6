//! Identifiers KSeF hands out: reference numbers (§0) and KSeF numbers with their CRC-8 checksum (§9).

use chrono::{DateTime, Utc};
use rand::RngCore;

/// The two-letter kind inside a reference number (`YYYYMMDD-XX-…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefKind {
    /// Authentication challenge.
    Challenge,
    /// Authentication operation.
    Auth,
    /// Online (interactive) session.
    OnlineSession,
    /// Batch session.
    BatchSession,
    /// Invoice inside a session.
    Invoice,
    /// UPO page.
    Upo,
    /// KSeF token (appears in the UPO as `NumerReferencyjnyTokenaKSeF`).
    Token,
}

impl RefKind {
    fn code(self) -> &'static str {
        match self {
            RefKind::Challenge => "CR",
            RefKind::Auth => "AU",
            RefKind::OnlineSession => "SO",
            RefKind::BatchSession => "SB",
            RefKind::Invoice => "EE",
            RefKind::Upo => "EU",
            RefKind::Token => "TK",
        }
    }
}

/// CRC-8 with polynomial 0x07, init 0x00, no reflection, no final XOR (the KSeF-number checksum).
pub fn crc8(data: &[u8]) -> u8 {
    let mut crc = 0u8;
    for &byte in data {
        crc ^= byte;
        for _ in 0..8 {
            crc = if crc & 0x80 != 0 {
                (crc << 1) ^ 0x07
            } else {
                crc << 1
            };
        }
    }
    crc
}

fn random_hex(rng: &mut impl RngCore, bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rng.fill_bytes(&mut buf);
    hex::encode_upper(buf)
}

/// A 36-char reference number `YYYYMMDD-XX-HHHHHHHHHH-HHHHHHHHHH-CC`, `CC` = CRC-8 of the first 33 chars.
pub fn reference_number(rng: &mut impl RngCore, at: DateTime<Utc>, kind: RefKind) -> String {
    let body = format!(
        "{}-{}-{}-{}",
        at.format("%Y%m%d"),
        kind.code(),
        random_hex(rng, 5),
        random_hex(rng, 5)
    );
    format!("{body}-{:02X}", crc8(body.as_bytes()))
}

/// A 35-char KSeF number `{sellerNip}-{YYYYMMDD}-{12 hex}-{CRC-8}` (§9).
pub fn ksef_number(rng: &mut impl RngCore, seller_nip: &str, at: DateTime<Utc>) -> String {
    let body = format!(
        "{seller_nip}-{}-{}",
        at.format("%Y%m%d"),
        random_hex(rng, 6)
    );
    format!("{body}-{:02X}", crc8(body.as_bytes()))
}

/// Random lowercase hex for opaque secrets (trace ids, URL signatures).
pub fn opaque_hex(rng: &mut impl RngCore, bytes: usize) -> String {
    random_hex(rng, bytes).to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn crc8_matches_the_documented_ksef_number() {
        // §9: `5265877635-20250826-0100001AF629` carries checksum `AF`.
        assert_eq!(crc8(b"5265877635-20250826-0100001AF629"), 0xAF);
    }

    #[test]
    fn generated_ksef_number_has_the_documented_shape_and_a_valid_checksum() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let at = Utc
            .with_ymd_and_hms(2026, 2, 2, 10, 0, 0)
            .single()
            .expect("valid date");
        let number = ksef_number(&mut rng, "5265877635", at);
        assert_eq!(number.len(), 35);
        assert!(number.starts_with("5265877635-20260202-"));
        let (body, check) = number.split_at(32);
        assert_eq!(check, format!("-{:02X}", crc8(body.as_bytes())));
    }

    #[test]
    fn reference_numbers_are_36_chars_with_kind() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let at = Utc
            .with_ymd_and_hms(2026, 2, 2, 10, 0, 0)
            .single()
            .expect("valid date");
        let r = reference_number(&mut rng, at, RefKind::OnlineSession);
        assert_eq!(r.len(), 36);
        assert_eq!(&r[8..12], "-SO-");
    }
}
