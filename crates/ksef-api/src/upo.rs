//! UPO (official receipt) parsing: `Potwierdzenie` documents of schema v4-2 and v4-3 (KSEF-API.md §5).

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate};
use quick_xml::events::Event;
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::NsReader;

use crate::hash::Sha256B64;
use crate::ids::{ContextIdentifier, Nip, ReferenceNumber};
use crate::ksef_number::KsefNumber;
use crate::status::InvoicingMode;

/// Supported UPO schema versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpoVersion {
    /// `http://upo.schematy.mf.gov.pl/KSeF/v4-2`.
    V4_2,
    /// `http://upo.schematy.mf.gov.pl/KSeF/v4-3`.
    V4_3,
}

const NAMESPACES: [(&str, UpoVersion); 2] = [
    ("http://upo.schematy.mf.gov.pl/KSeF/v4-2", UpoVersion::V4_2),
    ("http://upo.schematy.mf.gov.pl/KSeF/v4-3", UpoVersion::V4_3),
];

/// Why a document is not a usable UPO.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpoError {
    /// Not well-formed XML.
    #[error("UPO is not well-formed XML: {0}")]
    Xml(String),
    /// Root is not `Potwierdzenie` in a known UPO namespace.
    #[error("not a UPO v4-2/v4-3 document (root {0:?})")]
    NotUpo(String),
    /// A required element is absent.
    #[error("UPO lacks {0}")]
    Missing(&'static str),
    /// An element has a value of the wrong shape.
    #[error("UPO field {field} has invalid value {value:?}")]
    Invalid {
        /// Element path.
        field: &'static str,
        /// Offending text.
        value: String,
    },
}

/// How the sender authenticated, as recorded in the UPO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpoAuthentication {
    /// Reference number of the KSeF token used.
    KsefTokenReference(String),
    /// Hash of the signed authentication document (XAdES).
    DocumentHash(String),
}

/// Paging information of a session UPO.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpoPageInfo {
    /// This page (1-based).
    pub page: u32,
    /// Number of pages.
    pub page_count: u32,
    /// First document ordinal on this page.
    pub documents_from: u64,
    /// Ordinal after the last document on this page (exclusive bound).
    pub documents_to_exclusive: u64,
    /// Documents in the whole session.
    pub documents_total: u64,
}

/// One invoice confirmed by a UPO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpoDocument {
    /// `NipSprzedawcy`.
    pub seller_nip: Nip,
    /// `NumerKSeFDokumentu`.
    pub ksef_number: KsefNumber,
    /// `NumerFaktury` (`P_2`).
    pub invoice_number: String,
    /// `DataWystawieniaFaktury` (`P_1`).
    pub issue_date: NaiveDate,
    /// `DataPrzeslaniaDokumentu`.
    pub sent_at: DateTime<FixedOffset>,
    /// `DataNadaniaNumeruKSeF`.
    pub ksef_number_assigned_at: DateTime<FixedOffset>,
    /// `SkrotDokumentu`: SHA-256 of the invoice file.
    pub document_hash: Sha256B64,
    /// `TrybWysylki`.
    pub mode: InvoicingMode,
}

/// A parsed UPO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upo {
    /// Schema version.
    pub version: UpoVersion,
    /// `NazwaPodmiotuPrzyjmujacego`, including any environment suffix such as ` (TE)`.
    pub receiving_entity: String,
    /// `NumerReferencyjnySesji`.
    pub session_ref: ReferenceNumber,
    /// `Uwierzytelnienie/IdKontekstu`.
    pub context: ContextIdentifier,
    /// `Uwierzytelnienie`: token reference or document hash.
    pub authentication: UpoAuthentication,
    /// `OpisPotwierdzenia`, present on session UPO pages.
    pub page: Option<UpoPageInfo>,
    /// `NazwaStrukturyLogicznej`, e.g. `Schemat_FA(3)_v1-0E.xsd`.
    pub structure_name: String,
    /// `KodFormularza`, e.g. `FA (3)`.
    pub form_code: String,
    /// Confirmed invoices, in document order.
    pub documents: Vec<UpoDocument>,
}

impl Upo {
    /// Parses a UPO; tolerates any namespace prefix and ignores the signature and unknown elements.
    pub fn parse(xml: &[u8]) -> Result<Self, UpoError> {
        let raw = collect(xml)?;
        build(raw)
    }

    /// The environment tag in parentheses at the end of `receiving_entity` (`TE`, `TR`), if any.
    pub fn environment_suffix(&self) -> Option<&str> {
        let name = self.receiving_entity.trim_end();
        let inner = name.strip_suffix(')')?;
        let open = inner.rfind('(')?;
        Some(inner[open + 1..].trim())
    }
}

/// Text content of the UPO, keyed by element path below the root (`Uwierzytelnienie/IdKontekstu/Nip`).
struct RawUpo {
    version: UpoVersion,
    fields: BTreeMap<String, String>,
    documents: Vec<BTreeMap<String, String>>,
}

fn collect(xml: &[u8]) -> Result<RawUpo, UpoError> {
    let xml_err = |e: quick_xml::Error| UpoError::Xml(e.to_string());
    let mut reader = NsReader::from_reader(xml);
    reader.config_mut().trim_text(true);
    let mut buf = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let mut version = None;
    let mut fields = BTreeMap::new();
    let mut documents = Vec::new();
    let mut document: Option<BTreeMap<String, String>> = None;
    // Depth at which a skipped subtree (the XAdES signature) started.
    let mut skip_from: Option<usize> = None;
    loop {
        let (ns, event) = reader.read_resolved_event_into(&mut buf).map_err(xml_err)?;
        match event {
            Event::Start(start) => {
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                if path.is_empty() {
                    version = Some(root_version(&ns, &name)?);
                } else if skip_from.is_none() && name == "Signature" {
                    skip_from = Some(path.len());
                } else if path.len() == 1 && name == "Dokument" {
                    document = Some(BTreeMap::new());
                }
                path.push(name);
            }
            Event::Empty(start) if path.is_empty() => {
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                root_version(&ns, &name)?;
                return Err(UpoError::Missing("NumerReferencyjnySesji"));
            }
            Event::Text(text) if skip_from.is_none() && path.len() > 1 => {
                let value = text.unescape().map_err(xml_err)?.into_owned();
                match document.as_mut() {
                    Some(doc) if path.len() > 2 => {
                        doc.insert(path[2..].join("/"), value);
                    }
                    _ => {
                        fields.insert(path[1..].join("/"), value);
                    }
                }
            }
            Event::End(_) => {
                path.pop();
                if skip_from == Some(path.len()) {
                    skip_from = None;
                }
                if path.len() == 1 {
                    if let Some(doc) = document.take() {
                        documents.push(doc);
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    let version = version.ok_or_else(|| UpoError::NotUpo(String::new()))?;
    Ok(RawUpo {
        version,
        fields,
        documents,
    })
}

fn root_version(ns: &ResolveResult, name: &str) -> Result<UpoVersion, UpoError> {
    let namespace = match ns {
        ResolveResult::Bound(Namespace(uri)) => String::from_utf8_lossy(uri).into_owned(),
        _ => String::new(),
    };
    NAMESPACES
        .iter()
        .find(|(uri, _)| name == "Potwierdzenie" && *uri == namespace)
        .map(|&(_, version)| version)
        .ok_or_else(|| UpoError::NotUpo(format!("{{{namespace}}}{name}")))
}

fn required<'a>(map: &'a BTreeMap<String, String>, key: &'static str) -> Result<&'a str, UpoError> {
    map.get(key)
        .map(String::as_str)
        .ok_or(UpoError::Missing(key))
}

fn parsed<T, E>(
    map: &BTreeMap<String, String>,
    key: &'static str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, UpoError> {
    let value = required(map, key)?;
    parse(value).map_err(|_| UpoError::Invalid {
        field: key,
        value: value.to_owned(),
    })
}

fn build(raw: RawUpo) -> Result<Upo, UpoError> {
    let f = &raw.fields;
    let context = context(f)?;
    let authentication = match (
        f.get("Uwierzytelnienie/NumerReferencyjnyTokenaKSeF"),
        f.get("Uwierzytelnienie/SkrotDokumentuUwierzytelniajacego"),
    ) {
        (Some(token_ref), _) => UpoAuthentication::KsefTokenReference(token_ref.clone()),
        (None, Some(hash)) => UpoAuthentication::DocumentHash(hash.clone()),
        (None, None) => return Err(UpoError::Missing("Uwierzytelnienie")),
    };
    let page = if f.keys().any(|k| k.starts_with("OpisPotwierdzenia/")) {
        let number = |key| parsed(f, key, str::parse::<u64>);
        Some(UpoPageInfo {
            page: parsed(f, "OpisPotwierdzenia/Strona", str::parse)?,
            page_count: parsed(f, "OpisPotwierdzenia/LiczbaStron", str::parse)?,
            documents_from: number("OpisPotwierdzenia/ZakresDokumentowOd")?,
            documents_to_exclusive: number("OpisPotwierdzenia/ZakresDokumentowDo")?,
            documents_total: number("OpisPotwierdzenia/CalkowitaLiczbaDokumentow")?,
        })
    } else {
        None
    };
    let documents = raw
        .documents
        .iter()
        .map(document)
        .collect::<Result<Vec<_>, _>>()?;
    if documents.is_empty() {
        return Err(UpoError::Missing("Dokument"));
    }
    Ok(Upo {
        version: raw.version,
        receiving_entity: required(f, "NazwaPodmiotuPrzyjmujacego")?.to_owned(),
        session_ref: parsed(f, "NumerReferencyjnySesji", ReferenceNumber::parse)?,
        context,
        authentication,
        page,
        structure_name: required(f, "NazwaStrukturyLogicznej")?.to_owned(),
        form_code: required(f, "KodFormularza")?.to_owned(),
        documents,
    })
}

fn context(f: &BTreeMap<String, String>) -> Result<ContextIdentifier, UpoError> {
    const PREFIX: &str = "Uwierzytelnienie/IdKontekstu/";
    let (key, value) = f
        .iter()
        .find(|(k, _)| k.starts_with(PREFIX))
        .ok_or(UpoError::Missing("Uwierzytelnienie/IdKontekstu"))?;
    let invalid = || UpoError::Invalid {
        field: "Uwierzytelnienie/IdKontekstu",
        value: value.clone(),
    };
    match &key[PREFIX.len()..] {
        "Nip" => Nip::parse(value)
            .map(ContextIdentifier::Nip)
            .map_err(|_| invalid()),
        "IdWewnetrzny" => ContextIdentifier::internal_id(value).map_err(|_| invalid()),
        "IdZlozonyVatUE" => ContextIdentifier::nip_vat_ue(value).map_err(|_| invalid()),
        "IdDostawcyUslugPeppol" => ContextIdentifier::peppol_id(value).map_err(|_| invalid()),
        _ => Err(invalid()),
    }
}

fn document(d: &BTreeMap<String, String>) -> Result<UpoDocument, UpoError> {
    Ok(UpoDocument {
        seller_nip: parsed(d, "NipSprzedawcy", Nip::parse)?,
        ksef_number: parsed(d, "NumerKSeFDokumentu", KsefNumber::parse)?,
        invoice_number: required(d, "NumerFaktury")?.to_owned(),
        issue_date: parsed(d, "DataWystawieniaFaktury", |v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
        })?,
        sent_at: parsed(d, "DataPrzeslaniaDokumentu", DateTime::parse_from_rfc3339)?,
        ksef_number_assigned_at: parsed(d, "DataNadaniaNumeruKSeF", DateTime::parse_from_rfc3339)?,
        document_hash: parsed(d, "SkrotDokumentu", Sha256B64::parse)?,
        mode: parsed(d, "TrybWysylki", |v| match v {
            "Online" => Ok(InvoicingMode::Online),
            "Offline" => Ok(InvoicingMode::Offline),
            _ => Err(()),
        })?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<u:Potwierdzenie xmlns:u="http://upo.schematy.mf.gov.pl/KSeF/v4-2" xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
  <u:NazwaPodmiotuPrzyjmujacego>Ministerstwo Finansów</u:NazwaPodmiotuPrzyjmujacego>
  <u:NumerReferencyjnySesji>20250625-SO-2C3E6C8000-B5D8AE4D5E-42</u:NumerReferencyjnySesji>
  <u:Uwierzytelnienie><u:IdKontekstu><u:IdDostawcyUslugPeppol>PPL123456</u:IdDostawcyUslugPeppol></u:IdKontekstu>
    <u:NumerReferencyjnyTokenaKSeF>20250819-EC-1ECDD12000-5EE71AE5E3-B7</u:NumerReferencyjnyTokenaKSeF></u:Uwierzytelnienie>
  <u:NazwaStrukturyLogicznej>Schemat_FA(3)_v1-0E.xsd</u:NazwaStrukturyLogicznej>
  <u:KodFormularza>FA (3)</u:KodFormularza>
  <u:Dokument><u:NipSprzedawcy>5265877635</u:NipSprzedawcy>
    <u:NumerKSeFDokumentu>5265877635-20250826-0100001AF629-AF</u:NumerKSeFDokumentu>
    <u:NumerFaktury>FV &amp; 1</u:NumerFaktury><u:DataWystawieniaFaktury>2025-08-26</u:DataWystawieniaFaktury>
    <u:DataPrzeslaniaDokumentu>2025-08-26T10:00:00Z</u:DataPrzeslaniaDokumentu>
    <u:DataNadaniaNumeruKSeF>2025-08-26T10:00:01+02:00</u:DataNadaniaNumeruKSeF>
    <u:SkrotDokumentu>47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=</u:SkrotDokumentu>
    <u:TrybWysylki>Offline</u:TrybWysylki></u:Dokument>
  <ds:Signature><ds:SignedInfo><ds:Reference><ds:DigestValue>AAAA</ds:DigestValue></ds:Reference></ds:SignedInfo></ds:Signature>
</u:Potwierdzenie>"#;

    #[test]
    fn v4_2_with_prefixes_and_signature_parses() {
        let upo = Upo::parse(MINIMAL.as_bytes()).unwrap();
        assert_eq!(upo.version, UpoVersion::V4_2);
        assert_eq!(
            upo.context,
            ContextIdentifier::peppol_id("PPL123456").unwrap()
        );
        assert_eq!(upo.environment_suffix(), None);
        assert_eq!(upo.documents.len(), 1);
        let doc = &upo.documents[0];
        assert_eq!(doc.invoice_number, "FV & 1");
        assert_eq!(doc.mode, InvoicingMode::Offline);
        assert_eq!(
            doc.ksef_number.as_str(),
            "5265877635-20250826-0100001AF629-AF"
        );
        assert!(matches!(
            upo.authentication,
            UpoAuthentication::KsefTokenReference(_)
        ));
    }

    #[test]
    fn unknown_namespace_is_not_a_upo() {
        let other = MINIMAL.replace("KSeF/v4-2", "KSeF/v9-9");
        assert!(matches!(
            Upo::parse(other.as_bytes()),
            Err(UpoError::NotUpo(_))
        ));
    }

    #[test]
    fn bad_field_values_are_reported_by_field() {
        let bad = MINIMAL.replace("0100001AF629-AF", "0100001AF629-AA");
        assert_eq!(
            Upo::parse(bad.as_bytes()),
            Err(UpoError::Invalid {
                field: "NumerKSeFDokumentu",
                value: "5265877635-20250826-0100001AF629-AA".into()
            })
        );
        let missing = MINIMAL.replace("<u:KodFormularza>FA (3)</u:KodFormularza>", "");
        assert_eq!(
            Upo::parse(missing.as_bytes()),
            Err(UpoError::Missing("KodFormularza"))
        );
        assert!(matches!(
            Upo::parse(b"<Potwierdzenie"),
            Err(UpoError::Xml(_) | UpoError::NotUpo(_))
        ));
        assert!(Upo::parse(b"").is_err());
    }
}
