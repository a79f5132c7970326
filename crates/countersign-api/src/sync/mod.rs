//! Sync: replicas of one workspace meet through a shared folder or an S3-compatible bucket.
//!
//! The operations are the audit events, each signed by the identity that made it. A pass pushes
//! this replica's events that the target lacks, as op batches signed with one key, the pusher's
//! (`plan`), with the objects they need and their causal context (what this replica had applied
//! of the others when it made them); then pulls every other replica's new batches, checks them
//! (format, hashes, links, clocks, the batch's signature by a registered key, every event's own
//! signature by its maker's registered key), waits until it holds everything a batch's causal
//! context names, and applies their events in the order every replica applies them: Lamport
//! clock, then replica id, then position. An event that does not verify or cannot apply is never
//! applied: its batch is quarantined and reported, its replica's later events wait behind it,
//! and everything else goes on.
//!
//! An event signed with a revoked key is judged by its causal past, the same on every replica
//! (`causal`): made after its replica had applied the revocation, it is refused (at its origin
//! when made, quarantined everywhere else); made concurrently with it, it is applied everywhere
//! and listed as a `revoked_concurrently` conflict for review.
//!
//! See `ARCHITECTURE.md` (Sync) for the layout, the batch format and the conflict rules.

mod app;
mod apply;
pub(crate) mod causal;
mod digest;
mod plan;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use countersign_core::Digest;
use countersign_core::audit::Event;
use countersign_store::{Store, SyncObjectRow};
use countersign_sync::{
    Batch, CreateOnly, LogObject, ObjectProblem, ObjectRef, PutLog, Remote, Waiter, Wake,
};
pub use countersign_sync::{Phase, Progress, S3Spec, TargetSpec, TransferOptions};
use serde::Serialize;

use crate::{ApiError, Deps, Result, Timestamp, Workspace};

pub use app::{SyncPass, TargetInput};

/// Numbers moved in one direction.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize, specta::Type,
)]
pub struct Moved {
    /// Operations (audit events).
    pub ops: u64,
    /// Op batches.
    pub batches: u64,
    /// Objects (revision contents, evidence files, envelopes, bundles).
    pub objects: u64,
    /// Bytes of batches and objects.
    pub bytes: u64,
}

/// Something at a target that is not applied: quarantined, or waiting for what it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct HeldBackView {
    /// Its path at the target (`logs/<replica>/<n>`, `objects/<hex>`).
    pub object: String,
    /// The replica that wrote it, for a batch.
    pub replica: Option<String>,
    /// Why.
    pub reason: String,
    /// Since when (the pass that found it).
    pub since: Timestamp,
}

/// A packet whose concurrent revisions left several heads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct DivergedView {
    /// The packet.
    pub packet: String,
    /// Its title.
    pub title: String,
    /// Its owner (the one identity who resolves it).
    pub owner: String,
    /// Its owner's printed name.
    pub owner_name: String,
    /// Its heads, oldest first.
    pub heads: Vec<String>,
}

/// A conflict surfaced by merging: kept, never dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct ConflictView {
    /// `ledger` (an objection moved on two replicas at once), `manifest_version`, …
    pub kind: String,
    /// What it concerns (an objection, a packet, a manifest).
    pub subject: String,
    /// In words.
    pub detail: String,
    /// When.
    pub at: Timestamp,
}

/// What one pass did.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct SyncReport {
    /// The target's name.
    pub target: String,
    /// Whether the target honours create-only puts (`honoured`, `ignored`, `unsupported`).
    pub create_only: String,
    /// Pushed: this replica's operations and the objects they need.
    pub pushed: Moved,
    /// Pulled and applied: other replicas' operations and objects.
    pub pulled: Moved,
    /// Batches and objects at the target that are quarantined (they never apply).
    pub quarantined: Vec<HeldBackView>,
    /// Batches waiting for something (an object not arrived yet, an earlier batch).
    pub waiting: Vec<HeldBackView>,
    /// Operations kept in the log that this version could not apply (unknown kinds).
    pub kept: Vec<String>,
    /// This replica's operations not yet at the target.
    pub pending_ops: u64,
    /// Packets that have diverged.
    pub diverged: Vec<DivergedView>,
    /// Conflicts surfaced so far.
    pub conflicts: Vec<ConflictView>,
    /// The workspace's state digest after the pass.
    pub state_digest: String,
}

/// One target as `sync status` shows it.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct SyncTargetView {
    /// Its name.
    pub target: String,
    /// Whether it honours create-only puts.
    pub create_only: Option<String>,
    /// When the last pass ended.
    pub last_pass_at: Option<Timestamp>,
    /// What the last pass moved.
    pub last_pushed: Option<Moved>,
    /// What the last pass moved.
    pub last_pulled: Option<Moved>,
    /// The last pass's error, if it failed.
    pub last_error: Option<String>,
    /// The last error's stable code (`target_offline`, `passphrase_unavailable`, …), when known.
    pub last_error_code: Option<String>,
    /// This replica's operations not yet pushed there.
    pub pending_ops: u64,
    /// Quarantined there.
    pub quarantined: Vec<HeldBackView>,
    /// Waiting there.
    pub waiting: Vec<HeldBackView>,
}

/// Where sync stands.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct SyncStatusView {
    /// The workspace.
    pub workspace: String,
    /// This replica.
    pub replica: String,
    /// Other replicas whose operations this one holds, with how many.
    pub replicas: BTreeMap<String, u64>,
    /// This replica's operations.
    pub local_ops: u64,
    /// Every target synced with.
    pub targets: Vec<SyncTargetView>,
    /// Packets that have diverged.
    pub diverged: Vec<DivergedView>,
    /// Conflicts surfaced by merging.
    pub conflicts: Vec<ConflictView>,
    /// The state digest.
    pub state_digest: String,
}

#[derive(Serialize, serde::Deserialize)]
struct PassSummary {
    pushed: Moved,
    pulled: Moved,
    error: Option<String>,
    /// Absent from passes recorded before codes were kept.
    #[serde(default)]
    code: Option<String>,
}

/// Record the revocations of the policy versions a workspace held before revocations were
/// recorded (once, when it is opened).
pub(crate) fn record_held_revocations(tx: &countersign_store::Tx<'_>) -> Result<()> {
    causal::backfill(tx)
}

/// A progress callback that does nothing.
pub fn no_progress(_: &Progress) {}

/// Make Ctrl-C set `stop` (for [`Workspace::sync_watch`]) instead of ending the process at once.
pub fn stop_on_interrupt() -> Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    countersign_sync::stop_on_interrupt(stop.clone())?;
    Ok(stop)
}

/// A folder target.
pub fn folder_target(dir: &Path) -> TargetSpec {
    TargetSpec::folder(dir)
}

/// An S3 target: `s3://BUCKET/PREFIX` at `endpoint` (else `AWS_ENDPOINT_URL`), in `region`
/// (else `AWS_REGION`, else `us-east-1`).
pub fn s3_target(url: &str, endpoint: Option<&str>, region: Option<&str>) -> Result<TargetSpec> {
    Ok(TargetSpec::S3(S3Spec::parse(url, endpoint, region)?))
}

/// Make a new replica, in the empty (or missing) directory `dir`, of the workspace kept at
/// `target`: it pulls everything there. The new replica then adds its own identities.
pub fn join(
    dir: &Path,
    target: &TargetSpec,
    deps: Deps,
    progress: &(dyn Fn(&Progress) + Sync),
) -> Result<(Workspace, SyncReport)> {
    if let Ok(mut entries) = std::fs::read_dir(dir)
        && entries.next().is_some()
    {
        return Err(ApiError::NotEmpty(dir.to_path_buf()));
    }
    let remote = Remote::open(target, TransferOptions::from_env())?;
    let Some(marker) = remote.read_marker()? else {
        return Err(ApiError::NotPermitted(format!(
            "there is no Countersign workspace at {}; push one there first with `countersign sync` from a workspace",
            target.name()
        )));
    };
    drop(remote);
    std::fs::create_dir_all(dir).map_err(|source| ApiError::Io {
        action: "create the directory",
        path: dir.to_path_buf(),
        source,
    })?;
    let store = Store::create(dir)?;
    let mut ws = Workspace::with(dir, store, deps);
    let replica = ws.new_id();
    let at = ws.clock.now();
    ws.store.write(|tx| -> Result<()> {
        tx.set_meta("workspace_id", &marker.workspace)?;
        tx.set_meta("replica_id", &replica)?;
        tx.set_meta("created_at", &at.to_string())?;
        tx.set_meta("joined_from", &target.name())?;
        // The one genesis this replica accepts (see `apply::genesis`).
        if let Some(g) = &marker.genesis {
            tx.set_meta("genesis", g)?;
        }
        Ok(())
    })?;
    let report = ws.sync_once(target, progress)?;
    Ok((ws, report))
}

/// One batch fetched in a pull, and what became of it.
struct Fetched {
    log: LogObject,
    batch: Batch,
    /// The events this workspace does not hold yet.
    new: Vec<Event>,
    state: BatchState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum BatchState {
    Unchecked,
    Verified,
    Quarantined(String),
    Waiting(String),
}

impl Workspace {
    /// This replica's id.
    pub fn replica_id(&self) -> Result<String> {
        Ok(self.store.read().replica_id()?)
    }

    /// One pass with `target`: push this replica's new operations, then pull and apply every
    /// other replica's. Nothing that fails to verify is applied or makes the pass fail; it is
    /// reported. A target that cannot be reached fails the pass and keeps the operations queued.
    /// The batches pushed are signed by the default pusher (see [`Workspace::sync_once_as`]).
    pub fn sync_once(
        &mut self,
        target: &TargetSpec,
        progress: &(dyn Fn(&Progress) + Sync),
    ) -> Result<SyncReport> {
        self.sync_once_as(target, None, progress)
    }

    /// [`Workspace::sync_once`], the batches pushed signed by `as_` (an identity made on this
    /// replica, not revoked), or when `None` by the default pusher: the first identity made on
    /// this replica whose key this session has unlocked, else the first made on this replica
    /// (identities revoked here passed over). Every operation inside carries its own maker's
    /// signature, so a pass unlocks this one key.
    pub fn sync_once_as(
        &mut self,
        target: &TargetSpec,
        as_: Option<&str>,
        progress: &(dyn Fn(&Progress) + Sync),
    ) -> Result<SyncReport> {
        let name = target.name();
        let result = self.pass(target, &name, as_, progress);
        let at = self.clock.now();
        let summary = match &result {
            Ok(r) => PassSummary {
                pushed: r.pushed,
                pulled: r.pulled,
                error: None,
                code: None,
            },
            Err(e) => PassSummary {
                pushed: Moved::default(),
                pulled: Moved::default(),
                error: Some(e.to_string()),
                code: Some(e.code().to_owned()),
            },
        };
        let json = serde_json::to_string(&summary).unwrap_or_default();
        let spec = serde_json::to_string(target).unwrap_or_default();
        self.store.write(|tx| -> Result<()> {
            tx.upsert_sync_target(&name, &spec)?;
            tx.set_last_pass(&name, at, &json)?;
            Ok(())
        })?;
        let mut report = result?;
        report.pending_ops = self.pending_ops(&name)?;
        report.state_digest = self.state_digest()?;
        Ok(report)
    }

    fn pass(
        &mut self,
        target: &TargetSpec,
        name: &str,
        as_: Option<&str>,
        progress: &(dyn Fn(&Progress) + Sync),
    ) -> Result<SyncReport> {
        let legacy = self.store.read().legacy_event_count()?;
        if legacy > 0 {
            return Err(ApiError::NotPermitted(format!(
                "this workspace holds {legacy} events written before sync existed (schema 2); they carry no replica or clock and cannot be shared. Make a new workspace and sync that"
            )));
        }
        let mut remote = Remote::open(target, TransferOptions::from_env())?;
        let workspace = self.workspace_id()?;
        let replica = self.replica_id()?;
        let spec = serde_json::to_string(target).unwrap_or_default();
        self.store
            .write(|tx| -> Result<()> { Ok(tx.upsert_sync_target(name, &spec)?) })?;
        // Probe once per target whether it honours create-only puts (and say so in status).
        let row = self.store.read().sync_target(name)?;
        let create_only = match row.and_then(|r| r.create_only) {
            Some(c) => c,
            None => {
                let nonce = self.new_id();
                let verdict = remote.probe_create_only(&replica, &nonce);
                if let CreateOnly::Unsupported(why) = &verdict {
                    eprintln!(
                        "note: {name} does not take create-only puts ({why}); plain puts are used (every object has one writer)"
                    );
                }
                let v = verdict.as_str().to_owned();
                self.store
                    .write(|tx| -> Result<()> { Ok(tx.set_create_only(name, &v)?) })?;
                v
            }
        };
        remote.use_create_only(create_only == "honoured");
        let genesis = self.store.read().genesis_hash()?;
        match remote.read_marker()? {
            Some(m) if m.workspace != workspace => {
                return Err(countersign_sync::SyncError::Foreign(format!(
                    "{name} holds workspace {}, not this one ({workspace}); choose another folder or prefix, or `countersign join` it into an empty directory",
                    m.workspace
                ))
                .into());
            }
            Some(m) => remote.check_genesis(&m, genesis.as_deref())?,
            None => remote.write_marker(&workspace, genesis.as_deref())?,
        }
        let mut report = SyncReport {
            target: name.to_owned(),
            create_only,
            pushed: Moved::default(),
            pulled: Moved::default(),
            quarantined: Vec::new(),
            waiting: Vec::new(),
            kept: Vec::new(),
            pending_ops: 0,
            diverged: Vec::new(),
            conflicts: Vec::new(),
            state_digest: String::new(),
        };
        self.push(
            &remote,
            name,
            &workspace,
            &replica,
            as_,
            &mut report,
            progress,
        )?;
        // Events an older build kept without applying (kinds it did not know) apply first.
        let caught_up = self.store.write(|tx| apply::catch_up(tx, &replica))?;
        report.kept.extend(caught_up);
        self.pull(&remote, name, &workspace, &replica, &mut report, progress)?;
        let read = self.store.read();
        for o in read.sync_objects(name)? {
            let view = HeldBackView {
                replica: o
                    .path
                    .strip_prefix("logs/")
                    .and_then(|p| p.split('/').next())
                    .map(str::to_owned),
                object: o.path,
                reason: o.reason.unwrap_or_default(),
                since: o.at,
            };
            match o.status.as_str() {
                "quarantined" => report.quarantined.push(view),
                "waiting" => report.waiting.push(view),
                _ => {}
            }
        }
        report.diverged = self.diverged()?;
        report.conflicts = self.conflicts()?;
        Ok(report)
    }

    /// This replica's operations not yet at `target`.
    fn pending_ops(&self, target: &str) -> Result<u64> {
        let read = self.store.read();
        let replica = read.replica_id()?;
        let pushed = read.sync_target(target)?.map_or(0, |t| t.pushed_seq);
        let head = read
            .replica_heads()?
            .into_iter()
            .find(|h| h.replica == replica)
            .map_or(0, |h| h.replica_seq);
        Ok(head.saturating_sub(pushed))
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        remote: &Remote,
        name: &str,
        workspace: &str,
        replica: &str,
        as_: Option<&str>,
        report: &mut SyncReport,
        progress: &(dyn Fn(&Progress) + Sync),
    ) -> Result<()> {
        let row = self
            .store
            .read()
            .sync_target(name)?
            .ok_or_else(|| ApiError::OutOfRange(format!("unknown target {name}")))?;
        let (mut pushed, mut next) = (row.pushed_seq, row.next_batch.max(1));
        let mut existing = remote.list_objects()?;
        // Repair: an object held here whose copy at the target has the wrong size (truncated by
        // a sync tool, damaged) is written again from the good bytes, whoever wrote it first;
        // one missing there (lost, or needed by operations pushed before their objects were
        // sent, as run files were) is written too.
        let mut repairs: Vec<(Digest, Bytes, bool)> = Vec::new();
        {
            let read = self.store.read();
            for (d, size) in read.held_object_sizes()? {
                if existing.get(&d) != Some(&size)
                    && let Some(bytes) = read.held_object(&d)?
                    && Digest::of(&bytes) == d
                {
                    let there = existing.contains_key(&d);
                    repairs.push((d, Bytes::from(bytes), there));
                }
            }
        }
        if !repairs.is_empty() {
            report.pushed.objects += repairs.len() as u64;
            report.pushed.bytes += repairs.iter().map(|(_, b, _)| b.len() as u64).sum::<u64>();
            for (d, b, _) in &repairs {
                existing.insert(d.clone(), b.len() as u64);
            }
            remote.put_objects(repairs, progress)?;
        }
        // One key signs the pass's batches: the pusher's (see `plan`); every event inside
        // carries its own maker's signature.
        let named = as_.map(|a| self.identity(a)).transpose()?;
        let pusher = plan::pusher(self.store.read(), replica, named.as_ref(), &self.unlocked)?;
        let limit = plan::batch_limit();
        loop {
            let Some(planned) =
                plan::next_batch(self.store.read(), replica, pushed, pusher.as_ref(), limit)?
            else {
                break;
            };
            let plan::Planned {
                events: run,
                seen,
                signer,
            } = planned;
            let mut refs = Vec::new();
            let mut uploads: Vec<(Digest, Bytes, bool)> = Vec::new();
            {
                let read = self.store.read();
                for e in &run {
                    for d in apply::needed_objects(e) {
                        let bytes = apply::object_bytes(read, e, &d)?.ok_or_else(|| {
                            countersign_store::StoreError::Corrupt(format!(
                                "the object {d} that event #{} ({}) needs is not in the workspace",
                                e.replica_seq, e.kind
                            ))
                        })?;
                        let size = bytes.len() as u64;
                        refs.push(ObjectRef {
                            digest: d.clone(),
                            size,
                        });
                        match existing.get(&d) {
                            Some(s) if *s == size => {}
                            found => {
                                if !uploads.iter().any(|(u, _, _)| *u == d) {
                                    uploads.push((d, Bytes::from(bytes), found.is_some()));
                                }
                            }
                        }
                    }
                }
            }
            let object_bytes: u64 = uploads.iter().map(|(_, b, _)| b.len() as u64).sum();
            let object_count = uploads.len() as u64;
            let uploaded: Vec<(Digest, u64)> = uploads
                .iter()
                .map(|(d, b, _)| (d.clone(), b.len() as u64))
                .collect();
            remote.put_objects(uploads, progress)?;
            existing.extend(uploaded);
            let key = match &signer {
                Some(who) => Some(self.unlock(who)?),
                None => None,
            };
            let last = run.last().map_or(pushed, |e| e.replica_seq);
            let mut written = None;
            for _ in 0..1000 {
                let mut batch = Batch::new(
                    workspace,
                    replica,
                    next,
                    signer.as_ref().map(|i| i.id.as_str()),
                    &run,
                    refs.clone(),
                );
                batch.seen = Some(seen.clone());
                if let Some(k) = &key {
                    batch.sign(k);
                }
                let bytes = Bytes::from(batch.to_bytes());
                match remote.put_log(replica, next, bytes.clone())? {
                    PutLog::Written => {
                        written = Some((last, bytes.len() as u64));
                        break;
                    }
                    PutLog::Occupied(found) if found == bytes => {
                        written = Some((last, 0));
                        break;
                    }
                    PutLog::Occupied(found) => {
                        // Ours from an interrupted pass (grouped differently)? Then it is pushed.
                        let ours =
                            Batch::parse(&found, workspace, replica, next)
                                .ok()
                                .filter(|b| {
                                    b.events.first().map(|e| e.replica_seq) == Some(pushed + 1)
                                        && b.events.iter().all(|e| {
                                            self.store
                                                .read()
                                                .replica_event(replica, e.replica_seq)
                                                .ok()
                                                .flatten()
                                                .is_some_and(|held| held.hash == e.hash)
                                        })
                                });
                        if let Some(b) = ours {
                            let upto = b.events.last().map_or(pushed, |e| e.replica_seq);
                            written = Some((upto, 0));
                            break;
                        }
                        eprintln!(
                            "warning: {} at {name} was not written by this replica; it is skipped (it will be quarantined by every replica)",
                            countersign_sync::remote::log_path(replica, next)
                        );
                        next += 1;
                    }
                }
            }
            let Some((upto, bytes)) = written else {
                return Err(ApiError::OutOfRange(format!(
                    "could not find a free batch number in this replica's log at {name}"
                )));
            };
            if bytes > 0 {
                report.pushed.ops += upto - pushed;
                report.pushed.batches += 1;
                report.pushed.objects += object_count;
                report.pushed.bytes += bytes + object_bytes;
            }
            pushed = upto;
            next += 1;
            self.store
                .write(|tx| -> Result<()> { Ok(tx.set_pushed(name, pushed, next)?) })?;
        }
        Ok(())
    }

    fn pull(
        &mut self,
        remote: &Remote,
        name: &str,
        workspace: &str,
        replica: &str,
        report: &mut SyncReport,
        progress: &(dyn Fn(&Progress) + Sync),
    ) -> Result<()> {
        let now = self.clock.now();
        let seen: HashMap<String, SyncObjectRow> = self
            .store
            .read()
            .sync_objects(name)?
            .into_iter()
            .map(|o| (o.path.clone(), o))
            .collect();
        let logs: Vec<LogObject> = remote
            .list_logs(progress)?
            .into_iter()
            .filter(|l| l.replica != replica)
            .filter(|l| {
                // Done with it (applied, or quarantined and unchanged since): not fetched again.
                !seen.get(&l.path).is_some_and(|o| {
                    (o.status == "applied" || o.status == "quarantined")
                        && o.size == l.size
                        && o.tag == l.tag
                })
            })
            .collect();
        if logs.is_empty() {
            return Ok(());
        }
        let mut rows: Vec<SyncObjectRow> = Vec::new();
        // A log object larger than any batch may be is refused by its listed size, before a
        // byte of it is fetched.
        let (logs, oversize): (Vec<LogObject>, Vec<LogObject>) = logs
            .into_iter()
            .partition(|l| l.size <= countersign_sync::batch::MAX_BATCH_BYTES as u64);
        for l in oversize {
            rows.push(SyncObjectRow {
                path: l.path.clone(),
                size: l.size,
                tag: l.tag.clone(),
                status: "quarantined".to_owned(),
                reason: Some(format!(
                    "it is {} bytes, over the {}-byte limit of a batch; it was not fetched",
                    l.size,
                    countersign_sync::batch::MAX_BATCH_BYTES
                )),
                at: now,
            });
        }
        let paths: Vec<String> = logs.iter().map(|l| l.path.clone()).collect();
        let total: u64 = logs.iter().map(|l| l.size).sum();
        let got = remote.get_many(&paths, progress, total);
        let row = |l: &LogObject, status: &str, reason: Option<String>| SyncObjectRow {
            path: l.path.clone(),
            size: l.size,
            tag: l.tag.clone(),
            status: status.to_owned(),
            reason,
            at: now,
        };
        let mut fetched: Vec<Fetched> = Vec::new();
        let mut held: HashMap<String, (u64, Option<Digest>)> = self
            .store
            .read()
            .replica_heads()?
            .into_iter()
            .map(|h| (h.replica, (h.replica_seq, Some(h.hash))))
            .collect();
        for (log, bytes) in logs.into_iter().zip(got) {
            let bytes = match bytes {
                Ok(Some(b)) => b,
                Ok(None) => continue,
                Err(e) => {
                    rows.push(row(
                        &log,
                        "waiting",
                        Some(format!("could not be read: {e}")),
                    ));
                    continue;
                }
            };
            report.pulled.bytes += bytes.len() as u64;
            match Batch::parse(&bytes, workspace, &log.replica, log.number) {
                Err(bad) => rows.push(row(&log, "quarantined", Some(bad.0))),
                Ok(batch) => {
                    let mut new = Vec::new();
                    let mut state = BatchState::Unchecked;
                    for e in batch.events() {
                        let have = self.store.read().replica_event(&e.replica, e.replica_seq)?;
                        match have {
                            Some(h) if h.hash == e.hash => {}
                            Some(_) => {
                                state = BatchState::Quarantined(format!(
                                    "event #{} ({}) differs from the event #{} of replica {} already held: the replica's log was rewritten",
                                    e.replica_seq, e.kind, e.replica_seq, e.replica
                                ));
                                break;
                            }
                            None => new.push(e),
                        }
                    }
                    fetched.push(Fetched {
                        log,
                        batch,
                        new,
                        state,
                    });
                }
            }
        }
        // The objects the new events need, fetched a bounded number at a time.
        let mut wanted: Vec<ObjectRef> = Vec::new();
        {
            let read = self.store.read();
            let mut seen_d = HashSet::new();
            for f in &fetched {
                for e in &f.new {
                    for d in apply::needed_objects(e) {
                        if !apply::held_here(read, e, &d)? && seen_d.insert(d.clone()) {
                            let size = f
                                .batch
                                .objects
                                .iter()
                                .find(|o| o.digest == d)
                                .map_or(0, |o| o.size);
                            wanted.push(ObjectRef { digest: d, size });
                        }
                    }
                }
            }
        }
        let mut objects: HashMap<Digest, Bytes> = HashMap::new();
        let mut problems: HashMap<Digest, ObjectProblem> = HashMap::new();
        for (d, r) in remote.get_objects(&wanted, progress) {
            match r {
                Ok(b) => {
                    report.pulled.objects += 1;
                    report.pulled.bytes += b.len() as u64;
                    objects.insert(d, b);
                }
                Err(p) => {
                    problems.insert(d, p);
                }
            }
        }
        for (d, p) in &problems {
            let path = countersign_sync::remote::object_path(d);
            let (status, size) = match p {
                ObjectProblem::Damaged { size, .. } => ("quarantined", *size),
                _ => ("waiting", 0),
            };
            rows.push(SyncObjectRow {
                path,
                size,
                tag: String::new(),
                status: status.to_owned(),
                reason: Some(format!("{p}")),
                at: now,
            });
        }
        // Objects that were damaged before and are good now.
        let healed: Vec<String> = seen
            .keys()
            .filter(|p| p.starts_with("objects/"))
            .filter(|p| {
                wanted
                    .iter()
                    .any(|w| countersign_sync::remote::object_path(&w.digest) == **p)
                    && !problems
                        .keys()
                        .any(|d| countersign_sync::remote::object_path(d) == **p)
            })
            .cloned()
            .collect();

        // Every new event, in the order every replica applies them.
        let mut queue: Vec<(usize, usize)> = Vec::new();
        for (bi, f) in fetched.iter().enumerate() {
            if f.state == BatchState::Unchecked {
                for ei in 0..f.new.len() {
                    queue.push((bi, ei));
                }
            }
        }
        queue.sort_by(|a, b| {
            fetched[a.0].new[a.1]
                .order_key()
                .cmp(&fetched[b.0].new[b.1].order_key())
        });
        // Why a replica's chain stopped here this pass, for the batches waiting behind it.
        let mut reasons: HashMap<String, String> = HashMap::new();
        let mut applied_ops = 0u64;
        let mut kept: Vec<String> = Vec::new();
        let mut touched = apply::Touched::default();
        // Applied a chunk at a time, each in its own transaction, so that a large pull never
        // holds the workspace for long (the app's commands wait meanwhile). A pass cut short
        // keeps what it applied; the next one fetches the same batches and passes over the events
        // it holds.
        for chunk in queue.chunks(apply_chunk()) {
            self.store.write(|tx| -> Result<()> {
            for &(bi, ei) in chunk {
                if !matches!(
                    fetched[bi].state,
                    BatchState::Unchecked | BatchState::Verified
                ) {
                    continue;
                }
                let e = fetched[bi].new[ei].clone();
                let (have_seq, have_hash) = held.get(&e.replica).cloned().unwrap_or((0, None));
                if e.replica_seq <= have_seq {
                    continue;
                }
                macro_rules! stop {
                    ($state:expr, $follow:expr) => {{
                        fetched[bi].state = $state;
                        reasons.entry(e.replica.clone()).or_insert($follow);
                    }};
                }
                if e.replica_seq != have_seq + 1 {
                    let why = reasons.get(&e.replica).cloned().unwrap_or_else(|| {
                        format!(
                            "waiting for operation #{} of replica {} (not at the target yet)",
                            have_seq + 1,
                            e.replica
                        )
                    });
                    fetched[bi].state = BatchState::Waiting(why);
                    continue;
                }
                let path = fetched[bi].log.path.clone();
                let behind = |why: &str| format!("waiting behind {path}: {why}");
                if e.prev != have_hash {
                    let why = format!(
                        "event #{} ({}) does not link to the replica's chain as held here",
                        e.replica_seq, e.kind
                    );
                    stop!(BatchState::Quarantined(why.clone()), behind(&why));
                    continue;
                }
                // A replica never un-applies: what it says it had applied only grows along its
                // chain. (Otherwise it could claim not to have seen a revocation it had pushed
                // past, and have its operations judged as made concurrently with it.)
                if let Some(prev) = &have_hash
                    && let Some(before) = tx.reader().event_seen(prev)?
                    && let Err(why) = seen_grows(&before, fetched[bi].batch.seen.as_ref(), &e)
                {
                    stop!(BatchState::Quarantined(why.clone()), behind(&why));
                    continue;
                }
                // Causal delivery: nothing applies before what its replica had applied when it
                // made it, so every replica judges it knowing the same past.
                let seen = fetched[bi].batch.seen_counts();
                if let Some((r, n)) = seen
                    .iter()
                    .find(|(r, n)| held.get(r.as_str()).map_or(0, |h| h.0) < **n)
                {
                    let why = format!(
                        "waiting for operation #{n} of replica {r}, which replica {} had applied when it made these operations",
                        e.replica
                    );
                    stop!(BatchState::Waiting(why.clone()), behind(&why));
                    continue;
                }
                if fetched[bi].state == BatchState::Unchecked {
                    match verify_batch(tx.reader(), &fetched[bi].batch, &e) {
                        Ok(()) => fetched[bi].state = BatchState::Verified,
                        Err(why) => {
                            stop!(BatchState::Quarantined(why.clone()), behind(&why));
                            continue;
                        }
                    }
                }
                if let Err(why) = verify_event(tx.reader(), &e) {
                    stop!(BatchState::Quarantined(why.clone()), behind(&why));
                    continue;
                }
                let past = causal::Past::new(&e.replica, e.replica_seq, seen);
                if let Some(why) = revoked(tx.reader(), &past, &e)? {
                    stop!(BatchState::Quarantined(why.clone()), behind(&why));
                    continue;
                }
                let missing: Vec<String> = apply::needed_objects(&e)
                    .iter()
                    .filter_map(|d| {
                        problems
                            .get(d)
                            .map(|p| format!("object {} is {p}", d.hex()))
                    })
                    .collect();
                if !missing.is_empty() {
                    let why = missing.join("; ");
                    stop!(BatchState::Waiting(why.clone()), behind(&why));
                    continue;
                }
                let outcome = tx.savepoint(
                    || -> std::result::Result<apply::Outcome, apply::ApplyError> {
                        // Storing the event itself never refuses it: a position taken meanwhile
                        // (another process syncing at once) fails the pass, and the next one
                        // passes over what it holds.
                        tx.insert_event_seen(&e, fetched[bi].batch.seen.as_ref())
                            .map_err(|err| apply::ApplyError::Local(err.into()))?;
                        apply::apply(tx, &e, &objects, &mut touched)
                    },
                );
                match outcome {
                    Ok(o) => {
                        if let apply::Outcome::Kept(why) = o {
                            kept.push(format!(
                                "#{} ({}) of replica {}: {why}",
                                e.replica_seq, e.kind, e.replica
                            ));
                        }
                        held.insert(e.replica.clone(), (e.replica_seq, Some(e.hash.clone())));
                        applied_ops += 1;
                    }
                    Err(apply::ApplyError::Refused(why)) => {
                        let why = format!("event #{} ({}): {why}", e.replica_seq, e.kind);
                        stop!(BatchState::Quarantined(why.clone()), behind(&why));
                    }
                    Err(apply::ApplyError::Local(err)) => return Err(err),
                }
            }
            std::mem::take(&mut touched).rederive(tx)?;
            Ok(())
            })?;
        }
        self.store.write(|tx| -> Result<()> {
            for f in fetched.iter_mut() {
                // Passed over (or left waiting) while another batch's events took its positions
                // this pass: it is one of them only if its events are the ones now held.
                let (have, _) = held.get(&f.log.replica).cloned().unwrap_or((0, None));
                if !matches!(f.state, BatchState::Quarantined(_))
                    && let Some(first) = f.new.first()
                    && first.replica_seq <= have
                {
                    let read = tx.reader();
                    let mut other = None;
                    for e in f.new.iter().filter(|e| e.replica_seq <= have) {
                        if read
                            .replica_event(&e.replica, e.replica_seq)?
                            .is_none_or(|h| h.hash != e.hash)
                        {
                            other = Some(e);
                            break;
                        }
                    }
                    if let Some(e) = other {
                        let why = verify_batch(read, &f.batch, first).err().unwrap_or_else(|| {
                            format!(
                                "event #{} ({}) differs from the event #{} of replica {} applied here: the replica's log was rewritten",
                                e.replica_seq, e.kind, e.replica_seq, e.replica
                            )
                        });
                        f.state = BatchState::Quarantined(why);
                    }
                }
            }
            for f in &fetched {
                let (have, _) = held.get(&f.log.replica).cloned().unwrap_or((0, None));
                let done = f.new.iter().all(|e| e.replica_seq <= have);
                let (status, reason) = match &f.state {
                    BatchState::Quarantined(w) => ("quarantined", Some(w.clone())),
                    _ if done => ("applied", None),
                    BatchState::Waiting(w) => ("waiting", Some(w.clone())),
                    _ => (
                        "waiting",
                        Some(reasons.get(&f.log.replica).cloned().unwrap_or_else(|| {
                            "waiting behind an earlier batch of its replica".to_owned()
                        })),
                    ),
                };
                rows.push(row(&f.log, status, reason));
                if status == "applied" && !f.new.is_empty() {
                    report.pulled.batches += 1;
                }
            }
            for r in &rows {
                tx.set_sync_object(name, r)?;
            }
            for p in &healed {
                tx.set_sync_object(
                    name,
                    &SyncObjectRow {
                        path: p.clone(),
                        size: 0,
                        tag: String::new(),
                        status: "applied".into(),
                        reason: None,
                        at: now,
                    },
                )?;
            }
            Ok(())
        })?;
        report.pulled.ops += applied_ops;
        report.kept.extend(kept);
        Ok(())
    }

    /// Continuous sync until `stop` is set: a pass now, then one whenever files arrive in a
    /// folder target (debounced), this workspace changes, or `interval` passes. A target that
    /// cannot be reached is retried with a growing delay (up to five minutes); operations made
    /// meanwhile stay queued. `on_pass` sees every pass's outcome. Pushes are signed as in
    /// [`Workspace::sync_once_as`].
    pub fn sync_watch(
        &mut self,
        target: &TargetSpec,
        as_: Option<&str>,
        interval: Duration,
        stop: Arc<AtomicBool>,
        on_pass: &mut dyn FnMut(&Result<SyncReport>),
        progress: &(dyn Fn(&Progress) + Sync),
    ) -> Result<()> {
        let folder = match target {
            TargetSpec::Folder { path } => Some(path.clone()),
            TargetSpec::S3(_) => None,
        };
        let mut waiter: Option<Waiter> = None;
        let mut retry = Duration::from_secs(2);
        loop {
            if waiter.is_none() {
                let dir = folder.as_deref().filter(|d| d.is_dir());
                if dir.is_some() || folder.is_none() {
                    waiter = Waiter::new(dir, Duration::from_millis(500), stop.clone()).ok();
                }
            }
            let result = self.sync_once_as(target, as_, progress);
            let failed = result.is_err();
            on_pass(&result);
            if stop.load(Ordering::SeqCst) {
                return Ok(());
            }
            let wait = if failed {
                let w = retry;
                retry = (retry * 2).min(Duration::from_secs(300));
                // A folder that went away: watch it again once it is back.
                if folder.as_deref().is_some_and(|d| !d.is_dir()) {
                    waiter = None;
                }
                w
            } else {
                retry = Duration::from_secs(2);
                interval
            };
            let before = self.store.read().event_count()?;
            let start = std::time::Instant::now();
            loop {
                let slice = Duration::from_secs(1).min(wait.saturating_sub(start.elapsed()));
                let wake = match &waiter {
                    Some(w) => w.wait(slice),
                    None => {
                        std::thread::sleep(slice);
                        if stop.load(Ordering::SeqCst) {
                            Wake::Stop
                        } else {
                            Wake::Interval
                        }
                    }
                };
                match wake {
                    Wake::Stop => return Ok(()),
                    Wake::Changed if !failed => break,
                    _ => {}
                }
                if start.elapsed() >= wait {
                    break;
                }
                if !failed && self.store.read().event_count()? != before {
                    break;
                }
            }
        }
    }

    /// Where sync stands: every target's last pass and queue, what is quarantined or waiting,
    /// divergences and conflicts.
    pub fn sync_status(&self) -> Result<SyncStatusView> {
        let read = self.store.read();
        let replica = read.replica_id()?;
        let mut replicas = BTreeMap::new();
        let mut local_ops = 0;
        for h in read.replica_heads()? {
            if h.replica == replica {
                local_ops = h.replica_seq;
            } else {
                replicas.insert(h.replica, h.replica_seq);
            }
        }
        let mut targets = Vec::new();
        for t in read.sync_targets()? {
            let summary: Option<PassSummary> = t
                .last_pass
                .as_deref()
                .and_then(|s| serde_json::from_str(s).ok());
            let mut quarantined = Vec::new();
            let mut waiting = Vec::new();
            for o in read.sync_objects(&t.target)? {
                let view = HeldBackView {
                    replica: o
                        .path
                        .strip_prefix("logs/")
                        .and_then(|p| p.split('/').next())
                        .map(str::to_owned),
                    object: o.path,
                    reason: o.reason.unwrap_or_default(),
                    since: o.at,
                };
                match o.status.as_str() {
                    "quarantined" => quarantined.push(view),
                    "waiting" => waiting.push(view),
                    _ => {}
                }
            }
            targets.push(SyncTargetView {
                pending_ops: local_ops.saturating_sub(t.pushed_seq),
                target: t.target,
                create_only: t.create_only,
                last_pass_at: t.last_pass_at,
                last_pushed: summary.as_ref().map(|s| s.pushed),
                last_pulled: summary.as_ref().map(|s| s.pulled),
                last_error_code: summary.as_ref().and_then(|s| s.code.clone()),
                last_error: summary.and_then(|s| s.error),
                quarantined,
                waiting,
            });
        }
        Ok(SyncStatusView {
            workspace: self.workspace_id()?,
            replica,
            replicas,
            local_ops,
            targets,
            diverged: self.diverged()?,
            conflicts: self.conflicts()?,
            state_digest: self.state_digest()?,
        })
    }

    fn diverged(&self) -> Result<Vec<DivergedView>> {
        let read = self.store.read();
        let mut out = Vec::new();
        for p in read.packets()? {
            let heads = read.heads(&p.id)?;
            if heads.len() > 1 {
                out.push(DivergedView {
                    owner_name: self.name_of(&p.owner),
                    owner: p.owner,
                    packet: p.id,
                    title: p.title,
                    heads: heads.into_iter().map(|h| h.id.to_string()).collect(),
                });
            }
        }
        Ok(out)
    }

    fn conflicts(&self) -> Result<Vec<ConflictView>> {
        let read = self.store.read();
        let mut out: Vec<ConflictView> = read
            .ledger_conflicts()?
            .into_iter()
            .map(|[objection, packet, action, actor, at, why]| ConflictView {
                kind: "ledger".into(),
                subject: objection.clone(),
                detail: format!(
                    "objection {} of packet {}: {} by {}: {why}",
                    crate::short(&objection),
                    crate::short(&packet),
                    action,
                    self.name_of(&actor)
                ),
                at: Timestamp::parse(&at).unwrap_or(Timestamp::from_unix_millis(0)),
            })
            .collect();
        out.extend(read.sync_conflicts()?.into_iter().map(|c| ConflictView {
            kind: c.kind,
            subject: c.subject,
            detail: c.detail,
            at: c.at,
        }));
        for (e, r) in causal::revoked_concurrently(read)? {
            let actor = e.actor.clone().unwrap_or_default();
            let name = self.name_of(&actor);
            let what = serde_json::from_str::<serde_json::Value>(&e.payload)
                .ok()
                .and_then(|v| {
                    v.get("manifest")
                        .and_then(|m| m.as_str())
                        .map(str::to_owned)
                })
                .map_or_else(String::new, |m| {
                    format!(" of manifest {}", crate::short(&m))
                });
            out.push(ConflictView {
                kind: "revoked_concurrently".into(),
                subject: actor.clone(),
                detail: format!(
                    "{}{what} (operation #{} of replica {}) was signed by {name}'s key {} while replica {} revoked that key (policy version {}, by {}); neither replica had the other's operation, so it stands on every replica and a signature by that key counts for nothing now: review it",
                    e.kind,
                    e.replica_seq,
                    crate::short(&e.replica),
                    crate::short(&actor),
                    crate::short(&r.event.replica),
                    policy_version(&r.event),
                    r.event
                        .actor
                        .as_deref()
                        .map_or_else(|| "no one".to_owned(), |a| self.name_of(a)),
                ),
                at: e.at,
            });
        }
        out.sort_by(|a, b| (a.at, &a.subject).cmp(&(b.at, &b.subject)));
        Ok(out)
    }

    /// The targets this workspace has synced with.
    pub fn sync_targets(&self) -> Result<Vec<TargetSpec>> {
        Ok(self
            .store
            .read()
            .sync_targets()?
            .into_iter()
            .filter_map(|t| serde_json::from_str(&t.spec).ok())
            .collect())
    }

    /// The target to sync with when none is named: the one this workspace already syncs with,
    /// if there is exactly one.
    pub fn default_sync_target(&self) -> Result<TargetSpec> {
        let mut known = self.sync_targets()?;
        match known.len() {
            1 => Ok(known.remove(0)),
            0 => Err(ApiError::OutOfRange(
                "name a target: --folder DIR, or --s3 s3://BUCKET/PREFIX --endpoint URL".into(),
            )),
            n => Err(ApiError::OutOfRange(format!(
                "this workspace syncs with {n} targets; name one with --folder DIR or --s3 s3://BUCKET/PREFIX"
            ))),
        }
    }
}

/// The public key an event names for `who`: the registered identity's, or — for an identity's
/// own `identity.created`, which introduces it — the one it carries.
fn key_of(
    read: countersign_store::Reader<'_>,
    who: &str,
    introducing: &[Event],
) -> std::result::Result<countersign_signing::VerifyingKey, String> {
    let key_hex = match read.identity(who) {
        Ok(i) => i.public_key,
        Err(_) => introducing
            .iter()
            .filter(|e| e.kind == "identity.created" && e.actor.as_deref() == Some(who))
            .filter_map(|e| serde_json::from_str::<serde_json::Value>(&e.payload).ok())
            .filter(|v| v.get("id").and_then(|x| x.as_str()) == Some(who))
            .find_map(|v| {
                v.get("public_key")
                    .and_then(|k| k.as_str())
                    .map(str::to_owned)
            })
            .ok_or_else(|| {
                format!(
                    "signed by an unknown key: {who} is not an identity registered in this workspace"
                )
            })?,
    };
    let key = countersign_signing::public_key_from_hex(&key_hex)
        .map_err(|e| format!("the key of {who}: {e}"))?;
    if countersign_signing::fingerprint(&key) != who {
        return Err(format!("{who} is not the fingerprint of its key"));
    }
    Ok(key)
}

/// How many events a pull applies in one transaction: 256, or fewer when the tests ask
/// (`COUNTERSIGN_SYNC_TEST_APPLY_CHUNK`, to cut a pull at every event).
fn apply_chunk() -> usize {
    std::env::var("COUNTERSIGN_SYNC_TEST_APPLY_CHUNK")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| (1..=256).contains(n))
        .unwrap_or(256)
}

/// Check a batch's signature when its first new event is about to apply: the signer (whoever
/// pushed it) must be a registered identity, or one the batch's own `identity.created`
/// introduces, and its key must not be revoked in the causal past of the batch's first event.
fn verify_batch(
    read: countersign_store::Reader<'_>,
    batch: &Batch,
    first: &Event,
) -> std::result::Result<(), String> {
    let Some(signer) = &batch.signer else {
        return clocks_follow_seen(read, batch, first);
    };
    let key = key_of(read, signer, &batch.events())?;
    batch.verify_batch_signature(&key).map_err(|e| e.0)?;
    // Once its replica has identities, a batch is signed by one of them, made before it: a
    // signer the batch itself introduces could be anyone's fresh key.
    if read
        .replica_has_identities(&batch.replica)
        .map_err(|e| e.to_string())?
        && read
            .identity_home(signer)
            .map_err(|e| e.to_string())?
            .as_deref()
            != Some(batch.replica.as_str())
    {
        return Err(format!(
            "the batch is signed by {signer}, which is not an identity replica {} already had: once a replica has identities, its batches are signed by one of them",
            batch.replica
        ));
    }
    let start = batch.events.first().map_or(1, |e| e.replica_seq);
    let past = causal::Past::new(&batch.replica, start, batch.seen_counts());
    let bound = causal::binding_revocation(read, &past, signer).map_err(|e| e.to_string())?;
    if let Some(r) = bound {
        return Err(format!(
            "the batch is signed by a revoked key: {signer} was revoked by policy version {} (operation #{} of replica {}), which its replica had applied when it wrote the batch",
            policy_version(&r.event),
            r.event.replica_seq,
            r.event.replica
        ));
    }
    clocks_follow_seen(read, batch, first)
}

/// Check an event's own signature by its maker's key as registered at this point of the merged
/// log (or introduced by the event itself: an identity's `identity.created`).
fn verify_event(read: countersign_store::Reader<'_>, e: &Event) -> std::result::Result<(), String> {
    let Some(actor) = &e.actor else {
        return Ok(());
    };
    let key = key_of(read, actor, std::slice::from_ref(e))
        .map_err(|why| format!("event #{} ({}) is {why}", e.replica_seq, e.kind))?;
    countersign_sync::batch::verify_event_signature(&key, e).map_err(|b| b.0)?;
    if e.kind == "identity.created" {
        // It makes the identity here, unless it was made elsewhere first.
        return match read.identity_home(actor).map_err(|e| e.to_string())? {
            Some(home) if home != e.replica => Err(format!(
                "event #{} ({}) makes identity {actor} again, on replica {}; it was made on replica {home}, and an identity is made once",
                e.replica_seq, e.kind, e.replica
            )),
            _ => Ok(()),
        };
    }
    made_on(
        read,
        &e.replica,
        actor,
        &format!("event #{} ({}) is made by", e.replica_seq, e.kind),
    )
}

/// The causal context of `e`'s batch must cover its replica's previous operation's: every
/// replica's count at least as high, and present at all (an older format, with none, may not
/// follow one that had it).
fn seen_grows(
    before: &BTreeMap<String, u64>,
    now: Option<&BTreeMap<String, u64>>,
    e: &Event,
) -> std::result::Result<(), String> {
    if before.is_empty() {
        return Ok(());
    }
    let Some(now) = now else {
        return Err(format!(
            "event #{} ({}) comes in a batch with no causal context (an older format), after operations of replica {} that had one",
            e.replica_seq, e.kind, e.replica
        ));
    };
    match before
        .iter()
        .find(|(r, n)| now.get(r.as_str()).copied().unwrap_or(0) < **n)
    {
        Some((r, n)) => Err(format!(
            "event #{} ({}) says replica {} had applied {} operations of replica {r}, fewer than the {n} its earlier operation said: a replica never un-applies",
            e.replica_seq,
            e.kind,
            e.replica,
            now.get(r.as_str()).copied().unwrap_or(0)
        )),
        None => Ok(()),
    }
}

/// A replica's log is written by its own identities (those made on it): an identity made on
/// another replica may not make its operations or sign its batches once it has identities of its
/// own. Otherwise any key holder could write another replica's next position and cut it off (its
/// own batch at that position would then be "a rewritten log" wherever the forgery came first).
/// Such a batch is quarantined, and the replica's own batch for those positions still applies.
/// (A log with no identity of its own, as only a hand-made one has, is judged by signatures alone.)
fn made_on(
    read: countersign_store::Reader<'_>,
    replica: &str,
    who: &str,
    what: &str,
) -> std::result::Result<(), String> {
    let home = read.identity_home(who).map_err(|e| e.to_string())?;
    match home {
        Some(home) if home != replica => {
            if read
                .replica_has_identities(replica)
                .map_err(|e| e.to_string())?
            {
                Err(format!(
                    "{what} {who}, an identity of replica {home}: replica {replica}'s operations are made by its own identities"
                ))
            } else {
                Ok(())
            }
        }
        _ => Ok(()),
    }
}

/// A batch's clocks must be past every operation it says its replica had applied (all held
/// here by now): otherwise the merged order would put an operation before what it followed.
fn clocks_follow_seen(
    read: countersign_store::Reader<'_>,
    batch: &Batch,
    first: &Event,
) -> std::result::Result<(), String> {
    for (r, n) in batch.seen_counts() {
        let held = read
            .replica_event(&r, n)
            .map_err(|e| format!("reading operation #{n} of replica {r}: {e}"))?;
        if let Some(h) = held
            && h.lamport >= first.lamport
        {
            return Err(format!(
                "event #{} ({}): its Lamport clock {} is not past that of operation #{n} of replica {r} ({}), which its replica says it had applied",
                first.replica_seq, first.kind, first.lamport, h.lamport
            ));
        }
    }
    Ok(())
}

/// Whether the event's actor's key was revoked in its causal past (`past`): its replica had
/// applied a policy version revoking it when it made the event. Such an operation is refused
/// everywhere (its origin refuses to make it). One made concurrently with a revocation applies,
/// and is listed as a `revoked_concurrently` conflict (see `causal`).
fn revoked(
    read: countersign_store::Reader<'_>,
    past: &causal::Past,
    e: &Event,
) -> Result<Option<String>> {
    let Some(actor) = &e.actor else {
        return Ok(None);
    };
    Ok(causal::binding_revocation(read, past, actor)?.map(|r| {
        format!(
            "event #{} ({}) is signed by a revoked key: {actor} was revoked by policy version {} (operation #{} of replica {}), which its replica had applied when it made the event",
            e.replica_seq,
            e.kind,
            policy_version(&r.event),
            r.event.replica_seq,
            r.event.replica
        )
    }))
}

/// The version a `policy.issued` event names.
fn policy_version(e: &Event) -> u64 {
    serde_json::from_str::<serde_json::Value>(&e.payload)
        .ok()
        .and_then(|v| v.get("version").and_then(serde_json::Value::as_u64))
        .unwrap_or(0)
}
