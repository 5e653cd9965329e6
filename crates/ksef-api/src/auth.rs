//! `AuthState`: keeps a valid access token (proactive refresh, re-authentication when the refresh
//! token is dead) and KSeF's public keys (refetched once when KSeF reports them rotated, 21470).

use std::sync::Arc;

use chrono::Duration;
use rand::{CryptoRng, RngCore};
use tokio::sync::Mutex;

use crate::batch::BatchFile;
use crate::clock::Clock;
use crate::crypto::{
    select_key, EncryptionInfo, EncryptionKey, KeyUsage, PublicKeyCertificate, SessionCipher,
};
use crate::error::{ErrorClass, KsefError, KsefResult};
use crate::form::FormCode;
use crate::ids::ContextIdentifier;
use crate::port::{AuthTokens, Ksef, OpenedBatch, OpenedSession};
use crate::secret::Secret;
use crate::status::InvoicingMode;
use crate::xades::Signer;

/// When to renew tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthPolicy {
    /// Refresh the access token this long before its `validUntil`, so no request races expiry.
    pub refresh_margin: Duration,
}

impl Default for AuthPolicy {
    fn default() -> Self {
        Self {
            refresh_margin: Duration::seconds(60),
        }
    }
}

#[derive(Default)]
struct Cached {
    tokens: Option<AuthTokens>,
    certificates: Option<Vec<PublicKeyCertificate>>,
}

/// How this holder proves who it is.
enum Credential {
    /// A KSeF token (`/auth/ksef-token`).
    KsefToken(Secret),
    /// A certificate and its key (`/auth/xades-signature`).
    Certificate(Arc<Signer>),
}

/// Token and key holder for one context, wrapping a [`Ksef`] port.
pub struct AuthState<K, C> {
    ksef: K,
    clock: C,
    context: ContextIdentifier,
    credential: Credential,
    policy: AuthPolicy,
    // One lock so that concurrent callers trigger a single refresh/authentication, not one each.
    cached: Mutex<Cached>,
}

impl<K: Ksef, C: Clock> AuthState<K, C> {
    /// A holder that authenticates lazily on first use.
    pub fn new(
        ksef: K,
        clock: C,
        context: ContextIdentifier,
        ksef_token: Secret,
        policy: AuthPolicy,
    ) -> Self {
        Self::holding(
            ksef,
            clock,
            context,
            Credential::KsefToken(ksef_token),
            policy,
        )
    }

    /// A holder that authenticates lazily with a XAdES signature by `signer` instead of a KSeF token.
    pub fn with_signer(
        ksef: K,
        clock: C,
        context: ContextIdentifier,
        signer: Arc<Signer>,
        policy: AuthPolicy,
    ) -> Self {
        Self::holding(
            ksef,
            clock,
            context,
            Credential::Certificate(signer),
            policy,
        )
    }

    /// Either constructor's holder: nothing cached yet, so the first use authenticates.
    fn holding(
        ksef: K,
        clock: C,
        context: ContextIdentifier,
        credential: Credential,
        policy: AuthPolicy,
    ) -> Self {
        Self {
            ksef,
            clock,
            context,
            credential,
            policy,
            cached: Mutex::new(Cached::default()),
        }
    }

    /// The wrapped port, for calls that need no token handling.
    pub fn ksef(&self) -> &K {
        &self.ksef
    }

    /// A currently valid access token: cached, refreshed, or from a new authentication.
    pub async fn access_token(&self) -> KsefResult<Secret> {
        let mut cached = self.cached.lock().await;
        let now = self.clock.now();
        if let Some(tokens) = cached.tokens.as_mut() {
            if now + self.policy.refresh_margin < tokens.access_valid_until {
                return Ok(tokens.access.clone());
            }
            if now + self.policy.refresh_margin < tokens.refresh_valid_until {
                match self.ksef.refresh(&tokens.refresh).await {
                    Ok(access) => {
                        tokens.access = access.token.clone();
                        tokens.access_valid_until = access.valid_until;
                        return Ok(access.token);
                    }
                    // A dead refresh token is not an error for the caller: authenticate again.
                    Err(e) if e.class() == ErrorClass::AuthExpired => {}
                    Err(e) => return Err(e),
                }
            }
        }
        cached.tokens = None;
        let tokens = self.authenticate(&mut cached).await?;
        let access = tokens.access.clone();
        cached.tokens = Some(tokens);
        Ok(access)
    }

    /// Forgets the access token (e.g. after KSeF answered 401), so the next call renews it.
    pub async fn invalidate_access(&self) {
        let mut cached = self.cached.lock().await;
        if let Some(tokens) = cached.tokens.as_mut() {
            tokens.access_valid_until = self.clock.now() - Duration::seconds(1);
        }
    }

    /// Runs `call` with a valid access token; after an auth-expired answer it renews the token
    /// and runs `call` once more. A 401 means KSeF did not process the request, so repeating is safe.
    pub async fn with_access<T, F, Fut>(&self, call: F) -> KsefResult<T>
    where
        F: Fn(Secret) -> Fut + Send,
        Fut: std::future::Future<Output = KsefResult<T>> + Send,
        T: Send,
    {
        let token = self.access_token().await?;
        match call(token).await {
            Err(e) if e.class() == ErrorClass::AuthExpired => {
                self.invalidate_access().await;
                call(self.access_token().await?).await
            }
            other => other,
        }
    }

    /// KSeF's current key for `usage`, from the cached certificate list.
    pub async fn encryption_key(&self, usage: KeyUsage) -> KsefResult<EncryptionKey> {
        let mut cached = self.cached.lock().await;
        self.key_from(&mut cached, usage).await
    }

    /// Opens an online session for `cipher`; retries once with fresh keys if KSeF rotated its key.
    pub async fn open_online_session<R>(
        &self,
        form: FormCode,
        cipher: &SessionCipher,
        rng: &mut R,
    ) -> KsefResult<OpenedSession>
    where
        R: RngCore + CryptoRng + Send,
    {
        let access = &self.access_token().await?;
        let ksef = &self.ksef;
        self.with_session_key(cipher, rng, move |info| async move {
            ksef.open_online_session(access, form, &info).await
        })
        .await
    }

    /// Opens a batch session; retries once with fresh keys if KSeF rotated its key.
    pub async fn open_batch_session<R>(
        &self,
        form: FormCode,
        batch: &BatchFile,
        cipher: &SessionCipher,
        mode: InvoicingMode,
        rng: &mut R,
    ) -> KsefResult<OpenedBatch>
    where
        R: RngCore + CryptoRng + Send,
    {
        let access = &self.access_token().await?;
        let ksef = &self.ksef;
        self.with_session_key(cipher, rng, move |info| async move {
            ksef.open_batch_session(access, form, batch, &info, mode)
                .await
        })
        .await
    }

    /// Runs `open` with the session key wrapped for KSeF's current symmetric-key encryption key;
    /// when KSeF answers that this key was rotated (21470), refetches the keys and runs `open`
    /// once more with the key wrapped anew.
    async fn with_session_key<T, R, F, Fut>(
        &self,
        cipher: &SessionCipher,
        rng: &mut R,
        open: F,
    ) -> KsefResult<T>
    where
        R: RngCore + CryptoRng + Send,
        F: Fn(EncryptionInfo) -> Fut + Send,
        Fut: std::future::Future<Output = KsefResult<T>> + Send,
    {
        let mut refetched = false;
        loop {
            let key = self
                .encryption_key(KeyUsage::SymmetricKeyEncryption)
                .await?;
            let info = cipher.encryption_info(&key, rng).map_err(crypto_error)?;
            match open(info).await {
                Err(e) if e.is_key_rotated() && !refetched => {
                    refetched = true;
                    self.forget_keys().await;
                }
                other => return other,
            }
        }
    }

    async fn forget_keys(&self) {
        self.cached.lock().await.certificates = None;
    }

    async fn key_from(&self, cached: &mut Cached, usage: KeyUsage) -> KsefResult<EncryptionKey> {
        if cached.certificates.is_none() {
            cached.certificates = Some(self.ksef.public_keys().await?);
        }
        let certificates = cached.certificates.as_deref().unwrap_or_default();
        select_key(certificates, usage, self.clock.now()).map_err(crypto_error)
    }

    async fn authenticate(&self, cached: &mut Cached) -> KsefResult<AuthTokens> {
        let ksef_token = match &self.credential {
            // A signature needs none of KSeF's public keys.
            Credential::Certificate(signer) => {
                return self.ksef.authenticate_xades(&self.context, signer).await
            }
            Credential::KsefToken(token) => token,
        };
        let key = self.key_from(cached, KeyUsage::KsefTokenEncryption).await?;
        match self
            .ksef
            .authenticate(&self.context, ksef_token, &key)
            .await
        {
            Err(e) if e.is_key_rotated() => {
                cached.certificates = None;
                let key = self.key_from(cached, KeyUsage::KsefTokenEncryption).await?;
                self.ksef
                    .authenticate(&self.context, ksef_token, &key)
                    .await
            }
            other => other,
        }
    }
}

/// Our own crypto failing (no usable KSeF key, bad certificate) needs a human: configuration or KSeF data.
fn crypto_error(e: crate::crypto::CryptoError) -> KsefError {
    KsefError::Permanent {
        remote: None,
        detail: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::{Arc, Mutex as StdMutex};

    use base64::{engine::general_purpose::STANDARD, Engine};
    use chrono::{DateTime, TimeZone, Utc};
    use rand::SeedableRng;
    use url::Url;

    use super::*;
    use crate::batch::BatchFile;
    use crate::clock::ManualClock;
    use crate::crypto::{EncryptedInvoice, EncryptionInfo};
    use crate::error::{exception, RemoteCode};
    use crate::ids::{InvoiceRef, Nip, ReferenceNumber, SessionRef};
    use crate::limits::{ContextLimits, RateLimits};
    use crate::port::{
        AccessToken, Downloaded, MetadataPage, MetadataQuery, PartUpload, UpoSelector,
    };
    use crate::status::{InvoiceStatus, Page, PageRequest, SessionStatus};

    const CERT_B64: &str = include_str!("../tests/fixtures/test-cert.der.b64");

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
    }

    #[derive(Default)]
    struct Script {
        calls: Vec<&'static str>,
        authenticate: VecDeque<KsefResult<AuthTokens>>,
        refresh: VecDeque<KsefResult<AccessToken>>,
        open_online: VecDeque<KsefResult<OpenedSession>>,
        rate_limits: VecDeque<KsefResult<RateLimits>>,
        access_seen: Vec<String>,
    }

    /// A scripted port: each call records its name and pops the next scripted answer.
    #[derive(Clone, Default)]
    struct FakeKsef(Arc<StdMutex<Script>>);

    fn unscripted<T>() -> KsefResult<T> {
        Err(KsefError::Permanent {
            remote: None,
            detail: "not scripted".into(),
        })
    }

    impl FakeKsef {
        fn with<T>(&self, f: impl FnOnce(&mut Script) -> T) -> T {
            f(&mut self.0.lock().unwrap())
        }
        fn calls(&self) -> Vec<&'static str> {
            self.with(|s| s.calls.clone())
        }
        fn record(&self, name: &'static str) {
            self.with(|s| s.calls.push(name));
        }
    }

    fn rotated() -> KsefError {
        KsefError::from_exception(
            crate::Operation::OpenOnlineSession,
            exception::PUBLIC_KEY_UNKNOWN,
            "k".into(),
            vec![],
        )
    }

    fn tokens(n: u32, access_minutes: i64, refresh_minutes: i64) -> AuthTokens {
        AuthTokens {
            access: Secret::new(format!("access-{n}")),
            access_valid_until: t0() + Duration::minutes(access_minutes),
            refresh: Secret::new(format!("refresh-{n}")),
            refresh_valid_until: t0() + Duration::minutes(refresh_minutes),
        }
    }

    impl Ksef for FakeKsef {
        async fn public_keys(&self) -> KsefResult<Vec<PublicKeyCertificate>> {
            self.record("public_keys");
            Ok(vec![PublicKeyCertificate {
                der: STANDARD.decode(CERT_B64.trim()).unwrap(),
                valid_from: t0() - Duration::days(1),
                valid_to: t0() + Duration::days(365),
                usage: vec![
                    KeyUsage::KsefTokenEncryption,
                    KeyUsage::SymmetricKeyEncryption,
                ],
            }])
        }
        async fn authenticate(
            &self,
            _: &ContextIdentifier,
            _: &Secret,
            _: &EncryptionKey,
        ) -> KsefResult<AuthTokens> {
            self.record("authenticate");
            self.with(|s| s.authenticate.pop_front())
                .unwrap_or_else(unscripted)
        }
        async fn refresh(&self, refresh: &Secret) -> KsefResult<AccessToken> {
            self.record("refresh");
            self.with(|s| s.access_seen.push(refresh.expose().to_owned()));
            self.with(|s| s.refresh.pop_front())
                .unwrap_or_else(unscripted)
        }
        async fn open_online_session(
            &self,
            access: &Secret,
            _: FormCode,
            _: &EncryptionInfo,
        ) -> KsefResult<OpenedSession> {
            self.record("open_online_session");
            self.with(|s| s.access_seen.push(access.expose().to_owned()));
            self.with(|s| s.open_online.pop_front())
                .unwrap_or_else(unscripted)
        }
        async fn send_invoice(
            &self,
            _: &Secret,
            _: &SessionRef,
            _: &EncryptedInvoice,
            _: InvoicingMode,
        ) -> KsefResult<InvoiceRef> {
            unscripted()
        }
        async fn close_online_session(&self, _: &Secret, _: &SessionRef) -> KsefResult<()> {
            unscripted()
        }
        async fn open_batch_session(
            &self,
            _: &Secret,
            _: FormCode,
            _: &BatchFile,
            _: &EncryptionInfo,
            _: InvoicingMode,
        ) -> KsefResult<OpenedBatch> {
            unscripted()
        }
        async fn upload_part(&self, _: &PartUpload, _: &[u8]) -> KsefResult<()> {
            unscripted()
        }
        async fn close_batch_session(&self, _: &Secret, _: &SessionRef) -> KsefResult<()> {
            unscripted()
        }
        async fn session_status(&self, _: &Secret, _: &SessionRef) -> KsefResult<SessionStatus> {
            unscripted()
        }
        async fn session_invoices(
            &self,
            _: &Secret,
            _: &SessionRef,
            _: &PageRequest,
        ) -> KsefResult<Page<InvoiceStatus>> {
            unscripted()
        }
        async fn session_failed_invoices(
            &self,
            _: &Secret,
            _: &SessionRef,
            _: &PageRequest,
        ) -> KsefResult<Page<InvoiceStatus>> {
            unscripted()
        }
        async fn invoice_status(
            &self,
            _: &Secret,
            _: &SessionRef,
            _: &InvoiceRef,
        ) -> KsefResult<InvoiceStatus> {
            unscripted()
        }
        async fn invoice_upo(
            &self,
            _: &Secret,
            _: &SessionRef,
            _: &UpoSelector,
        ) -> KsefResult<Downloaded> {
            unscripted()
        }
        async fn session_upo_page(
            &self,
            _: &Secret,
            _: &SessionRef,
            _: &ReferenceNumber,
        ) -> KsefResult<Downloaded> {
            unscripted()
        }
        async fn download_presigned(&self, _: &Url) -> KsefResult<Downloaded> {
            unscripted()
        }
        async fn query_invoice_metadata(
            &self,
            _: &Secret,
            _: &MetadataQuery,
        ) -> KsefResult<MetadataPage> {
            unscripted()
        }
        async fn rate_limits(&self, access: &Secret) -> KsefResult<RateLimits> {
            self.record("rate_limits");
            self.with(|s| s.access_seen.push(access.expose().to_owned()));
            self.with(|s| s.rate_limits.pop_front())
                .unwrap_or_else(unscripted)
        }
        async fn context_limits(&self, _: &Secret) -> KsefResult<ContextLimits> {
            unscripted()
        }
    }

    fn state(fake: &FakeKsef, clock: &Arc<ManualClock>) -> AuthState<FakeKsef, Arc<ManualClock>> {
        let context = ContextIdentifier::Nip(Nip::parse("5265877635").unwrap());
        AuthState::new(
            fake.clone(),
            clock.clone(),
            context,
            Secret::new("ksef-token"),
            AuthPolicy::default(),
        )
    }

    #[tokio::test]
    async fn token_is_cached_then_refreshed_before_expiry() {
        let fake = FakeKsef::default();
        fake.with(|s| {
            s.authenticate.push_back(Ok(tokens(1, 15, 7 * 24 * 60)));
            s.refresh.push_back(Ok(AccessToken {
                token: Secret::new("access-2"),
                valid_until: t0() + Duration::minutes(30),
            }));
        });
        let clock = Arc::new(ManualClock::new(t0()));
        let auth = state(&fake, &clock);
        assert_eq!(auth.access_token().await.unwrap().expose(), "access-1");
        clock.advance(Duration::minutes(10));
        assert_eq!(
            auth.access_token().await.unwrap().expose(),
            "access-1",
            "still well before expiry"
        );
        // 14 min 30 s: inside the 60 s margin before validUntil (15 min), so refresh proactively.
        clock.advance(Duration::seconds(270));
        assert_eq!(auth.access_token().await.unwrap().expose(), "access-2");
        assert_eq!(fake.calls(), ["public_keys", "authenticate", "refresh"]);
        assert_eq!(fake.with(|s| s.access_seen.clone()), ["refresh-1"]);
    }

    #[tokio::test]
    async fn dead_refresh_token_leads_to_new_authentication() {
        let fake = FakeKsef::default();
        fake.with(|s| {
            s.authenticate.push_back(Ok(tokens(1, 15, 7 * 24 * 60)));
            s.refresh.push_back(Err(KsefError::AuthExpired {
                remote: Some(RemoteCode::Exception(21301)),
            }));
            s.authenticate.push_back(Ok(tokens(2, 60, 7 * 24 * 60)));
        });
        let clock = Arc::new(ManualClock::new(t0()));
        let auth = state(&fake, &clock);
        auth.access_token().await.unwrap();
        clock.advance(Duration::minutes(20));
        assert_eq!(auth.access_token().await.unwrap().expose(), "access-2");
        assert_eq!(
            fake.calls(),
            ["public_keys", "authenticate", "refresh", "authenticate"]
        );
    }

    #[tokio::test]
    async fn expired_refresh_token_is_not_even_tried() {
        let fake = FakeKsef::default();
        fake.with(|s| {
            s.authenticate.push_back(Ok(tokens(1, 15, 30)));
            s.authenticate.push_back(Ok(tokens(2, 90, 120)));
        });
        let clock = Arc::new(ManualClock::new(t0()));
        let auth = state(&fake, &clock);
        auth.access_token().await.unwrap();
        clock.advance(Duration::minutes(45));
        assert_eq!(auth.access_token().await.unwrap().expose(), "access-2");
        assert_eq!(
            fake.calls(),
            ["public_keys", "authenticate", "authenticate"]
        );
    }

    #[tokio::test]
    async fn other_refresh_failures_reach_the_caller() {
        let fake = FakeKsef::default();
        fake.with(|s| {
            s.authenticate.push_back(Ok(tokens(1, 15, 600)));
            s.refresh.push_back(Err(KsefError::Transient {
                remote: None,
                detail: "connection reset".into(),
            }));
        });
        let clock = Arc::new(ManualClock::new(t0()));
        let auth = state(&fake, &clock);
        auth.access_token().await.unwrap();
        clock.advance(Duration::minutes(15));
        assert_eq!(
            auth.access_token().await.unwrap_err().class(),
            ErrorClass::Transient
        );
    }

    #[tokio::test]
    async fn rotated_key_is_refetched_and_the_call_retried_once() {
        let fake = FakeKsef::default();
        let opened = OpenedSession {
            session: SessionRef(
                ReferenceNumber::parse("20250625-SO-2C3E6C8000-B5D8AE4D5E-42").unwrap(),
            ),
            valid_until: t0() + Duration::hours(12),
        };
        fake.with(|s| {
            s.authenticate.push_back(Ok(tokens(1, 15, 600)));
            s.open_online.push_back(Err(rotated()));
            s.open_online.push_back(Ok(opened.clone()));
            s.open_online.push_back(Err(rotated()));
            s.open_online.push_back(Err(rotated()));
        });
        let clock = Arc::new(ManualClock::new(t0()));
        let auth = state(&fake, &clock);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let cipher = SessionCipher::generate(&mut rng);
        assert_eq!(
            auth.open_online_session(FormCode::Fa3, &cipher, &mut rng)
                .await
                .unwrap(),
            opened
        );
        assert_eq!(
            fake.calls(),
            [
                "public_keys",
                "authenticate",
                "open_online_session",
                "public_keys",
                "open_online_session"
            ]
        );
        // A second rotation in a row is not retried forever: the caller sees it.
        let err = auth
            .open_online_session(FormCode::Fa3, &cipher, &mut rng)
            .await
            .unwrap_err();
        assert!(err.is_key_rotated());
        assert_eq!(
            fake.calls()
                .iter()
                .filter(|c| **c == "open_online_session")
                .count(),
            4
        );
    }

    #[tokio::test]
    async fn with_access_renews_the_token_once_after_401() {
        let fake = FakeKsef::default();
        fake.with(|s| {
            s.authenticate.push_back(Ok(tokens(1, 15, 600)));
            s.refresh.push_back(Ok(AccessToken {
                token: Secret::new("access-2"),
                valid_until: t0() + Duration::minutes(15),
            }));
            s.rate_limits.push_back(Err(KsefError::AuthExpired {
                remote: Some(RemoteCode::Http(401)),
            }));
            s.rate_limits
                .push_back(Ok(crate::LimitGroup::production_limits()));
        });
        let clock = Arc::new(ManualClock::new(t0()));
        let auth = state(&fake, &clock);
        let ksef = auth.ksef().clone();
        let limits = auth
            .with_access(|token| {
                let ksef = ksef.clone();
                async move { ksef.rate_limits(&token).await }
            })
            .await;
        assert_eq!(limits.unwrap(), crate::LimitGroup::production_limits());
        assert_eq!(
            fake.with(|s| s.access_seen.clone()),
            ["access-1", "refresh-1", "access-2"]
        );
    }
}
