//! The auditor: given the workload, the simulator's ledger and the engine's local view, lists every
//! way "each valid invoice accepted exactly once, with its UPO; each invalid one refused with a
//! reason; nothing lost" is broken. An empty list is a pass.

use std::collections::{BTreeMap, HashMap};

use engine::state::SubmissionState;
use ksef_sim::state::LedgerEntry;

use crate::workload::{DuplicateKey, Expect, Workload};

/// A stored receipt as the auditor needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalUpo {
    /// Whether the transport hash was checked on download.
    pub verified: bool,
    /// KSeF number the receipt confirms.
    pub ksef_number: String,
    /// Base64 SHA-256 of the document the receipt confirms.
    pub document_hash: String,
}

/// One invoice row as the engine (or `status --json`) reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalInvoice {
    /// File name it was imported from.
    pub file_name: String,
    /// Current state.
    pub state: SubmissionState,
    /// KSeF number, once accepted.
    pub ksef_number: Option<String>,
    /// Base64 SHA-256 of the bytes the engine holds (and sends); `None` when not reported.
    pub stored_hash: Option<String>,
    /// Reason codes (last error code, validation finding codes).
    pub reasons: Vec<String>,
    /// The stored UPO, if any.
    pub upo: Option<LocalUpo>,
}

/// One broken promise.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    /// An imported file has no row: lost.
    #[error("lost: {file} has no local row")]
    Lost {
        /// File name.
        file: String,
    },
    /// A file has more than one row.
    #[error("{file} has {rows} local rows")]
    DuplicateRow {
        /// File name.
        file: String,
        /// Row count.
        rows: usize,
    },
    /// A row for a file the workload never had.
    #[error("row for unknown file {file}")]
    UnknownRow {
        /// File name.
        file: String,
    },
    /// A row not in a terminal state after the liveness phase.
    #[error("{file} is stuck in {state}")]
    NotTerminal {
        /// File name.
        file: String,
        /// Its state.
        state: SubmissionState,
    },
    /// The engine holds other bytes than were imported.
    #[error("{file}: stored bytes differ from the imported file")]
    BytesChanged {
        /// File name.
        file: String,
    },
    /// KSeF accepted more than one invoice with one duplicate key or one hash.
    #[error("duplicated in KSeF: {what} accepted {count} times")]
    Duplicated {
        /// Key or hash.
        what: String,
        /// Ledger entries.
        count: usize,
    },
    /// A valid invoice (group) that KSeF never accepted.
    #[error("never accepted by KSeF: {key:?}")]
    NeverAccepted {
        /// Duplicate key.
        key: DuplicateKey,
    },
    /// KSeF accepted something that is not a valid workload invoice.
    #[error("KSeF accepted unexpected content {hash} ({number})")]
    Unexpected {
        /// Ledger hash.
        hash: String,
        /// Ledger invoice number.
        number: String,
    },
    /// A row in the wrong state.
    #[error("{file}: expected {expected}, found {found}")]
    WrongState {
        /// File name.
        file: String,
        /// What the audit expected.
        expected: &'static str,
        /// What the row says.
        found: SubmissionState,
    },
    /// An error state without any reason code.
    #[error("{file}: {state} without a reason code")]
    NoReason {
        /// File name.
        file: String,
        /// Its state.
        state: SubmissionState,
    },
    /// The local KSeF number differs from the ledger's.
    #[error("{file}: local KSeF number {local:?}, ledger {ledger}")]
    KsefNumberMismatch {
        /// File name.
        file: String,
        /// Local number.
        local: Option<String>,
        /// Ledger number.
        ledger: String,
    },
    /// An accepted invoice without a verified UPO for exactly this document.
    #[error("{file}: UPO {problem}")]
    Upo {
        /// File name.
        file: String,
        /// What is wrong.
        problem: &'static str,
    },
}

/// Every violation found; empty means the run kept its promises.
pub fn audit(
    workload: &Workload,
    ledger: &[LedgerEntry],
    local: &[LocalInvoice],
) -> Vec<Violation> {
    let mut out = Vec::new();
    let rows = rows_by_file(workload, local, &mut out);
    check_ledger_unique(ledger, &mut out);

    let mut ledger_by_key: HashMap<DuplicateKey, Vec<&LedgerEntry>> = HashMap::new();
    for entry in ledger {
        ledger_by_key.entry(key_of(entry)).or_default().push(entry);
    }
    let mut expected_hashes = HashMap::new();
    for (key, group) in workload.valid_by_key() {
        for item in &group {
            expected_hashes.insert(item.hash.as_str(), ());
        }
        let Some(entry) = ledger_by_key.get(key).and_then(|e| e.first()) else {
            out.push(Violation::NeverAccepted { key: key.clone() });
            continue;
        };
        for item in group {
            let Some(row) = rows.get(item.file_name.as_str()) else {
                continue;
            };
            if item.hash.as_str() == entry.invoice_hash {
                check_accepted(row, entry, &mut out);
            } else {
                // The twin that lost: refused locally (conflict) or by KSeF (duplicate).
                check_refused(
                    row,
                    "conflict or rejected",
                    &[SubmissionState::Conflict, SubmissionState::Rejected],
                    &mut out,
                );
            }
        }
    }
    for entry in ledger {
        if !expected_hashes.contains_key(entry.invoice_hash.as_str()) {
            out.push(Violation::Unexpected {
                hash: entry.invoice_hash.clone(),
                number: entry.invoice_number.clone(),
            });
        }
    }
    for item in &workload.items {
        if item.expect == Expect::Invalid {
            if let Some(row) = rows.get(item.file_name.as_str()) {
                check_refused(
                    row,
                    "invalid or rejected",
                    &[SubmissionState::Invalid, SubmissionState::Rejected],
                    &mut out,
                );
            }
        }
    }
    out
}

/// Whether a row has reached a verdict that no later step will change.
pub fn is_terminal(state: SubmissionState) -> bool {
    matches!(
        state,
        SubmissionState::Accepted
            | SubmissionState::Rejected
            | SubmissionState::Invalid
            | SubmissionState::Conflict
    )
}

fn rows_by_file<'a>(
    workload: &Workload,
    local: &'a [LocalInvoice],
    out: &mut Vec<Violation>,
) -> BTreeMap<&'a str, &'a LocalInvoice> {
    let mut grouped: BTreeMap<&str, Vec<&LocalInvoice>> = BTreeMap::new();
    for row in local {
        grouped.entry(row.file_name.as_str()).or_default().push(row);
    }
    let mut rows = BTreeMap::new();
    for item in &workload.items {
        match grouped.remove(item.file_name.as_str()).as_deref() {
            None | Some([]) => out.push(Violation::Lost {
                file: item.file_name.clone(),
            }),
            Some([row]) => {
                if !is_terminal(row.state) {
                    out.push(Violation::NotTerminal {
                        file: row.file_name.clone(),
                        state: row.state,
                    });
                }
                if row
                    .stored_hash
                    .as_deref()
                    .is_some_and(|h| h != item.hash.as_str())
                {
                    out.push(Violation::BytesChanged {
                        file: row.file_name.clone(),
                    });
                }
                rows.insert(row.file_name.as_str(), *row);
            }
            Some(many) => out.push(Violation::DuplicateRow {
                file: item.file_name.clone(),
                rows: many.len(),
            }),
        }
    }
    for file in grouped.into_keys() {
        out.push(Violation::UnknownRow {
            file: file.to_owned(),
        });
    }
    rows
}

fn check_ledger_unique(ledger: &[LedgerEntry], out: &mut Vec<Violation>) {
    let mut by_key: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_hash: BTreeMap<String, usize> = BTreeMap::new();
    for e in ledger {
        *by_key
            .entry(format!(
                "{}/{}/{}",
                e.seller_nip, e.invoice_type, e.invoice_number
            ))
            .or_default() += 1;
        *by_hash.entry(e.invoice_hash.clone()).or_default() += 1;
    }
    for (what, count) in by_key.into_iter().chain(by_hash) {
        if count > 1 {
            out.push(Violation::Duplicated { what, count });
        }
    }
}

fn key_of(entry: &LedgerEntry) -> DuplicateKey {
    DuplicateKey {
        seller_nip: entry.seller_nip.clone(),
        invoice_type: entry.invoice_type.clone(),
        invoice_number: entry.invoice_number.clone(),
    }
}

fn check_accepted(row: &LocalInvoice, entry: &LedgerEntry, out: &mut Vec<Violation>) {
    let file = || row.file_name.clone();
    if row.state != SubmissionState::Accepted {
        out.push(Violation::WrongState {
            file: file(),
            expected: "accepted",
            found: row.state,
        });
    }
    if row.ksef_number.as_deref() != Some(entry.ksef_number.as_str()) {
        out.push(Violation::KsefNumberMismatch {
            file: file(),
            local: row.ksef_number.clone(),
            ledger: entry.ksef_number.clone(),
        });
    }
    let problem = match &row.upo {
        None => Some("missing"),
        Some(upo) if !upo.verified => Some("not verified"),
        Some(upo) if upo.ksef_number != entry.ksef_number => Some("names another KSeF number"),
        Some(upo) if upo.document_hash != entry.invoice_hash => Some("confirms another document"),
        Some(_) => None,
    };
    if let Some(problem) = problem {
        out.push(Violation::Upo {
            file: file(),
            problem,
        });
    }
}

fn check_refused(
    row: &LocalInvoice,
    expected: &'static str,
    allowed: &[SubmissionState],
    out: &mut Vec<Violation>,
) {
    if !allowed.contains(&row.state) {
        out.push(Violation::WrongState {
            file: row.file_name.clone(),
            expected,
            found: row.state,
        });
    } else if row.reasons.iter().all(String::is_empty) {
        out.push(Violation::NoReason {
            file: row.file_name.clone(),
            state: row.state,
        });
    }
}
