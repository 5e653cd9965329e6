//! One mutation of a real sample per KSeF rule: each must trip exactly that rule.

mod common;

use chrono::Days;
use common::{base_sample, check, check_on, edited_sample, replace, sample, today};
use fa3::{Environment, FindingCode as C, Severity};

const FA3_NS: &str = "http://crd.gov.pl/wzor/2025/06/25/13775/";
const FA2_NS: &str = "http://crd.gov.pl/wzor/2023/06/29/12648/";

/// A boxed mutation, for tables of variants.
type Mutation = Box<dyn Fn(Vec<u8>) -> Vec<u8>>;

/// Puts `s` into the seller's name, a plain text node.
fn in_name(s: &str) -> impl Fn(Vec<u8>) -> Vec<u8> + '_ {
    move |b| replace(&b, "ABC AGD sp. z o. o.", &format!("ABC {s} AGD"))
}

/// Inserts `s` right after the XML declaration.
fn after_decl(s: &str) -> impl Fn(Vec<u8>) -> Vec<u8> + '_ {
    move |b| replace(&b, "?>", &format!("?>\n{s}"))
}

#[test]
fn the_unmutated_base_sample_is_clean() {
    check(|b| b, &[]);
}

// --- encoding -------------------------------------------------------------------------------

#[test]
fn utf8_bom_is_refused_alone() {
    check(|b| [b"\xEF\xBB\xBF".as_slice(), &b].concat(), &[C::XmlBom]);
}

#[test]
fn utf16_documents_are_refused() {
    let utf16 = |big_endian: bool, bom: bool| {
        move |b: Vec<u8>| {
            let text = String::from_utf8(b).expect("utf-8 sample");
            let mut out = Vec::new();
            let units = (if bom { vec![0xFEFF] } else { vec![] })
                .into_iter()
                .chain(text.encode_utf16());
            for u in units {
                out.extend(if big_endian {
                    u.to_be_bytes()
                } else {
                    u.to_le_bytes()
                });
            }
            out
        }
    };
    for (be, bom) in [(false, true), (true, true), (false, false), (true, false)] {
        check(utf16(be, bom), &[C::XmlNotUtf8Encoding]);
    }
}

#[test]
fn utf16_without_bom_is_recognised_even_after_leading_whitespace() {
    let utf16le = |b: Vec<u8>| {
        let text = format!("\r\n{}", String::from_utf8(b).expect("utf-8 sample"));
        text.encode_utf16().flat_map(u16::to_le_bytes).collect()
    };
    check(utf16le, &[C::XmlNotUtf8Encoding]);
}

#[test]
fn utf32_bom_is_refused() {
    check(
        |b| [b"\xFF\xFE\x00\x00".as_slice(), &b].concat(),
        &[C::XmlNotUtf8Encoding],
    );
}

#[test]
fn declared_non_utf8_encoding_is_refused() {
    check(
        |b| replace(&b, "encoding=\"UTF-8\"", "encoding=\"ISO-8859-2\""),
        &[C::XmlDeclaredEncoding],
    );
}

#[test]
fn declared_utf8_is_case_insensitive_and_the_prolog_optional() {
    check(
        |b| replace(&b, "encoding=\"UTF-8\"", "encoding=\"utf-8\""),
        &[],
    );
    check(
        |b| replace(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>", ""),
        &[],
    );
}

#[test]
fn invalid_utf8_is_reported_with_its_position() {
    let report = check(
        |b| {
            replace(&b, "ABC AGD sp. z o. o.", "ABC \u{1}")
                .iter()
                .map(|&x| if x == 1 { 0xFF } else { x })
                .collect()
        },
        &[C::XmlInvalidUtf8],
    );
    let finding = report
        .findings
        .iter()
        .find(|f| f.code == C::XmlInvalidUtf8)
        .expect("finding");
    // `<Nazwa>ABC ` sits on line 13 after three tabs; the bad byte follows it.
    let line_13 = String::from_utf8_lossy(&base_sample())
        .lines()
        .nth(12)
        .map(str::to_owned);
    assert_eq!(
        line_13.as_deref(),
        Some("\t\t\t<Nazwa>ABC AGD sp. z o. o.</Nazwa>")
    );
    assert_eq!((finding.line, finding.column), (Some(13), Some(15)));
}

#[test]
fn truncated_multibyte_sequence_is_invalid_utf8() {
    // "ó" is C3 B3; dropping its second byte leaves a lone lead byte.
    check(
        |b| {
            replace(&b, "lodówka", "lod\u{1}wka")
                .iter()
                .map(|&x| if x == 1 { 0xC3 } else { x })
                .collect()
        },
        &[C::XmlInvalidUtf8],
    );
}

// --- well-formedness ------------------------------------------------------------------------

#[test]
fn malformed_variants_are_each_reported_as_malformed() {
    let variants: Vec<(&str, Mutation)> = vec![
        (
            "mismatched end tag",
            Box::new(|b| replace(&b, "</Nazwa>", "</Nazwy>")),
        ),
        (
            "garbage after the root",
            Box::new(|b| [b, b"garbage".to_vec()].concat()),
        ),
        (
            "second root element",
            Box::new(|b| [b, b"<Faktura/>".to_vec()].concat()),
        ),
        ("unclosed root", Box::new(|b| replace(&b, "</Faktura>", ""))),
        (
            "truncated in a tag",
            Box::new(|b| b[..b.len() / 2].to_vec()),
        ),
        (
            "unquoted attribute",
            Box::new(|b| replace(&b, "wersjaSchemy=\"1-0E\"", "wersjaSchemy=1-0E")),
        ),
        (
            "duplicate attribute",
            Box::new(|b| {
                replace(
                    &b,
                    "wersjaSchemy=\"1-0E\"",
                    "wersjaSchemy=\"1-0E\" wersjaSchemy=\"1-0E\"",
                )
            }),
        ),
        (
            "'<' in an attribute value",
            Box::new(|b| replace(&b, "kodSystemowy=\"FA (3)\"", "kodSystemowy=\"FA <3\"")),
        ),
        ("undefined entity", Box::new(in_name("&nbsp;"))),
        ("bare ampersand", Box::new(in_name("& Co"))),
        ("empty character reference", Box::new(in_name("&#;"))),
        ("non-hex character reference", Box::new(in_name("&#xZZ;"))),
        ("']]>' in text", Box::new(in_name("]]>"))),
        (
            "XML declaration not first",
            Box::new(|b| [b"\n".to_vec(), b].concat()),
        ),
        (
            "unbound prefix",
            Box::new(|b| replace(&b, "<Nazwa>ABC", "<x:Nazwa>ABC")),
        ),
        (
            "XML 1.1 declared",
            Box::new(|b| replace(&b, "version=\"1.0\"", "version=\"1.1\"")),
        ),
        (
            "element name starting with a digit",
            Box::new(|b| replace(&replace(&b, "<P_7>", "<7P>"), "</P_7>", "</7P>")),
        ),
        (
            "attribute name with two colons",
            Box::new(|b| replace(&b, "kodSystemowy=", "a:b:c=")),
        ),
        (
            "attributes not separated",
            Box::new(|b| replace(&b, "\" wersjaSchemy=", "\"wersjaSchemy=")),
        ),
        (
            "standalone neither yes nor no",
            Box::new(|b| {
                replace(
                    &b,
                    "encoding=\"UTF-8\"",
                    "encoding=\"UTF-8\" standalone=\"maybe\"",
                )
            }),
        ),
        (
            "unterminated character reference",
            Box::new(in_name("&#x41 ")),
        ),
        (
            "no root at all",
            Box::new(|_| b"<?xml version=\"1.0\"?>\n<!-- nothing -->".to_vec()),
        ),
        (
            "double hyphen in comment",
            Box::new(after_decl("<!-- a -- b -->")),
        ),
    ];
    for (what, mutate) in variants {
        eprintln!("variant: {what}");
        let report = check(mutate, &[C::XmlMalformed]);
        assert!(
            report.document.is_none(),
            "{what}: no summary of a malformed document"
        );
    }
}

// --- processing instructions and DOCTYPE ------------------------------------------------------

#[test]
fn processing_instruction_is_refused() {
    check(
        after_decl("<?xml-stylesheet type=\"text/xsl\" href=\"a.xsl\"?>"),
        &[C::XmlProcessingInstruction],
    );
    check(
        |b| replace(&b, "<Podmiot1>", "<?pi inside?><Podmiot1>"),
        &[C::XmlProcessingInstruction],
    );
}

#[test]
fn xxe_doctype_is_refused_and_never_resolved() {
    let report = check(
        |b| {
            let b =
                after_decl("<!DOCTYPE Faktura [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>")(b);
            in_name("&xxe;")(b)
        },
        &[C::XmlDoctype],
    );
    let name = report
        .document
        .and_then(|d| d.seller_name)
        .unwrap_or_default();
    assert!(
        !name.contains("root"),
        "entity must not be expanded: {name:?}"
    );
}

#[test]
fn billion_laughs_is_refused_without_expansion() {
    let dtd = common::entity_bomb_doctype("Faktura");
    let report = check(|b| in_name("&lol9;")(after_decl(&dtd)(b)), &[C::XmlDoctype]);
    let name = report
        .document
        .and_then(|d| d.seller_name)
        .unwrap_or_default();
    assert!(name.len() < 100, "no entity may be expanded");
}

// --- characters ---------------------------------------------------------------------------------

#[test]
fn discouraged_literal_characters_are_refused_in_every_range() {
    for c in [
        '\u{7F}',
        '\u{80}',
        '\u{84}',
        '\u{86}',
        '\u{9F}',
        '\u{FDD0}',
        '\u{FDEF}',
        '\u{1FFFE}',
        '\u{1FFFF}',
        '\u{10FFFE}',
        '\u{10FFFF}',
    ] {
        eprintln!("U+{:04X}", u32::from(c));
        check(in_name(&c.to_string()), &[C::XmlDiscouragedChar]);
    }
}

#[test]
fn discouraged_characters_are_refused_via_references_and_in_attributes() {
    for r in [
        "&#x7F;",
        "&#x84;",
        "&#134;",
        "&#x9f;",
        "&#xFDD0;",
        "&#x1FFFE;",
        "&#1114111;",
    ] {
        eprintln!("{r}");
        check(in_name(r), &[C::XmlDiscouragedChar]);
    }
    check(
        |b| {
            replace(
                &b,
                "kodSystemowy=\"FA (3)\"",
                "kodSystemowy=\"FA (3)\u{86}\"",
            )
        },
        &[C::XmlDiscouragedChar],
    );
}

#[test]
fn nel_u0085_is_not_discouraged() {
    // KSeF's list skips #x85 (NEL) on purpose; it must pass both literally and as a reference.
    let report = check(in_name("\u{85}&#x85;"), &[]);
    assert!(report
        .findings
        .iter()
        .all(|f| f.code != C::XmlDiscouragedChar));
}

#[test]
fn illegal_control_characters_are_refused_literally_and_via_references() {
    for s in [
        "\u{1}",
        "\u{1B}",
        "&#x1;",
        "&#0;",
        "&#xFFFE;",
        "&#xD800;",
        "&#x110000;",
        "&#99999999999;",
    ] {
        eprintln!("{s:?}");
        check(in_name(s), &[C::XmlIllegalChar]);
    }
}

// --- size -----------------------------------------------------------------------------------

/// Pads a document to exactly `total` bytes with a comment before the root's end tag (comments
/// are allowed anywhere in element content, so the XSD does not mind).
fn pad_to(total: usize) -> impl Fn(Vec<u8>) -> Vec<u8> {
    move |b| {
        let overhead = b"<!---->".len();
        let fill = total - b.len() - overhead;
        replace(
            &b,
            "</Faktura>",
            &format!("<!--{}--></Faktura>", "x".repeat(fill)),
        )
    }
}

#[test]
fn over_one_megabyte_without_attachment_is_refused() {
    let report = check(pad_to(1_000_001), &[C::SizeTooLarge]);
    assert_eq!(report.document.map(|d| d.size_bytes), Some(1_000_001));
    check(pad_to(1_000_000), &[]);
}

#[test]
fn attachment_raises_the_limit_to_three_megabytes() {
    let with_attachment = sample("FA_3_Przyklad_24.xml");
    let at = |total| {
        check_on(
            with_attachment.clone(),
            pad_to(total),
            Environment::Test,
            today(),
            &[],
        )
        .document
        .map(|d| d.has_attachment)
    };
    assert_eq!(at(1_500_000), Some(true));
    assert_eq!(at(3_000_000), Some(true));
    check_on(
        with_attachment,
        pad_to(3_000_001),
        Environment::Test,
        today(),
        &[C::SizeTooLargeWithAttachment],
    );
}

// --- business rules -------------------------------------------------------------------------

#[test]
fn issue_date_after_today_is_refused_and_today_itself_is_fine() {
    let p1 = chrono::NaiveDate::from_ymd_opt(2026, 2, 15).expect("P_1 of the base sample");
    let day_before = p1.checked_sub_days(Days::new(1)).expect("date");
    let report = check_on(
        base_sample(),
        |b| b,
        Environment::Test,
        day_before,
        &[C::BusinessIssueDateInFuture],
    );
    check_on(base_sample(), |b| b, Environment::Test, p1, &[]);

    // The finding points at the `<P_1>` tag, located here independently in the sample text.
    let text = String::from_utf8(base_sample()).expect("utf-8");
    let (line_index, line) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("<P_1>"))
        .expect("P_1 line");
    let column = line.find("<P_1>").expect("tag") + 1;
    let f = &report
        .findings
        .iter()
        .find(|f| f.code == C::BusinessIssueDateInFuture);
    let f = f.expect("finding");
    assert_eq!(f.path.as_deref(), Some("/Faktura/Fa/P_1"));
    assert_eq!(
        (f.line, f.column),
        (Some(line_index as u32 + 1), Some(column as u32))
    );
}

/// 9999999990: the same first nine digits as the valid 9999999999, so the check digit is wrong.
const BAD_NIP: &str = "9999999990";

/// Like [`check`], on production, where a bad NIP checksum is an error rather than a warning.
fn check_prd(mutate: impl Fn(Vec<u8>) -> Vec<u8>, expected: &[C]) -> fa3::ValidationReport {
    check_on(
        base_sample(),
        mutate,
        Environment::Production,
        today(),
        expected,
    )
}

/// Asserts some finding of `report` points at `path`.
fn assert_finding_at(report: &fa3::ValidationReport, path: &str) {
    let paths: Vec<_> = report
        .findings
        .iter()
        .filter_map(|f| f.path.as_deref())
        .collect();
    assert!(paths.contains(&path), "no finding at {path}: {paths:?}");
}

#[test]
fn bad_seller_nip_is_an_error_on_production_and_a_warning_elsewhere() {
    let mutate = |b: Vec<u8>| {
        replace(
            &b,
            "<NIP>9999999999</NIP>",
            &format!("<NIP>{BAD_NIP}</NIP>"),
        )
    };
    check_prd(mutate, &[C::BusinessNipChecksum]);
    for env in [Environment::Test, Environment::Demo, Environment::Sandbox] {
        let report = check_on(base_sample(), mutate, env, today(), &[]);
        let nip: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.code == C::BusinessNipChecksum)
            .collect();
        assert_eq!(nip.len(), 1, "{env}");
        assert_eq!(nip[0].severity, Severity::Warning);
    }
}

#[test]
fn bad_buyer_nip_is_caught() {
    let report = check_prd(
        |b| replace(&b, "<NIP>1111111111</NIP>", "<NIP>1111111112</NIP>"),
        &[C::BusinessNipChecksum],
    );
    assert_finding_at(&report, "/Faktura/Podmiot2/DaneIdentyfikacyjne/NIP");
}

fn with_third_party(id: &str) -> impl Fn(Vec<u8>) -> Vec<u8> + '_ {
    move |b| {
        let p3 = format!(
            "</Podmiot2>\n\t<Podmiot3><DaneIdentyfikacyjne>{id}<Nazwa>Oddział</Nazwa></DaneIdentyfikacyjne><Rola>1</Rola></Podmiot3>"
        );
        replace(&b, "</Podmiot2>", &p3)
    }
}

#[test]
fn third_party_nip_and_internal_id_nip_are_checked() {
    check_prd(with_third_party("<NIP>2222222222</NIP>"), &[]);
    check_prd(with_third_party("<IDWew>2222222222-00001</IDWew>"), &[]);
    let bad_nip = format!("<NIP>{BAD_NIP}</NIP>");
    let report = check_prd(with_third_party(&bad_nip), &[C::BusinessNipChecksum]);
    assert_finding_at(&report, "/Faktura/Podmiot3[1]/DaneIdentyfikacyjne/NIP");
    let bad_internal_id = format!("<IDWew>{BAD_NIP}-00001</IDWew>");
    let report = check_prd(
        with_third_party(&bad_internal_id),
        &[C::BusinessNipChecksum],
    );
    assert_finding_at(&report, "/Faktura/Podmiot3[1]/DaneIdentyfikacyjne/IDWew");
}

#[test]
fn authorized_party_nip_is_checked() {
    let authorized = |nip: &'static str| {
        move |b: Vec<u8>| {
            let pu = format!(
                "</Podmiot2>\n\t<PodmiotUpowazniony><DaneIdentyfikacyjne><NIP>{nip}</NIP><Nazwa>Komornik</Nazwa></DaneIdentyfikacyjne><Adres><KodKraju>PL</KodKraju><AdresL1>ul. Sądowa 1</AdresL1></Adres><RolaPU>1</RolaPU></PodmiotUpowazniony>"
            );
            replace(&b, "</Podmiot2>", &pu)
        }
    };
    check_prd(authorized("2222222222"), &[]);
    check_prd(authorized(BAD_NIP), &[C::BusinessNipChecksum]);
}

#[test]
fn missing_key_fields_are_refused() {
    // Without the schema P_2 and RodzajFaktury are only missing for us; with it the XSD also
    // objects, so compare on the schema-less path.
    let schema_less = |mutate: &dyn Fn(Vec<u8>) -> Vec<u8>| {
        let report = common::run(&mutate(base_sample()));
        common::error_codes(&report)
            .into_iter()
            .filter(|c| *c != "schema.invalid")
            .collect::<Vec<_>>()
    };
    assert_eq!(
        schema_less(&|b| replace(&b, "<P_2>FV2026/02/150</P_2>", "")),
        ["doc.missing_key_field"]
    );
    assert_eq!(
        schema_less(&|b| replace(&b, "<RodzajFaktury>VAT</RodzajFaktury>", "")),
        ["doc.missing_key_field"]
    );
    assert_eq!(
        schema_less(&|b| replace(&b, "<NIP>9999999999</NIP>", "")),
        ["doc.missing_key_field"]
    );
    let report = common::run(&replace(&base_sample(), "<P_2>FV2026/02/150</P_2>", ""));
    assert!(report.key.is_none(), "no key without P_2");
}

#[test]
fn wrong_root_namespace_is_refused() {
    let report = check(
        |b| {
            replace(
                &b,
                &format!("xmlns=\"{FA3_NS}\""),
                &format!("xmlns=\"{FA2_NS}\""),
            )
        },
        &[C::SchemaWrongRoot],
    );
    assert!(report.document.is_none() && report.key.is_none());
    check(
        |b| {
            replace(
                &replace(&b, "<Faktura ", "<Invoice "),
                "</Faktura>",
                "</Invoice>",
            )
        },
        &[C::SchemaWrongRoot],
    );
}

// --- our checks (warnings only) -----------------------------------------------------------

#[test]
fn totals_mismatch_is_a_warning() {
    let report = check(
        |b| replace(&b, "<P_15>2051</P_15>", "<P_15>2061</P_15>"),
        &[],
    );
    let w = warnings(&report, C::OursTotalsMismatch);
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].severity, Severity::Warning);
}

#[test]
fn line_total_mismatch_is_a_warning() {
    let original = String::from_utf8(base_sample()).expect("utf-8");
    // Locate the first line's P_11 and bump it by one złoty.
    let start = original.find("<P_11>").expect("P_11") + "<P_11>".len();
    let end = start + original[start..].find('<').expect("end");
    let value: rust_decimal::Decimal = original[start..end].parse().expect("decimal");
    let bumped = format!("<P_11>{}</P_11>", value + rust_decimal::Decimal::ONE);
    let report = check(
        |b| {
            replace(
                &b,
                &format!("<P_11>{}</P_11>", &original[start..end]),
                &bumped,
            )
        },
        &[],
    );
    let w = warnings(&report, C::OursLineTotalMismatch);
    assert_eq!(w.len(), 1, "{:#?}", report.findings);
    assert_eq!(w[0].path.as_deref(), Some("/Faktura/Fa/FaWiersz[1]"));
}

/// The findings of `report` with `code` (whatever their severity).
fn warnings(report: &fa3::ValidationReport, code: C) -> Vec<&fa3::Finding> {
    report.findings.iter().filter(|f| f.code == code).collect()
}

#[test]
fn totals_tolerate_per_field_rounding_but_not_more() {
    // Sample 26: P_13_3 30 + P_14_3 1.5 = 31.5; three rounded amounts allow 1.5 grosze.
    let on_26 = |p15: &str| {
        let to = format!("<P_15>{p15}</P_15>");
        let report = edited_sample("FA_3_Przyklad_26.xml", "<P_15>31.5</P_15>", &to);
        warnings(&report, C::OursTotalsMismatch).len()
    };
    assert_eq!(on_26("31.5"), 0);
    assert_eq!(on_26("31.51"), 0, "one grosz is rounding");
    assert_eq!(on_26("31.53"), 1, "three grosze are not");
}

#[test]
fn settlement_invoices_are_exempt_from_the_totals_identity() {
    // ROZ: P_15 is what is left to pay after advances (art. 106f ust. 3), so no identity holds.
    let report = edited_sample(
        "FA_3_Przyklad_14.xml",
        "<P_15>307635</P_15>",
        "<P_15>100000</P_15>",
    );
    assert!(warnings(&report, C::OursTotalsMismatch).is_empty());
}

#[test]
fn line_values_are_compared_after_rounding_to_grosze() {
    // Sample 26's line: P_8B 10 × P_9A 3 = P_11 30.
    let with_price = |price: &str| {
        let to = format!("<P_9A>{price}</P_9A>");
        let report = edited_sample("FA_3_Przyklad_26.xml", "<P_9A>3</P_9A>", &to);
        warnings(&report, C::OursLineTotalMismatch).len()
    };
    assert_eq!(with_price("3.0004"), 0, "30.004 rounds to 30.00");
    assert_eq!(
        with_price("3.0005"),
        1,
        "30.005 rounds half away from zero to 30.01"
    );
}

#[test]
fn gross_priced_lines_are_checked_with_p9b_and_p11a() {
    let report = edited_sample(
        "FA_3_Przyklad_19.xml",
        "<P_11A>2000</P_11A>",
        "<P_11A>2100</P_11A>",
    );
    let w = warnings(&report, C::OursLineTotalMismatch);
    assert_eq!(w.len(), 1, "{:#?}", report.findings);
    assert!(w[0].message.contains("P_11A"));
}

#[test]
fn lines_with_a_separate_discount_are_not_judged() {
    // Sample 4 has P_8B 20 × P_9A 1000 with P_10 100 and P_11 18000: whether P_10 is per unit or
    // per line is not stated, so such lines are skipped rather than guessed at.
    let report = edited_sample(
        "FA_3_Przyklad_4.xml",
        "<P_11>18000</P_11>",
        "<P_11>17000</P_11>",
    );
    assert!(warnings(&report, C::OursLineTotalMismatch).is_empty());
}
