//! The code families outside `fa3`: KSeF's numeric codes, the client's classification, the
//! engine's outcomes, schema loading and the application layer. Other crates' tests assert they only emit codes listed here.

/// KSeF status, HTTP and 403-reason codes with a dictionary entry of their own (KSEF-API.md
/// §2.2, §3–§6). Exception codes are not listed: the tests read them from KSEF-API.md §6.
pub const KSEF_STATUS_CODES: &[&str] = &[
    // Authentication operation statuses (§2.2).
    "ksef.auth.100",
    "ksef.auth.200",
    "ksef.auth.415",
    "ksef.auth.425",
    "ksef.auth.450",
    "ksef.auth.460",
    "ksef.auth.470",
    "ksef.auth.480",
    "ksef.auth.500",
    "ksef.auth.550",
    // Session statuses, online and batch (§3, §4, §5).
    "ksef.session.100",
    "ksef.session.150",
    "ksef.session.170",
    "ksef.session.200",
    "ksef.session.405",
    "ksef.session.415",
    "ksef.session.420",
    "ksef.session.430",
    "ksef.session.435",
    "ksef.session.440",
    "ksef.session.445",
    "ksef.session.500",
    // Invoice statuses (§5).
    "ksef.invoice.100",
    "ksef.invoice.150",
    "ksef.invoice.200",
    "ksef.invoice.405",
    "ksef.invoice.410",
    "ksef.invoice.415",
    "ksef.invoice.430",
    "ksef.invoice.435",
    "ksef.invoice.440",
    "ksef.invoice.450",
    "ksef.invoice.500",
    "ksef.invoice.550",
    // HTTP statuses with their own meaning (§6); every 5xx shares one entry.
    "ksef.http.401",
    "ksef.http.403",
    "ksef.http.410",
    "ksef.http.429",
    "ksef.http.5xx",
    // 403 Problem Details `reasonCode` values (§6).
    "ksef.forbidden.missing-permissions",
    "ksef.forbidden.ip-not-allowed",
    "ksef.forbidden.insufficient-resource-access",
    "ksef.forbidden.auth-method-not-allowed",
    "ksef.forbidden.security-service-blocked",
    "ksef.forbidden.context-type-not-allowed",
];

/// The KSeF client's classification of every failure it reports.
pub const CLIENT_CODES: &[&str] = &[
    "ksef.transient",
    "ksef.rate_limited",
    "ksef.auth_expired",
    "ksef.rejected",
    "ksef.session_failed",
    "ksef.permanent",
    "ksef.outcome_unknown",
    "ksef.unavailable",
];

/// Outcomes the engine (the durable outbox) reports: sending, importing and its local database.
pub const ENGINE_CODES: &[&str] = &[
    "engine.conflict",
    "engine.duplicate_foreign",
    "engine.attempts_exhausted",
    "engine.stuck",
    "engine.upo_missing",
    "engine.upo_hash_mismatch",
    "engine.import_unreadable",
    "engine.import_zip_bomb",
    "engine.import_not_xml",
    "engine.import_too_large",
    "engine.lease_expired",
    "engine.illegal_transition",
    "engine.invoice_not_found",
    "engine.company_not_found",
    "engine.store_busy",
    "engine.store_corrupt",
    "engine.store_io",
    "engine.store_pragma",
    "engine.store_migration",
    "engine.store_schema_too_new",
    "engine.store_invariant",
    // Invoice history events and outcomes of checking a sent invoice.
    "engine.imported",
    "engine.accepted_without_number",
    "engine.hash_mismatch",
    // The sending loop: unknown outcomes resolved by asking KSeF, an invoice a processed batch
    // does not list, 440 duplicates of our own earlier sending, invoices waiting for a person,
    // KSeF unreachable for a while, a crash injected by a test hook, and the one-runner lock
    // (busy, unusable, offered for another company).
    "engine.batch_missing",
    "engine.orphan",
    "engine.runner_busy",
    "engine.runner_lock_io",
    "engine.runner_lock_mismatch",
    "engine.resolved_received",
    "engine.resolved_not_received",
    "engine.resolved_by_status",
    "engine.resolved_by_search",
    "engine.outcome_unresolved",
    "engine.upo_unavailable",
    "engine.duplicate_own",
    "engine.needs_attention",
    "engine.ksef_unavailable",
    "engine.injected_crash",
];

/// Loading the offline FA(3) schema set for validation (`fa3::xsd::SchemaLoadError::code`).
pub const XSD_LOAD_CODES: &[&str] = &[
    "xsd.schema_missing",
    "xsd.schema_compile",
    "xsd.schema_refused",
];

/// What the application layer reports itself (`desk_api::error::codes`); the codes of the
/// layers below pass through it unchanged.
pub const DESK_CODES: &[&str] = &[
    "desk.keyring_unavailable",
    "desk.token_missing",
    "desk.settings_io",
    "desk.data_dir",
    "desk.invalid_input",
    "desk.sandbox_start",
    "desk.no_active_company",
    "desk.not_available",
    "desk.connection_failed",
    "desk.unknown_job",
    "desk.internal",
    "desk.watched_folder",
];

/// The state of the official FA(3) schema files on this computer and of downloading them
/// (`fa3::schemas::FileState::code`, `fa3::schemas::FetchError::code`).
pub const SCHEMA_FILE_CODES: &[&str] = &[
    "schemas.ok",
    "schemas.missing",
    "schemas.hash_mismatch",
    "schemas.unreadable",
    "schemas.download_failed",
    "schemas.pin_mismatch",
    "schemas.write_failed",
];

/// Generic entries answering for codes the dictionary does not list one by one: the last-resort
/// `unknown` and one per KSeF code family.
pub const FALLBACK_CODES: &[&str] = &[
    crate::FALLBACK_CODE,
    "ksef.exception.other",
    "ksef.http.other",
    "ksef.status.other",
];

/// A numeric (or, for 403 reasons, textual) code as KSeF sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KsefCode<'a> {
    /// `status.code` of an authentication operation (`GET /auth/{referenceNumber}`).
    Auth(u16),
    /// `status.code` of an online or batch session.
    Session(u16),
    /// `status.code` of one invoice in a session.
    Invoice(u16),
    /// `exceptionCode` (legacy body) or `errors[].code` (Problem Details).
    Exception(u32),
    /// An HTTP status without a more specific code.
    Http(u16),
    /// The `reasonCode` of a 403 Problem Details body.
    Forbidden(&'a str),
}

impl KsefCode<'_> {
    /// The dictionary key, e.g. `ksef.exception.21405`; every 5xx maps to `ksef.http.5xx`.
    pub fn key(&self) -> String {
        match self {
            KsefCode::Auth(status) => format!("ksef.auth.{status}"),
            KsefCode::Session(status) => format!("ksef.session.{status}"),
            KsefCode::Invoice(status) => format!("ksef.invoice.{status}"),
            KsefCode::Exception(code) => format!("ksef.exception.{code}"),
            KsefCode::Http(status) if (500..=599).contains(status) => "ksef.http.5xx".to_owned(),
            KsefCode::Http(status) => format!("ksef.http.{status}"),
            KsefCode::Forbidden(reason) => format!("ksef.forbidden.{reason}"),
        }
    }
}

/// The generic entry for an unknown code of a known family, if the code belongs to one.
pub(crate) fn family_fallback(code: &str) -> Option<&'static str> {
    if let Some(status) = code.strip_prefix("ksef.http.") {
        let is_5xx = status.len() == 3
            && status.starts_with('5')
            && status.bytes().all(|b| b.is_ascii_digit());
        return Some(if is_5xx {
            "ksef.http.5xx"
        } else {
            "ksef.http.other"
        });
    }
    if code.starts_with("ksef.exception.") {
        return Some("ksef.exception.other");
    }
    if ["ksef.auth.", "ksef.session.", "ksef.invoice."]
        .iter()
        .any(|prefix| code.starts_with(prefix))
    {
        return Some("ksef.status.other");
    }
    if code.starts_with("ksef.forbidden.") {
        return Some("ksef.http.403");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_scheme() {
        assert_eq!(KsefCode::Auth(450).key(), "ksef.auth.450");
        assert_eq!(KsefCode::Session(445).key(), "ksef.session.445");
        assert_eq!(KsefCode::Invoice(440).key(), "ksef.invoice.440");
        assert_eq!(KsefCode::Exception(21405).key(), "ksef.exception.21405");
        assert_eq!(KsefCode::Http(429).key(), "ksef.http.429");
        assert_eq!(
            KsefCode::Forbidden("ip-not-allowed").key(),
            "ksef.forbidden.ip-not-allowed"
        );
    }

    #[test]
    fn every_5xx_shares_one_key() {
        for status in [500, 502, 503, 504, 599] {
            assert_eq!(KsefCode::Http(status).key(), "ksef.http.5xx", "{status}");
        }
        assert_eq!(KsefCode::Http(499).key(), "ksef.http.499");
    }

    #[test]
    fn unknown_codes_fall_back_to_their_family() {
        assert_eq!(family_fallback("ksef.http.503"), Some("ksef.http.5xx"));
        assert_eq!(family_fallback("ksef.http.418"), Some("ksef.http.other"));
        assert_eq!(
            family_fallback("ksef.exception.99999"),
            Some("ksef.exception.other")
        );
        assert_eq!(
            family_fallback("ksef.invoice.999"),
            Some("ksef.status.other")
        );
        assert_eq!(
            family_fallback("ksef.forbidden.new-reason"),
            Some("ksef.http.403")
        );
        assert_eq!(family_fallback("xml.something_new"), None);
    }
}
