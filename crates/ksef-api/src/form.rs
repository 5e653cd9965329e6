//! Form codes: which logical structure (FA (3), PEF…) a session carries (KSEF-API.md §3.2).

/// A KSeF form code (`systemCode` / `schemaVersion` / `value`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FormCode {
    /// `FA (2)` / `1-0E` / `FA` (accepted on TE only).
    Fa2,
    /// `FA (3)` / `1-0E` / `FA`, the current VAT invoice.
    Fa3,
    /// `PEF (3)` / `2-1` / `PEF` (online sessions only).
    Pef3,
    /// `PEF_KOR (3)` / `2-1` / `PEF` (online sessions only).
    PefKor3,
    /// `FA_RR (1)` / `1-1E` / `FA_RR`.
    FaRr1,
}

impl FormCode {
    /// Every known form code.
    pub const ALL: [FormCode; 5] = [Self::Fa2, Self::Fa3, Self::Pef3, Self::PefKor3, Self::FaRr1];

    /// `systemCode`, e.g. `FA (3)` (note the space).
    pub fn system_code(self) -> &'static str {
        match self {
            Self::Fa2 => "FA (2)",
            Self::Fa3 => "FA (3)",
            Self::Pef3 => "PEF (3)",
            Self::PefKor3 => "PEF_KOR (3)",
            Self::FaRr1 => "FA_RR (1)",
        }
    }

    /// `schemaVersion`.
    pub fn schema_version(self) -> &'static str {
        match self {
            Self::Fa2 | Self::Fa3 => "1-0E",
            Self::Pef3 | Self::PefKor3 => "2-1",
            Self::FaRr1 => "1-1E",
        }
    }

    /// `value`.
    pub fn value(self) -> &'static str {
        match self {
            Self::Fa2 | Self::Fa3 => "FA",
            Self::Pef3 | Self::PefKor3 => "PEF",
            Self::FaRr1 => "FA_RR",
        }
    }

    /// Whether batch sessions accept this form (PEF forms are online-only).
    pub fn allowed_in_batch(self) -> bool {
        matches!(self, Self::Fa2 | Self::Fa3 | Self::FaRr1)
    }

    /// Looks a form code up by its `systemCode` (as found in UPOs and API responses).
    pub fn from_system_code(system_code: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|f| f.system_code() == system_code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fa3_has_the_space_in_its_system_code() {
        assert_eq!(FormCode::Fa3.system_code(), "FA (3)");
        assert_eq!(FormCode::Fa3.schema_version(), "1-0E");
        assert_eq!(FormCode::Fa3.value(), "FA");
        assert_eq!(FormCode::from_system_code("FA (3)"), Some(FormCode::Fa3));
        assert_eq!(FormCode::from_system_code("FA(3)"), None);
        assert!(!FormCode::Pef3.allowed_in_batch());
    }
}
