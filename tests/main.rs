//! Integration tests: the `countersign` binary end to end, and the API façade directly.
//!
//! One test binary for the whole workspace (`cargo test -p countersign-cli --test integration`).

// Test helpers live outside `#[test]` functions, where clippy's `allow-unwrap-in-tests` does not
// reach; a failed unwrap in a test is a test failure, which is what it should be.
#![allow(clippy::unwrap_used)]

mod common;

mod api;
mod cli_anchor;
mod cli_audit;
mod cli_concurrency;
mod cli_demo;
mod cli_identity;
mod cli_ids;
mod cli_ledger;
mod cli_packet;
mod cli_release;
mod cli_release_holds;
mod cli_release_refusals;
mod cli_render;
mod cli_runs;
mod cli_sync;
mod cli_sync_authority;
mod cli_sync_runs;
mod cli_sync_s3;
mod cli_workspace;
mod sync_support;
