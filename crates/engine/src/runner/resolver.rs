//! Unknown outcomes and reconciliation. An invoice whose send may have reached KSeF is never sent
//! again blindly: the sessions it was about to be sent in are listed, and it is matched by the
//! SHA-256 of our exact bytes. Only when every such session provably lacks it is it queued again.
//! Reconciliation also closes sessions a crashed runner left open.

use base64::Engine as _;
use ksef_api::{Ksef, Sha256B64};

use super::{sessions, work, Hooks, Runner, RunnerError, Tick};
use crate::clock::Clock;
use crate::state::{Actor, Change, SubmissionState};
use crate::store::InvoiceId;

/// Unknown outcome resolved: KSeF has the invoice.
pub const RESOLVED_RECEIVED_CODE: &str = "engine.resolved_received";
/// Unknown outcome resolved: KSeF provably does not have the invoice; it is queued again.
pub const RESOLVED_NOT_RECEIVED_CODE: &str = "engine.resolved_not_received";
/// Alert code of an invoice KSeF lists in one of our sessions that matches none of ours.
pub const ORPHAN_CODE: &str = "engine.orphan";
/// How far back reconciliation looks for orphans in our closed sessions.
const ORPHAN_LOOKBACK_MS: i64 = 24 * 3_600_000;
/// Resolutions attempted per tick at most.
const RESOLUTIONS_PER_TICK_MAX: usize = 50;

impl<K: Ksef, C: Clock + Clone + 'static, H: Hooks> Runner<K, C, H> {
    /// Resolves `needs_attention` invoices whose send outcome is unknown.
    pub(super) async fn resolve_unknown(&mut self, tick: &mut Tick) -> Result<(), RunnerError> {
        // Expired leases first become unknown outcomes (claim_ready does that in its transaction).
        let now_ms = self.clock.now_ms();
        let expired = self.store.claim_ready(
            self.company,
            now_ms,
            0,
            self.config.lease_ms,
            &self.config.owner,
        )?;
        if !expired.unresolved.is_empty() {
            tick.progressed = true;
        }
        for id in work::unresolved(&self.store, self.company, RESOLUTIONS_PER_TICK_MAX)? {
            if let Some(&at) = self.retry_at.get(&id) {
                if at > self.clock.now_ms() {
                    tick.wake_at(at);
                    continue;
                }
            }
            if !self.admitted(tick) {
                return Ok(());
            }
            if !self.resolve_one(id, tick).await? {
                let at = self.clock.now_ms() + self.config.retry_later_ms;
                self.retry_at.insert(id, at);
                tick.wake_at(at);
            }
        }
        Ok(())
    }

    /// `false` when KSeF could not be asked now.
    async fn resolve_one(&mut self, id: InvoiceId, tick: &mut Tick) -> Result<bool, RunnerError> {
        let hash = Sha256B64::of(&self.store.original_bytes(id)?);
        let row = self.store.invoice(id)?;
        for session in sessions::sessions_of_invoice(&self.store, id)? {
            let Some(listed) = self.list_session(&session, tick).await? else {
                return Ok(false);
            };
            if let Some(found) = listed.values().find(|s| s.invoice_hash == hash) {
                let reference = found.invoice_ref.to_string();
                let change = Change {
                    ksef_session_ref: Some(&session),
                    ksef_invoice_ref: Some(&reference),
                    next_attempt_at: Some(self.clock.now_ms()),
                    ..Change::to(SubmissionState::Sent, Actor::Reconciler).because(
                        RESOLVED_RECEIVED_CODE,
                        Some("KSeF lists this invoice in the session it was sent in"),
                    )
                };
                self.store
                    .apply_override(id, &change, self.clock.now_ms())?;
                tracing::info!(trace_id = %row.trace_id, invoice = id.0, "unknown outcome: received");
                self.retry_at.remove(&id);
                return Ok(true);
            }
        }
        let change = Change {
            next_attempt_at: Some(self.clock.now_ms()),
            ..Change::to(SubmissionState::Queued, Actor::Reconciler).because(
                RESOLVED_NOT_RECEIVED_CODE,
                Some("no session KSeF lists holds this invoice; sending again"),
            )
        };
        self.store
            .apply_override(id, &change, self.clock.now_ms())?;
        tracing::info!(trace_id = %row.trace_id, invoice = id.0, "unknown outcome: not received");
        self.retry_at.remove(&id);
        tick.progressed = true;
        Ok(true)
    }

    /// Closes sessions left open by an earlier process and raises alerts for invoices that wait
    /// for a person.
    pub(super) async fn reconcile(&mut self, tick: &mut Tick) -> Result<(), RunnerError> {
        let current = self.online.as_ref().map(|o| o.session.to_string());
        for open in sessions::open_sessions(&self.store, self.company)? {
            if Some(&open.reference) == current.as_ref() || open.kind != "online" {
                continue;
            }
            if !self.admitted(tick) {
                break;
            }
            self.close_session(&open.reference, tick).await?;
        }
        let now_ms = self.clock.now_ms();
        self.find_orphans(tick).await?;
        let waiting = work::awaiting_person(&self.store, self.company)?;
        for (id, code) in waiting {
            self.store.raise_alert(
                "needs_attention",
                Some(id),
                code.as_deref().unwrap_or("engine.needs_attention"),
                "this invoice needs a decision",
                now_ms,
            )?;
        }
        Ok(())
    }

    /// Raises an alert for every invoice KSeF lists in our recent closed sessions whose bytes
    /// match none of our invoices: something (or someone) sent it outside our records.
    async fn find_orphans(&mut self, tick: &mut Tick) -> Result<(), RunnerError> {
        let since = self.clock.now_ms().saturating_sub(ORPHAN_LOOKBACK_MS);
        for session in sessions::closed_since(&self.store, self.company, since)? {
            if !self.admitted(tick) {
                return Ok(());
            }
            let Some(listed) = self.list_session(&session, tick).await? else {
                return Ok(());
            };
            for item in listed.values() {
                let Ok(raw) =
                    base64::engine::general_purpose::STANDARD.decode(item.invoice_hash.as_str())
                else {
                    continue;
                };
                if !work::has_content(&self.store, self.company, &hex::encode(raw))? {
                    let message = format!(
                        "KSeF lists invoice {} in session {session}, but it matches none of ours",
                        item.invoice_ref
                    );
                    self.store.raise_alert(
                        "orphan",
                        None,
                        ORPHAN_CODE,
                        &message,
                        self.clock.now_ms(),
                    )?;
                }
            }
        }
        Ok(())
    }
}
