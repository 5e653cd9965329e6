//! KSeF's business rules (KSEF-API.md §8): issue date, NIP checksums, duplicate-key fields.

use chrono::NaiveDate;

use crate::capture::{parse_date, Capture, Captured};
use crate::code::FindingCode;
use crate::finding::Severity;
use crate::nip::{self, NipError};
use crate::sink::{At, FindingSink};
use crate::validate::Environment;

/// Applies every business rule to a read document.
pub(crate) fn check(
    sink: &mut FindingSink<'_>,
    capture: &Capture,
    env: Environment,
    today: NaiveDate,
) {
    key_fields(sink, capture);
    issue_date(sink, capture, today);
    nips(sink, capture, env);
}

fn key_fields(sink: &mut FindingSink<'_>, capture: &Capture) {
    let fields = [
        (
            &capture.seller.nip,
            "/Faktura/Podmiot1/DaneIdentyfikacyjne/NIP",
            "seller NIP",
        ),
        (
            &capture.invoice_kind,
            "/Faktura/Fa/RodzajFaktury",
            "invoice kind (RodzajFaktury)",
        ),
        (&capture.number, "/Faktura/Fa/P_2", "invoice number (P_2)"),
    ];
    for (value, path, what) in fields {
        if value.as_ref().is_none_or(|c| c.text.is_empty()) {
            sink.error(
                FindingCode::DocMissingKeyField,
                format!("{what} is missing; KSeF's duplicate check needs it"),
                At::path(path),
            );
        }
    }
}

fn issue_date(sink: &mut FindingSink<'_>, capture: &Capture, today: NaiveDate) {
    let Some(p1) = &capture.issue_date else {
        return;
    };
    // An unparseable date is the XSD's finding, not this rule's.
    if let Some(date) = parse_date(&p1.text) {
        if date > today {
            sink.error(
                FindingCode::BusinessIssueDateInFuture,
                format!("issue date P_1 {date} is after {today}, the day KSeF would accept it"),
                At::both(p1.offset, "/Faktura/Fa/P_1"),
            );
        }
    }
}

fn nips(sink: &mut FindingSink<'_>, capture: &Capture, env: Environment) {
    // KSeF checks NIP checksums on production only; elsewhere a bad one is worth a warning.
    let severity = if env == Environment::Production {
        Severity::Error
    } else {
        Severity::Warning
    };
    let mut check = |nip: &Option<Captured>, path: String, internal: bool| {
        let Some(c) = nip else { return };
        // In an internal id `{nip}-{5 digits}` only the NIP part has a checksum.
        let candidate = if internal {
            c.text.split('-').next().unwrap_or_default()
        } else {
            &c.text
        };
        if nip::check(candidate) == Err(NipError::Checksum) {
            sink.push(
                FindingCode::BusinessNipChecksum,
                severity,
                format!("NIP {candidate} has a wrong check digit"),
                At::both(c.offset, &path),
            );
        }
    };
    check(
        &capture.seller.nip,
        "/Faktura/Podmiot1/DaneIdentyfikacyjne/NIP".into(),
        false,
    );
    check(
        &capture.buyer.nip,
        "/Faktura/Podmiot2/DaneIdentyfikacyjne/NIP".into(),
        false,
    );
    for (i, party) in capture.third_parties.iter().enumerate() {
        let base = format!("/Faktura/Podmiot3[{}]/DaneIdentyfikacyjne", i + 1);
        check(&party.nip, format!("{base}/NIP"), false);
        check(&party.internal_id, format!("{base}/IDWew"), true);
    }
    check(
        &capture.authorized.nip,
        "/Faktura/PodmiotUpowazniony/DaneIdentyfikacyjne/NIP".into(),
        false,
    );
}
