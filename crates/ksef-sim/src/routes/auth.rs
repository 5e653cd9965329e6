//! Authentication (§2.2): challenge, KSeF token or XAdES signature, operation status, redeem, refresh.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::crypto::b64_decode;
use crate::error::ApiError;
use crate::ids::RefKind;
use crate::keys::KeyUsage;
use crate::server::{authorize, jwt_shaped, rfc3339, Simulator};
use crate::state::{
    AuthOp, AuthResult, Challenge, IssuedToken, SimState, TokenKind, AUTH_TOKEN_VALIDITY_MINUTES,
    CHALLENGE_VALIDITY_MINUTES, REFRESH_TOKEN_VALIDITY_DAYS,
};
use crate::xades::{verify_auth_request, Identity};

/// `POST /auth/challenge`.
pub async fn challenge(
    State(sim): State<Simulator>,
    request: axum::extract::Request,
) -> Json<Value> {
    let ip = super::client_ip(request.extensions());
    sim.with_state(|state, now| {
        let challenge = state.new_reference(now, RefKind::Challenge);
        state.challenges.insert(
            challenge.clone(),
            Challenge {
                issued_at: now,
                used: false,
            },
        );
        Json(json!({
            "challenge": challenge, "timestamp": rfc3339(now),
            "timestampMs": now.timestamp_millis(), "clientIp": ip.to_string(),
        }))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContextIdentifier {
    #[serde(rename = "type")]
    kind: String,
    value: String,
}

/// `InitTokenAuthenticationRequest`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KsefTokenRequest {
    challenge: String,
    context_identifier: ContextIdentifier,
    encrypted_token: String,
    public_key_id: Option<String>,
}

/// `POST /auth/ksef-token`: structural errors answer 400 at once; a wrong token fails the operation (450).
pub async fn ksef_token(
    State(sim): State<Simulator>,
    body: Result<Json<KsefTokenRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body.map_err(|e| ApiError::invalid(e.body_text()))?;
    let tokens = sim.config().tokens.clone();
    sim.with_state(|state, now| {
        let (challenge_fresh, challenge_ms) = use_challenge(state, &body.challenge, now)?;
        let key = state
            .keys
            .select(KeyUsage::KsefTokenEncryption, body.public_key_id.as_deref())
            .ok_or_else(|| {
                ApiError::bad(
                    21470,
                    "Nieznany lub wycofany identyfikator klucza publicznego.",
                )
            })?;
        let plaintext = b64_decode(&body.encrypted_token)
            .and_then(|ct| key.decrypt(&ct))
            .and_then(|p| String::from_utf8(p).ok());
        let context_nip = body.context_identifier.value.clone();
        let mut token_reference = String::new();
        let result = match plaintext.as_deref().and_then(|p| p.rsplit_once('|')) {
            _ if !challenge_fresh => {
                AuthResult::BadToken("Nieprawidłowe wyzwanie autoryzacyjne.".into())
            }
            None => AuthResult::BadToken("Nieprawidłowy token.".into()),
            Some((_, ms)) if ms.parse::<i64>().ok() != Some(challenge_ms) => {
                AuthResult::BadToken("Nieprawidłowy czas tokena.".into())
            }
            Some((token, _)) => {
                let provisioned = tokens.iter().any(|t| {
                    t.token == token
                        && t.nip == context_nip
                        && body.context_identifier.kind == "Nip"
                });
                if provisioned {
                    token_reference = state.token_refs.get(token).cloned().unwrap_or_default();
                    AuthResult::Success
                } else {
                    AuthResult::BadToken("Nieprawidłowy token.".into())
                }
            }
        };
        Ok(start_operation(
            state,
            now,
            AuthOp::begun(now, context_nip, result, token_reference, false),
        ))
    })
}

/// `POST /auth/xades-signature`: a document that fails verification answers 400 at once; a valid
/// signature whose certificate names another NIP fails the operation with 415 (TE accepts self-signed
/// certificates, §13, and the simulator grants a NIP identity its own context only).
pub async fn xades_signature(
    State(sim): State<Simulator>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let request = verify_auth_request(&body).map_err(|e| ApiError::bad(e.code(), e.to_string()))?;
    let (kind, context_nip) = request.context;
    if kind != "Nip" {
        return Err(ApiError::bad(
            21117,
            format!("Kontekst {kind} nie jest obsługiwany przez symulator."),
        ));
    }
    sim.with_state(|state, now| {
        let (challenge_fresh, _) = use_challenge(state, &request.challenge, now)?;
        let result = match &request.identity {
            _ if !challenge_fresh => {
                AuthResult::BadToken("Nieprawidłowe wyzwanie autoryzacyjne.".into())
            }
            Identity::Nip(nip) if *nip == context_nip => AuthResult::Success,
            Identity::Nip(nip) => AuthResult::NoPermissions(format!(
                "NIP {nip} nie ma uprawnień w kontekście {context_nip}."
            )),
            Identity::Pesel(_) => AuthResult::NoPermissions(format!(
                "Osoba nie ma uprawnień w kontekście {context_nip}."
            )),
        };
        Ok(start_operation(
            state,
            now,
            AuthOp::begun(now, context_nip, result, String::new(), true),
        ))
    })
}

/// Marks `challenge` used; answers whether it was still fresh (unused and within its validity)
/// and when it was issued (epoch milliseconds). An unknown challenge is 21111.
fn use_challenge(
    state: &mut SimState,
    challenge: &str,
    now: DateTime<Utc>,
) -> Result<(bool, i64), ApiError> {
    let challenge = state
        .challenges
        .get_mut(challenge)
        .ok_or_else(|| ApiError::bad(21111, "Nieznane wyzwanie."))?;
    let fresh = !challenge.used
        && now - challenge.issued_at <= Duration::minutes(CHALLENGE_VALIDITY_MINUTES);
    challenge.used = true;
    Ok((fresh, challenge.issued_at.timestamp_millis()))
}

/// Records `operation` under a new reference with its operation token, whichever way the caller
/// authenticated, and answers 202 with both.
fn start_operation(state: &mut SimState, now: DateTime<Utc>, operation: AuthOp) -> Response {
    let reference = state.new_reference(now, RefKind::Auth);
    let valid_until = now + Duration::minutes(AUTH_TOKEN_VALIDITY_MINUTES);
    let token = jwt_shaped(
        &mut state.rng,
        "OperationToken",
        &operation.context_nip,
        valid_until,
    );
    state.tokens.insert(
        token.clone(),
        IssuedToken {
            kind: TokenKind::Authentication,
            auth_ref: reference.clone(),
            context_nip: operation.context_nip.clone(),
            valid_until,
        },
    );
    state.auth_ops.insert(reference.clone(), operation);
    (
        StatusCode::ACCEPTED,
        Json(json!({"referenceNumber": reference,
            "authenticationToken": {"token": token, "validUntil": rfc3339(valid_until)}})),
    )
        .into_response()
}

/// `GET /auth/{referenceNumber}`.
pub async fn status(
    State(sim): State<Simulator>,
    Path(reference): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let processing = Duration::milliseconds(i64::try_from(sim.config().processing_ms).unwrap_or(0));
    sim.with_state(|state, now| {
        let token = authorize(state, &headers, now, TokenKind::Authentication)?;
        let op = state
            .auth_ops
            .get(&reference)
            .filter(|_| token.auth_ref == reference)
            .ok_or_else(|| ApiError::bad(21304, "Brak operacji uwierzytelnienia."))?;
        let status = if now < op.started + processing {
            json!({"code": 100, "description": "Uwierzytelnianie w toku"})
        } else {
            match &op.result {
                AuthResult::Success => json!({"code": 200, "description": "Uwierzytelnianie zakończone sukcesem"}),
                AuthResult::BadToken(detail) => json!({"code": 450,
                    "description": "Uwierzytelnianie zakończone niepowodzeniem z powodu błędnego tokenu",
                    "details": [detail]}),
                AuthResult::NoPermissions(detail) => json!({"code": 415,
                    "description": "Uwierzytelnianie zakończone niepowodzeniem z powodu braku przypisanych uprawnień",
                    "details": [detail]}),
            }
        };
        let (method, info) = if op.xades {
            ("QualifiedSignature", json!({"category": "XadesSignature",
                "code": "certificate.selfsigned", "displayName": "Podpis XAdES (certyfikat testowy)"}))
        } else {
            ("Token", json!({"category": "Token", "code": "token.ksef", "displayName": "Token KSeF"}))
        };
        let mut body = json!({
            "startDate": rfc3339(op.started), "authenticationMethod": method,
            "authenticationMethodInfo": info,
            "status": status, "isTokenRedeemed": op.redeemed,
        });
        if let Some(at) = op.last_refresh {
            body["lastTokenRefreshDate"] = json!(rfc3339(at));
        }
        if let Some(at) = op.refresh_valid_until {
            body["refreshTokenValidUntil"] = json!(rfc3339(at));
        }
        Ok(Json(body))
    })
}

/// `POST /auth/token/redeem`: once per authentication operation.
pub async fn redeem(
    State(sim): State<Simulator>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let processing = Duration::milliseconds(i64::try_from(sim.config().processing_ms).unwrap_or(0));
    let access_ttl =
        Duration::milliseconds(i64::try_from(sim.config().access_token_ttl_ms).unwrap_or(0));
    sim.with_state(|state, now| {
        let token = authorize(state, &headers, now, TokenKind::Authentication)?;
        let op = state
            .auth_ops
            .get_mut(&token.auth_ref)
            .ok_or_else(|| ApiError::bad(21304, "Brak operacji uwierzytelnienia."))?;
        if op.redeemed || op.result != AuthResult::Success || now < op.started + processing {
            return Err(ApiError::bad(
                21301,
                "Tokeny zostały już pobrane lub status operacji na to nie pozwala.",
            ));
        }
        op.redeemed = true;
        let refresh_until = now + Duration::days(REFRESH_TOKEN_VALIDITY_DAYS);
        op.refresh_valid_until = Some(refresh_until);
        let access_until = now + access_ttl;
        let access = issue_sibling(state, &token, TokenKind::Access, access_until);
        let refresh = issue_sibling(state, &token, TokenKind::Refresh, refresh_until);
        Ok(Json(json!({
            "accessToken": {"token": access, "validUntil": rfc3339(access_until)},
            "refreshToken": {"token": refresh, "validUntil": rfc3339(refresh_until)},
        })))
    })
}

/// Issues a token of `kind` for the same authentication and context as `token`, valid until `until`;
/// returns the token text.
fn issue_sibling(
    state: &mut SimState,
    token: &IssuedToken,
    kind: TokenKind,
    until: DateTime<Utc>,
) -> String {
    let token_type = match kind {
        TokenKind::Authentication => "OperationToken",
        TokenKind::Access => "ContextToken",
        TokenKind::Refresh => "RefreshToken",
    };
    let text = jwt_shaped(&mut state.rng, token_type, &token.context_nip, until);
    state.tokens.insert(
        text.clone(),
        IssuedToken {
            kind,
            auth_ref: token.auth_ref.clone(),
            context_nip: token.context_nip.clone(),
            valid_until: until,
        },
    );
    text
}

/// `POST /auth/token/refresh`.
pub async fn refresh(
    State(sim): State<Simulator>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let access_ttl =
        Duration::milliseconds(i64::try_from(sim.config().access_token_ttl_ms).unwrap_or(0));
    sim.with_state(|state, now| {
        let token = authorize(state, &headers, now, TokenKind::Refresh)?;
        let access_until = now + access_ttl;
        let access = issue_sibling(state, &token, TokenKind::Access, access_until);
        if let Some(op) = state.auth_ops.get_mut(&token.auth_ref) {
            op.last_refresh = Some(now);
        }
        Ok(Json(
            json!({"accessToken": {"token": access, "validUntil": rfc3339(access_until)}}),
        ))
    })
}

/// `DELETE /auth/sessions/current`: kills the refresh tokens of the caller's authentication.
pub async fn revoke_current(
    State(sim): State<Simulator>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    sim.with_state(|state, now| {
        let token = authorize(state, &headers, now, TokenKind::Access)
            .or_else(|_| authorize(state, &headers, now, TokenKind::Refresh))?;
        state
            .tokens
            .retain(|_, t| !(t.kind == TokenKind::Refresh && t.auth_ref == token.auth_ref));
        Ok(StatusCode::NO_CONTENT)
    })
}
