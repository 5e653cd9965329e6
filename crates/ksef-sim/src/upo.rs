//! UPO (official receipt) documents, schema `upo-v4-3.xsd`: one per invoice, and paged per session.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::state::{Accepted, Invoice, InvoicingMode, Session};

/// UPO namespace.
pub const UPO_NAMESPACE: &str = "http://upo.schematy.mf.gov.pl/KSeF/v4-3";
/// Most `Dokument` elements on one session UPO page (the XSD's `maxOccurs`).
pub const DOCUMENTS_PER_PAGE_MAX: usize = 10_000;

fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn logical_structure(session: &Session) -> String {
    // `FA (3)` + `1-0E` → `Schemat_FA(3)_v1-0E.xsd`.
    let system = session.form_code.system_code.replace(' ', "");
    format!(
        "Schemat_{}_v{}.xsd",
        system, session.form_code.schema_version
    )
}

fn document(invoice: &Invoice, accepted: &Accepted) -> String {
    let mode = match accepted.mode {
        InvoicingMode::Online => "Online",
        InvoicingMode::Offline => "Offline",
    };
    format!(
        "<Dokument><NipSprzedawcy>{}</NipSprzedawcy><NumerKSeFDokumentu>{}</NumerKSeFDokumentu>\
<NumerFaktury>{}</NumerFaktury><DataWystawieniaFaktury>{}</DataWystawieniaFaktury>\
<DataPrzeslaniaDokumentu>{}</DataPrzeslaniaDokumentu><DataNadaniaNumeruKSeF>{}</DataNadaniaNumeruKSeF>\
<SkrotDokumentu>{}</SkrotDokumentu><TrybWysylki>{}</TrybWysylki></Dokument>",
        escape(&accepted.facts.seller_nip),
        escape(&accepted.ksef_number),
        escape(&accepted.facts.invoice_number),
        accepted.facts.issue_date.format("%Y-%m-%d"),
        timestamp(invoice.invoicing_date),
        timestamp(accepted.acquired_at),
        escape(&invoice.invoice_hash),
        mode
    )
}

fn envelope(session: &Session, description: Option<String>, documents: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Potwierdzenie xmlns=\"{UPO_NAMESPACE}\">\
<NazwaPodmiotuPrzyjmujacego>Ministerstwo Finansów</NazwaPodmiotuPrzyjmujacego>\
<NumerReferencyjnySesji>{}</NumerReferencyjnySesji>\
<Uwierzytelnienie><IdKontekstu><Nip>{}</Nip></IdKontekstu>\
<NumerReferencyjnyTokenaKSeF>{}</NumerReferencyjnyTokenaKSeF></Uwierzytelnienie>{}\
<NazwaStrukturyLogicznej>{}</NazwaStrukturyLogicznej><KodFormularza>{}</KodFormularza>{}</Potwierdzenie>\n",
        escape(&session.reference),
        escape(&session.context_nip),
        escape(&session.token_reference),
        description.unwrap_or_default(),
        escape(&logical_structure(session)),
        escape(&session.form_code.system_code),
        documents
    )
}

/// The UPO of one accepted invoice.
pub fn invoice_upo(session: &Session, invoice: &Invoice, accepted: &Accepted) -> String {
    envelope(session, None, &document(invoice, accepted))
}

/// Session UPO pages of ≤ [`DOCUMENTS_PER_PAGE_MAX`] documents; none when nothing was accepted.
pub fn session_pages(session: &Session, accepted: &[(&Invoice, &Accepted)]) -> Vec<String> {
    let total = accepted.len();
    let chunks: Vec<_> = accepted.chunks(DOCUMENTS_PER_PAGE_MAX).collect();
    let pages = chunks.len();
    chunks
        .into_iter()
        .enumerate()
        .map(|(index, chunk)| {
            let from = index * DOCUMENTS_PER_PAGE_MAX + 1;
            let description = format!(
                "<OpisPotwierdzenia><Strona>{}</Strona><LiczbaStron>{pages}</LiczbaStron>\
<ZakresDokumentowOd>{from}</ZakresDokumentowOd><ZakresDokumentowDo>{}</ZakresDokumentowDo>\
<CalkowitaLiczbaDokumentow>{total}</CalkowitaLiczbaDokumentow></OpisPotwierdzenia>",
                index + 1,
                from + chunk.len()
            );
            let documents: String = chunk.iter().map(|(inv, acc)| document(inv, acc)).collect();
            envelope(session, Some(description), &documents)
        })
        .collect()
}
