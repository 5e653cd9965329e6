//! Verdicts and receipts: sent invoices are polled per session with one list call (not one status
//! call per invoice), accepted ones get their UPO from the pre-signed link KSeF hands out (not
//! rate-limited) or, failing that, through the per-invoice API; each UPO is parsed and matched to
//! the invoice by KSeF number and document hash before it is stored. A UPO KSeF does not hand out
//! (no usable session, or refused past a horizon) raises an alert instead of blocking idleness.

use std::collections::{BTreeMap, HashMap};

use ksef_api::port::{Downloaded, UpoSelector};
use ksef_api::status::{invoice_code, DuplicateOf};
use ksef_api::upo::Upo;
use ksef_api::{
    ErrorClass, HashCheck, InvoiceStatus, Ksef, KsefResult, LimitGroup, PageRequest,
    ReferenceNumber, SessionRef, Sha256B64,
};

use super::call::Request;
use super::lookup::Sighting;
use super::{sessions, work, CrashPoint, Hooks, Runner, RunnerError, Tick};
use crate::clock::Clock;
use crate::outcome::{self, Context};
use crate::state::{Actor, Change, SubmissionState};
use crate::store::{Claimed, InvoiceId};

/// What asking for a session's invoice list gave.
pub(super) enum Listing {
    /// Every invoice KSeF lists in the session, by invoice reference.
    Listed(HashMap<String, InvoiceStatus>),
    /// Not now (limit, outage): ask again later.
    NotNow,
    /// KSeF refused the list for good (it does not know the session, or we may not read it).
    Refused,
}

/// Items per session-list page (KSeF allows 10..=1000).
const SESSION_PAGE_SIZE: u32 = 1_000;
/// Doublings of the wait between tries to tell whose a 440's original is, at most.
const DUPLICATE_DOUBLINGS_MAX: u32 = 6;
/// Code of a 440 whose original is this very invoice, sent earlier in one of our sessions.
pub const DUPLICATE_OWN_CODE: &str = "engine.duplicate_own";
/// Alert code of an accepted invoice whose UPO KSeF does not hand out.
pub const UPO_UNAVAILABLE_CODE: &str = "engine.upo_unavailable";
pub use crate::state::DUPLICATE_FOREIGN_CODE;
/// Alert kind of an invoice that KSeF holds another invoice for under the same number.
pub const CONFLICT_ALERT: &str = "conflict";

/// Who sent the original a 440 names.
enum Original {
    /// This very invoice, accepted earlier under this KSeF number.
    Ours(String),
    /// Another invoice: ours with other content, or sent outside this app.
    Foreign,
    /// KSeF could not tell now; ask again later.
    NotNow,
}

impl<K: Ksef, C: Clock + Clone + 'static, H: Hooks> Runner<K, C, H> {
    /// Polls due sent invoices, one session listing per session.
    pub(super) async fn poll_sent(&mut self, tick: &mut Tick) -> Result<(), RunnerError> {
        let now_ms = self.clock.now_ms();
        let due = self
            .store
            .due_for_poll(self.company, now_ms, self.config.polls_per_tick_max)?;
        let mut by_session: BTreeMap<String, Vec<Claimed>> = BTreeMap::new();
        for claim in due {
            let row = self.store.invoice(claim.id)?;
            let session = row.ksef_session_ref.unwrap_or_default();
            by_session.entry(session).or_default().push(claim);
        }
        for (session, claims) in by_session {
            if !self.admitted(tick) {
                return Ok(());
            }
            let Some(listed) = self.list_session(&session, tick).await? else {
                // Could not list now: poll again later, with the adaptive interval.
                for claim in claims {
                    let sent_at = work::sent_at(&self.store, claim.id)?.unwrap_or(now_ms);
                    let at = outcome::next_poll_at(sent_at, self.clock.now_ms());
                    self.store.reschedule_poll(claim, at, self.clock.now_ms())?;
                }
                continue;
            };
            for claim in claims {
                self.judge(claim, &listed, tick).await?;
            }
        }
        Ok(())
    }

    /// Every invoice KSeF lists in `session`, by invoice reference; `None` when the list could
    /// not be had (limit, outage, refusal), the reason already fed to breaker and limiter.
    pub(super) async fn list_session(
        &mut self,
        session: &str,
        tick: &mut Tick,
    ) -> Result<Option<HashMap<String, InvoiceStatus>>, RunnerError> {
        Ok(match self.list_session_checked(session, tick).await? {
            Listing::Listed(listed) => Some(listed),
            Listing::NotNow | Listing::Refused => None,
        })
    }

    /// [`list_session`](Self::list_session), telling "not now" from KSeF refusing the list for
    /// good (e.g. it does not know the session).
    pub(super) async fn list_session_checked(
        &mut self,
        session: &str,
        tick: &mut Tick,
    ) -> Result<Listing, RunnerError> {
        let Ok(parsed) = ReferenceNumber::parse(session) else {
            return Ok(Listing::Listed(HashMap::new()));
        };
        let session = &SessionRef(parsed);
        let mut page = PageRequest::first(SESSION_PAGE_SIZE);
        let mut out = HashMap::new();
        // Only the limiter is asked: the caller asked the breaker once for the listing, or lists
        // right after KSeF answered it; each later page follows a page KSeF just answered.
        let request = Request::new(LimitGroup::SessionInvoiceList).caller_admitted();
        loop {
            let this_page = &page;
            let Some(result) = self
                .call(request, tick, |ksef, token| async move {
                    ksef.session_invoices(&token, session, this_page).await
                })
                .await?
            else {
                return Ok(Listing::NotNow);
            };
            let listed = match result {
                Ok(listed) => listed,
                Err(e) => {
                    tracing::warn!(code = %e.code(), "session invoice list failed");
                    tick.wake_at(self.clock.now_ms() + self.config.retry_later_ms);
                    return Ok(match e.class() {
                        ErrorClass::Rejected
                        | ErrorClass::SessionFailed
                        | ErrorClass::Permanent => Listing::Refused,
                        _ => Listing::NotNow,
                    });
                }
            };
            for status in listed.items {
                out.insert(status.invoice_ref.to_string(), status);
            }
            match listed.continuation {
                Some(token) => page.continuation = Some(token),
                None => return Ok(Listing::Listed(out)),
            }
        }
    }

    /// Records what KSeF's listing says about one sent invoice.
    pub(super) async fn judge(
        &mut self,
        claim: Claimed,
        listed: &HashMap<String, InvoiceStatus>,
        tick: &mut Tick,
    ) -> Result<(), RunnerError> {
        let row = self.store.invoice(claim.id)?;
        let now_ms = self.clock.now_ms();
        let sent_at = work::sent_at(&self.store, claim.id)?.unwrap_or(now_ms);
        let reference = row.ksef_invoice_ref.clone().unwrap_or_default();
        let Some(status) = listed.get(&reference) else {
            // Not listed yet: KSeF registers invoices asynchronously; ask again later.
            let at = outcome::next_poll_at(sent_at, now_ms);
            self.store.reschedule_poll(claim, at, now_ms)?;
            return Ok(());
        };
        let bytes = self.store.original_bytes(claim.id)?;
        let hash = Sha256B64::of(&bytes);
        if status.status.code == invoice_code::DUPLICATE {
            return self.judge_duplicate(claim, status, &hash, tick).await;
        }
        let ctx = Context {
            now_ms,
            attempts_done: u32::try_from(row.attempts).unwrap_or(u32::MAX),
            policy: self.config.retry,
        };
        let plan = outcome::after_status(&Ok(status.clone()), &hash, sent_at, ctx, &mut self.rng);
        self.hooks
            .crash_point(CrashPoint::AfterStatusBeforeRecord)?;
        self.record_plan(claim, &plan)?;
        if plan.to.is_some() {
            tracing::info!(trace_id = %row.trace_id, invoice = claim.id.0,
                to = ?plan.to, code = ?plan.code, "verdict recorded");
        }
        // Batch invoices get their receipts from the session UPO pages instead.
        let batch = sessions::is_batch(&self.store, &row.ksef_session_ref.unwrap_or_default())?;
        if plan.to == Some(SubmissionState::Accepted) && !batch {
            if let Some(link) = &status.upo_download {
                // A pre-signed link: no token, no limit group, so not a `Runner::call`.
                let ksef = self.auth.ksef();
                let result = ksef.download_presigned(&link.url).await;
                self.store_upo(claim.id, result).await?;
            }
        }
        Ok(())
    }

    /// A 440: ours (accepted under the original's number) if KSeF has this very content under
    /// that number; otherwise a conflict naming KSeF's original, never sent again.
    async fn judge_duplicate(
        &mut self,
        claim: Claimed,
        status: &InvoiceStatus,
        hash: &Sha256B64,
        tick: &mut Tick,
    ) -> Result<(), RunnerError> {
        let original = status.status.duplicate_of.clone().unwrap_or_default();
        let verdict = self.whose_original(claim.id, &original, hash, tick).await?;
        let now_ms = self.clock.now_ms();
        if matches!(verdict, Original::NotNow) {
            // Back off per try, durably: the poll is not due again before then.
            let tries = self.uncertain_tries.entry(claim.id).or_insert(0);
            let wait_ms = self
                .config
                .retry_later_ms
                .saturating_mul(1_i64 << (*tries).min(DUPLICATE_DOUBLINGS_MAX));
            *tries = tries.saturating_add(1);
            let at = now_ms.saturating_add(wait_ms.min(self.config.reconcile_every_ms));
            self.store.reschedule_poll(claim, at, now_ms)?;
            tick.wake_at(at);
            return Ok(());
        }
        self.uncertain_tries.remove(&claim.id);
        self.hooks
            .crash_point(CrashPoint::AfterStatusBeforeRecord)?;
        let original_number = original.ksef_number.as_deref().unwrap_or("?");
        let detail = format!(
            "duplicate of KSeF number {original_number} in session {}",
            original.session.as_deref().unwrap_or("?")
        );
        let change = match &verdict {
            Original::Ours(number) => Change {
                ksef_number: Some(number),
                ksef_session_ref: original.session.as_deref(),
                ..Change::to(SubmissionState::Accepted, Actor::Reconciler)
                    .because(DUPLICATE_OWN_CODE, Some(&detail))
            },
            _ => Change {
                // Our own accepted invoice under that number is the counterpart when there is one.
                conflict_with: work::accepted_by_number(
                    &self.store,
                    self.company,
                    original_number,
                )?,
                ..Change::to(SubmissionState::Conflict, Actor::Ksef)
                    .because(DUPLICATE_FOREIGN_CODE, Some(&detail))
            },
        };
        if change.to == SubmissionState::Conflict {
            // The conflict list is where a person decides: same number, different invoice. The
            // alert lands with the state change or not at all.
            self.store
                .apply_fenced_raising(claim, &change, CONFLICT_ALERT, now_ms)?;
        } else {
            self.store.apply_fenced(claim, &change, now_ms)?;
        }
        Ok(())
    }

    /// Whether the original a 440 names is this invoice: KSeF lists this content under the
    /// original's number in one of our sessions or, when KSeF will not list that session, its
    /// invoice search finds this content under that number.
    async fn whose_original(
        &mut self,
        id: InvoiceId,
        original: &DuplicateOf,
        hash: &Sha256B64,
        tick: &mut Tick,
    ) -> Result<Original, RunnerError> {
        let (Some(session), Some(number)) = (&original.session, &original.ksef_number) else {
            return Ok(Original::Foreign);
        };
        if !sessions::is_ours(&self.store, self.company, session)? {
            return Ok(Original::Foreign);
        }
        let ours = |n: Option<String>| match n {
            Some(n) if &n == number => Original::Ours(n),
            _ => Original::Foreign,
        };
        Ok(match self.list_session_checked(session, tick).await? {
            Listing::Listed(listed) => ours(
                listed
                    .values()
                    .filter(|s| &s.invoice_hash == hash)
                    .filter_map(|s| s.ksef_number.as_ref().map(|n| n.to_string()))
                    .find(|n| n == number),
            ),
            Listing::NotNow => Original::NotNow,
            Listing::Refused => match self.search_sighting(id, hash, tick).await? {
                Sighting::Numbered { number: found, .. } => ours(Some(found)),
                Sighting::NotNow => Original::NotNow,
                // The search sees every accepted invoice: the original is not this content.
                Sighting::InSession { .. } | Sighting::Unknowable => Original::Foreign,
            },
        })
    }

    /// Fetches UPOs of accepted invoices that have none yet through the per-invoice API, in the
    /// invoice's session or, when that reference is unusable, the newest session it was about
    /// to be sent in. An invoice with no usable session, or whose UPO KSeF has not handed out
    /// within [`RunnerConfig::upo_horizon_ms`](super::RunnerConfig) of its acceptance, is
    /// handed to a person with an alert instead of being asked about forever.
    pub(super) async fn fetch_missing_upos(&mut self, tick: &mut Tick) -> Result<(), RunnerError> {
        let now_ms = self.clock.now_ms();
        let missing = work::missing_upos(&self.store, self.company, self.config.upos_per_tick_max)?;
        for (id, session, number) in missing {
            if let Some(&at) = self.retry_at.get(&id) {
                if at > now_ms {
                    tick.wake_at(at);
                    continue;
                }
            }
            let Ok(number) = ksef_api::KsefNumber::parse(&number) else {
                self.upo_unavailable(id, "the stored KSeF number is not a valid one")?;
                continue;
            };
            let Some(session) = self.upo_session(id, session.as_deref())? else {
                self.upo_unavailable(id, "no KSeF session is known to ask for this invoice's UPO")?;
                continue;
            };
            let (session, which) = (&session, &UpoSelector::KsefNumber(number));
            let Some(result) = self
                .call(
                    Request::new(LimitGroup::SessionMisc),
                    tick,
                    |ksef, token| async move { ksef.invoice_upo(&token, session, which).await },
                )
                .await?
            else {
                return Ok(());
            };
            if self.store_upo(id, result).await? {
                continue;
            }
            let now_ms = self.clock.now_ms();
            let accepted_at = work::entered_at(&self.store, id, "accepted")?.unwrap_or(now_ms);
            if now_ms.saturating_sub(accepted_at) >= self.config.upo_horizon_ms {
                self.upo_unavailable(id, "KSeF has not handed out this invoice's UPO")?;
                continue;
            }
            let at = now_ms + self.config.retry_later_ms;
            self.retry_at.insert(id, at);
            tick.wake_at(at);
        }
        Ok(())
    }

    /// The session to ask for `id`'s UPO: its own, else the newest it was about to be sent in.
    fn upo_session(
        &self,
        id: InvoiceId,
        own: Option<&str>,
    ) -> Result<Option<SessionRef>, RunnerError> {
        let candidates = sessions::sessions_of_invoice(&self.store, id)?;
        Ok(own
            .into_iter()
            .chain(candidates.iter().map(String::as_str))
            .find_map(|s| ReferenceNumber::parse(s).ok())
            .map(SessionRef))
    }

    /// Stops asking KSeF for `id`'s UPO and tells a person why; the invoice stays accepted
    /// (its KSeF number is what counts legally) and resolving the alert makes the runner retry.
    fn upo_unavailable(&mut self, id: InvoiceId, why: &str) -> Result<(), RunnerError> {
        self.store.raise_alert(
            work::UPO_UNAVAILABLE_ALERT,
            Some(id),
            UPO_UNAVAILABLE_CODE,
            why,
            self.clock.now_ms(),
        )?;
        self.retry_at.remove(&id);
        tracing::warn!(invoice = id.0, why, "UPO unavailable; a person is asked");
        Ok(())
    }

    /// Checks a downloaded UPO names this invoice (KSeF number and our document hash) and stores
    /// it; `false` when there was nothing storable.
    async fn store_upo(
        &mut self,
        id: InvoiceId,
        result: KsefResult<Downloaded>,
    ) -> Result<bool, RunnerError> {
        let downloaded = match result {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(invoice = id.0, code = %e.code(), "UPO download failed");
                return Ok(false);
            }
        };
        self.hooks
            .crash_point(CrashPoint::AfterUpoDownloadBeforeStore)?;
        let row = self.store.invoice(id)?;
        let hash = Sha256B64::of(&self.store.original_bytes(id)?);
        let matches = Upo::parse(&downloaded.bytes).is_ok_and(|upo| {
            upo.documents.iter().any(|d| {
                Some(d.ksef_number.to_string()) == row.ksef_number && d.document_hash == hash
            })
        });
        if !matches {
            self.store.raise_alert(
                "upo_mismatch",
                Some(id),
                "engine.upo_hash_mismatch",
                "the UPO KSeF returned does not confirm this invoice",
                self.clock.now_ms(),
            )?;
            return Ok(false);
        }
        let verified = downloaded.hash == HashCheck::Verified;
        self.store
            .save_upo(id, &downloaded.bytes, verified, self.clock.now_ms())?;
        self.retry_at.remove(&id);
        tracing::info!(trace_id = %row.trace_id, invoice = id.0, "UPO stored");
        Ok(true)
    }
}
