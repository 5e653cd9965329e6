//! KSeF invoice numbers and their CRC-8 checksum (KSEF-API.md §9).

use std::fmt;

use chrono::NaiveDate;

use crate::ids::Nip;

/// Why a string is not a KSeF number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KsefNumberError {
    /// KSeF 2.0 numbers have 35 characters, KSeF 1.0 numbers 36.
    #[error("KSeF number must have 35 or 36 characters, got {0}")]
    Length(usize),
    /// Segments are not `NIP-YYYYMMDD-HEX-CC`.
    #[error("KSeF number {0:?} is malformed")]
    Format(String),
    /// The CRC-8 in the last two characters does not match.
    #[error("KSeF number {number:?} has checksum {found}, expected {expected}")]
    Checksum {
        /// The whole number as given.
        number: String,
        /// Checksum computed over the first 32 characters.
        expected: String,
        /// Checksum found in the number.
        found: String,
    },
}

/// A number KSeF assigned to an accepted invoice.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KsefNumber(String);

/// Length of a KSeF 2.0 number (`NNNNNNNNNN-YYYYMMDD-TTTTTTTTTTTT-CC`).
pub const KSEF_NUMBER_LEN: usize = 35;
/// Length of a KSeF 1.0 number (`NNNNNNNNNN-YYYYMMDD-HHHHHH-HHHHHH-CC`), still accepted by the API.
pub const KSEF_NUMBER_V1_LEN: usize = 36;
/// The checksum covers this many leading characters (both hyphens included).
const CHECKSUM_COVERED_LEN: usize = 32;

impl KsefNumber {
    /// Parses and verifies a KSeF number.
    ///
    /// 2.0 numbers have their CRC-8 verified. For 36-character 1.0 numbers only the
    /// shape is checked, because their checksum scheme is not documented.
    pub fn parse(value: &str) -> Result<Self, KsefNumberError> {
        let malformed = || KsefNumberError::Format(value.to_owned());
        let segments: Vec<&str> = value.split('-').collect();
        let hex_upper = |s: &str| {
            s.bytes()
                .all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(&c))
        };
        let (nip, date, checksum) = match (value.len(), segments.as_slice()) {
            (KSEF_NUMBER_LEN, [nip, date, tail, cc]) if tail.len() == 12 && hex_upper(tail) => {
                (*nip, *date, *cc)
            }
            (KSEF_NUMBER_V1_LEN, [nip, date, a, b, cc])
                if a.len() == 6 && b.len() == 6 && hex_upper(a) && hex_upper(b) =>
            {
                (*nip, *date, *cc)
            }
            (KSEF_NUMBER_LEN | KSEF_NUMBER_V1_LEN, _) => return Err(malformed()),
            (len, _) => return Err(KsefNumberError::Length(len)),
        };
        Nip::parse(nip).map_err(|_| malformed())?;
        NaiveDate::parse_from_str(date, "%Y%m%d").map_err(|_| malformed())?;
        if date.len() != 8 || checksum.len() != 2 || !hex_upper(checksum) {
            return Err(malformed());
        }
        if value.len() == KSEF_NUMBER_LEN {
            let expected = format!("{:02X}", crc8(&value.as_bytes()[..CHECKSUM_COVERED_LEN]));
            if expected != checksum {
                return Err(KsefNumberError::Checksum {
                    number: value.to_owned(),
                    expected,
                    found: checksum.to_owned(),
                });
            }
        }
        Ok(Self(value.to_owned()))
    }

    /// The number as KSeF prints it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Seller NIP (first segment; validated by [`KsefNumber::parse`]).
    pub fn seller_nip(&self) -> &str {
        &self.0[..10]
    }

    /// Day KSeF accepted the invoice (second segment; validated by [`KsefNumber::parse`]).
    pub fn acceptance_date(&self) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(&self.0[11..19], "%Y%m%d").ok()
    }
}

impl fmt::Display for KsefNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// CRC-8, polynomial 0x07, init 0x00, no reflection, no final XOR.
pub(crate) fn crc8(data: &[u8]) -> u8 {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Numbers published in KSEF-API.md, the OpenAPI spec and the UPO samples.
    const DOCUMENTED: [&str; 9] = [
        "5265877635-20250826-0100001AF629-AF",
        "5265877635-20250626-010080DD2B5E-26",
        "5265877635-20250916-010040741B3E-46",
        "5265877635-20250916-0100C002FF3E-D5",
        "5265877635-20250916-02000009FF3E-FB",
        "5265877635-20250916-020000583241-84",
        "5265877635-20250916-0200A0D6723E-C2",
        "5265877635-20250925-010020A0A242-0A",
        "5555555555-20250828-010080615740-E4",
    ];

    #[test]
    fn documented_numbers_pass_the_checksum() {
        for number in DOCUMENTED {
            let parsed = KsefNumber::parse(number).unwrap_or_else(|e| panic!("{number}: {e}"));
            assert_eq!(parsed.seller_nip(), &number[..10]);
        }
        let first = KsefNumber::parse(DOCUMENTED[0]).unwrap();
        assert_eq!(
            first.acceptance_date(),
            NaiveDate::from_ymd_opt(2025, 8, 26)
        );
    }

    #[test]
    fn crc8_matches_the_reference_check_value() {
        // The standard check value of CRC-8/SMBUS (poly 0x07, init 0) over "123456789" is 0xF4.
        assert_eq!(crc8(b"123456789"), 0xF4);
    }

    #[test]
    fn a_changed_character_breaks_the_checksum() {
        let err = KsefNumber::parse("5265877635-20250826-0100001AF628-AF").unwrap_err();
        assert!(
            matches!(err, KsefNumberError::Checksum { ref found, .. } if found == "AF"),
            "{err:?}"
        );
    }

    #[test]
    fn malformed_numbers_get_typed_errors() {
        assert_eq!(
            KsefNumber::parse("5265877635-2025"),
            Err(KsefNumberError::Length(15))
        );
        for bad in [
            "5265877635-20251326-0100001AF629-AF", // month 13
            "5265877635-20250826-0100001af629-AF", // lowercase hex
            "0265877635-20250826-0100001AF629-AF", // NIP cannot start with 0
            "5265877635_20250826-0100001AF629-AF",
        ] {
            assert!(
                matches!(KsefNumber::parse(bad), Err(KsefNumberError::Format(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn ksef_1_0_numbers_are_accepted_by_shape() {
        let old = KsefNumber::parse("5265877635-20230908-16B994-91C78B-3D").unwrap();
        assert_eq!(old.seller_nip(), "5265877635");
        assert!(KsefNumber::parse("5265877635-20230908-16B99-491C78B-3D").is_err());
    }
}
