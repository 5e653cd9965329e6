//! The dashboard and the engine status (queue depth and KSeF's state) shown in the tray.

use std::collections::BTreeMap;

use super::{lock, DeskApi};
use crate::api::companies::env_name;
use crate::convert::state_out;
use crate::error::DeskResult;
use crate::types::{CodeCount, Dashboard, DashboardKsef, EngineStatus, InvoiceState, Latency};

/// The period the dashboard's metrics cover.
pub const DASHBOARD_PERIOD_MS: i64 = 30 * 24 * 60 * 60 * 1_000;
/// Rejection codes listed at most.
pub const TOP_REJECTIONS_MAX: usize = 5;

impl DeskApi {
    /// `dashboard` for the active company. `daily` is empty: the store has no per-day query yet.
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
            daily: Vec::new(),
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

/// Invoices still on their way out: queued plus being sent.
pub(super) fn queue_depth(counts: &BTreeMap<InvoiceState, i64>) -> i64 {
    [InvoiceState::Queued, InvoiceState::Sending]
        .iter()
        .filter_map(|s| counts.get(s))
        .sum()
}
