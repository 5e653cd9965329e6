//! Unknown outcomes and reconciliation. An invoice whose send may have reached KSeF is never sent
//! again blindly: the sessions it was about to be sent in are settled (closed, or left unclosed
//! for good) and listed, then its own status and KSeF's invoice search are asked, always matching
//! the SHA-256 of our exact bytes. Only when every such session is final and provably lacks it is
//! it queued again. Reconciliation also closes sessions a crashed runner left open.

use base64::Engine as _;
use ksef_api::{Ksef, Sha256B64};

use super::lookup::{SessionView, Sighting};
use super::poller::Listing;
use super::{sessions, work, Hooks, Runner, RunnerError, Tick};
use crate::backoff::BreakerState;
use crate::clock::Clock;
use crate::state::{Actor, Change, SubmissionState};
use crate::store::InvoiceId;

/// Unknown outcome resolved: KSeF lists the invoice in the session it was sent in.
pub const RESOLVED_RECEIVED_CODE: &str = "engine.resolved_received";
/// Unknown outcome resolved by the invoice's own status (its session could not be listed).
pub const RESOLVED_BY_STATUS_CODE: &str = "engine.resolved_by_status";
/// Unknown outcome resolved by KSeF's invoice search (seller, number, hash): it is accepted.
pub const RESOLVED_BY_SEARCH_CODE: &str = "engine.resolved_by_search";
/// Unknown outcome resolved: KSeF provably does not have the invoice; it is queued again.
pub const RESOLVED_NOT_RECEIVED_CODE: &str = "engine.resolved_not_received";
/// Alert code of an unknown outcome KSeF could not settle within the horizon: a person decides.
pub const OUTCOME_UNRESOLVED_CODE: &str = "engine.outcome_unresolved";
/// Alert code of an invoice KSeF lists in one of our sessions that matches none of ours.
pub const ORPHAN_CODE: &str = "engine.orphan";
/// How far back reconciliation looks for orphans in our closed sessions.
const ORPHAN_LOOKBACK_MS: i64 = 24 * 3_600_000;
/// Resolutions attempted per tick at most.
const RESOLUTIONS_PER_TICK_MAX: usize = 50;
/// An uncertain resolution's retry interval doubles at most this many times.
const UNCERTAIN_DOUBLINGS_MAX: u32 = 10;

/// How far one resolution got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resolution {
    /// Recorded: KSeF has it, does not have it, or a person was asked to decide.
    Settled,
    /// KSeF could not be asked now.
    NotNow,
    /// KSeF answered but nothing proves either way.
    Uncertain {
        /// Only a batch still being processed stands in the way: its list is final soon.
        soon: bool,
    },
}

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
            let retry_in_ms = match self.resolve_one(id, tick).await? {
                Resolution::Settled => {
                    self.uncertain_tries.remove(&id);
                    continue;
                }
                // KSeF is down: the breaker's probe time is the wake-up, for every invoice.
                Resolution::NotNow if self.breaker.status().state != BreakerState::Closed => {
                    return Ok(());
                }
                Resolution::NotNow => self.config.retry_later_ms,
                Resolution::Uncertain { soon: true } => self.config.retry_later_ms,
                // Ask less often each time KSeF cannot tell: that answer rarely changes fast.
                Resolution::Uncertain { soon: false } => {
                    let tries = self.uncertain_tries.entry(id).or_insert(0);
                    let wait_ms = self
                        .config
                        .retry_later_ms
                        .saturating_mul(1_i64 << (*tries).min(UNCERTAIN_DOUBLINGS_MAX));
                    *tries = tries.saturating_add(1);
                    wait_ms.min(self.config.reconcile_every_ms)
                }
            };
            let at = self.clock.now_ms().saturating_add(retry_in_ms);
            self.retry_at.insert(id, at);
            tick.wake_at(at);
        }
        Ok(())
    }

    /// Asks KSeF in order: (a) the list of every session the invoice was about to be sent in;
    /// only when one of them cannot be listed (KSeF no longer knows it), (b) the invoice's own
    /// status when we know its reference and (c) KSeF's invoice search (20 requests an hour, so
    /// never asked when the lists settle it). The invoice is queued again only when every
    /// session is final and lists it not; anything less certain is asked again later, up to
    /// [`RunnerConfig::resolve_horizon_ms`](super::RunnerConfig), then handed to a person.
    async fn resolve_one(
        &mut self,
        id: InvoiceId,
        tick: &mut Tick,
    ) -> Result<Resolution, RunnerError> {
        let hash = Sha256B64::of(&self.store.original_bytes(id)?);
        let candidates = sessions::sessions_of_invoice(&self.store, id)?;
        let mut proven_absent = true;
        // Whether something KSeF cannot answer (rather than a batch still processing) is why.
        let mut unanswerable = false;
        for session in &candidates {
            let view = self.settle_session(session, tick).await?;
            match view {
                SessionView::NotNow => return Ok(Resolution::NotNow),
                SessionView::Gone => {
                    proven_absent = false;
                    unanswerable = true;
                    continue;
                }
                // Never processed by KSeF: nothing in it can have become an invoice.
                SessionView::NeverProcessed => continue,
                SessionView::Final | SessionView::Pending => {}
            }
            // Each request is admitted right before it leaves: a probe admitted but not sent
            // would hold the breaker half-open.
            if !self.admitted(tick) {
                return Ok(Resolution::NotNow);
            }
            let listed = match self.list_session_checked(session, tick).await? {
                Listing::Listed(listed) => listed,
                Listing::NotNow => return Ok(Resolution::NotNow),
                Listing::Refused => {
                    proven_absent = false;
                    unanswerable = true;
                    continue;
                }
            };
            if let Some(found) = listed.values().find(|s| s.invoice_hash == hash) {
                let sighting = Sighting::InSession {
                    session: session.clone(),
                    invoice_ref: found.invoice_ref.to_string(),
                };
                return self.record_sighting(id, sighting, RESOLVED_RECEIVED_CODE);
            }
            if view == SessionView::Pending {
                proven_absent = false;
            }
        }
        if proven_absent {
            return self.requeue_absent(id, tick);
        }
        if !unanswerable {
            // Only a batch still being processed stands in the way: its list decides soon.
            return self.still_uncertain(id, true);
        }
        // KSeF cannot list a session it may be in: the costlier questions, in order.
        match self.status_sighting(id, &hash, tick).await? {
            Sighting::NotNow => return Ok(Resolution::NotNow),
            Sighting::Unknowable => {}
            found => return self.record_sighting(id, found, RESOLVED_BY_STATUS_CODE),
        }
        match self.search_sighting(id, &hash, tick).await? {
            Sighting::NotNow => return Ok(Resolution::NotNow),
            Sighting::Unknowable => {}
            Sighting::Numbered { number, .. } => {
                // The search names no session; the only one it can have gone out in is kept
                // for fetching the UPO.
                let session = match candidates.as_slice() {
                    [only] => Some(only.clone()),
                    _ => None,
                };
                let found = Sighting::Numbered { number, session };
                return self.record_sighting(id, found, RESOLVED_BY_SEARCH_CODE);
            }
            found => return self.record_sighting(id, found, RESOLVED_BY_SEARCH_CODE),
        }
        self.still_uncertain(id, false)
    }

    /// Queues `id` again: every session it may have reached is final and lacks it.
    fn requeue_absent(
        &mut self,
        id: InvoiceId,
        tick: &mut Tick,
    ) -> Result<Resolution, RunnerError> {
        let row = self.store.invoice(id)?;
        let change = Change {
            next_attempt_at: Some(self.clock.now_ms()),
            ..Change::to(SubmissionState::Queued, Actor::Reconciler).because(
                RESOLVED_NOT_RECEIVED_CODE,
                Some("every session it may have reached is final and lacks it; sending again"),
            )
        };
        self.store
            .apply_override(id, &change, self.clock.now_ms())?;
        tracing::info!(trace_id = %row.trace_id, invoice = id.0, "unknown outcome: not received");
        self.retry_at.remove(&id);
        tick.progressed = true;
        Ok(Resolution::Settled)
    }

    /// Records that KSeF has the invoice, as `sighting` and `code` say.
    fn record_sighting(
        &mut self,
        id: InvoiceId,
        sighting: Sighting,
        code: &'static str,
    ) -> Result<Resolution, RunnerError> {
        let row = self.store.invoice(id)?;
        let now_ms = self.clock.now_ms();
        let change = match &sighting {
            Sighting::InSession {
                session,
                invoice_ref,
            } => Change {
                ksef_session_ref: Some(session),
                ksef_invoice_ref: Some(invoice_ref),
                next_attempt_at: Some(now_ms),
                ..Change::to(SubmissionState::Sent, Actor::Reconciler).because(
                    code,
                    Some("KSeF has this invoice; its verdict is polled next"),
                )
            },
            Sighting::Numbered { number, session } => Change {
                ksef_number: Some(number),
                ksef_session_ref: session.as_deref(),
                ..Change::to(SubmissionState::Accepted, Actor::Reconciler).because(
                    code,
                    Some("KSeF's invoice search finds this invoice, accepted"),
                )
            },
            Sighting::Unknowable | Sighting::NotNow => return Ok(Resolution::NotNow),
        };
        self.store.apply_override(id, &change, now_ms)?;
        tracing::info!(trace_id = %row.trace_id, invoice = id.0, code, "unknown outcome: received");
        self.retry_at.remove(&id);
        Ok(Resolution::Settled)
    }

    /// Nothing proves where the invoice is: ask again later or, past the horizon, hand it to a
    /// person (resending could issue it twice).
    fn still_uncertain(&mut self, id: InvoiceId, soon: bool) -> Result<Resolution, RunnerError> {
        let now_ms = self.clock.now_ms();
        let since = work::entered_at(&self.store, id, "needs_attention")?.unwrap_or(now_ms);
        if now_ms.saturating_sub(since) < self.config.resolve_horizon_ms {
            return Ok(Resolution::Uncertain { soon });
        }
        // The state stays (its code says what is unknown); the open alert takes the invoice off
        // the runner's list until a person decides or resolves the alert.
        self.store.raise_alert(
            work::UNRESOLVED_ALERT,
            Some(id),
            OUTCOME_UNRESOLVED_CODE,
            "KSeF could not say whether it received this invoice; it is not sent again \
             automatically, to avoid issuing it twice",
            now_ms,
        )?;
        self.retry_at.remove(&id);
        Ok(Resolution::Settled)
    }

    /// Closes sessions left open by an earlier process and raises alerts for invoices that wait
    /// for a person.
    pub(super) async fn reconcile(&mut self, tick: &mut Tick) -> Result<(), RunnerError> {
        let current = self.online.as_ref().map(|o| o.session.to_string());
        for open in sessions::open_sessions(&self.store, self.company)? {
            if Some(&open.reference) == current.as_ref() || open.kind != "online" {
                continue;
            }
            // `close_session` asks the breaker itself; `false` means not now.
            if !self.close_session(&open.reference, tick).await? {
                break;
            }
        }
        let now_ms = self.clock.now_ms();
        self.find_stuck()?;
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
