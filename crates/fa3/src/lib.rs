//! FA(3) invoice documents: read bytes, summarise, validate against every rule KSeF applies, and
//! derive the idempotency key the engine uses to never send an invoice twice.
//!
//! Architecture invariant: this crate is pure (no network, no database, no clock of its own: "today"
//! is passed in) and never panics on input. It knows nothing of KSeF's HTTP API.

pub mod code;

pub use code::{FindingCode, RuleSource};
pub mod xsd;
