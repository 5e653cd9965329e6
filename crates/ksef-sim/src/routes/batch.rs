//! Batch sessions (§4): declare the archive and its encrypted parts, upload them to pre-signed URLs, close.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Duration;
use serde::Deserialize;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

use super::online::{
    callers_session, check_form_code, json_body, new_session, unwrap_key, EncryptionInfo,
};
use crate::archive::Compression;
use crate::error::ApiError;
use crate::server::{authorize, Simulator};
use crate::state::{BatchData, FormCode, PartDecl, Phase, SessionKind, TokenKind};

/// Most parts per batch.
const PARTS_MAX: usize = 50;
/// Largest part before encryption (100 MB); an encrypted part adds at most one AES block.
pub(super) const PART_BYTES_MAX: u64 = 100_000_000 + 16;
/// Largest archive (5 GB).
const ARCHIVE_BYTES_MAX: u64 = 5_000_000_000;
/// Upload window per declared part.
const UPLOAD_MINUTES_PER_PART: i64 = 20;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FilePart {
    ordinal_number: u32,
    file_size: u64,
    file_hash: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchFile {
    file_size: u64,
    file_hash: String,
    compression_type: Option<String>,
    file_parts: Vec<FilePart>,
}

/// `OpenBatchSessionRequest`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenBatchRequest {
    form_code: FormCode,
    batch_file: BatchFile,
    encryption: EncryptionInfo,
    #[serde(default)]
    offline_mode: bool,
}

fn is_sha256_b64(text: &str) -> bool {
    text.len() == 44 && crate::crypto::b64_decode(text).is_some_and(|b| b.len() == 32)
}

/// Validates the declaration; returns the parts sorted by ordinal.
fn check_batch_file(file: &BatchFile) -> Result<(Compression, Vec<PartDecl>), ApiError> {
    let compression = match file.compression_type.as_deref() {
        None | Some("Zip") => Compression::Zip,
        Some("TarGz") => Compression::TarGz,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "Nieobsługiwany compressionType: {other}"
            )))
        }
    };
    if file.file_parts.len() > PARTS_MAX {
        return Err(ApiError::bad(
            21161,
            format!("Dozwolone jest najwyżej {PARTS_MAX} części."),
        ));
    }
    if file.file_parts.is_empty() {
        return Err(ApiError::invalid("fileParts nie może być puste."));
    }
    if file.file_size == 0 || file.file_size > ARCHIVE_BYTES_MAX {
        return Err(ApiError::invalid(format!(
            "fileSize musi być w zakresie 1..{ARCHIVE_BYTES_MAX}."
        )));
    }
    if !is_sha256_b64(&file.file_hash) {
        return Err(ApiError::invalid(
            "fileHash nie jest skrótem SHA-256 w Base64.",
        ));
    }
    let ordinals: BTreeSet<u32> = file.file_parts.iter().map(|p| p.ordinal_number).collect();
    let expected: BTreeSet<u32> =
        (1..=u32::try_from(file.file_parts.len()).unwrap_or(u32::MAX)).collect();
    if ordinals != expected {
        return Err(ApiError::invalid(
            "ordinalNumber części muszą być kolejnymi liczbami od 1.",
        ));
    }
    let mut parts = Vec::with_capacity(file.file_parts.len());
    for part in &file.file_parts {
        if part.file_size == 0 || part.file_size > PART_BYTES_MAX {
            return Err(ApiError::bad(
                21157,
                format!("Część {} ma niedozwolony rozmiar.", part.ordinal_number),
            ));
        }
        if !is_sha256_b64(&part.file_hash) {
            return Err(ApiError::invalid(format!(
                "Część {}: fileHash nie jest skrótem SHA-256.",
                part.ordinal_number
            )));
        }
        parts.push(PartDecl {
            ordinal: part.ordinal_number,
            size: part.file_size,
            hash: part.file_hash.clone(),
        });
    }
    parts.sort_by_key(|p| p.ordinal);
    Ok((compression, parts))
}

/// `POST /sessions/batch`.
pub async fn open(
    State(sim): State<Simulator>,
    headers: HeaderMap,
    body: Result<Json<OpenBatchRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let environment = sim.config().environment;
    let (reference, secret, deadline, ordinals) = sim.with_state(|state, now| {
        let token = authorize(state, &headers, now, TokenKind::Access)?;
        let body = json_body(body)?;
        check_form_code(&body.form_code, environment, true)?;
        let (compression, parts) = check_batch_file(&body.batch_file)?;
        let key = unwrap_key(state, &body.encryption)?;
        let parts_count = i64::try_from(parts.len()).unwrap_or(i64::MAX);
        let upload_deadline = now + Duration::minutes(UPLOAD_MINUTES_PER_PART * parts_count);
        let ordinals: Vec<u32> = parts.iter().map(|p| p.ordinal).collect();
        let data = BatchData {
            file_size: body.batch_file.file_size,
            file_hash: body.batch_file.file_hash.clone(),
            compression,
            parts,
            uploads: BTreeMap::new(),
            upload_deadline,
        };
        let session = new_session(
            state,
            now,
            &token,
            SessionKind::Batch(Box::new(data)),
            body.form_code,
            key,
            body.offline_mode,
        );
        let reference = session.reference.clone();
        state.session_order.push(reference.clone());
        state.sessions.insert(reference.clone(), session);
        Ok::<_, ApiError>((
            reference,
            state.url_secret.clone(),
            upload_deadline,
            ordinals,
        ))
    })?;
    let requests: Vec<_> = ordinals
        .iter()
        .map(|ordinal| {
            let url = sim.presign(
                &secret,
                &format!("/_blob/parts/{reference}/{ordinal}"),
                deadline,
            );
            json!({"ordinalNumber": ordinal, "method": "PUT", "url": url,
                "headers": {"x-ms-blob-type": "BlockBlob"}})
        })
        .collect();
    Ok((
        StatusCode::CREATED,
        Json(json!({"referenceNumber": reference, "partUploadRequests": requests})),
    )
        .into_response())
}

/// `POST /sessions/batch/{referenceNumber}/close`.
pub async fn close(
    State(sim): State<Simulator>,
    Path(reference): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    sim.with_state(|state, now| {
        let session = callers_session(state, &headers, now, &reference)?;
        let SessionKind::Batch(batch) = &session.kind else {
            return Err(ApiError::bad(21180, "To nie jest sesja wsadowa."));
        };
        if session.phase != Phase::Open {
            return Err(ApiError::bad(21180, "Sesja nie jest otwarta."));
        }
        if let Some(missing) = batch
            .parts
            .iter()
            .find(|p| !batch.uploads.contains_key(&p.ordinal))
        {
            return Err(ApiError::bad(
                21205,
                format!("Nie przesłano części {}.", missing.ordinal),
            ));
        }
        if let Some(wrong) = batch
            .parts
            .iter()
            .find(|p| batch.uploads.get(&p.ordinal).map(|b| b.len() as u64) != Some(p.size))
        {
            return Err(ApiError::bad(
                21157,
                format!(
                    "Rozmiar części {} różni się od zadeklarowanego.",
                    wrong.ordinal
                ),
            ));
        }
        session.phase = Phase::Closed { at: now };
        session.updated = now;
        Ok(StatusCode::NO_CONTENT)
    })
}
