//! `sync`, `join` and `state-digest`: arguments, progress and printing. Everything else is
//! behind `countersign_api::sync`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use clap::{Args, Subcommand};
use countersign_api::sync::{
    HeldBackView, Moved, Phase, Progress, SyncReport, SyncStatusView, TargetSpec,
};
use countersign_api::{ApiError, Deps, Workspace, short};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

/// Where a workspace is kept.
#[derive(Args, Debug, Clone)]
pub struct TargetArgs {
    /// A shared folder (SMB, Dropbox, OneDrive, Syncthing, a USB disk).
    #[arg(long, value_name = "DIR", conflicts_with = "s3")]
    folder: Option<PathBuf>,
    /// An S3-compatible bucket and prefix: s3://BUCKET/PREFIX (credentials from
    /// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).
    #[arg(long, value_name = "s3://BUCKET/PREFIX")]
    s3: Option<String>,
    /// The S3 server's endpoint URL (default: AWS_ENDPOINT_URL, else AWS itself).
    #[arg(long, value_name = "URL", requires = "s3")]
    endpoint: Option<String>,
    /// The S3 region (default: AWS_REGION, else us-east-1).
    #[arg(long, requires = "s3")]
    region: Option<String>,
}

/// `sync`.
#[derive(Args, Debug)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Every operation carries its maker's own signature; the batches a pass pushes are signed \
                  with one key, the pusher's: --as, else the first identity made on this replica \
                  (one whose key is not revoked). So a push asks for one passphrase, however many \
                  identities made the operations. Pulled batches are checked by the pusher's key \
                  and every operation by its maker's."
)]
pub struct SyncArgs {
    #[command(subcommand)]
    sub: Option<SyncSub>,
    #[command(flatten)]
    target: TargetArgs,
    /// The identity whose key signs the batches pushed (one made on this replica; default: the
    /// first made on this replica whose key is not revoked).
    #[arg(long = "as", value_name = "IDENTITY")]
    as_: Option<String>,
    /// Keep syncing until Ctrl-C: when files arrive in the folder, when this workspace changes,
    /// and every --interval.
    #[arg(long)]
    watch: bool,
    /// Seconds between passes when watching (default: 30).
    #[arg(long, value_name = "SECS", default_value_t = 30, requires = "watch")]
    interval: u64,
}

#[derive(Subcommand, Debug)]
enum SyncSub {
    /// The last pass per target, operations not yet pushed, divergences, conflicts, quarantine.
    Status,
}

/// `join`.
#[derive(Args, Debug)]
#[command(
    after_help = "Joining only pulls: it needs no key. Add this replica's own identities afterwards \
                  (`countersign identity add`); its pushes are signed by one of them (`sync --as`)."
)]
pub struct JoinArgs {
    #[command(flatten)]
    target: TargetArgs,
}

fn target_of(args: &TargetArgs, ws: Option<&Workspace>) -> Result<TargetSpec, ApiError> {
    if let Some(dir) = &args.folder {
        return Ok(countersign_api::sync::folder_target(dir));
    }
    if let Some(url) = &args.s3 {
        return countersign_api::sync::s3_target(
            url,
            args.endpoint.as_deref(),
            args.region.as_deref(),
        );
    }
    match ws {
        Some(ws) => ws.default_sync_target(),
        None => Err(ApiError::OutOfRange(
            "name a target: --folder DIR, or --s3 s3://BUCKET/PREFIX --endpoint URL".into(),
        )),
    }
}

/// A progress bar on standard error when it is a terminal (and not --json); nothing otherwise.
struct Bar {
    bar: ProgressBar,
    phase: Mutex<Option<Phase>>,
}

impl Bar {
    fn new(json: bool) -> Bar {
        let bar = if !json && std::io::stderr().is_terminal() {
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template("{msg:>24} [{bar:30}] {pos}/{len} objects")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        Bar {
            bar,
            phase: Mutex::new(None),
        }
    }

    fn update(&self, p: &Progress) {
        if let Ok(mut phase) = self.phase.lock()
            && *phase != Some(p.phase)
        {
            *phase = Some(p.phase);
            self.bar.reset();
            self.bar.set_message(match p.phase {
                Phase::Listing => "listing",
                Phase::Uploading => "uploading",
                Phase::Downloading => "downloading",
            });
        }
        self.bar.set_length(p.total);
        self.bar.set_position(p.done);
        self.bar.set_message(format!(
            "{} {}",
            match p.phase {
                Phase::Listing => "listing",
                Phase::Uploading => "uploading",
                Phase::Downloading => "downloading",
            },
            human_bytes(p.bytes)
        ));
    }

    fn done(&self) {
        self.bar.finish_and_clear();
    }
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

fn moved(m: &Moved) -> String {
    format!(
        "{} ops in {} batches, {} objects, {}",
        m.ops,
        m.batches,
        m.objects,
        human_bytes(m.bytes)
    )
}

fn held_back(title: &str, list: &[HeldBackView]) {
    if list.is_empty() {
        return;
    }
    println!("{title} ({}):", list.len());
    for q in list {
        match &q.replica {
            Some(r) => println!("  {} (replica {}): {}", q.object, short(r), q.reason),
            None => println!("  {}: {}", q.object, q.reason),
        }
    }
}

fn print_report(r: &SyncReport, json: bool) {
    if json {
        println!("{}", serde_json::to_string_pretty(r).unwrap_or_default());
        return;
    }
    println!("{}", r.target);
    println!("  pushed: {}", moved(&r.pushed));
    println!("  pulled: {}", moved(&r.pulled));
    if r.pending_ops > 0 {
        println!("  still to push: {} ops", r.pending_ops);
    }
    held_back("quarantined (never applied)", &r.quarantined);
    held_back("waiting", &r.waiting);
    for k in &r.kept {
        println!("kept, not applied: {k}");
    }
    for d in &r.diverged {
        println!(
            "diverged: packet {} \"{}\" has {} heads ({}); {} resolves it with `countersign packet revise {} --file FILE --author OWNER --merge`",
            short(&d.packet),
            d.title,
            d.heads.len(),
            d.heads
                .iter()
                .map(|h| short(h))
                .collect::<Vec<_>>()
                .join(", "),
            d.owner_name,
            short(&d.packet)
        );
    }
    for c in &r.conflicts {
        println!("conflict ({}): {}", c.kind, c.detail);
    }
    println!("state digest: {}", r.state_digest);
}

fn print_status(s: &SyncStatusView, json: bool) {
    if json {
        println!("{}", serde_json::to_string_pretty(s).unwrap_or_default());
        return;
    }
    println!(
        "workspace {}  replica {}",
        short(&s.workspace),
        short(&s.replica)
    );
    println!("this replica's ops: {}", s.local_ops);
    for (r, n) in &s.replicas {
        println!("ops from replica {}: {n}", short(r));
    }
    if s.targets.is_empty() {
        println!(
            "never synced: run `countersign sync --folder DIR` or `countersign sync --s3 s3://BUCKET/PREFIX --endpoint URL`"
        );
    }
    for t in &s.targets {
        println!("{}", t.target);
        println!(
            "  create-only puts: {}",
            t.create_only.as_deref().unwrap_or("not probed yet")
        );
        match (&t.last_pass_at, &t.last_error) {
            (None, _) => println!("  last pass: never"),
            (Some(at), Some(e)) => println!("  last pass: {at}, FAILED: {e}"),
            (Some(at), None) => {
                println!("  last pass: {at}");
                if let Some(m) = &t.last_pushed {
                    println!("    pushed: {}", moved(m));
                }
                if let Some(m) = &t.last_pulled {
                    println!("    pulled: {}", moved(m));
                }
            }
        }
        println!("  pending ops (not pushed yet): {}", t.pending_ops);
        held_back("  quarantined", &t.quarantined);
        held_back("  waiting", &t.waiting);
    }
    if s.diverged.is_empty() {
        println!("diverged packets: none");
    }
    for d in &s.diverged {
        println!(
            "diverged: packet {} \"{}\": heads {} (owner {} merges with `packet revise --merge`)",
            short(&d.packet),
            d.title,
            d.heads
                .iter()
                .map(|h| short(h))
                .collect::<Vec<_>>()
                .join(", "),
            d.owner_name
        );
    }
    if s.conflicts.is_empty() {
        println!("conflicts: none");
    }
    for c in &s.conflicts {
        println!("conflict ({}) at {}: {}", c.kind, c.at, c.detail);
    }
    println!("state digest: {}", s.state_digest);
}

/// `countersign sync …`.
pub fn sync(args: &SyncArgs, dir: &Path, deps: Deps, json: bool) -> Result<u8, ApiError> {
    let mut ws = Workspace::open(dir, deps)?;
    if let Some(SyncSub::Status) = args.sub {
        print_status(&ws.sync_status()?, json);
        return Ok(0);
    }
    let target = target_of(&args.target, Some(&ws))?;
    let bar = Bar::new(json);
    let progress = |p: &Progress| bar.update(p);
    if !args.watch {
        let report = ws.sync_once_as(&target, args.as_.as_deref(), &progress);
        bar.done();
        print_report(&report?, json);
        return Ok(0);
    }
    let stop = countersign_api::sync::stop_on_interrupt()?;
    if !json {
        eprintln!("syncing with {} until Ctrl-C", target.name());
    }
    let mut passes = 0u64;
    let mut on_pass = |r: &Result<SyncReport, ApiError>| {
        bar.done();
        passes += 1;
        match r {
            Ok(r) if json => println!("{}", serde_json::to_string(r).unwrap_or_default()),
            Ok(r) => {
                let moved_any = r.pushed.ops + r.pulled.ops + r.pulled.objects > 0;
                if moved_any || passes == 1 || !r.quarantined.is_empty() {
                    println!(
                        "[{}] pushed {} ops, pulled {} ops ({} objects, {}); {} quarantined, {} waiting; state {}",
                        countersign_api::now(),
                        r.pushed.ops,
                        r.pulled.ops,
                        r.pushed.objects + r.pulled.objects,
                        human_bytes(r.pushed.bytes + r.pulled.bytes),
                        r.quarantined.len(),
                        r.waiting.len(),
                        short(&r.state_digest)
                    );
                }
            }
            Err(e) if json => eprintln!(
                "{}",
                json!({ "error": { "code": e.code(), "message": e.to_string() } })
            ),
            Err(e) => eprintln!("[{}] pass failed, will retry: {e}", countersign_api::now()),
        }
    };
    ws.sync_watch(
        &target,
        args.as_.as_deref(),
        Duration::from_secs(args.interval.max(1)),
        stop,
        &mut on_pass,
        &progress,
    )?;
    bar.done();
    if !json {
        eprintln!("stopped after {passes} passes");
    }
    Ok(0)
}

/// `countersign join …`.
pub fn join(args: &JoinArgs, dir: &Path, deps: Deps, json: bool) -> Result<u8, ApiError> {
    let target = target_of(&args.target, None)?;
    let bar = Bar::new(json);
    let progress = |p: &Progress| bar.update(p);
    let result = countersign_api::sync::join(dir, &target, deps, &progress);
    bar.done();
    let (ws, report) = result?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "workspace": ws.workspace_id()?,
                "replica": ws.replica_id()?,
                "report": report,
            }))
            .unwrap_or_default()
        );
    } else {
        println!(
            "joined workspace {} as replica {} in {}",
            short(&ws.workspace_id()?),
            short(&ws.replica_id()?),
            dir.display()
        );
        print_report(&report, false);
        eprintln!(
            "note: add this replica's own identities with `countersign identity add` (its pushes are signed by one of them); the others' keys stay on their replicas"
        );
    }
    Ok(0)
}

/// `countersign state-digest`.
pub fn state_digest(dir: &Path, deps: Deps, json: bool) -> Result<u8, ApiError> {
    let d = Workspace::open(dir, deps)?.state_digest()?;
    if json {
        println!("{}", json!({ "state_digest": d }));
    } else {
        println!("{d}");
    }
    Ok(0)
}
