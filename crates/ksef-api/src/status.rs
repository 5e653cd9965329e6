//! Remote session and invoice statuses as KSeF reports them (KSEF-API.md §5), in domain form.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use url::Url;

use crate::error::{KsefError, RemoteCode};
use crate::hash::Sha256B64;
use crate::ids::{InvoiceRef, ReferenceNumber};
use crate::ksef_number::KsefNumber;
use crate::secret::UrlWithoutQuery;

/// Status of a session (`GET /sessions/{ref}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionStatus {
    /// KSeF session status code (100 open, 150/170 processing/closed, 200 done, 4xx/500 failed).
    pub code: i32,
    /// KSeF's description of the code.
    pub description: String,
    /// Extra lines KSeF attached.
    pub details: Vec<String>,
    /// When the session was opened.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Until when the session accepts invoices (open sessions only).
    pub valid_until: Option<DateTime<Utc>>,
    /// Pages of the session UPO, once the session is closed and processed.
    pub upo_pages: Vec<UpoPage>,
    /// Invoices received so far.
    pub invoice_count: Option<u32>,
    /// Invoices that got a KSeF number.
    pub successful_invoice_count: Option<u32>,
    /// Invoices that failed.
    pub failed_invoice_count: Option<u32>,
}

/// Session status codes.
pub mod session_code {
    /// Open, accepting invoices.
    pub const OPEN: i32 = 100;
    /// Batch closed, being processed.
    pub const PROCESSING: i32 = 150;
    /// Online session closed, UPO being generated.
    pub const CLOSED: i32 = 170;
    /// Processed; at least one invoice accepted.
    pub const SUCCEEDED: i32 = 200;
}

impl SessionStatus {
    /// Whether KSeF will not change this status any more.
    pub fn is_final(&self) -> bool {
        !matches!(
            self.code,
            session_code::OPEN | session_code::PROCESSING | session_code::CLOSED
        )
    }

    /// The session as a whole failed (any final code other than 200), as a classified error.
    pub fn failure(&self) -> Option<KsefError> {
        (self.is_final() && self.code != session_code::SUCCEEDED).then(|| {
            KsefError::SessionFailed {
                remote: RemoteCode::Session(self.code),
                description: self.description.clone(),
                details: self.details.clone(),
            }
        })
    }
}

/// One page of a session UPO, downloadable without a token until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpoPage {
    /// UPO page reference (for `GET /sessions/{ref}/upo/{upoRef}`).
    pub reference: ReferenceNumber,
    /// Pre-signed download link.
    pub download: PresignedUrl,
}

/// A pre-signed URL: usable without `Authorization` until it expires.
#[derive(Clone, PartialEq, Eq)]
pub struct PresignedUrl {
    /// The link; its query string is a credential and must not be logged.
    pub url: Url,
    /// When the link stops working.
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for PresignedUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The query carries the signature, which is as good as a token.
        f.debug_struct("PresignedUrl")
            .field("url", &UrlWithoutQuery(&self.url))
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Online or offline issuance, as KSeF recorded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoicingMode {
    /// Sent while KSeF was available.
    Online,
    /// Issued offline (explicitly, or automatically because `P_1` is an earlier day).
    Offline,
}

/// Status of one invoice in a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceStatus {
    /// Position in the session (1-based).
    pub ordinal: u32,
    /// Reference KSeF returned when the invoice was sent.
    pub invoice_ref: InvoiceRef,
    /// `P_2`, when KSeF could read it (even on failure).
    pub invoice_number: Option<String>,
    /// Assigned KSeF number (status 200 only).
    pub ksef_number: Option<KsefNumber>,
    /// SHA-256 of the invoice file KSeF received.
    pub invoice_hash: Sha256B64,
    /// File name inside a batch archive.
    pub file_name: Option<String>,
    /// When the KSeF number was assigned.
    pub acquisition_date: Option<DateTime<Utc>>,
    /// When KSeF accepted the invoice for processing.
    pub invoicing_date: DateTime<Utc>,
    /// When the invoice reached permanent storage.
    pub permanent_storage_date: Option<DateTime<Utc>>,
    /// Pre-signed per-invoice UPO link.
    pub upo_download: Option<PresignedUrl>,
    /// Online or offline.
    pub invoicing_mode: Option<InvoicingMode>,
    /// Processing outcome.
    pub status: InvoiceProcessing,
}

/// Processing status of an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceProcessing {
    /// KSeF invoice status code.
    pub code: i32,
    /// KSeF's description.
    pub description: String,
    /// Extra lines (e.g. XSD errors).
    pub details: Vec<String>,
    /// For 440: the invoice this one duplicates.
    pub duplicate_of: Option<DuplicateOf>,
    /// All `extensions` as sent, for forward compatibility.
    pub extensions: BTreeMap<String, String>,
}

/// Where the original of a duplicate invoice (status 440) lives.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DuplicateOf {
    /// KSeF number of the original (kept as text: it comes from a free-form map).
    pub ksef_number: Option<String>,
    /// Session reference of the original.
    pub session: Option<String>,
}

/// Invoice status codes.
pub mod invoice_code {
    /// Accepted for processing.
    pub const ACCEPTED: i32 = 100;
    /// Being processed.
    pub const PROCESSING: i32 = 150;
    /// KSeF number assigned.
    pub const SUCCEEDED: i32 = 200;
    /// Duplicate of an earlier invoice.
    pub const DUPLICATE: i32 = 440;
    /// Unknown error.
    pub const UNKNOWN_ERROR: i32 = 500;
    /// Cancelled by the system; sending again is allowed.
    pub const CANCELLED_BY_SYSTEM: i32 = 550;
}

impl InvoiceStatus {
    /// Whether KSeF will not change this status any more.
    pub fn is_final(&self) -> bool {
        !matches!(
            self.status.code,
            invoice_code::ACCEPTED | invoice_code::PROCESSING
        )
    }

    /// A final failure as a classified error: 500/550 are transient (send again),
    /// every other final non-200 code is a rejection of this invoice.
    pub fn failure(&self) -> Option<KsefError> {
        if !self.is_final() || self.status.code == invoice_code::SUCCEEDED {
            return None;
        }
        let remote = RemoteCode::Invoice(self.status.code);
        Some(match self.status.code {
            invoice_code::UNKNOWN_ERROR | invoice_code::CANCELLED_BY_SYSTEM => {
                KsefError::Transient {
                    remote: Some(remote),
                    detail: self.status.description.clone(),
                }
            }
            _ => KsefError::Rejected {
                remote,
                description: self.status.description.clone(),
                details: self.status.details.clone(),
                duplicate_of: self.status.duplicate_of.clone(),
            },
        })
    }
}

/// A page of a paged list, with the token for the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// Items on this page.
    pub items: Vec<T>,
    /// Token for the next page; `None` on the last page.
    pub continuation: Option<String>,
}

/// Which page of a list to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// Items per page (KSeF allows 10..=1000 for session invoice lists).
    pub page_size: u32,
    /// Token from the previous page; `None` for the first page.
    pub continuation: Option<String>,
}

impl PageRequest {
    /// First page of `page_size` items.
    pub fn first(page_size: u32) -> Self {
        Self {
            page_size,
            continuation: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invoice(code: i32) -> InvoiceStatus {
        InvoiceStatus {
            ordinal: 1,
            invoice_ref: InvoiceRef(
                ReferenceNumber::parse("20250625-EE-2C3E6C8000-B5D8AE4D5E-42").unwrap(),
            ),
            invoice_number: Some("FV/1".into()),
            ksef_number: None,
            invoice_hash: Sha256B64::of(b"x"),
            file_name: None,
            acquisition_date: None,
            invoicing_date: DateTime::UNIX_EPOCH,
            permanent_storage_date: None,
            upo_download: None,
            invoicing_mode: None,
            status: InvoiceProcessing {
                code,
                description: "d".into(),
                details: vec![],
                duplicate_of: (code == 440).then(|| DuplicateOf {
                    ksef_number: Some("5265877635-20250826-0100001AF629-AF".into()),
                    session: Some("20250625-SO-2C3E6C8000-B5D8AE4D5E-42".into()),
                }),
                extensions: BTreeMap::new(),
            },
        }
    }

    #[test]
    fn invoice_failures_are_classified() {
        assert!(invoice(100).failure().is_none());
        assert!(invoice(150).failure().is_none());
        assert!(invoice(200).failure().is_none());
        let dup = invoice(440).failure().unwrap();
        assert_eq!(dup.code(), "ksef.invoice.440");
        match dup {
            KsefError::Rejected {
                duplicate_of: Some(d),
                ..
            } => {
                assert_eq!(
                    d.ksef_number.as_deref(),
                    Some("5265877635-20250826-0100001AF629-AF")
                )
            }
            other => panic!("expected a rejection carrying the original, got {other:?}"),
        }
        assert_eq!(
            invoice(550).failure().unwrap().class(),
            crate::error::ErrorClass::Transient
        );
        assert_eq!(
            invoice(450).failure().unwrap().class(),
            crate::error::ErrorClass::Rejected
        );
    }

    #[test]
    fn presigned_url_debug_hides_the_signature() {
        let url = PresignedUrl {
            url: Url::parse("https://blob.example/upo/1.xml?sig=SECRETSIG&se=2026").unwrap(),
            expires_at: DateTime::UNIX_EPOCH,
        };
        let shown = format!("{url:?}");
        assert!(!shown.contains("SECRETSIG"), "{shown}");
        assert!(shown.contains("/upo/1.xml"));
    }
}
