//! Rate-limit groups and context limits (KSEF-API.md §7); shared by the engine's and the simulator's limiters.

/// One of the 12 groups `GET /rate-limits` reports; each has its own sliding-window counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LimitGroup {
    /// Open / close online session.
    OnlineSession,
    /// Send an invoice in an online session.
    InvoiceSend,
    /// Open / close batch session.
    BatchSession,
    /// Status of one invoice.
    InvoiceStatus,
    /// List sessions.
    SessionList,
    /// List a session's (failed) invoices.
    SessionInvoiceList,
    /// Session status and the three UPO downloads.
    SessionMisc,
    /// Invoice metadata query.
    InvoiceMetadata,
    /// Start an invoice export.
    InvoiceExport,
    /// Export status.
    InvoiceExportStatus,
    /// Download one invoice by KSeF number.
    InvoiceDownload,
    /// Any other protected endpoint (each counted separately by KSeF).
    Other,
}

/// How KSeF counts calls to one endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitScope {
    /// Counted per (context, client IP) in a group.
    Context(LimitGroup),
    /// Public endpoint, counted per IP only ([`PUBLIC_PER_IP_PER_SECOND`]).
    PublicPerIp,
}

/// Public endpoints (`/auth/*`, public keys…) allow this many calls per second per IP.
pub const PUBLIC_PER_IP_PER_SECOND: u32 = 60;

/// Allowed calls in each sliding window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Calls in any 1 s window.
    pub per_second: u32,
    /// Calls in any 60 s window.
    pub per_minute: u32,
    /// Calls in any 60 min window.
    pub per_hour: u32,
}

/// Limits for all 12 groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimits([RateLimit; 12]);

/// `(method, path pattern, group)`; `*` matches one segment; first match wins, so
/// literal segments (`failed`, `ksef`) come before the wildcard they would also match.
const ENDPOINT_GROUPS: [(&str, &str, LimitGroup); 19] = [
    ("POST", "/sessions/online", LimitGroup::OnlineSession),
    (
        "POST",
        "/sessions/online/*/close",
        LimitGroup::OnlineSession,
    ),
    (
        "POST",
        "/sessions/online/*/invoices",
        LimitGroup::InvoiceSend,
    ),
    ("POST", "/sessions/batch", LimitGroup::BatchSession),
    ("POST", "/sessions/batch/*/close", LimitGroup::BatchSession),
    ("GET", "/sessions", LimitGroup::SessionList),
    (
        "GET",
        "/sessions/*/invoices",
        LimitGroup::SessionInvoiceList,
    ),
    (
        "GET",
        "/sessions/*/invoices/failed",
        LimitGroup::SessionInvoiceList,
    ),
    (
        "GET",
        "/sessions/*/invoices/ksef/*/upo",
        LimitGroup::SessionMisc,
    ),
    ("GET", "/sessions/*/invoices/*/upo", LimitGroup::SessionMisc),
    ("GET", "/sessions/*/invoices/*", LimitGroup::InvoiceStatus),
    ("GET", "/sessions/*/upo/*", LimitGroup::SessionMisc),
    ("GET", "/sessions/*", LimitGroup::SessionMisc),
    (
        "POST",
        "/invoices/query/metadata",
        LimitGroup::InvoiceMetadata,
    ),
    ("POST", "/invoices/exports", LimitGroup::InvoiceExport),
    (
        "GET",
        "/invoices/exports/*",
        LimitGroup::InvoiceExportStatus,
    ),
    ("GET", "/invoices/ksef/*", LimitGroup::InvoiceDownload),
    // Session management under /auth needs a token, so it is not a public endpoint.
    ("GET", "/auth/sessions", LimitGroup::Other),
    ("DELETE", "/auth/sessions/*", LimitGroup::Other),
];

impl LimitGroup {
    /// All groups, in `GET /rate-limits` order.
    pub const ALL: [LimitGroup; 12] = [
        Self::OnlineSession,
        Self::InvoiceSend,
        Self::BatchSession,
        Self::InvoiceStatus,
        Self::SessionList,
        Self::SessionInvoiceList,
        Self::SessionMisc,
        Self::InvoiceMetadata,
        Self::InvoiceExport,
        Self::InvoiceExportStatus,
        Self::InvoiceDownload,
        Self::Other,
    ];

    /// The JSON key KSeF uses for this group.
    pub fn key(self) -> &'static str {
        match self {
            Self::OnlineSession => "onlineSession",
            Self::InvoiceSend => "invoiceSend",
            Self::BatchSession => "batchSession",
            Self::InvoiceStatus => "invoiceStatus",
            Self::SessionList => "sessionList",
            Self::SessionInvoiceList => "sessionInvoiceList",
            Self::SessionMisc => "sessionMisc",
            Self::InvoiceMetadata => "invoiceMetadata",
            Self::InvoiceExport => "invoiceExport",
            Self::InvoiceExportStatus => "invoiceExportStatus",
            Self::InvoiceDownload => "invoiceDownload",
            Self::Other => "other",
        }
    }

    /// Group for a JSON key from `GET /rate-limits`.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.key() == key)
    }

    fn index(self) -> usize {
        self as usize
    }

    /// How a call is counted. `path` is relative to the `/v2` base, with or without a query.
    ///
    /// Pre-signed upload/download URLs are not API paths and are not limited at all.
    pub fn for_endpoint(method: &str, path: &str) -> LimitScope {
        let path = path.split('?').next().unwrap_or_default();
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let public = (segments.first() == Some(&"auth") && segments.get(1) != Some(&"sessions"))
            || matches!(
                segments.as_slice(),
                ["security", "public-key-certificates"] | ["peppol", "query"]
            );
        if public {
            return LimitScope::PublicPerIp;
        }
        ENDPOINT_GROUPS
            .iter()
            .find(|(m, pattern, _)| {
                m.eq_ignore_ascii_case(method) && matches_pattern(pattern, &segments)
            })
            .map_or(LimitScope::Context(Self::Other), |&(_, _, group)| {
                LimitScope::Context(group)
            })
    }

    /// The published production (and DEMO) limits, in calls per second / minute / hour.
    pub fn production_limits() -> RateLimits {
        let l = |per_second, per_minute, per_hour| RateLimit {
            per_second,
            per_minute,
            per_hour,
        };
        RateLimits([
            l(10, 30, 120),   // onlineSession
            l(10, 30, 180),   // invoiceSend
            l(10, 20, 60),    // batchSession
            l(30, 120, 1200), // invoiceStatus
            l(5, 10, 60),     // sessionList
            l(10, 20, 200),   // sessionInvoiceList
            l(10, 120, 1200), // sessionMisc
            l(8, 16, 20),     // invoiceMetadata
            l(8, 16, 20),     // invoiceExport
            l(10, 60, 600),   // invoiceExportStatus
            l(8, 16, 64),     // invoiceDownload
            l(10, 30, 120),   // other
        ])
    }
}

fn matches_pattern(pattern: &str, segments: &[&str]) -> bool {
    let expected: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    expected.len() == segments.len()
        && expected
            .iter()
            .zip(segments)
            .all(|(e, s)| *e == "*" || e == s)
}

impl RateLimits {
    /// Builds the table from a lookup that answers for every group.
    pub fn from_fn(limit: impl FnMut(LimitGroup) -> RateLimit) -> Self {
        Self(LimitGroup::ALL.map(limit))
    }

    /// Builds the table from a lookup that may fail for a group (e.g. a key missing from a response).
    pub fn try_from_fn<E>(
        mut limit: impl FnMut(LimitGroup) -> Result<RateLimit, E>,
    ) -> Result<Self, E> {
        let mut table = [RateLimit {
            per_second: 0,
            per_minute: 0,
            per_hour: 0,
        }; 12];
        for (slot, group) in table.iter_mut().zip(LimitGroup::ALL) {
            *slot = limit(group)?;
        }
        Ok(Self(table))
    }

    /// Limits of one group.
    pub fn get(&self, group: LimitGroup) -> RateLimit {
        self.0[group.index()]
    }
}

/// Per-context session limits (`GET /limits/context`); sizes in KSeF's decimal megabytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContextLimits {
    /// Limits of online sessions.
    pub online: SessionLimits,
    /// Limits of batch sessions.
    pub batch: SessionLimits,
}

/// Limits of one session kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    /// Largest invoice without attachment, in MB (1 MB = 1 000 000 B).
    pub invoice_size_mb_max: u32,
    /// Largest invoice with attachment, in MB.
    pub invoice_with_attachment_size_mb_max: u32,
    /// Most invoices in one session.
    pub invoices_max: u32,
}

/// Bytes in KSeF's megabyte.
pub const BYTES_PER_MB: u64 = 1_000_000;

impl SessionLimits {
    /// Documented defaults: 1 MB / 3 MB / 10 000 invoices.
    pub const DEFAULT: SessionLimits = SessionLimits {
        invoice_size_mb_max: 1,
        invoice_with_attachment_size_mb_max: 3,
        invoices_max: 10_000,
    };

    /// Largest invoice without attachment, in bytes.
    pub fn invoice_size_bytes_max(&self) -> u64 {
        u64::from(self.invoice_size_mb_max) * BYTES_PER_MB
    }

    /// Largest invoice with attachment, in bytes.
    pub fn invoice_with_attachment_size_bytes_max(&self) -> u64 {
        u64::from(self.invoice_with_attachment_size_mb_max) * BYTES_PER_MB
    }
}

impl Default for ContextLimits {
    fn default() -> Self {
        Self {
            online: SessionLimits::DEFAULT,
            batch: SessionLimits::DEFAULT,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LimitGroup as G;

    #[test]
    fn endpoints_map_to_their_groups() {
        let cases = [
            ("POST", "/sessions/online", G::OnlineSession),
            (
                "POST",
                "/sessions/online/20250625-SO-2C3E6C8000-B5D8AE4D5E-42/close",
                G::OnlineSession,
            ),
            (
                "POST",
                "/sessions/online/20250625-SO-2C3E6C8000-B5D8AE4D5E-42/invoices",
                G::InvoiceSend,
            ),
            ("POST", "/sessions/batch", G::BatchSession),
            ("POST", "/sessions/batch/X/close", G::BatchSession),
            ("GET", "/sessions?sessionType=Online", G::SessionList),
            (
                "GET",
                "/sessions/S/invoices?pageSize=10",
                G::SessionInvoiceList,
            ),
            ("GET", "/sessions/S/invoices/failed", G::SessionInvoiceList),
            ("GET", "/sessions/S/invoices/I", G::InvoiceStatus),
            ("GET", "/sessions/S/invoices/I/upo", G::SessionMisc),
            ("GET", "/sessions/S/invoices/ksef/K/upo", G::SessionMisc),
            ("GET", "/sessions/S/upo/U", G::SessionMisc),
            ("GET", "/sessions/S", G::SessionMisc),
            (
                "POST",
                "/invoices/query/metadata?pageSize=10",
                G::InvoiceMetadata,
            ),
            ("POST", "/invoices/exports", G::InvoiceExport),
            ("GET", "/invoices/exports/E", G::InvoiceExportStatus),
            ("GET", "/invoices/ksef/K", G::InvoiceDownload),
            ("GET", "/rate-limits", G::Other),
            ("GET", "/limits/context", G::Other),
            ("GET", "/auth/sessions", G::Other),
        ];
        for (method, path, group) in cases {
            assert_eq!(
                LimitGroup::for_endpoint(method, path),
                LimitScope::Context(group),
                "{method} {path}"
            );
        }
        for (method, path) in [
            ("POST", "/auth/challenge"),
            ("POST", "/auth/ksef-token"),
            ("GET", "/auth/20250625-AU-2C3E6C8000-B5D8AE4D5E-42"),
            ("POST", "/auth/token/redeem"),
            ("GET", "/security/public-key-certificates"),
        ] {
            assert_eq!(
                LimitGroup::for_endpoint(method, path),
                LimitScope::PublicPerIp,
                "{path}"
            );
        }
    }

    #[test]
    fn production_table_matches_the_reference() {
        let limits = LimitGroup::production_limits();
        assert_eq!(
            limits.get(G::InvoiceSend),
            RateLimit {
                per_second: 10,
                per_minute: 30,
                per_hour: 180
            }
        );
        assert_eq!(
            limits.get(G::InvoiceMetadata),
            RateLimit {
                per_second: 8,
                per_minute: 16,
                per_hour: 20
            }
        );
        assert_eq!(limits.get(G::InvoiceDownload).per_hour, 64);
        for group in LimitGroup::ALL {
            let l = limits.get(group);
            // Sliding windows only make sense when wider windows allow at least as much.
            assert!(
                l.per_second <= l.per_minute && l.per_minute <= l.per_hour,
                "{group:?}"
            );
            assert_eq!(LimitGroup::from_key(group.key()), Some(group));
        }
    }

    #[test]
    fn table_slots_follow_the_group_order() {
        // `get` indexes by discriminant, so `ALL` must list the groups in declaration order.
        for (i, group) in LimitGroup::ALL.into_iter().enumerate() {
            assert_eq!(group.index(), i, "{group:?}");
        }
        let table = RateLimits::from_fn(|g| RateLimit {
            per_second: g.index() as u32,
            per_minute: 0,
            per_hour: 0,
        });
        assert_eq!(table.get(G::Other).per_second, 11);
        let missing: Result<RateLimits, LimitGroup> = RateLimits::try_from_fn(|g| {
            if g == G::SessionMisc {
                Err(g)
            } else {
                Ok(table.get(g))
            }
        });
        assert_eq!(missing, Err(G::SessionMisc));
    }

    #[test]
    fn context_limit_defaults_in_bytes() {
        let limits = ContextLimits::default();
        assert_eq!(limits.online.invoice_size_bytes_max(), 1_000_000);
        assert_eq!(
            limits.batch.invoice_with_attachment_size_bytes_max(),
            3_000_000
        );
    }
}
