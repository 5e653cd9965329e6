//! Pre-signed blob URLs the simulator hands out: part uploads and UPO downloads (no token, not rate limited).

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::DateTime;
use serde::Deserialize;

use super::status::{find_invoice_upo, find_session_upo, xml_response};
use crate::error::ApiError;
use crate::server::{url_signature, Simulator};
use crate::state::{Phase, SessionKind, SimState};

/// Signature query parameters.
#[derive(Deserialize)]
pub struct Signed {
    se: i64,
    sig: String,
}

fn forbidden(detail: &str) -> ApiError {
    ApiError::Forbidden {
        reason_code: "insufficient-resource-access",
        detail: detail.to_string(),
    }
}

/// Checks signature and expiry of the URL.
fn check(
    sim: &Simulator,
    uri: &OriginalUri,
    signed: &Signed,
    secret: &str,
) -> Result<(), ApiError> {
    if url_signature(secret, uri.path(), signed.se) != signed.sig {
        return Err(forbidden("Nieprawidłowy podpis adresu."));
    }
    let expires = DateTime::from_timestamp_millis(signed.se)
        .ok_or_else(|| forbidden("Nieprawidłowy termin."))?;
    if sim.now() >= expires {
        return Err(forbidden("Adres wygasł."));
    }
    Ok(())
}

/// `PUT` of one encrypted batch part.
pub async fn upload_part(
    State(sim): State<Simulator>,
    Path((reference, ordinal)): Path<(String, u32)>,
    uri: OriginalUri,
    signed: Result<Query<Signed>, QueryRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let Query(signed) = signed.map_err(|_| forbidden("Brak podpisu adresu."))?;
    let secret = sim.with_state(|state, _| state.url_secret.clone());
    check(&sim, &uri, &signed, &secret)?;
    let blob_type = headers.get("x-ms-blob-type").and_then(|v| v.to_str().ok());
    if blob_type != Some("BlockBlob") {
        return Err(ApiError::invalid(
            "Wymagany nagłówek x-ms-blob-type: BlockBlob.",
        ));
    }
    sim.with_state(|state, now| {
        let session = state
            .sessions
            .get_mut(&reference)
            .ok_or_else(|| ApiError::bad(21173, "Sesja nie istnieje."))?;
        let SessionKind::Batch(batch) = &mut session.kind else {
            return Err(ApiError::bad(21180, "To nie jest sesja wsadowa."));
        };
        if session.phase != Phase::Open || now >= batch.upload_deadline {
            return Err(forbidden("Okno wysyłki części jest zamknięte."));
        }
        if !batch.parts.iter().any(|p| p.ordinal == ordinal) {
            return Err(ApiError::invalid(format!(
                "Część {ordinal} nie została zadeklarowana."
            )));
        }
        batch.uploads.insert(ordinal, body.to_vec());
        session.updated = now;
        Ok(StatusCode::CREATED)
    })
}

/// Pre-signed download of an invoice UPO.
pub async fn invoice_upo(
    State(sim): State<Simulator>,
    Path((reference, invoice_ref)): Path<(String, String)>,
    uri: OriginalUri,
    signed: Result<Query<Signed>, QueryRejection>,
) -> Result<Response, ApiError> {
    signed_upo(&sim, &uri, signed, |state| {
        find_invoice_upo(state, &reference, |inv| inv.reference == invoice_ref)
    })
}

/// Pre-signed download of a session UPO page.
pub async fn session_upo(
    State(sim): State<Simulator>,
    Path((reference, page_ref)): Path<(String, String)>,
    uri: OriginalUri,
    signed: Result<Query<Signed>, QueryRejection>,
) -> Result<Response, ApiError> {
    signed_upo(&sim, &uri, signed, |state| {
        find_session_upo(state, &reference, &page_ref)
    })
}

/// Serves the UPO that `find` picks, once the URL's signature and expiry check out.
fn signed_upo(
    sim: &Simulator,
    uri: &OriginalUri,
    signed: Result<Query<Signed>, QueryRejection>,
    find: impl FnOnce(&SimState) -> Result<String, ApiError>,
) -> Result<Response, ApiError> {
    let Query(signed) = signed.map_err(|_| forbidden("Brak podpisu adresu."))?;
    sim.with_state(|state, _| {
        let secret = state.url_secret.clone();
        check(sim, uri, &signed, &secret)?;
        find(state).map(xml_response)
    })
}
