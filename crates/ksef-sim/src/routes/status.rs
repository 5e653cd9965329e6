//! Session and invoice status, lists and UPO downloads (§5).

use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{page_body, page_request};
use crate::crypto::sha256_b64;
use crate::error::ApiError;
use crate::server::{authorize, rfc3339, Simulator};
use crate::state::{Invoice, InvoicingMode, Outcome, Phase, Session, SimState, TokenKind};
use crate::upo;

/// (min, max, default) page sizes of session and invoice lists.
const PAGE_SIZES: (u32, u32, u32) = (10, 1000, 10);

/// Status of a session as `{code, description, details?}`.
fn session_status(session: &Session) -> Value {
    match &session.phase {
        Phase::Open if session.is_online() => {
            json!({"code": 100, "description": "Sesja interaktywna otwarta"})
        }
        Phase::Open => json!({"code": 100, "description": "Sesja wsadowa rozpoczęta"}),
        Phase::Closed { .. } if session.is_online() => {
            json!({"code": 170, "description": "Sesja interaktywna zamknięta"})
        }
        Phase::Closed { .. } => json!({"code": 150, "description": "Trwa przetwarzanie"}),
        Phase::Final {
            code,
            description,
            details,
        } => {
            let mut status = json!({"code": code, "description": description});
            if !details.is_empty() {
                status["details"] = json!(details);
            }
            status
        }
    }
}

fn invoice_description(code: u16) -> &'static str {
    match code {
        100 => "Faktura przyjęta do dalszego przetwarzania",
        150 => "Trwa przetwarzanie",
        200 => "Sukces",
        405 => "Przetwarzanie anulowane z powodu błędu sesji",
        410 => "Nieprawidłowy zakres uprawnień",
        415 => "Brak możliwości wysyłania faktury z załącznikiem",
        430 => "Błąd weryfikacji pliku faktury",
        435 => "Błąd odszyfrowania pliku",
        440 => "Duplikat faktury",
        450 => "Błąd weryfikacji semantyki dokumentu faktury",
        550 => "Operacja została anulowana przez system",
        _ => "Nieznany błąd",
    }
}

/// Counts (total, successful, failed) of a session.
fn counts(state: &SimState, session: &Session) -> (usize, usize, usize) {
    let outcomes = session
        .invoices
        .iter()
        .filter_map(|r| state.invoices.get(r));
    let (mut ok, mut failed) = (0, 0);
    for invoice in outcomes {
        match invoice.outcome {
            Outcome::Accepted(_) => ok += 1,
            Outcome::Rejected(_) => failed += 1,
            Outcome::Pending => {}
        }
    }
    (session.invoices.len(), ok, failed)
}

/// `SessionInvoiceStatusResponse` of one invoice, with fresh pre-signed UPO URL when accepted.
pub(super) fn invoice_json(
    sim: &Simulator,
    state: &SimState,
    invoice: &Invoice,
    now: DateTime<Utc>,
) -> Value {
    let processing = Duration::milliseconds(i64::try_from(sim.config().processing_ms).unwrap_or(0));
    let mut body = json!({
        "ordinalNumber": invoice.ordinal, "referenceNumber": invoice.reference,
        "invoiceHash": invoice.invoice_hash, "invoicingDate": rfc3339(invoice.invoicing_date),
    });
    if let Some(name) = &invoice.file_name {
        body["invoiceFileName"] = json!(name);
    }
    let status = match &invoice.outcome {
        Outcome::Pending => {
            let code = if now < invoice.invoicing_date + processing / 2 {
                100
            } else {
                150
            };
            json!({"code": code, "description": invoice_description(code)})
        }
        Outcome::Accepted(accepted) => {
            body["invoiceNumber"] = json!(accepted.facts.invoice_number);
            body["ksefNumber"] = json!(accepted.ksef_number);
            body["acquisitionDate"] = json!(rfc3339(accepted.acquired_at));
            body["permanentStorageDate"] = json!(rfc3339(accepted.acquired_at));
            body["invoicingMode"] = json!(match accepted.mode {
                InvoicingMode::Online => "Online",
                InvoicingMode::Offline => "Offline",
            });
            let expires = now
                + Duration::milliseconds(i64::try_from(sim.config().upo_url_ttl_ms).unwrap_or(0));
            let path = format!(
                "/_blob/upo/{}/invoices/{}",
                invoice.session_ref, invoice.reference
            );
            body["upoDownloadUrl"] = json!(sim.presign(&state.url_secret, &path, expires));
            body["upoDownloadUrlExpirationDate"] = json!(rfc3339(expires));
            json!({"code": 200, "description": invoice_description(200)})
        }
        Outcome::Rejected(rejected) => {
            if let Some(number) = &rejected.invoice_number {
                body["invoiceNumber"] = json!(number);
            }
            let mut status =
                json!({"code": rejected.code, "description": invoice_description(rejected.code)});
            if !rejected.details.is_empty() {
                status["details"] = json!(rejected.details);
            }
            if !rejected.extensions.is_empty() {
                status["extensions"] = json!(rejected.extensions);
            }
            status
        }
    };
    body["status"] = status;
    body
}

/// `GET /sessions/{referenceNumber}`.
pub async fn session(
    State(sim): State<Simulator>,
    Path(reference): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    sim.with_state(|state, now| {
        let token = authorize(state, &headers, now, TokenKind::Access)?;
        let session = state
            .sessions
            .get(&reference)
            .filter(|s| s.context_nip == token.context_nip)
            .ok_or_else(|| ApiError::bad(21173, format!("Sesja {reference} nie istnieje.")))?;
        let mut body = json!({
            "status": session_status(session), "dateCreated": rfc3339(session.created),
            "dateUpdated": rfc3339(session.updated), "validUntil": rfc3339(session.valid_until),
        });
        let (total, ok, failed) = counts(state, session);
        if total > 0 {
            body["invoiceCount"] = json!(total);
            body["successfulInvoiceCount"] = json!(ok);
            body["failedInvoiceCount"] = json!(failed);
        }
        if !session.upo_pages.is_empty() {
            let expires = now
                + Duration::milliseconds(i64::try_from(sim.config().upo_url_ttl_ms).unwrap_or(0));
            let pages: Vec<Value> = session
                .upo_pages
                .iter()
                .map(|page| {
                    let path = format!("/_blob/upo/{}/pages/{}", session.reference, page.reference);
                    json!({"referenceNumber": page.reference,
                        "downloadUrl": sim.presign(&state.url_secret, &path, expires),
                        "downloadUrlExpirationDate": rfc3339(expires)})
                })
                .collect();
            body["upo"] = json!({ "pages": pages });
        }
        Ok(Json(body))
    })
}

/// `pageSize` query parameter.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageQuery {
    page_size: Option<u32>,
}

fn invoice_list(
    sim: &Simulator,
    reference: &str,
    headers: &HeaderMap,
    page_size: Option<u32>,
    failed_only: bool,
) -> Result<Json<Value>, ApiError> {
    sim.with_state(|state, now| {
        let token = authorize(state, headers, now, TokenKind::Access)?;
        let (offset, size) = page_request(headers, page_size, PAGE_SIZES)?;
        let session = state
            .sessions
            .get(reference)
            .filter(|s| s.context_nip == token.context_nip)
            .ok_or_else(|| ApiError::bad(21173, format!("Sesja {reference} nie istnieje.")))?;
        let selected: Vec<&Invoice> = session
            .invoices
            .iter()
            .filter_map(|r| state.invoices.get(r))
            .filter(|inv| !failed_only || matches!(inv.outcome, Outcome::Rejected(_)))
            .collect();
        Ok(Json(page_body(
            "invoices",
            &selected,
            (offset, size),
            |inv| invoice_json(sim, state, inv, now),
        )))
    })
}

/// `GET /sessions/{referenceNumber}/invoices`.
pub async fn invoices(
    State(sim): State<Simulator>,
    Path(reference): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    invoice_list(&sim, &reference, &headers, query.page_size, false)
}

/// `GET /sessions/{referenceNumber}/invoices/failed`.
pub async fn failed_invoices(
    State(sim): State<Simulator>,
    Path(reference): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    invoice_list(&sim, &reference, &headers, query.page_size, true)
}

/// `GET /sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}`.
pub async fn invoice(
    State(sim): State<Simulator>,
    Path((reference, invoice_ref)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    sim.with_state(|state, now| {
        let token = authorize(state, &headers, now, TokenKind::Access)?;
        let invoice = state
            .invoices
            .get(&invoice_ref)
            .filter(|inv| inv.session_ref == reference)
            .filter(|_| {
                state
                    .sessions
                    .get(&reference)
                    .is_some_and(|s| s.context_nip == token.context_nip)
            })
            .ok_or_else(|| {
                ApiError::invalid(format!(
                    "Faktura {invoice_ref} nie istnieje w sesji {reference}."
                ))
            })?;
        Ok(Json(invoice_json(&sim, state, invoice, now)))
    })
}

/// An XML response with `x-ms-meta-hash` = b64 SHA-256 of the body.
pub(super) fn xml_response(xml: String) -> Response {
    let hash = sha256_b64(xml.as_bytes());
    let mut response = xml.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    if let Ok(value) = HeaderValue::from_str(&hash) {
        headers.insert("x-ms-meta-hash", value);
    }
    response
}

/// UPO of an accepted invoice of `session_ref`, selected by `pick`.
pub(super) fn find_invoice_upo(
    state: &SimState,
    session_ref: &str,
    pick: impl Fn(&Invoice) -> bool,
) -> Result<String, ApiError> {
    let not_found = || ApiError::bad(21178, "Nie znaleziono UPO.");
    let session = state.sessions.get(session_ref).ok_or_else(not_found)?;
    session
        .invoices
        .iter()
        .filter_map(|r| state.invoices.get(r))
        .filter(|inv| pick(inv))
        .find_map(|inv| match &inv.outcome {
            Outcome::Accepted(accepted) => Some(upo::invoice_upo(session, inv, accepted)),
            _ => None,
        })
        .ok_or_else(not_found)
}

fn check_session_owner(
    state: &SimState,
    reference: &str,
    context_nip: &str,
) -> Result<(), ApiError> {
    state
        .sessions
        .get(reference)
        .filter(|s| s.context_nip == context_nip)
        .map(|_| ())
        .ok_or_else(|| ApiError::bad(21173, format!("Sesja {reference} nie istnieje.")))
}

/// `GET /sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}/upo`.
pub async fn invoice_upo(
    State(sim): State<Simulator>,
    Path((reference, invoice_ref)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    sim.with_state(|state, now| {
        let token = authorize(state, &headers, now, TokenKind::Access)?;
        check_session_owner(state, &reference, &token.context_nip)?;
        find_invoice_upo(state, &reference, |inv| inv.reference == invoice_ref).map(xml_response)
    })
}

/// `GET /sessions/{referenceNumber}/invoices/ksef/{ksefNumber}/upo`.
pub async fn invoice_upo_by_ksef(
    State(sim): State<Simulator>,
    Path((reference, ksef_number)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    sim.with_state(|state, now| {
        let token = authorize(state, &headers, now, TokenKind::Access)?;
        check_session_owner(state, &reference, &token.context_nip)?;
        find_invoice_upo(
            state,
            &reference,
            |inv| matches!(&inv.outcome, Outcome::Accepted(a) if a.ksef_number == ksef_number),
        )
        .map(xml_response)
    })
}

/// A session UPO page.
pub(super) fn find_session_upo(
    state: &SimState,
    reference: &str,
    page_ref: &str,
) -> Result<String, ApiError> {
    state
        .sessions
        .get(reference)
        .and_then(|s| s.upo_pages.iter().find(|p| p.reference == page_ref))
        .map(|p| p.xml.clone())
        .ok_or_else(|| ApiError::bad(21178, "Nie znaleziono UPO."))
}

/// `GET /sessions/{referenceNumber}/upo/{upoReferenceNumber}`.
pub async fn session_upo(
    State(sim): State<Simulator>,
    Path((reference, page_ref)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    sim.with_state(|state, now| {
        let token = authorize(state, &headers, now, TokenKind::Access)?;
        check_session_owner(state, &reference, &token.context_nip)?;
        find_session_upo(state, &reference, &page_ref).map(xml_response)
    })
}

/// Coarse status of the `statuses` filter.
fn coarse_status(session: &Session) -> &'static str {
    match session.phase {
        Phase::Open | Phase::Closed { .. } => "InProgress",
        Phase::Final { code: 200, .. } => "Succeeded",
        Phase::Final { code: 440, .. } => "Cancelled",
        Phase::Final { .. } => "Failed",
    }
}

/// `GET /sessions`.
pub async fn list_sessions(
    State(sim): State<Simulator>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query.as_deref().unwrap_or_default())
            .map_err(|e| ApiError::invalid(e.to_string()))?;
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let date = |name: &str| -> Result<Option<DateTime<Utc>>, ApiError> {
        get(name)
            .map(|v| {
                DateTime::parse_from_rfc3339(v)
                    .map(|d| d.with_timezone(&Utc))
                    .map_err(|_| ApiError::invalid(format!("{name} nie jest datą RFC 3339.")))
            })
            .transpose()
    };
    let online = match get("sessionType") {
        Some("Online") => true,
        Some("Batch") => false,
        _ => {
            return Err(ApiError::invalid(
                "sessionType jest wymagany (Online lub Batch).",
            ))
        }
    };
    let statuses: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "statuses")
        .map(|(_, v)| v.as_str())
        .collect();
    let page_size = get("pageSize")
        .map(|v| {
            v.parse::<u32>()
                .map_err(|_| ApiError::invalid("pageSize nie jest liczbą."))
        })
        .transpose()?;
    let (created_from, created_to) = (date("dateCreatedFrom")?, date("dateCreatedTo")?);
    let (modified_from, modified_to) = (date("dateModifiedFrom")?, date("dateModifiedTo")?);
    let reference_filter = get("referenceNumber");
    sim.with_state(|state, now| {
        let token = authorize(state, &headers, now, TokenKind::Access)?;
        let (offset, size) = page_request(&headers, page_size, PAGE_SIZES)?;
        let selected: Vec<&Session> = state
            .session_order
            .iter()
            .filter_map(|r| state.sessions.get(r))
            .filter(|s| s.context_nip == token.context_nip && s.is_online() == online)
            .filter(|s| reference_filter.is_none_or(|r| s.reference == r))
            .filter(|s| statuses.is_empty() || statuses.contains(&coarse_status(s)))
            .filter(|s| {
                created_from.is_none_or(|d| s.created >= d)
                    && created_to.is_none_or(|d| s.created <= d)
            })
            .filter(|s| {
                modified_from.is_none_or(|d| s.updated >= d)
                    && modified_to.is_none_or(|d| s.updated <= d)
            })
            .collect();
        Ok(Json(page_body(
            "sessions",
            &selected,
            (offset, size),
            |s| {
                let (total, ok, failed) = counts(state, s);
                json!({"referenceNumber": s.reference, "status": session_status(s),
                "dateCreated": rfc3339(s.created), "dateUpdated": rfc3339(s.updated),
                "validUntil": rfc3339(s.valid_until), "totalInvoiceCount": total,
                "successfulInvoiceCount": ok, "failedInvoiceCount": failed})
            },
        )))
    })
}

/// `GET /invoices/ksef/{ksefNumber}`: the stored invoice file of the caller's context.
pub async fn download_invoice(
    State(sim): State<Simulator>,
    Path(ksef_number): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    sim.with_state(|state, now| {
        let token = authorize(state, &headers, now, TokenKind::Access)?;
        state
            .invoices
            .values()
            .find_map(|inv| match &inv.outcome {
                Outcome::Accepted(a) if a.ksef_number == ksef_number => Some((inv, a)),
                _ => None,
            })
            .filter(|(inv, a)| {
                a.facts.seller_nip == token.context_nip
                    || state
                        .sessions
                        .get(&inv.session_ref)
                        .is_some_and(|s| s.context_nip == token.context_nip)
            })
            .and_then(|(inv, _)| inv.plain.clone())
            .and_then(|plain| String::from_utf8(plain).ok())
            .map(xml_response)
            .ok_or_else(|| ApiError::bad(21164, format!("Faktura {ksef_number} nie istnieje.")))
    })
}
