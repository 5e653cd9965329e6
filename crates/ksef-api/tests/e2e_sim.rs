//! End to end against the independent simulator (`ksef-sim`): token authentication → online session →
//! send an official FA(3) sample → poll → KSeF number → per-invoice and session UPO.
//!
//! Both sides read time from one clock driven by tokio's paused time, so the authentication and
//! processing delays pass by advancing time, never by sleeping.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use ksef_api::auth::{AuthPolicy, AuthState};
use ksef_api::batch::{build_archive, package, BatchInvoice, BatchLimits, Compression};
use ksef_api::crypto::SessionCipher;
use ksef_api::http::{HttpConfig, HttpKsef};
use ksef_api::port::{Ksef, MetadataQuery, QueryDateType, QuerySubject, UpoSelector};
use ksef_api::status::{InvoicingMode, PageRequest, SessionStatus};
use ksef_api::upo::Upo;
use ksef_api::{
    ContextIdentifier, Environment, ErrorClass, FormCode, HashCheck, Nip, Secret, SessionRef,
    Sha256B64,
};
use ksef_sim::{LimitsMode, SimConfig, Simulator};
use rand::SeedableRng;

/// Seller NIP of the official samples.
const NIP: &str = "9999999999";
const TOKEN: &str = "20260201-TK-0000000001-0000000001-01|nip-9999999999|0123456789abcdef";
const PROCESSING_MS: u64 = 2_000;
/// Polls before the test gives up on a status that never becomes final.
const POLLS_MAX: u32 = 20;

/// Wall-clock time that moves exactly as tokio's (paused) clock does.
struct TokioClock {
    start: DateTime<Utc>,
    origin: tokio::time::Instant,
}

impl TokioClock {
    fn now(&self) -> DateTime<Utc> {
        self.start
            + chrono::Duration::from_std(self.origin.elapsed()).expect("test durations are small")
    }
}

impl ksef_sim::Clock for TokioClock {
    fn now(&self) -> DateTime<Utc> {
        TokioClock::now(self)
    }
}

impl ksef_api::Clock for TokioClock {
    fn now(&self) -> DateTime<Utc> {
        TokioClock::now(self)
    }
}

fn sample_named(name: &str) -> Vec<u8> {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/ksef/samples/fa3-valid")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

type Client = AuthState<HttpKsef, Arc<TokioClock>>;

/// A simulator on a free port and an authenticating client for the samples' seller, sharing one clock.
async fn start() -> (Simulator, Client) {
    // After every sample's issue date (latest 2026-08-17), so KSeF accepts them.
    let clock = Arc::new(TokioClock {
        start: Utc.with_ymd_and_hms(2026, 9, 1, 9, 0, 0).unwrap(),
        origin: tokio::time::Instant::now(),
    });
    let config = SimConfig {
        seed: 7,
        tokens: vec![format!("{NIP}:{TOKEN}").parse().unwrap()],
        limits: LimitsMode::Off,
        processing_ms: PROCESSING_MS,
        ..SimConfig::default()
    };
    let sim = Simulator::new(config, clock.clone()).unwrap();
    let (base, _server) = sim.serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let mut http = HttpConfig::new(Environment::custom(&base).unwrap());
    http.auth_poll_interval = Duration::from_millis(500);
    let ksef = HttpKsef::new(http).unwrap();
    let context = ContextIdentifier::Nip(Nip::parse(NIP).unwrap());
    (
        sim,
        AuthState::new(
            ksef,
            clock,
            context,
            Secret::new(TOKEN),
            AuthPolicy::default(),
        ),
    )
}

/// An online session the client opened, with the cipher and access token sending into it needs.
struct OnlineSession {
    cipher: SessionCipher,
    session: SessionRef,
    access: Secret,
}

/// Opens an online FA(3) session with a session key drawn from an RNG seeded with `seed`.
async fn open_online(auth: &Client, seed: u64) -> OnlineSession {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    let cipher = SessionCipher::generate(&mut rng);
    let opened = auth
        .open_online_session(FormCode::Fa3, &cipher, &mut rng)
        .await
        .unwrap();
    OnlineSession {
        cipher,
        session: opened.session,
        access: auth.access_token().await.unwrap(),
    }
}

/// Polls a closed session (advancing the paused clock between polls) until its status is final with
/// UPO pages, or `POLLS_MAX` polls have passed; returns the last status for the caller to judge.
async fn settled_session(ksef: &HttpKsef, access: &Secret, session: &SessionRef) -> SessionStatus {
    let mut status = ksef.session_status(access, session).await.unwrap();
    for _ in 0..POLLS_MAX {
        if status.is_final() && !status.upo_pages.is_empty() {
            break;
        }
        tokio::time::advance(Duration::from_millis(500)).await;
        status = ksef.session_status(access, session).await.unwrap();
    }
    status
}

#[tokio::test(start_paused = true)]
async fn send_a_sample_and_get_its_ksef_number_and_upo() {
    let (_sim, auth) = start().await;
    let OnlineSession {
        cipher,
        session: opened,
        access,
    } = open_online(&auth, 1).await;
    let ksef = auth.ksef();

    let xml = sample_named("FA_3_Przyklad_1.xml");
    let invoice = cipher.encrypt_invoice(&xml);
    let reference = ksef
        .send_invoice(&access, &opened, &invoice, InvoicingMode::Online)
        .await
        .unwrap();

    let mut status = ksef
        .invoice_status(&access, &opened, &reference)
        .await
        .unwrap();
    for _ in 0..POLLS_MAX {
        if status.is_final() {
            break;
        }
        tokio::time::advance(Duration::from_millis(500)).await;
        status = ksef
            .invoice_status(&access, &opened, &reference)
            .await
            .unwrap();
    }
    assert_eq!(status.status.code, 200, "{:?}", status.status);
    let ksef_number = status
        .ksef_number
        .clone()
        .expect("accepted invoice has a KSeF number");
    assert_eq!(ksef_number.seller_nip(), NIP);
    assert_eq!(status.invoice_hash, Sha256B64::of(&xml));
    assert_eq!(status.invoice_number.as_deref(), Some("FV2026/02/150"));

    let upo = ksef
        .invoice_upo(
            &access,
            &opened,
            &UpoSelector::KsefNumber(ksef_number.clone()),
        )
        .await
        .unwrap();
    assert_eq!(upo.hash, HashCheck::Verified);
    let receipt = Upo::parse(&upo.bytes).unwrap();
    assert_eq!(receipt.documents.len(), 1);
    assert_eq!(receipt.documents[0].ksef_number, ksef_number);
    assert_eq!(receipt.documents[0].document_hash, Sha256B64::of(&xml));

    ksef.close_online_session(&access, &opened).await.unwrap();
    let session = settled_session(ksef, &access, &opened).await;
    assert_eq!(session.code, 200, "{session:?}");
    assert_eq!(session.successful_invoice_count, Some(1));
    let page = &session.upo_pages[0];
    let via_api = ksef
        .session_upo_page(&access, &opened, &page.reference)
        .await
        .unwrap();
    let via_url = ksef.download_presigned(&page.download.url).await.unwrap();
    assert_eq!(via_api.bytes, via_url.bytes);
    let session_upo = Upo::parse(&via_url.bytes).unwrap();
    assert_eq!(session_upo.session_ref, opened.0);
    assert_eq!(session_upo.documents[0].ksef_number, ksef_number);

    let listed = ksef
        .session_invoices(&access, &opened, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].ksef_number.as_ref(), Some(&ksef_number));
}

/// A batch session as KSeF saw it, once its verdict (and UPO pages) are final.
struct SentBatch {
    session: SessionRef,
    status: SessionStatus,
    access: Secret,
}

/// Packages `invoices` as a ZIP split into parts of at most `part_size_bytes_max`, opens a batch
/// session, uploads every part to its pre-signed URL, closes the session and waits (on the shared
/// paused clock) until its status is final with UPO pages. Asserts the upload really was split.
async fn send_batch(
    auth: &Client,
    invoices: &[BatchInvoice],
    part_size_bytes_max: usize,
) -> SentBatch {
    let limits = BatchLimits {
        part_size_bytes_max,
        ..BatchLimits::KSEF
    };
    let archive = build_archive(invoices, Compression::Zip, &limits).unwrap();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(2);
    let cipher = SessionCipher::generate(&mut rng);
    let pkg = package(&archive, Compression::Zip, &cipher, &limits).unwrap();
    assert!(
        pkg.file.parts.len() > 1,
        "archive of {} B should need several parts",
        archive.len()
    );
    let opened = auth
        .open_batch_session(
            FormCode::Fa3,
            &pkg.file,
            &cipher,
            InvoicingMode::Online,
            &mut rng,
        )
        .await
        .unwrap();
    assert_eq!(opened.parts.len(), pkg.file.parts.len());
    let ksef = auth.ksef();
    for upload in &opened.parts {
        let index = usize::try_from(upload.ordinal - 1).unwrap();
        ksef.upload_part(upload, &pkg.encrypted_parts[index])
            .await
            .unwrap();
    }
    let access = auth.access_token().await.unwrap();
    ksef.close_batch_session(&access, &opened.session)
        .await
        .unwrap();
    let status = settled_session(ksef, &access, &opened.session).await;
    assert_eq!(status.code, 200, "{status:?}");
    SentBatch {
        session: opened.session,
        status,
        access,
    }
}

#[tokio::test(start_paused = true)]
async fn batch_of_samples_is_packaged_uploaded_and_accepted() {
    let (_sim, auth) = start().await;
    // Samples with distinct invoice numbers, so none is a duplicate of another.
    let names = [
        "FA_3_Przyklad_1.xml",
        "FA_3_Przyklad_2.xml",
        "FA_3_Przyklad_5.xml",
    ];
    let invoices: Vec<BatchInvoice> = names
        .iter()
        .map(|n| BatchInvoice {
            file_name: (*n).to_owned(),
            xml: sample_named(n),
        })
        .collect();
    // Small parts so the upload really is split.
    let sent = send_batch(&auth, &invoices, 1_000).await;
    let (ksef, access) = (auth.ksef(), &sent.access);
    let listed = ksef
        .session_invoices(access, &sent.session, &PageRequest::first(10))
        .await
        .unwrap();
    let mut accepted: Vec<(String, Sha256B64)> = listed
        .items
        .iter()
        .map(|i| {
            assert_eq!(i.status.code, 200, "{:?}", i.status);
            (
                i.file_name.clone().unwrap_or_default(),
                i.invoice_hash.clone(),
            )
        })
        .collect();
    accepted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut expected: Vec<(String, Sha256B64)> = invoices
        .iter()
        .map(|i| (i.file_name.clone(), Sha256B64::of(&i.xml)))
        .collect();
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(accepted, expected);
}

/// Sets the simulator's fault probabilities through its admin API.
async fn set_faults(sim: &Simulator, faults: serde_json::Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/_sim/faults", sim.root_url()))
        .json(&faults)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
}

#[tokio::test(start_paused = true)]
async fn unknown_outcomes_are_resolved_by_asking_not_by_resending() {
    let (sim, auth) = start().await;
    let OnlineSession {
        cipher,
        session: opened,
        access,
    } = open_online(&auth, 3).await;
    let ksef = auth.ksef();
    let listed = |ksef: &HttpKsef| {
        let (ksef, access, session) = (ksef.clone(), access.clone(), opened.clone());
        async move {
            ksef.session_invoices(&access, &session, &PageRequest::first(10))
                .await
                .unwrap()
                .items
        }
    };

    // 1. The server answers 5xx before acting: unknown to the client, and asking shows nothing arrived.
    set_faults(&sim, serde_json::json!({"fault5xx": 1.0})).await;
    let first = cipher.encrypt_invoice(&sample_named("FA_3_Przyklad_1.xml"));
    let err = ksef
        .send_invoice(&access, &opened, &first, InvoicingMode::Online)
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::OutcomeUnknown, "{err}");
    set_faults(&sim, serde_json::json!({"fault5xx": 0.0})).await;
    assert!(
        listed(ksef).await.is_empty(),
        "nothing was accepted, so resending is safe"
    );

    // 2. The server accepts the invoice, then the connection drops: asking finds it, no resend needed.
    set_faults(&sim, serde_json::json!({"faultDropResponse": 1.0})).await;
    let err = ksef
        .send_invoice(&access, &opened, &first, InvoicingMode::Online)
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::OutcomeUnknown, "{err}");
    set_faults(&sim, serde_json::json!({"faultDropResponse": 0.0})).await;
    tokio::time::advance(Duration::from_millis(PROCESSING_MS)).await;
    let found = listed(ksef).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].invoice_hash, first.invoice_hash);
    assert_eq!(found[0].status.code, 200, "{:?}", found[0].status);
    assert!(found[0].ksef_number.is_some());
}

/// What the engine does after an unknown outcome or a duplicate: find the invoice by seller and number.
#[tokio::test(start_paused = true)]
async fn a_sent_invoice_is_found_by_seller_nip_and_number() {
    let (_sim, auth) = start().await;
    let OnlineSession {
        cipher,
        session: opened,
        access,
    } = open_online(&auth, 4).await;
    let ksef = auth.ksef();
    let sent_at = Utc.with_ymd_and_hms(2026, 9, 1, 9, 0, 0).unwrap();
    let xml = sample_named("FA_3_Przyklad_1.xml");
    let reference = ksef
        .send_invoice(
            &access,
            &opened,
            &cipher.encrypt_invoice(&xml),
            InvoicingMode::Online,
        )
        .await
        .unwrap();
    tokio::time::advance(Duration::from_millis(PROCESSING_MS)).await;
    let status = ksef
        .invoice_status(&access, &opened, &reference)
        .await
        .unwrap();
    assert_eq!(status.status.code, 200, "{:?}", status.status);

    let query = |number: &str| MetadataQuery {
        subject: QuerySubject::Seller,
        date_type: QueryDateType::Invoicing,
        from: sent_at - chrono::Duration::hours(1),
        to: None,
        seller_nip: Some(Nip::parse(NIP).unwrap()),
        invoice_number: Some(number.to_owned()),
        ksef_number: None,
        page_offset: 0,
        page_size: 10,
    };
    let page = ksef
        .query_invoice_metadata(&access, &query("FV2026/02/150"))
        .await
        .unwrap();
    assert!(!page.has_more && !page.is_truncated);
    assert_eq!(page.invoices.len(), 1, "{page:?}");
    let found = &page.invoices[0];
    assert_eq!(Some(&found.ksef_number), status.ksef_number.as_ref());
    assert_eq!(found.invoice_hash, Sha256B64::of(&xml));
    assert_eq!(found.seller_nip, NIP);
    assert_eq!(found.invoicing_date, status.invoicing_date);
    assert_eq!(Some(found.invoicing_mode), status.invoicing_mode);

    let none = ksef
        .query_invoice_metadata(&access, &query("FV2026/02/151"))
        .await
        .unwrap();
    assert!(none.invoices.is_empty(), "{none:?}");
}

/// Issue #3's month-end shape: 1 000 distinct invoices in one batch session, split into several
/// encrypted parts, then every per-invoice status read back through paged lists (continuation
/// tokens) and every invoice found in the session UPO pages with its hash.
#[tokio::test(start_paused = true)]
async fn batch_of_1000_invoices_in_several_parts_yields_statuses_and_session_upo_pages() {
    const COUNT: usize = 1_000;
    const PAGE_SIZE: u32 = 100;
    let (_sim, auth) = start().await;
    let template = String::from_utf8(sample_named("FA_3_Przyklad_1.xml")).unwrap();
    let original_number = "<P_2>FV2026/02/150</P_2>";
    assert!(template.contains(original_number), "sample 1 changed");
    // Distinct P_2 values make 1 000 distinct invoices for KSeF's duplicate check.
    let invoices: Vec<BatchInvoice> = (0..COUNT)
        .map(|i| BatchInvoice {
            file_name: format!("FV-BATCH-{i:04}.xml"),
            xml: template
                .replace(original_number, &format!("<P_2>FV/BATCH/{i:04}</P_2>"))
                .into_bytes(),
        })
        .collect();
    let sent = send_batch(&auth, &invoices, 250_000).await;
    let (ksef, access, session) = (auth.ksef(), &sent.access, &sent.status);
    assert_eq!(session.successful_invoice_count, Some(COUNT as u32));

    // Every status, page by page.
    let mut statuses = std::collections::HashMap::new();
    let mut request = PageRequest::first(PAGE_SIZE);
    let mut pages = 0;
    loop {
        let page = ksef
            .session_invoices(access, &sent.session, &request)
            .await
            .unwrap();
        pages += 1;
        for item in page.items {
            assert_eq!(item.status.code, 200, "{:?}", item.status);
            let ksef_number = item.ksef_number.clone().expect("accepted has a number");
            let previous = statuses.insert(item.invoice_hash.clone(), ksef_number);
            assert!(previous.is_none(), "an invoice was listed twice");
        }
        match page.continuation {
            Some(token) => request.continuation = Some(token),
            None => break,
        }
        assert!(pages <= COUNT, "continuation never ends");
    }
    assert_eq!(pages, COUNT / PAGE_SIZE as usize);
    let expected: std::collections::HashSet<Sha256B64> =
        invoices.iter().map(|i| Sha256B64::of(&i.xml)).collect();
    assert_eq!(
        statuses
            .keys()
            .cloned()
            .collect::<std::collections::HashSet<_>>(),
        expected
    );

    // Every invoice in the session UPO, with the KSeF number its status gave.
    let mut in_upo = 0;
    for page in &session.upo_pages {
        let downloaded = ksef.download_presigned(&page.download.url).await.unwrap();
        let upo = Upo::parse(&downloaded.bytes).unwrap();
        for document in &upo.documents {
            assert_eq!(
                statuses.get(&document.document_hash),
                Some(&document.ksef_number),
                "UPO document {} does not match the status list",
                document.invoice_number
            );
            in_upo += 1;
        }
    }
    assert_eq!(in_upo, COUNT);
}
