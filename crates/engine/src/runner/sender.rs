//! Sending: keep one online session open while there is work, claim one due invoice at a time
//! (short transaction), send it with no transaction open, and record the result fenced.

use ksef_api::crypto::SessionCipher;
use ksef_api::status::InvoicingMode;
use ksef_api::{FormCode, Ksef, LimitGroup};

use super::call::Request;
use super::{
    sessions, utc_to_ms, work, CrashPoint, Hooks, OnlineSession, Runner, RunnerError, Tick,
};
use crate::backoff::{BreakerState, ATTEMPTS_EXHAUSTED_CODE};
use crate::clock::Clock;
use crate::outcome::{self, Context, SessionAdvice};
use crate::state::SubmissionState;
use crate::store::{AttemptRecord, Claimed};

impl<K: Ksef, C: Clock + Clone + 'static, H: Hooks> Runner<K, C, H> {
    /// Sends due invoices, one request each, until none is due, a limit says wait, or the
    /// per-tick bound is reached.
    pub(super) async fn send_ready(&mut self, tick: &mut Tick) -> Result<(), RunnerError> {
        for _ in 0..self.config.sends_per_tick_max {
            let now_ms = self.clock.now_ms();
            let ready = work::ready_count(&self.store, self.company, now_ms)?;
            if ready == 0 {
                return Ok(());
            }
            // KSeF takes attachments only in batch sessions: one such invoice due is enough.
            if ready >= self.config.batch_threshold
                || work::ready_with_attachment(&self.store, self.company, now_ms)? > 0
            {
                return self.send_batch(tick).await;
            }
            // The session first: its close and open are admitted each on their own. Admitting the
            // send before them would leave a half-open breaker refusing the close of an expiring
            // session, so the probe after an outage would never leave.
            if !self.ensure_session(tick).await? {
                return Ok(());
            }
            if !self.admitted(tick) || !self.permit(LimitGroup::InvoiceSend, tick)? {
                return Ok(());
            }
            let now_ms = self.clock.now_ms();
            let claimed = self.store.claim_ready_online(
                self.company,
                now_ms,
                1,
                self.config.lease_ms,
                &self.config.owner,
            )?;
            if !claimed.unresolved.is_empty() {
                tick.progressed = true;
            }
            let Some(claim) = claimed.claimed.first().copied() else {
                return Ok(());
            };
            tick.progressed = true;
            self.send_one(claim).await?;
        }
        Ok(())
    }

    /// Makes sure a usable online session is open; `false` when one cannot be had now.
    async fn ensure_session(&mut self, tick: &mut Tick) -> Result<bool, RunnerError> {
        let now_ms = self.clock.now_ms();
        if let Some(open) = &self.online {
            if now_ms
                < open
                    .valid_until_ms
                    .saturating_sub(self.config.session_margin_ms)
            {
                return Ok(true);
            }
            self.close_online(tick).await?;
            if self.online.is_some() {
                return Ok(false);
            }
        }
        // Not a `Runner::call`: opening goes through the token holder's key exchange, which
        // draws on our RNG (as does the session key, only once a permit is granted).
        if !self.admitted(tick) || !self.permit(LimitGroup::OnlineSession, tick)? {
            return Ok(false);
        }
        let cipher = SessionCipher::generate(&mut self.rng);
        let result = self
            .auth
            .open_online_session(FormCode::Fa3, &cipher, &mut self.rng)
            .await;
        tick.progressed = true;
        self.observe(LimitGroup::OnlineSession, result.as_ref().err())
            .await?;
        let opened = match result {
            Ok(opened) => opened,
            Err(e) => {
                tracing::warn!(code = %e.code(), "could not open an online session");
                tick.wake_at(self.clock.now_ms() + self.config.retry_later_ms);
                return Ok(false);
            }
        };
        self.hooks.crash_point(CrashPoint::AfterOpenSession)?;
        let now_ms = self.clock.now_ms();
        let valid_until_ms = utc_to_ms(opened.valid_until);
        let row_id = sessions::insert_session(
            &self.store,
            self.company,
            &opened.session.to_string(),
            "online",
            Some(valid_until_ms),
            now_ms,
        )?;
        tracing::info!(session = %opened.session, "online session opened");
        self.online = Some(OnlineSession {
            row_id,
            session: opened.session,
            cipher,
            valid_until_ms,
            last_used_ms: now_ms,
        });
        Ok(true)
    }

    /// Sends one claimed invoice in the open session and records the outcome.
    async fn send_one(&mut self, claim: Claimed) -> Result<(), RunnerError> {
        let Some(open) = &mut self.online else {
            return Ok(());
        };
        let row = self.store.invoice(claim.id)?;
        let bytes = self.store.original_bytes(claim.id)?;
        let encrypted = open.cipher.encrypt_invoice(&bytes);
        let session = open.session.clone();
        let started_at = self.clock.now_ms();
        open.last_used_ms = started_at;
        // Written before the request leaves: after a crash, this is how the resolver knows
        // which session to ask instead of sending again.
        sessions::record_send_intent(&self.store, claim.id, open.row_id, started_at)?;
        // Not a `Runner::call`: `send_ready` passed the gates before claiming the invoice, and
        // the outcome is observed only after the attempt is recorded and its plan drawn (the
        // breaker's jitter comes from the same RNG, after the plan's).
        let ksef = self.auth.ksef();
        let result = self
            .auth
            .with_access(|token| {
                let (session, encrypted) = (&session, &encrypted);
                async move {
                    ksef.send_invoice(&token, session, encrypted, InvoicingMode::Online)
                        .await
                }
            })
            .await;
        self.hooks.crash_point(CrashPoint::AfterSendBeforeRecord)?;
        let finished_at = self.clock.now_ms();
        let code = result.as_ref().err().map(|e| e.code());
        let request_id = result.as_ref().ok().map(|r| r.to_string());
        self.store.record_attempt(&AttemptRecord {
            invoice: claim.id,
            kind: "send",
            request_id: request_id.as_deref(),
            outcome: match &result {
                Ok(_) => "ok",
                Err(e) => attempt_outcome(e),
            },
            error_code: code.as_deref(),
            started_at,
            finished_at,
        })?;
        let ctx = Context {
            now_ms: finished_at,
            attempts_done: u32::try_from(row.attempts).unwrap_or(u32::MAX),
            policy: self.config.retry,
        };
        let mut plan = outcome::after_send(&result, &session, ctx, &mut self.rng);
        self.observe(LimitGroup::InvoiceSend, result.as_ref().err())
            .await?;
        if plan.code.as_deref() == Some(ATTEMPTS_EXHAUSTED_CODE)
            && self.breaker.status().state != BreakerState::Closed
        {
            // A global outage is nobody's fault: the invoice waits for KSeF instead of being
            // handed to a person.
            plan.to = Some(SubmissionState::Queued);
            plan.code = Some(super::UNAVAILABLE_CODE.to_owned());
            plan.next_at_ms = Some(finished_at.saturating_add(self.config.retry.delay_ms_max));
        }
        self.record_plan(claim, &plan)?;
        tracing::info!(trace_id = %row.trace_id, invoice = claim.id.0,
            to = ?plan.to, code = ?plan.code, "send recorded");
        self.hooks.crash_point(CrashPoint::AfterSendRecorded)?;
        if plan.session == SessionAdvice::Reopen {
            self.online = None;
        }
        Ok(())
    }

    /// Closes the online session in use (if any); keeps it when the close cannot be sent now.
    pub(super) async fn close_online(&mut self, tick: &mut Tick) -> Result<(), RunnerError> {
        let Some(open) = &self.online else {
            return Ok(());
        };
        let reference = open.session.to_string();
        if self.close_session(&reference, tick).await? {
            self.online = None;
        }
        Ok(())
    }

    /// Closes the online session once nothing has been sent in it for a while.
    pub(super) async fn close_idle_session(&mut self, tick: &mut Tick) -> Result<(), RunnerError> {
        let now_ms = self.clock.now_ms();
        let Some(open) = &self.online else {
            return Ok(());
        };
        let idle_until = open
            .last_used_ms
            .saturating_add(self.config.session_idle_close_ms);
        if work::ready_count(&self.store, self.company, now_ms)? > 0 {
            return Ok(());
        }
        // Nothing left to send at all: close now, so the UPO comes sooner and the run can end.
        let pending = work::pending_sends(&self.store, self.company)?;
        if pending > 0 && now_ms < idle_until {
            tick.wake_at(idle_until);
            return Ok(());
        }
        self.close_online(tick).await
    }

    /// `POST /sessions/online/{ref}/close`; `true` once the session is closed (or KSeF says it
    /// cannot be used any more).
    pub(super) async fn close_session(
        &mut self,
        reference: &str,
        tick: &mut Tick,
    ) -> Result<bool, RunnerError> {
        let Ok(parsed) = ksef_api::ReferenceNumber::parse(reference) else {
            // A reference we could not have received from KSeF: nothing to close remotely.
            sessions::mark_closed(&self.store, reference, self.clock.now_ms())?;
            return Ok(true);
        };
        let session = &ksef_api::SessionRef(parsed);
        let request =
            Request::new(LimitGroup::OnlineSession).crash_at(CrashPoint::AfterCloseSession);
        let Some(result) = self
            .call(request, tick, |ksef, token| async move {
                ksef.close_online_session(&token, session).await
            })
            .await?
        else {
            return Ok(false);
        };
        let closed = match &result {
            Ok(()) => true,
            // Already closed, expired or failed: nothing more to do with it.
            Err(e) => matches!(
                e.class(),
                ksef_api::ErrorClass::SessionFailed
                    | ksef_api::ErrorClass::Rejected
                    | ksef_api::ErrorClass::Permanent
            ),
        };
        if closed {
            sessions::mark_closed(&self.store, reference, self.clock.now_ms())?;
            tracing::info!(session = reference, "session closed");
        }
        Ok(closed)
    }
}

/// The attempt-table outcome of a failed call.
pub(super) fn attempt_outcome(e: &ksef_api::KsefError) -> &'static str {
    match e.class() {
        ksef_api::ErrorClass::OutcomeUnknown => "unknown",
        ksef_api::ErrorClass::Rejected | ksef_api::ErrorClass::Permanent => "permanent",
        _ => "transient",
    }
}
