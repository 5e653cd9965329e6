//! KSeF Desk's application layer: one method per UI command, typed DTOs generated to
//! TypeScript, errors as `{ code, message }`, push events through an injected sink.
//!
//! Architecture invariant: this crate knows nothing of Tauri or webviews. The desktop shell
//! adapts Tauri's state and events to [`DeskApi`] and [`EventSink`]; the CLI can call the same
//! methods. Time, randomness and secrets are injected.

#![warn(missing_docs)]

mod api;
mod convert;
pub mod demo;
pub mod error;
pub mod events;
pub mod notify;
pub mod sandbox;
pub mod secrets;
pub mod settings;
pub mod ts;
pub mod types;
mod warsaw;
pub mod watch;

pub use api::{DeskApi, DeskOptions, DATABASE_FILE, RUNTIME_WORKERS};
pub use error::{DeskError, DeskResult};
pub use events::{DeskEvent, EventSink, NullSink, RecordingSink};
pub use secrets::{KeyringStore, MemoryStore, SecretStore};
