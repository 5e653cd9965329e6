//! Admin routes (`/_sim/…`): key rotation, fault control, the ledger of accepted invoices, counters.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Duration;
use serde::Deserialize;
use serde_json::{json, Value};

use super::online::json_body;
use crate::error::ApiError;
use crate::faults::{Outage, OutageMode};
use crate::server::Simulator;
use crate::state::{ForcedRejection, LedgerEntry, Stats};

/// `POST /_sim/rotate-keys`.
pub async fn rotate_keys(State(sim): State<Simulator>) -> Result<StatusCode, ApiError> {
    sim.rotate_keys()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Outage request.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutageRequest {
    /// `"503"` (default) or `"refuse"`.
    mode: Option<String>,
    /// Length; until stopped when absent.
    duration_ms: Option<i64>,
}

/// Forced rejection request.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RejectRequest {
    code: u16,
    #[serde(default = "one")]
    count: u32,
}

fn one() -> u32 {
    1
}

/// `POST /_sim/faults` body; absent fields stay as they are.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultsRequest {
    fault_5xx: Option<f64>,
    fault_timeout: Option<f64>,
    fault_drop_response: Option<f64>,
    timeout_hold_ms: Option<u64>,
    /// Starts an outage.
    outage: Option<OutageRequest>,
    /// Ends the outage.
    #[serde(default)]
    stop_outage: bool,
    /// Rejects the next invoices with a status code.
    reject_next: Option<RejectRequest>,
}

fn probability(p: Option<f64>, name: &str) -> Result<Option<f64>, ApiError> {
    match p {
        Some(p) if !(0.0..=1.0).contains(&p) => {
            Err(ApiError::invalid(format!("{name} must be within 0..1")))
        }
        other => Ok(other),
    }
}

/// `POST /_sim/faults`.
pub async fn faults(
    State(sim): State<Simulator>,
    body: Result<Json<FaultsRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let body = json_body(body)?;
    let error_5xx = probability(body.fault_5xx, "fault5xx")?;
    let timeout = probability(body.fault_timeout, "faultTimeout")?;
    let drop_response = probability(body.fault_drop_response, "faultDropResponse")?;
    let outage = match &body.outage {
        None => None,
        Some(o) => Some(Outage {
            mode: match o.mode.as_deref() {
                None | Some("503") => OutageMode::ServiceUnavailable,
                Some("refuse") => OutageMode::RefuseConnections,
                Some(other) => {
                    return Err(ApiError::invalid(format!("unknown outage mode {other}")))
                }
            },
            until: o
                .duration_ms
                .map(|ms| sim.now() + Duration::milliseconds(ms)),
        }),
    };
    if let Some(reject) = &body.reject_next {
        if !(400..=599).contains(&reject.code) {
            return Err(ApiError::invalid(
                "rejectNext.code must be an invoice error status (4xx/5xx)",
            ));
        }
        let forced = ForcedRejection {
            code: reject.code,
            remaining: reject.count,
        };
        sim.with_state(|state, _| {
            state.forced_rejection = (forced.remaining > 0).then_some(forced)
        });
    }
    let mut faults = sim.faults();
    let c = &mut faults.config;
    c.error_5xx = error_5xx.unwrap_or(c.error_5xx);
    c.timeout = timeout.unwrap_or(c.timeout);
    c.drop_response = drop_response.unwrap_or(c.drop_response);
    c.timeout_hold_ms = body.timeout_hold_ms.unwrap_or(c.timeout_hold_ms);
    let summary = json!({"fault5xx": c.error_5xx, "faultTimeout": c.timeout,
        "faultDropResponse": c.drop_response, "timeoutHoldMs": c.timeout_hold_ms});
    if body.stop_outage {
        faults.outage = None;
    }
    if outage.is_some() {
        faults.outage = outage;
    }
    Ok(Json(summary))
}

/// `GET /_sim/ledger`.
pub async fn ledger(State(sim): State<Simulator>) -> Json<Vec<LedgerEntry>> {
    Json(sim.ledger())
}

/// `GET /_sim/stats`.
pub async fn stats(State(sim): State<Simulator>) -> Json<Stats> {
    Json(sim.stats())
}
