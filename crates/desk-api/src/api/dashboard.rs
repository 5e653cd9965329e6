//! The dashboard and the engine status (queue depth and KSeF's state) shown in the tray.

use std::collections::BTreeMap;

use engine::store::{DayCounts, DAY_MS};

use super::{lock, DeskApi};
use crate::api::companies::env_name;
use crate::convert::state_out;
use crate::error::DeskResult;
use crate::types::{
    CodeCount, DailyCounts, Dashboard, DashboardKsef, EngineStatus, InvoiceState, Latency,
};

/// The period the dashboard's metrics cover.
pub const DASHBOARD_PERIOD_MS: i64 = 30 * 24 * 60 * 60 * 1_000;
/// Rejection codes listed at most.
pub const TOP_REJECTIONS_MAX: usize = 5;

impl DeskApi {
    /// `dashboard` for the active company; `daily` has one entry per UTC day of the period,
    /// oldest first, today last, days without activity as zeros (the chart needs no gaps).
    pub fn dashboard(&self) -> DeskResult<Dashboard> {
        let active = self.active()?;
        let now = self.clock.now_ms();
        let store = lock(&self.store)?;
        let counts: BTreeMap<InvoiceState, i64> = store
            .counts_by_state(active.id)?
            .into_iter()
            .map(|(s, n)| (state_out(s), n))
            .collect();
        let metrics = store.metrics(active.id, now - DASHBOARD_PERIOD_MS, now)?;
        let mut top = store.error_report(active.id, now - DASHBOARD_PERIOD_MS, now)?;
        top.truncate(TOP_REJECTIONS_MAX);
        let first_day = (now - DASHBOARD_PERIOD_MS).div_euclid(DAY_MS) * DAY_MS + DAY_MS;
        let counted = store.daily_counts(active.id, first_day, now + 1)?;
        drop(store);
        let ksef = self.ksef_status(active.id.0, active.environment);
        Ok(Dashboard {
            queue_depth: queue_depth(&counts),
            counts,
            ksef: DashboardKsef {
                state: ksef.state,
                since: ksef.since,
                environment: env_name(active.environment).to_owned(),
            },
            latency_ms: Latency {
                median: metrics.latency_median_ms,
                p95: metrics.latency_p95_ms,
            },
            rejection_rate: metrics.rejection_rate,
            daily: daily(first_day, now, &counted),
            top_rejections: top
                .into_iter()
                .map(|e| CodeCount {
                    code: e.code,
                    count: e.count,
                })
                .collect(),
        })
    }

    /// Queue depth and KSeF's state, for the tray and the `engine_status` event.
    pub fn engine_status(&self) -> DeskResult<EngineStatus> {
        let active = self.active()?;
        let counts: BTreeMap<InvoiceState, i64> = lock(&self.store)?
            .counts_by_state(active.id)?
            .into_iter()
            .map(|(s, n)| (state_out(s), n))
            .collect();
        Ok(EngineStatus {
            queue_depth: queue_depth(&counts),
            ksef: self.ksef_status(active.id.0, active.environment),
        })
    }
}

/// Every day from `first_day` (a day start) to the one holding `now`, zero-filled.
fn daily(first_day: i64, now: i64, counted: &[DayCounts]) -> Vec<DailyCounts> {
    let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
    let mut out = Vec::new();
    let mut day = first_day;
    while day <= now {
        let c = counted
            .iter()
            .find(|c| c.day_start_ms == day)
            .copied()
            .unwrap_or_default();
        out.push(DailyCounts {
            day: chrono::DateTime::from_timestamp_millis(day)
                .map(|t| t.date_naive().to_string())
                .unwrap_or_default(),
            accepted: count(c.accepted),
            rejected: count(c.rejected),
            queued: count(c.queued),
        });
        day += DAY_MS;
    }
    out
}

/// Invoices still on their way out: queued plus being sent.
pub(super) fn queue_depth(counts: &BTreeMap<InvoiceState, i64>) -> i64 {
    [InvoiceState::Queued, InvoiceState::Sending]
        .iter()
        .filter_map(|s| counts.get(s))
        .sum()
}
