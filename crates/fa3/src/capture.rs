//! Picks the summary fields out of the element stream, remembering where each one was.

use std::str::FromStr;

use base64::Engine as _;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use crate::document::{Fa3Document, PartyId, ThirdParty, Totals};

/// A captured text value (XSD `token`-collapsed) and the byte offset of its element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Captured {
    pub text: String,
    pub offset: usize,
}

/// Identification fields of one party, as captured.
#[derive(Debug, Default)]
pub(crate) struct RawParty {
    pub nip: Option<Captured>,
    pub internal_id: Option<Captured>,
    pub eu_country: Option<Captured>,
    pub eu_vat: Option<Captured>,
    pub country: Option<Captured>,
    pub other_id: Option<Captured>,
    pub no_id: bool,
    pub name: Option<Captured>,
}

impl RawParty {
    fn id(&self) -> Option<PartyId> {
        let text = |c: &Option<Captured>| c.as_ref().map(|c| c.text.clone());
        if let Some(nip) = text(&self.nip) {
            Some(PartyId::Nip { nip })
        } else if let Some(id) = text(&self.internal_id) {
            Some(PartyId::InternalId { id })
        } else if let (Some(country), Some(number)) = (text(&self.eu_country), text(&self.eu_vat)) {
            Some(PartyId::EuVat { country, number })
        } else if let Some(id) = text(&self.other_id) {
            Some(PartyId::Other {
                country: text(&self.country),
                id,
            })
        } else if self.no_id {
            Some(PartyId::NoId)
        } else {
            None
        }
    }

    /// Sets the field named by the last path segment; false when it is not an id field.
    fn set(&mut self, field: &str, value: Captured) -> bool {
        let slot = match field {
            "NIP" => &mut self.nip,
            "IDWew" => &mut self.internal_id,
            "KodUE" => &mut self.eu_country,
            "NrVatUE" => &mut self.eu_vat,
            "KodKraju" => &mut self.country,
            "NrID" => &mut self.other_id,
            "Nazwa" => &mut self.name,
            "BrakID" => {
                self.no_id = true;
                return true;
            }
            _ => return false,
        };
        *slot = Some(value);
        true
    }
}

/// The amounts of one `FaWiersz` line that our line check needs.
#[derive(Debug, Default)]
pub(crate) struct RawLine {
    pub offset: usize,
    pub number: Option<String>,
    pub quantity: Option<Decimal>,
    pub unit_net: Option<Decimal>,
    pub unit_gross: Option<Decimal>,
    pub discount: Option<Decimal>,
    pub net: Option<Decimal>,
    pub gross: Option<Decimal>,
}

/// One `P_13_x` / `P_14_x` / `P_15` amount.
#[derive(Debug, Clone)]
pub(crate) struct CapturedAmount {
    pub value: Decimal,
    pub offset: usize,
}

/// Everything captured from the document, with locations for the rules.
#[derive(Debug, Default)]
pub(crate) struct Capture {
    pub seller: RawParty,
    pub buyer: RawParty,
    pub third_parties: Vec<RawParty>,
    pub authorized: RawParty,
    pub invoice_kind: Option<Captured>,
    pub issue_date: Option<Captured>,
    pub number: Option<Captured>,
    pub currency: Option<Captured>,
    pub net: Vec<CapturedAmount>,
    pub vat: Vec<CapturedAmount>,
    pub gross: Option<CapturedAmount>,
    pub lines: Vec<RawLine>,
    pub has_attachment: bool,
}

impl Capture {
    /// Called when an element starts, with its full path.
    pub fn start(&mut self, path: &str, offset: usize) {
        match path {
            "/Faktura/Podmiot3" => self.third_parties.push(RawParty::default()),
            "/Faktura/Fa/FaWiersz" => self.lines.push(RawLine {
                offset,
                ..RawLine::default()
            }),
            "/Faktura/Zalacznik" => self.has_attachment = true,
            _ => {}
        }
    }

    /// Called when an element ends, with its full path and its (unescaped) text.
    pub fn end(&mut self, path: &str, text: &str, offset: usize) {
        let Some(rest) = path.strip_prefix("/Faktura/") else {
            return;
        };
        let captured = || Captured {
            text: collapse_whitespace(text),
            offset,
        };
        if let Some(field) = rest.strip_prefix("Fa/") {
            self.fa_field(field, text, offset, captured);
        } else if let Some(field) = rest.strip_prefix("Podmiot1/DaneIdentyfikacyjne/") {
            self.seller.set(field, captured());
        } else if let Some(field) = rest.strip_prefix("Podmiot2/DaneIdentyfikacyjne/") {
            self.buyer.set(field, captured());
        } else if let Some(field) = rest.strip_prefix("Podmiot3/DaneIdentyfikacyjne/") {
            if let Some(party) = self.third_parties.last_mut() {
                party.set(field, captured());
            }
        } else if rest == "PodmiotUpowazniony/DaneIdentyfikacyjne/NIP" {
            self.authorized.nip = Some(captured());
        }
    }

    fn fa_field(
        &mut self,
        field: &str,
        text: &str,
        offset: usize,
        captured: impl Fn() -> Captured,
    ) {
        let amount = || parse_decimal(text).map(|value| CapturedAmount { value, offset });
        match field {
            "KodWaluty" => self.currency = Some(captured()),
            "P_1" => self.issue_date = Some(captured()),
            "P_2" => self.number = Some(captured()),
            "RodzajFaktury" => self.invoice_kind = Some(captured()),
            "P_15" => self.gross = amount(),
            f if is_net_field(f) => self.net.extend(amount()),
            f if is_vat_field(f) => self.vat.extend(amount()),
            _ => {
                if let (Some(line_field), Some(line)) =
                    (field.strip_prefix("FaWiersz/"), self.lines.last_mut())
                {
                    line_amount(line, line_field, text);
                }
            }
        }
    }

    /// Builds the public summary.
    pub fn summary(&self, bytes: &[u8]) -> Fa3Document {
        let text = |c: &Option<Captured>| c.as_ref().map(|c| c.text.clone());
        let hash: [u8; 32] = Sha256::digest(bytes).into();
        Fa3Document {
            seller_nip: text(&self.seller.nip),
            seller_name: text(&self.seller.name),
            buyer: self.buyer.id(),
            buyer_name: text(&self.buyer.name),
            third_parties: self
                .third_parties
                .iter()
                .map(|p| ThirdParty {
                    id: p.id(),
                    name: text(&p.name),
                })
                .collect(),
            authorized_nip: text(&self.authorized.nip),
            invoice_kind: text(&self.invoice_kind),
            issue_date: self.issue_date.as_ref().and_then(|d| parse_date(&d.text)),
            number: text(&self.number),
            currency: text(&self.currency),
            totals: Totals {
                net: self.net.iter().map(|a| a.value).sum(),
                vat: self.vat.iter().map(|a| a.value).sum(),
                gross: self.gross.as_ref().map(|a| a.value),
            },
            line_count: u32::try_from(self.lines.len()).unwrap_or(u32::MAX),
            has_attachment: self.has_attachment,
            sha256: hash,
            sha256_base64: base64::engine::general_purpose::STANDARD.encode(hash),
            size_bytes: bytes.len(),
        }
    }
}

/// Net fields counted into `P_15`: `P_13_1`..`P_13_11` including `P_13_6_1..3` (FA(3) XSD).
fn is_net_field(field: &str) -> bool {
    matches!(
        field,
        "P_13_1"
            | "P_13_2"
            | "P_13_3"
            | "P_13_4"
            | "P_13_5"
            | "P_13_6_1"
            | "P_13_6_2"
            | "P_13_6_3"
            | "P_13_7"
            | "P_13_8"
            | "P_13_9"
            | "P_13_10"
            | "P_13_11"
    )
}

/// VAT fields counted into `P_15`. The `P_14_xW` fields are the same tax converted to PLN for
/// foreign-currency invoices, so they are not part of the invoice-currency total.
fn is_vat_field(field: &str) -> bool {
    matches!(field, "P_14_1" | "P_14_2" | "P_14_3" | "P_14_4" | "P_14_5")
}

fn line_amount(line: &mut RawLine, field: &str, text: &str) {
    let slot = match field {
        "NrWierszaFa" => {
            line.number = Some(collapse_whitespace(text));
            return;
        }
        "P_8B" => &mut line.quantity,
        "P_9A" => &mut line.unit_net,
        "P_9B" => &mut line.unit_gross,
        "P_10" => &mut line.discount,
        "P_11" => &mut line.net,
        "P_11A" => &mut line.gross,
        _ => return,
    };
    *slot = parse_decimal(text);
}

/// XSD `token` whitespace handling: trim, and collapse inner runs of whitespace to one space.
pub(crate) fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text
        .split([' ', '\t', '\n', '\r'])
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Parses an `xsd:decimal`; `None` for anything else (the XSD reports that).
pub(crate) fn parse_decimal(text: &str) -> Option<Decimal> {
    let t = text.trim_matches([' ', '\t', '\n', '\r']);
    let t = t.strip_prefix('+').unwrap_or(t);
    let valid = !t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
        && t.bytes().any(|b| b.is_ascii_digit());
    if !valid {
        return None;
    }
    Decimal::from_str(t).ok()
}

/// Parses an `xsd:date` without timezone (`YYYY-MM-DD`), as FA(3) uses it.
pub(crate) fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapses_like_xsd_token() {
        assert_eq!(collapse_whitespace("  FV/1 \t\n 2026  "), "FV/1 2026");
        assert_eq!(collapse_whitespace("fv/1"), "fv/1");
        assert_eq!(collapse_whitespace(" \n "), "");
    }

    #[test]
    fn parses_decimals_exactly_and_refuses_garbage() {
        assert_eq!(parse_decimal(" 123.45 "), Decimal::from_str("123.45").ok());
        assert_eq!(parse_decimal("+1.5"), Decimal::from_str("1.5").ok());
        assert_eq!(parse_decimal("-0.01"), Decimal::from_str("-0.01").ok());
        for bad in ["", "1e3", "abc", "1,5", "--1"] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }
}
