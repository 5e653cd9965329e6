//! The FA(3) document summary: what the engine, CLI and UI need to know about an invoice.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::code::FindingCode;
use crate::finding::Finding;

/// The FA(3) namespace (KSEF-API.md §12).
pub const FA3_NAMESPACE: &str = "http://crd.gov.pl/wzor/2025/06/25/13775/";

/// How a party (buyer or third party) is identified (`DaneIdentyfikacyjne` choice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartyId {
    /// Polish NIP.
    Nip { nip: String },
    /// KSeF internal id `{nip}-{5 digits}` (`IDWew`, third parties only).
    InternalId { id: String },
    /// EU VAT number: `KodUE` + `NrVatUE`.
    EuVat { country: String, number: String },
    /// Another id: optional `KodKraju` + `NrID`.
    Other { country: Option<String>, id: String },
    /// `BrakID`: the party has no identifier.
    NoId,
}

/// A `Podmiot3` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThirdParty {
    /// Its identifier, when the document gives one.
    pub id: Option<PartyId>,
    /// Its name, when given.
    pub name: Option<String>,
}

/// Invoice totals as exact decimals in the invoice currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    /// Sum of every net field present (`P_13_1`..`P_13_11`, including `P_13_6_1..3`).
    pub net: Decimal,
    /// Sum of every VAT field present (`P_14_1`..`P_14_5`; not the PLN `P_14_xW` copies).
    pub vat: Decimal,
    /// Total amount due, `P_15`.
    pub gross: Option<Decimal>,
}

/// Summary of one FA(3) document, read in the same pass that validates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fa3Document {
    /// `Podmiot1/DaneIdentyfikacyjne/NIP`.
    pub seller_nip: Option<String>,
    /// `Podmiot1/DaneIdentyfikacyjne/Nazwa`.
    pub seller_name: Option<String>,
    /// `Podmiot2/DaneIdentyfikacyjne` identifier.
    pub buyer: Option<PartyId>,
    /// `Podmiot2/DaneIdentyfikacyjne/Nazwa`.
    pub buyer_name: Option<String>,
    /// Every `Podmiot3`, in document order.
    pub third_parties: Vec<ThirdParty>,
    /// `PodmiotUpowazniony/DaneIdentyfikacyjne/NIP`.
    pub authorized_nip: Option<String>,
    /// `Fa/RodzajFaktury` (`VAT`, `KOR`, `ZAL`, …).
    pub invoice_kind: Option<String>,
    /// `Fa/P_1`, when present and a valid date.
    pub issue_date: Option<NaiveDate>,
    /// `Fa/P_2`, the invoice number.
    pub number: Option<String>,
    /// `Fa/KodWaluty`.
    pub currency: Option<String>,
    /// Net, VAT and gross totals.
    pub totals: Totals,
    /// Number of `FaWiersz` lines.
    pub line_count: u32,
    /// Whether a `Zalacznik` (attachment) is present.
    pub has_attachment: bool,
    /// SHA-256 of the exact bytes.
    pub sha256: [u8; 32],
    /// The same hash in standard Base64 with padding: KSeF's `invoiceHash` form.
    pub sha256_base64: String,
    /// Size of the exact bytes.
    pub size_bytes: usize,
}

/// Why [`Fa3Document::read`] produced no summary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", code.as_str())]
pub struct ReadError {
    /// The code of the first problem that prevents reading.
    pub code: FindingCode,
    /// Its technical detail.
    pub message: String,
}

impl Fa3Document {
    /// Reads the summary without applying validation rules beyond what reading needs
    /// (input checks, well-formedness, the FA(3) root).
    pub fn read(bytes: &[u8]) -> Result<Fa3Document, ReadError> {
        let read = crate::read::read(bytes);
        match read.document {
            Some(doc) => Ok(doc.document),
            None => Err(first_error(&read.findings)),
        }
    }
}

fn first_error(findings: &[Finding]) -> ReadError {
    findings.iter().find(|f| f.is_error()).map_or_else(
        || ReadError {
            code: FindingCode::XmlMalformed,
            message: "document could not be read".to_owned(),
        },
        |f| ReadError {
            code: f.code,
            message: f.message.clone(),
        },
    )
}
