//! The durable heart of KSeF Desk: an invoice handed to the engine is accounted for until KSeF
//! confirms it with a UPO or rejects it with a reason — across crashes, restarts and outages — and
//! is never sent twice.
//!
//! Architecture invariant: this crate knows nothing of Tauri or any UI; all time comes from an
//! injected [`clock::Clock`] and all randomness from an injected [`rng::EngineRng`]; no database
//! transaction is ever held across a network call.
//!
//! Map: [`store`] (SQLite outbox, queries), [`state`] (the state machine, the only writer of
//! state changes), [`import`] (files, folders, ZIPs), [`validation`] / [`fa3_validator`] (the
//! validation port and its `fa3` adapter), [`outcome`] (KSeF results → our states, the only
//! place the two vocabularies meet), [`limiter`], [`backoff`] (retries, circuit breaker).

#![warn(missing_docs)]

pub mod backoff;
pub mod clock;
pub mod fa3_validator;
pub mod import;
pub mod limiter;
pub mod outcome;
pub mod rng;
pub mod runner;
pub mod state;
pub mod store;
pub mod validation;

#[cfg(test)]
mod simulation;
