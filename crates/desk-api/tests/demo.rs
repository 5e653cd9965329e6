//! The demo generator against the official FA(3) XSD and our own arithmetic checks.

mod common;

use chrono::NaiveDate;
use desk_api::demo::{generate, Intent, Seller};

fn options(schemas: &fa3::SchemaSet, today: NaiveDate) -> fa3::ValidationOptions<'_> {
    fa3::ValidationOptions {
        env: fa3::Environment::Production,
        today,
        schemas: Some(schemas),
    }
}

#[test]
fn generated_invoices_are_valid_or_broken_exactly_as_intended() {
    let schemas = fa3::SchemaSet::load(&common::schemas_dir()).expect("official schemas");
    let seller = Seller {
        nip: "5265877635".to_owned(),
        name: "Przykładowa Firma sp. z o.o.".to_owned(),
    };
    let mut seen = [0usize; 3];
    for seed in 0..4u64 {
        let today =
            NaiveDate::from_ymd_opt(2026, 1 + seed as u32 * 3, 5 + seed as u32 * 6).expect("date");
        for inv in generate(&mut engine::rng::seeded(seed), &seller, today, 60) {
            let report = fa3::validate(inv.xml.as_bytes(), &options(&schemas, today));
            let errors: Vec<&str> = report
                .findings
                .iter()
                .filter(|f| f.is_error())
                .map(|f| f.code.as_str())
                .collect();
            match inv.intent {
                Intent::Valid => {
                    seen[0] += 1;
                    assert!(
                        report.findings.is_empty(),
                        "{}: {:?}\n{}",
                        inv.file_name,
                        report.findings,
                        inv.xml
                    );
                    assert_eq!(report.xsd, fa3::XsdStatus::Validated);
                    let doc = report.document.expect("summary");
                    let issue = doc.issue_date.expect("P_1");
                    assert!(
                        issue <= today
                            && issue.format("%Y-%m").to_string()
                                == today.format("%Y-%m").to_string()
                    );
                    assert!((1..=12).contains(&doc.line_count));
                    // P_15 equals net + VAT exactly (computed here from the document's own fields).
                    let gross = doc.totals.gross.expect("P_15");
                    assert_eq!(doc.totals.net + doc.totals.vat, gross);
                    assert_eq!(
                        engine::validation::parse_minor_units(&gross.to_string()),
                        Some(inv.gross_minor)
                    );
                    match doc.buyer {
                        Some(fa3::PartyId::Nip { nip }) => assert!(fa3::nip::check(&nip).is_ok()),
                        other => panic!("buyer without NIP: {other:?}"),
                    }
                }
                Intent::FutureIssueDate => {
                    seen[1] += 1;
                    assert_eq!(errors, ["business.issue_date_in_future"]);
                }
                Intent::BrokenXml => {
                    seen[2] += 1;
                    assert!(errors.contains(&"xml.malformed"), "{errors:?}");
                }
            }
        }
    }
    // About one in ten is broken, and both kinds of breakage occur.
    assert!(seen[1] > 0 && seen[2] > 0, "{seen:?}");
    assert!((10..=40).contains(&(seen[1] + seen[2])), "{seen:?}");
}

#[test]
fn vat_is_computed_per_rate_on_net_sums() {
    let schemas = fa3::SchemaSet::load(&common::schemas_dir()).expect("official schemas");
    let seller = Seller {
        nip: "5265877635".to_owned(),
        name: "Firma".to_owned(),
    };
    let today = NaiveDate::from_ymd_opt(2026, 11, 21).expect("date");
    let mut rates_seen = std::collections::BTreeSet::new();
    for inv in generate(&mut engine::rng::seeded(7), &seller, today, 80) {
        if inv.intent != Intent::Valid {
            continue;
        }
        let report = fa3::validate(inv.xml.as_bytes(), &options(&schemas, today));
        assert!(
            report.is_valid(),
            "{}: {:?}",
            inv.file_name,
            report.findings
        );
        for (net_field, vat_field, percent) in [
            ("P_13_1", "P_14_1", 23),
            ("P_13_2", "P_14_2", 8),
            ("P_13_3", "P_14_3", 5),
        ] {
            if let Some(net) = field(&inv.xml, net_field) {
                rates_seen.insert(percent);
                let vat = field(&inv.xml, vat_field).expect("VAT next to net");
                // Half-up rounding of net × rate, in grosze, checked with integer arithmetic.
                assert_eq!(
                    vat,
                    (net * percent + 50) / 100,
                    "{net_field} in {}",
                    inv.file_name
                );
            }
        }
        if field(&inv.xml, "P_13_7").is_some() {
            rates_seen.insert(-1);
            assert!(
                inv.xml.contains("<P_19>1</P_19>"),
                "zw needs the exemption annotation"
            );
        }
    }
    assert!(rates_seen.len() >= 4, "{rates_seen:?}");
}

/// An amount field in grosze.
fn field(xml: &str, name: &str) -> Option<i64> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find('<')?;
    engine::validation::parse_minor_units(&xml[start..end])
}
