//! Which seeds a randomized test runs: a fixed CI set, one seed (`SEED=123`) or a range
//! (`SEEDS=100..200`), and the one-line command that reproduces a failing seed.

use std::ops::Range;

/// Why the seed environment variables could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeedsError {
    /// `SEED` is not an unsigned integer.
    #[error("SEED must be an unsigned integer, got {0:?}")]
    BadSeed(String),
    /// `SEEDS` is not `a..b` with `a < b`.
    #[error("SEEDS must be a range a..b with a < b, got {0:?}")]
    BadRange(String),
}

/// Seeds selected by `SEED` (wins) or `SEEDS`, else `default`.
pub fn from_env(default: Range<u64>) -> Result<Vec<u64>, SeedsError> {
    select(
        std::env::var("SEED").ok().as_deref(),
        std::env::var("SEEDS").ok().as_deref(),
        default,
    )
}

/// [`from_env`] on explicit values, so the parsing is testable without touching the environment.
pub fn select(
    seed: Option<&str>,
    seeds: Option<&str>,
    default: Range<u64>,
) -> Result<Vec<u64>, SeedsError> {
    if let Some(text) = seed {
        let one = text
            .trim()
            .parse()
            .map_err(|_| SeedsError::BadSeed(text.to_owned()))?;
        return Ok(vec![one]);
    }
    let Some(text) = seeds else {
        return Ok(default.collect());
    };
    let bad = || SeedsError::BadRange(text.to_owned());
    let (from, to) = text.trim().split_once("..").ok_or_else(bad)?;
    let from: u64 = from.parse().map_err(|_| bad())?;
    let to: u64 = to.parse().map_err(|_| bad())?;
    if from >= to {
        return Err(bad());
    }
    Ok((from..to).collect())
}

/// The command that reruns exactly one seed of `test` (a nextest filter).
pub fn repro_line(seed: u64, test: &str) -> String {
    format!("SEED={seed} cargo nextest run -p ksef-desk-tests {test}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_seed_wins_over_a_range_and_the_default() {
        assert_eq!(select(Some("123"), Some("1..5"), 0..20), Ok(vec![123]));
    }

    #[test]
    fn a_range_is_half_open() {
        assert_eq!(select(None, Some("7..10"), 0..20), Ok(vec![7, 8, 9]));
    }

    #[test]
    fn nothing_set_gives_the_default_set() {
        assert_eq!(select(None, None, 3..5), Ok(vec![3, 4]));
    }

    #[test]
    fn malformed_values_are_typed_errors() {
        assert_eq!(
            select(Some("x"), None, 0..1),
            Err(SeedsError::BadSeed("x".into()))
        );
        for bad in ["5..5", "9..2", "1-4", "a..b", ".."] {
            assert_eq!(
                select(None, Some(bad), 0..1),
                Err(SeedsError::BadRange(bad.into())),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_reproduction_line_names_the_seed_and_the_test() {
        assert_eq!(
            repro_line(42, "simulation"),
            "SEED=42 cargo nextest run -p ksef-desk-tests simulation"
        );
    }
}
