//! Fault injection: seeded per-request draws (5xx, timeout, drop-after-commit), outage windows, and the
//! per-connection kill switch that turns a fault into a real connection error.

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::sync::Notify;

use crate::config::FaultConfig;

/// Closes the request's connection when notified (inserted by [`crate::Simulator::serve`]).
#[derive(Clone)]
pub struct KillSwitch(pub Arc<Notify>);

/// What an outage does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutageMode {
    /// Every request is answered 503.
    ServiceUnavailable,
    /// Connections are closed on accept.
    RefuseConnections,
}

/// An active outage window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outage {
    /// Behaviour.
    pub mode: OutageMode,
    /// End; `None` = until stopped.
    pub until: Option<DateTime<Utc>>,
}

/// A fault drawn for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer 500.
    Error5xx,
    /// Hold, then drop the connection.
    Timeout,
    /// Handle, then drop the connection.
    DropResponse,
}

/// Fault probabilities, their RNG and the outage window.
pub struct FaultState {
    /// Probabilities.
    pub config: FaultConfig,
    rng: ChaCha20Rng,
    /// Current outage.
    pub outage: Option<Outage>,
}

impl FaultState {
    /// Faults seeded from the simulator seed (a separate stream, so faults don't shift reference numbers).
    pub fn new(config: FaultConfig, seed: u64) -> Self {
        Self {
            config,
            rng: ChaCha20Rng::seed_from_u64(seed ^ 0xFA01_7FA0_17FA_017F),
            outage: None,
        }
    }

    /// The outage mode in force at `now`.
    pub fn outage_at(&self, now: DateTime<Utc>) -> Option<OutageMode> {
        self.outage
            .filter(|o| o.until.is_none_or(|until| now < until))
            .map(|o| o.mode)
    }

    /// Whether new connections are refused at `now`.
    pub fn refuses_connections(&self, now: DateTime<Utc>) -> bool {
        self.outage_at(now) == Some(OutageMode::RefuseConnections)
    }

    /// Draws at most one fault for a protected request.
    pub fn draw(&mut self) -> Option<Fault> {
        let roll: f64 = self.rng.gen();
        let c = &self.config;
        let mut threshold = c.error_5xx;
        if roll < threshold {
            return Some(Fault::Error5xx);
        }
        threshold += c.timeout;
        if roll < threshold {
            return Some(Fault::Timeout);
        }
        threshold += c.drop_response;
        if roll < threshold {
            return Some(Fault::DropResponse);
        }
        None
    }
}

/// Ends the connection of a request: through its kill switch when served by [`crate::Simulator::serve`],
/// else (router embedded elsewhere) with a response whose body fails at once.
pub async fn drop_connection(switch: Option<KillSwitch>) -> Response {
    match switch {
        Some(KillSwitch(notify)) => {
            notify.notify_one();
            // The connection task drops this future together with the socket.
            std::future::pending::<Response>().await
        }
        None => Response::new(Body::new(FailingBody)),
    }
}

/// A body that errors on first poll, making hyper abort the connection mid-response.
struct FailingBody;

impl http_body::Body for FailingBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "simulated connection drop",
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_draws_the_same_faults() {
        let config = FaultConfig {
            error_5xx: 0.2,
            timeout: 0.2,
            drop_response: 0.2,
            timeout_hold_ms: 0,
        };
        let draws = |seed| {
            let mut f = FaultState::new(config.clone(), seed);
            (0..64).map(|_| f.draw()).collect::<Vec<_>>()
        };
        assert_eq!(draws(3), draws(3));
        assert_ne!(draws(3), draws(4));
        assert!(draws(3).contains(&None));
    }

    #[test]
    fn zero_probabilities_never_fault() {
        let mut f = FaultState::new(FaultConfig::default(), 1);
        assert!((0..1000).all(|_| f.draw().is_none()));
    }
}
