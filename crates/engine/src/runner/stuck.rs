//! Stuck work, found by the reconciliation job: invoices due in the queue that have not gone out
//! for too long although KSeF is reachable, and batch sessions KSeF has been processing for too
//! long. Neither can be repaired by asking KSeF again, so each raises one company-wide alert
//! (coded [`STUCK_CODE`]) that names how many invoices or which session wait, and the alert is
//! resolved once nothing is stuck any more. Other states have their own guards: a `sending` lease
//! that expired is ended at every tick and resolved by asking KSeF, `sent` invoices raise a stuck
//! alert while polled past their horizon, unknown outcomes and missing UPOs go to a person after
//! theirs.

use rusqlite::params;

use super::{sessions, Hooks, Runner, RunnerError};
use crate::backoff::BreakerState;
use crate::clock::Clock;
use crate::outcome::STUCK_CODE;
use crate::store::{CompanyId, Store, StoreError};
use ksef_api::Ksef;

/// Alert kind of due invoices that do not leave the queue.
pub const STUCK_QUEUE_ALERT: &str = "stuck_queue";
/// Alert kind of a batch session KSeF processes for too long.
pub const STUCK_BATCH_ALERT: &str = "stuck_batch";

/// How many queued invoices are past due by more than the threshold, and since when the oldest.
fn overdue_queue(
    store: &Store,
    company: CompanyId,
    due_before_ms: i64,
) -> Result<(i64, Option<i64>), StoreError> {
    Ok(store.conn().query_row(
        "SELECT count(*), min(next_attempt_at) FROM invoices
         WHERE company_id = ?1 AND state = 'queued' AND next_attempt_at <= ?2",
        params![company.0, due_before_ms],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

/// The oldest batch session still processing that was opened before `opened_before_ms`.
fn overdue_batch(
    store: &Store,
    company: CompanyId,
    opened_before_ms: i64,
) -> Result<Option<String>, StoreError> {
    use rusqlite::OptionalExtension;
    Ok(store
        .conn()
        .query_row(
            "SELECT ref FROM ksef_sessions WHERE company_id = ?1 AND kind = 'batch'
               AND state = ?2 AND opened_at <= ?3 ORDER BY opened_at, id LIMIT 1",
            params![company.0, sessions::BATCH_PROCESSING, opened_before_ms],
            |r| r.get(0),
        )
        .optional()?)
}

impl<K: Ksef, C: Clock + Clone + 'static, H: Hooks> Runner<K, C, H> {
    /// Raises or resolves the stuck-queue and stuck-batch alerts; see the module docs.
    pub(super) fn find_stuck(&mut self) -> Result<(), RunnerError> {
        let now_ms = self.clock.now_ms();
        // While KSeF is unreachable the outage alert already explains a waiting queue.
        if self.breaker.status().state == BreakerState::Closed {
            let threshold_ms = self.config.stuck_queued_ms;
            let (count, oldest) = overdue_queue(
                &self.store,
                self.company,
                now_ms.saturating_sub(threshold_ms),
            )?;
            let message = oldest.filter(|_| count > 0).map(|oldest| {
                format!(
                    "{count} invoice(s) due in the queue have not been sent for over {} minutes \
                     although KSeF is reachable (the oldest for {} minutes)",
                    threshold_ms / 60_000,
                    now_ms.saturating_sub(oldest) / 60_000
                )
            });
            self.keep_alert(STUCK_QUEUE_ALERT, message.as_deref(), now_ms)?;
        }
        let threshold_ms = self.config.stuck_batch_ms;
        let batch = overdue_batch(
            &self.store,
            self.company,
            now_ms.saturating_sub(threshold_ms),
        )?;
        let message = batch.map(|session| {
            format!(
                "KSeF has been processing batch session {session} for over {} minutes",
                threshold_ms / 60_000
            )
        });
        self.keep_alert(STUCK_BATCH_ALERT, message.as_deref(), now_ms)
    }

    /// Raises the company-wide alert `kind` with `message`, or resolves it when `None`.
    fn keep_alert(
        &mut self,
        kind: &str,
        message: Option<&str>,
        now_ms: i64,
    ) -> Result<(), RunnerError> {
        match message {
            Some(message) => {
                self.store
                    .raise_alert(kind, None, STUCK_CODE, message, now_ms)?;
                tracing::warn!(kind, message, "stuck work");
            }
            None => {
                for alert in self.store.open_alerts()? {
                    if alert.kind == kind {
                        self.store.resolve_alert(alert.id, now_ms)?;
                    }
                }
            }
        }
        Ok(())
    }
}
