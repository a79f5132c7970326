//! Sync as the desktop app runs it: a target named in a form (or picked from those synced with
//! before), and a pass that runs on a handle of its own, so that a slow pass (a bucket far away,
//! a folder on a slow share) never holds the workspace the rest of the app is using.

use std::collections::HashMap;
use std::path::Path;

use countersign_store::Store;
use serde::Deserialize;

use super::{Progress, SyncReport, TargetSpec};
use countersign_core::model::Identity;

use crate::{ApiError, IdentityView, PassphraseSource, Result, Workspace};

/// A sync target as the app names it: a folder, an S3 bucket, or one synced with before (by the
/// name `sync_status` shows).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TargetInput {
    /// A shared folder, by its full path. It must exist.
    Folder {
        /// The folder's absolute path.
        path: String,
    },
    /// An S3-compatible bucket and prefix (credentials come from the environment, never stored).
    S3 {
        /// `s3://BUCKET/PREFIX`.
        url: String,
        /// The server's endpoint URL (`AWS_ENDPOINT_URL`, else AWS itself, when null).
        endpoint: Option<String>,
        /// The region (`AWS_REGION`, else `us-east-1`, when null).
        region: Option<String>,
    },
    /// A target this workspace has synced with, by its name (`folder:/path`,
    /// `s3://bucket/prefix@endpoint`).
    Known {
        /// Its name.
        name: String,
    },
}

/// One sync pass ready to run on its own handle of the workspace: its own connection to the
/// workspace file, the same clock, and the signing keys unlocked in the session that made it.
/// Running it takes nothing from that session, which stays free for everything else; the two
/// meet only in the database file, as two processes would.
pub struct SyncPass {
    ws: Workspace,
    target: TargetSpec,
}

impl std::fmt::Debug for SyncPass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncPass")
            .field("target", &self.target.name())
            .finish_non_exhaustive()
    }
}

impl SyncPass {
    /// The target's name (as `sync_status` lists it).
    pub fn target(&self) -> String {
        self.target.name()
    }

    /// Run the pass ([`Workspace::sync_once`]): push, then pull. The target is remembered with
    /// the pass's outcome, failed or not, so a target is added by running a first pass on it.
    /// A key that the session had not unlocked fails the pass with `passphrase_unavailable`
    /// naming its identity (when `passphrases` has none); what was pushed before stays pushed.
    pub fn run(mut self, progress: &(dyn Fn(&Progress) + Sync)) -> Result<SyncReport> {
        self.ws.sync_once(&self.target, progress)
    }
}

impl Workspace {
    /// The target an app form names. A folder must be given by its absolute path (an app has
    /// no meaningful working directory); an S3 URL is checked as `--s3` is; a known target
    /// must be one this workspace has synced with.
    pub fn sync_target_of(&self, input: &TargetInput) -> Result<TargetSpec> {
        match input {
            TargetInput::Folder { path } => {
                let path = path.trim();
                if path.is_empty() {
                    return Err(bad_target("name the folder to sync through".into()));
                }
                if !Path::new(path).is_absolute() {
                    return Err(bad_target(format!(
                        "`{path}` is not a full path; give the folder's whole path (starting with /)"
                    )));
                }
                Ok(super::folder_target(Path::new(path)))
            }
            TargetInput::S3 {
                url,
                endpoint,
                region,
            } => {
                let given = |s: &Option<String>| {
                    s.as_deref()
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                };
                super::s3_target(
                    url.trim(),
                    given(endpoint).as_deref(),
                    given(region).as_deref(),
                )
            }
            TargetInput::Known { name } => self
                .sync_targets()?
                .into_iter()
                .find(|t| t.name() == *name)
                .ok_or_else(|| {
                    bad_target(format!(
                        "this workspace has not synced with {name}; add it as a new target"
                    ))
                }),
        }
    }

    /// The identities whose keys a pass with the target `input` names will sign with, and that
    /// this session has not unlocked. Every operation already carries its maker's signature, so
    /// a pass signs its batches with one key, the pusher's (the first identity made on this
    /// replica whose key the session has unlocked, else the first made on this replica): this is
    /// at most that one identity (another only when the pusher cannot sign some batch: its key
    /// revoked, or made after the operations), and none when a key of this replica is unlocked
    /// or nothing waits to be pushed. Unlock these first and the pass runs in one go.
    pub fn sync_keys_needed(&self, input: &TargetInput) -> Result<Vec<IdentityView>> {
        let name = self.sync_target_of(input)?.name();
        let read = self.store.read();
        let replica = read.replica_id()?;
        let mut after = read.sync_target(&name)?.map_or(0, |t| t.pushed_seq);
        let pusher = super::plan::pusher(read, &replica, None, &self.unlocked)?;
        let limit = super::plan::batch_limit();
        let mut needed: Vec<Identity> = Vec::new();
        while let Some(p) = super::plan::next_batch(read, &replica, after, pusher.as_ref(), limit)?
        {
            after = p.events.last().map_or(after, |e| e.replica_seq);
            if let Some(s) = p.signer
                && !self.unlocked.contains_key(&s.id)
                && !needed.iter().any(|n| n.id == s.id)
            {
                needed.push(s);
            }
            if p.events.is_empty() {
                break;
            }
        }
        Ok(needed.into_iter().map(|i| self.identity_view(i)).collect())
    }

    /// Prepare one sync pass with the target `input` names, on a handle of its own (see
    /// [`SyncPass`]). `passphrases` answers for keys not unlocked in this session (the app's
    /// never does: it asks the person, unlocks, and tries again).
    pub fn sync_pass(
        &self,
        input: &TargetInput,
        passphrases: Box<dyn PassphraseSource>,
    ) -> Result<SyncPass> {
        let target = self.sync_target_of(input)?;
        let store = Store::open(&self.dir)?;
        let ws = Workspace {
            dir: self.dir.clone(),
            store,
            clock: self.clock.clone(),
            rng: Box::new(rand_core::OsRng),
            passphrases,
            kdf: self.kdf,
            unlocked: self
                .unlocked
                .iter()
                .map(|(id, key)| (id.clone(), key.clone()))
                .collect::<HashMap<_, _>>(),
        };
        Ok(SyncPass { ws, target })
    }
}

fn bad_target(why: String) -> ApiError {
    countersign_sync::SyncError::BadTarget(why).into()
}
