//! `POST /invoices/query/metadata` (§9): searches accepted invoices of the token's context.
//!
//! Supported filters: `subjectType`, `dateRange` (all three date types), `ksefNumber`, `invoiceNumber`,
//! `sellerNip`, `invoicingMode`, `currencyCodes` and `hasAttachment`; the other spec filters are accepted
//! and ignored (the simulator's invoices are all plain FA(3), so they rarely narrow anything).

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::Json;
use chrono::{DateTime, Datelike, Months, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};
use fa3::{Fa3Document, PartyId};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::server::{authorize, rfc3339, Simulator};
use crate::state::{Accepted, Invoice, InvoicingMode, Outcome, TokenKind};

/// (min, max, default) `pageSize`.
const PAGE_SIZES: (u32, u32, u32) = (10, 250, 10);
/// KSeF stops a query after this many rows (`isTruncated`).
pub const QUERY_ROWS_MAX: usize = 10_000;
/// Widest allowed `dateRange`.
const RANGE_MONTHS_MAX: u32 = 3;

/// Query-string parameters.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Paging {
    page_offset: Option<u32>,
    page_size: Option<u32>,
    sort_order: Option<SortOrder>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
enum SortOrder {
    Asc,
    Desc,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
enum SubjectType {
    Subject1,
    Subject2,
    Subject3,
    SubjectAuthorized,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
enum DateType {
    Issue,
    Invoicing,
    PermanentStorage,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DateRange {
    date_type: DateType,
    from: String,
    to: Option<String>,
}

/// `InvoiceQueryFilters` (the subset the simulator evaluates).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Filters {
    subject_type: SubjectType,
    date_range: DateRange,
    ksef_number: Option<String>,
    invoice_number: Option<String>,
    seller_nip: Option<String>,
    invoicing_mode: Option<String>,
    currency_codes: Option<Vec<String>>,
    has_attachment: Option<bool>,
}

/// An accepted invoice with its re-read document summary.
struct Row<'a> {
    invoice: &'a Invoice,
    accepted: &'a Accepted,
    document: Fa3Document,
}

/// `POST /invoices/query/metadata`.
pub async fn metadata(
    State(sim): State<Simulator>,
    Query(paging): Query<Paging>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let filters: Filters = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid(format!("Nieprawidłowe kryteria: {e}")))?;
    let size = paging.page_size.unwrap_or(PAGE_SIZES.2);
    if !(PAGE_SIZES.0..=PAGE_SIZES.1).contains(&size) {
        return Err(ApiError::invalid(format!(
            "pageSize must be between {} and {}",
            PAGE_SIZES.0, PAGE_SIZES.1
        )));
    }
    let offset = paging.page_offset.unwrap_or(0) as usize;
    let size = size as usize;
    sim.with_state(|state, now| {
        let token = authorize(state, &headers, now, TokenKind::Access)?;
        let from = parse_instant(&filters.date_range.from)?;
        let to = match &filters.date_range.to {
            Some(text) => parse_instant(text)?,
            None => now,
        };
        let widest = from
            .checked_add_months(Months::new(RANGE_MONTHS_MAX))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        if to < from || to > widest {
            return Err(ApiError::invalid(format!(
                "dateRange must run forwards and span at most {RANGE_MONTHS_MAX} months"
            )));
        }
        let mut rows: Vec<Row<'_>> = state
            .invoices
            .values()
            .filter_map(|invoice| match &invoice.outcome {
                Outcome::Accepted(accepted) => {
                    let document = Fa3Document::read(invoice.plain.as_deref()?).ok()?;
                    Some(Row {
                        invoice,
                        accepted,
                        document,
                    })
                }
                _ => None,
            })
            .filter(|row| selects(row, &filters, &token.context_nip, from, to))
            .collect();
        let date_type = filters.date_range.date_type;
        rows.sort_by(|a, b| {
            sort_key(a, date_type)
                .cmp(&sort_key(b, date_type))
                .then_with(|| a.accepted.ksef_number.cmp(&b.accepted.ksef_number))
        });
        if paging.sort_order == Some(SortOrder::Desc) {
            rows.reverse();
        }
        let is_truncated = rows.len() > QUERY_ROWS_MAX;
        rows.truncate(QUERY_ROWS_MAX);
        let start = offset.saturating_mul(size);
        let invoices: Vec<Value> = rows.iter().skip(start).take(size).map(row_json).collect();
        let has_more = rows.len() > start.saturating_add(size);
        let mut body =
            json!({"hasMore": has_more, "isTruncated": is_truncated, "invoices": invoices});
        if date_type == DateType::PermanentStorage {
            body["permanentStorageHwmDate"] = json!(rfc3339(to.min(now)));
        }
        Ok(Json(body))
    })
}

/// Whether a row passes every filter for the caller's context.
fn selects(
    row: &Row<'_>,
    filters: &Filters,
    context_nip: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> bool {
    let doc = &row.document;
    let facts = &row.accepted.facts;
    let ours = match filters.subject_type {
        SubjectType::Subject1 => facts.seller_nip == context_nip,
        SubjectType::Subject2 => {
            matches!(&doc.buyer, Some(PartyId::Nip { nip }) if nip == context_nip)
        }
        SubjectType::Subject3 => doc
            .third_parties
            .iter()
            .any(|p| matches!(&p.id, Some(PartyId::Nip { nip }) if nip == context_nip)),
        SubjectType::SubjectAuthorized => doc.authorized_nip.as_deref() == Some(context_nip),
    };
    let in_range = match filters.date_range.date_type {
        DateType::Issue => (from.date_naive()..=to.date_naive()).contains(&facts.issue_date),
        DateType::Invoicing => (from..=to).contains(&row.invoice.invoicing_date),
        DateType::PermanentStorage => (from..=to).contains(&row.accepted.acquired_at),
    };
    let exact = |filter: &Option<String>, value: &str| filter.as_deref().is_none_or(|f| f == value);
    ours && in_range
        && exact(&filters.ksef_number, &row.accepted.ksef_number)
        && exact(&filters.invoice_number, &facts.invoice_number)
        && exact(&filters.seller_nip, &facts.seller_nip)
        && exact(&filters.invoicing_mode, mode_name(row.accepted.mode))
        && filters.currency_codes.as_ref().is_none_or(|codes| {
            doc.currency
                .as_ref()
                .is_some_and(|c| codes.iter().any(|code| code == c))
        })
        && filters
            .has_attachment
            .is_none_or(|wanted| wanted == doc.has_attachment)
}

/// The instant a row sorts by for the queried date type.
fn sort_key(row: &Row<'_>, date_type: DateType) -> DateTime<Utc> {
    match date_type {
        DateType::Issue => row
            .accepted
            .facts
            .issue_date
            .and_hms_opt(0, 0, 0)
            .map_or(row.invoice.invoicing_date, |d| d.and_utc()),
        DateType::Invoicing => row.invoice.invoicing_date,
        DateType::PermanentStorage => row.accepted.acquired_at,
    }
}

fn mode_name(mode: InvoicingMode) -> &'static str {
    match mode {
        InvoicingMode::Online => "Online",
        InvoicingMode::Offline => "Offline",
    }
}

/// `InvoiceType` of an FA(3) `RodzajFaktury`.
fn invoice_type(kind: &str) -> &'static str {
    match kind {
        "ZAL" => "Zal",
        "KOR" => "Kor",
        "ROZ" => "Roz",
        "UPR" => "Upr",
        "KOR_ZAL" => "KorZal",
        "KOR_ROZ" => "KorRoz",
        _ => "Vat",
    }
}

/// An exact decimal as a JSON number (the spec's `double`).
fn amount(value: impl ToString) -> Value {
    value
        .to_string()
        .parse::<f64>()
        .map_or(Value::Null, |v| json!(v))
}

/// `InvoiceMetadata` of one row.
fn row_json(row: &Row<'_>) -> Value {
    let doc = &row.document;
    let accepted = row.accepted;
    let identifier = match &doc.buyer {
        Some(PartyId::Nip { nip }) => json!({"type": "Nip", "value": nip}),
        Some(PartyId::EuVat { country, number }) => {
            json!({"type": "VatUe", "value": format!("{country}{number}")})
        }
        Some(PartyId::Other { id, .. }) | Some(PartyId::InternalId { id }) => {
            json!({"type": "Other", "value": id})
        }
        Some(PartyId::NoId) | None => json!({"type": "None"}),
    };
    let mut buyer = json!({ "identifier": identifier });
    if let Some(name) = &doc.buyer_name {
        buyer["name"] = json!(name);
    }
    let mut seller = json!({ "nip": accepted.facts.seller_nip });
    if let Some(name) = &doc.seller_name {
        seller["name"] = json!(name);
    }
    let gross = doc
        .totals
        .gross
        .map_or_else(|| amount(doc.totals.net + doc.totals.vat), amount);
    json!({
        "ksefNumber": accepted.ksef_number,
        "invoiceNumber": accepted.facts.invoice_number,
        "issueDate": accepted.facts.issue_date.to_string(),
        "invoicingDate": rfc3339(row.invoice.invoicing_date),
        "acquisitionDate": rfc3339(accepted.acquired_at),
        "permanentStorageDate": rfc3339(accepted.acquired_at),
        "seller": seller,
        "buyer": buyer,
        "netAmount": amount(doc.totals.net),
        "grossAmount": gross,
        "vatAmount": amount(doc.totals.vat),
        "currency": doc.currency.clone().unwrap_or_else(|| "PLN".into()),
        "invoicingMode": mode_name(accepted.mode),
        "invoiceType": invoice_type(&accepted.facts.invoice_kind),
        "formCode": {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"},
        "isSelfInvoicing": false,
        "hasAttachment": doc.has_attachment,
        "invoiceHash": row.invoice.invoice_hash,
    })
}

/// ISO 8601 with `Z` or an offset; without one, local time in Europe/Warsaw (as the spec says).
fn parse_instant(text: &str) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    let local = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    .ok_or_else(|| ApiError::invalid(format!("Nieprawidłowa data: {text}")))?;
    Ok(warsaw_to_utc(local))
}

/// Europe/Warsaw → UTC by the EU rule (CEST from the last Sunday of March to the last Sunday of October,
/// switching at 01:00 UTC); enough for the simulator without a time-zone database.
fn warsaw_to_utc(local: NaiveDateTime) -> DateTime<Utc> {
    let year = local.year();
    let switch = |month: u32| {
        last_sunday(year, month)
            .and_then(|d| d.and_hms_opt(1, 0, 0))
            .map(|t| t.and_utc())
    };
    let winter = Utc.from_utc_datetime(&(local - chrono::Duration::hours(1)));
    match (switch(3), switch(10)) {
        (Some(start), Some(end)) if (start..end).contains(&winter) => {
            Utc.from_utc_datetime(&(local - chrono::Duration::hours(2)))
        }
        _ => winter,
    }
}

fn last_sunday(year: i32, month: u32) -> Option<NaiveDate> {
    let last = NaiveDate::from_ymd_opt(year, month + 1, 1)?.pred_opt()?;
    let back = last.weekday().num_days_from_sunday();
    last.checked_sub_days(chrono::Days::new(u64::from(back)))
        .filter(|d| d.weekday() == Weekday::Sun)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_with_offsets_and_warsaw_local_times_convert_to_utc() {
        let utc = |s: &str| parse_instant(s).map(rfc3339).map_err(|e| e.code());
        assert_eq!(
            utc("2026-02-10T10:00:00Z"),
            Ok("2026-02-10T10:00:00.000Z".into())
        );
        assert_eq!(
            utc("2026-02-10T10:00:00+03:00"),
            Ok("2026-02-10T07:00:00.000Z".into())
        );
        // Winter: UTC+1; summer: UTC+2; 2026's switches are 29 March and 25 October.
        assert_eq!(
            utc("2026-02-10T10:00:00"),
            Ok("2026-02-10T09:00:00.000Z".into())
        );
        assert_eq!(
            utc("2026-07-01T10:00:00"),
            Ok("2026-07-01T08:00:00.000Z".into())
        );
        assert_eq!(
            utc("2026-03-29T01:30:00"),
            Ok("2026-03-29T00:30:00.000Z".into())
        );
        assert_eq!(
            utc("2026-03-29T04:00:00"),
            Ok("2026-03-29T02:00:00.000Z".into())
        );
        assert_eq!(utc("yesterday"), Err("21405".into()));
    }

    #[test]
    fn invoice_kinds_map_to_the_spec_enum() {
        assert_eq!(invoice_type("VAT"), "Vat");
        assert_eq!(invoice_type("KOR_ZAL"), "KorZal");
        assert_eq!(invoice_type("ROZ"), "Roz");
    }
}
