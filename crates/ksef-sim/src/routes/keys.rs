//! Public key certificates (§2.3), effective rate limits and context limits (§7).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde_json::{json, Value};

use crate::config::LimitsMode;
use crate::error::ApiError;
use crate::limits::{RateTable, RateValues};
use crate::server::{authorize, rfc3339, Simulator};
use crate::state::{TokenKind, SESSION_INVOICES_MAX};

/// `GET /security/public-key-certificates`.
pub async fn public_keys(State(sim): State<Simulator>) -> Json<Value> {
    sim.with_state(|state, _| {
        Json(Value::Array(
            state
                .keys
                .entries()
                .iter()
                .map(|k| {
                    json!({
                        "certificate": k.certificate_b64(), "certificateId": k.certificate_id,
                        "publicKeyId": k.public_key_id, "validFrom": rfc3339(k.valid_from),
                        "validTo": rfc3339(k.valid_to), "usage": [k.usage.as_str()],
                    })
                })
                .collect(),
        ))
    })
}

/// `GET /rate-limits`: the effective table (with limits off, every value is the int32 maximum).
pub async fn rate_limits(
    State(sim): State<Simulator>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    sim.with_state(|state, now| authorize(state, &headers, now, TokenKind::Access))?;
    let table = match &sim.config().limits {
        LimitsMode::Table(table) => table.clone(),
        LimitsMode::Off => unlimited(),
    };
    serde_json::to_value(table)
        .map(Json)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

fn unlimited() -> RateTable {
    let max = RateValues {
        per_second: i32::MAX as u32,
        per_minute: i32::MAX as u32,
        per_hour: i32::MAX as u32,
    };
    RateTable {
        online_session: max,
        invoice_send: max,
        batch_session: max,
        invoice_status: max,
        session_list: max,
        session_invoice_list: max,
        session_misc: max,
        invoice_metadata: max,
        invoice_export: max,
        invoice_export_status: max,
        invoice_download: max,
        other: max,
        public: max,
    }
}

/// `GET /limits/context`.
pub async fn context_limits(
    State(sim): State<Simulator>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    sim.with_state(|state, now| authorize(state, &headers, now, TokenKind::Access))?;
    let limits = json!({"maxInvoiceSizeInMB": 1, "maxInvoiceWithAttachmentSizeInMB": 3, "maxInvoices": SESSION_INVOICES_MAX});
    Ok(Json(
        json!({"onlineSession": limits, "batchSession": limits}),
    ))
}
