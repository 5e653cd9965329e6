//! `Secret`: a string that never shows up in logs, `Debug` output or error messages.

use std::fmt;

/// A bearer token, KSeF token or other credential.
///
/// `Debug` and `Display` print `[redacted]`; the only way to read the value is
/// [`Secret::expose`], which makes every use greppable.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The raw credential, for the one place that must send it on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// `Debug` of a pre-signed URL without its query, which carries the signature: as good as a token.
pub(crate) struct UrlWithoutQuery<'a>(pub(crate) &'a url::Url);

impl fmt::Debug for UrlWithoutQuery<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = self.0;
        write!(
            f,
            "{}{}?[redacted]",
            url.origin().ascii_serialization(),
            url.path()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let secret = Secret::new("eyJhbGciOi.super-secret");
        assert!(!format!("{secret:?}").contains("super-secret"));
        assert!(!format!("{secret}").contains("super-secret"));
        assert_eq!(secret.expose(), "eyJhbGciOi.super-secret");
    }

    #[test]
    fn url_without_query_keeps_origin_and_path_but_not_the_signature() {
        let url =
            url::Url::parse("https://blob.example:8443/parts/1?sig=SECRETSIG&se=2026").unwrap();
        assert_eq!(
            format!("{:?}", UrlWithoutQuery(&url)),
            "https://blob.example:8443/parts/1?[redacted]"
        );
    }
}
