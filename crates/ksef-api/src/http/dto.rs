//! Wire DTOs of the KSeF REST API (camelCase JSON) and their explicit conversions to and from
//! domain types. Nothing outside `http` sees these types.

use std::collections::BTreeMap;

use base64::{engine::general_purpose::STANDARD, Engine};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::batch::{BatchFile, Compression};
use crate::crypto::{EncryptedInvoice, EncryptionInfo, KeyUsage, PublicKeyCertificate};
use crate::form::FormCode;
use crate::hash::Sha256B64;
use crate::ids::{ContextIdentifier, InvoiceRef, ReferenceNumber, SessionRef};
use crate::ksef_number::KsefNumber;
use crate::limits::{ContextLimits, RateLimit, RateLimits, SessionLimits};
use crate::port::{
    AccessToken, AuthTokens, InvoiceMetadata, MetadataPage, MetadataQuery, OpenedBatch,
    OpenedSession, PartUpload, QueryDateType, QuerySubject,
};
use crate::status::{
    DuplicateOf, InvoiceProcessing, InvoiceStatus, InvoicingMode, Page, PresignedUrl,
    SessionStatus, UpoPage,
};

/// A response that does not fit the domain (wrong shape or values); the caller decides its class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unexpected(pub String);

fn unexpected(what: impl std::fmt::Display) -> Unexpected {
    Unexpected(what.to_string())
}

/// Timestamps: KSeF sends RFC 3339 with an offset; offset-less values are read as UTC.
mod ksef_time {
    use chrono::{DateTime, NaiveDateTime, Utc};
    use serde::{Deserialize, Deserializer};

    pub fn parse(text: &str) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .or_else(|_| {
                NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").map(|t| t.and_utc())
            })
            .ok()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        parse(&text).ok_or_else(|| serde::de::Error::custom(format!("invalid timestamp {text:?}")))
    }

    pub mod option {
        use super::*;

        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<DateTime<Utc>>, D::Error> {
            match Option::<String>::deserialize(d)? {
                None => Ok(None),
                Some(text) => parse(&text)
                    .map(Some)
                    .ok_or_else(|| serde::de::Error::custom(format!("invalid timestamp {text:?}"))),
            }
        }
    }
}

fn reference(value: &str) -> Result<ReferenceNumber, Unexpected> {
    ReferenceNumber::parse(value).map_err(unexpected)
}

// ---- requests ----

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FormCodeDto {
    system_code: &'static str,
    schema_version: &'static str,
    value: &'static str,
}

impl From<FormCode> for FormCodeDto {
    fn from(form: FormCode) -> Self {
        Self {
            system_code: form.system_code(),
            schema_version: form.schema_version(),
            value: form.value(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EncryptionDto {
    encrypted_symmetric_key: String,
    initialization_vector: String,
    public_key_id: String,
}

impl From<&EncryptionInfo> for EncryptionDto {
    fn from(info: &EncryptionInfo) -> Self {
        Self {
            encrypted_symmetric_key: STANDARD.encode(&info.encrypted_symmetric_key),
            initialization_vector: STANDARD.encode(info.initialization_vector),
            public_key_id: info.public_key_id.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ContextIdentifierDto {
    #[serde(rename = "type")]
    kind: &'static str,
    value: String,
}

impl From<&ContextIdentifier> for ContextIdentifierDto {
    fn from(context: &ContextIdentifier) -> Self {
        Self {
            kind: context.kind(),
            value: context.value().to_owned(),
        }
    }
}

/// `POST /auth/ksef-token`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InitTokenAuthRequest {
    pub challenge: String,
    pub context_identifier: ContextIdentifierDto,
    pub encrypted_token: String,
    pub public_key_id: String,
}

/// `POST /sessions/online`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenOnlineSessionRequest {
    pub form_code: FormCodeDto,
    pub encryption: EncryptionDto,
}

/// `POST /sessions/online/{ref}/invoices`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SendInvoiceRequest {
    invoice_hash: String,
    invoice_size: u64,
    encrypted_invoice_hash: String,
    encrypted_invoice_size: u64,
    encrypted_invoice_content: String,
    offline_mode: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    hash_of_corrected_invoice: Option<String>,
}

impl SendInvoiceRequest {
    pub fn new(invoice: &EncryptedInvoice, mode: InvoicingMode) -> Self {
        Self {
            invoice_hash: invoice.invoice_hash.as_str().to_owned(),
            invoice_size: invoice.invoice_size,
            encrypted_invoice_hash: invoice.encrypted_hash.as_str().to_owned(),
            encrypted_invoice_size: invoice.encrypted_size,
            encrypted_invoice_content: STANDARD.encode(&invoice.content),
            offline_mode: mode == InvoicingMode::Offline,
            hash_of_corrected_invoice: invoice
                .hash_of_corrected_invoice
                .as_ref()
                .map(|h| h.as_str().to_owned()),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchFileDto {
    file_size: u64,
    file_hash: String,
    // Omitted for ZIP: it is the documented default and older servers predate the field.
    #[serde(skip_serializing_if = "Option::is_none")]
    compression_type: Option<&'static str>,
    file_parts: Vec<BatchFilePartDto>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchFilePartDto {
    ordinal_number: u32,
    file_size: u64,
    file_hash: String,
}

impl From<&BatchFile> for BatchFileDto {
    fn from(file: &BatchFile) -> Self {
        Self {
            file_size: file.size,
            file_hash: file.hash.as_str().to_owned(),
            compression_type: match file.compression {
                Compression::Zip => None,
                Compression::TarGz => Some("TarGz"),
            },
            file_parts: file
                .parts
                .iter()
                .map(|p| BatchFilePartDto {
                    ordinal_number: p.ordinal,
                    file_size: p.size,
                    file_hash: p.hash.as_str().to_owned(),
                })
                .collect(),
        }
    }
}

/// `POST /sessions/batch`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenBatchSessionRequest {
    pub form_code: FormCodeDto,
    pub batch_file: BatchFileDto,
    pub encryption: EncryptionDto,
    pub offline_mode: bool,
}

/// `POST /invoices/query/metadata` body.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceQueryFiltersDto {
    subject_type: &'static str,
    date_range: DateRangeDto,
    #[serde(skip_serializing_if = "Option::is_none")]
    ksef_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    invoice_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seller_nip: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DateRangeDto {
    date_type: &'static str,
    from: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<String>,
}

impl From<&MetadataQuery> for InvoiceQueryFiltersDto {
    fn from(q: &MetadataQuery) -> Self {
        let time = |t: &DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        Self {
            subject_type: match q.subject {
                QuerySubject::Seller => "Subject1",
                QuerySubject::Buyer => "Subject2",
                QuerySubject::ThirdParty => "Subject3",
                QuerySubject::Authorized => "SubjectAuthorized",
            },
            date_range: DateRangeDto {
                date_type: match q.date_type {
                    QueryDateType::Issue => "Issue",
                    QueryDateType::Invoicing => "Invoicing",
                    QueryDateType::PermanentStorage => "PermanentStorage",
                },
                from: time(&q.from),
                to: q.to.as_ref().map(time),
            },
            ksef_number: q.ksef_number.as_ref().map(|k| k.as_str().to_owned()),
            invoice_number: q.invoice_number.clone(),
            seller_nip: q.seller_nip.as_ref().map(|n| n.as_str().to_owned()),
        }
    }
}

// ---- responses ----

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChallengeResponse {
    pub challenge: String,
    pub timestamp_ms: i64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenInfoDto {
    pub token: String,
    #[serde(with = "ksef_time")]
    pub valid_until: DateTime<Utc>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthInitResponse {
    pub reference_number: String,
    pub authentication_token: TokenInfoDto,
}

#[derive(Debug, Deserialize)]
pub struct StatusDto {
    pub code: i32,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub details: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
pub struct AuthStatusResponse {
    pub status: StatusDto,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokensResponse {
    access_token: TokenInfoDto,
    refresh_token: TokenInfoDto,
}

impl From<TokensResponse> for AuthTokens {
    fn from(r: TokensResponse) -> Self {
        Self {
            access: crate::Secret::new(r.access_token.token),
            access_valid_until: r.access_token.valid_until,
            refresh: crate::Secret::new(r.refresh_token.token),
            refresh_valid_until: r.refresh_token.valid_until,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshResponse {
    access_token: TokenInfoDto,
}

impl From<RefreshResponse> for AccessToken {
    fn from(r: RefreshResponse) -> Self {
        Self {
            token: crate::Secret::new(r.access_token.token),
            valid_until: r.access_token.valid_until,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKeyCertificateDto {
    certificate: String,
    #[serde(with = "ksef_time")]
    valid_from: DateTime<Utc>,
    #[serde(with = "ksef_time")]
    valid_to: DateTime<Utc>,
    #[serde(default)]
    usage: Vec<String>,
}

impl TryFrom<PublicKeyCertificateDto> for PublicKeyCertificate {
    type Error = Unexpected;
    fn try_from(d: PublicKeyCertificateDto) -> Result<Self, Unexpected> {
        Ok(Self {
            der: STANDARD
                .decode(d.certificate.trim())
                .map_err(|e| unexpected(format!("certificate: {e}")))?,
            valid_from: d.valid_from,
            valid_to: d.valid_to,
            // Unknown usages are ignored: new ones must not break key selection.
            usage: d
                .usage
                .iter()
                .filter_map(|u| match u.as_str() {
                    "KsefTokenEncryption" => Some(KeyUsage::KsefTokenEncryption),
                    "SymmetricKeyEncryption" => Some(KeyUsage::SymmetricKeyEncryption),
                    _ => None,
                })
                .collect(),
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenOnlineSessionResponse {
    reference_number: String,
    #[serde(with = "ksef_time")]
    valid_until: DateTime<Utc>,
}

impl TryFrom<OpenOnlineSessionResponse> for OpenedSession {
    type Error = Unexpected;
    fn try_from(r: OpenOnlineSessionResponse) -> Result<Self, Unexpected> {
        Ok(Self {
            session: SessionRef(reference(&r.reference_number)?),
            valid_until: r.valid_until,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferenceResponse {
    reference_number: String,
}

impl TryFrom<ReferenceResponse> for InvoiceRef {
    type Error = Unexpected;
    fn try_from(r: ReferenceResponse) -> Result<Self, Unexpected> {
        Ok(InvoiceRef(reference(&r.reference_number)?))
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenBatchSessionResponse {
    reference_number: String,
    part_upload_requests: Vec<PartUploadDto>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PartUploadDto {
    ordinal_number: u32,
    method: String,
    url: String,
    #[serde(default)]
    headers: BTreeMap<String, Option<String>>,
}

impl TryFrom<OpenBatchSessionResponse> for OpenedBatch {
    type Error = Unexpected;
    fn try_from(r: OpenBatchSessionResponse) -> Result<Self, Unexpected> {
        let parts = r
            .part_upload_requests
            .into_iter()
            .map(|p| {
                Ok(PartUpload {
                    ordinal: p.ordinal_number,
                    method: p.method,
                    url: Url::parse(&p.url)
                        .map_err(|e| unexpected(format!("part upload URL: {e}")))?,
                    headers: p
                        .headers
                        .into_iter()
                        .map(|(k, v)| (k, v.unwrap_or_default()))
                        .collect(),
                })
            })
            .collect::<Result<Vec<_>, Unexpected>>()?;
        Ok(Self {
            session: SessionRef(reference(&r.reference_number)?),
            parts,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionStatusResponse {
    status: StatusDto,
    #[serde(with = "ksef_time")]
    date_created: DateTime<Utc>,
    #[serde(with = "ksef_time")]
    date_updated: DateTime<Utc>,
    #[serde(default, with = "ksef_time::option")]
    valid_until: Option<DateTime<Utc>>,
    upo: Option<UpoDto>,
    invoice_count: Option<u32>,
    successful_invoice_count: Option<u32>,
    failed_invoice_count: Option<u32>,
}

#[derive(Debug, Deserialize)]
struct UpoDto {
    pages: Vec<UpoPageDto>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpoPageDto {
    reference_number: String,
    download_url: String,
    #[serde(with = "ksef_time")]
    download_url_expiration_date: DateTime<Utc>,
}

fn presigned(url: &str, expires_at: DateTime<Utc>) -> Result<PresignedUrl, Unexpected> {
    // The URL itself is a credential: report only that it was malformed.
    Ok(PresignedUrl {
        url: Url::parse(url).map_err(|_| unexpected("malformed pre-signed URL"))?,
        expires_at,
    })
}

impl TryFrom<SessionStatusResponse> for SessionStatus {
    type Error = Unexpected;
    fn try_from(r: SessionStatusResponse) -> Result<Self, Unexpected> {
        let upo_pages = r
            .upo
            .map(|u| u.pages)
            .unwrap_or_default()
            .into_iter()
            .map(|p| {
                Ok(UpoPage {
                    reference: reference(&p.reference_number)?,
                    download: presigned(&p.download_url, p.download_url_expiration_date)?,
                })
            })
            .collect::<Result<Vec<_>, Unexpected>>()?;
        Ok(Self {
            code: r.status.code,
            description: r.status.description,
            details: r.status.details.unwrap_or_default(),
            created_at: r.date_created,
            updated_at: r.date_updated,
            valid_until: r.valid_until,
            upo_pages,
            invoice_count: r.invoice_count,
            successful_invoice_count: r.successful_invoice_count,
            failed_invoice_count: r.failed_invoice_count,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInvoicesResponse {
    continuation_token: Option<String>,
    invoices: Vec<InvoiceStatusDto>,
}

impl TryFrom<SessionInvoicesResponse> for Page<InvoiceStatus> {
    type Error = Unexpected;
    fn try_from(r: SessionInvoicesResponse) -> Result<Self, Unexpected> {
        Ok(Page {
            items: r
                .invoices
                .into_iter()
                .map(InvoiceStatus::try_from)
                .collect::<Result<_, _>>()?,
            continuation: r.continuation_token.filter(|t| !t.is_empty()),
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceStatusDto {
    ordinal_number: u32,
    invoice_number: Option<String>,
    ksef_number: Option<String>,
    reference_number: String,
    invoice_hash: String,
    invoice_file_name: Option<String>,
    #[serde(default, with = "ksef_time::option")]
    acquisition_date: Option<DateTime<Utc>>,
    #[serde(with = "ksef_time")]
    invoicing_date: DateTime<Utc>,
    #[serde(default, with = "ksef_time::option")]
    permanent_storage_date: Option<DateTime<Utc>>,
    upo_download_url: Option<String>,
    #[serde(default, with = "ksef_time::option")]
    upo_download_url_expiration_date: Option<DateTime<Utc>>,
    invoicing_mode: Option<String>,
    status: InvoiceStatusInfoDto,
}

#[derive(Debug, Deserialize)]
struct InvoiceStatusInfoDto {
    code: i32,
    #[serde(default)]
    description: String,
    details: Option<Vec<String>>,
    extensions: Option<BTreeMap<String, Option<String>>>,
}

fn invoicing_mode(text: &str) -> Result<InvoicingMode, Unexpected> {
    match text {
        "Online" => Ok(InvoicingMode::Online),
        "Offline" => Ok(InvoicingMode::Offline),
        other => Err(unexpected(format!("invoicing mode {other:?}"))),
    }
}

impl TryFrom<InvoiceStatusDto> for InvoiceStatus {
    type Error = Unexpected;
    fn try_from(d: InvoiceStatusDto) -> Result<Self, Unexpected> {
        let extensions: BTreeMap<String, String> = d
            .status
            .extensions
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect();
        let duplicate_of = (extensions.contains_key("originalKsefNumber")
            || extensions.contains_key("originalSessionReferenceNumber"))
        .then(|| DuplicateOf {
            ksef_number: extensions.get("originalKsefNumber").cloned(),
            session: extensions.get("originalSessionReferenceNumber").cloned(),
        });
        let upo_download = match (d.upo_download_url, d.upo_download_url_expiration_date) {
            (Some(url), Some(expires)) => Some(presigned(&url, expires)?),
            _ => None,
        };
        Ok(Self {
            ordinal: d.ordinal_number,
            invoice_ref: InvoiceRef(reference(&d.reference_number)?),
            invoice_number: d.invoice_number,
            ksef_number: d
                .ksef_number
                .as_deref()
                .map(KsefNumber::parse)
                .transpose()
                .map_err(unexpected)?,
            invoice_hash: Sha256B64::parse(&d.invoice_hash).map_err(unexpected)?,
            file_name: d.invoice_file_name,
            acquisition_date: d.acquisition_date,
            invoicing_date: d.invoicing_date,
            permanent_storage_date: d.permanent_storage_date,
            upo_download,
            invoicing_mode: d
                .invoicing_mode
                .as_deref()
                .map(invoicing_mode)
                .transpose()?,
            status: InvoiceProcessing {
                code: d.status.code,
                description: d.status.description,
                details: d.status.details.unwrap_or_default(),
                duplicate_of,
                extensions,
            },
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryMetadataResponse {
    has_more: bool,
    is_truncated: bool,
    invoices: Vec<InvoiceMetadataDto>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct InvoiceMetadataDto {
    ksef_number: String,
    invoice_number: String,
    issue_date: NaiveDate,
    #[serde(with = "ksef_time")]
    invoicing_date: DateTime<Utc>,
    #[serde(with = "ksef_time")]
    acquisition_date: DateTime<Utc>,
    seller: SellerDto,
    invoice_hash: String,
    invoicing_mode: String,
}

#[derive(Debug, Deserialize)]
struct SellerDto {
    nip: String,
}

impl TryFrom<QueryMetadataResponse> for MetadataPage {
    type Error = Unexpected;
    fn try_from(r: QueryMetadataResponse) -> Result<Self, Unexpected> {
        let invoices = r
            .invoices
            .into_iter()
            .map(|d| {
                Ok(InvoiceMetadata {
                    ksef_number: KsefNumber::parse(&d.ksef_number).map_err(unexpected)?,
                    invoice_number: d.invoice_number,
                    issue_date: d.issue_date,
                    seller_nip: d.seller.nip,
                    invoicing_date: d.invoicing_date,
                    acquisition_date: d.acquisition_date,
                    invoice_hash: Sha256B64::parse(&d.invoice_hash).map_err(unexpected)?,
                    invoicing_mode: invoicing_mode(&d.invoicing_mode)?,
                })
            })
            .collect::<Result<Vec<_>, Unexpected>>()?;
        Ok(Self {
            invoices,
            has_more: r.has_more,
            is_truncated: r.is_truncated,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RateLimitDto {
    per_second: u32,
    per_minute: u32,
    per_hour: u32,
}

/// `GET /rate-limits`: one object per group key.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct RateLimitsResponse(BTreeMap<String, RateLimitDto>);

impl TryFrom<RateLimitsResponse> for RateLimits {
    type Error = Unexpected;
    fn try_from(r: RateLimitsResponse) -> Result<Self, Unexpected> {
        RateLimits::try_from_fn(|group| {
            let l =
                r.0.get(group.key())
                    .ok_or_else(|| unexpected(format!("rate limits lack group {}", group.key())))?;
            Ok(RateLimit {
                per_second: l.per_second,
                per_minute: l.per_minute,
                per_hour: l.per_hour,
            })
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContextLimitsResponse {
    online_session: SessionLimitsDto,
    batch_session: SessionLimitsDto,
}

#[derive(Debug, Deserialize)]
struct SessionLimitsDto {
    #[serde(rename = "maxInvoiceSizeInMB")]
    max_invoice_size_in_mb: u32,
    #[serde(rename = "maxInvoiceWithAttachmentSizeInMB")]
    max_invoice_with_attachment_size_in_mb: u32,
    #[serde(rename = "maxInvoices")]
    max_invoices: u32,
}

impl From<SessionLimitsDto> for SessionLimits {
    fn from(d: SessionLimitsDto) -> Self {
        Self {
            invoice_size_mb_max: d.max_invoice_size_in_mb,
            invoice_with_attachment_size_mb_max: d.max_invoice_with_attachment_size_in_mb,
            invoices_max: d.max_invoices,
        }
    }
}

impl From<ContextLimitsResponse> for ContextLimits {
    fn from(r: ContextLimitsResponse) -> Self {
        Self {
            online: r.online_session.into(),
            batch: r.batch_session.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_with_and_without_offset() {
        let with = ksef_time::parse("2025-07-11T12:23:56.0154302+02:00").unwrap();
        assert_eq!(with.to_rfc3339(), "2025-07-11T10:23:56.015430200+00:00");
        let without = ksef_time::parse("2025-10-11T12:23:56.0154302").unwrap();
        assert_eq!(without.to_rfc3339(), "2025-10-11T12:23:56.015430200+00:00");
        assert!(ksef_time::parse("yesterday").is_none());
    }

    #[test]
    fn duplicate_extensions_become_duplicate_of() {
        let json = r#"{"ordinalNumber":2,"invoiceNumber":"FV/1","referenceNumber":"20250625-EE-319D7EE000-B67F415CDC-2C",
            "invoiceHash":"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=","invoicingDate":"2025-07-11T12:23:56+00:00",
            "status":{"code":440,"description":"Duplikat faktury","details":["dup"],
            "extensions":{"originalSessionReferenceNumber":"20250626-SO-2F14610000-242991F8C9-B4","originalKsefNumber":"5265877635-20250626-010080DD2B5E-26","future":null}}}"#;
        let status =
            InvoiceStatus::try_from(serde_json::from_str::<InvoiceStatusDto>(json).unwrap())
                .unwrap();
        let dup = status.status.duplicate_of.clone().unwrap();
        assert_eq!(
            dup.ksef_number.as_deref(),
            Some("5265877635-20250626-010080DD2B5E-26")
        );
        assert_eq!(
            dup.session.as_deref(),
            Some("20250626-SO-2F14610000-242991F8C9-B4")
        );
        assert_eq!(status.failure().unwrap().code(), "ksef.invoice.440");
    }

    #[test]
    fn bad_values_in_a_response_are_unexpected_not_panics() {
        let json = r#"{"ordinalNumber":1,"referenceNumber":"short","invoiceHash":"x","invoicingDate":"2025-07-11T12:23:56+00:00","status":{"code":100}}"#;
        let dto: InvoiceStatusDto = serde_json::from_str(json).unwrap();
        assert!(InvoiceStatus::try_from(dto).is_err());
        let limits: RateLimitsResponse =
            serde_json::from_str(r#"{"other":{"perSecond":1,"perMinute":2,"perHour":3}}"#).unwrap();
        assert!(RateLimits::try_from(limits)
            .unwrap_err()
            .0
            .contains("onlineSession"));
    }
}
