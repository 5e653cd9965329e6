//! A seeded workload of distinct FA(3) invoices derived from the official samples: valid ones
//! (each with its own `P_2` and seller name), invalid ones, and same-number-different-content
//! conflicts. Each item carries what KSeF must end up knowing about it, computed here from the
//! bytes, independently of the engine.

use std::collections::BTreeMap;
use std::path::Path;

use ksef_api::Sha256B64;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

use crate::paths::samples_dir;

/// Seller NIP of every official sample; the engine authenticates into this context.
pub const SELLER_NIP: &str = "9999999999";

/// One invoice in every this many is made invalid.
const INVALID_EVERY: usize = 10;
/// One invoice in every this many gets a same-number, different-content twin.
const CONFLICT_EVERY: usize = 13;

/// Why the workload could not be built.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    /// The samples could not be read.
    #[error("official samples unreadable at {path}: {source}")]
    Samples {
        /// Directory or file.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// A sample lacks an element the generator rewrites.
    #[error("sample {file} has no {element}")]
    SampleShape {
        /// Sample file.
        file: String,
        /// Missing element.
        element: &'static str,
    },
    /// Writing the workload to disk failed.
    #[error("cannot write the workload: {0}")]
    Write(std::io::Error),
}

/// KSeF's duplicate key: seller NIP, invoice type (`RodzajFaktury`) and number (`P_2`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DuplicateKey {
    /// Seller NIP.
    pub seller_nip: String,
    /// `RodzajFaktury`.
    pub invoice_type: String,
    /// `P_2`.
    pub invoice_number: String,
}

/// What must become of one workload item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// Valid: KSeF accepts exactly one invoice of its duplicate key (this one, or its twin).
    Valid(DuplicateKey),
    /// Broken on purpose: never reaches KSeF's ledger, ends `invalid` or `rejected` with a code.
    Invalid,
}

/// One file of the workload.
#[derive(Debug, Clone)]
pub struct Item {
    /// File name, unique within the workload.
    pub file_name: String,
    /// The exact bytes.
    pub xml: Vec<u8>,
    /// Base64 SHA-256 of `xml`, as KSeF reports it.
    pub hash: Sha256B64,
    /// Expected fate.
    pub expect: Expect,
}

/// The whole workload.
#[derive(Debug, Clone)]
pub struct Workload {
    /// Items in file-name order.
    pub items: Vec<Item>,
}

struct Sample {
    file: String,
    text: String,
    invoice_type: String,
}

impl Workload {
    /// `base` generated invoices (plus conflict twins) for `seed`; the same seed gives the same bytes.
    pub fn generate(seed: u64, base: usize) -> Result<Workload, WorkloadError> {
        let samples = load_samples()?;
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let mut items = Vec::with_capacity(base + base / CONFLICT_EVERY + 1);
        for i in 0..base {
            let sample = samples
                .choose(&mut rng)
                .ok_or_else(|| WorkloadError::SampleShape {
                    file: samples_dir().display().to_string(),
                    element: "any sample",
                })?;
            let number = format!("SIM/{seed}/{i:05}");
            let seller = format!("Sprzedawca {seed}-{i} sp. z o.o.");
            let text = rewrite(sample, &number, &seller)?;
            let key = DuplicateKey {
                seller_nip: SELLER_NIP.to_owned(),
                invoice_type: sample.invoice_type.clone(),
                invoice_number: number.clone(),
            };
            if i % INVALID_EVERY == INVALID_EVERY - 1 {
                items.push(item(
                    format!("inv-{i:05}.xml"),
                    break_invoice(&text, &mut rng),
                    Expect::Invalid,
                ));
                continue;
            }
            if i % CONFLICT_EVERY == CONFLICT_EVERY - 1 {
                // Same number and type, other content: KSeF would call it a duplicate.
                let twin = rewrite(sample, &number, &format!("{seller} (korekta danych)"))?;
                items.push(item(
                    format!("inv-{i:05}-twin.xml"),
                    twin,
                    Expect::Valid(key.clone()),
                ));
            }
            items.push(item(format!("inv-{i:05}.xml"), text, Expect::Valid(key)));
        }
        items.sort_by(|a, b| a.file_name.cmp(&b.file_name));
        Ok(Workload { items })
    }

    /// Writes every item into `dir` under its file name.
    pub fn write_to(&self, dir: &Path) -> Result<(), WorkloadError> {
        for item in &self.items {
            std::fs::write(dir.join(&item.file_name), &item.xml).map_err(WorkloadError::Write)?;
        }
        Ok(())
    }

    /// Valid items grouped by duplicate key (a group of two is a conflict pair).
    pub fn valid_by_key(&self) -> BTreeMap<&DuplicateKey, Vec<&Item>> {
        let mut groups: BTreeMap<&DuplicateKey, Vec<&Item>> = BTreeMap::new();
        for item in &self.items {
            if let Expect::Valid(key) = &item.expect {
                groups.entry(key).or_default().push(item);
            }
        }
        groups
    }
}

fn item(file_name: String, text: String, expect: Expect) -> Item {
    let xml = text.into_bytes();
    Item {
        file_name,
        hash: Sha256B64::of(&xml),
        xml,
        expect,
    }
}

fn load_samples() -> Result<Vec<Sample>, WorkloadError> {
    let dir = samples_dir();
    let unreadable = |source| WorkloadError::Samples {
        path: dir.display().to_string(),
        source,
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map_err(unreadable)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    // Directory order is not deterministic; the seed must choose among a fixed order.
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let file = path.display().to_string();
            let text = std::fs::read_to_string(&path).map_err(|source| WorkloadError::Samples {
                path: file.clone(),
                source,
            })?;
            let invoice_type = element(&text, 0, "RodzajFaktury")
                .map(|(s, e)| text[s..e].to_owned())
                .ok_or(WorkloadError::SampleShape {
                    file: file.clone(),
                    element: "RodzajFaktury",
                })?;
            Ok(Sample {
                file,
                text,
                invoice_type,
            })
        })
        .collect()
}

/// Content span of the first `<name>…</name>` at or after `from`.
fn element(text: &str, from: usize, name: &str) -> Option<(usize, usize)> {
    let open = format!("<{name}>");
    let start = from + text.get(from..)?.find(&open)? + open.len();
    let end = start + text.get(start..)?.find(&format!("</{name}>"))?;
    Some((start, end))
}

/// The sample with its first `P_2` and the seller's (`Podmiot1`) name replaced.
fn rewrite(sample: &Sample, number: &str, seller: &str) -> Result<String, WorkloadError> {
    let shape = |element| WorkloadError::SampleShape {
        file: sample.file.clone(),
        element,
    };
    let text = &sample.text;
    let podmiot = text.find("<Podmiot1>").ok_or_else(|| shape("Podmiot1"))?;
    let (ns, ne) = element(text, podmiot, "Nazwa").ok_or_else(|| shape("Podmiot1/Nazwa"))?;
    let (ps, pe) = element(text, 0, "P_2").ok_or_else(|| shape("P_2"))?;
    if ne > ps {
        return Err(shape("Podmiot1 before Fa/P_2"));
    }
    Ok(format!(
        "{}{seller}{}{number}{}",
        &text[..ns],
        &text[ne..ps],
        &text[pe..]
    ))
}

/// A broken copy: either cut short (not well-formed) or with an impossible issue date.
fn break_invoice(text: &str, rng: &mut ChaCha20Rng) -> String {
    match (rng.gen_bool(0.5), element(text, 0, "P_1")) {
        (true, Some((s, e))) => format!("{}2026-02-30{}", &text[..s], &text[e..]),
        _ => {
            // Cut at a character boundary: the samples hold Polish letters.
            let mut cut = text.len() / 2;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text[..cut].to_owned()
        }
    }
}
