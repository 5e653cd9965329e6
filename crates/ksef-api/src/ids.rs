//! Identifiers: NIP, context identifiers and KSeF reference numbers (KSEF-API.md §0).

use std::fmt;

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// NIP must be 10 digits, first non-zero, matching the KSeF pattern.
    #[error("invalid NIP {0:?}")]
    Nip(String),
    /// Internal identifier must be `{nip}-{5 digits}`.
    #[error("invalid internal identifier {0:?}")]
    InternalId(String),
    /// NIP-VAT-UE identifier must be `{nip}-{EU VAT number}`.
    #[error("invalid NIP-VAT-UE identifier {0:?}")]
    NipVatUe(String),
    /// Peppol identifier must be `P` + 2 letters + 6 digits.
    #[error("invalid Peppol identifier {0:?}")]
    PeppolId(String),
    /// Reference numbers are exactly 36 characters of `[A-Za-z0-9-]`.
    #[error("invalid KSeF reference number {0:?}")]
    ReferenceNumber(String),
}

/// Polish tax identification number, as KSeF's pattern `^[1-9]((\d[1-9])|([1-9]\d))\d{7}$` accepts it.
///
/// The checksum is deliberately not verified: KSeF enforces it only on production,
/// and the test environment is used with random NIPs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Nip(String);

impl Nip {
    /// Parses a NIP.
    pub fn parse(value: &str) -> Result<Self, IdError> {
        let b = value.as_bytes();
        // `(\d[1-9])|([1-9]\d)` on digits 2-3 just means "not both zero".
        let valid = b.len() == 10
            && b.iter().all(u8::is_ascii_digit)
            && b[0] != b'0'
            && (b[1] != b'0' || b[2] != b'0');
        if valid {
            Ok(Self(value.to_owned()))
        } else {
            Err(IdError::Nip(value.to_owned()))
        }
    }

    /// The 10 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Nip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The context (taxpayer) in which a client authenticates.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ContextIdentifier {
    /// A taxpayer by NIP.
    Nip(Nip),
    /// An internal unit: `{nip}-{5 digits}`.
    InternalId(String),
    /// A composite NIP + EU VAT number: `{nip}-{EU VAT number}`.
    NipVatUe(String),
    /// A Peppol service provider: `P` + 2 letters + 6 digits.
    PeppolId(String),
}

impl ContextIdentifier {
    /// Parses an internal identifier.
    pub fn internal_id(value: &str) -> Result<Self, IdError> {
        let ok = value.split_once('-').is_some_and(|(nip, n)| {
            Nip::parse(nip).is_ok() && n.len() == 5 && n.bytes().all(|c| c.is_ascii_digit())
        });
        ok.then(|| Self::InternalId(value.to_owned()))
            .ok_or_else(|| IdError::InternalId(value.to_owned()))
    }

    /// Parses a NIP-VAT-UE identifier.
    pub fn nip_vat_ue(value: &str) -> Result<Self, IdError> {
        let ok = value.split_once('-').is_some_and(|(nip, vat)| {
            Nip::parse(nip).is_ok()
                && (3..=14).contains(&vat.len())
                && vat.bytes().take(2).all(|c| c.is_ascii_uppercase())
                && vat
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'*')
        });
        ok.then(|| Self::NipVatUe(value.to_owned()))
            .ok_or_else(|| IdError::NipVatUe(value.to_owned()))
    }

    /// Parses a Peppol identifier.
    pub fn peppol_id(value: &str) -> Result<Self, IdError> {
        let b = value.as_bytes();
        let ok = b.len() == 9
            && b[0] == b'P'
            && b[1..3].iter().all(u8::is_ascii_uppercase)
            && b[3..].iter().all(u8::is_ascii_digit);
        ok.then(|| Self::PeppolId(value.to_owned()))
            .ok_or_else(|| IdError::PeppolId(value.to_owned()))
    }

    /// KSeF's name for the identifier type (`Nip`, `InternalId`, `NipVatUe`, `PeppolId`).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Nip(_) => "Nip",
            Self::InternalId(_) => "InternalId",
            Self::NipVatUe(_) => "NipVatUe",
            Self::PeppolId(_) => "PeppolId",
        }
    }

    /// The identifier value.
    pub fn value(&self) -> &str {
        match self {
            Self::Nip(nip) => nip.as_str(),
            Self::InternalId(v) | Self::NipVatUe(v) | Self::PeppolId(v) => v,
        }
    }
}

/// A KSeF reference number (session, invoice, UPO, auth operation…).
///
/// Only the length (36) and the alphabet are checked: the middle two-letter tag
/// is documented by example only and real UPOs carry digits there.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReferenceNumber(String);

/// Length of every KSeF reference number.
pub const REFERENCE_NUMBER_LEN: usize = 36;

impl ReferenceNumber {
    /// Parses a reference number; the alphabet check also makes it safe as a URL path segment.
    pub fn parse(value: &str) -> Result<Self, IdError> {
        let ok = value.len() == REFERENCE_NUMBER_LEN
            && value
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-');
        ok.then(|| Self(value.to_owned()))
            .ok_or_else(|| IdError::ReferenceNumber(value.to_owned()))
    }

    /// The 36 characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ReferenceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reference number of an online or batch session.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionRef(pub ReferenceNumber);

/// Reference number KSeF gave an invoice when it accepted it for processing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InvoiceRef(pub ReferenceNumber);

impl fmt::Display for SessionRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for InvoiceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nip_follows_the_ksef_pattern() {
        assert!(Nip::parse("5265877635").is_ok());
        for bad in [
            "0265877635",
            "5005877635",
            "526587763",
            "52658776350",
            "52658776a5",
            "",
        ] {
            assert_eq!(Nip::parse(bad), Err(IdError::Nip(bad.into())), "{bad}");
        }
    }

    #[test]
    fn context_identifiers_validate_their_shapes() {
        assert_eq!(
            ContextIdentifier::internal_id("5265877635-12345")
                .unwrap()
                .kind(),
            "InternalId"
        );
        assert!(ContextIdentifier::internal_id("5265877635-1234").is_err());
        assert_eq!(
            ContextIdentifier::nip_vat_ue("5265877635-ATU12345678")
                .unwrap()
                .value(),
            "5265877635-ATU12345678"
        );
        assert!(ContextIdentifier::nip_vat_ue("5265877635-12").is_err());
        assert!(ContextIdentifier::peppol_id("PPL123456").is_ok());
        assert!(ContextIdentifier::peppol_id("PPL12345").is_err());
        assert_eq!(
            ContextIdentifier::Nip(Nip::parse("5265877635").unwrap()).kind(),
            "Nip"
        );
    }

    #[test]
    fn reference_numbers_are_36_url_safe_characters() {
        assert!(ReferenceNumber::parse("20250625-SO-2C3E6C8000-B5D8AE4D5E-42").is_ok());
        // Real UPO samples carry digits in the tag position.
        assert!(ReferenceNumber::parse("36950822-93-9D5A28BFDA-47C899773E-5C").is_ok());
        assert!(ReferenceNumber::parse("20250625-SO-2C3E6C8000-B5D8AE4D5E-4").is_err());
        assert!(ReferenceNumber::parse("20250625-SO-2C3E6C8000/B5D8AE4D5E-42").is_err());
    }
}
