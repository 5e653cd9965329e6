//! Dictionary entries: the per-language view handed to UIs and the stored bilingual form.

/// The language of the texts. Polish is the default: KSeF Desk is made for Polish finance teams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// Polish (the reference wording).
    #[default]
    Pl,
    /// English.
    En,
}

impl Lang {
    /// Parses a language tag such as `pl`, `EN`, `pl-PL` or `en_GB`; `None` for other languages.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_', '.']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("pl") {
            Some(Lang::Pl)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The language for a POSIX locale value (`LC_ALL`, `LANG`, …): Polish for `pl*`, English
    /// for any other named language, and `None` when the locale names no language (`C`, `POSIX`,
    /// empty), so the caller can apply its own default.
    pub fn from_locale(locale: &str) -> Option<Lang> {
        let locale = locale.trim();
        if locale.is_empty() || locale == "C" || locale == "POSIX" || locale.starts_with("C.") {
            return None;
        }
        Some(Lang::parse(locale).unwrap_or(Lang::En))
    }

    /// The lowercase tag (`pl`, `en`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Lang::Pl => "pl",
            Lang::En => "en",
        }
    }
}

/// How serious a code usually is: a hint for colour and sorting, not a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    /// Something is wrong and the invoice (or operation) did not or will not go through.
    Error,
    /// Worth a look; the invoice still goes through.
    Warning,
    /// A state report (e.g. "in progress"), nothing to fix.
    Info,
}

impl Severity {
    /// The lowercase name used in the TOML and in JSON output.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// Who stands behind a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// KSeF enforces or reports it.
    Ksef,
    /// Our own check; KSeF would accept the invoice anyway.
    Ours,
    /// KSeF Desk itself reports it: its sending process (the engine) or the application.
    Engine,
}

impl Source {
    /// The lowercase name used in the TOML and in JSON output.
    pub const fn as_str(self) -> &'static str {
        match self {
            Source::Ksef => "ksef",
            Source::Ours => "ours",
            Source::Engine => "engine",
        }
    }
}

/// One code's texts in one language, ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The stable code asked for (for fallbacks: the unknown code itself, so it can be quoted).
    pub code: String,
    /// False when the dictionary has no entry of its own for `code` and this is a fallback.
    pub known: bool,
    /// How serious the code usually is.
    pub severity: Severity,
    /// Who enforces or reports it.
    pub source: Source,
    /// Whether trying again later can help; `None` where the question does not arise.
    pub retryable: Option<bool>,
    /// A short title.
    pub title: &'a str,
    /// What it means for the user, without jargon.
    pub explanation: &'a str,
    /// What to do about it.
    pub action: &'a str,
}

impl<'a> Entry<'a> {
    /// This entry re-labelled as the fallback answer for the unknown `code`.
    pub(crate) fn unknown_as(self, code: &str) -> Entry<'a> {
        Entry {
            code: code.to_owned(),
            known: false,
            ..self
        }
    }

    /// The last-resort answer when even the fallback entry is missing from a dictionary.
    pub(crate) fn bare_fallback(code: &str, lang: Lang) -> Entry<'static> {
        let (title, explanation, action) = match lang {
            Lang::Pl => (
                "Nieznany kod",
                "KSeF Desk nie ma opisu tego kodu.",
                "Zapisz kod i przekaż go osobie, która pomaga Ci w obsłudze KSeF Desk.",
            ),
            Lang::En => (
                "Unknown code",
                "KSeF Desk has no description for this code.",
                "Note the code and pass it on to whoever supports your KSeF Desk installation.",
            ),
        };
        Entry {
            code: code.to_owned(),
            known: false,
            severity: Severity::Error,
            source: Source::Ours,
            retryable: None,
            title,
            explanation,
            action,
        }
    }
}

/// The three texts of an entry in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Texts {
    pub(crate) title: String,
    pub(crate) explanation: String,
    pub(crate) action: String,
}

/// An entry as stored: both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredEntry {
    pub(crate) code: String,
    pub(crate) severity: Severity,
    pub(crate) source: Source,
    pub(crate) retryable: Option<bool>,
    pub(crate) pl: Texts,
    pub(crate) en: Texts,
}

impl StoredEntry {
    /// The texts in `lang`.
    pub(crate) fn texts(&self, lang: Lang) -> &Texts {
        match lang {
            Lang::Pl => &self.pl,
            Lang::En => &self.en,
        }
    }

    /// The entry as shown in `lang`.
    pub(crate) fn view(&self, lang: Lang) -> Entry<'_> {
        let texts = self.texts(lang);
        Entry {
            code: self.code.clone(),
            known: true,
            severity: self.severity,
            source: self.source,
            retryable: self.retryable,
            title: &texts.title,
            explanation: &texts.explanation,
            action: &texts.action,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lang_parses_tags_and_locales() {
        assert_eq!(Lang::parse("pl"), Some(Lang::Pl));
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
        assert_eq!(Lang::parse("pl_PL.UTF-8"), Some(Lang::Pl));
        assert_eq!(Lang::parse("de"), None);
        assert_eq!(Lang::from_locale("pl_PL.UTF-8"), Some(Lang::Pl));
        assert_eq!(Lang::from_locale("de_DE.UTF-8"), Some(Lang::En));
        assert_eq!(Lang::from_locale("C.UTF-8"), None);
        assert_eq!(Lang::from_locale("POSIX"), None);
        assert_eq!(Lang::from_locale(""), None);
    }
}
