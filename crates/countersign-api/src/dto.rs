//! What the façade hands out: plain serde types, the boundary the CLI prints and the desktop
//! app receives. They carry names and states already resolved so that no caller has to look
//! anything up again.

use countersign_core::Timestamp;
use countersign_core::ledger::ObjectionStatus;
use countersign_core::model::{IdentityKind, Role};
use serde::Serialize;

/// An identity, public facts only.
#[derive(Debug, Clone, Serialize)]
pub struct IdentityView {
    /// Fingerprint of the public key.
    pub id: String,
    /// Printed name.
    pub name: String,
    /// `human` or `agent`.
    pub kind: IdentityKind,
    /// Roles.
    pub roles: Vec<Role>,
    /// ed25519 public key, hex.
    pub public_key: String,
    /// When it was made.
    pub created_at: Timestamp,
}

/// A packet with its head.
#[derive(Debug, Clone, Serialize)]
pub struct PacketView {
    /// Packet id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Owner id.
    pub owner: String,
    /// Owner's printed name.
    pub owner_name: String,
    /// When it was made.
    pub created_at: Timestamp,
    /// The latest revision, if any.
    pub head: Option<String>,
    /// How many revisions.
    pub revisions: u32,
    /// Objections still open (of which blocking).
    pub open_objections: u32,
    /// Open objections that block release.
    pub open_blocking: u32,
}

/// One revision in a packet's history.
#[derive(Debug, Clone, Serialize)]
pub struct RevisionView {
    /// Revision id.
    pub id: String,
    /// 1-based position in the packet's history.
    pub number: u32,
    /// Digest of the normalized content.
    pub content_digest: String,
    /// Parent revision ids.
    pub parents: Vec<String>,
    /// Author id.
    pub author: String,
    /// Author's printed name.
    pub author_name: String,
    /// Message.
    pub message: String,
    /// When.
    pub created_at: Timestamp,
    /// Whether this is the packet's head.
    pub head: bool,
}

/// A revision's content.
#[derive(Debug, Clone, Serialize)]
pub struct RevisionContent {
    /// The packet.
    pub packet: String,
    /// The revision.
    pub revision: RevisionView,
    /// Normalized markdown.
    pub markdown: String,
}

/// A position in a revision, in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Position {
    /// Start, inclusive.
    pub start: usize,
    /// End, exclusive.
    pub end: usize,
}

/// Where an annotation's wording stands on one revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnchorState {
    /// Found.
    Anchored,
    /// The wording is gone; the annotation stays listed.
    Outdated,
}

/// One message in a comment thread.
#[derive(Debug, Clone, Serialize)]
pub struct MessageView {
    /// Author id.
    pub author: String,
    /// Author's printed name.
    pub author_name: String,
    /// Text.
    pub body: String,
    /// When.
    pub created_at: Timestamp,
}

/// A comment thread as seen on one revision.
#[derive(Debug, Clone, Serialize)]
pub struct ThreadView {
    /// Thread id.
    pub id: String,
    /// The wording quoted when the thread was opened.
    pub quote: String,
    /// Anchored or outdated on the revision asked about.
    pub anchor_state: AnchorState,
    /// Where, when anchored.
    pub position: Option<Position>,
    /// The wording as it reads on this revision, when it was found with small edits.
    pub current_quote: Option<String>,
    /// The revision the view is computed for.
    pub revision: String,
    /// The revision the thread was opened on.
    pub opened_on: String,
    /// Resolved or not.
    pub resolved: bool,
    /// Messages, oldest first.
    pub messages: Vec<MessageView>,
}

/// One ledger move.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerEntryView {
    /// `resolve`, `withdraw`, `accept` or `reopen`.
    pub action: String,
    /// Status before.
    pub from: ObjectionStatus,
    /// Status after.
    pub to: ObjectionStatus,
    /// Who.
    pub actor: String,
    /// Their printed name.
    pub actor_name: String,
    /// When.
    pub at: Timestamp,
    /// Note, reason or rationale.
    pub text: Option<String>,
}

/// Residual disagreement accepted by the packet owner.
#[derive(Debug, Clone, Serialize)]
pub struct ResidualView {
    /// Who accepted it (the owner).
    pub accepted_by: String,
    /// Their printed name.
    pub accepted_by_name: String,
    /// When.
    pub at: Timestamp,
    /// Why.
    pub rationale: String,
}

/// An objection as seen on one revision.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectionView {
    /// Objection id.
    pub id: String,
    /// Status.
    pub status: ObjectionStatus,
    /// Whether it blocks release while open.
    pub blocking: bool,
    /// The wording quoted when it was raised.
    pub quote: String,
    /// Anchored or outdated on the revision asked about.
    pub anchor_state: AnchorState,
    /// Where, when anchored; `null` when outdated.
    pub position: Option<Position>,
    /// The wording as it reads on this revision, when it was found with small edits.
    pub current_quote: Option<String>,
    /// The revision the view is computed for.
    pub revision: String,
    /// The revision it was raised on.
    pub raised_on: String,
    /// The objection itself.
    pub body: String,
    /// Who raised it.
    pub raised_by: String,
    /// Their printed name.
    pub raised_by_name: String,
    /// When.
    pub created_at: Timestamp,
    /// Present when the objection stands accepted as residual disagreement.
    pub residual: Option<ResidualView>,
    /// Every ledger move, oldest first.
    pub history: Vec<LedgerEntryView>,
}

/// What `check` found.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// Whether everything holds.
    pub ok: bool,
    /// How many audit events were verified.
    pub events_verified: u64,
    /// The first bad audit event, if any (e.g. "audit event #7 (objection.accepted) is bad: …").
    pub first_bad_event: Option<String>,
    /// Its sequence number.
    pub first_bad_seq: Option<u64>,
    /// Other problems (SQLite integrity, foreign keys, guard triggers, identity keys).
    pub problems: Vec<String>,
}
