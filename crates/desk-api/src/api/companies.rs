//! Companies (a KSeF context in one environment): the Sandbox created on first run, real ones
//! added in Settings with their token in the keyring, and which one is active.

use std::path::Path;

use engine::store::{CompanyId, Store};

use super::{lock, DeskApi};
use crate::error::{codes, DeskError, DeskResult};
use crate::sandbox::{Sandbox, SANDBOX_BASE_URL, SANDBOX_NAME, SANDBOX_NIP};
use crate::settings::{self, StoredSettings};
use crate::types::{Company, Environment, NewCompany};

/// Keyring reference of the Sandbox, which needs no stored secret.
const SANDBOX_KEYRING_REF: &str = "sandbox";

/// The environment's name in the UI (`sandbox`, `test`, `demo`, `prd`).
pub(crate) const fn env_name(env: Environment) -> &'static str {
    match env {
        Environment::Sandbox => "sandbox",
        Environment::Test => "test",
        Environment::Demo => "demo",
        Environment::Prd => "prd",
    }
}

/// The environment's name in the store (its CHECK allows exactly these four).
const fn store_env_name(env: Environment) -> &'static str {
    match env {
        Environment::Sandbox => "sandbox",
        Environment::Test => "test",
        Environment::Demo => "demo",
        Environment::Prd => "prod",
    }
}

/// A stored company's environment.
pub(crate) fn env_of(c: &engine::store::Company) -> DeskResult<Environment> {
    // Stores from before schema 6 named the Sandbox `test`; migration 0006 renamed those rows.
    match c.environment.as_str() {
        "sandbox" => Ok(Environment::Sandbox),
        "test" => Ok(Environment::Test),
        "demo" => Ok(Environment::Demo),
        "prod" => Ok(Environment::Prd),
        other => Err(DeskError::new(
            "engine.store_corrupt",
            format!("unexpected company environment {other:?}"),
        )),
    }
}

/// First run: the Sandbox company, active, persisted in a new settings file.
pub(super) fn first_run(
    store: &mut Store,
    now_ms: i64,
    data_dir: &Path,
) -> DeskResult<StoredSettings> {
    let id = store.insert_company(
        &engine::store::NewCompany {
            name: SANDBOX_NAME,
            environment: store_env_name(Environment::Sandbox),
            nip: SANDBOX_NIP,
            base_url: SANDBOX_BASE_URL,
            keyring_ref: SANDBOX_KEYRING_REF,
        },
        now_ms,
    )?;
    let stored = StoredSettings {
        active_company: Some(id.0),
        ..StoredSettings::default()
    };
    settings::save(data_dir, &stored)?;
    Ok(stored)
}

/// The active company as the store has it.
pub(crate) struct Active {
    pub id: CompanyId,
    pub environment: Environment,
    pub nip: String,
}

impl DeskApi {
    /// `list_companies`. A keyring that cannot be reached shows as "no token" rather than failing
    /// the list, so Settings stays usable on machines without one.
    pub fn list_companies(&self) -> DeskResult<Vec<Company>> {
        let active = lock(&self.settings)?.active_company;
        let companies = lock(&self.store)?.companies()?;
        companies
            .into_iter()
            .map(|c| {
                let id = c.id.0;
                let environment = env_of(&c)?;
                let has_token = environment == Environment::Sandbox
                    || matches!(self.secrets.get(&c.keyring_ref), Ok(Some(_)));
                Ok(Company {
                    id,
                    name: c.name,
                    nip: c.nip,
                    environment,
                    active: active == Some(id),
                    has_token,
                })
            })
            .collect()
    }

    /// `add_company`: checks the NIP, stores the token in the keyring first (so a missing
    /// keyring adds nothing), then the company.
    pub fn add_company(&self, c: NewCompany) -> DeskResult<Company> {
        let name = c.name.trim();
        if name.is_empty() {
            return Err(DeskError::invalid("the company name is empty"));
        }
        let nip = c.nip.trim();
        if fa3::nip::check(nip).is_err() {
            return Err(DeskError::new(
                "business.nip_checksum",
                format!("{nip} is not a valid NIP"),
            ));
        }
        if c.environment == Environment::Sandbox {
            return Err(DeskError::invalid(
                "there is only one Sandbox company; add TE, DEMO or PRD companies",
            ));
        }
        if c.token.trim().is_empty() {
            return Err(DeskError::new(
                codes::TOKEN_MISSING,
                "the KSeF token is empty",
            ));
        }
        let environment = store_env_name(c.environment);
        let keyring_ref = format!("company-{nip}-{environment}");
        self.secrets.set(&keyring_ref, c.token.trim())?;
        let id = lock(&self.store)?.insert_company(
            &engine::store::NewCompany {
                name,
                environment,
                nip,
                base_url: "",
                keyring_ref: &keyring_ref,
            },
            self.clock.now_ms(),
        )?;
        Ok(Company {
            id: id.0,
            name: name.to_owned(),
            nip: nip.to_owned(),
            environment: c.environment,
            active: false,
            has_token: true,
        })
    }

    /// `set_active_company`; a running sender moves to the new company.
    pub fn set_active_company(&self, id: i64) -> DeskResult<()> {
        // An unknown id is the store's `engine.company_not_found`.
        lock(&self.store)?.company(CompanyId(id))?;
        let mut s = lock(&self.settings)?;
        let mut next = s.clone();
        next.active_company = Some(id);
        settings::save(&self.data_dir, &next)?;
        *s = next;
        drop(s);
        self.follow_active_company()
    }

    /// The active company.
    pub(crate) fn active(&self) -> DeskResult<Active> {
        let id = lock(&self.settings)?
            .active_company
            .ok_or_else(|| DeskError::new(codes::NO_ACTIVE_COMPANY, "no company is active"))?;
        let c = lock(&self.store)?.company(CompanyId(id))?;
        Ok(Active {
            id: CompanyId(id),
            environment: env_of(&c)?,
            nip: c.nip,
        })
    }

    /// Starts the Sandbox simulator if it is not running; returns its API base URL. Blocks
    /// while the simulator generates keys (seconds), so the shell calls it off the UI thread.
    pub fn ensure_sandbox(&self) -> DeskResult<String> {
        let mut sandbox = lock(&self.sandbox)?;
        if let Some(running) = sandbox.as_ref() {
            return Ok(running.base_url().to_owned());
        }
        let seed = rand::RngCore::next_u64(&mut *lock(&self.rng)?);
        let schemas = self.schemas().is_some().then(|| self.schemas_dir.clone());
        let started = Sandbox::start(&self.runtime, seed, schemas)?;
        let url = started.base_url().to_owned();
        *sandbox = Some(started);
        Ok(url)
    }

    /// Whether the Sandbox simulator is running.
    pub fn sandbox_running(&self) -> bool {
        lock(&self.sandbox).is_ok_and(|s| s.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::{env_of, store_env_name, SANDBOX_BASE_URL};
    use crate::types::Environment;

    fn stored(environment: &str, base_url: &str) -> engine::store::Company {
        engine::store::Company {
            id: engine::store::CompanyId(1),
            name: "x".into(),
            environment: environment.into(),
            nip: "5265877635".into(),
            base_url: base_url.into(),
            keyring_ref: "k".into(),
        }
    }

    #[test]
    fn every_environment_has_its_own_stored_name_whatever_the_base_url() {
        let all = [
            Environment::Sandbox,
            Environment::Test,
            Environment::Demo,
            Environment::Prd,
        ];
        for env in all {
            for url in [SANDBOX_BASE_URL, "https://api-test.ksef.mf.gov.pl/v2"] {
                assert_eq!(env_of(&stored(store_env_name(env), url)).ok(), Some(env));
            }
        }
        assert_eq!(store_env_name(Environment::Sandbox), "sandbox");
        assert_eq!(
            env_of(&stored("staging", SANDBOX_BASE_URL))
                .expect_err("unknown name")
                .code,
            "engine.store_corrupt"
        );
    }
}
