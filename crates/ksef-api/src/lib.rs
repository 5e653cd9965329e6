//! KSeF 2.0 port: plain domain types, the [`Ksef`] trait the engine programs against, and its HTTP adapter.
//!
//! Only the `http` module knows the wire format; everything else is plain Rust.

pub mod auth;
pub mod batch;
pub mod clock;
pub mod crypto;
pub mod environment;
pub mod error;
pub mod form;
pub mod hash;
pub mod http;
pub mod ids;
pub mod ksef_number;
pub mod limits;
pub mod port;
pub mod secret;
pub mod status;
pub mod upo;
pub mod xades;

pub use auth::{AuthPolicy, AuthState};
pub use clock::{Clock, ManualClock, SystemClock};
pub use environment::Environment;
pub use error::{ErrorClass, KsefError, KsefResult, Operation, RemoteCode};
pub use form::FormCode;
pub use hash::{HashCheck, Sha256B64};
pub use http::{HttpConfig, HttpKsef};
pub use ids::{ContextIdentifier, InvoiceRef, Nip, ReferenceNumber, SessionRef};
pub use ksef_number::KsefNumber;
pub use limits::{ContextLimits, LimitGroup, LimitScope, RateLimit, RateLimits};
pub use port::Ksef;
pub use secret::Secret;
pub use status::{InvoiceStatus, Page, PageRequest, SessionStatus, UpoPage};
