//! HTTP adapter: implements [`Ksef`] over the KSeF 2.0 REST API with reqwest (rustls).
//!
//! Every API request carries `X-Error-Format: problem-details`; pre-signed URLs get exactly the
//! headers KSeF returned and never `Authorization`. No request is retried here: retry policy
//! belongs to the engine, which knows whether a retry could duplicate an invoice.

mod dto;
mod errors;
mod warning;

use std::sync::Arc;
use std::time::Duration;

use chrono::DateTime;

use reqwest::{Method, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use url::Url;

pub use errors::RETRY_AFTER_DEFAULT_S;
pub use warning::{parse_system_warnings, SystemWarning};

use crate::batch::BatchFile;
use crate::crypto::{
    encrypt_ksef_token, EncryptedInvoice, EncryptionInfo, EncryptionKey, PublicKeyCertificate,
};
use crate::environment::Environment;
use crate::error::{KsefError, KsefResult, Operation, RemoteCode};
use crate::form::FormCode;
use crate::hash::verify_meta_hash;
use crate::ids::{ContextIdentifier, InvoiceRef, ReferenceNumber, SessionRef};
use crate::limits::{ContextLimits, RateLimits};
use crate::port::{
    AccessToken, AuthTokens, Downloaded, Ksef, MetadataPage, MetadataQuery, OpenedBatch,
    OpenedSession, PartUpload, UpoSelector,
};
use crate::secret::Secret;
use crate::status::{InvoiceStatus, InvoicingMode, Page, PageRequest, SessionStatus};
use crate::xades::{signed_auth_request, Signer};

/// Header that asks KSeF for problem-details error bodies.
const ERROR_FORMAT_HEADER: &str = "X-Error-Format";
/// Header with non-blocking notices on successful responses.
const SYSTEM_WARNING_HEADER: &str = "X-System-Warning";
/// Header carrying the Base64 SHA-256 of a downloaded document.
const META_HASH_HEADER: &str = "x-ms-meta-hash";
/// Request header carrying a list continuation token.
const CONTINUATION_HEADER: &str = "x-continuation-token";
/// Authentication status while KSeF is still verifying.
const AUTH_IN_PROGRESS: i32 = 100;
/// Authentication status on success.
const AUTH_SUCCEEDED: i32 = 200;

/// Adapter settings.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Which KSeF to call.
    pub environment: Environment,
    /// Whole-request timeout (connect + send + response).
    pub request_timeout: Duration,
    /// TCP/TLS connect timeout.
    pub connect_timeout: Duration,
    /// Pause between authentication status polls.
    pub auth_poll_interval: Duration,
    /// Status polls before giving up on an authentication that stays "in progress".
    pub auth_poll_attempts_max: u32,
}

impl HttpConfig {
    /// Defaults: 60 s requests, 10 s connect, polls every 1 s for up to 120 s.
    pub fn new(environment: Environment) -> Self {
        Self {
            environment,
            request_timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            auth_poll_interval: Duration::from_secs(1),
            auth_poll_attempts_max: 120,
        }
    }
}

type WarningSink = Arc<dyn Fn(Operation, SystemWarning) + Send + Sync>;

/// The real KSeF client.
#[derive(Clone)]
pub struct HttpKsef {
    client: reqwest::Client,
    base: Url,
    config: HttpConfig,
    warnings: Option<WarningSink>,
}

impl std::fmt::Debug for HttpKsef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpKsef")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

impl HttpKsef {
    /// Builds the client (rustls, timeouts from `config`).
    pub fn new(config: HttpConfig) -> KsefResult<Self> {
        let client = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("ksef-desk/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| KsefError::Permanent {
                remote: None,
                detail: format!("cannot build HTTP client: {e}"),
            })?;
        Ok(Self {
            client,
            base: config.environment.api_base(),
            config,
            warnings: None,
        })
    }

    /// Delivers every `X-System-Warning` entry to `sink`, tagged with the call it came with.
    pub fn with_warning_sink(
        mut self,
        sink: impl Fn(Operation, SystemWarning) + Send + Sync + 'static,
    ) -> Self {
        self.warnings = Some(Arc::new(sink));
        self
    }

    fn url(&self, path: &str) -> KsefResult<Url> {
        self.base.join(path).map_err(|e| KsefError::Permanent {
            remote: None,
            detail: format!("cannot build URL for {path}: {e}"),
        })
    }

    fn api(&self, method: Method, path: &str) -> KsefResult<RequestBuilder> {
        Ok(self
            .client
            .request(method, self.url(path)?)
            .header(ERROR_FORMAT_HEADER, "problem-details"))
    }

    /// Sends and classifies failures; on success surfaces system warnings.
    async fn send(&self, operation: Operation, request: RequestBuilder) -> KsefResult<Response> {
        let response = request
            .send()
            .await
            .map_err(|e| errors::transport(operation, e))?;
        let status = response.status();
        if status.is_success() {
            self.report_warnings(operation, &response);
            return Ok(response);
        }
        let retry_after = header(&response, reqwest::header::RETRY_AFTER.as_str());
        let body = response
            .bytes()
            .await
            .map_err(|e| errors::transport(operation, e))?;
        Err(errors::from_response(
            operation,
            status,
            retry_after.as_deref(),
            &body,
        ))
    }

    fn report_warnings(&self, operation: Operation, response: &Response) {
        if let (Some(sink), Some(value)) = (&self.warnings, header(response, SYSTEM_WARNING_HEADER))
        {
            for warning in parse_system_warnings(&value) {
                sink(operation, warning);
            }
        }
    }

    async fn json<T: DeserializeOwned>(
        &self,
        operation: Operation,
        request: RequestBuilder,
    ) -> KsefResult<T> {
        let body = self
            .send(operation, request)
            .await?
            .bytes()
            .await
            .map_err(|e| errors::transport(operation, e))?;
        serde_json::from_slice(&body).map_err(|e| unexpected(operation, e))
    }

    async fn no_content(&self, operation: Operation, request: RequestBuilder) -> KsefResult<()> {
        self.send(operation, request).await.map(drop)
    }

    async fn download(
        &self,
        operation: Operation,
        request: RequestBuilder,
    ) -> KsefResult<Downloaded> {
        let response = self.send(operation, request).await?;
        let announced = header(&response, META_HASH_HEADER);
        let bytes = response
            .bytes()
            .await
            .map_err(|e| errors::transport(operation, e))?
            .to_vec();
        let hash =
            verify_meta_hash(&bytes, announced.as_deref()).map_err(|e| KsefError::Transient {
                remote: None,
                detail: e.to_string(),
            })?;
        Ok(Downloaded { bytes, hash })
    }

    async fn invoices_page(
        &self,
        access: &Secret,
        path: String,
        page: &PageRequest,
    ) -> KsefResult<Page<InvoiceStatus>> {
        let mut request = self
            .api(Method::GET, &path)?
            .bearer_auth(access.expose())
            .query(&[("pageSize", page.page_size)]);
        if let Some(token) = &page.continuation {
            request = request.header(CONTINUATION_HEADER, token);
        }
        let dto: dto::SessionInvoicesResponse =
            self.json(Operation::SessionInvoices, request).await?;
        convert(Operation::SessionInvoices, dto)
    }

    /// Polls an initiated authentication to success and redeems its tokens.
    async fn complete_authentication(
        &self,
        op: Operation,
        init: dto::AuthInitResponse,
    ) -> KsefResult<AuthTokens> {
        let reference =
            ReferenceNumber::parse(&init.reference_number).map_err(|e| unexpected(op, e))?;
        let auth_token = Secret::new(init.authentication_token.token);
        self.wait_for_authentication(reference.as_str(), &auth_token)
            .await?;
        let request = self
            .api(Method::POST, "auth/token/redeem")?
            .bearer_auth(auth_token.expose());
        let tokens: dto::TokensResponse =
            self.json(Operation::Redeem, request)
                .await
                .map_err(|e| match e {
                    // A lost redeem only wastes this authentication operation; a new flow with a fresh
                    // challenge is independent of it, so for the caller this is simply worth retrying.
                    KsefError::OutcomeUnknown { detail, .. } => KsefError::Transient {
                        remote: None,
                        detail,
                    },
                    other => other,
                })?;
        Ok(tokens.into())
    }

    async fn wait_for_authentication(&self, reference: &str, token: &Secret) -> KsefResult<()> {
        for attempt in 0..self.config.auth_poll_attempts_max {
            if attempt > 0 {
                tokio::time::sleep(self.config.auth_poll_interval).await;
            }
            let request = self
                .api(Method::GET, &format!("auth/{reference}"))?
                .bearer_auth(token.expose());
            let status: dto::AuthStatusResponse = self.json(Operation::AuthStatus, request).await?;
            match status.status.code {
                AUTH_IN_PROGRESS => continue,
                AUTH_SUCCEEDED => return Ok(()),
                code => return Err(auth_failure(code, status.status.description)),
            }
        }
        Err(KsefError::Transient {
            remote: None,
            detail: "authentication still in progress after polling".into(),
        })
    }
}

fn header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// A success answer we cannot read: for creating calls something may now exist that we cannot
/// name, so the outcome is unknown; otherwise it is a protocol mismatch needing a fix.
fn unexpected(operation: Operation, what: impl std::fmt::Display) -> KsefError {
    let detail = format!("unexpected KSeF response: {what}");
    if operation.is_idempotent() {
        KsefError::Permanent {
            remote: None,
            detail,
        }
    } else {
        KsefError::OutcomeUnknown { operation, detail }
    }
}

fn convert<D, T: TryFrom<D, Error = dto::Unexpected>>(
    operation: Operation,
    dto: D,
) -> KsefResult<T> {
    T::try_from(dto).map_err(|e| unexpected(operation, e.0))
}

/// Authentication ended with a failure status: 500/550 may pass on retry, the rest need a human.
fn auth_failure(code: i32, description: String) -> KsefError {
    let remote = Some(RemoteCode::Auth(code));
    match code {
        500 | 550 => KsefError::Transient {
            remote,
            detail: description,
        },
        _ => KsefError::Permanent {
            remote,
            detail: description,
        },
    }
}

fn upo_path(session: &SessionRef, which: &UpoSelector) -> String {
    match which {
        UpoSelector::Invoice(invoice) => format!("sessions/{session}/invoices/{invoice}/upo"),
        UpoSelector::KsefNumber(number) => format!("sessions/{session}/invoices/ksef/{number}/upo"),
    }
}

impl Ksef for HttpKsef {
    async fn public_keys(&self) -> KsefResult<Vec<PublicKeyCertificate>> {
        let op = Operation::PublicKeys;
        let dtos: Vec<dto::PublicKeyCertificateDto> = self
            .json(
                op,
                self.api(Method::GET, "security/public-key-certificates")?,
            )
            .await?;
        dtos.into_iter().map(|d| convert(op, d)).collect()
    }

    async fn authenticate(
        &self,
        context: &ContextIdentifier,
        ksef_token: &Secret,
        key: &EncryptionKey,
    ) -> KsefResult<AuthTokens> {
        let challenge: dto::ChallengeResponse = self
            .json(
                Operation::Challenge,
                self.api(Method::POST, "auth/challenge")?,
            )
            .await?;
        let encrypted_token = encrypt_ksef_token(
            key,
            ksef_token,
            challenge.timestamp_ms,
            &mut rand::rngs::OsRng,
        )
        .map_err(|e| KsefError::Permanent {
            remote: None,
            detail: e.to_string(),
        })?;
        let body = dto::InitTokenAuthRequest {
            challenge: challenge.challenge,
            context_identifier: context.into(),
            encrypted_token,
            public_key_id: key.public_key_id().to_owned(),
        };
        let init: dto::AuthInitResponse = self
            .json(
                Operation::InitTokenAuth,
                self.api(Method::POST, "auth/ksef-token")?.json(&body),
            )
            .await?;
        self.complete_authentication(Operation::InitTokenAuth, init)
            .await
    }

    async fn authenticate_xades(
        &self,
        context: &ContextIdentifier,
        signer: &Signer,
    ) -> KsefResult<AuthTokens> {
        let op = Operation::InitXadesAuth;
        let challenge: dto::ChallengeResponse = self
            .json(
                Operation::Challenge,
                self.api(Method::POST, "auth/challenge")?,
            )
            .await?;
        // KSeF's own clock dates the signature: the challenge is only valid near that instant anyway.
        let signing_time = DateTime::from_timestamp_millis(challenge.timestamp_ms)
            .ok_or_else(|| unexpected(Operation::Challenge, "timestampMs out of range"))?;
        let document = signed_auth_request(&challenge.challenge, context, signer, signing_time)
            .map_err(|e| KsefError::Permanent {
                remote: None,
                detail: e.to_string(),
            })?;
        let request = self
            .api(Method::POST, "auth/xades-signature")?
            .header(reqwest::header::CONTENT_TYPE, "application/xml")
            .body(document);
        let init: dto::AuthInitResponse = self.json(op, request).await?;
        self.complete_authentication(op, init).await
    }

    async fn refresh(&self, refresh_token: &Secret) -> KsefResult<AccessToken> {
        let request = self
            .api(Method::POST, "auth/token/refresh")?
            .bearer_auth(refresh_token.expose());
        let response: dto::RefreshResponse = self.json(Operation::Refresh, request).await?;
        Ok(response.into())
    }

    async fn open_online_session(
        &self,
        access: &Secret,
        form: FormCode,
        encryption: &EncryptionInfo,
    ) -> KsefResult<OpenedSession> {
        let op = Operation::OpenOnlineSession;
        let body = dto::OpenOnlineSessionRequest {
            form_code: form.into(),
            encryption: encryption.into(),
        };
        let request = self
            .api(Method::POST, "sessions/online")?
            .bearer_auth(access.expose())
            .json(&body);
        let response: dto::OpenOnlineSessionResponse = self.json(op, request).await?;
        convert(op, response)
    }

    async fn send_invoice(
        &self,
        access: &Secret,
        session: &SessionRef,
        invoice: &EncryptedInvoice,
        mode: InvoicingMode,
    ) -> KsefResult<InvoiceRef> {
        let op = Operation::SendInvoice;
        let body = dto::SendInvoiceRequest::new(invoice, mode);
        let request = self
            .api(Method::POST, &format!("sessions/online/{session}/invoices"))?
            .bearer_auth(access.expose())
            .json(&body);
        let response: dto::ReferenceResponse = self.json(op, request).await?;
        convert(op, response)
    }

    async fn close_online_session(&self, access: &Secret, session: &SessionRef) -> KsefResult<()> {
        let request = self
            .api(Method::POST, &format!("sessions/online/{session}/close"))?
            .bearer_auth(access.expose());
        self.no_content(Operation::CloseOnlineSession, request)
            .await
    }

    async fn open_batch_session(
        &self,
        access: &Secret,
        form: FormCode,
        batch: &BatchFile,
        encryption: &EncryptionInfo,
        mode: InvoicingMode,
    ) -> KsefResult<OpenedBatch> {
        let op = Operation::OpenBatchSession;
        let body = dto::OpenBatchSessionRequest {
            form_code: form.into(),
            batch_file: batch.into(),
            encryption: encryption.into(),
            offline_mode: mode == InvoicingMode::Offline,
        };
        let request = self
            .api(Method::POST, "sessions/batch")?
            .bearer_auth(access.expose())
            .json(&body);
        let response: dto::OpenBatchSessionResponse = self.json(op, request).await?;
        convert(op, response)
    }

    async fn upload_part(&self, part: &PartUpload, bytes: &[u8]) -> KsefResult<()> {
        let op = Operation::UploadPart;
        let invalid = |what: &str| KsefError::Permanent {
            remote: None,
            detail: format!("invalid part upload {what}"),
        };
        let method = Method::from_bytes(part.method.as_bytes()).map_err(|_| invalid("method"))?;
        let mut request = self.client.request(method, part.url.clone());
        for (name, value) in &part.headers {
            let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| invalid("header name"))?;
            let value = reqwest::header::HeaderValue::from_str(value)
                .map_err(|_| invalid("header value"))?;
            request = request.header(name, value);
        }
        self.no_content(op, request.body(bytes.to_vec())).await
    }

    async fn close_batch_session(&self, access: &Secret, session: &SessionRef) -> KsefResult<()> {
        let request = self
            .api(Method::POST, &format!("sessions/batch/{session}/close"))?
            .bearer_auth(access.expose());
        self.no_content(Operation::CloseBatchSession, request).await
    }

    async fn session_status(
        &self,
        access: &Secret,
        session: &SessionRef,
    ) -> KsefResult<SessionStatus> {
        let op = Operation::SessionStatus;
        let request = self
            .api(Method::GET, &format!("sessions/{session}"))?
            .bearer_auth(access.expose());
        let response: dto::SessionStatusResponse = self.json(op, request).await?;
        convert(op, response)
    }

    async fn session_invoices(
        &self,
        access: &Secret,
        session: &SessionRef,
        page: &PageRequest,
    ) -> KsefResult<Page<InvoiceStatus>> {
        self.invoices_page(access, format!("sessions/{session}/invoices"), page)
            .await
    }

    async fn session_failed_invoices(
        &self,
        access: &Secret,
        session: &SessionRef,
        page: &PageRequest,
    ) -> KsefResult<Page<InvoiceStatus>> {
        self.invoices_page(access, format!("sessions/{session}/invoices/failed"), page)
            .await
    }

    async fn invoice_status(
        &self,
        access: &Secret,
        session: &SessionRef,
        invoice: &InvoiceRef,
    ) -> KsefResult<InvoiceStatus> {
        let op = Operation::InvoiceStatus;
        let request = self
            .api(
                Method::GET,
                &format!("sessions/{session}/invoices/{invoice}"),
            )?
            .bearer_auth(access.expose());
        let response: dto::InvoiceStatusDto = self.json(op, request).await?;
        convert(op, response)
    }

    async fn invoice_upo(
        &self,
        access: &Secret,
        session: &SessionRef,
        which: &UpoSelector,
    ) -> KsefResult<Downloaded> {
        let request = self
            .api(Method::GET, &upo_path(session, which))?
            .bearer_auth(access.expose());
        self.download(Operation::Upo, request).await
    }

    async fn session_upo_page(
        &self,
        access: &Secret,
        session: &SessionRef,
        upo: &ReferenceNumber,
    ) -> KsefResult<Downloaded> {
        let request = self
            .api(Method::GET, &format!("sessions/{session}/upo/{upo}"))?
            .bearer_auth(access.expose());
        self.download(Operation::Upo, request).await
    }

    async fn download_presigned(&self, url: &Url) -> KsefResult<Downloaded> {
        self.download(Operation::DownloadPresigned, self.client.get(url.clone()))
            .await
    }

    async fn query_invoice_metadata(
        &self,
        access: &Secret,
        query: &MetadataQuery,
    ) -> KsefResult<MetadataPage> {
        let op = Operation::QueryMetadata;
        let body = dto::InvoiceQueryFiltersDto::from(query);
        let request = self
            .api(Method::POST, "invoices/query/metadata")?
            .bearer_auth(access.expose())
            .query(&[
                ("pageOffset", query.page_offset),
                ("pageSize", query.page_size),
            ])
            .json(&body);
        let response: dto::QueryMetadataResponse = self.json(op, request).await?;
        convert(op, response)
    }

    async fn rate_limits(&self, access: &Secret) -> KsefResult<RateLimits> {
        let op = Operation::RateLimits;
        let response: dto::RateLimitsResponse = self
            .json(
                op,
                self.api(Method::GET, "rate-limits")?
                    .bearer_auth(access.expose()),
            )
            .await?;
        convert(op, response)
    }

    async fn context_limits(&self, access: &Secret) -> KsefResult<ContextLimits> {
        let response: dto::ContextLimitsResponse = self
            .json(
                Operation::ContextLimits,
                self.api(Method::GET, "limits/context")?
                    .bearer_auth(access.expose()),
            )
            .await?;
        Ok(response.into())
    }
}
