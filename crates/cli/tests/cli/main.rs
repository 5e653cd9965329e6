//! End-to-end tests of the `ksef-desk-cli` binary: the contract users script against.

mod common;
mod outbox;
mod schemas;
mod validate;
