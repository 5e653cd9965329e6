//! The KSeF port: the trait the engine programs against, in domain terms only.
//!
//! The trait uses `async fn`-style methods returning `impl Future + Send` (stable since Rust 1.75)
//! instead of the `async-trait` crate: no boxing per call and no extra dependency. The price is that
//! `Ksef` is not object-safe, so dependants are generic over `K: Ksef` (the real HTTP client and the
//! simulator are both reached through [`crate::http::HttpKsef`], so no runtime switching is needed).

use std::future::Future;

use chrono::{DateTime, NaiveDate, Utc};
use url::Url;

use crate::batch::BatchFile;
use crate::crypto::{EncryptedInvoice, EncryptionInfo, EncryptionKey, PublicKeyCertificate};
use crate::error::{KsefError, KsefResult};
use crate::form::FormCode;
use crate::hash::{HashCheck, Sha256B64};
use crate::ids::{ContextIdentifier, InvoiceRef, Nip, ReferenceNumber, SessionRef};
use crate::ksef_number::KsefNumber;
use crate::limits::{ContextLimits, RateLimits};
use crate::secret::{Secret, UrlWithoutQuery};
use crate::status::{InvoiceStatus, InvoicingMode, Page, PageRequest, SessionStatus};
use crate::xades::Signer;

/// Tokens obtained by authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthTokens {
    /// Bearer token for protected endpoints.
    pub access: Secret,
    /// When `access` stops working.
    pub access_valid_until: DateTime<Utc>,
    /// Token for `POST /auth/token/refresh`.
    pub refresh: Secret,
    /// When `refresh` stops working.
    pub refresh_valid_until: DateTime<Utc>,
}

/// A fresh access token from a refresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    /// Bearer token.
    pub token: Secret,
    /// When it stops working.
    pub valid_until: DateTime<Utc>,
}

/// A session KSeF opened for us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedSession {
    /// Session reference.
    pub session: SessionRef,
    /// Until when it accepts invoices.
    pub valid_until: DateTime<Utc>,
}

/// A batch session KSeF opened, with where to upload each part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedBatch {
    /// Session reference.
    pub session: SessionRef,
    /// One upload instruction per declared part.
    pub parts: Vec<PartUpload>,
}

/// Where and how to upload one batch part: exactly this method, URL and headers, no `Authorization`.
#[derive(Clone, PartialEq, Eq)]
pub struct PartUpload {
    /// 1-based part ordinal.
    pub ordinal: u32,
    /// HTTP method, e.g. `PUT`.
    pub method: String,
    /// Pre-signed URL; its query is a credential.
    pub url: Url,
    /// Headers to send verbatim (e.g. `x-ms-blob-type: BlockBlob`).
    pub headers: Vec<(String, String)>,
}

impl std::fmt::Debug for PartUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartUpload")
            .field("ordinal", &self.ordinal)
            .field("method", &self.method)
            .field("url", &UrlWithoutQuery(&self.url))
            .field("headers", &self.headers)
            .finish()
    }
}

/// Which invoice's UPO to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpoSelector {
    /// By the reference returned when sending.
    Invoice(InvoiceRef),
    /// By the assigned KSeF number.
    KsefNumber(KsefNumber),
}

/// A downloaded document and whether its `x-ms-meta-hash` was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    /// Body bytes (UPO XML, invoice XML…).
    pub bytes: Vec<u8>,
    /// Hash check outcome; a mismatch is an error instead.
    pub hash: HashCheck,
}

/// Role of the querying context on the invoices sought.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuerySubject {
    /// Seller (`Subject1`).
    Seller,
    /// Buyer (`Subject2`).
    Buyer,
    /// Third party (`Subject3`).
    ThirdParty,
    /// Authorised subject.
    Authorized,
}

/// Which date a metadata query range applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryDateType {
    /// `P_1`.
    Issue,
    /// Acceptance for processing.
    Invoicing,
    /// Permanent storage.
    PermanentStorage,
}

/// Metadata query: what the engine asks to resolve an unknown outcome or a duplicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataQuery {
    /// Our role on the invoices.
    pub subject: QuerySubject,
    /// Which date `from`/`to` refer to.
    pub date_type: QueryDateType,
    /// Range start (KSeF allows at most 3 months).
    pub from: DateTime<Utc>,
    /// Range end, open if `None`.
    pub to: Option<DateTime<Utc>>,
    /// Seller NIP filter.
    pub seller_nip: Option<Nip>,
    /// Invoice number (`P_2`) filter.
    pub invoice_number: Option<String>,
    /// KSeF number filter.
    pub ksef_number: Option<KsefNumber>,
    /// Page index (0-based).
    pub page_offset: u32,
    /// Page size (10..=250).
    pub page_size: u32,
}

/// One invoice found by a metadata query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceMetadata {
    /// KSeF number.
    pub ksef_number: KsefNumber,
    /// `P_2`.
    pub invoice_number: String,
    /// `P_1`.
    pub issue_date: NaiveDate,
    /// Seller NIP.
    pub seller_nip: String,
    /// Accepted for processing.
    pub invoicing_date: DateTime<Utc>,
    /// KSeF number assigned.
    pub acquisition_date: DateTime<Utc>,
    /// SHA-256 of the invoice file.
    pub invoice_hash: Sha256B64,
    /// Online or offline.
    pub invoicing_mode: InvoicingMode,
}

/// A page of metadata results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataPage {
    /// Matches on this page.
    pub invoices: Vec<InvoiceMetadata>,
    /// More pages follow.
    pub has_more: bool,
    /// KSeF stopped at its 10 000-row limit; narrow the range.
    pub is_truncated: bool,
}

/// Operations on KSeF. Every method is one remote call (or, for `authenticate`, one flow);
/// none retries a non-idempotent request.
pub trait Ksef: Send + Sync {
    /// `GET /security/public-key-certificates`.
    fn public_keys(&self) -> impl Future<Output = KsefResult<Vec<PublicKeyCertificate>>> + Send;

    /// Token authentication end to end: challenge → encrypted token → poll status → redeem.
    fn authenticate(
        &self,
        context: &ContextIdentifier,
        ksef_token: &Secret,
        key: &EncryptionKey,
    ) -> impl Future<Output = KsefResult<AuthTokens>> + Send;

    /// XAdES authentication end to end: challenge → `AuthTokenRequest` signed by `signer` → poll
    /// status → redeem. Ports that cannot present certificates (test fakes) refuse it as permanent.
    fn authenticate_xades(
        &self,
        context: &ContextIdentifier,
        signer: &Signer,
    ) -> impl Future<Output = KsefResult<AuthTokens>> + Send {
        let _ = (context, signer);
        async {
            Err(KsefError::Permanent {
                remote: None,
                detail: "this KSeF port does not support XAdES authentication".into(),
            })
        }
    }

    /// `POST /auth/token/refresh`.
    fn refresh(
        &self,
        refresh_token: &Secret,
    ) -> impl Future<Output = KsefResult<AccessToken>> + Send;

    /// `POST /sessions/online`.
    fn open_online_session(
        &self,
        access: &Secret,
        form: FormCode,
        encryption: &EncryptionInfo,
    ) -> impl Future<Output = KsefResult<OpenedSession>> + Send;

    /// `POST /sessions/online/{ref}/invoices`; `mode` is the declared issuance mode (`offlineMode`).
    fn send_invoice(
        &self,
        access: &Secret,
        session: &SessionRef,
        invoice: &EncryptedInvoice,
        mode: InvoicingMode,
    ) -> impl Future<Output = KsefResult<InvoiceRef>> + Send;

    /// `POST /sessions/online/{ref}/close`.
    fn close_online_session(
        &self,
        access: &Secret,
        session: &SessionRef,
    ) -> impl Future<Output = KsefResult<()>> + Send;

    /// `POST /sessions/batch`.
    fn open_batch_session(
        &self,
        access: &Secret,
        form: FormCode,
        batch: &BatchFile,
        encryption: &EncryptionInfo,
        mode: InvoicingMode,
    ) -> impl Future<Output = KsefResult<OpenedBatch>> + Send;

    /// Uploads one encrypted part to its pre-signed URL (no `Authorization`).
    fn upload_part(
        &self,
        part: &PartUpload,
        bytes: &[u8],
    ) -> impl Future<Output = KsefResult<()>> + Send;

    /// `POST /sessions/batch/{ref}/close`.
    fn close_batch_session(
        &self,
        access: &Secret,
        session: &SessionRef,
    ) -> impl Future<Output = KsefResult<()>> + Send;

    /// `GET /sessions/{ref}`.
    fn session_status(
        &self,
        access: &Secret,
        session: &SessionRef,
    ) -> impl Future<Output = KsefResult<SessionStatus>> + Send;

    /// `GET /sessions/{ref}/invoices`.
    fn session_invoices(
        &self,
        access: &Secret,
        session: &SessionRef,
        page: &PageRequest,
    ) -> impl Future<Output = KsefResult<Page<InvoiceStatus>>> + Send;

    /// `GET /sessions/{ref}/invoices/failed`.
    fn session_failed_invoices(
        &self,
        access: &Secret,
        session: &SessionRef,
        page: &PageRequest,
    ) -> impl Future<Output = KsefResult<Page<InvoiceStatus>>> + Send;

    /// `GET /sessions/{ref}/invoices/{invoiceRef}`.
    fn invoice_status(
        &self,
        access: &Secret,
        session: &SessionRef,
        invoice: &InvoiceRef,
    ) -> impl Future<Output = KsefResult<InvoiceStatus>> + Send;

    /// Per-invoice UPO through the API, hash-checked.
    fn invoice_upo(
        &self,
        access: &Secret,
        session: &SessionRef,
        which: &UpoSelector,
    ) -> impl Future<Output = KsefResult<Downloaded>> + Send;

    /// `GET /sessions/{ref}/upo/{upoRef}`, hash-checked.
    fn session_upo_page(
        &self,
        access: &Secret,
        session: &SessionRef,
        upo: &ReferenceNumber,
    ) -> impl Future<Output = KsefResult<Downloaded>> + Send;

    /// `GET` of a pre-signed URL (UPO page, per-invoice UPO), no `Authorization`, hash-checked.
    fn download_presigned(&self, url: &Url) -> impl Future<Output = KsefResult<Downloaded>> + Send;

    /// `POST /invoices/query/metadata`.
    fn query_invoice_metadata(
        &self,
        access: &Secret,
        query: &MetadataQuery,
    ) -> impl Future<Output = KsefResult<MetadataPage>> + Send;

    /// `GET /rate-limits`.
    fn rate_limits(&self, access: &Secret) -> impl Future<Output = KsefResult<RateLimits>> + Send;

    /// `GET /limits/context`.
    fn context_limits(
        &self,
        access: &Secret,
    ) -> impl Future<Output = KsefResult<ContextLimits>> + Send;
}
