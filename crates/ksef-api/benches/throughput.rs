//! Throughput of the per-invoice and per-batch crypto, printed as MB/s and as a ratio to plain
//! SHA-256 over the same bytes measured in the same run (so figures compare across machines).

use std::hint::black_box;
use std::time::{Duration, Instant};

use ksef_api::batch::{package, BatchLimits, Compression};
use ksef_api::crypto::SessionCipher;
use ksef_api::Sha256B64;
use rand::SeedableRng;

/// Size of one benchmark payload: the largest invoice KSeF accepts without attachments.
const INVOICE_BYTES: usize = 1_000_000;
/// Size of the batch archive packaged in the batch benchmark.
const ARCHIVE_BYTES: usize = 20_000_000;
/// Each measurement repeats until at least this much time has passed.
const MEASURE_MS_MIN: u64 = 500;

/// Mean seconds per run of `f`.
fn measure(mut f: impl FnMut()) -> f64 {
    f(); // warm-up
    let started = Instant::now();
    let mut runs = 0u32;
    while started.elapsed() < Duration::from_millis(MEASURE_MS_MIN) {
        f();
        runs += 1;
    }
    started.elapsed().as_secs_f64() / f64::from(runs)
}

fn report(name: &str, bytes: usize, seconds: f64, baseline: f64) {
    let mb_per_s = bytes as f64 / 1e6 / seconds;
    println!(
        "{name:<42} {mb_per_s:>9.1} MB/s   {:>5.2}x SHA-256 time",
        seconds / baseline
    );
}

fn main() {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
    let cipher = SessionCipher::generate(&mut rng);
    let invoice: Vec<u8> = (0..INVOICE_BYTES).map(|i| (i % 251) as u8).collect();
    let archive: Vec<u8> = (0..ARCHIVE_BYTES).map(|i| (i % 241) as u8).collect();

    let sha_invoice = measure(|| drop(black_box(Sha256B64::of(black_box(&invoice)))));
    let sha_archive = measure(|| drop(black_box(Sha256B64::of(black_box(&archive)))));
    report(
        "baseline: SHA-256 of 1 MB",
        INVOICE_BYTES,
        sha_invoice,
        sha_invoice,
    );
    let encrypt = measure(|| drop(black_box(cipher.encrypt_invoice(black_box(&invoice)))));
    report(
        "encrypt_invoice 1 MB (AES-CBC + 2 hashes)",
        INVOICE_BYTES,
        encrypt,
        sha_invoice,
    );
    let limits = BatchLimits {
        part_size_bytes_max: 5_000_000,
        ..BatchLimits::KSEF
    };
    let batch = measure(|| {
        drop(black_box(package(
            black_box(&archive),
            Compression::Zip,
            &cipher,
            &limits,
        )))
    });
    report(
        "package 20 MB archive into 4 encrypted parts",
        ARCHIVE_BYTES,
        batch,
        sha_archive,
    );
}
