//! The dashboard and the engine status (queue depth and KSeF's state) shown in the tray.
//!
//! The chart's days are Europe/Warsaw calendar days (see [`crate::warsaw`]): an invoice
//! accepted at 00:30 Warsaw time belongs to that day, not to the previous UTC day.

use std::collections::BTreeMap;

use engine::store::{CompanyId, DayCounts, Store};

use super::{lock, DeskApi};
use crate::api::companies::env_name;
use crate::convert::state_out;
use crate::error::DeskResult;
use crate::types::{
    CodeCount, DailyCounts, Dashboard, DashboardKsef, EngineStatus, InvoiceState, Latency,
};
use crate::warsaw::{self, LocalDay};

/// The period the dashboard's metrics cover.
pub const DASHBOARD_PERIOD_MS: i64 = 30 * 24 * 60 * 60 * 1_000;
/// Rejection codes listed at most.
pub const TOP_REJECTIONS_MAX: usize = 5;
/// Days in the dashboard's chart.
pub const CHART_DAYS: u32 = 30;

impl DeskApi {
    /// `dashboard` for the active company; `daily` has one entry per Warsaw calendar day of
    /// the last [`CHART_DAYS`], oldest first, today last, days without activity as zeros (the
    /// chart needs no gaps).
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
        let daily = daily(&store, active.id, &warsaw::days_ending_at(now, CHART_DAYS))?;
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
            daily,
            top_rejections: top
                .into_iter()
                .map(|e| CodeCount {
                    code: e.code,
                    count: e.count,
                })
                .collect(),
        })
    }

    /// `invoice_counts`: how many of the active company's invoices are in each state (every
    /// state listed, zeros included). The invoice list's chips need only these; the whole
    /// dashboard also reads the event log, which at 100 000 invoices delays the first rows.
    pub fn invoice_counts(&self) -> DeskResult<BTreeMap<InvoiceState, i64>> {
        let active = self.active()?;
        let counts = lock(&self.store)?
            .counts_by_state(active.id)?
            .into_iter()
            .map(|(s, n)| (state_out(s), n))
            .collect();
        Ok(counts)
    }

    /// Queue depth and KSeF's state, for the tray and the `engine_status` event.
    pub fn engine_status(&self) -> DeskResult<EngineStatus> {
        let active = self.active()?;
        let counts = self.invoice_counts()?;
        Ok(EngineStatus {
            queue_depth: queue_depth(&counts),
            ksef: self.ksef_status(active.id.0, active.environment),
        })
    }
}

/// The counts of each of `days`. The store groups by UTC day, so each Warsaw day is asked for
/// by its own UTC range, which spans at most two UTC days, and their counts are added.
fn daily(store: &Store, company: CompanyId, days: &[LocalDay]) -> DeskResult<Vec<DailyCounts>> {
    days.iter()
        .map(|d| {
            let parts = store.daily_counts(company, d.start_ms, d.end_ms)?;
            Ok(day_out(d, &parts))
        })
        .collect()
}

/// One chart entry: the sum of the UTC-day parts of `day`.
fn day_out(day: &LocalDay, parts: &[DayCounts]) -> DailyCounts {
    let sum = |f: fn(&DayCounts) -> i64| {
        u32::try_from(parts.iter().map(f).sum::<i64>()).unwrap_or(u32::MAX)
    };
    DailyCounts {
        day: day.date.to_string(),
        accepted: sum(|c| c.accepted),
        rejected: sum(|c| c.rejected),
        queued: sum(|c| c.queued),
    }
}

/// Invoices still on their way: queued, being sent, or sent and waiting for KSeF's verdict (the
/// top bar's and the dashboard's queue link to exactly these states).
pub(super) fn queue_depth(counts: &BTreeMap<InvoiceState, i64>) -> i64 {
    [
        InvoiceState::Queued,
        InvoiceState::Sending,
        InvoiceState::Sent,
    ]
    .iter()
    .filter_map(|s| counts.get(s))
    .sum()
}
