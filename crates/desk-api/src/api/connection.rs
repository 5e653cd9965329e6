//! "Test connection": authenticate with the company's KSeF token end to end (challenge →
//! encrypted token → status → access token), against the Sandbox simulator or real KSeF.

use ksef_api::auth::{AuthPolicy, AuthState};
use ksef_api::http::{HttpConfig, HttpKsef};
use ksef_api::{ContextIdentifier, Nip, Secret};

use super::companies::env_of;
use super::{lock, DeskApi};
use crate::error::{codes, DeskError, DeskResult};
use crate::sandbox::SANDBOX_TOKEN;
use crate::types::{ConnectionTest, Environment, KsefAvailability, KsefStatus};

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
        let (environment, token) = match env_of(company)? {
            Environment::Sandbox => {
                let base = self.ensure_sandbox()?;
                let env = ksef_api::Environment::custom(&base)
                    .map_err(|e| DeskError::new(codes::SANDBOX_START, e.to_string()))?;
                (env, SANDBOX_TOKEN.to_owned())
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
                (env, token)
            }
        };
        let nip = Nip::parse(&company.nip)
            .map_err(|e| DeskError::new("business.nip_checksum", e.to_string()))?;
        let ksef_error = |e: ksef_api::KsefError| DeskError::new(&e.code(), e.to_string());
        let http = HttpKsef::new(HttpConfig::new(environment)).map_err(ksef_error)?;
        let auth = AuthState::new(
            http,
            ksef_api::SystemClock,
            ContextIdentifier::Nip(nip),
            Secret::new(token),
            AuthPolicy::default(),
        );
        self.runtime
            .block_on(auth.access_token())
            .map(|_| ())
            .map_err(ksef_error)
    }

    /// KSeF's state for the active company: the Sandbox is available while its simulator runs;
    /// for real KSeF the last connection test says (the sender runner will keep it current).
    pub(crate) fn ksef_status(&self, company: i64, environment: Environment) -> KsefStatus {
        if environment == Environment::Sandbox {
            let state = if self.sandbox_running() {
                KsefAvailability::Available
            } else {
                KsefAvailability::Unavailable
            };
            return KsefStatus { state, since: None };
        }
        lock(&self.ksef_seen)
            .ok()
            .and_then(|seen| seen.get(&company).cloned())
            .unwrap_or(KsefStatus {
                state: KsefAvailability::Unavailable,
                since: None,
            })
    }
}
