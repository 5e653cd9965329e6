//! The document summary read in the validation pass: every field against what the official
//! samples say (expected values are copied from the sample files, not from our output).

mod common;

use std::str::FromStr;

use base64::Engine as _;
use chrono::NaiveDate;
use common::{replace, run, sample};
use fa3::{Environment, Fa3Document, FindingCode, KeyRelation, PartyId};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal literal")
}

#[test]
fn plain_vat_invoice_summary_matches_the_sample() {
    let bytes = sample("FA_3_Przyklad_1.xml");
    let doc = Fa3Document::read(&bytes).expect("readable");
    assert_eq!(doc.seller_nip.as_deref(), Some("9999999999"));
    assert_eq!(doc.seller_name.as_deref(), Some("ABC AGD sp. z o. o."));
    assert_eq!(
        doc.buyer,
        Some(PartyId::Nip {
            nip: "1111111111".into()
        })
    );
    assert_eq!(doc.buyer_name.as_deref(), Some("F.H.U. Jan Kowalski"));
    assert!(doc.third_parties.is_empty());
    assert_eq!(doc.invoice_kind.as_deref(), Some("VAT"));
    assert_eq!(doc.issue_date, NaiveDate::from_ymd_opt(2026, 2, 15));
    assert_eq!(doc.number.as_deref(), Some("FV2026/02/150"));
    assert_eq!(doc.currency.as_deref(), Some("PLN"));
    // P_13_1 1666.66 + P_13_3 0.95; P_14_1 383.33 + P_14_3 0.05; P_15 2051.
    assert_eq!(doc.totals.net, dec("1667.61"));
    assert_eq!(doc.totals.vat, dec("383.38"));
    assert_eq!(doc.totals.gross, Some(dec("2051")));
    assert_eq!(doc.line_count, 3);
    assert!(!doc.has_attachment);
    assert_eq!(doc.size_bytes, bytes.len());
}

#[test]
fn hash_is_sha256_of_the_exact_bytes_in_ksef_base64_form() {
    let bytes = sample("FA_3_Przyklad_1.xml");
    let doc = Fa3Document::read(&bytes).expect("readable");
    let expected: [u8; 32] = Sha256::digest(&bytes).into();
    assert_eq!(doc.sha256, expected);
    let b64 = base64::engine::general_purpose::STANDARD.encode(expected);
    assert_eq!(doc.sha256_base64, b64);
    assert_eq!(
        doc.sha256_base64.len(),
        44,
        "KSeF's Sha256HashBase64 is 44 chars with padding"
    );
    // One byte more is another document.
    let changed = Fa3Document::read(&[bytes.as_slice(), b"\n"].concat()).expect("readable");
    assert_ne!(changed.sha256, doc.sha256);
}

#[test]
fn foreign_buyers_and_currency_are_read() {
    let eu = Fa3Document::read(&sample("FA_3_Przyklad_22.xml")).expect("readable");
    assert_eq!(
        eu.buyer,
        Some(PartyId::EuVat {
            country: "DE".into(),
            number: "999999999".into()
        })
    );
    assert_eq!(eu.currency.as_deref(), Some("EUR"));
    assert_eq!(eu.totals.net, dec("4000"), "P_13_6_2 counts as net");
    assert_eq!(eu.totals.vat, Decimal::ZERO);

    let other = Fa3Document::read(&sample("FA_3_Przyklad_23.xml")).expect("readable");
    assert_eq!(
        other.buyer,
        Some(PartyId::Other {
            country: Some("US".into()),
            id: "999999999".into()
        })
    );
}

#[test]
fn buyer_without_id_is_read() {
    let bytes = replace(
        &sample("FA_3_Przyklad_1.xml"),
        "<NIP>1111111111</NIP>",
        "<BrakID>1</BrakID>",
    );
    let doc = Fa3Document::read(&bytes).expect("readable");
    assert_eq!(doc.buyer, Some(PartyId::NoId));
}

#[test]
fn third_parties_and_attachment_are_read() {
    let doc = Fa3Document::read(&sample("FA_3_Przyklad_14.xml")).expect("readable");
    assert_eq!(doc.third_parties.len(), 2);
    let doc = Fa3Document::read(&sample("FA_3_Przyklad_24.xml")).expect("readable");
    assert!(doc.has_attachment);
}

#[test]
fn escaped_text_is_unescaped_and_whitespace_collapsed() {
    let bytes = replace(
        &sample("FA_3_Przyklad_1.xml"),
        "<Nazwa>ABC AGD sp. z o. o.</Nazwa>",
        "<Nazwa>  A&amp;B &#x141;\u{f3}d\u{17a}  <![CDATA[<x>]]></Nazwa>",
    );
    let doc = Fa3Document::read(&bytes).expect("readable");
    assert_eq!(doc.seller_name.as_deref(), Some("A&B Łódź <x>"));
}

#[test]
fn read_reports_why_it_could_not_read() {
    let err = Fa3Document::read(b"").expect_err("empty");
    assert_eq!(err.code, FindingCode::InputEmpty);
    let err = Fa3Document::read(
        br#"<Faktura xmlns="http://crd.gov.pl/wzor/2025/06/25/13775/"><b></Faktura>"#,
    )
    .expect_err("malformed");
    assert_eq!(err.code, FindingCode::XmlMalformed);
    let fa2 = replace(
        &sample("FA_3_Przyklad_1.xml"),
        "http://crd.gov.pl/wzor/2025/06/25/13775/",
        "http://crd.gov.pl/wzor/2023/06/29/12648/",
    );
    assert_eq!(
        Fa3Document::read(&fa2).expect_err("FA(2)").code,
        FindingCode::SchemaWrongRoot
    );
}

#[test]
fn key_follows_the_duplicate_criterion() {
    let original = sample("FA_3_Przyklad_1.xml");
    let key = run(&original).key.expect("key");
    assert_eq!(key.duplicate_key, "9999999999|VAT|FV2026/02/150");
    assert_eq!(key.content_hash, hex::encode(Sha256::digest(&original)));

    // Same number, other content (a different buyer name): KSeF would answer 440.
    let edited = replace(&original, "F.H.U. Jan Kowalski", "F.H.U. Jan Nowak");
    let edited_key = run(&edited).key.expect("key");
    assert_eq!(key.same_invoice(&edited_key), KeyRelation::Conflict);

    // P_2 written with extra whitespace is the same number for an xsd:token.
    let spaced = replace(
        &original,
        "<P_2>FV2026/02/150</P_2>",
        "<P_2> FV2026/02/150 </P_2>",
    );
    assert_eq!(
        run(&spaced).key.expect("key").duplicate_key,
        key.duplicate_key
    );

    // Another number is another invoice.
    let other = replace(
        &original,
        "<P_2>FV2026/02/150</P_2>",
        "<P_2>FV2026/02/151</P_2>",
    );
    assert_eq!(
        key.same_invoice(&run(&other).key.expect("key")),
        KeyRelation::Unrelated
    );
    assert_eq!(key.same_invoice(&key.clone()), KeyRelation::Same);
}

#[test]
fn environment_parses_the_cli_names_only() {
    let parsed: Vec<Environment> = ["sandbox", "test", "demo", "prd"]
        .iter()
        .map(|s| s.parse().expect("known"))
        .collect();
    assert_eq!(
        parsed,
        [
            Environment::Sandbox,
            Environment::Test,
            Environment::Demo,
            Environment::Production
        ]
    );
    for env in parsed {
        assert_eq!(
            env.to_string().parse::<Environment>(),
            Ok(env),
            "Display round-trips"
        );
    }
    assert!("production".parse::<Environment>().is_err());
    assert!("PRD".parse::<Environment>().is_err());
}
