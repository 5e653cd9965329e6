//! Where the FA(3) schema files live: `--schemas`/`--dest` > `KSEF_DESK_SCHEMAS` > app data.

use std::path::{Path, PathBuf};

use crate::UsageError;

/// The application's data folder (`$XDG_DATA_HOME/ksef-desk` or `~/.local/share/ksef-desk` on
/// Linux, the platform's equivalent elsewhere).
fn app_data_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|dir| dir.join("ksef-desk"))
}

/// The schema folder to use, or a usage error when nothing names one (no home folder either).
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf, UsageError> {
    let env_value = std::env::var_os(fa3::schemas::SCHEMAS_ENV);
    fa3::schemas::locate(explicit, env_value.as_deref(), app_data_dir().as_deref()).ok_or_else(
        || {
            UsageError(format!(
                "no schema folder: pass --schemas DIR or set {}",
                fa3::schemas::SCHEMAS_ENV
            ))
        },
    )
}
