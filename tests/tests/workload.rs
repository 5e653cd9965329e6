//! The workload is what the proofs rest on: valid items must really be valid FA(3), invalid ones
//! really invalid, twins really KSeF duplicates of each other, and everything else distinct.

use std::collections::HashSet;

use chrono::NaiveDate;
use ksef_desk_tests::paths::schemas_dir;
use ksef_desk_tests::workload::{Expect, Workload};

const INVOICES: usize = 60;

fn fa3_errors(xml: &[u8], schemas: &fa3::SchemaSet) -> Vec<String> {
    let options = fa3::ValidationOptions {
        env: fa3::Environment::Test,
        today: NaiveDate::from_ymd_opt(2026, 9, 1).expect("date"),
        schemas: Some(schemas),
    };
    fa3::validate(xml, &options)
        .findings
        .into_iter()
        .filter(|f| f.severity == fa3::Severity::Error)
        .map(|f| format!("{:?}", f.code))
        .collect()
}

#[test]
fn valid_items_pass_fa3_with_the_xsd_and_invalid_items_fail_it() {
    let schemas = fa3::SchemaSet::load(&schemas_dir()).expect("FA(3) schemas");
    let workload = Workload::generate(7, INVOICES).expect("workload");
    let mut invalid = 0;
    for item in &workload.items {
        let errors = fa3_errors(&item.xml, &schemas);
        match item.expect {
            Expect::Valid(_) => assert!(errors.is_empty(), "{}: {errors:?}", item.file_name),
            Expect::Invalid => {
                invalid += 1;
                assert!(!errors.is_empty(), "{} should be invalid", item.file_name);
            }
        }
    }
    assert!(invalid > 0, "the workload holds invalid invoices");
}

#[test]
fn items_are_distinct_except_twins_which_share_only_their_duplicate_key() {
    let workload = Workload::generate(11, INVOICES).expect("workload");
    let hashes: HashSet<_> = workload.items.iter().map(|i| i.hash.as_str()).collect();
    assert_eq!(
        hashes.len(),
        workload.items.len(),
        "every file has its own bytes"
    );
    let names: HashSet<_> = workload.items.iter().map(|i| &i.file_name).collect();
    assert_eq!(
        names.len(),
        workload.items.len(),
        "every file has its own name"
    );
    let groups = workload.valid_by_key();
    let twins: Vec<_> = groups.values().filter(|g| g.len() > 1).collect();
    assert!(
        !twins.is_empty(),
        "the workload holds same-number conflicts"
    );
    assert!(
        twins.iter().all(|g| g.len() == 2),
        "a twin has exactly one sibling"
    );
    for group in twins {
        let numbers: Vec<String> = group
            .iter()
            .map(|i| {
                let text = String::from_utf8_lossy(&i.xml);
                text.split("<P_2>")
                    .nth(1)
                    .and_then(|r| r.split("</P_2>").next())
                    .unwrap_or("")
                    .to_owned()
            })
            .collect();
        assert_eq!(numbers[0], numbers[1], "twins carry the same P_2");
    }
}

#[test]
fn the_same_seed_gives_the_same_bytes_and_another_seed_other_bytes() {
    let a = Workload::generate(3, 20).expect("workload");
    let b = Workload::generate(3, 20).expect("workload");
    let c = Workload::generate(4, 20).expect("workload");
    let bytes = |w: &Workload| w.items.iter().map(|i| i.xml.clone()).collect::<Vec<_>>();
    assert_eq!(bytes(&a), bytes(&b));
    assert_ne!(bytes(&a), bytes(&c));
}
