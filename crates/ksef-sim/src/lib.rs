//! A faithful KSeF 2.0 API simulator: same paths, JSON, status codes and headers as the official API,
//! with seeded randomness, an injected clock, rate limits and fault injection, for tests and drills.
//!
//! Architecture invariant: the simulator knows the wire protocol from the official spec only; it never
//! depends on our client (`ksef-api`), so the two check each other. All time comes from a [`Clock`] and
//! all randomness from a seeded RNG: the same seed and clock give the same answers.

pub mod archive;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod error;
pub mod faults;
pub mod ids;
pub mod keys;
pub mod limits;
pub mod persist;
mod routes;
pub mod server;
pub mod state;
pub mod upo;
pub mod verify;
pub mod xades;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{Environment, FaultConfig, LimitsMode, ProvisionedToken, SimConfig};
pub use limits::RateTable;
pub use server::{SimError, Simulator};
