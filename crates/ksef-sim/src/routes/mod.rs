//! HTTP surface: route table, the guard (outage, rate limits, faults) and shared request helpers.

mod admin;
mod auth;
mod batch;
mod blob;
mod keys;
mod online;
mod query;
mod status;

use axum::extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderMap, Method};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::Router;
use std::net::{IpAddr, SocketAddr};

use crate::config::{Environment, LimitsMode};
use crate::error::{render_errors, ApiError};
use crate::faults::{drop_connection, Fault, KillSwitch, OutageMode};
use crate::limits::{Group, LimitKey};
use crate::server::{bearer, Simulator};
use crate::state::TokenKind;

/// The complete router.
pub fn router(sim: Simulator) -> Router {
    let api = Router::new()
        .route("/security/public-key-certificates", get(keys::public_keys))
        .route("/auth/challenge", post(auth::challenge))
        .route("/auth/ksef-token", post(auth::ksef_token))
        .route("/auth/xades-signature", post(auth::xades_signature))
        .route("/auth/token/redeem", post(auth::redeem))
        .route("/auth/token/refresh", post(auth::refresh))
        .route("/auth/sessions/current", delete(auth::revoke_current))
        .route("/auth/{referenceNumber}", get(auth::status))
        .route("/rate-limits", get(keys::rate_limits))
        .route("/limits/context", get(keys::context_limits))
        .route("/sessions/online", post(online::open))
        .route(
            "/sessions/online/{referenceNumber}/invoices",
            post(online::send).layer(DefaultBodyLimit::max(online::SEND_BODY_BYTES_MAX)),
        )
        .route(
            "/sessions/online/{referenceNumber}/close",
            post(online::close),
        )
        .route("/sessions/batch", post(batch::open))
        .route(
            "/sessions/batch/{referenceNumber}/close",
            post(batch::close),
        )
        .route("/sessions", get(status::list_sessions))
        .route("/sessions/{referenceNumber}", get(status::session))
        .route(
            "/sessions/{referenceNumber}/invoices",
            get(status::invoices),
        )
        .route(
            "/sessions/{referenceNumber}/invoices/failed",
            get(status::failed_invoices),
        )
        .route(
            "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}",
            get(status::invoice),
        )
        .route(
            "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}/upo",
            get(status::invoice_upo),
        )
        .route(
            "/sessions/{referenceNumber}/invoices/ksef/{ksefNumber}/upo",
            get(status::invoice_upo_by_ksef),
        )
        .route(
            "/sessions/{referenceNumber}/upo/{upoReferenceNumber}",
            get(status::session_upo),
        )
        .route("/invoices/ksef/{ksefNumber}", get(status::download_invoice))
        .route("/invoices/query/metadata", post(query::metadata))
        // TE test-data set-up calls (§13) are accepted and ignored: the simulator grants every
        // provisioned token full rights, so clients' set-up steps succeed without changing anything.
        .route("/testdata/{*operation}", post(accepted).delete(accepted))
        .route_layer(from_fn_with_state(sim.clone(), guard));
    Router::new()
        .nest("/v2", api.clone())
        .nest("/api/v2", api)
        .route(
            "/_blob/parts/{referenceNumber}/{ordinal}",
            put(blob::upload_part).layer(DefaultBodyLimit::max(part_body_bytes_max())),
        )
        .route(
            "/_blob/upo/{referenceNumber}/invoices/{invoiceReferenceNumber}",
            get(blob::invoice_upo),
        )
        .route(
            "/_blob/upo/{referenceNumber}/pages/{upoReferenceNumber}",
            get(blob::session_upo),
        )
        .route("/_sim/rotate-keys", post(admin::rotate_keys))
        .route("/_sim/faults", post(admin::faults))
        .route("/_sim/ledger", get(admin::ledger))
        .route("/_sim/stats", get(admin::stats))
        .layer(from_fn_with_state(sim.clone(), render_errors))
        .layer(from_fn_with_state(sim.clone(), echo_test_warning))
        .with_state(sim)
}

/// TE echoes `X-Test-System-Warning` back as `X-System-Warning` (§6), so clients can test warning display.
async fn echo_test_warning(State(sim): State<Simulator>, request: Request, next: Next) -> Response {
    let echo = (sim.config().environment == Environment::Test)
        .then(|| request.headers().get("x-test-system-warning").cloned())
        .flatten();
    let mut response = next.run(request).await;
    if let Some(value) = echo {
        response.headers_mut().insert("x-system-warning", value);
    }
    response
}

/// `200` with an empty body.
async fn accepted() -> axum::http::StatusCode {
    axum::http::StatusCode::OK
}

/// Largest part upload body.
fn part_body_bytes_max() -> usize {
    usize::try_from(batch::PART_BYTES_MAX).unwrap_or(usize::MAX)
}

/// Endpoint template without the version prefix.
fn template(request: &Request) -> String {
    let path = request.extensions().get::<MatchedPath>().map_or_else(
        || request.uri().path().to_string(),
        |m| m.as_str().to_string(),
    );
    let path = path.strip_prefix("/api").unwrap_or(&path);
    path.strip_prefix("/v2").unwrap_or(path).to_string()
}

/// Limit group of an endpoint (§7).
fn classify(method: &Method, template: &str) -> Group {
    let post = method == Method::POST;
    match template {
        // §7: the public per-IP limit covers the challenge and, per the spec, the other auth calls and keys.
        "/auth/challenge"
        | "/auth/ksef-token"
        | "/auth/xades-signature"
        | "/auth/{referenceNumber}"
        | "/auth/token/redeem"
        | "/auth/token/refresh"
        | "/security/public-key-certificates" => Group::Public,
        "/sessions/online" | "/sessions/online/{referenceNumber}/close" if post => {
            Group::OnlineSession
        }
        "/sessions/online/{referenceNumber}/invoices" if post => Group::InvoiceSend,
        "/sessions/batch" | "/sessions/batch/{referenceNumber}/close" if post => {
            Group::BatchSession
        }
        "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}" => Group::InvoiceStatus,
        "/sessions" => Group::SessionList,
        "/sessions/{referenceNumber}/invoices" | "/sessions/{referenceNumber}/invoices/failed" => {
            Group::SessionInvoiceList
        }
        "/sessions/{referenceNumber}"
        | "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}/upo"
        | "/sessions/{referenceNumber}/invoices/ksef/{ksefNumber}/upo"
        | "/sessions/{referenceNumber}/upo/{upoReferenceNumber}" => Group::SessionMisc,
        "/invoices/ksef/{ksefNumber}" => Group::InvoiceDownload,
        "/invoices/query/metadata" if post => Group::InvoiceMetadata,
        _ => Group::Other,
    }
}

/// Client IP of the request (loopback when the router is embedded without connect info).
pub(crate) fn client_ip(request_extensions: &axum::http::Extensions) -> IpAddr {
    request_extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip())
}

/// Outage, rate limits and faults, in that order, around every API route.
async fn guard(State(sim): State<Simulator>, request: Request, next: Next) -> Response {
    let template = template(&request);
    let group = classify(request.method(), &template);
    let ip = client_ip(request.extensions());
    let kill = request.extensions().get::<KillSwitch>().cloned();
    let now = sim.now();
    // Read into a local: the fault lock must not be held across an await.
    let outage = sim.faults().outage_at(now);
    match outage {
        Some(OutageMode::RefuseConnections) => return drop_connection(kill).await,
        Some(OutageMode::ServiceUnavailable) => return ApiError::Unavailable.into_response(),
        None => {}
    }
    if let Err(error) = count_and_limit(&sim, request.headers(), group, ip, &template) {
        return error.into_response();
    }
    let fault = if group == Group::Public {
        None
    } else {
        sim.faults().draw()
    };
    if fault.is_some() {
        sim.with_state(|state, _| state.stats.faults_injected += 1);
    }
    match fault {
        Some(Fault::Error5xx) => {
            ApiError::Internal("Simulated server error.".into()).into_response()
        }
        Some(Fault::Timeout) => {
            let hold = std::time::Duration::from_millis(sim.faults().config.timeout_hold_ms);
            tokio::time::sleep(hold).await;
            drop_connection(kill).await
        }
        Some(Fault::DropResponse) => {
            // Commit the effect first: the hardest case for a client, which must not resend blindly.
            let response = next.run(request).await;
            drop(response);
            drop_connection(kill).await
        }
        None => next.run(request).await,
    }
}

fn count_and_limit(
    sim: &Simulator,
    headers: &HeaderMap,
    group: Group,
    ip: IpAddr,
    template: &str,
) -> Result<(), ApiError> {
    let limits = sim.config().limits.clone();
    sim.with_state(|state, now| {
        *state
            .stats
            .requests
            .entry(group.key().to_string())
            .or_default() += 1;
        let LimitsMode::Table(table) = limits else {
            return Ok(());
        };
        let context = if group == Group::Public {
            String::new()
        } else {
            // Requests without a valid access token are not counted: the handler answers 401.
            match bearer(headers).and_then(|t| state.tokens.get(t)) {
                Some(t) if t.kind == TokenKind::Access && now < t.valid_until => {
                    t.context_nip.clone()
                }
                _ => return Ok(()),
            }
        };
        let key = LimitKey {
            context,
            ip,
            group,
            endpoint: if group == Group::Other {
                template.to_string()
            } else {
                String::new()
            },
        };
        state
            .limiter
            .check(&table, key, now.timestamp_millis())
            .map_err(|breach| {
                state.stats.rate_limited += 1;
                ApiError::TooManyRequests {
                    retry_after_s: breach.retry_after_s,
                    detail: format!(
                        "Przekroczono limit żądań dla grupy {}. Spróbuj ponownie za {} s.",
                        group.key(),
                        breach.retry_after_s
                    ),
                }
            })
    })
}

/// Reads the `x-continuation-token` header and `pageSize` for list endpoints.
pub(crate) fn page_request(
    headers: &HeaderMap,
    page_size: Option<u32>,
    (min, max, default): (u32, u32, u32),
) -> Result<(usize, usize), ApiError> {
    let size = page_size.unwrap_or(default);
    if !(min..=max).contains(&size) {
        return Err(ApiError::invalid(format!(
            "pageSize must be between {min} and {max}"
        )));
    }
    let offset = match headers.get("x-continuation-token") {
        None => 0,
        Some(value) => decode_continuation(value.to_str().unwrap_or_default())
            .ok_or_else(|| ApiError::bad(21418, "Nieprawidłowy token kontynuacji."))?,
    };
    Ok((offset, size as usize))
}

fn decode_continuation(token: &str) -> Option<usize> {
    let bytes = crate::crypto::b64_decode(token)?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("offset:")?
        .parse()
        .ok()
}

/// Opaque continuation token for the page starting at `offset`, `None` when there is no next page.
fn continuation(offset: usize, total: usize) -> Option<String> {
    use base64::{engine::general_purpose::STANDARD, Engine as _};
    (offset < total).then(|| STANDARD.encode(format!("offset:{offset}")))
}

/// The page (`offset`, `size`) of `items` as `{key: [...]}`, each item shown by `show`, with a
/// `continuationToken` while items remain after it.
pub(crate) fn page_body<T>(
    key: &str,
    items: &[T],
    (offset, size): (usize, usize),
    show: impl FnMut(&T) -> serde_json::Value,
) -> serde_json::Value {
    let page = items.iter().skip(offset).take(size).map(show).collect();
    let mut body = serde_json::Map::new();
    body.insert(key.to_owned(), serde_json::Value::Array(page));
    if let Some(token) = continuation(offset + size, items.len()) {
        body.insert("continuationToken".to_owned(), token.into());
    }
    serde_json::Value::Object(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_fall_into_the_documented_limit_groups() {
        let cases = [
            (Method::POST, "/sessions/online", Group::OnlineSession),
            (
                Method::POST,
                "/sessions/online/{referenceNumber}/close",
                Group::OnlineSession,
            ),
            (
                Method::POST,
                "/sessions/online/{referenceNumber}/invoices",
                Group::InvoiceSend,
            ),
            (Method::POST, "/sessions/batch", Group::BatchSession),
            (
                Method::POST,
                "/sessions/batch/{referenceNumber}/close",
                Group::BatchSession,
            ),
            (
                Method::GET,
                "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}",
                Group::InvoiceStatus,
            ),
            (Method::GET, "/sessions", Group::SessionList),
            (
                Method::GET,
                "/sessions/{referenceNumber}/invoices/failed",
                Group::SessionInvoiceList,
            ),
            (
                Method::GET,
                "/sessions/{referenceNumber}",
                Group::SessionMisc,
            ),
            (
                Method::GET,
                "/sessions/{referenceNumber}/upo/{upoReferenceNumber}",
                Group::SessionMisc,
            ),
            (
                Method::GET,
                "/invoices/ksef/{ksefNumber}",
                Group::InvoiceDownload,
            ),
            (
                Method::POST,
                "/invoices/query/metadata",
                Group::InvoiceMetadata,
            ),
            (Method::GET, "/rate-limits", Group::Other),
            (Method::POST, "/auth/challenge", Group::Public),
            (Method::POST, "/auth/token/redeem", Group::Public),
        ];
        for (method, template, group) in cases {
            assert_eq!(classify(&method, template), group, "{method} {template}");
        }
    }

    #[test]
    fn continuation_tokens_round_trip_and_forgeries_are_rejected() {
        let token = continuation(20, 25).expect("more pages");
        let mut headers = HeaderMap::new();
        headers.insert("x-continuation-token", token.parse().expect("ascii"));
        assert_eq!(
            page_request(&headers, Some(10), (10, 1000, 10)),
            Ok((20, 10))
        );
        assert_eq!(continuation(30, 25), None);
        headers.insert(
            "x-continuation-token",
            "b2Zmc2V0Ong=".parse().expect("ascii"),
        );
        assert_eq!(
            page_request(&headers, None, (10, 1000, 10)).map_err(|e| e.code()),
            Err("21418".into())
        );
        assert!(page_request(&HeaderMap::new(), Some(9), (10, 1000, 10)).is_err());
    }
}
