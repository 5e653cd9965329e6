//! `X-System-Warning` header: non-blocking notices KSeF attaches to successful responses.

/// One `[code]: message` entry of `X-System-Warning`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemWarning {
    /// The bracketed code; empty if the entry did not follow the documented shape.
    pub code: String,
    /// The message text.
    pub message: String,
}

/// Parses `[code]: message | [code]: message`; entries that do not match are kept whole as messages.
pub fn parse_system_warnings(header: &str) -> Vec<SystemWarning> {
    header
        .split('|')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .strip_prefix('[')
                .and_then(|rest| rest.split_once("]:"))
                .filter(|(code, _)| !code.is_empty())
                .map_or_else(
                    || SystemWarning {
                        code: String::new(),
                        message: entry.to_owned(),
                    },
                    |(code, message)| SystemWarning {
                        code: code.to_owned(),
                        message: message.trim().to_owned(),
                    },
                )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(code: &str, message: &str) -> SystemWarning {
        SystemWarning {
            code: code.into(),
            message: message.into(),
        }
    }

    #[test]
    fn documented_shape_is_split_into_entries() {
        assert_eq!(
            parse_system_warnings(
                "[W001]: Planned maintenance 16:00 | [W002]: Deprecated field used"
            ),
            [
                w("W001", "Planned maintenance 16:00"),
                w("W002", "Deprecated field used")
            ]
        );
    }

    #[test]
    fn odd_entries_are_kept_not_dropped() {
        assert_eq!(
            parse_system_warnings("free text | [X]: y |  "),
            [w("", "free text"), w("X", "y")]
        );
        assert_eq!(
            parse_system_warnings("[]: empty code"),
            [w("", "[]: empty code")]
        );
        assert!(parse_system_warnings("").is_empty());
    }
}
