//! KSeF environments and their API base URLs (KSEF-API.md §1).

use url::Url;

/// Which KSeF installation to talk to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Environment {
    /// TE: `https://api-test.ksef.mf.gov.pl/v2`.
    Test,
    /// TR / pre-production: `https://api-demo.ksef.mf.gov.pl/v2`.
    Demo,
    /// PRD: `https://api.ksef.mf.gov.pl/v2`.
    Production,
    /// Any other base (simulator, proxy); always normalised to end in `/v2/`.
    Custom(Url),
}

/// A custom base URL that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvironmentError {
    /// Not a URL at all.
    #[error("invalid KSeF base URL: {0}")]
    InvalidUrl(String),
    /// Only `http` and `https` make sense for the REST API.
    #[error("KSeF base URL must use http or https, not {0}")]
    UnsupportedScheme(String),
    /// A base URL with a query or fragment cannot have paths joined onto it.
    #[error("KSeF base URL must not contain a query or fragment")]
    QueryOrFragment,
}

impl Environment {
    /// Parses a custom base URL, accepting it with or without the `/v2` suffix
    /// and with or without a trailing slash.
    pub fn custom(base: &str) -> Result<Self, EnvironmentError> {
        let mut url =
            Url::parse(base.trim()).map_err(|e| EnvironmentError::InvalidUrl(e.to_string()))?;
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(EnvironmentError::UnsupportedScheme(url.scheme().to_owned()));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(EnvironmentError::QueryOrFragment);
        }
        let trimmed = url.path().trim_end_matches('/');
        let path = if trimmed.ends_with("/v2") {
            format!("{trimmed}/")
        } else {
            format!("{trimmed}/v2/")
        };
        url.set_path(&path);
        Ok(Self::Custom(url))
    }

    /// API base URL ending in `/v2/`, ready for [`Url::join`] with a relative path.
    pub fn api_base(&self) -> Url {
        match self {
            Self::Test => fixed("https://api-test.ksef.mf.gov.pl/v2/"),
            Self::Demo => fixed("https://api-demo.ksef.mf.gov.pl/v2/"),
            Self::Production => fixed("https://api.ksef.mf.gov.pl/v2/"),
            Self::Custom(url) => url.clone(),
        }
    }

    /// Base of the invoice verification (QR) links; unknown for custom bases.
    pub fn qr_base(&self) -> Option<Url> {
        match self {
            Self::Test => Some(fixed("https://qr-test.ksef.mf.gov.pl/")),
            Self::Demo => Some(fixed("https://qr-demo.ksef.mf.gov.pl/")),
            Self::Production => Some(fixed("https://qr.ksef.mf.gov.pl/")),
            Self::Custom(_) => None,
        }
    }
}

fn fixed(url: &str) -> Url {
    // The literals above are compile-time constants; failing to parse one is a programmer error.
    Url::parse(url).expect("built-in KSeF URL is valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_base_is_normalised_with_or_without_v2() {
        for input in [
            "http://127.0.0.1:8080",
            "http://127.0.0.1:8080/",
            "http://127.0.0.1:8080/v2",
            "http://127.0.0.1:8080/v2/",
        ] {
            let env = Environment::custom(input).unwrap();
            assert_eq!(
                env.api_base().as_str(),
                "http://127.0.0.1:8080/v2/",
                "input {input}"
            );
        }
        let nested = Environment::custom("https://proxy.example/api/v2").unwrap();
        assert_eq!(nested.api_base().as_str(), "https://proxy.example/api/v2/");
        let joined = nested.api_base().join("sessions/online").unwrap();
        assert_eq!(
            joined.as_str(),
            "https://proxy.example/api/v2/sessions/online"
        );
    }

    #[test]
    fn custom_base_rejects_bad_input() {
        assert!(matches!(
            Environment::custom("not a url"),
            Err(EnvironmentError::InvalidUrl(_))
        ));
        assert_eq!(
            Environment::custom("ftp://x.example/v2"),
            Err(EnvironmentError::UnsupportedScheme("ftp".into()))
        );
        assert_eq!(
            Environment::custom("https://x.example/v2?a=1"),
            Err(EnvironmentError::QueryOrFragment)
        );
    }

    #[test]
    fn built_in_bases_follow_the_reference() {
        assert_eq!(
            Environment::Test.api_base().as_str(),
            "https://api-test.ksef.mf.gov.pl/v2/"
        );
        assert_eq!(
            Environment::Demo.api_base().as_str(),
            "https://api-demo.ksef.mf.gov.pl/v2/"
        );
        assert_eq!(
            Environment::Production.api_base().as_str(),
            "https://api.ksef.mf.gov.pl/v2/"
        );
        assert_eq!(
            Environment::Production.qr_base().unwrap().as_str(),
            "https://qr.ksef.mf.gov.pl/"
        );
    }
}
