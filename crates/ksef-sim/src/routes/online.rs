//! Interactive sessions (§3): open with an RSA-wrapped AES key, send encrypted invoices, close.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::json;

use crate::config::Environment;
use crate::crypto::{b64_decode, sha256_b64, SessionKey, AES_IV_BYTES};
use crate::error::ApiError;
use crate::ids::RefKind;
use crate::keys::KeyUsage;
use crate::server::{authorize, rfc3339, Simulator};
use crate::state::{
    FormCode, Invoice, IssuedToken, Outcome, Phase, Session, SessionKind, SimState, TokenKind,
    SESSION_INVOICES_MAX, SESSION_VALIDITY_HOURS,
};

/// Largest send-invoice request body: a 3 MB invoice (the limit with attachment) grows to 4 MB as
/// Base64 ciphertext, plus the JSON around it. Larger invoices than KSeF accepts still fit, so that
/// verification (not the transport) refuses them with the status KSeF gives.
pub(super) const SEND_BODY_BYTES_MAX: usize = 5_000_000;

/// `EncryptionInfo`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EncryptionInfo {
    encrypted_symmetric_key: String,
    initialization_vector: String,
    public_key_id: Option<String>,
}

/// `OpenOnlineSessionRequest`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenOnlineRequest {
    form_code: FormCode,
    encryption: EncryptionInfo,
}

/// Which form codes a session kind accepts in an environment (§1, §3.2, §4).
pub(super) fn check_form_code(
    form: &FormCode,
    environment: Environment,
    batch: bool,
) -> Result<(), ApiError> {
    let known: &[(&str, &str, &str, bool)] = &[
        // (systemCode, schemaVersion, value, allowed in batch)
        ("FA (2)", "1-0E", "FA", true),
        ("FA (3)", "1-0E", "FA", true),
        ("PEF (3)", "2-1", "PEF", false),
        ("PEF_KOR (3)", "2-1", "PEF", false),
        ("FA_RR (1)", "1-1E", "FA_RR", true),
    ];
    let ok = known.iter().any(|&(system, version, value, in_batch)| {
        form.system_code == system
            && form.schema_version == version
            && form.value == value
            && (in_batch || !batch)
            && !(system == "FA (2)" && environment == Environment::Production)
    });
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(format!(
            "Nieobsługiwany formCode: {} / {} / {}",
            form.system_code, form.schema_version, form.value
        )))
    }
}

/// Unwraps the session key; `Ok(None)` when the key does not decrypt (session status 415).
pub(super) fn unwrap_key(
    state: &SimState,
    encryption: &EncryptionInfo,
) -> Result<Option<SessionKey>, ApiError> {
    let key = state
        .keys
        .select(
            KeyUsage::SymmetricKeyEncryption,
            encryption.public_key_id.as_deref(),
        )
        .ok_or_else(|| {
            ApiError::bad(
                21470,
                "Nieznany lub wycofany identyfikator klucza publicznego.",
            )
        })?;
    let iv = b64_decode(&encryption.initialization_vector)
        .filter(|iv| iv.len() == AES_IV_BYTES)
        .ok_or_else(|| ApiError::invalid("initializationVector musi mieć 16 bajtów."))?;
    let wrapped = b64_decode(&encryption.encrypted_symmetric_key)
        .ok_or_else(|| ApiError::invalid("encryptedSymmetricKey nie jest poprawnym Base64."))?;
    Ok(key
        .decrypt(&wrapped)
        .and_then(|raw| SessionKey::new(&raw, &iv)))
}

/// Creates a session record.
pub(super) fn new_session(
    state: &mut SimState,
    now: DateTime<Utc>,
    token: &IssuedToken,
    kind: SessionKind,
    form_code: FormCode,
    key: Option<SessionKey>,
    offline_mode: bool,
) -> Session {
    let online = matches!(kind, SessionKind::Online);
    *state
        .stats
        .sessions_opened
        .entry(if online { "online" } else { "batch" }.to_string())
        .or_default() += 1;
    let reference = state.new_reference(
        now,
        if online {
            RefKind::OnlineSession
        } else {
            RefKind::BatchSession
        },
    );
    let token_reference = state
        .auth_ops
        .get(&token.auth_ref)
        .map(|op| op.token_reference.clone())
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| reference.clone());
    Session {
        reference,
        kind,
        context_nip: token.context_nip.clone(),
        token_reference,
        form_code,
        phase: if key.is_some() {
            Phase::Open
        } else {
            Phase::Final {
                code: 415,
                description: "Błąd odszyfrowania dostarczonego klucza".into(),
                details: Vec::new(),
            }
        },
        key,
        offline_mode,
        created: now,
        updated: now,
        valid_until: now + Duration::hours(SESSION_VALIDITY_HOURS),
        invoices: Vec::new(),
        upo_pages: Vec::new(),
    }
}

/// Parses a JSON body, mapping malformed input to 21405.
pub(super) fn json_body<T>(
    body: Result<Json<T>, axum::extract::rejection::JsonRejection>,
) -> Result<T, ApiError> {
    body.map(|Json(b)| b)
        .map_err(|e| ApiError::invalid(e.body_text()))
}

/// `POST /sessions/online`.
pub async fn open(
    State(sim): State<Simulator>,
    headers: HeaderMap,
    body: Result<Json<OpenOnlineRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let environment = sim.config().environment;
    sim.with_state(|state, now| {
        let token = authorize(state, &headers, now, TokenKind::Access)?;
        let body = json_body(body)?;
        check_form_code(&body.form_code, environment, false)?;
        let key = unwrap_key(state, &body.encryption)?;
        let session = new_session(state, now, &token, SessionKind::Online, body.form_code, key, false);
        let response = json!({"referenceNumber": session.reference, "validUntil": rfc3339(session.valid_until)});
        state.session_order.push(session.reference.clone());
        state.sessions.insert(session.reference.clone(), session);
        Ok((StatusCode::CREATED, Json(response)).into_response())
    })
}

/// `SendInvoiceRequest`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendInvoiceRequest {
    invoice_hash: String,
    invoice_size: u64,
    encrypted_invoice_hash: String,
    encrypted_invoice_size: u64,
    encrypted_invoice_content: String,
    #[serde(default)]
    offline_mode: bool,
}

/// The caller's session, or 21173 when unknown or of another context.
fn own_session<'s>(
    state: &'s mut SimState,
    reference: &str,
    context_nip: &str,
) -> Result<&'s mut Session, ApiError> {
    state
        .sessions
        .get_mut(reference)
        .filter(|s| s.context_nip == context_nip)
        .ok_or_else(|| ApiError::bad(21173, format!("Sesja {reference} nie istnieje.")))
}

/// The caller's own session `reference`, once the bearer is a valid access token.
pub(super) fn callers_session<'s>(
    state: &'s mut SimState,
    headers: &HeaderMap,
    now: DateTime<Utc>,
    reference: &str,
) -> Result<&'s mut Session, ApiError> {
    let token = authorize(state, headers, now, TokenKind::Access)?;
    own_session(state, reference, &token.context_nip)
}

/// `POST /sessions/online/{referenceNumber}/invoices`.
pub async fn send(
    State(sim): State<Simulator>,
    Path(reference): Path<String>,
    headers: HeaderMap,
    body: Result<Json<SendInvoiceRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let processing = Duration::milliseconds(i64::try_from(sim.config().processing_ms).unwrap_or(0));
    sim.with_state(|state, now| {
        let token = authorize(state, &headers, now, TokenKind::Access)?;
        let body = json_body(body)?;
        let session = own_session(state, &reference, &token.context_nip)?;
        if session.phase != Phase::Open || !session.is_online() {
            return Err(ApiError::bad(21180, "Sesja nie jest otwarta."));
        }
        if session.invoices.len() >= SESSION_INVOICES_MAX {
            return Err(ApiError::bad(
                21155,
                format!("Limit {SESSION_INVOICES_MAX} faktur w sesji."),
            ));
        }
        let encrypted = b64_decode(&body.encrypted_invoice_content).ok_or_else(|| {
            ApiError::invalid("encryptedInvoiceContent nie jest poprawnym Base64.")
        })?;
        if encrypted.len() as u64 != body.encrypted_invoice_size {
            return Err(ApiError::bad(
                21402,
                "encryptedInvoiceSize nie zgadza się z treścią.",
            ));
        }
        if sha256_b64(&encrypted) != body.encrypted_invoice_hash {
            return Err(ApiError::bad(
                21403,
                "encryptedInvoiceHash nie zgadza się z treścią.",
            ));
        }
        let plain = session.key.as_ref().and_then(|k| k.decrypt(&encrypted));
        if let Some(plain) = &plain {
            if plain.len() as u64 != body.invoice_size {
                return Err(ApiError::bad(
                    21402,
                    "invoiceSize nie zgadza się z odszyfrowaną treścią.",
                ));
            }
            if sha256_b64(plain) != body.invoice_hash {
                return Err(ApiError::bad(
                    21403,
                    "invoiceHash nie zgadza się z odszyfrowaną treścią.",
                ));
            }
        }
        let ordinal = u32::try_from(session.invoices.len() + 1).unwrap_or(u32::MAX);
        session.updated = now;
        let session_ref = session.reference.clone();
        let inv_ref = state.new_reference(now, RefKind::Invoice);
        if let Some(session) = state.sessions.get_mut(&session_ref) {
            session.invoices.push(inv_ref.clone());
        }
        state.invoices.insert(
            inv_ref.clone(),
            Invoice {
                reference: inv_ref.clone(),
                session_ref,
                ordinal,
                plain,
                invoice_hash: body.invoice_hash,
                file_name: None,
                invoicing_date: now,
                due: now + processing,
                offline_mode: body.offline_mode,
                outcome: Outcome::Pending,
            },
        );
        state.pending.push(inv_ref.clone());
        Ok((
            StatusCode::ACCEPTED,
            Json(json!({"referenceNumber": inv_ref})),
        )
            .into_response())
    })
}

/// `POST /sessions/online/{referenceNumber}/close`.
pub async fn close(
    State(sim): State<Simulator>,
    Path(reference): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    sim.with_state(|state, now| {
        let session = callers_session(state, &headers, now, &reference)?;
        if session.phase != Phase::Open || !session.is_online() {
            return Err(ApiError::bad(21180, "Sesja nie jest otwarta."));
        }
        session.phase = Phase::Closed { at: now };
        session.updated = now;
        Ok(StatusCode::NO_CONTENT)
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use super::*;
    use crate::archive::Compression;
    use crate::state::BatchData;
    use crate::{ManualClock, SimConfig};

    #[test]
    fn every_session_opened_is_counted_by_kind() {
        let start = DateTime::from_timestamp(1_780_000_000, 0).expect("instant");
        let config = SimConfig {
            // The keys are never used here; small ones keep the debug build quick.
            rsa_key_bits: 1024,
            ..SimConfig::default()
        };
        let sim = Simulator::new(config, Arc::new(ManualClock::new(start))).expect("simulator");
        let token = IssuedToken {
            kind: TokenKind::Access,
            auth_ref: "no-operation".into(),
            context_nip: "5265877635".into(),
            valid_until: start + Duration::hours(1),
        };
        let form = FormCode {
            system_code: "FA (3)".into(),
            schema_version: "1-0E".into(),
            value: "FA".into(),
        };
        let batch = || BatchData {
            file_size: 0,
            file_hash: String::new(),
            compression: Compression::Zip,
            parts: Vec::new(),
            uploads: BTreeMap::new(),
            upload_deadline: start,
        };
        assert!(sim.stats().sessions_opened.is_empty());
        sim.with_state(|state, now| {
            for _ in 0..3 {
                new_session(
                    state,
                    now,
                    &token,
                    SessionKind::Online,
                    form.clone(),
                    None,
                    false,
                );
            }
            let kind = SessionKind::Batch(Box::new(batch()));
            new_session(state, now, &token, kind, form.clone(), None, true);
        });
        let opened = sim.stats().sessions_opened;
        assert_eq!(opened.get("online"), Some(&3));
        assert_eq!(opened.get("batch"), Some(&1));
        assert_eq!(opened.len(), 2);
    }
}
