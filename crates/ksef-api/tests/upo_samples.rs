//! The UPO parser against the official UPO samples (read from the shared folder, never copied).

use std::path::PathBuf;

use ksef_api::status::InvoicingMode;
use ksef_api::upo::{Upo, UpoAuthentication, UpoVersion};
use ksef_api::{ContextIdentifier, Sha256B64};

fn sample(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/ksef/samples/upo")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

#[test]
fn all_six_samples_parse_with_their_context_kind() {
    let cases = [
        ("upo-faktura-id-zlozony-vat-ue.xml", "NipVatUe", 1),
        ("upo-faktura-internal-id.xml", "InternalId", 1),
        ("upo-faktura-kontekst-id-nip.xml", "Nip", 1),
        ("upo-sesja-id-zlozony-vat-ue.xml", "NipVatUe", 2),
        ("upo-sesja-internal-id.xml", "InternalId", 2),
        ("upo-sesja-kontekst-id-nip.xml", "Nip", 2),
    ];
    for (file, kind, documents) in cases {
        let bytes = sample(file);
        let upo = Upo::parse(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(upo.version, UpoVersion::V4_3, "{file}");
        assert_eq!(upo.context.kind(), kind, "{file}");
        assert_eq!(upo.form_code, "FA (3)", "{file}");
        assert_eq!(upo.environment_suffix(), Some("TE"), "{file}");
        // Independent count of the documents straight from the text.
        let text = String::from_utf8_lossy(&bytes);
        assert_eq!(text.matches("<Dokument>").count(), documents, "{file}");
        assert_eq!(upo.documents.len(), documents, "{file}");
        for doc in &upo.documents {
            assert!(text.contains(doc.ksef_number.as_str()), "{file}");
            assert_eq!(
                doc.seller_nip.as_str(),
                doc.ksef_number.seller_nip(),
                "{file}"
            );
            assert_eq!(doc.mode, InvoicingMode::Online, "{file}");
        }
    }
}

#[test]
fn session_sample_carries_paging_and_values() {
    let upo = Upo::parse(&sample("upo-sesja-id-zlozony-vat-ue.xml")).unwrap();
    assert_eq!(
        upo.context,
        ContextIdentifier::nip_vat_ue("5265877635-ATU12345678").unwrap()
    );
    let page = upo.page.expect("session UPO has OpisPotwierdzenia");
    assert_eq!(
        (page.page, page.page_count, page.documents_total),
        (1, 1, 2)
    );
    assert_eq!(page.documents_to_exclusive - page.documents_from, 1);
    let first = &upo.documents[0];
    assert_eq!(
        first.ksef_number.as_str(),
        "5265877635-20250916-020000583241-84"
    );
    assert_eq!(first.invoice_number, "FA/XVQUD-9997622510/04/2027");
    assert_eq!(first.issue_date.to_string(), "2025-09-16");
    assert_eq!(first.sent_at.to_rfc3339(), "2025-09-16T11:29:41.524+02:00");
    assert_eq!(
        first.document_hash,
        Sha256B64::parse("GZMGNVzs3krF6URKgvaw77OOeG3nJ+WGziT5xguliQ8=").unwrap()
    );
    assert!(matches!(
        upo.authentication,
        UpoAuthentication::DocumentHash(_)
    ));
    assert_eq!(
        upo.session_ref.as_str(),
        "36950822-93-9D5A28BFDA-47C899773E-5C"
    );
}

#[test]
fn invoice_samples_have_no_paging() {
    for file in [
        "upo-faktura-internal-id.xml",
        "upo-faktura-kontekst-id-nip.xml",
    ] {
        assert_eq!(Upo::parse(&sample(file)).unwrap().page, None, "{file}");
    }
}
