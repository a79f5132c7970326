//! Sync for Countersign: workspaces meet through a shared folder or an S3-compatible bucket,
//! never a server of our own.
//!
//! - [`target`]: what a target is (a folder, or a bucket and prefix at an endpoint) and how hard
//!   to try (concurrency, retries, time limits).
//! - [`remote`]: the layout (`workspace.json`, `objects/<hex>`, `logs/<replica>/<number>`) over
//!   `object_store` (`LocalFileSystem` for a folder, `AmazonS3` for a bucket): listing, bounded
//!   concurrent transfers with progress, create-only puts where honoured.
//! - [`batch`]: signed op batches and everything about them that needs no key.
//! - [`watch`]: a debounced watcher, polling and Ctrl-C, for continuous sync.
//! - [`schema`]: JSON Schemas of the batch and marker formats (checked in under `schemas/`).
//!
//! This crate moves and checks bytes. Which events to push, and how a received event changes a
//! workspace, is the façade's business (`countersign_api::sync`).

pub mod batch;
pub mod remote;
pub mod schema;
pub mod target;
pub mod watch;

pub use batch::{BadBatch, Batch, ObjectRef, WireEvent};
pub use remote::{CreateOnly, LogObject, ObjectProblem, PutLog, Remote};
pub use target::{S3Spec, TargetSpec, TransferOptions};
pub use watch::{Waiter, Wake, stop_on_interrupt};

/// What a transfer is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Listing the target.
    Listing,
    /// Uploading objects and batches.
    Uploading,
    /// Downloading batches and objects.
    Downloading,
}

/// Progress of one phase: objects and bytes done out of the totals known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Progress {
    /// The phase.
    pub phase: Phase,
    /// Objects done.
    pub done: u64,
    /// Objects in this phase.
    pub total: u64,
    /// Bytes done.
    pub bytes: u64,
    /// Bytes in this phase, when known (0 otherwise).
    pub total_bytes: u64,
}

/// What can go wrong reaching a target.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The target is named wrongly.
    #[error("{0}")]
    BadTarget(String),
    /// The target cannot be reached now (a folder offline or unmounted, a server down).
    #[error("{0}")]
    Offline(String),
    /// A transfer failed.
    #[error("{0}")]
    Transfer(String),
    /// The target holds something else (another workspace, foreign files where ours go).
    #[error("{0}")]
    Foreign(String),
    /// No credentials for an S3 target.
    #[error(
        "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN if your provider issues one)"
    )]
    NoCredentials,
}
