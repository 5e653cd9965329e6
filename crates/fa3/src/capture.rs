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

    /// Sets the identification field `field`; other children are ignored.
    fn set(&mut self, field: &[u8], value: impl Fn() -> Captured) {
        let slot = match field {
            b"NIP" => &mut self.nip,
            b"IDWew" => &mut self.internal_id,
            b"KodUE" => &mut self.eu_country,
            b"NrVatUE" => &mut self.eu_vat,
            b"KodKraju" => &mut self.country,
            b"NrID" => &mut self.other_id,
            b"Nazwa" => &mut self.name,
            b"BrakID" => {
                self.no_id = true;
                return;
            }
            _ => return,
        };
        *slot = Some(value());
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

/// Which party a `DaneIdentyfikacyjne` block belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Seller,
    Buyer,
    Third,
    Authorized,
}

/// Where an element sits, as far as the summary cares. Tracking this per element replaces
/// string paths: each start costs one match on the local name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// The FA(3) root.
    Faktura,
    /// `Podmiot1`, `Podmiot2`, `Podmiot3` or `PodmiotUpowazniony`.
    Party(Role),
    /// Its `DaneIdentyfikacyjne`.
    PartyIds(Role),
    /// `Fa`.
    Fa,
    /// A `Fa/FaWiersz` line.
    Line,
    /// A child of `DaneIdentyfikacyjne`, `Fa` or `FaWiersz`: its text may be a summary field.
    Field(FieldParent),
    /// Anything else.
    Other,
}

/// The parent of a [`Scope::Field`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldParent {
    Party(Role),
    Fa,
    Line,
}

impl Scope {
    /// The scope of an FA(3)-namespace child named `local` of an element in scope `self`.
    pub fn child(self, local: &[u8]) -> Scope {
        match (self, local) {
            (Scope::Faktura, b"Podmiot1") => Scope::Party(Role::Seller),
            (Scope::Faktura, b"Podmiot2") => Scope::Party(Role::Buyer),
            (Scope::Faktura, b"Podmiot3") => Scope::Party(Role::Third),
            (Scope::Faktura, b"PodmiotUpowazniony") => Scope::Party(Role::Authorized),
            (Scope::Faktura, b"Fa") => Scope::Fa,
            (Scope::Party(role), b"DaneIdentyfikacyjne") => Scope::PartyIds(role),
            (Scope::PartyIds(role), _) => Scope::Field(FieldParent::Party(role)),
            (Scope::Fa, b"FaWiersz") => Scope::Line,
            (Scope::Fa, _) => Scope::Field(FieldParent::Fa),
            (Scope::Line, _) => Scope::Field(FieldParent::Line),
            _ => Scope::Other,
        }
    }
}

impl Capture {
    /// Called when an FA(3) element in `parent` starts.
    pub fn start(&mut self, parent: Scope, local: &[u8], offset: usize) {
        match (parent, local) {
            (Scope::Faktura, b"Podmiot3") => self.third_parties.push(RawParty::default()),
            (Scope::Faktura, b"Zalacznik") => self.has_attachment = true,
            (Scope::Fa, b"FaWiersz") => self.lines.push(RawLine {
                offset,
                ..RawLine::default()
            }),
            _ => {}
        }
    }

    /// Called when a field element ends, with its (unescaped) text.
    pub fn field(&mut self, parent: FieldParent, local: &[u8], text: &str, offset: usize) {
        let captured = || Captured {
            text: collapse_whitespace(text),
            offset,
        };
        match parent {
            FieldParent::Fa => self.fa_field(local, text, offset, captured),
            FieldParent::Line => {
                if let Some(line) = self.lines.last_mut() {
                    line_amount(line, local, text);
                }
            }
            FieldParent::Party(Role::Seller) => self.seller.set(local, captured),
            FieldParent::Party(Role::Buyer) => self.buyer.set(local, captured),
            FieldParent::Party(Role::Third) => {
                if let Some(party) = self.third_parties.last_mut() {
                    party.set(local, captured);
                }
            }
            FieldParent::Party(Role::Authorized) => {
                if local == b"NIP" {
                    self.authorized.nip = Some(captured());
                }
            }
        }
    }

    fn fa_field(
        &mut self,
        field: &[u8],
        text: &str,
        offset: usize,
        captured: impl Fn() -> Captured,
    ) {
        let amount = || parse_decimal(text).map(|value| CapturedAmount { value, offset });
        match field {
            b"KodWaluty" => self.currency = Some(captured()),
            b"P_1" => self.issue_date = Some(captured()),
            b"P_2" => self.number = Some(captured()),
            b"RodzajFaktury" => self.invoice_kind = Some(captured()),
            b"P_15" => self.gross = amount(),
            f if is_net_field(f) => self.net.extend(amount()),
            f if is_vat_field(f) => self.vat.extend(amount()),
            _ => {}
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
fn is_net_field(field: &[u8]) -> bool {
    matches!(
        field,
        b"P_13_1"
            | b"P_13_2"
            | b"P_13_3"
            | b"P_13_4"
            | b"P_13_5"
            | b"P_13_6_1"
            | b"P_13_6_2"
            | b"P_13_6_3"
            | b"P_13_7"
            | b"P_13_8"
            | b"P_13_9"
            | b"P_13_10"
            | b"P_13_11"
    )
}

/// VAT fields counted into `P_15`. The `P_14_xW` fields are the same tax converted to PLN for
/// foreign-currency invoices, so they are not part of the invoice-currency total.
fn is_vat_field(field: &[u8]) -> bool {
    matches!(
        field,
        b"P_14_1" | b"P_14_2" | b"P_14_3" | b"P_14_4" | b"P_14_5"
    )
}

fn line_amount(line: &mut RawLine, field: &[u8], text: &str) {
    let slot = match field {
        b"NrWierszaFa" => {
            line.number = Some(collapse_whitespace(text));
            return;
        }
        b"P_8B" => &mut line.quantity,
        b"P_9A" => &mut line.unit_net,
        b"P_9B" => &mut line.unit_gross,
        b"P_10" => &mut line.discount,
        b"P_11" => &mut line.net,
        b"P_11A" => &mut line.gross,
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
