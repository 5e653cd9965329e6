//! One measured phase, run alone in a child process so its `VmHWM` is its own peak: the child
//! sets up, reads its resident memory, times the work, reads its memory again and prints one
//! result line the parent parses.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use chrono::NaiveDate;
use engine::clock::ManualClock;
use engine::fa3_validator::Fa3Validator;
use engine::import::Importer;
use engine::rng::seeded;
use engine::store::{NewCompany, Store};
use engine::validation::InvoiceValidator;
use sha2::{Digest, Sha256};

use crate::memory::Memory;

/// Prefix of the one stdout line a child prints with its result.
const RESULT_PREFIX: &str = "import-bench-phase";

/// What a phase does; every one but `Idle` goes over all generated files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Starts and exits: the memory floor of the process itself.
    Idle,
    /// Reads and hashes every file (the I/O floor).
    Read,
    /// Reads every file and validates it with fa3 (the validation floor).
    Validate,
    /// Imports the folder into a fresh database.
    Import,
    /// Imports the same folder again into the database `Import` left.
    Reimport,
}

impl Phase {
    /// Every phase, in the order they must run (`Reimport` needs `Import`'s database).
    pub const ALL: [Phase; 5] = [
        Phase::Idle,
        Phase::Read,
        Phase::Validate,
        Phase::Import,
        Phase::Reimport,
    ];

    /// The name used on the command line between parent and child.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::Read => "read",
            Phase::Validate => "validate",
            Phase::Import => "import",
            Phase::Reimport => "reimport",
        }
    }

    /// The phase called `name`.
    pub fn from_name(name: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// What the child hands back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhaseResult {
    /// Wall time of the work, without set-up, in seconds.
    pub seconds: f64,
    /// Memory after set-up (schemas loaded, database open), before the work.
    pub before: Memory,
    /// Memory after the work; `peak_kib` is the phase's high-water mark.
    pub after: Memory,
    /// Phase-specific count: files hashed, sendable, imported or already known.
    pub count: u64,
}

impl PhaseResult {
    /// The line the child prints.
    fn to_line(self) -> String {
        format!(
            "{RESULT_PREFIX} {} {} {} {} {} {}",
            self.seconds,
            self.before.rss_kib,
            self.before.peak_kib,
            self.after.rss_kib,
            self.after.peak_kib,
            self.count,
        )
    }

    /// Finds and parses the result line in a child's stdout.
    pub fn from_output(stdout: &str) -> Option<PhaseResult> {
        let line = stdout.lines().find_map(|l| l.strip_prefix(RESULT_PREFIX))?;
        let mut fields = line.split_whitespace();
        let seconds = fields.next()?.parse().ok()?;
        let mut kib = || fields.next()?.parse::<u64>().ok();
        let before = Memory {
            rss_kib: kib()?,
            peak_kib: kib()?,
        };
        let after = Memory {
            rss_kib: kib()?,
            peak_kib: kib()?,
        };
        let count = kib()?;
        Some(PhaseResult {
            seconds,
            before,
            after,
            count,
        })
    }
}

/// Where a child finds its inputs.
pub struct Inputs {
    /// Folder of generated invoices.
    pub folder: PathBuf,
    /// Outbox database shared by `Import` and `Reimport`.
    pub db: PathBuf,
    /// Number of generated invoices.
    pub count: usize,
}

impl Inputs {
    /// The generated files, in generation order (the layout `generate` writes).
    pub fn paths(&self) -> Vec<PathBuf> {
        (0..self.count)
            .map(|i| invoice_path(&self.folder, i))
            .collect()
    }
}

/// Where invoice `i` lives under `folder`: a thousand files per sub-folder.
pub fn invoice_path(folder: &Path, i: usize) -> PathBuf {
    folder.join(format!("{:03}/{i:07}.xml", i / 1_000))
}

/// The official material, read-only.
pub fn ksef_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/ksef")
}

/// Runs `phase` in this process and prints its result line.
pub fn run_child(phase: Phase, inputs: &Inputs) {
    let result = match phase {
        Phase::Idle => measure(|| 0),
        Phase::Read => read(inputs),
        Phase::Validate => validate(inputs),
        Phase::Import | Phase::Reimport => import(phase, inputs),
    };
    println!("{}", result.to_line());
}

/// Times `work` between two memory readings.
fn measure(work: impl FnOnce() -> u64) -> PhaseResult {
    let before = Memory::now().expect("/proc/self/status");
    let t = Instant::now();
    let count = work();
    let seconds = t.elapsed().as_secs_f64();
    let after = Memory::now().expect("/proc/self/status");
    PhaseResult {
        seconds,
        before,
        after,
        count,
    }
}

fn read(inputs: &Inputs) -> PhaseResult {
    let paths = inputs.paths();
    measure(|| {
        let mut hashed = 0;
        for path in &paths {
            let bytes = std::fs::read(path).expect("read");
            hashed += u64::from(Sha256::digest(&bytes).len() == 32);
        }
        hashed
    })
}

/// The validator every phase uses: XSD-checking when the schemas load.
fn with_validator<T>(work: impl FnOnce(&Fa3Validator) -> T) -> T {
    let today = NaiveDate::from_ymd_opt(2026, 12, 31).expect("date");
    let schemas = fa3::SchemaSet::load(&ksef_dir().join("schemas")).ok();
    work(&Fa3Validator::new(
        fa3::Environment::Test,
        today,
        schemas.as_ref(),
    ))
}

fn validate(inputs: &Inputs) -> PhaseResult {
    let paths = inputs.paths();
    with_validator(|validator| {
        measure(|| {
            let mut sendable = 0;
            for path in &paths {
                let bytes = std::fs::read(path).expect("read");
                sendable += u64::from(validator.validate(&bytes).is_sendable());
            }
            sendable
        })
    })
}

fn import(phase: Phase, inputs: &Inputs) -> PhaseResult {
    with_validator(|validator| {
        let mut store = Store::open(&inputs.db).expect("open store");
        let company = if phase == Phase::Import {
            store
                .insert_company(
                    &NewCompany {
                        name: "Bench",
                        environment: "test",
                        nip: "5265877635",
                        base_url: "https://api-test.ksef.mf.gov.pl/v2",
                        keyring_ref: "bench",
                    },
                    0,
                )
                .expect("company")
        } else {
            store
                .companies()
                .expect("companies")
                .first()
                .expect("company")
                .id
        };
        let clock = ManualClock::new(0);
        let mut rng = seeded(1);
        let cancel = AtomicBool::new(false);
        let folder = [inputs.folder.clone()];
        measure(|| {
            let summary = Importer::new(&mut store, validator, &clock, &mut rng, company)
                .import(&folder, &mut |_| {}, &cancel)
                .expect("import");
            if phase == Phase::Import {
                summary.imported
            } else {
                summary.already_known
            }
        })
    })
}
