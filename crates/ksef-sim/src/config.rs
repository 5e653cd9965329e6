//! Simulator configuration: environment flavour, provisioned tokens, limits, faults and timing knobs.

use crate::limits::RateTable;
use std::path::PathBuf;

/// Which KSeF environment the simulator imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Environment {
    /// TE: FA (2) still accepted, NIP checksums not verified.
    #[default]
    Test,
    /// PRD: production verification rules (NIP checksums, no FA (2)).
    Production,
}

/// A KSeF token the simulator accepts for a NIP context (`--token NIP:TOKEN`).
#[derive(Clone, PartialEq, Eq)]
pub struct ProvisionedToken {
    /// Context NIP the token authenticates into.
    pub nip: String,
    /// The secret token text.
    pub token: String,
}

impl std::fmt::Debug for ProvisionedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret never reaches logs.
        f.debug_struct("ProvisionedToken")
            .field("nip", &self.nip)
            .finish_non_exhaustive()
    }
}

impl std::str::FromStr for ProvisionedToken {
    type Err = String;

    /// Parses `NIP:TOKEN` (the token itself may contain `:` and `|`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (nip, token) = s
            .split_once(':')
            .ok_or_else(|| "expected NIP:TOKEN".to_string())?;
        if nip.len() != 10 || !nip.bytes().all(|b| b.is_ascii_digit()) {
            return Err("NIP must be 10 digits".into());
        }
        if token.is_empty() {
            return Err("token must not be empty".into());
        }
        Ok(Self {
            nip: nip.to_string(),
            token: token.to_string(),
        })
    }
}

/// Fault-injection probabilities (each 0..=1) applied to protected endpoints.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FaultConfig {
    /// Answer 500 instead of handling the request.
    pub error_5xx: f64,
    /// Hold the request for `timeout_hold_ms`, then drop the connection without doing anything.
    pub timeout: f64,
    /// Commit the request's effect, then drop the connection without responding.
    pub drop_response: f64,
    /// How long a timeout fault holds the request before dropping it (real time).
    pub timeout_hold_ms: u64,
}

/// Rate-limit mode (`--limits production|off|FILE`).
#[derive(Debug, Clone, PartialEq)]
pub enum LimitsMode {
    /// No limits.
    Off,
    /// The given table (production table or a custom one).
    Table(RateTable),
}

/// Everything that shapes a simulator instance.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Seed of every random choice (keys, reference numbers, faults).
    pub seed: u64,
    /// Accepted KSeF tokens.
    pub tokens: Vec<ProvisionedToken>,
    /// Rate limits.
    pub limits: LimitsMode,
    /// Fault probabilities.
    pub faults: FaultConfig,
    /// Time from receipt until an invoice, session or auth operation leaves "in progress".
    pub processing_ms: u64,
    /// Environment flavour.
    pub environment: Environment,
    /// Root URL (scheme://host:port) used in every absolute URL handed out; the API lives under `/v2`.
    pub public_base_url: Option<String>,
    /// Where state is persisted across restarts (`state.json`); in memory only when `None`.
    pub state_dir: Option<PathBuf>,
    /// Directory holding the FA(3) XSDs; XSD validation is skipped when `None`.
    pub schemas_dir: Option<PathBuf>,
    /// Lifetime of access tokens.
    pub access_token_ttl_ms: u64,
    /// Lifetime of pre-signed UPO download URLs.
    pub upo_url_ttl_ms: u64,
    /// RSA modulus size of the generated keys (2048 like KSeF; smaller only to speed up tests).
    pub rsa_key_bits: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            seed: 0,
            tokens: Vec::new(),
            limits: LimitsMode::Table(RateTable::production()),
            faults: FaultConfig {
                timeout_hold_ms: 30_000,
                ..FaultConfig::default()
            },
            processing_ms: 1_000,
            environment: Environment::Test,
            public_base_url: None,
            state_dir: None,
            schemas_dir: None,
            access_token_ttl_ms: 15 * 60 * 1_000,
            upo_url_ttl_ms: 60 * 60 * 1_000,
            rsa_key_bits: 2048,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_spec_splits_at_the_first_colon_and_keeps_the_rest() {
        let t: ProvisionedToken = "5265877635:20250101-TK-1|internalId-1|ab:cd"
            .parse()
            .expect("valid");
        assert_eq!(t.nip, "5265877635");
        assert_eq!(t.token, "20250101-TK-1|internalId-1|ab:cd");
        assert!("526587763:x".parse::<ProvisionedToken>().is_err());
        assert!("5265877635:".parse::<ProvisionedToken>().is_err());
        assert!(!format!("{t:?}").contains("internalId"));
    }
}
