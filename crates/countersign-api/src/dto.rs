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

/// One version of an evidence item.
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceVersionView {
    /// 1-based.
    pub number: u32,
    /// Digest of the imported file.
    pub digest: String,
    /// The file's name.
    pub file_name: String,
    /// Bytes.
    pub size: u64,
    /// When captured.
    pub captured_at: Timestamp,
    /// Who imported it.
    pub added_by_name: String,
}

/// An evidence item with its history.
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceView {
    /// Evidence id.
    pub id: String,
    /// Source system.
    pub source: String,
    /// Title.
    pub title: String,
    /// Current digest.
    pub digest: String,
    /// When the current version was captured.
    pub captured_at: Timestamp,
    /// Every version, oldest first.
    pub history: Vec<EvidenceVersionView>,
    /// Whether the last add changed anything.
    pub changed: bool,
}

/// One approval, as the status shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ApprovalView {
    /// Signer id.
    pub signer: String,
    /// Printed name.
    pub name: String,
    /// Role signed in.
    pub role: String,
    /// approve | reject | reviewed.
    pub meaning: String,
    /// Reason (rejections).
    pub reason: Option<String>,
    /// When.
    pub signed_at: Timestamp,
    /// The manifest signed.
    pub manifest: String,
    /// Manifest version signed.
    pub manifest_version: u64,
}

/// A hold on a release: what changed, who, when.
#[derive(Debug, Clone, Serialize)]
pub struct HoldView {
    /// Cause kind (`new_revision`, `evidence_changed`, …).
    pub kind: String,
    /// In words.
    pub description: String,
    /// Whether it holds the release.
    pub holding: bool,
    /// The cause, with old and new digests.
    pub cause: serde_json::Value,
    /// Who made the change.
    pub actor_name: Option<String>,
    /// When it was detected.
    pub at: Option<Timestamp>,
}

/// A manifest: its digest and exactly what is signed.
#[derive(Debug, Clone, Serialize)]
pub struct ManifestView {
    /// Digest of the payload bytes.
    pub digest: String,
    /// The payload, as signed.
    pub manifest: countersign_release::Manifest,
    /// Printed names of the identities the manifest names.
    pub names: std::collections::BTreeMap<String, String>,
}

/// Who still has to sign.
#[derive(Debug, Clone, Serialize)]
pub struct MissingView {
    /// The release owner has not approved yet.
    pub owner: Option<String>,
    /// How many more distinct approvers are needed.
    pub more_approvals: u32,
    /// Roles whose holders' approvals count.
    pub roles: Vec<String>,
    /// People in the policy who could still approve.
    pub eligible: Vec<String>,
}

/// Where a packet's release in one lane stands.
#[derive(Debug, Clone, Serialize)]
pub struct StatusView {
    /// drafting | awaiting_approval | held | approved | released.
    pub state: String,
    /// Packet.
    pub packet: String,
    /// Lane.
    pub lane: String,
    /// The current manifest, if any.
    pub manifest: Option<ManifestView>,
    /// Approvals of the current manifest.
    pub approvals: Vec<ApprovalView>,
    /// What is still missing.
    pub missing: Option<MissingView>,
    /// Approvals on superseded manifests: stale, they count for nothing.
    pub stale: Vec<ApprovalView>,
    /// Holds on the current manifest, with their causes.
    pub holds: Vec<HoldView>,
    /// Where the bundle was released, if it was.
    pub released_to: Option<String>,
}

/// The trust policy as it stands.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyView {
    /// Digest of the signed payload.
    pub digest: String,
    /// The policy.
    pub policy: countersign_release::Policy,
}

/// What `verify` concluded.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// Always true (a refusal is an error).
    pub ok: bool,
    /// Manifest digest.
    pub manifest: String,
    /// Packet id and title.
    pub packet: String,
    /// Title.
    pub title: String,
    /// Revision.
    pub revision: String,
    /// Lane.
    pub lane: String,
    /// Audience.
    pub audience: String,
    /// Manifest version.
    pub version: u64,
    /// Every signer: printed name, role, time, meaning.
    pub signers: Vec<countersign_release::verify::Signer>,
    /// Residual objections bound.
    pub residual_objections: usize,
    /// Evidence items bound.
    pub evidence: usize,
}
