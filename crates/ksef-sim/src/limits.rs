//! Rate limits (§7): sliding windows of 1 s, 60 s and 60 min enforced together per (context, client IP, group),
//! with a block that grows on repeated breaches.

use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

/// Window lengths.
const SECOND_MS: i64 = 1_000;
const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 3_600_000;
/// A breach more than this long after the previous one starts the escalation afresh.
const BREACH_MEMORY_MS: i64 = HOUR_MS;
/// Upper bound of the escalated block.
const BLOCK_MS_MAX: i64 = HOUR_MS;

/// Limit group (the keys of `GET /rate-limits`, plus the public per-IP group).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Group {
    /// Open/close online session.
    OnlineSession,
    /// Send invoice.
    InvoiceSend,
    /// Open/close batch session.
    BatchSession,
    /// Single invoice status.
    InvoiceStatus,
    /// Session list.
    SessionList,
    /// Invoice list of a session.
    SessionInvoiceList,
    /// Session status and UPO downloads.
    SessionMisc,
    /// Invoice metadata query.
    InvoiceMetadata,
    /// Invoice export.
    InvoiceExport,
    /// Export status.
    InvoiceExportStatus,
    /// Invoice download.
    InvoiceDownload,
    /// Every other protected endpoint.
    Other,
    /// Public endpoints, counted per IP.
    Public,
}

impl Group {
    /// Wire key.
    pub fn key(self) -> &'static str {
        match self {
            Group::OnlineSession => "onlineSession",
            Group::InvoiceSend => "invoiceSend",
            Group::BatchSession => "batchSession",
            Group::InvoiceStatus => "invoiceStatus",
            Group::SessionList => "sessionList",
            Group::SessionInvoiceList => "sessionInvoiceList",
            Group::SessionMisc => "sessionMisc",
            Group::InvoiceMetadata => "invoiceMetadata",
            Group::InvoiceExport => "invoiceExport",
            Group::InvoiceExportStatus => "invoiceExportStatus",
            Group::InvoiceDownload => "invoiceDownload",
            Group::Other => "other",
            Group::Public => "public",
        }
    }
}

/// Limits of one group (`EffectiveApiRateLimitValues`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateValues {
    /// Requests per sliding second.
    pub per_second: u32,
    /// Requests per sliding minute.
    pub per_minute: u32,
    /// Requests per sliding hour.
    pub per_hour: u32,
}

const fn rv(per_second: u32, per_minute: u32, per_hour: u32) -> RateValues {
    RateValues {
        per_second,
        per_minute,
        per_hour,
    }
}

/// The full table, in the shape of `GET /rate-limits` (custom files use the same JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateTable {
    /// onlineSession.
    pub online_session: RateValues,
    /// invoiceSend.
    pub invoice_send: RateValues,
    /// batchSession.
    pub batch_session: RateValues,
    /// invoiceStatus.
    pub invoice_status: RateValues,
    /// sessionList.
    pub session_list: RateValues,
    /// sessionInvoiceList.
    pub session_invoice_list: RateValues,
    /// sessionMisc.
    pub session_misc: RateValues,
    /// invoiceMetadata.
    pub invoice_metadata: RateValues,
    /// invoiceExport.
    pub invoice_export: RateValues,
    /// invoiceExportStatus.
    pub invoice_export_status: RateValues,
    /// invoiceDownload.
    pub invoice_download: RateValues,
    /// other.
    pub other: RateValues,
    /// Public endpoints per IP (not part of `GET /rate-limits`).
    #[serde(default = "public_default", skip_serializing)]
    pub public: RateValues,
}

fn public_default() -> RateValues {
    rv(60, u32::MAX, u32::MAX)
}

impl RateTable {
    /// The PRD table of §7.
    pub fn production() -> Self {
        Self {
            online_session: rv(10, 30, 120),
            invoice_send: rv(10, 30, 180),
            batch_session: rv(10, 20, 60),
            invoice_status: rv(30, 120, 1200),
            session_list: rv(5, 10, 60),
            session_invoice_list: rv(10, 20, 200),
            session_misc: rv(10, 120, 1200),
            invoice_metadata: rv(8, 16, 20),
            invoice_export: rv(8, 16, 20),
            invoice_export_status: rv(10, 60, 600),
            invoice_download: rv(8, 16, 64),
            other: rv(10, 30, 120),
            public: public_default(),
        }
    }

    /// Limits of `group`.
    pub fn values(&self, group: Group) -> RateValues {
        match group {
            Group::OnlineSession => self.online_session,
            Group::InvoiceSend => self.invoice_send,
            Group::BatchSession => self.batch_session,
            Group::InvoiceStatus => self.invoice_status,
            Group::SessionList => self.session_list,
            Group::SessionInvoiceList => self.session_invoice_list,
            Group::SessionMisc => self.session_misc,
            Group::InvoiceMetadata => self.invoice_metadata,
            Group::InvoiceExport => self.invoice_export,
            Group::InvoiceExportStatus => self.invoice_export_status,
            Group::InvoiceDownload => self.invoice_download,
            Group::Other => self.other,
            Group::Public => self.public,
        }
    }
}

/// Who is counted: context (empty for public endpoints), client IP, group and, for `other`, the endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LimitKey {
    /// Context identifier value.
    pub context: String,
    /// Client IP.
    pub ip: IpAddr,
    /// Group.
    pub group: Group,
    /// Endpoint template, so each `other` endpoint has its own counter.
    pub endpoint: String,
}

#[derive(Debug, Default)]
struct Window {
    hits_ms: VecDeque<i64>,
    blocked_until_ms: i64,
    breaches: u32,
    last_breach_ms: i64,
}

/// A refused request: wait this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Breach {
    /// Seconds for `Retry-After` (≥ 1).
    pub retry_after_s: u64,
}

/// Sliding-window counters of all keys.
#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: HashMap<LimitKey, Window>,
}

impl RateLimiter {
    /// Counts a request at `now_ms` or refuses it; a refused request is not counted.
    pub fn check(&mut self, table: &RateTable, key: LimitKey, now_ms: i64) -> Result<(), Breach> {
        let values = table.values(key.group);
        let window = self.windows.entry(key).or_default();
        while window
            .hits_ms
            .front()
            .is_some_and(|&t| t <= now_ms - HOUR_MS)
        {
            window.hits_ms.pop_front();
        }
        if now_ms < window.blocked_until_ms {
            return Err(Breach {
                retry_after_s: ceil_s(window.blocked_until_ms - now_ms),
            });
        }
        let mut wait_ms = 0i64;
        for (span_ms, limit) in [
            (SECOND_MS, values.per_second),
            (MINUTE_MS, values.per_minute),
            (HOUR_MS, values.per_hour),
        ] {
            let in_window: Vec<i64> = window
                .hits_ms
                .iter()
                .copied()
                .filter(|&t| t > now_ms - span_ms)
                .collect();
            let limit = usize::try_from(limit).unwrap_or(usize::MAX);
            if in_window.len() >= limit {
                // The window frees a slot when its (len - limit + 1)-th oldest hit slides out.
                let index = in_window.len() - limit;
                let frees_at = in_window.get(index).map_or(now_ms, |&t| t + span_ms);
                wait_ms = wait_ms.max(frees_at - now_ms);
            }
        }
        if wait_ms > 0 {
            if now_ms - window.last_breach_ms > BREACH_MEMORY_MS {
                window.breaches = 0;
            }
            window.breaches = window.breaches.saturating_add(1);
            window.last_breach_ms = now_ms;
            // Repeated breaches double the block each time, as KSeF lengthens it for persistent offenders.
            let factor = 1i64 << window.breaches.saturating_sub(1).min(12);
            let block_ms = wait_ms
                .saturating_mul(factor)
                .min(BLOCK_MS_MAX.max(wait_ms));
            window.blocked_until_ms = now_ms + block_ms;
            return Err(Breach {
                retry_after_s: ceil_s(block_ms),
            });
        }
        window.hits_ms.push_back(now_ms);
        Ok(())
    }
}

fn ceil_s(ms: i64) -> u64 {
    u64::try_from((ms + 999) / 1000).unwrap_or(1).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> LimitKey {
        LimitKey {
            context: "5265877635".into(),
            ip: IpAddr::from([127, 0, 0, 1]),
            group: Group::InvoiceSend,
            endpoint: String::new(),
        }
    }

    #[test]
    fn per_second_limit_refuses_the_eleventh_request_and_frees_after_the_window() {
        let table = RateTable::production();
        let mut limiter = RateLimiter::default();
        for i in 0..10 {
            assert!(limiter.check(&table, key(), 1_000 + i).is_ok());
        }
        let breach = limiter
            .check(&table, key(), 1_010)
            .expect_err("11th in a second");
        assert_eq!(breach.retry_after_s, 1);
        assert!(limiter.check(&table, key(), 2_001).is_ok());
    }

    #[test]
    fn minute_window_is_sliding_not_clock_aligned() {
        let table = RateTable::production();
        let mut limiter = RateLimiter::default();
        // 30 requests spread 1.5 s apart fill the minute window without touching the per-second one.
        for i in 0..30 {
            assert!(
                limiter.check(&table, key(), i * 1_500).is_ok(),
                "request {i}"
            );
        }
        let now = 30 * 1_500;
        let breach = limiter
            .check(&table, key(), now)
            .expect_err("31st in a minute");
        // The oldest hit (t=0) leaves the window at t=60 000.
        assert_eq!(breach.retry_after_s, ceil_s(60_000 - now));
    }

    #[test]
    fn repeated_breaches_grow_the_block() {
        let table = RateTable::production();
        let mut limiter = RateLimiter::default();
        for i in 0..10 {
            assert!(limiter.check(&table, key(), i).is_ok());
        }
        let first = limiter.check(&table, key(), 10).expect_err("breach");
        let after_first = 10 + i64::try_from(first.retry_after_s).unwrap_or(0) * 1_000;
        for i in 0..10 {
            assert!(limiter.check(&table, key(), after_first + i).is_ok());
        }
        let second = limiter
            .check(&table, key(), after_first + 10)
            .expect_err("breach");
        assert!(second.retry_after_s > first.retry_after_s);
    }

    #[test]
    fn a_custom_limits_file_in_the_rate_limits_shape_parses_and_keeps_the_public_default() {
        let mut json = serde_json::to_value(RateTable::production()).expect("serialises");
        assert_eq!(
            json.as_object().map(|o| o.len()),
            Some(12),
            "public is not part of the wire shape"
        );
        json["invoiceSend"] = serde_json::json!({"perSecond": 1, "perMinute": 2, "perHour": 3});
        let table: RateTable = serde_json::from_value(json).expect("parses");
        assert_eq!(table.values(Group::InvoiceSend), rv(1, 2, 3));
        assert_eq!(table.values(Group::Public), public_default());
    }
}
