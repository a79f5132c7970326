//! Countersign's domain core.
//!
//! Pure logic only: this crate never touches the file system, the network, a database, a clock
//! or a random number generator. Time arrives as a [`Timestamp`] argument; ids and keys are made
//! by the caller. Everything here is testable without a display, a disk or a network.
//!
//! - [`text`]: normalization of packet content and the 16 MiB limit.
//! - [`digest`]: `sha256:` digests.
//! - [`time`]: timestamps and the [`Clock`] trait the façade is handed.
//! - [`model`]: identities, packets, revisions (and how a revision id is computed).
//! - [`anchor`]: wording anchors and re-anchoring onto new revisions.
//! - [`ledger`]: the objection ledger's state machine and who may move it.
//! - [`audit`]: the hash chain over every change.
//! - [`run`]: run records — a run's definition and facts, and the step graph and status derived
//!   from them (never stored as editable state).
//! - [`transcript`]: meeting transcripts (.vtt, .txt, .md): title, time, participants, digest.

pub mod anchor;
pub mod audit;
pub mod authority;
pub mod digest;
pub mod ledger;
pub mod model;
pub mod redline;
pub mod run;
pub mod text;
pub mod time;
pub mod transcript;

pub use digest::Digest;
pub use time::{Clock, FixedClock, Timestamp};
