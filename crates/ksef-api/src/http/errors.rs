//! Turning failed HTTP exchanges into classified [`KsefError`]s: transport failures, both 400
//! body shapes (legacy `exception` and problem-details `errors[]`), 401/403/410 problems, 429, 5xx.

use std::time::Duration;

use reqwest::StatusCode;
use serde::Deserialize;

use crate::error::{KsefError, Operation, RemoteCode};

/// Wait used when a 429 carries no usable `Retry-After` (KSeF always sends one; this is a fallback).
pub const RETRY_AFTER_DEFAULT_S: u64 = 30;
/// How much of an unparseable error body goes into the error detail.
const BODY_EXCERPT_LEN_MAX: usize = 200;

/// Any error body KSeF sends; every field optional so one type reads both shapes.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody {
    exception: Option<LegacyException>,
    errors: Option<Vec<ProblemError>>,
    reason_code: Option<String>,
    detail: Option<String>,
    title: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LegacyException {
    exception_detail_list: Option<Vec<LegacyDetail>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LegacyDetail {
    exception_code: i32,
    exception_description: Option<String>,
    details: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
struct ProblemError {
    code: i32,
    description: Option<String>,
    details: Option<Vec<String>>,
}

/// A failure before any response arrived. Only a connect failure proves the request was never
/// sent; anything later (timeout, reset) may hit after KSeF acted on a non-idempotent request.
pub fn transport(operation: Operation, error: reqwest::Error) -> KsefError {
    let sent = !error.is_connect();
    let detail = describe(&error.without_url());
    if sent && !operation.is_idempotent() {
        KsefError::OutcomeUnknown { operation, detail }
    } else {
        KsefError::Transient {
            remote: None,
            detail,
        }
    }
}

fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Classifies a non-success response.
pub fn from_response(
    operation: Operation,
    status: StatusCode,
    retry_after: Option<&str>,
    body: &[u8],
) -> KsefError {
    let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    let http = RemoteCode::Http(status.as_u16());
    let summary = || {
        parsed
            .detail
            .clone()
            .or_else(|| parsed.title.clone())
            .unwrap_or_else(|| {
                let text = String::from_utf8_lossy(body);
                let excerpt: String = text.chars().take(BODY_EXCERPT_LEN_MAX).collect();
                format!("HTTP {status}: {excerpt}")
            })
    };
    match status {
        StatusCode::TOO_MANY_REQUESTS => KsefError::RateLimited {
            retry_after: parse_retry_after(retry_after),
        },
        StatusCode::UNAUTHORIZED => KsefError::AuthExpired { remote: Some(http) },
        StatusCode::FORBIDDEN => KsefError::Permanent {
            remote: Some(
                parsed
                    .reason_code
                    .clone()
                    .map_or(http, RemoteCode::Forbidden),
            ),
            detail: summary(),
        },
        s if s.is_server_error() => {
            // The server answered, but a 5xx (often from a gateway) does not tell whether the
            // backend acted before failing; for creating calls that is an unknown outcome.
            if operation.is_idempotent() {
                KsefError::Transient {
                    remote: Some(http),
                    detail: summary(),
                }
            } else {
                KsefError::OutcomeUnknown {
                    operation,
                    detail: summary(),
                }
            }
        }
        StatusCode::BAD_REQUEST => match exceptions(&parsed).into_iter().next() {
            Some((code, description, mut details)) => {
                // Further codes in the same answer are kept as details, not lost.
                for (other, text, _) in exceptions(&parsed).into_iter().skip(1) {
                    details.push(format!("{other}: {text}"));
                }
                KsefError::from_exception(operation, code, description, details)
            }
            None => KsefError::Rejected {
                remote: http,
                description: summary(),
                details: vec![],
                duplicate_of: None,
            },
        },
        s if s == StatusCode::GONE || s == StatusCode::NOT_FOUND => KsefError::Permanent {
            remote: Some(http),
            detail: summary(),
        },
        _ => KsefError::Rejected {
            remote: http,
            description: summary(),
            details: vec![],
            duplicate_of: None,
        },
    }
}

fn exceptions(body: &ErrorBody) -> Vec<(i32, String, Vec<String>)> {
    let legacy = body
        .exception
        .as_ref()
        .and_then(|e| e.exception_detail_list.as_ref())
        .into_iter()
        .flatten()
        .map(|d| {
            (
                d.exception_code,
                d.exception_description.clone().unwrap_or_default(),
                d.details.clone().unwrap_or_default(),
            )
        });
    let problem = body.errors.iter().flatten().map(|e| {
        (
            e.code,
            e.description.clone().unwrap_or_default(),
            e.details.clone().unwrap_or_default(),
        )
    });
    legacy.chain(problem).collect()
}

/// `Retry-After` in seconds (KSeF's form); HTTP-dates and garbage fall back to the default.
fn parse_retry_after(header: Option<&str>) -> Duration {
    Duration::from_secs(
        header
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(RETRY_AFTER_DEFAULT_S),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorClass;

    fn classify(op: Operation, status: u16, body: &str) -> KsefError {
        from_response(
            op,
            StatusCode::from_u16(status).unwrap(),
            None,
            body.as_bytes(),
        )
    }

    #[test]
    fn legacy_and_problem_400_give_the_same_code() {
        let legacy = r#"{"exception":{"exceptionDetailList":[{"exceptionCode":21405,"exceptionDescription":"Błąd walidacji","details":["invoiceHash"]}],"referenceNumber":null,"serviceCode":"x","timestamp":"2025-10-11T12:23:56.0154302+00:00"}}"#;
        let problem = r#"{"title":"Bad Request","status":400,"instance":"/sessions/online","detail":"d","errors":[{"code":21405,"description":"Błąd walidacji","details":["invoiceHash"]}],"timestamp":"2025-10-11T12:23:56Z","traceId":"t"}"#;
        for body in [legacy, problem] {
            let err = classify(Operation::SendInvoice, 400, body);
            assert_eq!(err.code(), "ksef.exception.21405", "{body}");
            assert!(
                matches!(&err, KsefError::Rejected { details, .. } if details == &["invoiceHash".to_owned()])
            );
        }
    }

    #[test]
    fn every_code_of_a_multi_error_answer_is_kept() {
        let body = r#"{"errors":[{"code":21402,"description":"size"},{"code":21403,"description":"hash"}]}"#;
        match classify(Operation::SendInvoice, 400, body) {
            KsefError::Rejected {
                remote, details, ..
            } => {
                assert_eq!(remote, RemoteCode::Exception(21402));
                assert_eq!(details, ["21403: hash"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn status_classes() {
        assert_eq!(
            classify(
                Operation::SessionStatus,
                401,
                r#"{"title":"Unauthorized","status":401,"detail":"x"}"#
            )
            .class(),
            ErrorClass::AuthExpired
        );
        let forbidden = classify(
            Operation::SendInvoice,
            403,
            r#"{"title":"Forbidden","status":403,"detail":"no","reasonCode":"missing-permissions"}"#,
        );
        assert_eq!(forbidden.code(), "ksef.forbidden.missing-permissions");
        assert_eq!(
            classify(Operation::SendInvoice, 403, "").code(),
            "ksef.http.403"
        );
        assert_eq!(
            classify(Operation::AuthStatus, 410, r#"{"title":"Gone"}"#).code(),
            "ksef.http.410"
        );
        assert_eq!(
            classify(Operation::SessionStatus, 503, "").class(),
            ErrorClass::Transient
        );
        assert_eq!(
            classify(Operation::SessionStatus, 503, "").code(),
            "ksef.http.503"
        );
        assert_eq!(
            classify(Operation::SendInvoice, 500, "").class(),
            ErrorClass::OutcomeUnknown
        );
        assert_eq!(
            classify(Operation::SendInvoice, 400, "<html>").code(),
            "ksef.http.400"
        );
        assert_eq!(
            classify(Operation::SendInvoice, 413, "").class(),
            ErrorClass::Rejected
        );
    }

    #[test]
    fn retry_after_is_read_in_seconds() {
        let err = from_response(
            Operation::SendInvoice,
            StatusCode::TOO_MANY_REQUESTS,
            Some("17"),
            b"{}",
        );
        assert_eq!(
            err,
            KsefError::RateLimited {
                retry_after: Duration::from_secs(17)
            }
        );
        let fallback = from_response(
            Operation::SendInvoice,
            StatusCode::TOO_MANY_REQUESTS,
            Some("soon"),
            b"",
        );
        assert_eq!(
            fallback,
            KsefError::RateLimited {
                retry_after: Duration::from_secs(RETRY_AFTER_DEFAULT_S)
            }
        );
    }
}
