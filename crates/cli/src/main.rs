//! `ksef-desk-cli`: the headless shell over KSeF Desk's libraries (scaffold).
fn main() {}
