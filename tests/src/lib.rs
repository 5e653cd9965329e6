//! Shared harness of the cross-crate proof suite: a seeded workload built from the official
//! samples, one clock for the engine and the simulator, seed selection with reproduction lines,
//! and the auditor that checks "nothing lost, nothing duplicated" against the simulator's ledger.
//!
//! Architecture invariant: the harness derives every expectation from its own workload (bytes,
//! hashes, duplicate keys) and from the simulator's ledger — never from the engine's answers — so
//! the engine cannot pass the audit by agreeing with itself.

pub mod audit;
pub mod clock;
pub mod local;
pub mod paths;
pub mod seeds;
pub mod workload;
pub mod world;
