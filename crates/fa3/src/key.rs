//! The idempotency key: KSeF's duplicate criterion plus the exact content hash.

use sha2::{Digest, Sha256};

use crate::capture::collapse_whitespace;
use crate::document::Fa3Document;

/// Identifies an invoice the way KSeF's duplicate check does (KSEF-API.md §8: seller NIP +
/// `RodzajFaktury` + `P_2`, globally), plus the hash of the exact bytes.
///
/// Normalisation of the three parts: XSD `token` whitespace handling (trim, collapse inner runs
/// to one space) and nothing else; case is kept. `P_2` is an `xsd:token`, so whitespace
/// differences are not differences to any schema-aware reader, but `FV/1` and `fv/1` are two
/// legitimate numbers. Over-normalising would block a legitimate invoice as a false conflict,
/// which no one can resolve; under-normalising only costs a 440 from KSeF, which the engine
/// reconciles.
///
/// `duplicate_key` is `{nip}|{kind}|{number}`: NIP and kind never contain `|`, so the form is
/// unambiguous even when the number does.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey {
    /// Seller NIP, invoice kind and number, normalised.
    pub duplicate_key: String,
    /// Lower-case hex SHA-256 of the exact bytes.
    pub content_hash: String,
}

/// How two keys relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRelation {
    /// Same invoice, same bytes: a retry of the same submission.
    Same,
    /// Same duplicate key, different bytes: KSeF would reject the second one as a duplicate.
    Conflict,
    /// Different invoices.
    Unrelated,
}

impl IdempotencyKey {
    /// Builds the key from the three duplicate-criterion fields and the exact bytes.
    pub fn new(seller_nip: &str, invoice_kind: &str, number: &str, bytes: &[u8]) -> Self {
        IdempotencyKey {
            duplicate_key: duplicate_key(seller_nip, invoice_kind, number),
            content_hash: hex::encode(Sha256::digest(bytes)),
        }
    }

    /// The key of a read document; `None` when a duplicate-criterion field is missing.
    pub fn from_document(doc: &Fa3Document) -> Option<Self> {
        let (Some(nip), Some(kind), Some(number)) =
            (&doc.seller_nip, &doc.invoice_kind, &doc.number)
        else {
            return None;
        };
        Some(IdempotencyKey {
            duplicate_key: duplicate_key(nip, kind, number),
            content_hash: hex::encode(doc.sha256),
        })
    }

    /// Compares two keys.
    pub fn same_invoice(&self, other: &IdempotencyKey) -> KeyRelation {
        match (
            self.duplicate_key == other.duplicate_key,
            self.content_hash == other.content_hash,
        ) {
            (true, true) => KeyRelation::Same,
            (true, false) => KeyRelation::Conflict,
            (false, _) => KeyRelation::Unrelated,
        }
    }
}

fn duplicate_key(seller_nip: &str, invoice_kind: &str, number: &str) -> String {
    format!(
        "{}|{}|{}",
        collapse_whitespace(seller_nip),
        collapse_whitespace(invoice_kind),
        collapse_whitespace(number)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_is_collapsed_but_case_is_kept() {
        let a = IdempotencyKey::new("5265877635", "VAT", "FV/1  2026", b"a");
        let b = IdempotencyKey::new(" 5265877635 ", "VAT", "\tFV/1 2026\n", b"a");
        let c = IdempotencyKey::new("5265877635", "VAT", "fv/1 2026", b"a");
        assert_eq!(a.duplicate_key, "5265877635|VAT|FV/1 2026");
        assert_eq!(a.same_invoice(&b), KeyRelation::Same);
        assert_eq!(a.same_invoice(&c), KeyRelation::Unrelated);
    }

    #[test]
    fn same_number_different_bytes_is_a_conflict() {
        let a = IdempotencyKey::new("5265877635", "VAT", "FV/1", b"first");
        let b = IdempotencyKey::new("5265877635", "VAT", "FV/1", b"second");
        assert_eq!(a.same_invoice(&b), KeyRelation::Conflict);
        assert_eq!(b.same_invoice(&a), KeyRelation::Conflict);
    }

    #[test]
    fn kind_and_seller_are_part_of_the_key() {
        let a = IdempotencyKey::new("5265877635", "VAT", "FV/1", b"x");
        assert_eq!(
            a.same_invoice(&IdempotencyKey::new("5265877635", "KOR", "FV/1", b"x")),
            KeyRelation::Unrelated
        );
        assert_eq!(
            a.same_invoice(&IdempotencyKey::new("7352765225", "VAT", "FV/1", b"x")),
            KeyRelation::Unrelated
        );
    }

    #[test]
    fn content_hash_is_hex_sha256_of_the_bytes() {
        // SHA-256("abc") from FIPS 180-2, appendix B.1.
        let k = IdempotencyKey::new("5265877635", "VAT", "FV/1", b"abc");
        assert_eq!(
            k.content_hash,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
