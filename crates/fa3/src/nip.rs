//! NIP (Polish tax id) checksum.
//!
//! KSeF's documentation does not spell the algorithm out; this is the standard one: weights
//! 6,5,7,2,3,4,5,6,7 on digits 1–9, the sum mod 11 is digit 10, and a remainder of 10 means no
//! valid NIP has these first nine digits.

/// Why a string is not a valid NIP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NipError {
    /// Not exactly ten ASCII digits (the XSD pattern's business, reported there).
    #[error("a NIP has exactly ten digits")]
    Format,
    /// Ten digits whose check digit does not match.
    #[error("NIP check digit does not match")]
    Checksum,
}

const WEIGHTS: [u32; 9] = [6, 5, 7, 2, 3, 4, 5, 6, 7];

/// Checks a NIP's format and check digit.
pub fn check(nip: &str) -> Result<(), NipError> {
    let bytes = nip.as_bytes();
    if bytes.len() != 10 || !bytes.iter().all(u8::is_ascii_digit) {
        return Err(NipError::Format);
    }
    let digit = |b: &u8| u32::from(b - b'0');
    let sum: u32 = bytes.iter().zip(WEIGHTS).map(|(b, w)| digit(b) * w).sum();
    let check = sum % 11;
    match bytes.last().map(digit) {
        Some(last) if check != 10 && check == last => Ok(()),
        _ => Err(NipError::Checksum),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_nips_from_the_official_samples_and_docs() {
        // 9999999999 is the seller in the FA(3) samples; 5265877635 and 7352765225 appear in
        // KSEF-API.md's minimal invoice.
        for nip in ["9999999999", "5265877635", "7352765225"] {
            assert_eq!(check(nip), Ok(()), "{nip}");
        }
    }

    #[test]
    fn rejects_a_hand_computed_wrong_check_digit() {
        // 526587763x: 5*6+2*5+6*7+5*2+8*3+7*4+7*5+6*6+3*7 = 236; 236 mod 11 = 5, so 5 is the
        // only valid last digit and 4 must fail.
        assert_eq!(check("5265877635"), Ok(()));
        assert_eq!(check("5265877634"), Err(NipError::Checksum));
    }

    #[test]
    fn remainder_ten_is_never_valid() {
        // 000000003x: only the ninth digit counts, 3 * 7 = 21 and 21 mod 11 = 10, so no check
        // digit can make it valid.
        for last in '0'..='9' {
            assert_eq!(check(&format!("000000003{last}")), Err(NipError::Checksum));
        }
    }

    #[test]
    fn rejects_wrong_formats() {
        for nip in [
            "",
            "123",
            "12345678901",
            "52658776 5",
            "52658776a5",
            "５265877635",
        ] {
            assert_eq!(check(nip), Err(NipError::Format), "{nip:?}");
        }
    }
}
