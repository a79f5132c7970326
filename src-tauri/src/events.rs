//! Typed events for live updates. A background thread polls the workspace's change feed (the
//! audit log) every [`POLL`] and, for every new change — made by this app, by the CLI in another
//! process, or later by sync — emits [`WorkspaceChanged`] with all of them and the specific
//! events by kind. The UI refreshes what it shows from these; it never polls itself. A running
//! sync pass reports its progress as [`SyncProgress`] ([`sync_progress`]).

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use countersign_api::ChangeView;
use countersign_api::sync::{Phase, Progress};
use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime};
use tauri_specta::Event;

use crate::commands::{Shared, with};

/// How often the change feed is read.
pub const POLL: Duration = Duration::from_millis(500);

/// How many changes are read at once.
const BATCH: usize = 500;

/// Every new change, oldest first.
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
pub struct WorkspaceChanged {
    /// The changes.
    pub changes: Vec<ChangeView>,
}

/// The objection ledger moved (`objection.*`: raised, resolved, withdrawn, accepted, reopened).
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
pub struct LedgerChanged {
    /// The ledger changes.
    pub changes: Vec<ChangeView>,
}

/// A signer decided on a manifest (`manifest.approve`, `manifest.reject`, `manifest.reviewed`).
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
pub struct ApprovalAdded {
    /// The approval changes.
    pub changes: Vec<ChangeView>,
}

/// A release was held (`release.held`): something the approvals signed changed.
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
pub struct HoldRaised {
    /// The hold changes.
    pub changes: Vec<ChangeView>,
}

/// A new revision (`revision.created`).
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
pub struct RevisionAdded {
    /// The revision changes.
    pub changes: Vec<ChangeView>,
}

/// A run record changed (`run.*`: created, meeting imported, step added or marked, approval
/// added, approved or rejected, output or file added, roadmap linked). A packet release run also
/// moves with its packet and manifest; those changes come as [`WorkspaceChanged`] (and
/// [`ApprovalAdded`], [`HoldRaised`], [`RevisionAdded`]).
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
pub struct RunChanged {
    /// The run changes.
    pub changes: Vec<ChangeView>,
}

/// Progress of a running sync pass: the phase it is in, and objects and bytes done out of the
/// totals known.
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
pub struct SyncProgress {
    /// The target's name (as `sync_status` lists it).
    pub target: String,
    /// `listing`, `uploading` or `downloading`.
    pub phase: String,
    /// Objects done in this phase.
    pub done: u64,
    /// Objects in this phase, when known.
    pub total: Option<u64>,
    /// Bytes done in this phase.
    pub bytes: u64,
    /// Bytes in this phase, when known.
    pub total_bytes: Option<u64>,
}

/// How often, at most, a running pass reports progress (a phase change or a phase's end is
/// always reported).
pub const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// The progress callback of a sync pass with `target`: emits [`SyncProgress`].
pub fn sync_progress<R: Runtime>(
    app: AppHandle<R>,
    target: String,
) -> impl Fn(&Progress) + Send + Sync + 'static {
    let last: Mutex<Option<(Phase, Instant)>> = Mutex::new(None);
    move |p: &Progress| {
        let now = Instant::now();
        {
            let mut last = last.lock().unwrap_or_else(PoisonError::into_inner);
            let due = last.is_none_or(|(phase, at)| {
                phase != p.phase || p.done >= p.total || now.duration_since(at) >= PROGRESS_EVERY
            });
            if !due {
                return;
            }
            *last = Some((p.phase, now));
        }
        let event = SyncProgress {
            target: target.clone(),
            phase: match p.phase {
                Phase::Listing => "listing",
                Phase::Uploading => "uploading",
                Phase::Downloading => "downloading",
            }
            .to_owned(),
            done: p.done,
            total: (p.total > 0).then_some(p.total),
            bytes: p.bytes,
            total_bytes: (p.total_bytes > 0).then_some(p.total_bytes),
        };
        if let Err(e) = event.emit(&app) {
            eprintln!("countersign-app: emitting sync progress failed: {e}");
        }
    }
}

/// The changes among `changes` whose kind `wanted` accepts.
fn only(changes: &[ChangeView], wanted: impl Fn(&str) -> bool) -> Vec<ChangeView> {
    changes
        .iter()
        .filter(|c| wanted(&c.kind))
        .cloned()
        .collect()
}

/// Emit the events for one batch of new changes.
fn emit_all<R: Runtime>(app: &AppHandle<R>, changes: Vec<ChangeView>) -> tauri::Result<()> {
    let ledger = only(&changes, |k| k.starts_with("objection."));
    let approvals = only(&changes, |k| {
        matches!(
            k,
            "manifest.approve" | "manifest.reject" | "manifest.reviewed"
        )
    });
    let holds = only(&changes, |k| k == "release.held");
    let revisions = only(&changes, |k| k == "revision.created");
    let runs = only(&changes, |k| k.starts_with("run."));
    WorkspaceChanged { changes }.emit(app)?;
    if !ledger.is_empty() {
        LedgerChanged { changes: ledger }.emit(app)?;
    }
    if !approvals.is_empty() {
        ApprovalAdded { changes: approvals }.emit(app)?;
    }
    if !holds.is_empty() {
        HoldRaised { changes: holds }.emit(app)?;
    }
    if !revisions.is_empty() {
        RevisionAdded { changes: revisions }.emit(app)?;
    }
    if !runs.is_empty() {
        RunChanged { changes: runs }.emit(app)?;
    }
    Ok(())
}

/// Read what changed after `seen`, briefly locking the workspace. Returns the new changes.
fn poll_once(shared: &Shared, seen: u64) -> Vec<ChangeView> {
    with(shared, |w| {
        if w.last_change()? <= seen {
            return Ok(Vec::new());
        }
        w.changes_since(seen, BATCH)
    })
    .unwrap_or_else(|e| {
        eprintln!("countersign-app: reading the change feed failed: {e}");
        Vec::new()
    })
}

/// Start the poller. It starts from the newest change at the time of the call (history is not
/// replayed) and runs for the life of the process.
pub fn spawn_poller<R: Runtime>(app: AppHandle<R>) {
    std::thread::Builder::new()
        .name("countersign-changes".into())
        .spawn(move || {
            let state = app.state::<Shared>();
            let mut seen = with(&state, |w| w.last_change()).unwrap_or(0);
            loop {
                std::thread::sleep(POLL);
                loop {
                    let changes = poll_once(&state, seen);
                    let Some(last) = changes.last() else { break };
                    seen = last.seq;
                    let full = changes.len() >= BATCH;
                    if let Err(e) = emit_all(&app, changes) {
                        eprintln!("countersign-app: emitting change events failed: {e}");
                    }
                    if !full {
                        break;
                    }
                }
            }
        })
        .map(drop)
        .unwrap_or_else(|e| eprintln!("countersign-app: cannot start the change poller: {e}"));
}
