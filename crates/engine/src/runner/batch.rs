//! Batch sending: when many invoices are due, they go out in one batch session (ZIP split into
//! encrypted parts, uploaded to pre-signed URLs) instead of one request each. Claimed invoices
//! stay `sending` under a long lease until KSeF has processed the session; then the session's
//! list gives each its invoice reference and verdict, and the session UPO pages (pre-signed, not
//! rate-limited) give the receipts.

use std::collections::HashMap;

use ksef_api::batch::{build_archive, package, BatchInvoice, Compression};
use ksef_api::crypto::SessionCipher;
use ksef_api::status::InvoicingMode;
use ksef_api::upo::Upo;
use ksef_api::{
    FormCode, HashCheck, Ksef, KsefError, LimitGroup, ReferenceNumber, SessionRef, Sha256B64,
};

use super::call::Request;
use super::{sessions, BatchPoll, CrashPoint, Hooks, Runner, RunnerError, Tick};
use crate::backoff::{BreakerState, RetryDecision};
use crate::clock::Clock;
use crate::outcome;
use crate::state::{Actor, Change, SubmissionState};
use crate::store::Claimed;

/// Code of an invoice KSeF does not list in the processed batch it was packed into.
pub const BATCH_MISSING_CODE: &str = "engine.batch_missing";

impl<K: Ksef, C: Clock + Clone + 'static, H: Hooks> Runner<K, C, H> {
    /// Sends up to `limits.invoices_max` due invoices in one batch session.
    pub(super) async fn send_batch(&mut self, tick: &mut Tick) -> Result<(), RunnerError> {
        // Not a `Runner::call`: the gates come before the claim, so nothing is claimed while
        // KSeF cannot be asked, and opening goes through the token holder's key exchange, which
        // draws on our RNG.
        if !self.admitted(tick) || !self.permit(LimitGroup::BatchSession, tick)? {
            return Ok(());
        }
        let limits = self.config.batch_limits;
        let now_ms = self.clock.now_ms();
        let claimed = self.store.claim_ready(
            self.company,
            now_ms,
            limits.invoices_max,
            self.config.batch_lease_ms,
            &self.config.owner,
        )?;
        tick.progressed = true;
        if claimed.claimed.is_empty() {
            return Ok(());
        }
        let mut invoices = Vec::with_capacity(claimed.claimed.len());
        for claim in &claimed.claimed {
            invoices.push(BatchInvoice {
                // Our row id names the entry: unique, and readable back from KSeF's list.
                file_name: format!("{}.xml", claim.id.0),
                xml: self.store.original_bytes(claim.id)?,
            });
        }
        let cipher = SessionCipher::generate(&mut self.rng);
        let packed = build_archive(&invoices, Compression::Zip, &limits)
            .and_then(|archive| package(&archive, Compression::Zip, &cipher, &limits));
        let packed = match packed {
            Ok(p) => p,
            Err(e) => {
                // Our packaging failed before anything left: back to the queue, one by one.
                tracing::warn!(error = %e, "cannot package a batch; sending online instead");
                self.fail_claims(&claimed.claimed, &transient(e.to_string()))?;
                self.config.batch_threshold = usize::MAX;
                return Ok(());
            }
        };
        let opened = self
            .auth
            .open_batch_session(
                FormCode::Fa3,
                &packed.file,
                &cipher,
                InvoicingMode::Online,
                &mut self.rng,
            )
            .await;
        self.observe(LimitGroup::BatchSession, opened.as_ref().err())
            .await?;
        let opened = match opened {
            Ok(o) => o,
            Err(e) => {
                // Nothing was uploaded, so no invoice can have entered KSeF.
                self.fail_claims(&claimed.claimed, &e)?;
                return Ok(());
            }
        };
        self.hooks.crash_point(CrashPoint::AfterOpenSession)?;
        let reference = opened.session.to_string();
        let now_ms = self.clock.now_ms();
        let row_id =
            sessions::insert_session(&self.store, self.company, &reference, "batch", None, now_ms)?;
        for claim in &claimed.claimed {
            sessions::record_send_intent(&self.store, claim.id, row_id, now_ms)?;
        }
        // Uploads go to pre-signed URLs: no token, no limit group, so no permit; only a failure
        // tells the breaker anything.
        for (upload, bytes) in opened.parts.iter().zip(&packed.encrypted_parts) {
            if let Err(e) = self.auth.ksef().upload_part(upload, bytes).await {
                // An unclosed batch session is never processed: the invoices are safe to requeue.
                tracing::warn!(code = %e.code(), session = %reference, "batch part upload failed");
                self.observe(LimitGroup::BatchSession, Some(&e)).await?;
                self.fail_claims(&claimed.claimed, &transient(e.to_string()))?;
                sessions::set_state(&self.store, &reference, "failed", self.clock.now_ms())?;
                return Ok(());
            }
        }
        self.hooks.crash_point(CrashPoint::AfterBatchUpload)?;
        self.close_batch(&opened.session, tick).await
    }

    /// `POST /sessions/batch/{ref}/close`, then waits for processing.
    async fn close_batch(
        &mut self,
        session: &SessionRef,
        tick: &mut Tick,
    ) -> Result<(), RunnerError> {
        // The admission `send_batch` started with covers the whole batch: open, upload, close.
        let request = Request::new(LimitGroup::BatchSession)
            .caller_admitted()
            .crash_at(CrashPoint::AfterCloseSession);
        let closed = self
            .call(request, tick, |ksef, token| async move {
                ksef.close_batch_session(&token, session).await
            })
            .await?;
        if closed.is_none() {
            // Left unclosed, KSeF never processes it: once the lease ends, the resolver finds
            // it still open and queues its invoices again.
            return Ok(());
        }
        // Even an unknown outcome is checked by asking the session's status.
        sessions::set_state(
            &self.store,
            &session.to_string(),
            sessions::BATCH_PROCESSING,
            self.clock.now_ms(),
        )?;
        tracing::info!(session = %session, "batch session closed");
        Ok(())
    }

    /// Records the outcome of processed batch sessions: references and verdicts from the
    /// session list, receipts from the session UPO pages.
    pub(super) async fn poll_batches(&mut self, tick: &mut Tick) -> Result<(), RunnerError> {
        for reference in sessions::processing_batches(&self.store, self.company)? {
            let Ok(parsed) = ReferenceNumber::parse(&reference) else {
                continue;
            };
            let session = &SessionRef(parsed);
            let now_ms = self.clock.now_ms();
            let poll = *self
                .batch_polls
                .entry(reference.clone())
                .or_insert(BatchPoll {
                    since_ms: now_ms,
                    due_ms: now_ms,
                });
            if poll.due_ms > now_ms {
                tick.wake_at(poll.due_ms);
                continue;
            }
            let Some(status) = self
                .call(
                    Request::new(LimitGroup::SessionMisc),
                    tick,
                    |ksef, token| async move { ksef.session_status(&token, session).await },
                )
                .await?
            else {
                return Ok(());
            };
            let status = match status {
                Ok(s) if s.is_final() => s,
                _ => {
                    // Still processing: ask again later, less often the longer it takes.
                    let due_ms = outcome::next_poll_at(poll.since_ms, self.clock.now_ms());
                    self.batch_polls
                        .insert(reference, BatchPoll { due_ms, ..poll });
                    tick.wake_at(due_ms);
                    continue;
                }
            };
            let Some(listed) = self.list_session(&reference, tick).await? else {
                continue;
            };
            let by_hash: HashMap<&Sha256B64, _> =
                listed.values().map(|s| (&s.invoice_hash, s)).collect();
            for claim in sessions::in_session(&self.store, &reference, SubmissionState::Sending)? {
                let hash = Sha256B64::of(&self.store.original_bytes(claim.id)?);
                let now_ms = self.clock.now_ms();
                match by_hash.get(&hash) {
                    Some(item) => {
                        let invoice_ref = item.invoice_ref.to_string();
                        let change = Change {
                            ksef_session_ref: Some(&reference),
                            ksef_invoice_ref: Some(&invoice_ref),
                            next_attempt_at: Some(now_ms),
                            ..Change::to(SubmissionState::Sent, Actor::Ksef)
                        };
                        self.store.apply_fenced(claim, &change, now_ms)?;
                    }
                    None => {
                        let change = Change {
                            next_attempt_at: Some(now_ms),
                            ..Change::to(SubmissionState::Queued, Actor::Engine).because(
                                BATCH_MISSING_CODE,
                                Some("KSeF did not list this invoice in its processed batch"),
                            )
                        };
                        self.store.apply_fenced(claim, &change, now_ms)?;
                    }
                }
            }
            // Verdicts for every invoice of the batch still `sent` (just marked, or left so by a
            // crash while judging), from the same listing: no more list calls, no per-invoice
            // status polls, and each has its verdict before the UPO pages are matched below.
            for claim in sessions::in_session(&self.store, &reference, SubmissionState::Sent)? {
                self.judge(claim, &listed, tick).await?;
            }
            // Pre-signed pages (no token, no limit group). Pages that fail to download leave
            // their invoices to the per-invoice UPO fetcher.
            for page in &status.upo_pages {
                let downloaded = self
                    .auth
                    .ksef()
                    .download_presigned(&page.download.url)
                    .await;
                self.hooks
                    .crash_point(CrashPoint::AfterUpoDownloadBeforeStore)?;
                match downloaded {
                    Ok(d) => self.store_upo_page(&d.bytes, d.hash == HashCheck::Verified)?,
                    Err(e) => {
                        tracing::warn!(code = %e.code(), "session UPO page download failed");
                    }
                }
            }
            sessions::set_state(&self.store, &reference, "closed", self.clock.now_ms())?;
            self.batch_polls.remove(&reference);
        }
        Ok(())
    }

    /// Stores one session UPO page as the receipt of every accepted invoice of ours it confirms
    /// (matched by KSeF number and document hash).
    fn store_upo_page(&mut self, xml: &[u8], verified: bool) -> Result<(), RunnerError> {
        let Ok(upo) = Upo::parse(xml) else {
            tracing::warn!("session UPO page does not parse");
            return Ok(());
        };
        for doc in &upo.documents {
            let number = doc.ksef_number.to_string();
            let Some(id) = super::work::accepted_by_number(&self.store, self.company, &number)?
            else {
                continue;
            };
            let hash = Sha256B64::of(&self.store.original_bytes(id)?);
            if hash == doc.document_hash && self.store.upo(id)?.is_none() {
                self.store
                    .save_upo(id, xml, verified, self.clock.now_ms())?;
            }
        }
        Ok(())
    }

    /// Records a failure that happened before any invoice could reach KSeF: each claim goes
    /// back to the queue with backoff (Retry-After as a floor), or to a person once out of
    /// attempts.
    fn fail_claims(&mut self, claims: &[Claimed], error: &KsefError) -> Result<(), RunnerError> {
        let retry_after_ms = match error {
            KsefError::RateLimited { retry_after } => {
                Some(i64::try_from(retry_after.as_millis()).unwrap_or(i64::MAX))
            }
            _ => None,
        };
        let code = error.code();
        let detail = error.to_string();
        for claim in claims {
            let row = self.store.invoice(claim.id)?;
            let attempts = u32::try_from(row.attempts).unwrap_or(u32::MAX);
            let now_ms = self.clock.now_ms();
            let mut decision =
                self.config
                    .retry
                    .after_failure(attempts, retry_after_ms, now_ms, &mut self.rng);
            if decision == RetryDecision::GiveUp
                && self.breaker.status().state != BreakerState::Closed
            {
                // A global outage is nobody's fault: the invoice waits for KSeF instead of being
                // handed to a person (as for online sends).
                decision =
                    RetryDecision::RetryAt(now_ms.saturating_add(self.config.retry.delay_ms_max));
            }
            let change = decision.change(&code, Some(&detail));
            self.store.apply_fenced(*claim, &change, now_ms)?;
        }
        Ok(())
    }
}

fn transient(detail: String) -> KsefError {
    KsefError::Transient {
        remote: None,
        detail,
    }
}
