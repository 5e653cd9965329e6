//! The `ksef-desk` binary: everything lives in the library so tests can build the same app.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() -> anyhow::Result<()> {
    ksef_desk::run()
}
