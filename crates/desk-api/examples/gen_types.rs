//! Regenerates the committed TypeScript types: `cargo run -p desk-api --example gen_types -- DIR`
//! (`scripts/gen-types` passes `ui/src/lib/backend/generated`).

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .ok_or("usage: gen_types OUTPUT_DIR")?;
    // Start from an empty folder so types that no longer exist disappear.
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    desk_api::ts::export_all(&dir)?;
    println!("TypeScript types written to {}", dir.display());
    Ok(())
}
