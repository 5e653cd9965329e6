//! Choosing the language of human-readable output.
//!
//! `--lang` wins; otherwise the first of `LC_ALL`, `LC_MESSAGES`, `LANG` that is set and
//! non-empty decides (POSIX precedence): a `pl*` locale gives Polish, any other named language
//! English. When no variable names a language (unset, `C`, `POSIX`), the output is Polish:
//! KSeF Desk is made for Polish finance teams.

use dictionary::Lang;

/// The locale variables consulted, in POSIX precedence order.
const LOCALE_VARS: [&str; 3] = ["LC_ALL", "LC_MESSAGES", "LANG"];

/// The language to use, given the `--lang` flag and a way to read environment variables.
pub fn choose(flag: Option<Lang>, var: impl Fn(&str) -> Option<String>) -> Lang {
    if let Some(lang) = flag {
        return lang;
    }
    LOCALE_VARS
        .iter()
        .filter_map(|name| var(name))
        .find(|value| !value.is_empty())
        .and_then(|value| Lang::from_locale(&value))
        .unwrap_or_default()
}

/// Parses `--lang` values for clap.
pub fn parse_flag(value: &str) -> Result<Lang, String> {
    match value {
        "pl" => Ok(Lang::Pl),
        "en" => Ok(Lang::En),
        _ => Err("expected pl or en".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    #[test]
    fn the_flag_wins_over_the_environment() {
        assert_eq!(
            choose(Some(Lang::En), env(&[("LANG", "pl_PL.UTF-8")])),
            Lang::En
        );
    }

    #[test]
    fn lc_all_overrides_lang() {
        let vars = [("LC_ALL", "en_US.UTF-8"), ("LANG", "pl_PL.UTF-8")];
        assert_eq!(choose(None, env(&vars)), Lang::En);
        let vars = [("LC_ALL", ""), ("LANG", "pl_PL.UTF-8")];
        assert_eq!(choose(None, env(&vars)), Lang::Pl);
    }

    #[test]
    fn other_languages_get_english_and_no_language_gets_polish() {
        assert_eq!(choose(None, env(&[("LANG", "de_DE.UTF-8")])), Lang::En);
        assert_eq!(choose(None, env(&[("LANG", "C.UTF-8")])), Lang::Pl);
        assert_eq!(choose(None, env(&[])), Lang::Pl);
    }
}
