//! The simulator's in-memory world: auth operations, tokens, sessions, invoices and the ledger of accepted
//! invoices, advanced lazily to "now" before every request (so tests drive time with a fake clock).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use fa3::SchemaSet;
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

use crate::archive::{unpack, Compression, UnpackError, FILES_MAX};
use crate::config::Environment;
use crate::crypto::{sha256_b64, SessionKey};
use crate::ids::{ksef_number, reference_number, RefKind};
use crate::keys::KeyRing;
use crate::limits::RateLimiter;
use crate::upo;
use crate::verify::{verify, InvoiceFacts};

/// Online sessions close automatically this long after opening; unclosed batch sessions are cancelled.
pub const SESSION_VALIDITY_HOURS: i64 = 12;
/// Challenges are accepted this long after issue.
pub const CHALLENGE_VALIDITY_MINUTES: i64 = 10;
/// Refresh tokens live this long.
pub const REFRESH_TOKEN_VALIDITY_DAYS: i64 = 7;
/// Authentication (operation) tokens live this long.
pub const AUTH_TOKEN_VALIDITY_MINUTES: i64 = 45;
/// Most invoices in one session (`maxInvoices`).
pub const SESSION_INVOICES_MAX: usize = 10_000;

/// An issued challenge.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Challenge {
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// Whether an auth request already used it.
    pub used: bool,
}

/// Final result of an authentication operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AuthResult {
    /// 200.
    Success,
    /// 450 bad token, with details.
    BadToken(String),
    /// 415: the signer has no permissions in the context, with details.
    NoPermissions(String),
}

/// One authentication operation (`/auth/{referenceNumber}`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthOp {
    /// Start time.
    pub started: DateTime<Utc>,
    /// Context NIP.
    pub context_nip: String,
    /// Outcome once processed.
    pub result: AuthResult,
    /// Whether `/auth/token/redeem` already ran.
    pub redeemed: bool,
    /// Reference number of the KSeF token used (for the UPO).
    pub token_reference: String,
    /// Last refresh.
    pub last_refresh: Option<DateTime<Utc>>,
    /// Validity of the refresh token, once redeemed.
    pub refresh_valid_until: Option<DateTime<Utc>>,
    /// Authenticated with a XAdES signature rather than a KSeF token.
    #[serde(default)]
    pub xades: bool,
}

impl AuthOp {
    /// An operation started at `started`: not redeemed yet, never refreshed.
    pub(crate) fn begun(
        started: DateTime<Utc>,
        context_nip: String,
        result: AuthResult,
        token_reference: String,
        xades: bool,
    ) -> Self {
        Self {
            started,
            context_nip,
            result,
            redeemed: false,
            token_reference,
            last_refresh: None,
            refresh_valid_until: None,
            xades,
        }
    }
}

/// What a bearer token grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenKind {
    /// `authenticationToken` for status and redeem.
    Authentication,
    /// `accessToken` for protected endpoints.
    Access,
    /// `refreshToken` for refresh.
    Refresh,
}

/// An issued bearer token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IssuedToken {
    /// Kind.
    pub kind: TokenKind,
    /// Authentication operation it descends from.
    pub auth_ref: String,
    /// Context NIP.
    pub context_nip: String,
    /// Expiry.
    pub valid_until: DateTime<Utc>,
}

/// `formCode` of a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FormCode {
    /// e.g. `FA (3)`.
    pub system_code: String,
    /// e.g. `1-0E`.
    pub schema_version: String,
    /// e.g. `FA`.
    pub value: String,
}

/// A declared batch part.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartDecl {
    /// 1-based ordinal.
    pub ordinal: u32,
    /// Declared encrypted size.
    pub size: u64,
    /// Declared encrypted hash.
    pub hash: String,
}

/// Batch-specific session data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchData {
    /// Declared plain archive size.
    pub file_size: u64,
    /// Declared plain archive hash.
    pub file_hash: String,
    /// Archive format.
    pub compression: Compression,
    /// Declared parts.
    pub parts: Vec<PartDecl>,
    /// Uploaded encrypted parts by ordinal.
    #[serde(with = "crate::persist::b64_map")]
    pub uploads: BTreeMap<u32, Vec<u8>>,
    /// Parts must be uploaded before this.
    pub upload_deadline: DateTime<Utc>,
}

/// Session kind.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum SessionKind {
    /// Interactive.
    Online,
    /// Batch.
    Batch(Box<BatchData>),
}

/// Lifecycle of a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Phase {
    /// Accepting invoices (100).
    Open,
    /// Closed, processing (online 170, batch 150).
    Closed {
        /// When it closed.
        at: DateTime<Utc>,
    },
    /// Terminal status.
    Final {
        /// Status code.
        code: u16,
        /// Description.
        description: String,
        /// Details.
        details: Vec<String>,
    },
}

/// A session UPO page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UpoPage {
    /// Page reference number.
    pub reference: String,
    /// The XML.
    pub xml: String,
}

/// A session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    /// Reference number.
    pub reference: String,
    /// Online or batch.
    pub kind: SessionKind,
    /// Context NIP.
    pub context_nip: String,
    /// KSeF token reference (UPO).
    pub token_reference: String,
    /// formCode.
    pub form_code: FormCode,
    /// Decrypted key; `None` when unwrapping failed (415).
    pub key: Option<SessionKey>,
    /// Session-level offline flag (batch).
    pub offline_mode: bool,
    /// Creation time.
    pub created: DateTime<Utc>,
    /// Last activity.
    pub updated: DateTime<Utc>,
    /// Auto-close time.
    pub valid_until: DateTime<Utc>,
    /// Lifecycle.
    pub phase: Phase,
    /// Invoice references in ordinal order.
    pub invoices: Vec<String>,
    /// Session UPO pages, once final.
    pub upo_pages: Vec<UpoPage>,
}

impl Session {
    /// Whether it is online.
    pub fn is_online(&self) -> bool {
        matches!(self.kind, SessionKind::Online)
    }
}

/// Online or offline invoicing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvoicingMode {
    /// Online.
    Online,
    /// Offline.
    Offline,
}

/// An accepted invoice's data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Accepted {
    /// KSeF number.
    pub ksef_number: String,
    /// Verified facts.
    pub facts: InvoiceFacts,
    /// When the number was assigned.
    pub acquired_at: DateTime<Utc>,
    /// Invoicing mode.
    pub mode: InvoicingMode,
}

/// A refused invoice's data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rejected {
    /// Invoice status code.
    pub code: u16,
    /// Details.
    pub details: Vec<String>,
    /// Extensions (duplicates).
    pub extensions: BTreeMap<String, String>,
    /// `P_2` when readable.
    pub invoice_number: Option<String>,
}

/// Processing outcome.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Outcome {
    /// Not processed yet.
    Pending,
    /// 200.
    Accepted(Box<Accepted>),
    /// 4xx.
    Rejected(Rejected),
}

/// An invoice inside a session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Invoice {
    /// Invoice reference number.
    pub reference: String,
    /// Session reference.
    pub session_ref: String,
    /// 1-based position in the session.
    pub ordinal: u32,
    /// Plain XML; `None` when decryption failed.
    #[serde(with = "crate::persist::b64_opt")]
    pub plain: Option<Vec<u8>>,
    /// Declared (online) or computed (batch) hash of the plain file.
    pub invoice_hash: String,
    /// File name inside the batch archive.
    pub file_name: Option<String>,
    /// When KSeF accepted it for processing.
    pub invoicing_date: DateTime<Utc>,
    /// When processing completes.
    pub due: DateTime<Utc>,
    /// Declared offline.
    pub offline_mode: bool,
    /// Outcome.
    pub outcome: Outcome,
}

/// One accepted invoice in the ledger (`GET /_sim/ledger`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LedgerEntry {
    /// KSeF number.
    pub ksef_number: String,
    /// Seller NIP.
    pub seller_nip: String,
    /// `RodzajFaktury`.
    pub invoice_type: String,
    /// `P_2`.
    pub invoice_number: String,
    /// b64 SHA-256 of the file.
    pub invoice_hash: String,
    /// Session of acceptance.
    pub session_reference_number: String,
    /// Acceptance time.
    pub accepted_at: DateTime<Utc>,
}

/// Forced rejection of the next invoices (admin).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForcedRejection {
    /// Status code to give.
    pub code: u16,
    /// How many invoices remain to reject.
    pub remaining: u32,
}

/// Counters for `GET /_sim/stats`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// Requests per limit group key.
    pub requests: BTreeMap<String, u64>,
    /// Requests refused with 429.
    pub rate_limited: u64,
    /// Faults injected.
    pub faults_injected: u64,
    /// Sessions opened, by kind (`online`, `batch`); absent from state saved before it existed.
    #[serde(default)]
    pub sessions_opened: BTreeMap<String, u64>,
}

/// Inputs of processing that come from configuration.
pub struct ProcessCtx<'a> {
    /// Processing delay.
    pub processing: Duration,
    /// Environment rules.
    pub environment: Environment,
    /// FA(3) XSD, when loaded.
    pub schemas: Option<&'a SchemaSet>,
}

/// Everything mutable.
pub struct SimState {
    /// Seeded randomness.
    pub rng: ChaCha20Rng,
    /// Public keys.
    pub keys: KeyRing,
    /// Reference numbers of provisioned tokens, by token text.
    pub token_refs: HashMap<String, String>,
    /// Challenges.
    pub challenges: HashMap<String, Challenge>,
    /// Auth operations.
    pub auth_ops: HashMap<String, AuthOp>,
    /// Bearer tokens.
    pub tokens: HashMap<String, IssuedToken>,
    /// Sessions.
    pub sessions: HashMap<String, Session>,
    /// Session references in creation order.
    pub session_order: Vec<String>,
    /// Invoices.
    pub invoices: HashMap<String, Invoice>,
    /// Invoice references awaiting processing, in receipt order.
    pub pending: Vec<String>,
    /// Duplicate index: key → (session ref, KSeF number).
    pub duplicates: HashMap<String, (String, String)>,
    /// Ledger of accepted invoices.
    pub ledger: Vec<LedgerEntry>,
    /// Rate limiter.
    pub limiter: RateLimiter,
    /// Forced rejections.
    pub forced_rejection: Option<ForcedRejection>,
    /// Counters.
    pub stats: Stats,
    /// Secret for pre-signed URLs.
    pub url_secret: String,
}

impl SimState {
    /// A new reference number.
    pub fn new_reference(&mut self, now: DateTime<Utc>, kind: RefKind) -> String {
        reference_number(&mut self.rng, now, kind)
    }

    /// Brings the world up to `now`: expiries, invoice processing, session completion.
    pub fn advance(&mut self, now: DateTime<Utc>, ctx: &ProcessCtx<'_>) {
        self.expire_sessions(now);
        self.unpack_batches(now, ctx);
        self.process_invoices(now, ctx);
        self.finish_sessions(now, ctx);
    }

    fn expire_sessions(&mut self, now: DateTime<Utc>) {
        for session in self.sessions.values_mut() {
            if session.phase != Phase::Open || now < session.valid_until {
                continue;
            }
            session.updated = session.valid_until;
            session.phase = if session.is_online() {
                Phase::Closed {
                    at: session.valid_until,
                }
            } else {
                Phase::Final {
                    code: 440,
                    description: "Sesja anulowana".into(),
                    details: vec!["Przekroczono czas wysyłki".into()],
                }
            };
        }
    }

    fn unpack_batches(&mut self, now: DateTime<Utc>, ctx: &ProcessCtx<'_>) {
        let due: Vec<String> = self
            .session_order
            .iter()
            .filter(|r| {
                self.sessions.get(*r).is_some_and(|s| {
                    !s.is_online()
                        && matches!(s.phase, Phase::Closed { at } if at + ctx.processing <= now)
                        && s.invoices.is_empty()
                })
            })
            .cloned()
            .collect();
        for reference in due {
            let Some(session) = self.sessions.get_mut(&reference) else {
                continue;
            };
            match open_batch(session) {
                Err(phase) => {
                    session.phase = phase;
                    session.updated = now;
                }
                Ok(files) => {
                    let offline = session.offline_mode;
                    let created = session.created;
                    let mut refs = Vec::with_capacity(files.len());
                    for (index, file) in files.into_iter().enumerate() {
                        let inv_ref = reference_number(&mut self.rng, now, RefKind::Invoice);
                        let invoice = Invoice {
                            reference: inv_ref.clone(),
                            session_ref: reference.clone(),
                            ordinal: u32::try_from(index + 1).unwrap_or(u32::MAX),
                            invoice_hash: sha256_b64(&file.bytes),
                            plain: Some(file.bytes),
                            file_name: Some(file.name),
                            // §10: for batch, invoicingDate is the session open time.
                            invoicing_date: created,
                            due: now,
                            offline_mode: offline,
                            outcome: Outcome::Pending,
                        };
                        self.invoices.insert(inv_ref.clone(), invoice);
                        self.pending.push(inv_ref.clone());
                        refs.push(inv_ref);
                    }
                    if let Some(session) = self.sessions.get_mut(&reference) {
                        session.invoices = refs;
                        session.updated = now;
                    }
                }
            }
        }
    }

    fn process_invoices(&mut self, now: DateTime<Utc>, ctx: &ProcessCtx<'_>) {
        let (ready, waiting): (Vec<String>, Vec<String>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|r| self.invoices.get(r).is_some_and(|i| i.due <= now));
        self.pending = waiting;
        for reference in ready {
            let outcome = self.judge(&reference, ctx);
            if let Some(invoice) = self.invoices.get_mut(&reference) {
                invoice.outcome = outcome;
            }
        }
    }

    /// Decides one invoice at its due time (which is also its acceptance time).
    fn judge(&mut self, reference: &str, ctx: &ProcessCtx<'_>) -> Outcome {
        let Some(invoice) = self.invoices.get(reference) else {
            return Outcome::Pending;
        };
        let at = invoice.due;
        let reject = |code: u16, details: Vec<String>, number: Option<String>| {
            Outcome::Rejected(Rejected {
                code,
                details,
                extensions: BTreeMap::new(),
                invoice_number: number,
            })
        };
        if let Some(forced) = self.forced_rejection.as_mut() {
            forced.remaining = forced.remaining.saturating_sub(1);
            let code = forced.code;
            if forced.remaining == 0 {
                self.forced_rejection = None;
            }
            return reject(
                code,
                vec!["Odrzucenie wymuszone przez symulator.".into()],
                None,
            );
        }
        let Some(plain) = invoice.plain.as_deref() else {
            return reject(435, vec!["Nie można odszyfrować faktury.".into()], None);
        };
        let facts = match verify(plain, ctx.environment, at.date_naive(), ctx.schemas) {
            Ok(facts) => facts,
            Err(refusal) => return reject(refusal.status, refusal.details, refusal.invoice_number),
        };
        if let Some((original_session, original_number)) = self.duplicates.get(&facts.duplicate_key)
        {
            let mut extensions = BTreeMap::new();
            extensions.insert(
                "originalSessionReferenceNumber".to_string(),
                original_session.clone(),
            );
            extensions.insert("originalKsefNumber".to_string(), original_number.clone());
            return Outcome::Rejected(Rejected {
                code: 440,
                details: vec!["Duplikat faktury.".into()],
                extensions,
                invoice_number: Some(facts.invoice_number),
            });
        }
        let number = ksef_number(&mut self.rng, &facts.seller_nip, at);
        let mode =
            if invoice.offline_mode || facts.issue_date < invoicing_day(invoice.invoicing_date) {
                InvoicingMode::Offline
            } else {
                InvoicingMode::Online
            };
        self.duplicates.insert(
            facts.duplicate_key.clone(),
            (invoice.session_ref.clone(), number.clone()),
        );
        self.ledger.push(LedgerEntry {
            ksef_number: number.clone(),
            seller_nip: facts.seller_nip.clone(),
            invoice_type: facts.invoice_kind.clone(),
            invoice_number: facts.invoice_number.clone(),
            invoice_hash: invoice.invoice_hash.clone(),
            session_reference_number: invoice.session_ref.clone(),
            accepted_at: at,
        });
        Outcome::Accepted(Box::new(Accepted {
            ksef_number: number,
            facts,
            acquired_at: at,
            mode,
        }))
    }

    fn finish_sessions(&mut self, now: DateTime<Utc>, ctx: &ProcessCtx<'_>) {
        let candidates: Vec<String> = self
            .session_order
            .iter()
            .filter(|r| {
                self.sessions.get(*r).is_some_and(|s| {
                    matches!(s.phase, Phase::Closed { at } if at + ctx.processing <= now)
                        && s.invoices.iter().all(|i| {
                            self.invoices
                                .get(i)
                                .is_none_or(|inv| !matches!(inv.outcome, Outcome::Pending))
                        })
                })
            })
            .cloned()
            .collect();
        for reference in candidates {
            let Some(session) = self.sessions.get(&reference) else {
                continue;
            };
            let accepted: Vec<(&Invoice, &Accepted)> = session
                .invoices
                .iter()
                .filter_map(|r| self.invoices.get(r))
                .filter_map(|inv| match &inv.outcome {
                    Outcome::Accepted(a) => Some((inv, a.as_ref())),
                    _ => None,
                })
                .collect();
            let phase = if session.invoices.is_empty() {
                Phase::Final {
                    code: 440,
                    description: "Sesja anulowana".into(),
                    details: vec!["Nie przesłano faktur".into()],
                }
            } else if accepted.is_empty() {
                Phase::Final {
                    code: 445,
                    description: "Błąd weryfikacji, brak poprawnych faktur".into(),
                    details: Vec::new(),
                }
            } else {
                Phase::Final {
                    code: 200,
                    description: if session.is_online() {
                        "Sesja interaktywna przetworzona pomyślnie".into()
                    } else {
                        "Sesja wsadowa przetworzona pomyślnie".into()
                    },
                    details: Vec::new(),
                }
            };
            let page_texts = upo::session_pages(session, &accepted);
            let pages: Vec<UpoPage> = page_texts
                .into_iter()
                .map(|xml| UpoPage {
                    reference: reference_number(&mut self.rng, now, RefKind::Upo),
                    xml,
                })
                .collect();
            if let Some(session) = self.sessions.get_mut(&reference) {
                session.phase = phase;
                session.upo_pages = pages;
                session.updated = now;
            }
        }
    }
}

/// The calendar day an invoice was received (Polish law counts days; UTC is close enough for the simulator).
fn invoicing_day(at: DateTime<Utc>) -> NaiveDate {
    at.date_naive()
}

/// Verifies, decrypts and unpacks a closed batch; the error is the session's terminal phase.
fn open_batch(session: &Session) -> Result<Vec<crate::archive::ArchiveFile>, Phase> {
    let fail = |code: u16, description: &str, detail: String| Phase::Final {
        code,
        description: description.to_string(),
        details: vec![detail],
    };
    let SessionKind::Batch(batch) = &session.kind else {
        return Err(fail(
            500,
            "Nieznany błąd (500)",
            "not a batch session".into(),
        ));
    };
    let Some(key) = session.key.as_ref() else {
        return Err(fail(
            415,
            "Błąd odszyfrowania dostarczonego klucza",
            String::new(),
        ));
    };
    let mut archive = Vec::new();
    for part in &batch.parts {
        let Some(encrypted) = batch.uploads.get(&part.ordinal) else {
            return Err(fail(
                405,
                "Błąd weryfikacji poprawności dostarczonych elementów paczki",
                format!("part {} missing", part.ordinal),
            ));
        };
        if sha256_b64(encrypted) != part.hash {
            return Err(fail(
                405,
                "Błąd weryfikacji poprawności dostarczonych elementów paczki",
                format!("part {} hash mismatch", part.ordinal),
            ));
        }
        let Some(plain) = key.decrypt(encrypted) else {
            return Err(fail(
                435,
                "Błąd odszyfrowania zaszyfrowanych części archiwum",
                format!("part {}", part.ordinal),
            ));
        };
        archive.extend_from_slice(&plain);
    }
    if archive.len() as u64 != batch.file_size || sha256_b64(&archive) != batch.file_hash {
        return Err(fail(
            405,
            "Błąd weryfikacji poprawności dostarczonych elementów paczki",
            "archive size or hash differs from batchFile".into(),
        ));
    }
    match unpack(&archive, batch.compression) {
        Ok(files) if files.len() > FILES_MAX => Err(fail(
            420,
            "Przekroczony limit faktur w sesji",
            String::new(),
        )),
        Ok(files) => Ok(files),
        Err(UnpackError::TooManyFiles) => Err(fail(
            420,
            "Przekroczony limit faktur w sesji",
            UnpackError::TooManyFiles.to_string(),
        )),
        Err(e) => Err(fail(
            430,
            "Błąd dekompresji pierwotnego archiwum",
            e.to_string(),
        )),
    }
}
