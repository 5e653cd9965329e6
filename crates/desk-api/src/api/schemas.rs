//! The FA(3) XSD files: their state in the schema folder, and fetching them from the official
//! source (verified against the pinned hashes before anything is written).

use std::sync::Arc;

use fa3::schemas::{self, FileState, SourceUrls};

use super::DeskApi;
use crate::error::{codes, DeskError, DeskResult};
use crate::types::{SchemaFile, SchemaFileState, SchemaStatus};

impl DeskApi {
    /// `schema_status`.
    pub fn schema_status(&self) -> DeskResult<SchemaStatus> {
        Ok(status_out(&schemas::verify_dir(&self.schemas_dir)))
    }

    /// `fetch_schemas`: downloads what is missing, verifies every file against its pin, writes
    /// them, and starts validating with them at once.
    pub fn fetch_schemas(&self) -> DeskResult<SchemaStatus> {
        let download = |url: &str| -> Result<Vec<u8>, String> {
            self.runtime.block_on(async {
                let response = reqwest::get(url).await.map_err(|e| e.to_string())?;
                let response = response.error_for_status().map_err(|e| e.to_string())?;
                response
                    .bytes()
                    .await
                    .map(|b| b.to_vec())
                    .map_err(|e| e.to_string())
            })
        };
        std::fs::create_dir_all(&self.schemas_dir).map_err(|e| {
            DeskError::new(
                codes::DATA_DIR,
                format!("cannot create {}: {e}", self.schemas_dir.display()),
            )
        })?;
        let status = schemas::fetch_into(&self.schemas_dir, &SourceUrls::official(), &download)
            .map_err(|e| DeskError::new(e.code(), e.to_string()))?;
        if status.is_ok() {
            let loaded = fa3::SchemaSet::load(&self.schemas_dir).ok().map(Arc::new);
            if let Ok(mut schemas) = self.schemas.write() {
                *schemas = loaded;
            }
        }
        Ok(status_out(&status))
    }
}

fn status_out(s: &schemas::SchemaStatus) -> SchemaStatus {
    SchemaStatus {
        files: s
            .files
            .iter()
            .map(|f| SchemaFile {
                name: f.file.path.to_owned(),
                state: match f.state {
                    FileState::Ok => SchemaFileState::Ok,
                    FileState::Missing => SchemaFileState::Missing,
                    // An unreadable file cannot be used either: it is as good as a wrong one.
                    FileState::HashMismatch { .. } | FileState::Unreadable { .. } => {
                        SchemaFileState::Mismatch
                    }
                },
            })
            .collect(),
        folder: Some(s.dir.display().to_string()),
    }
}
