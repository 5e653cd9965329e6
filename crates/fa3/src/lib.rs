//! FA(3) invoice documents: read bytes, summarise, validate against every rule KSeF applies, and
//! derive the idempotency key the engine uses to never send an invoice twice.
//!
//! Architecture invariant: this crate is pure (no network, no database, no clock of its own: "today"
//! is passed in) and never panics on input. It knows nothing of KSeF's HTTP API.
//!
//! No DTD is ever processed and no entity ever expanded: DOCTYPEs (XXE, entity bombs) are refused
//! on sight, and inputs above [`limits::INPUT_BYTES_MAX`] are refused before parsing.
//!
//! Entry points: [`validate()`] (every finding, the summary and the key in one streaming pass) and
//! [`Fa3Document::read`] (the summary only).

pub mod code;
pub mod document;
pub mod finding;
pub mod key;
pub mod limits;
pub mod nip;
pub mod schemas;
pub mod validate;
pub mod xsd;

mod business;
mod capture;
mod chars;
mod ns;
mod ours;
mod precheck;
mod read;
mod refs;
mod scan;
mod sink;

pub use code::{FindingCode, RuleSource};
pub use document::{Fa3Document, PartyId, ReadError, ThirdParty, Totals, FA3_NAMESPACE};
pub use finding::{Finding, Severity};
pub use key::{IdempotencyKey, KeyRelation};
pub use validate::{
    validate, Environment, UnknownEnvironment, ValidationOptions, ValidationReport, XsdStatus,
};
pub use xsd::SchemaSet;
