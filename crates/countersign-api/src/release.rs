//! Evidence, the trust policy, release manifests, approvals, holds and release.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use countersign_core::authority::{HumanAct, require_human};
use countersign_core::ledger::ObjectionStatus;
use countersign_core::model::{IdentityKind, Role};
use countersign_core::{Digest, Timestamp, text};
use countersign_release::build::{self, sign_approval, sign_manifest, sign_policy};
use countersign_release::stale::{Current, HoldCause, hold_causes};
use countersign_release::verify::{VerifyInput, verify_bundle};
use countersign_release::*;
use countersign_signing::dsse::{self, Envelope};
use countersign_signing::jcs;
use countersign_store::{
    ApprovalRow, EvidenceVersion, HoldRow, ManifestRow, Reader, ReleaseRow, Tx,
};
use serde::Serialize;

use crate::dto::*;
use crate::{ApiError, Result, Workspace, append, append_event, short};

const DAY: i64 = 24 * 60 * 60 * 1000;
/// How long a policy version is valid.
const POLICY_DAYS: i64 = 365;
/// The largest evidence file accepted.
pub const MAX_EVIDENCE_BYTES: u64 = 64 * 1024 * 1024;

/// Check a lane id: it names a folder under `lanes/`, so it is kept to a safe alphabet.
pub fn validate_lane_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && id.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
        });
    if ok {
        Ok(())
    } else {
        Err(ApiError::BadLaneId(id.to_owned()))
    }
}

fn parse_envelope(json: &str) -> Result<Envelope> {
    Ok(dsse::from_json(json.as_bytes())?)
}

fn envelope_json(env: &Envelope) -> String {
    serde_json::to_string(env).unwrap_or_default()
}

/// Decode a stored envelope's payload as `T` (stored envelopes were signed by us; their
/// payloads are canonical).
pub(crate) fn payload_of<T: serde::de::DeserializeOwned>(json: &str) -> Result<T> {
    let env = parse_envelope(json)?;
    Ok(jcs::from_slice(&dsse::payload_bytes(&env)?)?)
}

/// The current policy: (policy, digest, envelope JSON).
pub(crate) fn current_policy(read: Reader<'_>) -> Result<Option<(Policy, Digest, String)>> {
    match read.latest_policy()? {
        None => Ok(None),
        Some((_, digest, env)) => Ok(Some((payload_of(&env)?, digest, env))),
    }
}

fn meaning_str(m: Meaning) -> &'static str {
    m.as_str()
}

/// Write `bytes` to `path` atomically: a temporary file in the same folder, fsync, rename.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let io = |action, source| ApiError::Io {
        action,
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| io("create the folder for", e))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|e| io("write", e))
}

#[derive(Serialize)]
struct EvidenceAdded<'a> {
    evidence: &'a str,
    packet: &'a str,
    source: &'a str,
    title: &'a str,
    version: &'a EvidenceVersion,
}

/// An evidence item's id: the same on every replica for the same packet, source and title, so
/// that replicas adding the same item while apart add versions of one item.
pub(crate) fn evidence_id(packet: &str, source: &str, title: &str) -> String {
    let mut h = countersign_core::digest::FieldHasher::new("countersign/evidence/v1");
    h.str(packet).str(source).str(title);
    h.finish().hex()[..32].to_owned()
}

// Each signed envelope travels to other replicas as an object named by the digest of its JSON
// (`envelope_object`); the events name it so that sync can ship and check it.
#[derive(Serialize)]
struct PolicyIssued<'a> {
    version: u64,
    digest: &'a Digest,
    change: &'a str,
    envelope_object: Digest,
}

#[derive(Serialize)]
struct ManifestDrafted<'a> {
    digest: &'a Digest,
    packet: &'a str,
    lane: &'a str,
    version: u64,
    revision: &'a Digest,
    supersedes: Option<&'a Digest>,
    envelope_object: Digest,
}

#[derive(Serialize)]
struct ApprovalSigned<'a> {
    manifest: &'a Digest,
    signer: &'a str,
    meaning: &'a str,
    envelope_digest: Digest,
    envelope_object: Digest,
}

#[derive(Serialize)]
struct Held<'a> {
    manifest: &'a Digest,
    packet: &'a str,
    lane: &'a str,
    cause: &'a HoldCause,
}

#[derive(Serialize)]
struct Released<'a> {
    manifest: &'a Digest,
    packet: &'a str,
    lane: &'a str,
    path: &'a str,
    bundle_digest: Digest,
}

/// Record every new hold cause of every lane of `packet`, as caused by `actor`. Called in the same
/// transaction as the change that may have caused it.
pub(crate) fn refresh_holds(
    tx: &Tx<'_>,
    packet: &str,
    actor: &str,
    key: &countersign_signing::SigningKey,
    at: Timestamp,
) -> Result<()> {
    let read = tx.reader();
    for lane in read.manifest_lanes(packet)? {
        let Some(latest) = read.manifests(packet, &lane)?.pop() else {
            continue;
        };
        for cause in live_causes(read, &latest)? {
            let row = HoldRow {
                manifest: latest.digest.clone(),
                kind: cause.kind().to_owned(),
                cause: serde_json::to_string(&cause).unwrap_or_default(),
                holding: cause.holds(),
                actor: Some(actor.to_owned()),
                at,
            };
            if tx.insert_hold(&row)? {
                let payload = Held {
                    manifest: &latest.digest,
                    packet,
                    lane: &lane,
                    cause: &cause,
                };
                append(tx, actor, key, at, "release.held", &payload)?;
            }
        }
    }
    Ok(())
}

/// Every reason the manifest's approvals are stale now.
fn live_causes(read: Reader<'_>, m: &ManifestRow) -> Result<Vec<HoldCause>> {
    let manifest: Manifest = payload_of(&m.envelope)?;
    let head = read
        .head(&m.packet)?
        .ok_or_else(|| ApiError::NoRevision(m.packet.clone()))?;
    let head_content = read.blob(&head.content_digest)?;
    let bound = read.revision(m.revision.as_str())?;
    let bound_content = read.blob(&bound.content_digest)?;
    let evidence = evidence_refs(read, &m.packet)?;
    let (policy, policy_digest, _) = current_policy(read)?.ok_or(ApiError::NoPolicy)?;
    let policy_ref = PolicyRef {
        digest: policy_digest,
        version: policy.version,
    };
    let open_blocking: Vec<String> = read
        .objections(&m.packet)?
        .into_iter()
        .filter(|o| o.blocking && o.status == ObjectionStatus::Open)
        .map(|o| o.id)
        .collect();
    Ok(hold_causes(
        &manifest,
        &Current {
            head: &head.id,
            head_content: &head_content,
            bound_content: &bound_content,
            evidence: &evidence,
            lane: policy.lane(&m.lane),
            policy: &policy_ref,
            open_blocking: &open_blocking,
        },
    ))
}

fn evidence_refs(read: Reader<'_>, packet: &str) -> Result<Vec<EvidenceRef>> {
    Ok(read
        .evidence_list(packet)?
        .into_iter()
        .filter_map(|e| {
            let v = e.versions.last()?.clone();
            Some(EvidenceRef {
                id: e.id,
                source: e.source,
                title: e.title,
                digest: v.digest,
                captured_at: v.captured_at,
            })
        })
        .collect())
}

/// The role in which `who` may sign a decision (approve, reject, reviewed) on a manifest whose
/// lane requires `required_roles` and is owned by `owner`: a human holding one of those roles
/// (`roles`, as the policy lists them), or the lane's owner. The rule every path applies: the
/// local `manifest approve`, the tally, and a synced approval.
pub(crate) fn decision_role(
    who: &countersign_core::model::Identity,
    roles: &[Role],
    lane: &str,
    required_roles: &[Role],
    owner: &str,
) -> Result<Role> {
    require_human(who.kind, HumanAct::Approve)?;
    required_roles
        .iter()
        .find(|r| roles.contains(r))
        .copied()
        .or_else(|| (owner == who.id).then_some(Role::ReleaseOwner))
        .ok_or_else(|| {
            let required: Vec<_> = required_roles.iter().map(|r| r.as_str()).collect();
            ApiError::NotPermitted(format!(
                "{} holds none of the roles lane `{lane}` requires ({}) and does not own it",
                who.name,
                required.join(", ")
            ))
        })
}

/// Whether `who` may issue the policy version following `previous`: a human, holding the admin
/// role for the first version, the admin of the version it supersedes for any later one. The
/// rule every path applies: the local policy commands and a synced `policy.issued`.
pub(crate) fn may_issue_policy(
    who: &countersign_core::model::Identity,
    previous: Option<&Policy>,
) -> Result<()> {
    require_human(who.kind, HumanAct::Administer)?;
    match previous {
        None if !who.has_role(Role::Admin) => Err(ApiError::NotPermitted(format!(
            "{} does not hold the admin role",
            who.name
        ))),
        Some(p) if p.admin != who.id => Err(ApiError::NotPermitted(format!(
            "only the policy's admin may issue its next version; {} is not",
            who.name
        ))),
        _ => Ok(()),
    }
}

/// Approvals that count: distinct humans approving in an allowed role; plus whether the owner has.
struct Tally {
    approvers: Vec<String>,
    owner_approved: bool,
    rejected_by: Vec<String>,
}

/// `may_sign` says whether an approval's signer passes the approval rules ([`decision_role`]);
/// one that does not counts for nothing, however it got here.
fn tally(approvals: &[Approval], lane: &Lane, may_sign: impl Fn(&Approval) -> bool) -> Tally {
    let mut t = Tally {
        approvers: Vec::new(),
        owner_approved: false,
        rejected_by: Vec::new(),
    };
    for a in approvals.iter().filter(|a| may_sign(a)) {
        match a.meaning {
            Meaning::Approve => {
                if !t.approvers.contains(&a.signer) {
                    t.approvers.push(a.signer.clone());
                }
                t.owner_approved |= a.signer == lane.owner;
            }
            Meaning::Reject => t.rejected_by.push(a.name.clone()),
            Meaning::Reviewed => {}
        }
    }
    t
}

impl Workspace {
    /// The identity, and the key it signs with, for an optional `--as`/`--by` (default: `fallback`).
    fn actor(
        &mut self,
        given: Option<&str>,
        fallback: &str,
    ) -> Result<(
        countersign_core::model::Identity,
        countersign_signing::SigningKey,
    )> {
        let who = self.identity(given.unwrap_or(fallback))?;
        let key = self.unlock(&who)?;
        Ok((who, key))
    }

    /// Import an evidence file for a packet. Re-adding a changed file for the same source and
    /// title records a new version (the old digest stays in the history); an unchanged file
    /// changes nothing.
    pub fn evidence_add(
        &mut self,
        packet: &str,
        source: &str,
        title: Option<&str>,
        file: &Path,
        by: Option<&str>,
    ) -> Result<EvidenceView> {
        let packet = self.packet_id(packet)?;
        let source = countersign_core::model::validate_name("source", source)?;
        let default_title = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("evidence")
            .to_owned();
        let title =
            countersign_core::model::validate_name("title", title.unwrap_or(&default_title))?;
        let bytes = crate::read_limited(file, MAX_EVIDENCE_BYTES, |size| {
            ApiError::OutOfRange(format!(
                "{} is {size} bytes; evidence files are limited to {MAX_EVIDENCE_BYTES} bytes (64 MiB)",
                file.display()
            ))
        })?;
        self.evidence_add_bytes(&packet, &source, &title, &default_title, bytes, by)
    }

    /// Import evidence given as bytes (see [`Workspace::evidence_add`]).
    pub fn evidence_add_bytes(
        &mut self,
        packet: &str,
        source: &str,
        title: &str,
        file_name: &str,
        bytes: Vec<u8>,
        by: Option<&str>,
    ) -> Result<EvidenceView> {
        let packet = self.packet_id(packet)?;
        let source = countersign_core::model::validate_name("source", source)?;
        let title = countersign_core::model::validate_name("title", title)?;
        let default_title = file_name.to_owned();
        let digest = Digest::of(&bytes);
        let owner = self.store.read().packet(&packet)?.owner;
        let existing = self
            .store
            .read()
            .evidence_by_name(&packet, &source, &title)?;
        if let Some(e) = &existing
            && e.versions.last().is_some_and(|v| v.digest == digest)
        {
            return self.evidence_view(&e.id, false);
        }
        let (who, key) = self.actor(by, &owner)?;
        let at = self.clock.now();
        let id = match &existing {
            Some(e) => e.id.clone(),
            None => evidence_id(&packet, &source, &title),
        };
        let version = EvidenceVersion {
            number: existing.as_ref().map_or(1, |e| e.versions.len() as u32 + 1),
            digest,
            file_name: default_title,
            size: bytes.len() as u64,
            captured_at: at,
            added_by: who.id.clone(),
        };
        self.store.write(|tx| -> Result<()> {
            tx.insert_file(&version.digest, &bytes)?;
            if existing.is_none() {
                tx.insert_evidence(&id, &packet, &source, &title, at)?;
            }
            tx.insert_evidence_version(&id, &version)?;
            let payload = EvidenceAdded {
                evidence: &id,
                packet: &packet,
                source: &source,
                title: &title,
                version: &version,
            };
            append(tx, &who.id, &key, at, "evidence.added", &payload)?;
            refresh_holds(tx, &packet, &who.id, &key, at)
        })?;
        self.evidence_view(&id, true)
    }

    fn evidence_view(&self, id: &str, changed: bool) -> Result<EvidenceView> {
        let e = self.store.read().evidence(id)?;
        let last = e.versions.last().cloned().ok_or_else(|| {
            countersign_store::StoreError::Corrupt(format!("evidence {id} has no version"))
        })?;
        Ok(EvidenceView {
            id: e.id,
            source: e.source,
            title: e.title,
            digest: last.digest.to_string(),
            captured_at: last.captured_at,
            history: e
                .versions
                .into_iter()
                .map(|v| EvidenceVersionView {
                    number: v.number,
                    digest: v.digest.to_string(),
                    file_name: v.file_name,
                    size: v.size,
                    captured_at: v.captured_at,
                    added_by_name: self.name_of(&v.added_by),
                })
                .collect(),
            changed,
        })
    }

    /// A packet's evidence.
    pub fn evidence_list(&self, packet: &str) -> Result<Vec<EvidenceView>> {
        let packet = self.packet_id(packet)?;
        let ids: Vec<String> = self
            .store
            .read()
            .evidence_list(&packet)?
            .into_iter()
            .map(|e| e.id)
            .collect();
        ids.iter().map(|id| self.evidence_view(id, false)).collect()
    }

    /// The trust policy as it stands.
    pub fn policy_show(&self) -> Result<PolicyView> {
        let (policy, digest, _) = current_policy(self.store.read())?.ok_or(ApiError::NoPolicy)?;
        Ok(PolicyView {
            digest: digest.to_string(),
            policy,
        })
    }

    /// Write the current signed policy (the DSSE envelope) to `path`, for verifiers.
    pub fn policy_export(&self, path: &Path) -> Result<PolicyView> {
        let (policy, digest, env) = current_policy(self.store.read())?.ok_or(ApiError::NoPolicy)?;
        let pretty = serde_json::to_string_pretty(&parse_envelope(&env)?).unwrap_or(env);
        write_atomic(path, format!("{pretty}\n").as_bytes())?;
        Ok(PolicyView {
            digest: digest.to_string(),
            policy,
        })
    }

    /// Issue the first policy version, signed by `admin` (a human holding the admin role).
    pub fn policy_init(&mut self, admin: &str) -> Result<PolicyView> {
        if current_policy(self.store.read())?.is_some() {
            return Err(ApiError::ManifestState("a trust policy already exists; change it with `policy lane add` or `policy revoke`".into()));
        }
        let admin = self.identity(admin)?;
        may_issue_policy(&admin, None)?;
        self.issue_policy(&admin.id, "initialized", |_| Ok(()))
    }

    /// Add a lane (or change an existing one): a new policy version, signed by the policy's admin.
    #[allow(clippy::too_many_arguments)]
    pub fn policy_lane_add(
        &mut self,
        lane: &str,
        audience: &str,
        owner: &str,
        roles: &[Role],
        threshold: u32,
        carry_over_trivial: bool,
    ) -> Result<PolicyView> {
        validate_lane_id(lane)?;
        let audience = countersign_core::model::validate_name("audience", audience)?;
        let owner = self.identity(owner)?;
        require_human(owner.kind, HumanAct::Release)?;
        if roles.is_empty() {
            return Err(ApiError::NoRole);
        }
        if threshold == 0 || threshold > 100 {
            return Err(ApiError::OutOfRange(format!(
                "the threshold must be between 1 and 100, not {threshold}"
            )));
        }
        let (policy, _, _) = current_policy(self.store.read())?.ok_or(ApiError::NoPolicy)?;
        let mut roles = roles.to_vec();
        roles.sort();
        roles.dedup();
        let lane = Lane {
            id: lane.to_owned(),
            audience,
            owner: owner.id.clone(),
            required_roles: roles,
            threshold,
            carry_over_trivial,
        };
        let admin = policy.admin.clone();
        self.issue_policy(&admin, &format!("lane {} set", lane.id), move |p| {
            // Counted in the new version: it lists every identity of the workspace now (the
            // current version lacks those added since it was issued); revoked keys sign nothing.
            let eligible = p
                .identities
                .iter()
                .filter(|i| {
                    i.kind == IdentityKind::Human
                        && i.keys.iter().any(|k| k.revoked_at.is_none())
                        && (i.id == lane.owner
                            || i.roles.iter().any(|r| lane.required_roles.contains(r)))
                })
                .count() as u32;
            if eligible < lane.threshold {
                return Err(ApiError::OutOfRange(format!(
                    "a threshold of {} cannot be met: only {eligible} people in the policy hold a required role or own the lane",
                    lane.threshold
                )));
            }
            p.lanes.retain(|l| l.id != lane.id);
            p.lanes.push(lane);
            p.lanes.sort_by(|a, b| a.id.cmp(&b.id));
            Ok(())
        })
    }

    /// Revoke every key of an identity: a new policy version, signed by the admin `by`.
    pub fn policy_revoke(&mut self, identity: &str, by: &str) -> Result<PolicyView> {
        let (policy, _, _) = current_policy(self.store.read())?.ok_or(ApiError::NoPolicy)?;
        let by = self.identity(by)?;
        if by.id != policy.admin {
            return Err(ApiError::NotPermitted(format!(
                "only the policy's admin may revoke keys; {} is not",
                by.name
            )));
        }
        let target = self.identity(identity)?;
        if target.id == policy.admin {
            return Err(ApiError::NotPermitted(
                "the policy's admin cannot revoke their own key".into(),
            ));
        }
        let now = self.clock.now();
        let name = target.name.clone();
        self.issue_policy(&by.id, &format!("revoked {name}"), move |p| {
            let i = p
                .identities
                .iter_mut()
                .find(|i| i.id == target.id)
                .ok_or_else(|| ApiError::NotPermitted(format!("{name} is not in the policy")))?;
            // Nothing to revoke: a new version would only hold every release for no change.
            if i.keys.iter().all(|k| k.revoked_at.is_some()) {
                return Err(ApiError::NotPermitted(format!("{name} is already revoked")));
            }
            for k in &mut i.keys {
                k.revoked_at.get_or_insert(now);
            }
            Ok(())
        })
    }

    /// Make and store the next policy version: the workspace's identities (revocations kept),
    /// changed by `change`, signed by `admin`. Every packet's releases are re-examined for holds.
    fn issue_policy(
        &mut self,
        admin: &str,
        what: &str,
        change: impl FnOnce(&mut Policy) -> Result<()>,
    ) -> Result<PolicyView> {
        let admin = self.identity(admin)?;
        let previous = current_policy(self.store.read())?.map(|(p, _, _)| p);
        may_issue_policy(&admin, previous.as_ref())?;
        let key = self.unlock(&admin)?;
        let now = self.clock.now();
        let read = self.store.read();
        // A key revoked by any policy version held here stays revoked, even one that lost to a
        // concurrent version of the same number.
        let recorded = crate::sync::causal::revoked_keys(read)?;
        let identities = read
            .identities()?
            .into_iter()
            .map(|i| {
                let revoked_at = previous
                    .as_ref()
                    .and_then(|p| p.identity(&i.id))
                    .and_then(|pi| pi.keys.iter().find(|k| k.keyid == i.id))
                    .and_then(|k| k.revoked_at)
                    .or_else(|| recorded.get(&i.id).copied());
                PolicyIdentity {
                    keys: vec![PolicyKey {
                        keyid: i.id.clone(),
                        public_key: i.public_key.clone(),
                        revoked_at,
                    }],
                    id: i.id,
                    name: i.name,
                    kind: i.kind,
                    roles: i.roles,
                }
            })
            .collect::<Vec<_>>();
        let mut identities = identities;
        identities.sort_by(|a, b| a.id.cmp(&b.id));
        let mut policy = Policy {
            version: previous.as_ref().map_or(1, |p| p.version + 1),
            issued_at: now,
            expires_at: now.plus_millis(POLICY_DAYS * DAY),
            admin: admin.id.clone(),
            identities,
            lanes: previous.map(|p| p.lanes).unwrap_or_default(),
        };
        change(&mut policy)?;
        let signed = sign_policy(&policy, &key)?;
        let packets: Vec<String> = read.packets()?.into_iter().map(|p| p.id).collect();
        self.store.write(|tx| -> Result<()> {
            let envelope = envelope_json(&signed.envelope);
            tx.insert_policy(policy.version, &signed.digest, &envelope, now)?;
            let issued = append_event(
                tx,
                &admin.id,
                &key,
                now,
                "policy.issued",
                &PolicyIssued {
                    version: policy.version,
                    digest: &signed.digest,
                    change: what,
                    envelope_object: Digest::of(envelope.as_bytes()),
                },
            )?;
            crate::sync::causal::record_revocations(tx, &issued.hash, &policy)?;
            for p in &packets {
                refresh_holds(tx, p, &admin.id, &key, now)?;
            }
            Ok(())
        })?;
        Ok(PolicyView {
            digest: signed.digest.to_string(),
            policy,
        })
    }

    fn policy_lane(&self, lane: &str) -> Result<(Policy, Digest, Lane)> {
        let (policy, digest, _) = current_policy(self.store.read())?.ok_or(ApiError::NoPolicy)?;
        let l = policy
            .lane(lane)
            .cloned()
            .ok_or_else(|| ApiError::UnknownLane(lane.to_owned()))?;
        Ok((policy, digest, l))
    }

    /// Draft the next release manifest of a packet for a lane, binding its head revision, the
    /// lane and audience, the policy, the residual objections, the outdated anchors and the
    /// evidence. Refused while a blocking objection is open. Signed by `as_` (default: the
    /// packet owner).
    pub fn manifest_draft(
        &mut self,
        packet: &str,
        lane: &str,
        expires_in_days: u32,
        as_: Option<&str>,
    ) -> Result<ManifestView> {
        let packet = self.packet_id(packet)?;
        let (policy, policy_digest, l) = self.policy_lane(lane)?;
        if !(1..=365).contains(&expires_in_days) {
            return Err(ApiError::OutOfRange(format!(
                "--expires-in-days must be between 1 and 365, not {expires_in_days}"
            )));
        }
        let objections = self.objection_list(&packet, None)?;
        let blocking: Vec<String> = objections
            .iter()
            .filter(|o| o.blocking && o.status == ObjectionStatus::Open)
            .map(|o| {
                format!(
                    "  {}  \"{}\" ({}): {}",
                    short(&o.id),
                    o.quote,
                    o.raised_by_name,
                    o.body
                )
            })
            .collect();
        if !blocking.is_empty() {
            return Err(ApiError::BlockedByObjections(blocking));
        }
        let p = self.store.read().packet(&packet)?;
        let (who, key) = self.actor(as_, &p.owner)?;
        let Some(pi) = policy.identity(&who.id) else {
            return Err(ApiError::NotPermitted(format!(
                "{} is not in the trust policy",
                who.name
            )));
        };
        // A manifest signed only by a revoked key never verifies: refuse it before anyone signs.
        if pi.keys.iter().all(|k| k.revoked_at.is_some()) {
            return Err(ApiError::NotPermitted(format!(
                "{}'s key is revoked; draft as someone else (--as)",
                who.name
            )));
        }
        let head = self.revision_of(&packet, None)?;
        let previous = self.store.read().manifests(&packet, lane)?.pop();
        let previous_revision = match &previous {
            Some(prev) if prev.revision != head.id => {
                let read = self.store.read();
                let old = read.blob(&read.revision(prev.revision.as_str())?.content_digest)?;
                let new = read.blob(&head.content_digest)?;
                Some(PreviousRevision {
                    id: prev.revision.clone(),
                    change: countersign_release::stale::classify_change(&old, &new),
                })
            }
            _ => None,
        };
        let residual_objections = objections
            .iter()
            .filter_map(|o| {
                let r = o.residual.as_ref()?;
                Some(ResidualObjection {
                    id: o.id.clone(),
                    quote: o.quote.clone(),
                    body_digest: Digest::of(o.body.as_bytes()),
                    rationale_digest: Digest::of(r.rationale.as_bytes()),
                    accepted_by: r.accepted_by.clone(),
                    accepted_at: r.at,
                })
            })
            .collect();
        let mut outdated_anchors: Vec<OutdatedAnchor> = objections
            .iter()
            .filter(|o| o.anchor_state == AnchorState::Outdated)
            .map(|o| OutdatedAnchor {
                id: o.id.clone(),
                kind: "objection".into(),
                quote: o.quote.clone(),
            })
            .collect();
        outdated_anchors.extend(
            self.comment_list(&packet, None)?
                .into_iter()
                .filter(|t| t.anchor_state == AnchorState::Outdated)
                .map(|t| OutdatedAnchor {
                    id: t.id,
                    kind: "comment".into(),
                    quote: t.quote,
                }),
        );
        let now = self.clock.now();
        let manifest = Manifest {
            packet: PacketRef {
                id: p.id.clone(),
                title: p.title.clone(),
            },
            revision: RevisionRef {
                id: head.id.clone(),
                content_digest: head.content_digest.clone(),
                parents: head.parents.clone(),
            },
            lane: LaneRef {
                id: l.id.clone(),
                audience: l.audience.clone(),
            },
            policy: PolicyRef {
                digest: policy_digest,
                version: policy.version,
            },
            required_signers: RequiredSigners {
                owner: l.owner.clone(),
                roles: l.required_roles.clone(),
                threshold: l.threshold,
            },
            residual_objections,
            outdated_anchors,
            evidence: evidence_refs(self.store.read(), &packet)?,
            version: previous.as_ref().map_or(1, |m| m.version + 1),
            supersedes: previous.as_ref().map(|m| m.digest.clone()),
            previous_revision,
            release_owner: l.owner.clone(),
            created_at: now,
            expires_at: now.plus_millis(i64::from(expires_in_days) * DAY),
        };
        let signed = sign_manifest(&manifest, &key)?;
        let row = ManifestRow {
            digest: signed.digest.clone(),
            packet: packet.clone(),
            lane: l.id.clone(),
            version: manifest.version,
            revision: head.id.clone(),
            envelope: envelope_json(&signed.envelope),
            drafted_by: who.id.clone(),
            created_at: now,
        };
        self.store.write(|tx| -> Result<()> {
            tx.insert_manifest(&row)?;
            let payload = ManifestDrafted {
                digest: &row.digest,
                packet: &packet,
                lane: &row.lane,
                version: row.version,
                revision: &row.revision,
                supersedes: manifest.supersedes.as_ref(),
                envelope_object: Digest::of(row.envelope.as_bytes()),
            };
            append(tx, &who.id, &key, now, "manifest.drafted", &payload)
        })?;
        Ok(self.manifest_view(signed.digest, manifest))
    }

    fn manifest_view(&self, digest: Digest, manifest: Manifest) -> ManifestView {
        let mut names = BTreeMap::new();
        let mut add = |id: &str| {
            names
                .entry(id.to_owned())
                .or_insert_with(|| self.name_of(id));
        };
        add(&manifest.release_owner);
        for r in &manifest.residual_objections {
            add(&r.accepted_by);
        }
        ManifestView {
            digest: digest.to_string(),
            manifest,
            names,
        }
    }

    /// A manifest by digest or prefix: exactly what is signed.
    pub fn manifest_show(&self, manifest: &str) -> Result<ManifestView> {
        let read = self.store.read();
        let row = read.manifest(&read.resolve_manifest(manifest)?)?;
        Ok(self.manifest_view(row.digest.clone(), payload_of(&row.envelope)?))
    }

    /// Sign a decision on a manifest: approve, reject (with a reason) or reviewed. The signer must
    /// be a human in the policy holding a role the lane requires (or the lane's owner); the
    /// manifest must be the current one for its packet and lane, unexpired and not held.
    pub fn manifest_approve(
        &mut self,
        manifest: &str,
        as_: &str,
        meaning: Meaning,
        reason: Option<&str>,
    ) -> Result<ApprovalView> {
        let read = self.store.read();
        let row = read.manifest(&read.resolve_manifest(manifest)?)?;
        let m: Manifest = payload_of(&row.envelope)?;
        let who = self.identity(as_)?;
        require_human(who.kind, HumanAct::Approve)?;
        let reason = reason
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned);
        if meaning == Meaning::Reject && reason.is_none() {
            return Err(ApiError::ReasonRequired);
        }
        let latest = read.manifests(&row.packet, &row.lane)?.pop();
        if let Some(l) = latest.filter(|l| l.digest != row.digest) {
            return Err(ApiError::ManifestState(format!(
                "manifest v{} is superseded by v{} ({}); sign the current one",
                row.version,
                l.version,
                short(l.digest.as_str())
            )));
        }
        if read.release(&row.digest)?.is_some() {
            return Err(ApiError::ManifestState(
                "this manifest has already been released".into(),
            ));
        }
        let now = self.clock.now();
        if m.expires_at <= now {
            return Err(ApiError::ManifestState(format!(
                "this manifest expired at {}; draft a new one",
                m.expires_at
            )));
        }
        let mut holding: Vec<String> = live_causes(read, &row)?
            .iter()
            .filter(|c| c.holds())
            .map(|c| format!("  {}", c.describe()))
            .collect();
        // A recorded hold keeps holding after its cause is gone (the status says `held` and
        // `release` refuses): signing such a manifest would be an approval that can never count.
        for h in read.holds(&row.digest)?.into_iter().filter(|h| h.holding) {
            let line = format!(
                "  {}",
                serde_json::from_str::<HoldCause>(&h.cause).map_or(h.kind, |c| c.describe())
            );
            if !holding.contains(&line) {
                holding.push(line);
            }
        }
        if !holding.is_empty() {
            return Err(ApiError::Held(holding));
        }
        let (policy, _, lane) = self.policy_lane(&row.lane)?;
        let pi = policy.identity(&who.id).ok_or_else(|| {
            ApiError::NotPermitted(format!("{} is not in the trust policy", who.name))
        })?;
        if pi.keys.iter().all(|k| k.revoked_at.is_some()) {
            return Err(ApiError::NotPermitted(format!(
                "{}'s key is revoked",
                who.name
            )));
        }
        let role = decision_role(&who, &pi.roles, &lane.id, &lane.required_roles, &lane.owner)?;
        if self
            .store
            .read()
            .approvals(&row.digest)?
            .iter()
            .any(|a| a.signer == who.id)
        {
            return Err(ApiError::ManifestState(format!(
                "{} has already signed this manifest",
                who.name
            )));
        }
        let key = self.unlock(&who)?;
        let approval = Approval {
            manifest: row.digest.clone(),
            lane: row.lane.clone(),
            signer: who.id.clone(),
            name: who.name.clone(),
            role,
            meaning,
            reason,
            signed_at: now,
        };
        let signed = sign_approval(&approval, &key)?;
        let arow = ApprovalRow {
            manifest: row.digest.clone(),
            signer: who.id.clone(),
            meaning: meaning_str(meaning).to_owned(),
            envelope: envelope_json(&signed.envelope),
            signed_at: now,
        };
        self.store.write(|tx| -> Result<()> {
            tx.insert_approval(&arow)?;
            let payload = ApprovalSigned {
                manifest: &row.digest,
                signer: &who.id,
                meaning: meaning_str(meaning),
                envelope_digest: signed.digest.clone(),
                envelope_object: Digest::of(arow.envelope.as_bytes()),
            };
            append(
                tx,
                &who.id,
                &key,
                now,
                &format!("manifest.{}", meaning_str(meaning)),
                &payload,
            )
        })?;
        Ok(self.approval_view(&approval, row.version))
    }

    fn approval_view(&self, a: &Approval, version: u64) -> ApprovalView {
        ApprovalView {
            signer: a.signer.clone(),
            name: a.name.clone(),
            role: a.role.as_str().to_owned(),
            meaning: a.meaning.as_str().to_owned(),
            reason: a.reason.clone(),
            signed_at: a.signed_at,
            manifest: a.manifest.to_string(),
            manifest_version: version,
        }
    }

    /// Where a packet's release in a lane stands: the current manifest, approvals present and
    /// missing, stale approvals, holds and their causes.
    pub fn manifest_status(&self, packet: &str, lane: &str) -> Result<StatusView> {
        let packet = self.packet_id(packet)?;
        validate_lane_id(lane)?;
        let read = self.store.read();
        let mut manifests = read.manifests(&packet, lane)?;
        let Some(current) = manifests.pop() else {
            return Ok(StatusView {
                state: "drafting".into(),
                packet,
                lane: lane.to_owned(),
                manifest: None,
                approvals: Vec::new(),
                missing: None,
                stale: Vec::new(),
                holds: Vec::new(),
                released_to: None,
            });
        };
        let manifest: Manifest = payload_of(&current.envelope)?;
        let approvals: Vec<Approval> = read
            .approvals(&current.digest)?
            .iter()
            .map(|a| payload_of(&a.envelope))
            .collect::<Result<_>>()?;
        let mut stale = Vec::new();
        for old in &manifests {
            for a in read.approvals(&old.digest)? {
                stale.push(self.approval_view(&payload_of(&a.envelope)?, old.version));
            }
        }
        let mut holds: Vec<HoldView> = Vec::new();
        for h in read.holds(&current.digest)? {
            let cause: Option<HoldCause> = serde_json::from_str(&h.cause).ok();
            holds.push(HoldView {
                kind: h.kind,
                description: cause.as_ref().map_or_else(String::new, HoldCause::describe),
                holding: h.holding,
                cause: serde_json::from_str(&h.cause).unwrap_or(serde_json::Value::Null),
                actor_name: h.actor.as_deref().map(|a| self.name_of(a)),
                at: Some(h.at),
            });
        }
        for c in live_causes(read, &current)? {
            let json = serde_json::to_value(&c).unwrap_or(serde_json::Value::Null);
            if !holds.iter().any(|h| h.cause == json) {
                holds.push(HoldView {
                    kind: c.kind().into(),
                    description: c.describe(),
                    holding: c.holds(),
                    cause: json,
                    actor_name: None,
                    at: None,
                });
            }
        }
        let release = read.release(&current.digest)?;
        let policy_lane =
            current_policy(read)?.and_then(|(p, _, _)| p.lane(lane).cloned().map(|l| (p, l)));
        // A signature by a revoked key counts for nothing, whichever policy version stands here
        // and whenever it was made (one made concurrently with the revocation is listed as a
        // `revoked_concurrently` conflict by `sync status`).
        let revoked = crate::sync::causal::revoked_keys(read)?;
        let counted: Vec<Approval> = approvals
            .iter()
            .filter(|a| !revoked.contains_key(&a.signer))
            .cloned()
            .collect();
        // Only a signer the approval rules admit counts (whatever path the approval came by).
        let t = policy_lane.as_ref().map(|(p, l)| {
            tally(&counted, l, |a| {
                let Ok(who) = read.identity(&a.signer) else {
                    return false;
                };
                let Some(pi) = p.identity(&a.signer) else {
                    return false;
                };
                decision_role(&who, &pi.roles, &l.id, &l.required_roles, &l.owner).is_ok()
            })
        });
        let missing = policy_lane
            .as_ref()
            .zip(t.as_ref())
            .map(|((p, l), t)| MissingView {
                owner: (!t.owner_approved).then(|| self.name_of(&l.owner)),
                more_approvals: l.threshold.saturating_sub(t.approvers.len() as u32),
                roles: l
                    .required_roles
                    .iter()
                    .map(|r| r.as_str().to_owned())
                    .collect(),
                eligible: p
                    .identities
                    .iter()
                    .filter(|i| i.kind == IdentityKind::Human && !t.approvers.contains(&i.id))
                    .filter(|i| {
                        i.id == l.owner || i.roles.iter().any(|r| l.required_roles.contains(r))
                    })
                    .filter(|i| {
                        i.keys.iter().any(|k| k.revoked_at.is_none())
                            && !revoked.contains_key(&i.id)
                    })
                    .map(|i| i.name.clone())
                    .collect(),
            });
        let held = holds.iter().any(|h| h.holding) || manifest.expires_at <= self.clock.now();
        let complete = t
            .as_ref()
            .zip(policy_lane.as_ref())
            .is_some_and(|(t, (_, l))| {
                t.owner_approved
                    && t.approvers.len() as u32 >= l.threshold
                    && t.rejected_by.is_empty()
            });
        let state = if held {
            "held"
        } else if release.is_some() {
            "released"
        } else if complete {
            "approved"
        } else {
            "awaiting_approval"
        };
        Ok(StatusView {
            state: state.into(),
            packet,
            lane: lane.to_owned(),
            approvals: approvals
                .iter()
                .map(|a| self.approval_view(a, current.version))
                .collect(),
            manifest: Some(self.manifest_view(current.digest.clone(), manifest)),
            missing,
            stale,
            holds,
            released_to: release.map(|r| r.path),
        })
    }

    /// Release the approved current manifest to its lane: the bundle (manifest, approvals,
    /// policy) is verified exactly as an intake lane would, then written atomically into the
    /// lane's outbox `<workspace>/lanes/<lane>/`. Returns the bundle's path.
    pub fn release(&mut self, packet: &str, lane: &str, as_: Option<&str>) -> Result<PathBuf> {
        let packet = self.packet_id(packet)?;
        let status = self.manifest_status(&packet, lane)?;
        match status.state.as_str() {
            "approved" => {}
            "drafting" => {
                return Err(ApiError::ManifestState(format!(
                    "there is no manifest for lane `{lane}`; draft one first"
                )));
            }
            "released" => {
                return Err(ApiError::ManifestState(format!(
                    "this manifest was already released to {}",
                    status.released_to.unwrap_or_default()
                )));
            }
            "held" => {
                return Err(ApiError::Held(
                    status
                        .holds
                        .iter()
                        .filter(|h| h.holding)
                        .map(|h| format!("  {}", h.description))
                        .collect(),
                ));
            }
            _ => {
                let m = status.missing.as_ref();
                let mut why = Vec::new();
                if let Some(owner) = m.and_then(|m| m.owner.clone()) {
                    why.push(format!("the release owner ({owner}) has not approved"));
                }
                if let Some(n) = m.map(|m| m.more_approvals).filter(|n| *n > 0) {
                    why.push(format!("{n} more approval(s) needed"));
                }
                let rejected: Vec<_> = status
                    .approvals
                    .iter()
                    .filter(|a| a.meaning == "reject")
                    .map(|a| a.name.clone())
                    .collect();
                if !rejected.is_empty() {
                    why.push(format!("rejected by {}", rejected.join(", ")));
                }
                return Err(ApiError::ManifestState(format!(
                    "the manifest is not approved: {}",
                    why.join("; ")
                )));
            }
        }
        let (_, _, l) = self.policy_lane(lane)?;
        let (who, key) = self.actor(as_, &l.owner)?;
        require_human(who.kind, HumanAct::Release)?;
        let read = self.store.read();
        let current = read
            .manifests(&packet, lane)?
            .pop()
            .ok_or_else(|| ApiError::ManifestState("no manifest".into()))?;
        // Signatures by revoked keys count for nothing (the status did not count them either).
        let revoked = crate::sync::causal::revoked_keys(read)?;
        let approvals = read
            .approvals(&current.digest)?
            .iter()
            .filter(|a| !revoked.contains_key(&a.signer))
            .map(|a| parse_envelope(&a.envelope))
            .collect::<Result<Vec<_>>>()?;
        let (_, _, policy_env) = current_policy(read)?.ok_or(ApiError::NoPolicy)?;
        let bundle = build::bundle(
            parse_envelope(&current.envelope)?,
            approvals,
            parse_envelope(&policy_env)?,
        );
        let mut bytes = serde_json::to_vec_pretty(&bundle)
            .map_err(|e| ApiError::ManifestState(e.to_string()))?;
        bytes.push(b'\n');
        let content = read.blob(&read.revision(current.revision.as_str())?.content_digest)?;
        let now = self.clock.now();
        verify_bundle(&VerifyInput {
            bundle: &bytes,
            lane,
            policy: policy_env.as_bytes(),
            content: Some(content.as_bytes()),
            state: None,
            now,
        })
        .map_err(ApiError::Verify)?;
        let path = self.dir.join("lanes").join(lane).join(format!(
            "{}-v{}.bundle.json",
            short(&packet),
            current.version
        ));
        write_atomic(&path, &bytes)?;
        let path_text = path.display().to_string();
        let release = ReleaseRow {
            manifest: current.digest.clone(),
            path: path_text.clone(),
            bundle: String::from_utf8_lossy(&bytes).into_owned(),
            actor: who.id.clone(),
            at: now,
        };
        self.store.write(|tx| -> Result<()> {
            tx.insert_release(&release)?;
            let payload = Released {
                manifest: &current.digest,
                packet: &packet,
                lane,
                path: &path_text,
                bundle_digest: Digest::of(&bytes),
            };
            append(tx, &who.id, &key, now, "release.released", &payload)
        })?;
        Ok(path)
    }
}

/// Verify a bundle file offline: no workspace, no network. `state_dir` keeps the highest versions
/// seen (rollback protection) in `verify-state.json`, updated only when the bundle verifies.
pub fn verify_files(
    bundle: &Path,
    lane: &str,
    policy: &Path,
    content: Option<&Path>,
    state_dir: Option<&Path>,
    now: Timestamp,
) -> Result<VerifyReport> {
    let read = |p: &Path, limit: u64| {
        crate::read_limited(p, limit, |size| {
            ApiError::OutOfRange(format!(
                "{} is {size} bytes; the limit is {limit} bytes",
                p.display()
            ))
        })
    };
    let bundle_bytes = read(bundle, MAX_EVIDENCE_BYTES)?;
    let policy_bytes = read(policy, MAX_EVIDENCE_BYTES)?;
    let content_bytes = content
        .map(|c| read(c, text::MAX_CONTENT_BYTES as u64))
        .transpose()?;
    let state_path = state_dir.map(|d| d.join("verify-state.json"));
    let state: Option<VerifyState> = match &state_path {
        Some(p) if p.exists() => {
            let bytes = read(p, 16 * 1024 * 1024)?;
            Some(serde_json::from_slice(&bytes).map_err(|e| {
                ApiError::OutOfRange(format!("{} is not a verify state file: {e}", p.display()))
            })?)
        }
        _ => None,
    };
    let (report, new_state) = verify_bytes(
        &bundle_bytes,
        lane,
        &policy_bytes,
        content_bytes.as_deref(),
        state.as_ref(),
        now,
    )?;
    if let Some(p) = &state_path {
        let mut json = serde_json::to_vec_pretty(&new_state).unwrap_or_default();
        json.push(b'\n');
        write_atomic(p, &json)?;
    }
    Ok(report)
}

/// Verify bundle bytes against policy bytes; returns the report and the state to remember.
pub(crate) fn verify_bytes(
    bundle: &[u8],
    lane: &str,
    policy: &[u8],
    content: Option<&[u8]>,
    state: Option<&VerifyState>,
    now: Timestamp,
) -> Result<(VerifyReport, VerifyState)> {
    let verified = verify_bundle(&VerifyInput {
        bundle,
        lane,
        policy,
        content,
        state,
        now,
    })
    .map_err(ApiError::Verify)?;
    let m = &verified.manifest;
    let report = VerifyReport {
        ok: true,
        manifest: verified.manifest_digest.to_string(),
        packet: m.packet.id.clone(),
        title: m.packet.title.clone(),
        revision: m.revision.id.to_string(),
        lane: m.lane.id.clone(),
        audience: m.lane.audience.clone(),
        version: m.version,
        signers: verified.signers.clone(),
        residual_objections: m.residual_objections.len(),
        evidence: m.evidence.len(),
    };
    Ok((report, verified.state))
}
