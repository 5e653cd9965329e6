//! `KsefError`: every failure of a KSeF call, classified so the engine knows what to do next.
//!
//! Classification answers "may I retry, and how?": transient → retry the same call later;
//! rate-limited → wait `retry_after`; auth-expired → re-authenticate; rejected → the caller's
//! input is wrong; session-failed → open a new session; permanent → needs a human;
//! outcome-unknown → the request may have taken effect: resolve by asking KSeF, never resend blindly.

use std::fmt;
use std::time::Duration;

use crate::status::DuplicateOf;

/// Coarse classification; `code()` gives the stable dictionary key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// Retry the same call later.
    Transient,
    /// Too many requests; wait before retrying.
    RateLimited,
    /// The access token is no longer accepted; re-authenticate.
    AuthExpired,
    /// The request or invoice is wrong; fix the input.
    Rejected,
    /// The session can no longer be used; open a new one.
    SessionFailed,
    /// Will not succeed without human action (permissions, configuration, protocol mismatch).
    Permanent,
    /// The request may or may not have taken effect.
    OutcomeUnknown,
}

impl ErrorClass {
    /// Stable dictionary key of the class (`ksef.transient`, …).
    pub fn code(self) -> &'static str {
        match self {
            Self::Transient => "ksef.transient",
            Self::RateLimited => "ksef.rate_limited",
            Self::AuthExpired => "ksef.auth_expired",
            Self::Rejected => "ksef.rejected",
            Self::SessionFailed => "ksef.session_failed",
            Self::Permanent => "ksef.permanent",
            Self::OutcomeUnknown => "ksef.outcome_unknown",
        }
    }
}

/// The precise remote reason, when KSeF gave one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RemoteCode {
    /// 400 exception code (`exceptionCode` / `errors[].code`), e.g. 21405.
    Exception(i32),
    /// Invoice processing status code, e.g. 440.
    Invoice(i32),
    /// Session status code, e.g. 445.
    Session(i32),
    /// Authentication operation status code, e.g. 450.
    Auth(i32),
    /// Bare HTTP status without a more specific code.
    Http(u16),
    /// 403 problem `reasonCode`, e.g. `missing-permissions`.
    Forbidden(String),
}

impl RemoteCode {
    /// Stable dictionary key, e.g. `ksef.exception.21405`.
    pub fn key(&self) -> String {
        match self {
            Self::Exception(n) => format!("ksef.exception.{n}"),
            Self::Invoice(n) => format!("ksef.invoice.{n}"),
            Self::Session(n) => format!("ksef.session.{n}"),
            Self::Auth(n) => format!("ksef.auth.{n}"),
            Self::Http(n) => format!("ksef.http.{n}"),
            Self::Forbidden(reason) => {
                // Reason codes are server-chosen; keep the key to a safe alphabet.
                let safe: String = reason
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '-' {
                            c.to_ascii_lowercase()
                        } else {
                            '_'
                        }
                    })
                    .collect();
                format!("ksef.forbidden.{safe}")
            }
        }
    }
}

impl fmt::Display for RemoteCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

/// The KSeF call a failure belongs to; decides whether an ambiguous failure is an unknown outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `GET /security/public-key-certificates`.
    PublicKeys,
    /// `POST /auth/challenge`.
    Challenge,
    /// `POST /auth/ksef-token`.
    InitTokenAuth,
    /// `POST /auth/xades-signature`.
    InitXadesAuth,
    /// `GET /auth/{ref}`.
    AuthStatus,
    /// `POST /auth/token/redeem`.
    Redeem,
    /// `POST /auth/token/refresh`.
    Refresh,
    /// `POST /sessions/online`.
    OpenOnlineSession,
    /// `POST /sessions/online/{ref}/invoices`.
    SendInvoice,
    /// `POST /sessions/online/{ref}/close`.
    CloseOnlineSession,
    /// `POST /sessions/batch`.
    OpenBatchSession,
    /// `PUT` of one batch part to its pre-signed URL.
    UploadPart,
    /// `POST /sessions/batch/{ref}/close`.
    CloseBatchSession,
    /// `GET /sessions/{ref}`.
    SessionStatus,
    /// `GET /sessions/{ref}/invoices[/failed]`.
    SessionInvoices,
    /// `GET /sessions/{ref}/invoices/{invoiceRef}`.
    InvoiceStatus,
    /// Any UPO download through the API.
    Upo,
    /// `GET` of a pre-signed URL.
    DownloadPresigned,
    /// `POST /invoices/query/metadata`.
    QueryMetadata,
    /// `GET /rate-limits`.
    RateLimits,
    /// `GET /limits/context`.
    ContextLimits,
}

impl Operation {
    /// Whether repeating the request after an ambiguous failure is harmless.
    ///
    /// Non-idempotent calls create or change something remotely (an invoice, a session,
    /// a redeemed token); for those a failure after the request left us is an unknown outcome.
    /// Starting token authentication is treated as idempotent: a lost attempt only leaves an
    /// unused authentication operation behind, and the next attempt uses a fresh challenge.
    pub fn is_idempotent(self) -> bool {
        !matches!(
            self,
            Self::OpenOnlineSession
                | Self::SendInvoice
                | Self::CloseOnlineSession
                | Self::OpenBatchSession
                | Self::CloseBatchSession
                | Self::Redeem
        )
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// A failed KSeF call. Messages never contain tokens or pre-signed URLs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KsefError {
    /// KSeF or the network failed in a way that a later retry may fix.
    #[error("KSeF temporarily unavailable{}: {detail}", fmt_remote(remote.as_ref()))]
    Transient {
        /// Remote reason, if any.
        remote: Option<RemoteCode>,
        /// What happened (no secrets).
        detail: String,
    },
    /// HTTP 429.
    #[error("KSeF rate limit reached; retry after {} s", retry_after.as_secs())]
    RateLimited {
        /// How long KSeF asked us to wait.
        retry_after: Duration,
    },
    /// The token was refused (401, dead refresh token).
    #[error("KSeF authorisation expired or was refused{}", fmt_remote(remote.as_ref()))]
    AuthExpired {
        /// Remote reason, if any.
        remote: Option<RemoteCode>,
    },
    /// The request or invoice was refused as invalid.
    #[error("KSeF rejected the request ({remote}): {description}")]
    Rejected {
        /// Remote code.
        remote: RemoteCode,
        /// KSeF's description.
        description: String,
        /// KSeF's detail lines.
        details: Vec<String>,
        /// For a duplicate invoice (440): where the original is.
        duplicate_of: Option<DuplicateOf>,
    },
    /// The session is closed, cancelled or failed as a whole.
    #[error("KSeF session failed ({remote}): {description}")]
    SessionFailed {
        /// Remote code.
        remote: RemoteCode,
        /// KSeF's description.
        description: String,
        /// KSeF's detail lines.
        details: Vec<String>,
    },
    /// Will not succeed without human action.
    #[error("KSeF request cannot succeed{}: {detail}", fmt_remote(remote.as_ref()))]
    Permanent {
        /// Remote reason, if any.
        remote: Option<RemoteCode>,
        /// What happened (no secrets).
        detail: String,
    },
    /// The request may have taken effect; resolve by querying KSeF.
    #[error("outcome of {operation} unknown: {detail}")]
    OutcomeUnknown {
        /// The call whose effect is unknown.
        operation: Operation,
        /// What happened (no secrets).
        detail: String,
    },
}

fn fmt_remote(remote: Option<&RemoteCode>) -> String {
    remote.map(|r| format!(" ({r})")).unwrap_or_default()
}

/// Result of a KSeF call.
pub type KsefResult<T> = Result<T, KsefError>;

impl KsefError {
    /// Classification.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Transient { .. } => ErrorClass::Transient,
            Self::RateLimited { .. } => ErrorClass::RateLimited,
            Self::AuthExpired { .. } => ErrorClass::AuthExpired,
            Self::Rejected { .. } => ErrorClass::Rejected,
            Self::SessionFailed { .. } => ErrorClass::SessionFailed,
            Self::Permanent { .. } => ErrorClass::Permanent,
            Self::OutcomeUnknown { .. } => ErrorClass::OutcomeUnknown,
        }
    }

    /// The remote reason, if KSeF gave one.
    pub fn remote(&self) -> Option<&RemoteCode> {
        match self {
            Self::Transient { remote, .. }
            | Self::AuthExpired { remote }
            | Self::Permanent { remote, .. } => remote.as_ref(),
            Self::Rejected { remote, .. } | Self::SessionFailed { remote, .. } => Some(remote),
            Self::RateLimited { .. } | Self::OutcomeUnknown { .. } => None,
        }
    }

    /// Stable dictionary key: the specific remote key when known, else the class key.
    pub fn code(&self) -> String {
        self.remote()
            .map_or_else(|| self.class().code().to_owned(), RemoteCode::key)
    }

    /// Whether this is KSeF's "unknown or withdrawn publicKeyId" (21470): refetch keys and retry.
    pub fn is_key_rotated(&self) -> bool {
        self.remote() == Some(&RemoteCode::Exception(exception::PUBLIC_KEY_UNKNOWN))
    }

    /// Classifies a 400 exception code from KSeF for the given call.
    pub fn from_exception(
        operation: Operation,
        code: i32,
        description: String,
        details: Vec<String>,
    ) -> Self {
        use exception as e;
        let remote = RemoteCode::Exception(code);
        match code {
            // Key rotation and "not yet" answers succeed when asked again later.
            e::PUBLIC_KEY_UNKNOWN
            | e::INVOICE_NOT_YET_AVAILABLE
            | e::UPO_NOT_FOUND
            | e::TOO_MANY_EXPORTS => Self::Transient {
                remote: Some(remote),
                detail: description,
            },
            // A dead or already-used refresh token means: authenticate again.
            e::NOT_AUTHORIZED | e::AUTH_OPERATION_NOT_FOUND | e::DECEASED_PERSON
                if operation == Operation::Refresh =>
            {
                Self::AuthExpired {
                    remote: Some(remote),
                }
            }
            e::NOT_AUTHORIZED
            | e::AUTH_OPERATION_NOT_FOUND
            | e::DECEASED_PERSON
            | e::BAD_CONTINUATION_TOKEN
            | e::INVOICE_NOT_FOUND
            | e::EXPORT_NOT_FOUND => Self::Permanent {
                remote: Some(remote),
                detail: description,
            },
            e::SESSION_INVOICE_LIMIT
            | e::SESSION_NOT_FOUND
            | e::SESSION_STATUS_FORBIDS
            | e::BATCH_TIMEOUT => Self::SessionFailed {
                remote,
                description,
                details,
            },
            _ => Self::Rejected {
                remote,
                description,
                details,
                duplicate_of: None,
            },
        }
    }
}

/// Exception codes the client treats specially (KSEF-API.md §6).
pub mod exception {
    /// Session invoice limit reached.
    pub const SESSION_INVOICE_LIMIT: i32 = 21155;
    /// Invoice not found.
    pub const INVOICE_NOT_FOUND: i32 = 21164;
    /// Invoice not yet downloadable.
    pub const INVOICE_NOT_YET_AVAILABLE: i32 = 21165;
    /// Session not found.
    pub const SESSION_NOT_FOUND: i32 = 21173;
    /// Export not found.
    pub const EXPORT_NOT_FOUND: i32 = 21175;
    /// UPO not found (not generated yet).
    pub const UPO_NOT_FOUND: i32 = 21178;
    /// Session status forbids the operation (closed, cancelled).
    pub const SESSION_STATUS_FORBIDS: i32 = 21180;
    /// Too many concurrent exports.
    pub const TOO_MANY_EXPORTS: i32 = 21182;
    /// Batch upload/close timeout; session cancelled.
    pub const BATCH_TIMEOUT: i32 = 21208;
    /// Not authorised (already redeemed, revoked…).
    pub const NOT_AUTHORIZED: i32 = 21301;
    /// Authentication operation not found.
    pub const AUTH_OPERATION_NOT_FOUND: i32 = 21304;
    /// Deceased person.
    pub const DECEASED_PERSON: i32 = 21308;
    /// Bad continuation token.
    pub const BAD_CONTINUATION_TOKEN: i32 = 21418;
    /// Unknown or withdrawn `publicKeyId`.
    pub const PUBLIC_KEY_UNKNOWN: i32 = 21470;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exc(op: Operation, code: i32) -> KsefError {
        KsefError::from_exception(op, code, "desc".into(), vec![])
    }

    #[test]
    fn codes_are_specific_when_known_and_class_otherwise() {
        assert_eq!(
            exc(Operation::SendInvoice, 21405).code(),
            "ksef.exception.21405"
        );
        assert_eq!(
            exc(Operation::SendInvoice, 21405).class(),
            ErrorClass::Rejected
        );
        assert_eq!(
            KsefError::RateLimited {
                retry_after: Duration::from_secs(3)
            }
            .code(),
            "ksef.rate_limited"
        );
        let unknown = KsefError::OutcomeUnknown {
            operation: Operation::SendInvoice,
            detail: "timeout".into(),
        };
        assert_eq!(unknown.code(), "ksef.outcome_unknown");
        let forbidden = KsefError::Permanent {
            remote: Some(RemoteCode::Forbidden("missing-permissions".into())),
            detail: "x".into(),
        };
        assert_eq!(forbidden.code(), "ksef.forbidden.missing-permissions");
        assert_eq!(
            RemoteCode::Forbidden("we/ird code".into()).key(),
            "ksef.forbidden.we_ird_code"
        );
        assert_eq!(
            KsefError::Transient {
                remote: None,
                detail: "x".into()
            }
            .code(),
            "ksef.transient"
        );
    }

    #[test]
    fn exception_codes_are_classified_by_meaning() {
        assert!(exc(Operation::OpenOnlineSession, 21470).is_key_rotated());
        assert_eq!(
            exc(Operation::OpenOnlineSession, 21470).class(),
            ErrorClass::Transient
        );
        assert_eq!(
            exc(Operation::SendInvoice, 21180).class(),
            ErrorClass::SessionFailed
        );
        assert_eq!(
            exc(Operation::SendInvoice, 21155).class(),
            ErrorClass::SessionFailed
        );
        assert_eq!(
            exc(Operation::Refresh, 21301).class(),
            ErrorClass::AuthExpired
        );
        assert_eq!(exc(Operation::Redeem, 21301).class(), ErrorClass::Permanent);
        assert_eq!(exc(Operation::Upo, 21178).class(), ErrorClass::Transient);
        assert_eq!(
            exc(Operation::SessionInvoices, 21418).class(),
            ErrorClass::Permanent
        );
        // Unknown codes default to "your request was wrong": a 400 is the caller's fault.
        assert_eq!(
            exc(Operation::SendInvoice, 29999).class(),
            ErrorClass::Rejected
        );
    }

    #[test]
    fn only_creating_calls_are_non_idempotent() {
        for op in [
            Operation::SendInvoice,
            Operation::OpenOnlineSession,
            Operation::CloseOnlineSession,
            Operation::Redeem,
        ] {
            assert!(!op.is_idempotent(), "{op}");
        }
        for op in [
            Operation::SessionStatus,
            Operation::UploadPart,
            Operation::InitTokenAuth,
            Operation::Upo,
        ] {
            assert!(op.is_idempotent(), "{op}");
        }
    }
}
