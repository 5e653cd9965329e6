//! API errors in both KSeF shapes (§6): legacy `ExceptionResponse` or problem details, chosen per request.
//!
//! Handlers return [`ApiError`]; its `IntoResponse` only parks the error in the response extensions, and the
//! [`render_errors`] middleware turns it into the body the caller asked for (it alone knows the request
//! headers, the path and the clock).

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::server::Simulator;

/// An error answer of the simulated API.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// 400 with a KSeF exception code.
    BadRequest {
        /// KSeF exception code (e.g. 21405).
        code: u32,
        /// Description matching the code.
        description: String,
        /// Specific details.
        details: Vec<String>,
    },
    /// 401: missing, unknown or expired token.
    Unauthorized(String),
    /// 403 with a reason code.
    Forbidden {
        /// `reasonCode` of the problem details.
        reason_code: &'static str,
        /// Human-readable detail.
        detail: String,
    },
    /// 410: status past retention.
    Gone(String),
    /// 429 with `Retry-After` seconds.
    TooManyRequests {
        /// Seconds until a retry may succeed.
        retry_after_s: u64,
        /// Which limit was hit.
        detail: String,
    },
    /// 500 (also injected faults).
    Internal(String),
    /// 503 during a simulated outage.
    Unavailable,
}

impl ApiError {
    /// A 400 with code and details.
    pub fn bad(code: u32, detail: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code,
            description: code_description(code).to_string(),
            details: vec![detail.into()],
        }
    }

    /// 21405 generic input validation error.
    pub fn invalid(detail: impl Into<String>) -> Self {
        Self::bad(21405, detail)
    }

    /// Stable code for logs and tests (`"21405"`, `"unauthorized"`, …).
    pub fn code(&self) -> String {
        match self {
            ApiError::BadRequest { code, .. } => code.to_string(),
            ApiError::Unauthorized(_) => "unauthorized".into(),
            ApiError::Forbidden { reason_code, .. } => (*reason_code).into(),
            ApiError::Gone(_) => "gone".into(),
            ApiError::TooManyRequests { .. } => "too-many-requests".into(),
            ApiError::Internal(_) => "internal".into(),
            ApiError::Unavailable => "unavailable".into(),
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::Gone(_) => StatusCode::GONE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// Description KSeF pairs with an exception code.
pub fn code_description(code: u32) -> &'static str {
    match code {
        9101 => "Nieprawidłowy dokument.",
        9102 => "Brak podpisu.",
        9103 => "Przekroczona liczba dozwolonych podpisów.",
        9105 => "Nieprawidłowy podpis.",
        21111 => "Nieprawidłowe wyzwanie autoryzacyjne.",
        21115 => "Nieprawidłowy certyfikat.",
        21117 => "Nieprawidłowy identyfikator podmiotu dla wskazanego typu kontekstu.",
        21217 => "Nieprawidłowe kodowanie znaków.",
        21401 => "Dokument nie jest zgodny ze schemą (xsd).",
        21155 => "Przekroczono dozwoloną liczbę faktur w sesji.",
        21157 => "Nieprawidłowy rozmiar części pakietu.",
        21161 => "Przekroczono dozwoloną liczbę części pakietu.",
        21164 => "Faktura o podanym numerze KSeF nie istnieje.",
        21173 => "Brak sesji o wskazanym numerze referencyjnym.",
        21178 => "Nie znaleziono UPO dla podanych kryteriów.",
        21180 => "Status sesji nie pozwala na wykonanie operacji.",
        21205 => "Pakiet nie może być pusty.",
        21301 => "Brak autoryzacji.",
        21304 => "Brak uwierzytelnienia.",
        21402 => "Nieprawidłowy rozmiar pliku.",
        21403 => "Nieprawidłowy skrót pliku.",
        21418 => "Przekazany token kontynuacji ma nieprawidłowy format.",
        21470 => "Nieprawidłowy identyfikator klucza publicznego.",
        _ => "Błąd weryfikacji danych wejściowych.",
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // Placeholder; `render_errors` replaces it with the body shape the caller asked for.
        let mut response = self.status().into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// Whether the caller asked for problem details (`X-Error-Format: problem-details`).
fn wants_problem_details(request: &Request) -> bool {
    request
        .headers()
        .get("x-error-format")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("problem-details"))
}

/// Middleware rendering a parked [`ApiError`] into its wire shape.
pub async fn render_errors(State(sim): State<Simulator>, request: Request, next: Next) -> Response {
    let problem = wants_problem_details(&request);
    let instance = request.uri().path().to_string();
    let mut response = next.run(request).await;
    let Some(error) = response.extensions_mut().remove::<ApiError>() else {
        return response;
    };
    let (timestamp, trace_id) = sim.error_stamp();
    render(&error, problem, &instance, &timestamp, &trace_id)
}

fn json_response(status: StatusCode, content_type: &'static str, body: Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

const PROBLEM: &str = "application/problem+json";
const JSON: &str = "application/json";

/// Renders `error` in the legacy or problem-details shape.
pub fn render(
    error: &ApiError,
    problem: bool,
    instance: &str,
    timestamp: &str,
    trace_id: &str,
) -> Response {
    let status = error.status();
    let title = status.canonical_reason().unwrap_or("Error");
    match error {
        ApiError::BadRequest {
            code,
            description,
            details,
        } => {
            if problem {
                json_response(
                    status,
                    PROBLEM,
                    json!({"title": title, "status": 400, "instance": instance,
                        "detail": description, "errors": [{"code": code, "description": description, "details": details}],
                        "timestamp": timestamp, "traceId": trace_id}),
                )
            } else {
                json_response(
                    status,
                    JSON,
                    json!({"exception": {"exceptionDetailList": [{"exceptionCode": code,
                        "exceptionDescription": description, "details": details}],
                        "serviceCode": trace_id, "serviceCtx": "srvTEMFA", "serviceName": "ksef-sim",
                        "timestamp": timestamp}}),
                )
            }
        }
        ApiError::Unauthorized(detail) | ApiError::Gone(detail) => json_response(
            status,
            PROBLEM,
            json!({"title": title, "status": status.as_u16(), "instance": instance, "detail": detail,
                "timestamp": timestamp, "traceId": trace_id}),
        ),
        ApiError::Forbidden {
            reason_code,
            detail,
        } => json_response(
            status,
            PROBLEM,
            json!({"title": title, "status": 403, "instance": instance, "detail": detail,
                "reasonCode": reason_code, "timestamp": timestamp, "traceId": trace_id}),
        ),
        ApiError::TooManyRequests {
            retry_after_s,
            detail,
        } => {
            let mut response = if problem {
                json_response(
                    status,
                    PROBLEM,
                    json!({"title": title, "status": 429, "instance": instance, "detail": detail,
                        "timestamp": timestamp, "traceId": trace_id}),
                )
            } else {
                json_response(
                    status,
                    JSON,
                    json!({"status": {"code": 429, "description": title, "details": [detail]}}),
                )
            };
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_s));
            response
        }
        ApiError::Internal(detail) => json_response(
            status,
            PROBLEM,
            json!({"title": title, "status": 500, "instance": instance, "detail": detail,
                "timestamp": timestamp, "traceId": trace_id}),
        ),
        ApiError::Unavailable => json_response(
            status,
            PROBLEM,
            json!({"title": title, "status": 503, "instance": instance,
                "detail": "KSeF is unavailable (simulated outage).", "timestamp": timestamp, "traceId": trace_id}),
        ),
    }
}
