//! Identities, packets and revisions.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::digest::{Digest, FieldHasher};
use crate::time::Timestamp;

/// An identity id: lowercase hex SHA-256 of the identity's ed25519 public key.
pub type IdentityId = String;
/// A packet id: 32 lowercase hex characters from 16 random bytes.
pub type PacketId = String;
/// A revision id: a `sha256:` digest (see [`revision_id`]).
pub type RevisionId = Digest;
/// A comment thread or objection id: 32 lowercase hex characters from 16 random bytes.
pub type AnnotationId = String;

/// A fresh random object id from 16 random bytes (the caller supplies the randomness).
pub fn object_id(random: [u8; 16]) -> String {
    hex::encode(random)
}

/// Whether `s` has the shape of an object id made by [`object_id`]: 32 lowercase hex characters.
pub fn is_object_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Whether `s` has the shape of an [`IdentityId`]: 64 lowercase hex characters.
pub fn is_identity_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// What an identity may do.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum Role {
    /// Drafts packet wording.
    Author,
    /// Reviews and comments.
    Reviewer,
    /// Reviews wording for legal risk.
    Legal,
    /// Owns a release lane.
    ReleaseOwner,
    /// Signs release manifests.
    Approver,
    /// Administers the trust policy.
    Admin,
}

impl Role {
    /// Every role, in display order.
    pub const ALL: [Role; 6] = [
        Role::Author,
        Role::Reviewer,
        Role::Legal,
        Role::ReleaseOwner,
        Role::Approver,
        Role::Admin,
    ];

    /// The role's name as written on the command line and on disk.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Author => "author",
            Role::Reviewer => "reviewer",
            Role::Legal => "legal",
            Role::ReleaseOwner => "release-owner",
            Role::Approver => "approver",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of [`Role::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown role `{0}` (expected one of: author, reviewer, legal, release-owner, approver, admin)"
)]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Role, UnknownRole> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s || r.as_str().replace('-', "_") == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// Whether an identity is a person or an automated agent. Agents may propose; they never
/// approve, accept residual disagreement, or release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum IdentityKind {
    /// A person.
    Human,
    /// An automated agent.
    Agent,
}

impl IdentityKind {
    /// `human` or `agent`.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityKind::Human => "human",
            IdentityKind::Agent => "agent",
        }
    }
}

/// The public face of an identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// Fingerprint of the public key.
    pub id: IdentityId,
    /// Display (printed) name.
    pub name: String,
    /// Roles, sorted, without repeats.
    pub roles: Vec<Role>,
    /// Human or agent.
    pub kind: IdentityKind,
    /// ed25519 public key, hex.
    pub public_key: String,
    /// When it was made.
    pub created_at: Timestamp,
}

impl Identity {
    /// Whether the identity holds `role`.
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// Why a name or title is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Empty or only whitespace.
    #[error("the {0} is empty")]
    Empty(&'static str),
    /// Longer than the limit.
    #[error("the {what} is {len} characters long; the limit is {max}")]
    TooLong {
        /// What was named.
        what: &'static str,
        /// Its length in characters.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Contains a control character (a newline, say).
    #[error("the {0} contains a control character; use a single line of text")]
    Control(&'static str),
}

/// Check a one-line name (a title, a display name): trimmed, non-empty, ≤ 200 chars, no control
/// characters. Returns the trimmed name.
pub fn validate_name(what: &'static str, s: &str) -> Result<String, NameError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(NameError::Empty(what));
    }
    let len = t.chars().count();
    if len > 200 {
        return Err(NameError::TooLong {
            what,
            len,
            max: 200,
        });
    }
    if t.chars().any(char::is_control) {
        return Err(NameError::Control(what));
    }
    Ok(t.to_owned())
}

/// A governed markdown packet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Packet {
    /// Random id.
    pub id: PacketId,
    /// One-line title.
    pub title: String,
    /// The owning identity: the only one who may accept residual disagreement.
    pub owner: IdentityId,
    /// When it was made.
    pub created_at: Timestamp,
}

/// An immutable revision of a packet. Its content is stored by content digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    /// See [`revision_id`].
    pub id: RevisionId,
    /// The packet it belongs to.
    pub packet: PacketId,
    /// Digest of the normalized content.
    pub content_digest: Digest,
    /// Parent revisions: none for the first, one normally, two for a merge.
    pub parents: Vec<RevisionId>,
    /// Who wrote it.
    pub author: IdentityId,
    /// What changed and why.
    pub message: String,
    /// When.
    pub created_at: Timestamp,
}

/// A revision's id, computed as a git commit's is: a digest over the packet id, the content
/// digest, the parent ids in order, the author, the time and the message. Going back to earlier
/// wording therefore makes a new revision with a new id; nothing is ever rewritten.
pub fn revision_id(
    packet: &str,
    content_digest: &Digest,
    parents: &[RevisionId],
    author: &str,
    created_at: Timestamp,
    message: &str,
) -> RevisionId {
    let mut h = FieldHasher::new("countersign/revision/v1");
    h.str(packet)
        .str(content_digest.as_str())
        .str(&parents.len().to_string());
    for p in parents {
        h.str(p.as_str());
    }
    h.str(author).str(&created_at.to_string()).str(message);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_unix_millis(ms)
    }

    #[test]
    fn revision_id_covers_every_field() {
        let c = Digest::of(b"a");
        let p = vec![Digest::of(b"p")];
        let base = revision_id("pk", &c, &p, "au", t(1), "m");
        assert_eq!(base, revision_id("pk", &c, &p, "au", t(1), "m"));
        assert_ne!(base, revision_id("pk2", &c, &p, "au", t(1), "m"));
        assert_ne!(
            base,
            revision_id("pk", &Digest::of(b"b"), &p, "au", t(1), "m")
        );
        assert_ne!(base, revision_id("pk", &c, &[], "au", t(1), "m"));
        assert_ne!(base, revision_id("pk", &c, &p, "au2", t(1), "m"));
        assert_ne!(base, revision_id("pk", &c, &p, "au", t(2), "m"));
        assert_ne!(base, revision_id("pk", &c, &p, "au", t(1), "m2"));
        let two = vec![Digest::of(b"p"), Digest::of(b"q")];
        let swapped = vec![Digest::of(b"q"), Digest::of(b"p")];
        assert_ne!(
            revision_id("pk", &c, &two, "au", t(1), "m"),
            revision_id("pk", &c, &swapped, "au", t(1), "m")
        );
    }

    #[test]
    fn roles_parse_both_spellings() {
        assert_eq!("release-owner".parse::<Role>(), Ok(Role::ReleaseOwner));
        assert_eq!("release_owner".parse::<Role>(), Ok(Role::ReleaseOwner));
        assert!("boss".parse::<Role>().is_err());
    }

    #[test]
    fn names_are_validated() {
        assert_eq!(
            validate_name("title", "  Outage packet "),
            Ok("Outage packet".into())
        );
        assert_eq!(
            validate_name("title", "   "),
            Err(NameError::Empty("title"))
        );
        assert_eq!(
            validate_name("title", "a\nb"),
            Err(NameError::Control("title"))
        );
        assert!(matches!(
            validate_name("title", &"x".repeat(201)),
            Err(NameError::TooLong { .. })
        ));
    }
}

/// A comment thread anchored to wording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentThread {
    /// Random id.
    pub id: AnnotationId,
    /// The packet.
    pub packet: PacketId,
    /// The revision the thread was opened on.
    pub revision: RevisionId,
    /// Who opened it.
    pub author: IdentityId,
    /// When.
    pub created_at: Timestamp,
    /// The wording as anchored on `revision`.
    pub anchor: crate::anchor::Anchor,
    /// Whether the thread is resolved.
    pub resolved: bool,
    /// Who resolved it, and when.
    pub resolved_by: Option<(IdentityId, Timestamp)>,
    /// The messages, oldest first.
    pub messages: Vec<Message>,
}

/// One message in a comment thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Who wrote it.
    pub author: IdentityId,
    /// The text.
    pub body: String,
    /// When.
    pub created_at: Timestamp,
}

/// An objection anchored to wording, with its place in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Objection {
    /// Random id.
    pub id: AnnotationId,
    /// The packet.
    pub packet: PacketId,
    /// The revision it was raised on.
    pub revision: RevisionId,
    /// Who raised it.
    pub raised_by: IdentityId,
    /// When.
    pub created_at: Timestamp,
    /// What is objected to, and why.
    pub body: String,
    /// Whether it blocks release while open.
    pub blocking: bool,
    /// Where it stands.
    pub status: crate::ledger::ObjectionStatus,
    /// The wording as anchored on `revision`.
    pub anchor: crate::anchor::Anchor,
    /// Every ledger move, oldest first.
    pub history: Vec<LedgerEntry>,
}

impl Objection {
    /// The most recent acceptance as residual disagreement, if the objection stands accepted.
    pub fn acceptance(&self) -> Option<&LedgerEntry> {
        if self.status != crate::ledger::ObjectionStatus::AcceptedResidual {
            return None;
        }
        self.history
            .iter()
            .rev()
            .find(|e| e.action == crate::ledger::LedgerAction::Accept)
    }
}

/// One move on the objection ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// What was done.
    pub action: crate::ledger::LedgerAction,
    /// Status before.
    pub from: crate::ledger::ObjectionStatus,
    /// Status after.
    pub to: crate::ledger::ObjectionStatus,
    /// Who did it.
    pub actor: IdentityId,
    /// When.
    pub at: Timestamp,
    /// The note, reason or rationale given.
    pub text: Option<String>,
}
