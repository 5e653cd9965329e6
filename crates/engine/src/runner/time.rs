//! Bridges the engine's millisecond [`Clock`] to the `ksef-api` clock its token holder needs, so
//! token expiry follows the same injected time as everything else.

use chrono::{DateTime, TimeZone, Utc};

use crate::clock::Clock;

/// The engine clock seen as a `ksef_api::Clock`.
#[derive(Debug, Clone)]
pub struct KsefClock<C>(pub C);

impl<C: Clock> ksef_api::Clock for KsefClock<C> {
    fn now(&self) -> DateTime<Utc> {
        ms_to_utc(self.0.now_ms())
    }
}

/// Unix milliseconds as a UTC instant (the epoch for values chrono cannot represent).
pub fn ms_to_utc(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// A UTC instant as Unix milliseconds.
pub fn utc_to_ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}
