//! What the façade hands out: plain serde types, the boundary the CLI prints and the desktop
//! app receives. They carry names and states already resolved so that no caller has to look
//! anything up again.

use countersign_core::Timestamp;
use countersign_core::ledger::ObjectionStatus;
use countersign_core::model::{IdentityKind, Role};
use serde::Serialize;

/// An identity, public facts only.
#[derive(Debug, Clone, Serialize, specta::Type)]
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
#[derive(Debug, Clone, Serialize, specta::Type)]
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
    /// The latest revision, if any (when diverged: the newest head).
    pub head: Option<String>,
    /// Every head: revisions without children, oldest first. More than one: diverged.
    pub heads: Vec<String>,
    /// Concurrent revisions made on different replicas left several heads; the owner resolves
    /// it with a merge revision (`packet revise --merge`).
    pub diverged: bool,
    /// How many revisions.
    pub revisions: u32,
    /// Objections still open (of which blocking).
    pub open_objections: u32,
    /// Open objections that block release.
    pub open_blocking: u32,
}

/// One revision in a packet's history.
#[derive(Debug, Clone, Serialize, specta::Type)]
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
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct RevisionContent {
    /// The packet.
    pub packet: String,
    /// The revision.
    pub revision: RevisionView,
    /// Normalized markdown.
    pub markdown: String,
}

/// A position in a revision, in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
pub struct Position {
    /// Start, inclusive.
    pub start: usize,
    /// End, exclusive.
    pub end: usize,
}

/// Where an annotation's wording stands on one revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum AnchorState {
    /// Found.
    Anchored,
    /// The wording is gone; the annotation stays listed.
    Outdated,
}

/// One message in a comment thread.
#[derive(Debug, Clone, Serialize, specta::Type)]
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
#[derive(Debug, Clone, Serialize, specta::Type)]
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
#[derive(Debug, Clone, Serialize, specta::Type)]
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
    /// Set when the move could not take effect: another replica moved the objection first and
    /// the move was illegal from where that left it. Kept in the history, never dropped.
    pub conflict: Option<String>,
}

/// Residual disagreement accepted by the packet owner.
#[derive(Debug, Clone, Serialize, specta::Type)]
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
#[derive(Debug, Clone, Serialize, specta::Type)]
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
#[derive(Debug, Clone, Serialize, specta::Type)]
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
#[derive(Debug, Clone, Serialize, specta::Type)]
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
#[derive(Debug, Clone, Serialize, specta::Type)]
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
#[derive(Debug, Clone, Serialize, specta::Type)]
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
#[derive(Debug, Clone, Serialize, specta::Type)]
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
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ManifestView {
    /// Digest of the payload bytes.
    pub digest: String,
    /// The payload, as signed.
    pub manifest: countersign_release::Manifest,
    /// Printed names of the identities the manifest names.
    pub names: std::collections::BTreeMap<String, String>,
}

/// Who still has to sign.
#[derive(Debug, Clone, Serialize, specta::Type)]
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
#[derive(Debug, Clone, Serialize, specta::Type)]
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
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct PolicyView {
    /// Digest of the signed payload.
    pub digest: String,
    /// The policy.
    pub policy: countersign_release::Policy,
}

/// What `verify` concluded.
#[derive(Debug, Clone, Serialize, specta::Type)]
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

// ---- Run records ------------------------------------------------------------------------------

pub use countersign_core::run::{
    ApprovalCounts, ApprovalStatus, OutputStatus, Pattern, Risk, RunStatus, StepCounts,
    StepOutcome, StepStatus,
};
pub use countersign_core::transcript::TranscriptFormat;

/// A run at a glance, for lists.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct RunSummaryView {
    /// Run id.
    pub id: String,
    /// Name.
    pub name: String,
    /// `internal` or `external`.
    pub pattern: Pattern,
    /// Derived status.
    pub status: RunStatus,
    /// Why, in a sentence.
    pub status_reason: String,
    /// The owner's printed name.
    pub owner_name: String,
    /// Human or agent.
    pub owner_kind: IdentityKind,
    /// The latest activity on the run.
    pub last_run: Timestamp,
    /// Approvals pending.
    pub pending_approvals: u32,
    /// The packet whose release this run is, if it is one.
    pub packet: Option<String>,
}

/// What started a run.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct TriggerView {
    /// What happened.
    pub text: String,
    /// Where the signal came from.
    pub source: String,
    /// When.
    pub at: Timestamp,
}

/// The packet a release run follows.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct RunPacketView {
    /// Packet id.
    pub id: String,
    /// Title.
    pub title: String,
    /// The release lane.
    pub lane: String,
    /// The manifest state in that lane: drafting | awaiting_approval | held | approved | released.
    pub state: String,
}

/// The live counts on a run's page.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct RunCountsView {
    /// Approvals by status.
    pub approvals: ApprovalCounts,
    /// Steps by status.
    pub steps: StepCounts,
    /// Meetings attached.
    pub meetings: u32,
    /// Files the run took in (inputs and evidence).
    pub input_files: u32,
    /// Files its steps produced.
    pub produced_files: u32,
    /// Generated outputs (action previews).
    pub outputs: u32,
    /// Roadmap links.
    pub roadmap_links: u32,
    /// Outputs and produced files whose lineage is recorded.
    pub traced_items: u32,
}

/// One card of the architecture view.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ArchitectureCardView {
    /// Stable key (`pattern`, `meetings`, `trigger`, `record`, `steps`, `gating`, `outputs`,
    /// `produced_files`, `input_files`, `roadmap`, `approvals`, `owner`, `status`, `lineage`).
    pub key: String,
    /// Title.
    pub title: String,
    /// What the card stands for, in a sentence.
    pub explanation: String,
    /// The value shown (a count, a name, a status).
    pub value: String,
    /// A second line (a time, a breakdown), if any.
    pub detail: Option<String>,
}

/// One layer of the architecture view: inputs → run core → outputs → tracking.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ArchitectureLayerView {
    /// 1–4.
    pub number: u32,
    /// `inputs`, `run_core`, `outputs` or `tracking`.
    pub key: String,
    /// Title.
    pub title: String,
    /// What the layer is, in a sentence.
    pub explanation: String,
    /// Its cards.
    pub cards: Vec<ArchitectureCardView>,
}

/// One step of a run, as derived.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct RunStepView {
    /// Step id (absent for the steps a packet release derives from its packet).
    pub id: Option<String>,
    /// 1-based position.
    pub number: u32,
    /// Name.
    pub name: String,
    /// Derived status.
    pub status: StepStatus,
    /// Why it stands there.
    pub explanation: String,
    /// Who moved it last.
    pub by_name: Option<String>,
    /// When.
    pub at: Option<Timestamp>,
    /// The approval it waits on.
    pub gate: Option<String>,
    /// That approval's title.
    pub gate_title: Option<String>,
    /// What a rejection does: `fail`, or `rework` back to `rework_to`.
    pub on_reject: String,
    /// The step a rejection sends the run back to (1-based).
    pub rework_to: Option<u32>,
    /// How many times the run has reached this step.
    pub passes: u32,
}

/// One approval of a run.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct RunApprovalView {
    /// Approval id.
    pub id: String,
    /// The run.
    pub run: String,
    /// Title.
    pub title: String,
    /// Risk of the work it gates.
    pub risk: Risk,
    /// What it requires, in words.
    pub requirement: String,
    /// Roles whose holders may decide.
    pub approver_roles: Vec<Role>,
    /// Identities who may decide (ids).
    pub approvers: Vec<String>,
    /// Their printed names.
    pub approver_names: Vec<String>,
    /// Who may decide, in words ("Noor Haddad or anyone holding legal").
    pub approver_label: String,
    /// Derived status (in its current round).
    pub status: ApprovalStatus,
    /// Who decided.
    pub decided_by_name: Option<String>,
    /// When.
    pub decided_at: Option<Timestamp>,
    /// The reason (rejections) or note given.
    pub reason: Option<String>,
    /// 1, or more when rework asked again.
    pub round: u32,
    /// The step it gates (1-based).
    pub gates_step: Option<u32>,
    /// `manifest` when backed by the signed approvals of the packet's release manifest.
    pub backed_by: Option<String>,
    /// Those signed approvals (manifest-backed only).
    pub signatures: Vec<ApprovalView>,
}

/// A reference to a run item, for lineage lists.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct RunItemRef {
    /// `trigger`, `meeting`, `file` or `output`.
    pub kind: String,
    /// Its id.
    pub id: String,
    /// Its title or text, short.
    pub label: String,
}

/// An imported meeting transcript.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct MeetingView {
    /// Meeting id.
    pub id: String,
    /// Title.
    pub title: String,
    /// `vtt`, `txt` or `md`.
    pub format: TranscriptFormat,
    /// When it was held.
    pub held_at: Timestamp,
    /// Where that time came from: `transcript`, `file` (modification time) or `import`.
    pub time_source: String,
    /// Participants, in order of first appearance.
    pub participants: Vec<String>,
    /// WebVTT cues or speaker turns.
    pub turns: u32,
    /// Length in seconds (WebVTT).
    pub duration_seconds: Option<u32>,
    /// Digest of the normalized transcript.
    pub digest: String,
    /// The file's name.
    pub file_name: String,
    /// Bytes.
    pub size: u64,
    /// Who imported it.
    pub imported_by_name: String,
    /// When.
    pub imported_at: Timestamp,
}

/// A file of a run.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct RunFileView {
    /// File id (an evidence id or revision id for a packet release's derived files).
    pub id: String,
    /// Title.
    pub title: String,
    /// `input`, `produced` or `evidence`.
    pub role: String,
    /// Digest of its bytes.
    pub digest: String,
    /// The file's name.
    pub file_name: Option<String>,
    /// Bytes.
    pub size: Option<u64>,
    /// The step that made it (1-based).
    pub step: Option<u32>,
    /// That step's name.
    pub step_name: Option<String>,
    /// What it was made from.
    pub inputs: Vec<RunItemRef>,
    /// Who added it.
    pub added_by_name: Option<String>,
    /// When.
    pub added_at: Option<Timestamp>,
}

/// A generated output: an action preview. Countersign never carries one out.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct RunOutputView {
    /// Output id.
    pub id: String,
    /// What kind of action it previews.
    pub kind: String,
    /// The preview.
    pub text: String,
    /// Derived from its approval: preview | awaiting_approval | approved | blocked.
    pub status: OutputStatus,
    /// The step that made it (1-based).
    pub step: Option<u32>,
    /// That step's name.
    pub step_name: Option<String>,
    /// The approval that gates it.
    pub approval: Option<String>,
    /// That approval's title.
    pub approval_title: Option<String>,
    /// What it was made from.
    pub inputs: Vec<RunItemRef>,
    /// Who added it.
    pub added_by_name: Option<String>,
    /// When.
    pub added_at: Option<Timestamp>,
}

/// A roadmap item the run is linked to.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct RoadmapLinkView {
    /// The item's key.
    pub key: String,
    /// Title.
    pub title: String,
    /// Where it lives (http or https), if given.
    pub url: Option<String>,
    /// Who linked it.
    pub added_by_name: String,
    /// When.
    pub added_at: Timestamp,
}

/// One entry of a run's history, oldest first.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct RunHistoryView {
    /// When.
    pub at: Timestamp,
    /// What (`run.created`, `step.completed`, `approval.rejected`, `meeting.imported`,
    /// `packet.revised`, `manifest.drafted`, `release.held`, …).
    pub kind: String,
    /// Who.
    pub actor_name: Option<String>,
    /// In words.
    pub text: String,
}

/// A run record: everything its page shows.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct RunView {
    /// Run id.
    pub id: String,
    /// Name.
    pub name: String,
    /// A readable handle (`run-advocacy-nomination`).
    pub slug: String,
    /// `internal` or `external`.
    pub pattern: Pattern,
    /// What the pattern means.
    pub pattern_description: String,
    /// Owner id.
    pub owner: String,
    /// Owner's printed name.
    pub owner_name: String,
    /// Human or agent.
    pub owner_kind: IdentityKind,
    /// What started it.
    pub trigger: TriggerView,
    /// When the record was made.
    pub created_at: Timestamp,
    /// The latest activity on the run.
    pub last_run: Timestamp,
    /// Derived status.
    pub status: RunStatus,
    /// Why, in a sentence.
    pub status_reason: String,
    /// "1 approval decision still gates risky or external work." (or that none does).
    pub gating: String,
    /// The packet, when the run is a packet release.
    pub packet: Option<RunPacketView>,
    /// Live counts.
    pub counts: RunCountsView,
    /// The architecture view: inputs → run core → outputs → tracking.
    pub architecture: Vec<ArchitectureLayerView>,
    /// The derived step graph, in order: the step-by-step history of the execution.
    pub steps: Vec<RunStepView>,
    /// Every recorded change on the run, oldest first.
    pub history: Vec<RunHistoryView>,
    /// Meetings.
    pub meetings: Vec<MeetingView>,
    /// Generated outputs.
    pub outputs: Vec<RunOutputView>,
    /// Files.
    pub files: Vec<RunFileView>,
    /// Approvals.
    pub approvals: Vec<RunApprovalView>,
    /// Roadmap links.
    pub roadmap: Vec<RoadmapLinkView>,
}

/// The step that made a lineage item.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct LineageStepView {
    /// 1-based.
    pub number: u32,
    /// Name.
    pub name: String,
    /// Derived status.
    pub status: StepStatus,
}

/// The approval gating a lineage item.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct LineageApprovalView {
    /// Approval id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Derived status.
    pub status: ApprovalStatus,
}

/// A file or output explained back to its inputs: a tree whose leaves are meetings, input
/// files and the trigger.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct LineageNode {
    /// `trigger`, `meeting`, `file` or `output`.
    pub kind: String,
    /// Its id.
    pub id: String,
    /// Its title or text.
    pub label: String,
    /// More: participants and time, a file's role, an output's status.
    pub detail: Option<String>,
    /// Digest, for meetings and files.
    pub digest: Option<String>,
    /// The step that made it.
    pub made_by: Option<LineageStepView>,
    /// The approval that gates it (or its step).
    pub gated_by: Option<LineageApprovalView>,
    /// What it was made from.
    pub inputs: Vec<LineageNode>,
}
