//! Offline verification of a release bundle.
//!
//! The verifier is handed everything it needs ([`VerifyInput`]): the bundle's bytes, the lane it
//! is presented to, the trusted policy's bytes, optionally the packet content, the highest
//! versions seen before and the time. It reads no file, no network and no clock, and it either
//! returns what verified ([`Verified`]) or the first reason to refuse ([`Refusal`], each with a
//! stable [`Refusal::code`]).
//!
//! # Principles
//!
//! - **Never re-serialize to verify.** Every signature is checked over the payload bytes exactly
//!   as carried (base64-decoded), with DSSE's pre-authentication encoding.
//! - **Verify, then parse.** A manifest or approval payload is parsed only after its signature
//!   holds, and strictly: canonical JSON (RFC 8785) only, duplicate member names, unknown fields
//!   and any other encoding of the same value are refused.
//! - **The trusted policy is the trust root.** Like TUF's root metadata, the policy file is handed
//!   to the verifier out of band by its operator. Its payload is therefore parsed *before* its
//!   signature is checked (there is no other way to learn its admin's key); the signature by the
//!   admin named inside then protects it against corruption and casual tampering in transit, and
//!   ties it to the admin's key. Whoever can replace the policy file can replace the trust root:
//!   guard it like a root certificate.
//! - **Fail closed.** The first problem found refuses the bundle; nothing is skipped.
//! - A key is revoked as soon as its `revoked_at` is set, whatever the time it names (a revocation
//!   is never "not yet" in force).
//!
//! # Order of checks
//!
//! 1. **Trusted policy** ([`TrustedPolicy::from_envelope_json`]): the file must be a DSSE
//!    envelope in strict JSON (`malformed_policy`) with payloadType [`POLICY_TYPE`]
//!    (`wrong_payload_type`, role `policy`), whose payload is base64 of canonical JSON of a
//!    [`Policy`] (`malformed_policy`). The envelope must carry a valid signature by a non-revoked
//!    key of the policy's `admin`, who must be one of its identities, and every signature by an
//!    admin key must verify (`policy_bad_signature`). Only then is the rest of the policy checked
//!    for consistency (`malformed_policy`): every public key valid, every keyid the fingerprint
//!    of its key, identity ids, keyids (so keys) and lane ids unique. Then, against the time and
//!    the state: the policy must not have expired, `expires_at <= now` (`policy_expired`), and
//!    its version must not be lower than the highest seen (`policy_rollback`).
//! 2. **Bundle**: strict JSON (duplicate member names refused) of a [`Bundle`] with format
//!    [`BUNDLE_FORMAT`] (`malformed_bundle`). Its policy envelope must have payloadType
//!    [`POLICY_TYPE`] (`wrong_payload_type`, role `policy`) and carry exactly the trusted policy's
//!    payload bytes, compared by digest (`policy_mismatch`: made under another policy version).
//! 3. **Manifest**: payloadType [`MANIFEST_TYPE`] (`wrong_payload_type`, role `manifest`). Every
//!    signature by a policy key must verify, and at least one must be by a non-revoked key
//!    (`manifest_bad_signature`); signatures by keys the policy does not know count for nothing.
//!    Only then is the payload parsed, as canonical JSON of a [`Manifest`]
//!    (`malformed_payload`, role `manifest`). Its digest is the SHA-256 of the payload bytes.
//! 4. **Lane and scope**: the manifest's lane must be the lane presented (`wrong_lane`) and be
//!    defined in the policy (`unknown_lane`); its audience, required signers (owner, roles,
//!    threshold) and release owner must be the policy lane's (`scope_mismatch`); its policy
//!    reference (digest and version) must be the trusted policy's (`policy_mismatch`).
//! 5. **Freshness**: the manifest's version must not be lower than the highest seen for its
//!    `PACKET/LANE` (`manifest_rollback`; an equal version is the same release seen again, not a
//!    rollback), and it must not have expired, `expires_at <= now` (`manifest_expired`).
//! 6. **Approvals**, in bundle order (numbered from 1), each in turn:
//!    1. payloadType [`APPROVAL_TYPE`] (`wrong_payload_type`, role `approval`);
//!    2. every signature's keyid is in the policy (`unknown_signer`);
//!    3. every signature verifies (`approval_bad_signature`; an envelope without signatures too);
//!    4. no signing key is revoked (`revoked_key`);
//!    5. the payload is canonical JSON of an [`Approval`] (`malformed_payload`, role `approval`);
//!    6. the payload's `signer` is the identity holding the signing key (`signer_mismatch`);
//!    7. that identity is human (`agent_approval`: agents never sign approvals, in any meaning);
//!    8. it approves this manifest, by digest (`approval_for_other_manifest`),
//!    9. in this lane (`approval_for_other_lane`);
//!    10. the role stated is one the identity holds *and* one the lane requires
//!        (`role_not_allowed`). Exception: the lane's release owner may sign in any role they
//!        hold (typically `release-owner`), since the owner's approval is required whatever the
//!        lane's roles;
//!    11. the identity has not signed already, in this envelope or an earlier one, with the same
//!        key or another of its keys (`duplicate_signer`);
//!    12. its meaning is not `reject` (`rejected`: one rejection refuses the bundle). A
//!        `reviewed` signature is listed among the signers but counts for nothing.
//! 7. **Quorum**: the lane owner has approved (`owner_approval_missing`) and at least the lane's
//!    threshold of distinct humans approved (`threshold_not_met`; the owner counts).
//! 8. **Content**, if supplied: it must be UTF-8 within the size limit (`bad_content`) and, once
//!    normalized (BOM, line endings), have the revision's content digest (`content_mismatch`).
//!
//! On success the summary names every signer with the name the *policy* gives them (not the name
//! in the payload), and the state to remember has the policy version and the manifest version for
//! its packet and lane raised to this bundle's. The input is never modified.
//!
//! To verify many bundles against one policy, prepare it once with
//! [`TrustedPolicy::from_envelope_json`] and call [`verify_bundle_with`]; [`verify_bundle`] does
//! both for one bundle.

use std::collections::HashMap;

use countersign_core::text;
use countersign_core::{Digest, Timestamp};
use countersign_signing::dsse::{self, Envelope};
use countersign_signing::{VerifyingKey, fingerprint, jcs, public_key_from_hex};
use serde::Serialize;

#[cfg(doc)]
use crate::types::PolicyKey;
use crate::types::{
    APPROVAL_TYPE, Approval, BUNDLE_FORMAT, Bundle, Lane, MANIFEST_TYPE, Manifest, Meaning,
    POLICY_TYPE, Policy, PolicyIdentity, STATE_FORMAT, VerifyState,
};

/// What the verifier is given. Nothing else: no workspace, no network, no clock.
#[derive(Debug, Clone, Copy)]
pub struct VerifyInput<'a> {
    /// The bundle file's bytes, exactly as received.
    pub bundle: &'a [u8],
    /// The lane the bundle is presented to.
    pub lane: &'a str,
    /// The trusted policy: a DSSE envelope (JSON bytes) exported by the admin.
    pub policy: &'a [u8],
    /// The packet content, if supplied: must match the manifest's content digest after
    /// normalization.
    pub content: Option<&'a [u8]>,
    /// The highest versions seen before (rollback protection).
    pub state: Option<&'a VerifyState>,
    /// The verifier's clock.
    pub now: Timestamp,
}

/// One signer, as the summary names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Signer {
    /// Identity id.
    pub id: String,
    /// Printed name.
    pub name: String,
    /// Role signed in.
    pub role: String,
    /// Meaning.
    pub meaning: Meaning,
    /// When.
    pub signed_at: Timestamp,
}

/// A bundle that verified.
#[derive(Debug, Clone, Serialize)]
pub struct Verified {
    /// The manifest, parsed after its signature held.
    pub manifest: Manifest,
    /// Digest of the manifest payload bytes.
    pub manifest_digest: Digest,
    /// Every signer counted, and any `reviewed` signatures.
    pub signers: Vec<Signer>,
    /// The state to remember (versions raised to this bundle's).
    pub state: VerifyState,
}

/// Why a bundle is refused. Each has its own stable [`Refusal::code`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The file is not a bundle (not JSON, wrong format, missing parts, duplicate keys).
    #[error("not a valid bundle: {0}")]
    MalformedBundle(String),
    /// The trusted policy file is not a valid policy envelope.
    #[error("the policy file is not a valid signed policy: {0}")]
    MalformedPolicy(String),
    /// The policy is not signed by its admin.
    #[error("the policy's signature does not verify against its admin's key")]
    PolicyBadSignature,
    /// The bundle's policy is not the trusted policy.
    #[error(
        "the bundle was made under policy version {bundle} but the trusted policy is version {trusted} ({detail})"
    )]
    PolicyMismatch {
        /// Version in the bundle.
        bundle: u64,
        /// Trusted version.
        trusted: u64,
        /// What differs.
        detail: String,
    },
    /// The policy version is lower than one seen before.
    #[error("policy rollback: version {found} is lower than version {seen} seen before")]
    PolicyRollback {
        /// Presented.
        found: u64,
        /// Seen before.
        seen: u64,
    },
    /// The policy has expired.
    #[error("the policy expired at {0}; nothing verifies against a frozen policy")]
    PolicyExpired(Timestamp),
    /// An envelope has the wrong payloadType (an approval presented as a manifest, say).
    #[error("wrong payload type for the {role}: expected `{expected}`, found `{found}`")]
    WrongPayloadType {
        /// Which part.
        role: &'static str,
        /// Expected.
        expected: String,
        /// Found.
        found: String,
    },
    /// The manifest's signature does not verify, or it has none from a policy identity.
    #[error("the manifest's signature does not verify: {0}")]
    ManifestBadSignature(String),
    /// A payload is not canonical JSON of the expected shape.
    #[error("the {role} payload is malformed: {detail}")]
    MalformedPayload {
        /// Which part.
        role: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// The bundle is presented to another lane than its manifest's.
    #[error("the bundle is for lane `{manifest}`, presented to lane `{presented}`")]
    WrongLane {
        /// In the manifest.
        manifest: String,
        /// Where presented.
        presented: String,
    },
    /// The lane is not in the policy.
    #[error("lane `{0}` is not defined in the trusted policy")]
    UnknownLane(String),
    /// The manifest's audience or signers differ from the policy's lane.
    #[error("the manifest's scope does not match the policy's lane: {0}")]
    ScopeMismatch(String),
    /// The manifest's version is lower than one seen before for its packet and lane.
    #[error(
        "manifest rollback: version {found} is lower than version {seen} seen before for this packet and lane"
    )]
    ManifestRollback {
        /// Presented.
        found: u64,
        /// Seen.
        seen: u64,
    },
    /// The manifest has expired.
    #[error("the manifest expired at {0}")]
    ManifestExpired(Timestamp),
    /// An approval's signature does not verify.
    #[error("approval #{index}: the signature does not verify")]
    ApprovalBadSignature {
        /// 1-based position in the bundle.
        index: usize,
    },
    /// An approval's key is not in the policy.
    #[error("approval #{index}: signed by key {keyid}, which is not in the policy")]
    UnknownSigner {
        /// Position.
        index: usize,
        /// The key.
        keyid: String,
    },
    /// An approval's signing key is revoked.
    #[error("approval #{index}: signed by {name} with a revoked key")]
    RevokedKey {
        /// Position.
        index: usize,
        /// Signer.
        name: String,
    },
    /// An approval is by an agent.
    #[error("approval #{index}: {name} is an agent; agents never approve")]
    AgentApproval {
        /// Position.
        index: usize,
        /// Signer.
        name: String,
    },
    /// An approval's payload names another signer than its key's identity.
    #[error(
        "approval #{index}: the payload names signer {claimed} but the key belongs to {actual}"
    )]
    SignerMismatch {
        /// Position.
        index: usize,
        /// Named.
        claimed: String,
        /// Key owner.
        actual: String,
    },
    /// An approval's signer lacks the role it signs in, or the role is not required by the lane.
    #[error("approval #{index}: {name} does not hold a role this lane requires ({role})")]
    RoleNotAllowed {
        /// Position.
        index: usize,
        /// Signer.
        name: String,
        /// Role claimed.
        role: String,
    },
    /// An approval is of another manifest (mix-and-match).
    #[error("approval #{index} is of another manifest ({found}), not this one ({expected})")]
    ApprovalForOtherManifest {
        /// Position.
        index: usize,
        /// This manifest.
        expected: Digest,
        /// Approved.
        found: Digest,
    },
    /// An approval names another lane.
    #[error("approval #{index} is for lane `{found}`, not `{expected}`")]
    ApprovalForOtherLane {
        /// Position.
        index: usize,
        /// Expected.
        expected: String,
        /// Found.
        found: String,
    },
    /// One person counted twice (the same identity signed more than once, with one key or two).
    #[error("{name} signed more than once; one person counts once")]
    DuplicateSigner {
        /// Who.
        name: String,
    },
    /// Somebody rejected the manifest.
    #[error("{name} rejected this manifest: {reason}")]
    Rejected {
        /// Who.
        name: String,
        /// Why.
        reason: String,
    },
    /// The release owner has not approved.
    #[error("the lane's release owner ({0}) has not approved")]
    OwnerApprovalMissing(String),
    /// Too few distinct human approvers.
    #[error("{found} of {needed} required approvals from distinct people")]
    ThresholdNotMet {
        /// Counted.
        found: u32,
        /// Needed.
        needed: u32,
    },
    /// The content supplied is not the bound revision's content.
    #[error(
        "the content supplied does not match the bound revision (expected {expected}, got {found})"
    )]
    ContentMismatch {
        /// Bound.
        expected: Digest,
        /// Supplied.
        found: Digest,
    },
    /// The content supplied cannot be read as packet content.
    #[error("the content supplied is not valid packet content: {0}")]
    BadContent(String),
}

impl Refusal {
    /// A stable name for this reason.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::MalformedBundle(_) => "malformed_bundle",
            Refusal::MalformedPolicy(_) => "malformed_policy",
            Refusal::PolicyBadSignature => "policy_bad_signature",
            Refusal::PolicyMismatch { .. } => "policy_mismatch",
            Refusal::PolicyRollback { .. } => "policy_rollback",
            Refusal::PolicyExpired(_) => "policy_expired",
            Refusal::WrongPayloadType { .. } => "wrong_payload_type",
            Refusal::ManifestBadSignature(_) => "manifest_bad_signature",
            Refusal::MalformedPayload { .. } => "malformed_payload",
            Refusal::WrongLane { .. } => "wrong_lane",
            Refusal::UnknownLane(_) => "unknown_lane",
            Refusal::ScopeMismatch(_) => "scope_mismatch",
            Refusal::ManifestRollback { .. } => "manifest_rollback",
            Refusal::ManifestExpired(_) => "manifest_expired",
            Refusal::ApprovalBadSignature { .. } => "approval_bad_signature",
            Refusal::UnknownSigner { .. } => "unknown_signer",
            Refusal::RevokedKey { .. } => "revoked_key",
            Refusal::AgentApproval { .. } => "agent_approval",
            Refusal::SignerMismatch { .. } => "signer_mismatch",
            Refusal::RoleNotAllowed { .. } => "role_not_allowed",
            Refusal::ApprovalForOtherManifest { .. } => "approval_for_other_manifest",
            Refusal::ApprovalForOtherLane { .. } => "approval_for_other_lane",
            Refusal::DuplicateSigner { .. } => "duplicate_signer",
            Refusal::Rejected { .. } => "rejected",
            Refusal::OwnerApprovalMissing(_) => "owner_approval_missing",
            Refusal::ThresholdNotMet { .. } => "threshold_not_met",
            Refusal::ContentMismatch { .. } => "content_mismatch",
            Refusal::BadContent(_) => "bad_content",
        }
    }
}

/// A trusted policy, checked and prepared once: its signature verified, its keys parsed and
/// indexed. Verifying many bundles against one policy with [`verify_bundle_with`] then costs no
/// policy work per bundle.
///
/// Preparing checks everything about the policy that does not depend on the time or on the
/// verifier's state (step 1 of the [module docs](self), up to and including its consistency);
/// [`verify_bundle_with`] checks its expiry and version every time.
#[derive(Debug, Clone)]
pub struct TrustedPolicy {
    policy: Policy,
    digest: Digest,
    /// The payload as carried in the trusted envelope (base64), for a quick equality check.
    payload_b64: String,
    /// Every key in the policy, by keyid.
    keys: HashMap<String, TrustedKey>,
}

/// One key of the policy, parsed.
#[derive(Debug, Clone, Copy)]
struct TrustedKey {
    /// Index of its identity in `policy.identities`.
    identity: usize,
    /// The public key.
    key: VerifyingKey,
    /// Whether it is revoked ([`PolicyKey::revoked_at`] is set).
    revoked: bool,
}

impl TrustedPolicy {
    /// Read and check a trusted policy file: a DSSE envelope (JSON bytes) exported by the admin.
    ///
    /// Refuses `malformed_policy`, `wrong_payload_type` (role `policy`) and
    /// `policy_bad_signature`, in the order given in the [module docs](self).
    pub fn from_envelope_json(bytes: &[u8]) -> Result<TrustedPolicy, Refusal> {
        let envelope =
            dsse::from_json(bytes).map_err(|e| Refusal::MalformedPolicy(e.to_string()))?;
        if envelope.payload_type != POLICY_TYPE {
            return Err(wrong_type("policy", POLICY_TYPE, &envelope.payload_type));
        }
        let payload =
            dsse::payload_bytes(&envelope).map_err(|e| Refusal::MalformedPolicy(e.to_string()))?;
        // The trust root: parsed before its signature can be checked (see the module docs).
        let policy: Policy = jcs::from_canonical_slice(&payload)
            .map_err(|e| Refusal::MalformedPolicy(e.to_string()))?;
        check_admin_signature(&envelope, &policy)?;
        let keys = index_keys(&policy)?;
        Ok(TrustedPolicy {
            digest: Digest::of(&payload),
            payload_b64: envelope.payload,
            policy,
            keys,
        })
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The digest of the policy's payload bytes (what a manifest's policy reference names).
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The key behind a keyid, if the policy lists it (revoked or not).
    fn lookup(&self, keyid: &str) -> Option<VerifyingKey> {
        self.keys.get(keyid).map(|k| k.key)
    }

    /// The identity holding a key.
    fn identity(&self, key: &TrustedKey) -> Option<&PolicyIdentity> {
        self.policy.identities.get(key.identity)
    }

    /// The printed name of an identity id, or the id itself if the policy does not know it.
    fn name_of(&self, id: &str) -> String {
        self.policy
            .identity(id)
            .map_or_else(|| id.to_owned(), |i| i.name.clone())
    }
}

/// The policy envelope must carry a valid signature by a non-revoked key of the policy's admin,
/// and no invalid one by any admin key.
fn check_admin_signature(envelope: &Envelope, policy: &Policy) -> Result<(), Refusal> {
    let admin = policy
        .identity(&policy.admin)
        .ok_or(Refusal::PolicyBadSignature)?;
    // Keys that do not parse, or whose keyid is not their fingerprint, are left out: a signature
    // naming them counts for nothing (and the policy is refused as malformed afterwards).
    let keys: Vec<(&str, VerifyingKey, bool)> = admin
        .keys
        .iter()
        .filter_map(|k| {
            let key = public_key_from_hex(&k.public_key).ok()?;
            (fingerprint(&key) == k.keyid).then_some((
                k.keyid.as_str(),
                key,
                k.revoked_at.is_some(),
            ))
        })
        .collect();
    let lookup = |keyid: &str| {
        keys.iter()
            .find(|(id, _, _)| *id == keyid)
            .map(|(_, key, _)| *key)
    };
    let verified =
        dsse::verify(envelope, POLICY_TYPE, lookup).map_err(|_| Refusal::PolicyBadSignature)?;
    let by_live_key = verified
        .valid_keyids
        .iter()
        .any(|id| keys.iter().any(|(kid, _, revoked)| kid == id && !revoked));
    if by_live_key {
        Ok(())
    } else {
        Err(Refusal::PolicyBadSignature)
    }
}

/// Parse and index every key of a policy whose signature held, refusing an inconsistent policy.
fn index_keys(policy: &Policy) -> Result<HashMap<String, TrustedKey>, Refusal> {
    let malformed = |detail: String| Refusal::MalformedPolicy(detail);
    let mut keys: HashMap<String, TrustedKey> = HashMap::new();
    for (index, identity) in policy.identities.iter().enumerate() {
        if policy.identities[..index]
            .iter()
            .any(|i| i.id == identity.id)
        {
            return Err(malformed(format!(
                "identity {} is listed twice",
                identity.id
            )));
        }
        for k in &identity.keys {
            let key = public_key_from_hex(&k.public_key).map_err(|_| {
                malformed(format!(
                    "key {} of {} is not a valid public key",
                    k.keyid, identity.name
                ))
            })?;
            if fingerprint(&key) != k.keyid {
                return Err(malformed(format!(
                    "keyid {} of {} is not the fingerprint of its public key",
                    k.keyid, identity.name
                )));
            }
            // Equal fingerprints mean equal keys: this also refuses one key held by two people.
            let entry = TrustedKey {
                identity: index,
                key,
                revoked: k.revoked_at.is_some(),
            };
            if keys.insert(k.keyid.clone(), entry).is_some() {
                return Err(malformed(format!("key {} is listed twice", k.keyid)));
            }
        }
    }
    for (index, lane) in policy.lanes.iter().enumerate() {
        if policy.lanes[..index].iter().any(|l| l.id == lane.id) {
            return Err(malformed(format!("lane {} is defined twice", lane.id)));
        }
    }
    Ok(keys)
}

/// A bundle to verify against a [`TrustedPolicy`]: [`VerifyInput`] without the policy.
#[derive(Debug, Clone, Copy)]
pub struct BundleInput<'a> {
    /// The bundle file's bytes, exactly as received.
    pub bundle: &'a [u8],
    /// The lane the bundle is presented to.
    pub lane: &'a str,
    /// The packet content, if supplied.
    pub content: Option<&'a [u8]>,
    /// The highest versions seen before (rollback protection).
    pub state: Option<&'a VerifyState>,
    /// The verifier's clock.
    pub now: Timestamp,
}

impl<'a> From<&VerifyInput<'a>> for BundleInput<'a> {
    fn from(input: &VerifyInput<'a>) -> BundleInput<'a> {
        BundleInput {
            bundle: input.bundle,
            lane: input.lane,
            content: input.content,
            state: input.state,
            now: input.now,
        }
    }
}

/// Verify a bundle offline. See the [module docs](self) for the order of checks.
pub fn verify_bundle(input: &VerifyInput<'_>) -> Result<Verified, Refusal> {
    let trusted = TrustedPolicy::from_envelope_json(input.policy)?;
    verify_bundle_with(&trusted, &BundleInput::from(input))
}

/// Verify a bundle offline against a policy prepared once. See the [module docs](self) for the
/// order of checks; this starts with the policy's expiry and version.
pub fn verify_bundle_with(
    trusted: &TrustedPolicy,
    input: &BundleInput<'_>,
) -> Result<Verified, Refusal> {
    let policy = &trusted.policy;
    let seen = input.state;

    // 1. The policy, against the time and the state.
    if policy.expires_at <= input.now {
        return Err(Refusal::PolicyExpired(policy.expires_at));
    }
    if let Some(state) = seen
        && policy.version < state.policy_version
    {
        return Err(Refusal::PolicyRollback {
            found: policy.version,
            seen: state.policy_version,
        });
    }

    // 2. The bundle, and the policy it was made under.
    let bundle: Bundle =
        jcs::from_slice(input.bundle).map_err(|e| Refusal::MalformedBundle(e.to_string()))?;
    if bundle.format != BUNDLE_FORMAT {
        return Err(Refusal::MalformedBundle(format!(
            "format is `{}`, expected `{BUNDLE_FORMAT}`",
            bundle.format
        )));
    }
    check_bundle_policy(trusted, &bundle.policy)?;

    // 3. The manifest: signature first, then parse.
    let (manifest, manifest_digest) = verify_manifest(trusted, &bundle.manifest)?;

    // 4. Lane and scope.
    let lane = check_scope(trusted, &manifest, input.lane)?;

    // 5. Freshness.
    let state_key = format!("{}/{}", manifest.packet.id, manifest.lane.id);
    if let Some(&seen_version) = seen.and_then(|s| s.manifests.get(&state_key))
        && seen_version > manifest.version
    {
        return Err(Refusal::ManifestRollback {
            found: manifest.version,
            seen: seen_version,
        });
    }
    if manifest.expires_at <= input.now {
        return Err(Refusal::ManifestExpired(manifest.expires_at));
    }

    // 6. Approvals.
    let mut tally = Tally::default();
    for (position, envelope) in bundle.approvals.iter().enumerate() {
        check_approval(
            trusted,
            lane,
            &manifest_digest,
            position + 1,
            envelope,
            &mut tally,
        )?;
    }

    // 7. Quorum.
    let owner_approved = tally
        .approvers
        .iter()
        .any(|&i| policy.identities.get(i).is_some_and(|p| p.id == lane.owner));
    if !owner_approved {
        return Err(Refusal::OwnerApprovalMissing(trusted.name_of(&lane.owner)));
    }
    let found = u32::try_from(tally.approvers.len()).unwrap_or(u32::MAX);
    if found < lane.threshold {
        return Err(Refusal::ThresholdNotMet {
            found,
            needed: lane.threshold,
        });
    }

    // 8. Content.
    if let Some(bytes) = input.content {
        let normalized = text::decode(bytes).map_err(|e| Refusal::BadContent(e.to_string()))?;
        let found = text::content_digest(&normalized);
        if found != manifest.revision.content_digest {
            return Err(Refusal::ContentMismatch {
                expected: manifest.revision.content_digest.clone(),
                found,
            });
        }
    }

    // What to remember.
    let mut state = seen.cloned().unwrap_or_default();
    state.format = STATE_FORMAT.to_owned();
    state.policy_version = state.policy_version.max(policy.version);
    let remembered = state.manifests.entry(state_key).or_insert(manifest.version);
    *remembered = (*remembered).max(manifest.version);

    Ok(Verified {
        manifest,
        manifest_digest,
        signers: tally.signers,
        state,
    })
}

/// The bundle's policy envelope must carry the trusted policy's payload bytes.
fn check_bundle_policy(trusted: &TrustedPolicy, envelope: &Envelope) -> Result<(), Refusal> {
    if envelope.payload_type != POLICY_TYPE {
        return Err(wrong_type("policy", POLICY_TYPE, &envelope.payload_type));
    }
    // The same base64 is the same bytes; otherwise decode (the encoding may differ) and compare.
    if envelope.payload == trusted.payload_b64 {
        return Ok(());
    }
    let payload = dsse::payload_bytes(envelope)
        .map_err(|e| Refusal::MalformedBundle(format!("the bundle's policy envelope: {e}")))?;
    if Digest::of(&payload) == trusted.digest {
        return Ok(());
    }
    // Read the version for the message only; nothing else of this unverified payload is used.
    let version = jcs::parse(&payload)
        .ok()
        .and_then(|v| v.get("version").and_then(serde_json::Value::as_u64));
    Err(Refusal::PolicyMismatch {
        bundle: version.unwrap_or(0),
        trusted: trusted.policy.version,
        detail: match version {
            Some(_) => "the bundle carries a different policy than the trusted one".to_owned(),
            None => "the bundle's policy is unreadable".to_owned(),
        },
    })
}

/// Verify the manifest envelope's signatures, then parse its payload.
fn verify_manifest(
    trusted: &TrustedPolicy,
    envelope: &Envelope,
) -> Result<(Manifest, Digest), Refusal> {
    if envelope.payload_type != MANIFEST_TYPE {
        return Err(wrong_type(
            "manifest",
            MANIFEST_TYPE,
            &envelope.payload_type,
        ));
    }
    let verified = dsse::verify(envelope, MANIFEST_TYPE, |id| trusted.lookup(id))
        .map_err(|e| Refusal::ManifestBadSignature(e.to_string()))?;
    let live = verified
        .valid_keyids
        .iter()
        .any(|id| trusted.keys.get(id.as_str()).is_some_and(|k| !k.revoked));
    if !live {
        return Err(Refusal::ManifestBadSignature(
            "no valid signature by a non-revoked key of an identity in the policy".to_owned(),
        ));
    }
    let manifest: Manifest =
        jcs::from_canonical_slice(&verified.payload).map_err(|e| Refusal::MalformedPayload {
            role: "manifest",
            detail: e.to_string(),
        })?;
    Ok((manifest, Digest::of(&verified.payload)))
}

/// The manifest's lane, audience, signers and policy must be the trusted policy's.
fn check_scope<'p>(
    trusted: &'p TrustedPolicy,
    manifest: &Manifest,
    presented: &str,
) -> Result<&'p Lane, Refusal> {
    if manifest.lane.id != presented {
        return Err(Refusal::WrongLane {
            manifest: manifest.lane.id.clone(),
            presented: presented.to_owned(),
        });
    }
    let lane = trusted
        .policy
        .lane(presented)
        .ok_or_else(|| Refusal::UnknownLane(presented.to_owned()))?;
    let signers = &manifest.required_signers;
    let mut differs = Vec::new();
    if manifest.lane.audience != lane.audience {
        differs.push(format!(
            "audience is \"{}\", the lane's is \"{}\"",
            manifest.lane.audience, lane.audience
        ));
    }
    if signers.owner != lane.owner {
        differs.push(format!(
            "required owner is {}, the lane's is {}",
            signers.owner, lane.owner
        ));
    }
    if signers.roles != lane.required_roles {
        differs.push("required roles differ from the lane's".to_owned());
    }
    if signers.threshold != lane.threshold {
        differs.push(format!(
            "threshold is {}, the lane's is {}",
            signers.threshold, lane.threshold
        ));
    }
    if manifest.release_owner != lane.owner {
        differs.push(format!(
            "release owner is {}, the lane's is {}",
            manifest.release_owner, lane.owner
        ));
    }
    if !differs.is_empty() {
        return Err(Refusal::ScopeMismatch(differs.join("; ")));
    }
    let policy_ref = &manifest.policy;
    if policy_ref.digest != trusted.digest || policy_ref.version != trusted.policy.version {
        return Err(Refusal::PolicyMismatch {
            bundle: policy_ref.version,
            trusted: trusted.policy.version,
            detail: "the manifest was drafted under another policy".to_owned(),
        });
    }
    Ok(lane)
}

/// What the approvals so far add up to.
#[derive(Debug, Default)]
struct Tally {
    /// Identities that signed (indices into the policy's identities), any meaning.
    seen: Vec<usize>,
    /// Identities that approved.
    approvers: Vec<usize>,
    /// The summary.
    signers: Vec<Signer>,
}

/// Check one approval envelope (`index` from 1) and add it to the tally.
fn check_approval(
    trusted: &TrustedPolicy,
    lane: &Lane,
    manifest_digest: &Digest,
    index: usize,
    envelope: &Envelope,
    tally: &mut Tally,
) -> Result<(), Refusal> {
    if envelope.payload_type != APPROVAL_TYPE {
        return Err(wrong_type(
            "approval",
            APPROVAL_TYPE,
            &envelope.payload_type,
        ));
    }
    // Which keys signed: all must be known to the policy.
    let mut keys: Vec<TrustedKey> = Vec::with_capacity(envelope.signatures.len());
    for signature in &envelope.signatures {
        match trusted.keys.get(signature.keyid.as_str()) {
            Some(key) => keys.push(*key),
            None => {
                return Err(Refusal::UnknownSigner {
                    index,
                    keyid: signature.keyid.clone(),
                });
            }
        }
    }
    let verified = dsse::verify(envelope, APPROVAL_TYPE, |id| trusted.lookup(id))
        .map_err(|_| Refusal::ApprovalBadSignature { index })?;
    let (Some(first), false) = (keys.first(), verified.valid_keyids.is_empty()) else {
        return Err(Refusal::ApprovalBadSignature { index });
    };
    let identity_of = |key: &TrustedKey| {
        trusted
            .identity(key)
            .ok_or(Refusal::ApprovalBadSignature { index })
    };
    if let Some(key) = keys.iter().find(|k| k.revoked) {
        return Err(Refusal::RevokedKey {
            index,
            name: identity_of(key)?.name.clone(),
        });
    }

    let approval: Approval =
        jcs::from_canonical_slice(&verified.payload).map_err(|e| Refusal::MalformedPayload {
            role: "approval",
            detail: format!("approval #{index}: {e}"),
        })?;
    for key in &keys {
        let holder = identity_of(key)?;
        if holder.id != approval.signer {
            return Err(Refusal::SignerMismatch {
                index,
                claimed: approval.signer.clone(),
                actual: holder.id.clone(),
            });
        }
    }
    // Every key is now known to be the signer's.
    let who = first.identity;
    let signer = identity_of(first)?;
    let name = || signer.name.clone();
    if signer.kind == countersign_core::model::IdentityKind::Agent {
        return Err(Refusal::AgentApproval {
            index,
            name: name(),
        });
    }
    if approval.manifest != *manifest_digest {
        return Err(Refusal::ApprovalForOtherManifest {
            index,
            expected: manifest_digest.clone(),
            found: approval.manifest.clone(),
        });
    }
    if approval.lane != lane.id {
        return Err(Refusal::ApprovalForOtherLane {
            index,
            expected: lane.id.clone(),
            found: approval.lane.clone(),
        });
    }
    let held = signer.roles.contains(&approval.role);
    let counts = lane.required_roles.contains(&approval.role) || signer.id == lane.owner;
    if !(held && counts) {
        return Err(Refusal::RoleNotAllowed {
            index,
            name: name(),
            role: approval.role.as_str().to_owned(),
        });
    }
    // Two signatures in one envelope by the same person, or a person seen in an earlier one.
    if keys.len() > 1 || tally.seen.contains(&who) {
        return Err(Refusal::DuplicateSigner { name: name() });
    }
    if approval.meaning == Meaning::Reject {
        return Err(Refusal::Rejected {
            name: name(),
            reason: approval
                .reason
                .clone()
                .unwrap_or_else(|| "no reason given".to_owned()),
        });
    }
    tally.seen.push(who);
    if approval.meaning == Meaning::Approve {
        tally.approvers.push(who);
    }
    tally.signers.push(Signer {
        id: signer.id.clone(),
        name: name(),
        role: approval.role.as_str().to_owned(),
        meaning: approval.meaning,
        signed_at: approval.signed_at,
    });
    Ok(())
}

/// A wrong payloadType.
fn wrong_type(role: &'static str, expected: &str, found: &str) -> Refusal {
    Refusal::WrongPayloadType {
        role,
        expected: expected.to_owned(),
        found: found.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use countersign_core::model::{IdentityKind, Role};
    use countersign_signing::{SigningKey, generate, public_key_to_hex};
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    use super::*;
    use crate::build;
    use crate::types::{PolicyIdentity, PolicyKey};

    fn key(seed: u8) -> SigningKey {
        generate(&mut ChaCha20Rng::from_seed([seed; 32]))
    }

    fn policy_key(k: &SigningKey) -> PolicyKey {
        let public = k.verifying_key();
        PolicyKey {
            keyid: fingerprint(&public),
            public_key: public_key_to_hex(&public),
            revoked_at: None,
        }
    }

    fn identity(name: &str, keys: &[&SigningKey]) -> PolicyIdentity {
        PolicyIdentity {
            id: fingerprint(&keys[0].verifying_key()),
            name: name.to_owned(),
            kind: IdentityKind::Human,
            roles: vec![Role::Admin, Role::Approver],
            keys: keys.iter().map(|k| policy_key(k)).collect(),
        }
    }

    /// A policy administered by `key(1)`, with Bea (`key(2)`) and one lane.
    fn policy() -> Policy {
        let (admin, bea) = (key(1), key(2));
        Policy {
            version: 1,
            issued_at: Timestamp::from_unix_millis(0),
            expires_at: Timestamp::from_unix_millis(1_000_000),
            admin: fingerprint(&admin.verifying_key()),
            identities: vec![identity("Ada", &[&admin]), identity("Bea", &[&bea])],
            lanes: vec![Lane {
                id: "lane".to_owned(),
                audience: "everyone".to_owned(),
                owner: fingerprint(&bea.verifying_key()),
                required_roles: vec![Role::Approver],
                threshold: 1,
                carry_over_trivial: false,
            }],
        }
    }

    fn prepare(p: &Policy, signer: &SigningKey) -> Result<TrustedPolicy, Refusal> {
        let env = build::sign_policy(p, signer).unwrap().envelope;
        TrustedPolicy::from_envelope_json(&serde_json::to_vec(&env).unwrap())
    }

    #[test]
    fn a_consistent_policy_signed_by_its_admin_is_trusted() {
        let p = policy();
        let trusted = prepare(&p, &key(1)).unwrap();
        assert_eq!(trusted.policy(), &p);
        assert_eq!(trusted.keys.len(), 2);
        assert!(trusted.lookup(&p.identities[1].keys[0].keyid).is_some());
        assert!(trusted.lookup("nobody").is_none());
    }

    #[test]
    fn the_policy_must_be_signed_by_a_live_key_of_its_admin() {
        let p = policy();
        assert_eq!(
            prepare(&p, &key(2)).unwrap_err(),
            Refusal::PolicyBadSignature
        );

        let mut no_admin = policy();
        no_admin.admin = "someone-else".to_owned();
        assert_eq!(
            prepare(&no_admin, &key(1)).unwrap_err(),
            Refusal::PolicyBadSignature
        );

        let mut revoked = policy();
        revoked.identities[0].keys[0].revoked_at = Some(Timestamp::from_unix_millis(5));
        assert_eq!(
            prepare(&revoked, &key(1)).unwrap_err(),
            Refusal::PolicyBadSignature
        );

        // A second admin key that is live makes it valid again, once it signs.
        let mut two = policy();
        two.identities[0].keys[0].revoked_at = Some(Timestamp::from_unix_millis(5));
        two.identities[0].keys.push(policy_key(&key(3)));
        let mut env = build::sign_policy(&two, &key(1)).unwrap().envelope;
        dsse::add_signature(&mut env, &key(3)).unwrap();
        assert!(TrustedPolicy::from_envelope_json(&serde_json::to_vec(&env).unwrap()).is_ok());
    }

    #[test]
    fn an_inconsistent_policy_is_malformed() {
        let admin = key(1);
        let malformed = |p: &Policy| {
            let r = prepare(p, &admin).unwrap_err();
            assert_eq!(r.code(), "malformed_policy", "{r}");
        };

        let mut wrong_keyid = policy();
        wrong_keyid.identities[1].keys[0].keyid = fingerprint(&key(9).verifying_key());
        malformed(&wrong_keyid);

        let mut bad_key = policy();
        bad_key.identities[1].keys[0].public_key = "00".repeat(31);
        malformed(&bad_key);

        let mut shared_key = policy();
        shared_key.identities[1].keys.push(policy_key(&admin));
        malformed(&shared_key);

        let mut twice = policy();
        let again = twice.identities[1].clone();
        twice.identities.push(again);
        malformed(&twice);

        let mut lanes = policy();
        let again = lanes.lanes[0].clone();
        lanes.lanes.push(again);
        malformed(&lanes);

        // Not canonical: the same policy, pretty-printed, validly signed.
        let pretty = serde_json::to_vec_pretty(&policy()).unwrap();
        let env = dsse::sign(POLICY_TYPE, &pretty, &admin);
        let r = TrustedPolicy::from_envelope_json(&serde_json::to_vec(&env).unwrap()).unwrap_err();
        assert_eq!(r.code(), "malformed_policy");
    }

    #[test]
    fn refusal_codes_are_distinct() {
        let d = Digest::of(b"");
        let t = Timestamp::from_unix_millis(0);
        let s = String::new;
        let all = [
            Refusal::MalformedBundle(s()),
            Refusal::MalformedPolicy(s()),
            Refusal::PolicyBadSignature,
            Refusal::PolicyMismatch {
                bundle: 0,
                trusted: 0,
                detail: s(),
            },
            Refusal::PolicyRollback { found: 0, seen: 0 },
            Refusal::PolicyExpired(t),
            Refusal::WrongPayloadType {
                role: "",
                expected: s(),
                found: s(),
            },
            Refusal::ManifestBadSignature(s()),
            Refusal::MalformedPayload {
                role: "",
                detail: s(),
            },
            Refusal::WrongLane {
                manifest: s(),
                presented: s(),
            },
            Refusal::UnknownLane(s()),
            Refusal::ScopeMismatch(s()),
            Refusal::ManifestRollback { found: 0, seen: 0 },
            Refusal::ManifestExpired(t),
            Refusal::ApprovalBadSignature { index: 0 },
            Refusal::UnknownSigner {
                index: 0,
                keyid: s(),
            },
            Refusal::RevokedKey {
                index: 0,
                name: s(),
            },
            Refusal::AgentApproval {
                index: 0,
                name: s(),
            },
            Refusal::SignerMismatch {
                index: 0,
                claimed: s(),
                actual: s(),
            },
            Refusal::RoleNotAllowed {
                index: 0,
                name: s(),
                role: s(),
            },
            Refusal::ApprovalForOtherManifest {
                index: 0,
                expected: d.clone(),
                found: d.clone(),
            },
            Refusal::ApprovalForOtherLane {
                index: 0,
                expected: s(),
                found: s(),
            },
            Refusal::DuplicateSigner { name: s() },
            Refusal::Rejected {
                name: s(),
                reason: s(),
            },
            Refusal::OwnerApprovalMissing(s()),
            Refusal::ThresholdNotMet {
                found: 0,
                needed: 0,
            },
            Refusal::ContentMismatch {
                expected: d.clone(),
                found: d,
            },
            Refusal::BadContent(s()),
        ];
        let mut codes: Vec<&str> = all.iter().map(Refusal::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }
}
