//! `validate`: check invoice files against every rule KSeF applies, and report per file.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use dictionary::{Dictionary, Lang};
use fa3::schemas::{verify_dir, FileState};
use fa3::{Environment, FindingCode, SchemaSet, ValidationOptions};

use crate::output::text::{self, Tally};
use crate::output::{json, Checked, XsdOutcome};
use crate::{files, lang, schema_dir, Outcome, UsageError};

/// Arguments of `validate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Target KSeF environment; NIP checksums are errors only on prd, where KSeF checks them.
    #[arg(long, default_value = "prd", value_name = "sandbox|test|demo|prd", value_parser = parse_env)]
    env: Environment,
    /// Folder with the FA(3) schema files (else $KSEF_DESK_SCHEMAS, else the app data folder).
    #[arg(long, value_name = "DIR")]
    schemas: Option<PathBuf>,
    /// Print one JSON object per file per line instead of a report.
    #[arg(long)]
    json: bool,
    /// Report language (default: from LC_ALL/LC_MESSAGES/LANG; Polish when they name none).
    #[arg(long, value_name = "pl|en", value_parser = lang::parse_flag)]
    lang: Option<Lang>,
    /// Invoice files, or folders searched recursively for *.xml.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

fn parse_env(value: &str) -> Result<Environment, String> {
    value
        .parse()
        .map_err(|error: fa3::UnknownEnvironment| error.to_string())
}

/// Runs `validate`: `Negative` when any file is invalid.
pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let lang = lang::choose(args.lang, |name| std::env::var(name).ok());
    if let Some(dir) = &args.schemas {
        if !dir.is_dir() {
            return Err(UsageError(format!("--schemas {}: no such folder", dir.display())).into());
        }
    }
    let files = files::collect(&args.paths)?;
    let schemas = load_schemas(args.schemas.as_deref());
    let options = ValidationOptions {
        env: args.env,
        // The CLI is the edge where "today" comes from the system clock: the local calendar
        // day, which is KSeF's (Polish) day for users in Poland.
        today: chrono::Local::now().date_naive(),
        schemas: schemas.as_ref(),
    };
    let dictionary = Dictionary::builtin();
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut tally = Tally::default();
    for file in files {
        let checked = check(file, &options);
        tally.add(&checked);
        let rendered = if args.json {
            json::line(&checked, dictionary, lang)? + "\n"
        } else {
            text::file_block(&checked, dictionary, lang)
        };
        out.write_all(rendered.as_bytes())
            .context("writing the report")?;
    }
    if !args.json {
        out.write_all(text::summary(tally, lang).as_bytes())
            .context("writing the report")?;
    }
    Ok(if tally.valid == tally.files {
        Outcome::Success
    } else {
        Outcome::Negative
    })
}

/// The schema set, or `None` (with a note on stderr saying why) when XSD validation is skipped.
fn load_schemas(explicit: Option<&Path>) -> Option<SchemaSet> {
    let dir = match schema_dir::locate(explicit) {
        Ok(dir) => dir,
        Err(error) => {
            eprintln!("note: XSD validation skipped: {error}");
            return None;
        }
    };
    let status = verify_dir(&dir);
    if let Some(problem) = status.files.iter().find(|f| f.state != FileState::Ok) {
        eprintln!(
            "note: XSD validation skipped: {} in {} ({}); run `ksef-desk-cli schemas fetch`",
            problem.file.path,
            dir.display(),
            problem.state.code(),
        );
        return None;
    }
    match SchemaSet::load(&dir) {
        Ok(set) => Some(set),
        Err(error) => {
            eprintln!("note: XSD validation skipped: {error}");
            None
        }
    }
}

/// Reads and validates one file; a file that cannot be read is reported, not fatal.
fn check(file: PathBuf, options: &ValidationOptions<'_>) -> Checked {
    match read_capped(&file) {
        Ok(bytes) => {
            let report = fa3::validate(&bytes, options);
            // A file read only up to the cap is refused as too large; its hash would be wrong.
            let sha256 = (bytes.len() <= fa3::limits::INPUT_BYTES_MAX)
                .then(|| fa3::schemas::sha256_hex(&bytes));
            Checked {
                file,
                xsd: XsdOutcome::from(&report.xsd),
                findings: report.findings,
                document: report.document,
                sha256,
            }
        }
        Err(error) => Checked {
            findings: vec![fa3::Finding {
                code: FindingCode::InputUnreadable,
                severity: fa3::Severity::Error,
                message: format!("cannot read the file: {error}"),
                path: None,
                line: None,
                column: None,
            }],
            file,
            xsd: XsdOutcome::NotRun,
            document: None,
            sha256: None,
        },
    }
}

/// Reads at most one byte more than `fa3` accepts, so a huge file never fills memory; `fa3`
/// reports the over-long input as `input.too_large`.
fn read_capped(path: &Path) -> io::Result<Vec<u8>> {
    let cap_bytes = u64::try_from(fa3::limits::INPUT_BYTES_MAX)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let mut bytes = Vec::new();
    File::open(path)?.take(cap_bytes).read_to_end(&mut bytes)?;
    Ok(bytes)
}
