//! The wire formats: policy, manifest and approval payloads (each carried in a DSSE envelope, its
//! payload serialized as RFC 8785 canonical JSON), the bundle, and the verifier's state file.

use std::collections::BTreeMap;

use countersign_core::model::{IdentityKind, Role};
use countersign_core::{Digest, Timestamp};
use countersign_signing::dsse::Envelope;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// DSSE payloadType of a release manifest.
pub const MANIFEST_TYPE: &str = "application/vnd.countersign.manifest+json; version=1";
/// DSSE payloadType of an approval.
pub const APPROVAL_TYPE: &str = "application/vnd.countersign.approval+json; version=1";
/// DSSE payloadType of a trust policy.
pub const POLICY_TYPE: &str = "application/vnd.countersign.policy+json; version=1";
/// The `format` of a bundle file.
pub const BUNDLE_FORMAT: &str = "countersign.bundle/v1";
/// The `format` of a verifier state file.
pub const STATE_FORMAT: &str = "countersign.verify-state/v1";

/// The trust policy: who may sign, in which lanes, until when. Signed by its admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Policy {
    /// Monotonic version; every change (a lane, a revocation) makes a new one.
    pub version: u64,
    /// When this version was issued.
    pub issued_at: Timestamp,
    /// After this, the policy is frozen: nothing verifies against it.
    pub expires_at: Timestamp,
    /// The identity that signs the policy.
    pub admin: String,
    /// Everyone whose signature can mean anything, sorted by id.
    pub identities: Vec<PolicyIdentity>,
    /// The release lanes, sorted by id.
    pub lanes: Vec<Lane>,
}

/// An identity as the policy knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PolicyIdentity {
    /// Identity id (fingerprint of its first key).
    pub id: String,
    /// Printed name.
    pub name: String,
    /// Human or agent. Agents never count as approvers.
    pub kind: IdentityKind,
    /// Roles.
    pub roles: Vec<Role>,
    /// Its keys. One person may hold several; they still count once.
    pub keys: Vec<PolicyKey>,
}

/// One public key of an identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PolicyKey {
    /// DSSE keyid: hex SHA-256 of the public key.
    pub keyid: String,
    /// ed25519 public key, hex.
    pub public_key: String,
    /// Set when the key has been revoked; its signatures then count for nothing.
    pub revoked_at: Option<Timestamp>,
}

/// A bounded release lane: one audience, one owner, the roles that must approve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Lane {
    /// Lane id (e.g. `exec-review`).
    pub id: String,
    /// Who the released packet is for, in words.
    pub audience: String,
    /// The named release owner, whose approval is always required.
    pub owner: String,
    /// An approval counts when its signer holds one of these roles (and states it).
    pub required_roles: Vec<Role>,
    /// How many distinct human identities must approve.
    pub threshold: u32,
    /// Whether approvals survive a trivial (whitespace/punctuation-only) new revision.
    pub carry_over_trivial: bool,
}

impl Policy {
    /// A lane by id.
    pub fn lane(&self, id: &str) -> Option<&Lane> {
        self.lanes.iter().find(|l| l.id == id)
    }

    /// An identity by id.
    pub fn identity(&self, id: &str) -> Option<&PolicyIdentity> {
        self.identities.iter().find(|i| i.id == id)
    }

    /// The identity holding a key, and the key.
    pub fn key(&self, keyid: &str) -> Option<(&PolicyIdentity, &PolicyKey)> {
        self.identities
            .iter()
            .find_map(|i| i.keys.iter().find(|k| k.keyid == keyid).map(|k| (i, k)))
    }
}

/// The packet a manifest is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PacketRef {
    /// Packet id.
    pub id: String,
    /// Title.
    pub title: String,
}

/// The exact revision a manifest binds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RevisionRef {
    /// Revision id.
    pub id: Digest,
    /// Digest of its normalized content.
    pub content_digest: Digest,
    /// Its parents.
    pub parents: Vec<Digest>,
}

/// The lane and audience a manifest is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LaneRef {
    /// Lane id.
    pub id: String,
    /// Audience scope, as the policy states it.
    pub audience: String,
}

/// The policy a manifest was drafted under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PolicyRef {
    /// Digest of the policy payload bytes.
    pub digest: Digest,
    /// Its version.
    pub version: u64,
}

/// Who must sign, from the policy's lane.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RequiredSigners {
    /// The release owner (always required).
    pub owner: String,
    /// Roles whose holders' approvals count.
    pub roles: Vec<Role>,
    /// Distinct human approvers needed.
    pub threshold: u32,
}

/// An objection the packet owner accepted as residual disagreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ResidualObjection {
    /// Objection id.
    pub id: String,
    /// The wording objected to.
    pub quote: String,
    /// Digest of the objection's body.
    pub body_digest: Digest,
    /// Digest of the acceptance rationale.
    pub rationale_digest: Digest,
    /// Who accepted it.
    pub accepted_by: String,
    /// When.
    pub accepted_at: Timestamp,
}

/// A comment or objection whose wording is gone from the bound revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct OutdatedAnchor {
    /// Thread or objection id.
    pub id: String,
    /// `comment` or `objection`.
    pub kind: String,
    /// The wording it was anchored to.
    pub quote: String,
}

/// An evidence item, by digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct EvidenceRef {
    /// Evidence id.
    pub id: String,
    /// Source system (incident timeline, case management, …).
    pub source: String,
    /// Title.
    pub title: String,
    /// Digest of the imported file.
    pub digest: Digest,
    /// When it was captured.
    pub captured_at: Timestamp,
}

/// How the bound revision differs from the revision the previous manifest bound.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PreviousRevision {
    /// The previously bound revision.
    pub id: Digest,
    /// `trivial` (whitespace and punctuation only) or `material`.
    pub change: ChangeClass,
}

/// Whether a change of wording is trivial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum ChangeClass {
    /// Only whitespace and punctuation differ.
    Trivial,
    /// Words differ.
    Material,
}

/// A release manifest: what exactly is being released, to whom, under which policy, with what
/// disagreement and evidence. Approvals sign its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Manifest {
    /// The packet.
    pub packet: PacketRef,
    /// The exact revision.
    pub revision: RevisionRef,
    /// The lane and audience.
    pub lane: LaneRef,
    /// The policy.
    pub policy: PolicyRef,
    /// Who must sign.
    pub required_signers: RequiredSigners,
    /// Accepted residual disagreement, every item.
    pub residual_objections: Vec<ResidualObjection>,
    /// Annotations whose wording is gone, every item.
    pub outdated_anchors: Vec<OutdatedAnchor>,
    /// Evidence, by digest.
    pub evidence: Vec<EvidenceRef>,
    /// Monotonic per packet and lane.
    pub version: u64,
    /// Digest of the manifest this one replaces.
    pub supersedes: Option<Digest>,
    /// When the previous manifest bound another revision: which, and how it differs.
    pub previous_revision: Option<PreviousRevision>,
    /// The lane's release owner.
    pub release_owner: String,
    /// Drafted at.
    pub created_at: Timestamp,
    /// Nothing verifies after this.
    pub expires_at: Timestamp,
}

/// What a signature means (21 CFR Part 11: the meaning is part of what is signed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum Meaning {
    /// I approve the release of exactly this.
    Approve,
    /// I reject it (a reason is required).
    Reject,
    /// I have reviewed it (does not count toward the threshold).
    Reviewed,
}

impl Meaning {
    /// As written.
    pub fn as_str(self) -> &'static str {
        match self {
            Meaning::Approve => "approve",
            Meaning::Reject => "reject",
            Meaning::Reviewed => "reviewed",
        }
    }
}

/// One signer's decision on one manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Approval {
    /// Digest of the manifest payload signed.
    pub manifest: Digest,
    /// The lane.
    pub lane: String,
    /// Signer identity id.
    pub signer: String,
    /// Printed name.
    pub name: String,
    /// The role they sign in.
    pub role: Role,
    /// Approve, reject or reviewed.
    pub meaning: Meaning,
    /// Why (required to reject).
    pub reason: Option<String>,
    /// When.
    pub signed_at: Timestamp,
}

/// A released packet's proof: the manifest, the approvals and the policy, each a DSSE envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    /// Always [`BUNDLE_FORMAT`].
    pub format: String,
    /// The manifest envelope.
    #[schemars(with = "EnvelopeSchema")]
    pub manifest: Envelope,
    /// The approval envelopes.
    #[schemars(with = "Vec<EnvelopeSchema>")]
    pub approvals: Vec<Envelope>,
    /// The policy envelope the manifest was drafted under.
    #[schemars(with = "EnvelopeSchema")]
    pub policy: Envelope,
}

/// The DSSE envelope, for the schema.
#[derive(JsonSchema)]
#[allow(dead_code)]
#[schemars(rename = "Envelope")]
struct EnvelopeSchema {
    /// Base64 of the payload bytes.
    payload: String,
    /// The payload's media type.
    #[serde(rename = "payloadType")]
    payload_type: String,
    /// Signatures over PAE(payloadType, payload).
    signatures: Vec<EnvelopeSignatureSchema>,
}

/// A DSSE signature, for the schema.
#[derive(JsonSchema)]
#[allow(dead_code)]
#[schemars(rename = "EnvelopeSignature")]
struct EnvelopeSignatureSchema {
    /// Hex SHA-256 of the signer's public key.
    keyid: String,
    /// Base64 of the ed25519 signature.
    sig: String,
}

/// What a verifier remembers between runs, to refuse rollbacks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyState {
    /// Always [`STATE_FORMAT`].
    pub format: String,
    /// Highest policy version seen.
    pub policy_version: u64,
    /// Highest manifest version seen, by `PACKET/LANE`.
    pub manifests: BTreeMap<String, u64>,
}
