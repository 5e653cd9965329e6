//! "Test connection": authenticate with the company's KSeF token end to end (challenge →
//! encrypted token → status → access token), against the Sandbox simulator or real KSeF.

use std::time::Duration;

use ksef_api::auth::{AuthPolicy, AuthState};
use ksef_api::http::{HttpConfig, HttpKsef};
use ksef_api::{ContextIdentifier, Nip, Secret};

use super::companies::env_of;
use super::{lock, DeskApi};
use crate::error::{codes, DeskError, DeskResult};
use crate::sandbox::SANDBOX_TOKEN;
use crate::types::{ConnectionTest, Environment, KsefAvailability, KsefStatus};

/// How often sign-in status is polled against the Sandbox simulator.
const SANDBOX_AUTH_POLL: Duration = Duration::from_millis(100);

/// A company's KSeF connection: the HTTP client's settings and the KSeF token.
pub(crate) struct Endpoint {
    /// Base URL and timeouts.
    pub http: HttpConfig,
    /// The KSeF token (never logged).
    pub token: Secret,
}

impl DeskApi {
    /// `test_connection`. Problems reaching KSeF are an answer (`ok: false` with a code), not an
    /// error; an unknown company is an error.
    pub fn test_connection(&self, id: i64) -> DeskResult<ConnectionTest> {
        let company = lock(&self.store)?.company(engine::store::CompanyId(id))?;
        let outcome = self.authenticate(&company);
        let now = self.clock.now_ms();
        let state = if outcome.is_ok() {
            KsefAvailability::Available
        } else {
            KsefAvailability::Unavailable
        };
        lock(&self.ksef_seen)?.insert(
            id,
            KsefStatus {
                state,
                since: Some(now),
            },
        );
        Ok(match outcome {
            Ok(()) => ConnectionTest {
                ok: true,
                code: None,
                message: None,
            },
            Err(e) => ConnectionTest {
                ok: false,
                code: Some(e.code),
                message: Some(e.message),
            },
        })
    }

    fn authenticate(&self, company: &engine::store::Company) -> DeskResult<()> {
        let endpoint = self.endpoint(company)?;
        let nip = Nip::parse(&company.nip)
            .map_err(|e| DeskError::new("business.nip_checksum", e.to_string()))?;
        let ksef_error = |e: ksef_api::KsefError| DeskError::new(&e.code(), e.to_string());
        let http = HttpKsef::new(endpoint.http).map_err(ksef_error)?;
        let auth = AuthState::new(
            http,
            ksef_api::SystemClock,
            ContextIdentifier::Nip(nip),
            endpoint.token,
            AuthPolicy::default(),
        );
        self.runtime
            .block_on(auth.access_token())
            .map(|_| ())
            .map_err(ksef_error)
    }

    /// Where and with which token `company` talks to KSeF: the Sandbox simulator (started if
    /// needed) with its provisioned token, or real KSeF with the token from the secret store.
    pub(crate) fn endpoint(&self, company: &engine::store::Company) -> DeskResult<Endpoint> {
        match env_of(company)? {
            Environment::Sandbox => {
                let base = self.ensure_sandbox()?;
                let env = ksef_api::Environment::custom(&base)
                    .map_err(|e| DeskError::new(codes::SANDBOX_START, e.to_string()))?;
                let mut http = HttpConfig::new(env);
                // The simulator finishes sign-in within its processing delay; polling at the
                // production pace would make the demo wait for nothing.
                http.auth_poll_interval = SANDBOX_AUTH_POLL;
                Ok(Endpoint {
                    http,
                    token: Secret::new(SANDBOX_TOKEN),
                })
            }
            real => {
                let env = match real {
                    Environment::Test | Environment::Sandbox => ksef_api::Environment::Test,
                    Environment::Demo => ksef_api::Environment::Demo,
                    Environment::Prd => ksef_api::Environment::Production,
                };
                let token = self.secrets.get(&company.keyring_ref)?.ok_or_else(|| {
                    DeskError::new(
                        codes::TOKEN_MISSING,
                        "no KSeF token is stored for this company",
                    )
                })?;
                Ok(Endpoint {
                    http: HttpConfig::new(env),
                    token: Secret::new(token),
                })
            }
        }
    }

    /// KSeF's state for the active company: what its runner (or else the last connection test)
    /// saw; without either, the Sandbox is available while its simulator runs.
    pub(crate) fn ksef_status(&self, company: i64, environment: Environment) -> KsefStatus {
        let seen = lock(&self.ksef_seen)
            .ok()
            .and_then(|seen| seen.get(&company).cloned());
        if let Some(seen) = seen {
            return seen;
        }
        if environment == Environment::Sandbox {
            let state = if self.sandbox_running() {
                KsefAvailability::Available
            } else {
                KsefAvailability::Unavailable
            };
            return KsefStatus { state, since: None };
        }
        KsefStatus {
            state: KsefAvailability::Unavailable,
            since: None,
        }
    }
}
