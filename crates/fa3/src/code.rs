//! Stable finding codes: the contract between validation, the error dictionary and every UI.
//!
//! A code, once released, never changes meaning. The UI, the CLI and `schemas/errors.toml` key on
//! [`FindingCode::as_str`]; nothing anywhere matches on messages.

/// Who enforces a rule: KSeF itself (the invoice would be rejected) or KSeF Desk (a helpful check).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleSource {
    /// KSeF rejects documents that break this rule (KSEF-API.md §8, the FA(3) XSD).
    Ksef,
    /// Our own consistency check; KSeF accepts the document anyway. Always a warning.
    Ours,
}

macro_rules! finding_codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $source:ident; )*) => {
        /// Every finding validation can emit.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum FindingCode { $( $(#[$doc])* $variant, )* }

        impl FindingCode {
            /// All codes, for dictionary completeness tests and documentation.
            pub const ALL: &'static [FindingCode] = &[ $( FindingCode::$variant, )* ];

            /// The stable string form used by the dictionary, the CLI's JSON and the UI.
            pub const fn as_str(self) -> &'static str {
                match self { $( FindingCode::$variant => $code, )* }
            }

            /// Who enforces the rule behind this code.
            pub const fn source(self) -> RuleSource {
                match self { $( FindingCode::$variant => RuleSource::$source, )* }
            }

            /// Parses the stable string form.
            pub fn parse(code: &str) -> Option<FindingCode> {
                match code { $( $code => Some(FindingCode::$variant), )* _ => None }
            }
        }
    };
}

finding_codes! {
    /// The input could not be read at all (I/O error).
    InputUnreadable = "input.unreadable", Ksef;
    /// The file is empty (zero bytes or only whitespace).
    InputEmpty = "input.empty", Ksef;
    /// The file is far larger than any invoice KSeF accepts; it was not parsed.
    InputTooLarge = "input.too_large", Ksef;
    /// The bytes look binary (NUL bytes, an archive, an image), not XML text.
    InputBinary = "input.binary", Ksef;
    /// A UTF-8 byte-order mark precedes the document.
    XmlBom = "xml.bom", Ksef;
    /// The document is UTF-16/UTF-32 (by BOM or byte pattern) instead of UTF-8.
    XmlNotUtf8Encoding = "xml.not_utf8_encoding", Ksef;
    /// The prolog declares an encoding other than UTF-8.
    XmlDeclaredEncoding = "xml.declared_encoding", Ksef;
    /// The bytes are not valid UTF-8.
    XmlInvalidUtf8 = "xml.invalid_utf8", Ksef;
    /// The document is not well-formed XML 1.0.
    XmlMalformed = "xml.malformed", Ksef;
    /// A character that XML 1.0 forbids (e.g. a control character) appears in the document.
    XmlIllegalChar = "xml.illegal_char", Ksef;
    /// A processing instruction (`<?...?>` other than the prolog) appears in the document.
    XmlProcessingInstruction = "xml.processing_instruction", Ksef;
    /// A DOCTYPE / entity declaration appears; it is never expanded or resolved.
    XmlDoctype = "xml.doctype", Ksef;
    /// A code point KSeF discourages (KSEF-API.md §8) appears in the document.
    XmlDiscouragedChar = "xml.discouraged_char", Ksef;
    /// Larger than 1 000 000 bytes without an attachment.
    SizeTooLarge = "size.too_large", Ksef;
    /// Larger than 3 000 000 bytes with an attachment (`Zalacznik`).
    SizeTooLargeWithAttachment = "size.too_large_with_attachment", Ksef;
    /// The root element is not FA(3) `Faktura` in namespace `http://crd.gov.pl/wzor/2025/06/25/13775/`.
    SchemaWrongRoot = "schema.wrong_root", Ksef;
    /// The document breaks the official FA(3) XSD.
    SchemaInvalid = "schema.invalid", Ksef;
    /// The official XSD was not available, so XSD validation was skipped (a warning, never silent).
    SchemaSkipped = "schema.skipped", Ours;
    /// An element needed for KSeF's duplicate key (seller NIP, `RodzajFaktury`, `P_2`) is missing.
    DocMissingKeyField = "doc.missing_key_field", Ksef;
    /// `P_1` (issue date) is after the day KSeF accepts the invoice.
    BusinessIssueDateInFuture = "business.issue_date_in_future", Ksef;
    /// A NIP fails its checksum (an error on production, where KSeF checks it; a warning elsewhere).
    BusinessNipChecksum = "business.nip_checksum", Ksef;
    /// Our check: sum of net and VAT amounts (`P_13_x`, `P_14_x`) differs from the total `P_15`.
    OursTotalsMismatch = "ours.totals_mismatch", Ours;
    /// Our check: a line's net value `P_11` differs from quantity × unit net price (`P_8B` × `P_9A`).
    OursLineTotalMismatch = "ours.line_total_mismatch", Ours;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for &code in FindingCode::ALL {
            assert!(
                seen.insert(code.as_str()),
                "duplicate code {}",
                code.as_str()
            );
            assert_eq!(FindingCode::parse(code.as_str()), Some(code));
        }
        assert_eq!(FindingCode::parse("no.such_code"), None);
    }

    #[test]
    fn our_own_checks_are_marked_as_ours() {
        for &code in FindingCode::ALL {
            if code.as_str().starts_with("ours.") {
                assert_eq!(code.source(), RuleSource::Ours, "{}", code.as_str());
            }
        }
    }
}
