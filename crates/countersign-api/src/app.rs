//! Use cases the desktop app needs beyond the command line's: unlocking an identity once per
//! session, each packet's state at a glance, a redline between revisions, verifying a bundle
//! given as bytes, and the change feed that drives live updates.

use countersign_core::ledger::ObjectionStatus;
use countersign_core::redline::{self, Segment};
use countersign_signing::Passphrase;
use countersign_store::IdKind;
use serde::Serialize;

use crate::dto::VerifyReport;
use crate::{ApiError, Result, Workspace};

/// Where a packet stands, for the home screen.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct PacketState {
    /// The packet.
    pub packet: crate::dto::PacketView,
    /// drafting | in_review | awaiting_approval | held | approved | released.
    pub state: String,
    /// The lane that state is for, if a manifest exists.
    pub lane: Option<String>,
}

/// A word-level redline between two revisions of one packet.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Redline {
    /// The older revision.
    pub from: crate::dto::RevisionView,
    /// The newer revision.
    pub to: crate::dto::RevisionView,
    /// `trivial` (whitespace and punctuation only) or `material`.
    pub change: String,
    /// Equal, inserted and deleted runs, in order.
    pub segments: Vec<Segment>,
}

/// One change recorded in the workspace (from its audit log).
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ChangeView {
    /// Position in the audit log.
    pub seq: u64,
    /// What happened (`objection.accepted_residual`, `manifest.approve`, `release.held`, …).
    pub kind: String,
    /// Who did it.
    pub actor_name: Option<String>,
    /// When.
    pub at: countersign_core::Timestamp,
    /// The packet concerned, when there is one.
    pub packet: Option<String>,
}

/// A comment thread or objection just made on wording.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Created {
    /// Its id.
    pub id: String,
    /// How many times the quoted wording occurs in the revision.
    pub occurrences: usize,
}

impl From<(String, usize)> for Created {
    fn from((id, occurrences): (String, usize)) -> Created {
        Created { id, occurrences }
    }
}

/// What the app shows about the open workspace.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct WorkspaceInfo {
    /// The workspace directory.
    pub dir: String,
    /// Its id.
    pub id: String,
    /// Identities whose keys are unlocked in this session.
    pub unlocked: Vec<String>,
}

fn packet_of(payload: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(payload).ok()?;
    let direct = ["packet"]
        .iter()
        .find_map(|k| v.get(k).and_then(|p| p.as_str()).map(str::to_owned));
    direct.or_else(|| {
        v.get("revision")
            .and_then(|r| r.get("packet"))
            .and_then(|p| p.as_str())
            .map(str::to_owned)
    })
}

impl Workspace {
    /// Unlock an identity's key with its passphrase for the rest of this session. A wrong
    /// passphrase is refused (`wrong_passphrase`) and nothing is kept.
    pub fn identity_unlock(&mut self, identity: &str, passphrase: &str) -> Result<()> {
        let who = self.identity(identity)?;
        let sealed_json = self.store.read().sealed_key(&who.id)?;
        let sealed: countersign_signing::SealedKey =
            serde_json::from_str(&sealed_json).map_err(|e| {
                countersign_store::StoreError::Corrupt(format!("sealed key of {}: {e}", who.id))
            })?;
        let key = countersign_signing::unseal(&sealed, &Passphrase::new(passphrase.to_owned()))?;
        self.unlocked.insert(who.id, key);
        Ok(())
    }

    /// Forget every unlocked key.
    pub fn lock_all(&mut self) {
        self.unlocked.clear();
    }

    /// The workspace directory, id and unlocked identities.
    pub fn workspace_info(&self) -> Result<WorkspaceInfo> {
        let mut unlocked: Vec<String> = self.unlocked.keys().cloned().collect();
        unlocked.sort();
        Ok(WorkspaceInfo {
            dir: self.dir.display().to_string(),
            id: self.workspace_id()?,
            unlocked,
        })
    }

    /// Every packet with its state at a glance.
    pub fn packet_states(&self) -> Result<Vec<PacketState>> {
        let mut out = Vec::new();
        for packet in self.packet_list()? {
            let lanes = self.store.read().manifest_lanes(&packet.id)?;
            let mut state = None;
            for lane in &lanes {
                let st = self.manifest_status(&packet.id, lane)?;
                // The most urgent lane speaks for the packet.
                let rank = |s: &str| match s {
                    "held" => 0,
                    "awaiting_approval" => 1,
                    "approved" => 2,
                    _ => 3,
                };
                if state
                    .as_ref()
                    .is_none_or(|(s, _): &(String, String)| rank(&st.state) < rank(s))
                {
                    state = Some((st.state, lane.clone()));
                }
            }
            let (state, lane) = match state {
                Some((s, l)) => (s, Some(l)),
                None => {
                    let read = self.store.read();
                    let open = read
                        .objections(&packet.id)?
                        .iter()
                        .any(|o| o.status == ObjectionStatus::Open)
                        || read.threads(&packet.id)?.iter().any(|t| !t.resolved);
                    (
                        (if open { "in_review" } else { "drafting" }).to_owned(),
                        None,
                    )
                }
            };
            out.push(PacketState {
                packet,
                state,
                lane,
            });
        }
        Ok(out)
    }

    /// A word-level redline from one revision to another of the same packet.
    pub fn packet_compare(&self, packet: &str, from: &str, to: &str) -> Result<Redline> {
        let packet = self.packet_id(packet)?;
        let a = self.revision_of(&packet, Some(from))?;
        let b = self.revision_of(&packet, Some(to))?;
        let read = self.store.read();
        let (old, new) = (read.blob(&a.content_digest)?, read.blob(&b.content_digest)?);
        Ok(Redline {
            change: (if redline::is_trivial_change(&old, &new) {
                "trivial"
            } else {
                "material"
            })
            .to_owned(),
            segments: redline::redline(&old, &new),
            from: self.revision_view(&a)?,
            to: self.revision_view(&b)?,
        })
    }

    /// Verify bundle bytes (a file the user picked) against the workspace's current policy, or
    /// against `policy` bytes when given; optionally against `content`.
    pub fn verify_bundle_bytes(
        &self,
        bundle: &[u8],
        lane: &str,
        policy: Option<&[u8]>,
        content: Option<&[u8]>,
    ) -> Result<VerifyReport> {
        let stored;
        let policy = match policy {
            Some(p) => p,
            None => {
                stored = self
                    .store
                    .read()
                    .latest_policy()?
                    .ok_or(ApiError::NoPolicy)?
                    .2;
                stored.as_bytes()
            }
        };
        crate::release::verify_bytes(bundle, lane, policy, content, None, self.clock.now())
            .map(|(r, _)| r)
    }

    /// The newest change's position in the audit log (0 when empty).
    pub fn last_change(&self) -> Result<u64> {
        Ok(self.store.read().event_count()?)
    }

    /// Changes after `seq`, oldest first (at most `limit`).
    pub fn changes_since(&self, seq: u64, limit: usize) -> Result<Vec<ChangeView>> {
        let events = self.store.read().events_after(seq, limit)?;
        Ok(events
            .into_iter()
            .map(|e| ChangeView {
                seq: e.seq,
                packet: packet_of(&e.payload),
                actor_name: e.actor.as_deref().map(|a| self.name_of(a)),
                kind: e.kind,
                at: e.at,
            })
            .collect())
    }

    /// Resolve any packet id prefix to the full id (for the app's routes).
    pub fn packet_full_id(&self, given: &str) -> Result<String> {
        self.resolve(IdKind::Packet, given)
    }
}
