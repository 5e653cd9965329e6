//! The questions the resolver asks KSeF about one invoice whose send may have reached it, each
//! answered as a [`Sighting`]: is a session final (so its list is complete), what does the
//! per-invoice status say, and does KSeF's invoice search find it by seller, number and hash.
//! Every question is one [`Runner::call`], gated and observed like every other request.

use chrono::{Duration, NaiveDate, NaiveTime};
use ksef_api::port::{MetadataQuery, QueryDateType, QuerySubject};
use ksef_api::{
    ErrorClass, InvoiceRef, Ksef, KsefError, LimitGroup, Nip, ReferenceNumber, SessionRef,
    Sha256B64,
};

use super::call::Request;
use super::{sessions, work, Hooks, Runner, RunnerError, Tick};
use crate::clock::Clock;
use crate::store::InvoiceId;

/// Metadata pages read per search at most (seller + number narrows to a handful of rows).
const SEARCH_PAGES_MAX: u32 = 10;
/// Rows per metadata page (KSeF allows 10..=250).
const SEARCH_PAGE_SIZE: u32 = 50;
/// Days searched either side of `P_1`: KSeF reads an offset-less range in Warsaw time.
const SEARCH_MARGIN_DAYS: i64 = 1;

/// What one way of asking KSeF said about an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Sighting {
    /// KSeF has it in `session` under `invoice_ref`; its verdict is still to be polled.
    InSession {
        /// Session reference.
        session: String,
        /// Invoice reference.
        invoice_ref: String,
    },
    /// KSeF's search finds it accepted under this KSeF number.
    Numbered {
        /// KSeF number.
        number: String,
        /// The session it went out in, when known (the search does not say).
        session: Option<String>,
    },
    /// This way of asking proves nothing either way (no reference, session unknown to KSeF,
    /// not accepted yet, or not enough data to search).
    Unknowable,
    /// KSeF could not be asked now (limit, breaker, outage); ask again later.
    NotNow,
}

/// Whether a session's invoice list can still grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SessionView {
    /// Closed: what its list lacks, KSeF does not have from it.
    Final,
    /// A batch KSeF never processes (never closed, or its upload failed): nothing in it counts.
    NeverProcessed,
    /// Still processing (a closed batch): its list may grow.
    Pending,
    /// KSeF does not know the session (any more).
    Gone,
    /// Could not be settled now.
    NotNow,
}

/// Whether a failure says "not now" (retry) rather than "this cannot be answered".
fn is_not_now(e: &KsefError) -> bool {
    matches!(
        e.class(),
        ErrorClass::Transient
            | ErrorClass::RateLimited
            | ErrorClass::AuthExpired
            | ErrorClass::OutcomeUnknown
    )
}

impl<K: Ksef, C: Clock + Clone + 'static, H: Hooks> Runner<K, C, H> {
    /// Makes `reference` final where we can: an online session of ours still open is closed
    /// (a request in flight in it can then no longer land), a batch we never closed is left
    /// unclosed for good (KSeF never processes it).
    pub(super) async fn settle_session(
        &mut self,
        reference: &str,
        tick: &mut Tick,
    ) -> Result<SessionView, RunnerError> {
        let Some((kind, state)) = sessions::kind_and_state(&self.store, reference)? else {
            return Ok(SessionView::Gone);
        };
        match (kind.as_str(), state.as_str()) {
            ("batch", "failed") => Ok(SessionView::NeverProcessed),
            (_, "closed" | "failed") => Ok(SessionView::Final),
            ("online", "open") => {
                let current = self
                    .online
                    .as_ref()
                    .is_some_and(|o| o.session.to_string() == reference);
                // Closing asks the breaker itself, right before the request leaves.
                let closed = if current {
                    self.close_online(tick).await?;
                    self.online.is_none()
                } else {
                    self.close_session(reference, tick).await?
                };
                Ok(if closed {
                    SessionView::Final
                } else {
                    SessionView::NotNow
                })
            }
            ("batch", "open") => self.settle_unclosed_batch(reference, tick).await,
            _ => Ok(SessionView::Pending),
        }
    }

    /// A batch session we never marked closed: asks KSeF whether the close reached it.
    async fn settle_unclosed_batch(
        &mut self,
        reference: &str,
        tick: &mut Tick,
    ) -> Result<SessionView, RunnerError> {
        let Ok(parsed) = ReferenceNumber::parse(reference) else {
            return Ok(SessionView::Gone);
        };
        let session = &SessionRef(parsed);
        let Some(result) = self
            .call(
                Request::new(LimitGroup::SessionMisc),
                tick,
                |ksef, token| async move { ksef.session_status(&token, session).await },
            )
            .await?
        else {
            return Ok(SessionView::NotNow);
        };
        let now_ms = self.clock.now_ms();
        match result {
            // Still open: the close never reached KSeF. We never send it now, so KSeF cancels
            // the session unprocessed and nothing in it can become an invoice.
            Ok(status) if status.code == 100 => {
                sessions::set_state(&self.store, reference, "failed", now_ms)?;
                Ok(SessionView::NeverProcessed)
            }
            // The close did reach KSeF: the batch poller records its outcome.
            Ok(_) => {
                sessions::set_state(&self.store, reference, sessions::BATCH_PROCESSING, now_ms)?;
                Ok(SessionView::Pending)
            }
            Err(e) if is_not_now(&e) => Ok(SessionView::NotNow),
            Err(_) => Ok(SessionView::Gone),
        }
    }

    /// Fallback (b): the per-invoice status, when we know the invoice's reference.
    pub(super) async fn status_sighting(
        &mut self,
        id: InvoiceId,
        hash: &Sha256B64,
        tick: &mut Tick,
    ) -> Result<Sighting, RunnerError> {
        let row = self.store.invoice(id)?;
        let (Some(session), Some(invoice_ref)) = (row.ksef_session_ref, row.ksef_invoice_ref)
        else {
            return Ok(Sighting::Unknowable);
        };
        let (Ok(parsed_session), Ok(parsed_invoice)) = (
            ReferenceNumber::parse(&session),
            ReferenceNumber::parse(&invoice_ref),
        ) else {
            return Ok(Sighting::Unknowable);
        };
        let (session_ref, invoice) = (&SessionRef(parsed_session), &InvoiceRef(parsed_invoice));
        let Some(result) = self
            .call(Request::new(LimitGroup::InvoiceStatus), tick, |ksef, token| async move {
                ksef.invoice_status(&token, session_ref, invoice).await
            })
            .await?
        else {
            return Ok(Sighting::NotNow);
        };
        Ok(match result {
            Ok(status) if &status.invoice_hash == hash => Sighting::InSession {
                session,
                invoice_ref,
            },
            Ok(_) => Sighting::Unknowable,
            Err(e) if is_not_now(&e) => Sighting::NotNow,
            Err(_) => Sighting::Unknowable,
        })
    }

    /// Fallback (c): KSeF's invoice search by seller NIP and invoice number around the issue
    /// date, matched on the SHA-256 of our exact bytes. It sees accepted invoices only.
    pub(super) async fn search_sighting(
        &mut self,
        id: InvoiceId,
        hash: &Sha256B64,
        tick: &mut Tick,
    ) -> Result<Sighting, RunnerError> {
        let Some(key) = work::search_key(&self.store, id)? else {
            return Ok(Sighting::Unknowable);
        };
        let (Ok(nip), Ok(issued)) = (
            Nip::parse(&key.seller_nip),
            NaiveDate::parse_from_str(&key.issue_date, "%Y-%m-%d"),
        ) else {
            return Ok(Sighting::Unknowable);
        };
        let day = |d: NaiveDate| d.and_time(NaiveTime::MIN).and_utc();
        let mut query = MetadataQuery {
            subject: QuerySubject::Seller,
            date_type: QueryDateType::Issue,
            from: day(issued - Duration::days(SEARCH_MARGIN_DAYS)),
            to: Some(day(issued + Duration::days(SEARCH_MARGIN_DAYS + 1))),
            seller_nip: Some(nip),
            invoice_number: Some(key.invoice_number),
            ksef_number: None,
            page_offset: 0,
            page_size: SEARCH_PAGE_SIZE,
        };
        for page in 0..SEARCH_PAGES_MAX {
            query.page_offset = page;
            let this_page = &query;
            let Some(result) = self
                .call(Request::new(LimitGroup::InvoiceMetadata), tick, |ksef, token| async move {
                    ksef.query_invoice_metadata(&token, this_page).await
                })
                .await?
            else {
                return Ok(Sighting::NotNow);
            };
            let found = match result {
                Ok(found) => found,
                Err(e) if is_not_now(&e) => return Ok(Sighting::NotNow),
                Err(e) => {
                    tracing::warn!(code = %e.code(), invoice = id.0, "invoice search refused");
                    return Ok(Sighting::Unknowable);
                }
            };
            if let Some(hit) = found.invoices.iter().find(|m| &m.invoice_hash == hash) {
                return Ok(Sighting::Numbered {
                    number: hit.ksef_number.to_string(),
                    session: None,
                });
            }
            if !found.has_more {
                break;
            }
        }
        Ok(Sighting::Unknowable)
    }
}
