//! KSeF tokens at rest: the OS keyring in the app, memory in tests.
//!
//! A machine without a keyring (no Secret Service daemon) is reported as
//! `desk.keyring_unavailable`, never a crash: the Sandbox needs no stored secret and keeps working.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::error::{codes, DeskError, DeskResult};

/// The keyring service name every KSeF Desk entry is stored under.
pub const KEYRING_SERVICE: &str = "pl.ksefdesk.app";

/// Stores secrets by reference (e.g. `company-3`). Values never appear in errors or logs.
pub trait SecretStore: Send + Sync {
    /// Stores or replaces the secret under `reference`.
    fn set(&self, reference: &str, secret: &str) -> DeskResult<()>;
    /// The secret under `reference`, `None` when nothing is stored.
    fn get(&self, reference: &str) -> DeskResult<Option<String>>;
}

/// The OS keyring (Secret Service, macOS Keychain, Windows Credential Manager) via `keyring`.
#[derive(Debug, Default)]
pub struct KeyringStore;

impl KeyringStore {
    fn entry(reference: &str) -> DeskResult<keyring::Entry> {
        keyring::Entry::new(KEYRING_SERVICE, reference).map_err(unavailable)
    }
}

impl SecretStore for KeyringStore {
    fn set(&self, reference: &str, secret: &str) -> DeskResult<()> {
        KeyringStore::entry(reference)?
            .set_password(secret)
            .map_err(unavailable)
    }

    fn get(&self, reference: &str) -> DeskResult<Option<String>> {
        match KeyringStore::entry(reference)?.get_password() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }
}

/// Classifies a keyring failure. `keyring`'s messages name the service and platform, never the
/// secret, so they are safe to pass on.
fn unavailable(e: keyring::Error) -> DeskError {
    DeskError::new(
        codes::KEYRING_UNAVAILABLE,
        format!(
            "the system keyring cannot be used ({e}); KSeF tokens cannot be stored on this machine"
        ),
    )
}

/// Secrets in memory (tests, or a session that must not persist tokens).
#[derive(Debug, Default)]
pub struct MemoryStore {
    secrets: Mutex<HashMap<String, String>>,
}

impl SecretStore for MemoryStore {
    fn set(&self, reference: &str, secret: &str) -> DeskResult<()> {
        self.secrets
            .lock()
            .map_err(|_| DeskError::new(codes::KEYRING_UNAVAILABLE, "secret store poisoned"))?
            .insert(reference.to_owned(), secret.to_owned());
        Ok(())
    }

    fn get(&self, reference: &str) -> DeskResult<Option<String>> {
        Ok(self
            .secrets
            .lock()
            .map_err(|_| DeskError::new(codes::KEYRING_UNAVAILABLE, "secret store poisoned"))?
            .get(reference)
            .cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyring_store_round_trips_through_the_mock_keyring() {
        keyring::set_default_credential_builder(keyring::mock::default_credential_builder());
        let store = KeyringStore;
        // The mock keeps nothing between entries, so only the error mapping of a missing entry
        // and a successful set can be observed.
        assert_eq!(store.get("company-1"), Ok(None));
        assert_eq!(store.set("company-1", "tok"), Ok(()));
    }

    #[test]
    fn keyring_errors_map_to_the_unavailable_code_without_the_secret() {
        let e = unavailable(keyring::Error::PlatformFailure("no secret service".into()));
        assert_eq!(e.code, codes::KEYRING_UNAVAILABLE);
        assert!(e.message.contains("no secret service"));
    }

    #[test]
    fn memory_store_keeps_secrets_by_reference() {
        let store = MemoryStore::default();
        assert_eq!(store.get("a"), Ok(None));
        store.set("a", "secret-a").expect("set");
        store.set("b", "secret-b").expect("set");
        assert_eq!(store.get("a"), Ok(Some("secret-a".to_owned())));
        assert_eq!(store.get("b"), Ok(Some("secret-b".to_owned())));
    }
}
