//! The Tauri commands. Each is a one-line delegation to a [`Workspace`] method: the shell holds no
//! domain logic. Arguments arrive from the UI already typed (the bindings in `ui/src/bindings.ts`
//! are generated from these signatures); the only conversions here are of representation (a
//! string to its bytes).
//!
//! Commands are `async` so that they run off the main thread (a key unlock takes a moment of
//! argon2id); each one locks the workspace for the length of the call. A sync pass is the one
//! exception: it runs on a handle of its own, on a blocking thread, without the lock (see
//! [`sync_now`]).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use countersign_api::sync::{SyncReport, SyncStatusView, TargetInput};
use countersign_api::{
    ApprovalView, ChangeView, CheckReport, Created, EvidenceView, IdentityView, LedgerAction,
    LineageNode, ManifestView, Meaning, ObjectionStatus, ObjectionView, PacketState, PacketView,
    PolicyView, Redline, RevisionContent, RevisionView, RunApprovalView, RunSummaryView, RunView,
    StatusView, ThreadView, VerifyReport, Workspace, WorkspaceInfo,
};
use tauri::{AppHandle, Runtime, State};

use crate::{AppError, AskTheUi, events};

/// The open workspace, shared by every command and the change poller.
pub type Shared = Mutex<Workspace>;

type Ws<'a> = State<'a, Shared>;

/// Run `f` on the workspace with its lock held, mapping the error for the UI.
pub(crate) fn with<T>(
    shared: &Shared,
    f: impl FnOnce(&mut Workspace) -> countersign_api::Result<T>,
) -> Result<T, AppError> {
    // A panic while the lock was held leaves nothing half written (every write is one SQLite
    // transaction), so a poisoned lock is safe to take over.
    let mut ws = shared.lock().unwrap_or_else(PoisonError::into_inner);
    f(&mut ws).map_err(AppError::from)
}

/// Run `f` on a blocking thread (it may call a runtime of its own, as sync's transfers do) and
/// wait for it without holding up the async runtime.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> countersign_api::Result<T> + Send + 'static,
) -> Result<T, AppError> {
    match tauri::async_runtime::spawn_blocking(f).await {
        Ok(result) => result.map_err(AppError::from),
        Err(e) => Err(AppError::internal(format!(
            "the task stopped unexpectedly: {e}"
        ))),
    }
}

/// At most one sync pass at a time in this app: a second is refused with `sync_running`.
#[derive(Debug, Default)]
pub struct SyncGate(AtomicBool);

/// A sync pass in progress; dropping it opens the gate again.
struct Running<'a>(&'a AtomicBool);

impl SyncGate {
    fn enter(&self) -> Result<Running<'_>, AppError> {
        self.0
            .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
            .map(|_| Running(&self.0))
            .map_err(|_| {
                AppError::refused(
                    "sync_running",
                    "a sync pass is already running; wait for it to end",
                )
            })
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// The workspace directory, its id and the identities unlocked in this session.
#[tauri::command]
#[specta::specta]
pub async fn workspace_info(ws: Ws<'_>) -> Result<WorkspaceInfo, AppError> {
    with(&ws, |w| w.workspace_info())
}

/// Every identity (public facts only).
#[tauri::command]
#[specta::specta]
pub async fn identity_list(ws: Ws<'_>) -> Result<Vec<IdentityView>, AppError> {
    with(&ws, |w| w.identity_list())
}

/// Unlock an identity's key with its passphrase for the rest of the session
/// (`wrong_passphrase` when it does not open the key).
#[tauri::command]
#[specta::specta]
pub async fn identity_unlock(
    ws: Ws<'_>,
    identity: String,
    passphrase: String,
) -> Result<(), AppError> {
    with(&ws, |w| w.identity_unlock(&identity, &passphrase))
}

/// Forget every unlocked key.
#[tauri::command]
#[specta::specta]
pub async fn lock_all(ws: Ws<'_>) -> Result<(), AppError> {
    with(&ws, |w| {
        w.lock_all();
        Ok(())
    })
}

/// Every packet with its state at a glance (the home screen).
#[tauri::command]
#[specta::specta]
pub async fn packet_states(ws: Ws<'_>) -> Result<Vec<PacketState>, AppError> {
    with(&ws, |w| w.packet_states())
}

/// Every packet.
#[tauri::command]
#[specta::specta]
pub async fn packet_list(ws: Ws<'_>) -> Result<Vec<PacketView>, AppError> {
    with(&ws, |w| w.packet_list())
}

/// One packet with its head.
#[tauri::command]
#[specta::specta]
pub async fn packet_view(ws: Ws<'_>, packet: String) -> Result<PacketView, AppError> {
    with(&ws, |w| w.packet_view(&packet))
}

/// A new packet owned by `owner`.
#[tauri::command]
#[specta::specta]
pub async fn packet_new(ws: Ws<'_>, title: String, owner: String) -> Result<PacketView, AppError> {
    with(&ws, |w| w.packet_new(&title, &owner))
}

/// A revision's markdown (the head when `revision` is null).
#[tauri::command]
#[specta::specta]
pub async fn packet_show(
    ws: Ws<'_>,
    packet: String,
    revision: Option<String>,
) -> Result<RevisionContent, AppError> {
    with(&ws, |w| w.packet_show(&packet, revision.as_deref()))
}

/// A revision as sanitized HTML, anchored wording wrapped in `<mark data-anchor=ID class=…>`.
/// The UI inserts this as is and never renders markdown itself.
#[tauri::command]
#[specta::specta]
pub async fn packet_render_html(
    ws: Ws<'_>,
    packet: String,
    revision: Option<String>,
) -> Result<String, AppError> {
    with(&ws, |w| w.packet_render_html(&packet, revision.as_deref()))
}

/// A packet's revisions.
#[tauri::command]
#[specta::specta]
pub async fn packet_log(ws: Ws<'_>, packet: String) -> Result<Vec<RevisionView>, AppError> {
    with(&ws, |w| w.packet_log(&packet))
}

/// A new revision with `markdown` as its content (`no_change` when identical to the head).
#[tauri::command]
#[specta::specta]
pub async fn packet_revise(
    ws: Ws<'_>,
    packet: String,
    markdown: String,
    author: String,
    message: String,
) -> Result<RevisionView, AppError> {
    with(&ws, |w| {
        w.packet_revise(&packet, markdown.as_bytes(), &author, &message)
    })
}

/// Resolve a divergence as the packet's owner: a merge revision with `markdown` as its content,
/// whose parents are all the packet's heads (`not_diverged` when it has one head).
#[tauri::command]
#[specta::specta]
pub async fn packet_merge(
    ws: Ws<'_>,
    packet: String,
    markdown: String,
    author: String,
    message: String,
) -> Result<RevisionView, AppError> {
    with(&ws, |w| {
        w.packet_merge(&packet, markdown.as_bytes(), &author, &message)
    })
}

/// A packet's heads, oldest first: more than one means it has diverged.
#[tauri::command]
#[specta::specta]
pub async fn packet_heads(ws: Ws<'_>, packet: String) -> Result<Vec<RevisionView>, AppError> {
    with(&ws, |w| w.packet_heads(&packet))
}

/// A word-level redline from one revision to another.
#[tauri::command]
#[specta::specta]
pub async fn packet_compare(
    ws: Ws<'_>,
    packet: String,
    from: String,
    to: String,
) -> Result<Redline, AppError> {
    with(&ws, |w| w.packet_compare(&packet, &from, &to))
}

/// Open a comment thread on `quote` (its `occurrence`-th appearance, 1-based) in a revision.
/// Returns the thread id and how many times the quote occurs.
#[tauri::command]
#[specta::specta]
pub async fn comment_add(
    ws: Ws<'_>,
    packet: String,
    revision: String,
    quote: String,
    occurrence: usize,
    body: String,
    author: String,
) -> Result<Created, AppError> {
    with(&ws, |w| {
        w.comment_add(&packet, &revision, &quote, occurrence, &body, &author)
            .map(Created::from)
    })
}

/// Reply in a thread.
#[tauri::command]
#[specta::specta]
pub async fn comment_reply(
    ws: Ws<'_>,
    thread: String,
    body: String,
    author: String,
) -> Result<(), AppError> {
    with(&ws, |w| w.comment_reply(&thread, &body, &author))
}

/// Resolve a thread.
#[tauri::command]
#[specta::specta]
pub async fn comment_resolve(ws: Ws<'_>, thread: String, by: String) -> Result<(), AppError> {
    with(&ws, |w| w.comment_resolve(&thread, &by))
}

/// A packet's comment threads as they stand on a revision (the head when null).
#[tauri::command]
#[specta::specta]
pub async fn comment_list(
    ws: Ws<'_>,
    packet: String,
    revision: Option<String>,
) -> Result<Vec<ThreadView>, AppError> {
    with(&ws, |w| w.comment_list(&packet, revision.as_deref()))
}

/// Raise an objection on `quote` in a revision. Returns its id and how many times the quote
/// occurs.
#[allow(clippy::too_many_arguments)]
#[tauri::command]
#[specta::specta]
pub async fn objection_raise(
    ws: Ws<'_>,
    packet: String,
    revision: String,
    quote: String,
    occurrence: usize,
    body: String,
    author: String,
    blocking: bool,
) -> Result<Created, AppError> {
    with(&ws, |w| {
        w.objection_raise(
            &packet, &revision, &quote, occurrence, &body, &author, blocking,
        )
        .map(Created::from)
    })
}

/// Move an objection on the ledger: `resolve` | `withdraw` (with an optional note), `accept` as
/// residual disagreement (owner only, rationale required), `reopen` (reason required).
#[tauri::command]
#[specta::specta]
pub async fn objection_move(
    ws: Ws<'_>,
    objection: String,
    action: LedgerAction,
    by: String,
    text: Option<String>,
) -> Result<ObjectionStatus, AppError> {
    with(&ws, |w| {
        w.objection_move(&objection, action, &by, text.as_deref())
    })
}

/// A packet's objections as they stand on a revision (the head when null).
#[tauri::command]
#[specta::specta]
pub async fn objection_list(
    ws: Ws<'_>,
    packet: String,
    revision: Option<String>,
) -> Result<Vec<ObjectionView>, AppError> {
    with(&ws, |w| w.objection_list(&packet, revision.as_deref()))
}

/// A packet's evidence items with their history.
#[tauri::command]
#[specta::specta]
pub async fn evidence_list(ws: Ws<'_>, packet: String) -> Result<Vec<EvidenceView>, AppError> {
    with(&ws, |w| w.evidence_list(&packet))
}

/// The trust policy as it stands (lanes, identities, keys).
#[tauri::command]
#[specta::specta]
pub async fn policy_show(ws: Ws<'_>) -> Result<PolicyView, AppError> {
    with(&ws, |w| w.policy_show())
}

/// Where a packet's release in a lane stands: manifest, approvals, what is missing, holds.
#[tauri::command]
#[specta::specta]
pub async fn manifest_status(
    ws: Ws<'_>,
    packet: String,
    lane: String,
) -> Result<StatusView, AppError> {
    with(&ws, |w| w.manifest_status(&packet, &lane))
}

/// Draft the next manifest of a packet for a lane, signed by `as_identity` (default: the packet
/// owner). Refused while a blocking objection is open.
#[tauri::command]
#[specta::specta]
pub async fn manifest_draft(
    ws: Ws<'_>,
    packet: String,
    lane: String,
    expires_in_days: u32,
    as_identity: Option<String>,
) -> Result<ManifestView, AppError> {
    with(&ws, |w| {
        w.manifest_draft(&packet, &lane, expires_in_days, as_identity.as_deref())
    })
}

/// A manifest by digest or prefix: exactly what is signed.
#[tauri::command]
#[specta::specta]
pub async fn manifest_show(ws: Ws<'_>, manifest: String) -> Result<ManifestView, AppError> {
    with(&ws, |w| w.manifest_show(&manifest))
}

/// Sign a decision on a manifest as `as_identity`: `approve`, `reject` (reason required) or
/// `reviewed`.
#[tauri::command]
#[specta::specta]
pub async fn manifest_approve(
    ws: Ws<'_>,
    manifest: String,
    as_identity: String,
    meaning: Meaning,
    reason: Option<String>,
) -> Result<ApprovalView, AppError> {
    with(&ws, |w| {
        w.manifest_approve(&manifest, &as_identity, meaning, reason.as_deref())
    })
}

/// Release the approved manifest into the lane's outbox. Returns the bundle's path.
#[tauri::command]
#[specta::specta]
pub async fn release(
    ws: Ws<'_>,
    packet: String,
    lane: String,
    as_identity: Option<String>,
) -> Result<PathBuf, AppError> {
    with(&ws, |w| w.release(&packet, &lane, as_identity.as_deref()))
}

/// Verify a bundle's text (a file the user picked) against the workspace's policy, or against
/// `policy` text when given; optionally against the packet's `content`.
#[tauri::command]
#[specta::specta]
pub async fn verify_bundle_bytes(
    ws: Ws<'_>,
    bundle: String,
    lane: String,
    policy: Option<String>,
    content: Option<String>,
) -> Result<VerifyReport, AppError> {
    with(&ws, |w| {
        w.verify_bundle_bytes(
            bundle.as_bytes(),
            &lane,
            policy.as_deref().map(str::as_bytes),
            content.as_deref().map(str::as_bytes),
        )
    })
}

/// Verify the audit chain, every event signature and the database's integrity.
#[tauri::command]
#[specta::specta]
pub async fn check(ws: Ws<'_>) -> Result<CheckReport, AppError> {
    with(&ws, |w| w.check())
}

/// Changes after position `seq` in the audit log, oldest first (at most `limit`).
#[tauri::command]
#[specta::specta]
pub async fn changes_since(
    ws: Ws<'_>,
    seq: u64,
    limit: usize,
) -> Result<Vec<ChangeView>, AppError> {
    with(&ws, |w| w.changes_since(seq, limit))
}

/// The newest change's position in the audit log.
#[tauri::command]
#[specta::specta]
pub async fn last_change(ws: Ws<'_>) -> Result<u64, AppError> {
    with(&ws, |w| w.last_change())
}

/// Every run record with its derived status (oldest first).
#[tauri::command]
#[specta::specta]
pub async fn run_list(ws: Ws<'_>) -> Result<Vec<RunSummaryView>, AppError> {
    with(&ws, |w| w.run_list())
}

/// One run record with everything its page shows: header, live counts, the architecture view,
/// the derived step graph, meetings, outputs, files, approvals and roadmap links.
#[tauri::command]
#[specta::specta]
pub async fn run_show(ws: Ws<'_>, run: String) -> Result<RunView, AppError> {
    with(&ws, |w| w.run_show(&run))
}

/// Approve a run's approval as `as_identity` (with an optional note). The step waiting on it
/// completes at once; a packet release's manifest approval is decided by signing the manifest.
#[tauri::command]
#[specta::specta]
pub async fn run_approve(
    ws: Ws<'_>,
    approval: String,
    as_identity: String,
    note: Option<String>,
) -> Result<RunApprovalView, AppError> {
    with(&ws, |w| {
        w.run_approve(&approval, &as_identity, note.as_deref())
    })
}

/// Reject a run's approval as `as_identity`, with a reason (required). The step fails, or the
/// run goes back for rework, as the step says.
#[tauri::command]
#[specta::specta]
pub async fn run_reject(
    ws: Ws<'_>,
    approval: String,
    as_identity: String,
    reason: String,
) -> Result<RunApprovalView, AppError> {
    with(&ws, |w| w.run_reject(&approval, &as_identity, &reason))
}

/// A file or output of a run explained back to the meetings, files and trigger it came from.
#[tauri::command]
#[specta::specta]
pub async fn run_lineage(ws: Ws<'_>, run: String, item: String) -> Result<LineageNode, AppError> {
    with(&ws, |w| w.run_lineage(&run, &item))
}

/// Where sync stands: this replica, every target's last pass and queue, what is quarantined or
/// waiting there, divergences and conflicts.
#[tauri::command]
#[specta::specta]
pub async fn sync_status(ws: Ws<'_>) -> Result<SyncStatusView, AppError> {
    with(&ws, |w| w.sync_status())
}

/// Whose keys a pass with `target` will sign with and are not unlocked yet (ask for them first,
/// and the pass runs in one go).
#[tauri::command]
#[specta::specta]
pub async fn sync_keys_needed(
    ws: Ws<'_>,
    target: TargetInput,
) -> Result<Vec<IdentityView>, AppError> {
    with(&ws, |w| w.sync_keys_needed(&target))
}

/// One sync pass with `target`: push, then pull. A new target is added by its first pass (and
/// kept, with its error, even when that fails). The pass runs on a handle of its own, so every
/// other command goes on meanwhile; `SyncProgress` events report it. A key the session has not
/// unlocked fails it with `passphrase_unavailable` naming the identity: unlock it and run again.
#[tauri::command]
#[specta::specta]
pub async fn sync_now<R: Runtime>(
    app: AppHandle<R>,
    ws: Ws<'_>,
    gate: State<'_, SyncGate>,
    target: TargetInput,
) -> Result<SyncReport, AppError> {
    let _running = gate.enter()?;
    let pass = with(&ws, |w| w.sync_pass(&target, Box::new(AskTheUi)))?;
    let progress = events::sync_progress(app, pass.target());
    blocking(move || pass.run(&progress)).await
}
