//! `countersign`: the command line over Countersign's API façade. Parsing and printing only;
//! every decision is made behind `countersign_api`.

mod passphrase;
mod print;
mod sync_cmd;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use countersign_api::{ApiError, Deps, ErrorClass, IdentityKind, LedgerAction, Workspace};

#[derive(Parser, Debug)]
#[command(
    name = "countersign",
    version,
    about = "Co-draft a governed markdown packet offline; release an exact revision under signed approval."
)]
struct Cli {
    /// The workspace directory.
    #[arg(long, global = true, env = "COUNTERSIGN_WORKSPACE", value_name = "DIR")]
    workspace: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Make a new, empty workspace.
    Init,
    /// Identities: people and agents, each with a key pair.
    #[command(subcommand)]
    Identity(IdentityCmd),
    /// Packets and their revisions.
    #[command(subcommand)]
    Packet(PacketCmd),
    /// Comment threads on wording.
    #[command(subcommand)]
    Comment(CommentCmd),
    /// Objections and the objection ledger.
    #[command(subcommand)]
    Objection(ObjectionCmd),
    /// Evidence from source systems, each by digest.
    #[command(subcommand)]
    Evidence(EvidenceCmd),
    /// The trust policy: identities, lanes, thresholds, revocations.
    #[command(subcommand)]
    Policy(PolicyCmd),
    /// Release manifests and their approvals.
    #[command(subcommand)]
    Manifest(ManifestCmd),
    /// Release the approved manifest's bundle into its lane's outbox.
    Release {
        /// Packet id or prefix.
        packet: String,
        /// The lane.
        #[arg(long)]
        lane: String,
        /// Who releases (default: the lane's release owner).
        #[arg(long = "as")]
        as_: Option<String>,
    },
    /// Verify a release bundle offline (needs no workspace).
    Verify {
        /// The bundle file.
        bundle: PathBuf,
        /// The lane it is presented to.
        #[arg(long)]
        lane: String,
        /// The trusted policy file (from `policy export`).
        #[arg(long)]
        policy: PathBuf,
        /// The packet content, to check it is exactly the released revision.
        #[arg(long)]
        content: Option<PathBuf>,
        /// A folder that keeps the highest versions seen (rollback protection).
        #[arg(long)]
        state: Option<PathBuf>,
        /// The verifier's clock (RFC 3339); default: now.
        #[arg(long)]
        now: Option<String>,
    },
    /// Verify the audit chain and the workspace file's integrity.
    Check,
    /// Sync with a shared folder or an S3-compatible bucket: push, then pull (once, or --watch).
    Sync(sync_cmd::SyncArgs),
    /// Make a new replica, in an empty directory, of the workspace kept at a folder or bucket.
    Join(sync_cmd::JoinArgs),
    /// The workspace's state digest: equal on two replicas exactly when they hold the same.
    StateDigest,
    /// Build the demo workspace (an outage disclosure packet) in an empty directory.
    Demo,
    /// Run records: one workflow execution with its trigger, meetings, derived step graph,
    /// approvals, outputs, files and roadmap links.
    #[command(subcommand)]
    Run(RunCmd),
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum PatternArg {
    Internal,
    External,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum RiskArg {
    Low,
    Medium,
    High,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum OutcomeArg {
    Completed,
    Skipped,
    Failed,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum OnRejectArg {
    Fail,
    Rework,
}

#[derive(Subcommand, Debug)]
enum RunCmd {
    /// Every run with its derived status.
    List,
    /// A run record: header, live counts, architecture view, steps, approvals, meetings,
    /// outputs, files and roadmap links.
    Show {
        /// Run id or prefix.
        run: String,
    },
    /// Make a run record (with --packet and --lane: that packet's release).
    New {
        /// Name.
        #[arg(long)]
        name: String,
        /// Operating pattern.
        #[arg(long, value_enum)]
        pattern: PatternArg,
        /// The owning identity (human or agent).
        #[arg(long)]
        owner: String,
        /// What triggered the run.
        #[arg(long)]
        trigger: String,
        /// Where the trigger came from (default: manual).
        #[arg(long)]
        trigger_source: Option<String>,
        /// When it fired (RFC 3339; default: now).
        #[arg(long)]
        trigger_at: Option<String>,
        /// A packet whose release this run is (needs --lane).
        #[arg(long, requires = "lane")]
        packet: Option<String>,
        /// The release lane (needs --packet).
        #[arg(long, requires = "packet")]
        lane: Option<String>,
        /// Who records it (default: the owner).
        #[arg(long = "as")]
        as_: Option<String>,
    },
    /// Import a meeting transcript (.vtt, .txt or .md; UTF-8; at most 4 MiB).
    ImportMeeting {
        /// Run id or prefix.
        run: String,
        /// The transcript.
        #[arg(long)]
        file: PathBuf,
        /// Who imports it (default: the run's owner).
        #[arg(long = "as")]
        as_: Option<String>,
    },
    /// Approve an approval (a human holding one of its roles or named as its approver).
    Approve {
        /// Approval id or prefix.
        approval: String,
        /// Who decides.
        #[arg(long = "as")]
        as_: String,
        /// A note.
        #[arg(long)]
        note: Option<String>,
    },
    /// Reject an approval, with a reason.
    Reject {
        /// Approval id or prefix.
        approval: String,
        /// Who decides.
        #[arg(long = "as")]
        as_: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Link a roadmap item to a run.
    LinkRoadmap {
        /// Run id or prefix.
        run: String,
        /// The item's key (e.g. ADV-212).
        #[arg(long)]
        key: String,
        /// Its title.
        #[arg(long)]
        title: String,
        /// Where it lives (http or https).
        #[arg(long)]
        url: Option<String>,
        /// Who links it (default: the run's owner).
        #[arg(long = "as")]
        as_: Option<String>,
    },
    /// Append a step to a run's definition (its status is derived, never set).
    AddStep {
        /// Run id or prefix.
        run: String,
        /// What the step does.
        #[arg(long)]
        name: String,
        /// What it does or waits for, shown while it is current.
        #[arg(long)]
        description: Option<String>,
        /// The approval it waits on.
        #[arg(long)]
        gate: Option<String>,
        /// What a rejection of the gate does.
        #[arg(long, value_enum, default_value_t = OnRejectArg::Fail, requires = "gate")]
        on_reject: OnRejectArg,
        /// With --on-reject rework: the earlier step (number) the run goes back to.
        #[arg(long)]
        rework_to: Option<u32>,
        /// Who adds it (default: the run's owner).
        #[arg(long = "as")]
        as_: Option<String>,
    },
    /// Add an approval to a run.
    AddApproval {
        /// Run id or prefix.
        run: String,
        /// Title.
        #[arg(long)]
        title: String,
        /// Risk of the work it gates.
        #[arg(long, value_enum)]
        risk: RiskArg,
        /// What it requires, in words.
        #[arg(long)]
        requirement: String,
        /// A role whose holders may decide (repeatable).
        #[arg(long = "role")]
        roles: Vec<String>,
        /// An identity who may decide (repeatable).
        #[arg(long = "approver")]
        approvers: Vec<String>,
        /// Who adds it (default: the run's owner).
        #[arg(long = "as")]
        as_: Option<String>,
    },
    /// Record the outcome of the running step.
    CompleteStep {
        /// Run id or prefix.
        run: String,
        /// The step's number.
        #[arg(long)]
        step: u32,
        /// What happened.
        #[arg(long, value_enum, default_value_t = OutcomeArg::Completed)]
        outcome: OutcomeArg,
        /// What was found or done, or why it failed.
        #[arg(long)]
        note: Option<String>,
        /// Who records it (default: the run's owner).
        #[arg(long = "as")]
        as_: Option<String>,
    },
    /// Add a generated output (an action preview; never carried out).
    AddOutput {
        /// Run id or prefix.
        run: String,
        /// What kind of action it previews.
        #[arg(long)]
        kind: String,
        /// The preview.
        #[arg(long)]
        text: String,
        /// The step that made it (number).
        #[arg(long)]
        step: Option<u32>,
        /// The approval that gates it.
        #[arg(long)]
        approval: Option<String>,
        /// What it was made from: a meeting, file or output id of the run, or `trigger` (repeatable).
        #[arg(long = "input")]
        inputs: Vec<String>,
        /// Who adds it (default: the run's owner).
        #[arg(long = "as")]
        as_: Option<String>,
    },
    /// Add a file: an input, or an artifact a step made (--step) from inputs (--input).
    AddFile {
        /// Run id or prefix.
        run: String,
        /// The file (at most 16 MiB).
        #[arg(long)]
        file: PathBuf,
        /// Title (default: the file's name).
        #[arg(long)]
        title: Option<String>,
        /// The step that made it (number).
        #[arg(long)]
        step: Option<u32>,
        /// What it was made from: a meeting, file or output id of the run, or `trigger` (repeatable).
        #[arg(long = "input")]
        inputs: Vec<String>,
        /// Who adds it (default: the run's owner).
        #[arg(long = "as")]
        as_: Option<String>,
    },
    /// Explain a file or output back to its inputs.
    Lineage {
        /// Run id or prefix.
        run: String,
        /// File, output or meeting id or prefix.
        item: String,
    },
}

#[derive(Subcommand, Debug)]
enum IdentityCmd {
    /// Make an identity with a new key pair (the passphrase seals its private key).
    Add {
        /// Printed name.
        #[arg(long)]
        name: String,
        /// A role: author, reviewer, legal, release-owner, approver, admin (repeatable).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// The identity is an automated agent.
        #[arg(long)]
        agent: bool,
    },
    /// List identities.
    List,
}

#[derive(Subcommand, Debug)]
enum PacketCmd {
    /// Make a packet.
    New {
        /// One-line title.
        #[arg(long)]
        title: String,
        /// The owning identity (id or unique prefix).
        #[arg(long)]
        owner: String,
    },
    /// Add a revision from a UTF-8 markdown file (at most 16 MiB).
    Revise {
        /// Packet id or prefix.
        packet: String,
        /// The markdown file.
        #[arg(long)]
        file: PathBuf,
        /// The author.
        #[arg(long)]
        author: String,
        /// What changed and why.
        #[arg(long, default_value = "")]
        message: String,
        /// Resolve a divergence: the new revision's parents are all the packet's heads (the
        /// packet's owner only).
        #[arg(long)]
        merge: bool,
    },
    /// The packet's heads: more than one means concurrent revisions made it diverge.
    Heads {
        /// Packet id or prefix.
        packet: String,
    },
    /// Print a revision (the head by default).
    Show {
        /// Packet id or prefix.
        packet: String,
        /// Revision id or prefix.
        #[arg(long)]
        revision: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Markdown)]
        format: Format,
    },
    /// A packet's revisions, newest first.
    Log {
        /// Packet id or prefix.
        packet: String,
    },
    /// Every packet.
    List,
}

#[derive(Subcommand, Debug)]
enum EvidenceCmd {
    /// Import an evidence file; re-adding a changed file records a new digest.
    Add {
        /// Packet id or prefix.
        packet: String,
        /// Source system (incident timeline, case management, entitlement, contract guidance, …).
        #[arg(long)]
        source: String,
        /// The file.
        #[arg(long)]
        file: PathBuf,
        /// Title (default: the file's name).
        #[arg(long)]
        title: Option<String>,
        /// Who imports it (default: the packet owner).
        #[arg(long)]
        by: Option<String>,
    },
    /// A packet's evidence with its history.
    List {
        /// Packet id or prefix.
        packet: String,
    },
}

#[derive(Subcommand, Debug)]
enum PolicyCmd {
    /// Issue the first trust policy, signed by the admin.
    Init {
        /// The admin identity (a human with the admin role).
        #[arg(long)]
        admin: String,
    },
    /// Lanes.
    #[command(subcommand)]
    Lane(LaneCmd),
    /// Revoke an identity's keys (a new policy version).
    Revoke {
        /// The identity.
        identity: String,
        /// The admin.
        #[arg(long)]
        by: String,
    },
    /// The policy as it stands.
    Show,
    /// Write the signed policy to a file, for verifiers.
    Export {
        /// Where.
        file: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum LaneCmd {
    /// Add or change a lane (a new policy version).
    Add {
        /// Lane id.
        lane: String,
        /// The audience scope, in words.
        #[arg(long)]
        audience: String,
        /// The release owner.
        #[arg(long)]
        owner: String,
        /// A role whose holders' approvals count (repeatable).
        #[arg(long = "require-role", required = true)]
        require_roles: Vec<String>,
        /// Distinct human approvers needed.
        #[arg(long)]
        threshold: u32,
        /// Let approvals survive whitespace/punctuation-only revisions.
        #[arg(long)]
        carry_over_trivial: bool,
    },
}

#[derive(Subcommand, Debug)]
enum ManifestCmd {
    /// Draft the next manifest for the packet's head revision.
    Draft {
        /// Packet id or prefix.
        packet: String,
        /// The lane.
        #[arg(long)]
        lane: String,
        /// Days until it expires.
        #[arg(long, default_value_t = 14)]
        expires_in_days: u32,
        /// Who drafts and signs it (default: the packet owner).
        #[arg(long = "as")]
        as_: Option<String>,
    },
    /// Sign a decision on a manifest.
    Approve {
        /// Manifest digest or prefix.
        manifest: String,
        /// The signer.
        #[arg(long = "as")]
        as_: String,
        /// approve, reject (with --reason) or reviewed.
        #[arg(long, value_enum, default_value_t = MeaningArg::Approve)]
        meaning: MeaningArg,
        /// Why (required to reject).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Exactly what a manifest binds.
    Show {
        /// Manifest digest or prefix.
        manifest: String,
    },
    /// Approvals present, missing and stale; holds and their causes.
    Status {
        /// Packet id or prefix.
        packet: String,
        /// The lane.
        #[arg(long)]
        lane: String,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum MeaningArg {
    Approve,
    Reject,
    Reviewed,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Markdown,
    Html,
}

#[derive(Args, Debug)]
struct Anchoring {
    /// Packet id or prefix.
    packet: String,
    /// The revision whose wording is quoted.
    #[arg(long)]
    revision: String,
    /// The wording, as it reads in the revision (line breaks and runs of spaces may be typed as
    /// single spaces).
    #[arg(long)]
    quote: String,
    /// Which occurrence of the quote, when it appears more than once (1-based).
    #[arg(long, default_value_t = 1)]
    occurrence: usize,
    /// The text.
    #[arg(long)]
    body: String,
    /// Who writes it.
    #[arg(long)]
    author: String,
}

#[derive(Subcommand, Debug)]
enum CommentCmd {
    /// Open a thread on wording.
    Add(Anchoring),
    /// Reply in a thread.
    Reply {
        /// Thread id or prefix.
        thread: String,
        /// The text.
        #[arg(long)]
        body: String,
        /// Who writes it.
        #[arg(long)]
        author: String,
    },
    /// Mark a thread resolved.
    Resolve {
        /// Thread id or prefix.
        thread: String,
        /// Who resolves it.
        #[arg(long)]
        by: String,
    },
    /// Threads as they stand on a revision (the head by default).
    List {
        /// Packet id or prefix.
        packet: String,
        /// Revision id or prefix.
        #[arg(long)]
        revision: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum ObjectionCmd {
    /// Raise an objection against wording.
    Raise {
        #[command(flatten)]
        at: Anchoring,
        /// It blocks release while open.
        #[arg(long)]
        blocking: bool,
    },
    /// Mark an objection resolved (its raiser or the packet owner).
    Resolve {
        /// Objection id or prefix.
        objection: String,
        /// Who.
        #[arg(long)]
        by: String,
        /// A note.
        #[arg(long)]
        note: Option<String>,
    },
    /// Withdraw an objection (its raiser).
    Withdraw {
        /// Objection id or prefix.
        objection: String,
        /// Who.
        #[arg(long)]
        by: String,
        /// A note.
        #[arg(long)]
        note: Option<String>,
    },
    /// Reopen a resolved, withdrawn or accepted objection.
    Reopen {
        /// Objection id or prefix.
        objection: String,
        /// Who.
        #[arg(long)]
        by: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Accept an objection as residual disagreement (the packet owner, a human).
    Accept {
        /// Objection id or prefix.
        objection: String,
        /// Who (the packet owner).
        #[arg(long)]
        by: String,
        /// Why the disagreement is accepted.
        #[arg(long)]
        rationale: String,
    },
    /// The ledger as it stands on a revision (the head by default).
    List {
        /// Packet id or prefix.
        packet: String,
        /// Revision id or prefix.
        #[arg(long)]
        revision: Option<String>,
    },
}

fn deps() -> Result<Deps, ApiError> {
    let fixed_now = std::env::var("COUNTERSIGN_NOW")
        .ok()
        .filter(|s| !s.is_empty());
    Deps::system(Box::new(passphrase::EnvOrPrompt), fixed_now.as_deref())
}

fn workspace_dir(cli: &Cli) -> PathBuf {
    cli.workspace.clone().unwrap_or_else(|| PathBuf::from("."))
}

fn open(dir: &Path) -> Result<Workspace, ApiError> {
    Workspace::open(dir, deps()?)
}

fn read_file(path: &Path) -> Result<Vec<u8>, ApiError> {
    countersign_api::read_input_file(path)
}

fn run(cli: &Cli, out: &mut print::Out) -> Result<(), ApiError> {
    let dir = workspace_dir(cli);
    match &cli.command {
        Command::Init => {
            let ws = Workspace::init(&dir, deps()?)?;
            out.created(&ws.workspace_id()?);
        }
        Command::Demo => {
            let passphrase = std::env::var("COUNTERSIGN_PASSPHRASE")
                .unwrap_or_else(|_| countersign_api::demo::DEMO_PASSPHRASE.to_owned());
            let summary = countersign_api::demo::build(&dir, deps()?, &passphrase)?;
            out.demo(&summary);
        }
        Command::Verify {
            bundle,
            lane,
            policy,
            content,
            state,
            now,
        } => {
            let now = match now {
                Some(t) => countersign_api::parse_time(t)?,
                None => countersign_api::now(),
            };
            let report = countersign_api::verify_files(
                bundle,
                lane,
                policy,
                content.as_deref(),
                state.as_deref(),
                now,
            )?;
            out.verified(&report);
        }
        Command::Release { packet, lane, as_ } => {
            let path = open(&dir)?.release(packet, lane, as_.as_deref())?;
            out.path(&path);
        }
        Command::Evidence(cmd) => {
            let mut ws = open(&dir)?;
            match cmd {
                EvidenceCmd::Add {
                    packet,
                    source,
                    file,
                    title,
                    by,
                } => {
                    let e =
                        ws.evidence_add(packet, source, title.as_deref(), file, by.as_deref())?;
                    if !e.changed {
                        eprintln!(
                            "note: unchanged; {} already records this file ({})",
                            e.title, e.digest
                        );
                    }
                    out.created(&e.id);
                }
                EvidenceCmd::List { packet } => out.evidence(&ws.evidence_list(packet)?),
            }
        }
        Command::Policy(cmd) => {
            let mut ws = open(&dir)?;
            match cmd {
                PolicyCmd::Init { admin } => out.policy(&ws.policy_init(admin)?),
                PolicyCmd::Lane(LaneCmd::Add {
                    lane,
                    audience,
                    owner,
                    require_roles,
                    threshold,
                    carry_over_trivial,
                }) => {
                    let roles = require_roles
                        .iter()
                        .map(|r| r.parse())
                        .collect::<Result<Vec<_>, _>>()?;
                    out.policy(&ws.policy_lane_add(
                        lane,
                        audience,
                        owner,
                        &roles,
                        *threshold,
                        *carry_over_trivial,
                    )?);
                }
                PolicyCmd::Revoke { identity, by } => out.policy(&ws.policy_revoke(identity, by)?),
                PolicyCmd::Show => out.policy(&ws.policy_show()?),
                PolicyCmd::Export { file } => {
                    ws.policy_export(file)?;
                    out.path(file);
                }
            }
        }
        Command::Manifest(cmd) => {
            let mut ws = open(&dir)?;
            match cmd {
                ManifestCmd::Draft {
                    packet,
                    lane,
                    expires_in_days,
                    as_,
                } => {
                    out.created(
                        &ws.manifest_draft(packet, lane, *expires_in_days, as_.as_deref())?
                            .digest,
                    );
                }
                ManifestCmd::Approve {
                    manifest,
                    as_,
                    meaning,
                    reason,
                } => {
                    let meaning = match meaning {
                        MeaningArg::Approve => countersign_api::Meaning::Approve,
                        MeaningArg::Reject => countersign_api::Meaning::Reject,
                        MeaningArg::Reviewed => countersign_api::Meaning::Reviewed,
                    };
                    let a = ws.manifest_approve(manifest, as_, meaning, reason.as_deref())?;
                    out.approval(&a);
                }
                ManifestCmd::Show { manifest } => out.manifest(&ws.manifest_show(manifest)?),
                ManifestCmd::Status { packet, lane } => {
                    out.status(&ws.manifest_status(packet, lane)?)
                }
            }
        }
        Command::Run(cmd) => run_cmd(&dir, cmd, out)?,
        Command::Sync(args) => {
            sync_cmd::sync(args, &dir, deps()?, cli.json)?;
        }
        Command::Join(args) => {
            sync_cmd::join(args, &dir, deps()?, cli.json)?;
        }
        Command::StateDigest => {
            sync_cmd::state_digest(&dir, deps()?, cli.json)?;
        }
        Command::Check => {
            let report = open(&dir)?.check()?;
            out.check(&report);
        }
        Command::Identity(cmd) => {
            let mut ws = open(&dir)?;
            match cmd {
                IdentityCmd::Add { name, roles, agent } => {
                    let roles = roles
                        .iter()
                        .map(|r| r.parse())
                        .collect::<Result<Vec<_>, _>>()?;
                    let kind = if *agent {
                        IdentityKind::Agent
                    } else {
                        IdentityKind::Human
                    };
                    let id = ws.identity_add(name, &roles, kind)?;
                    out.created(&id.id);
                }
                IdentityCmd::List => out.identities(&ws.identity_list()?),
            }
        }
        Command::Packet(cmd) => {
            let mut ws = open(&dir)?;
            match cmd {
                PacketCmd::New { title, owner } => out.created(&ws.packet_new(title, owner)?.id),
                PacketCmd::Revise {
                    packet,
                    file,
                    author,
                    message,
                    merge,
                } => {
                    let bytes = read_file(file)?;
                    let r = if *merge {
                        ws.packet_merge(packet, &bytes, author, message)?
                    } else {
                        ws.packet_revise(packet, &bytes, author, message)?
                    };
                    out.created(&r.id);
                }
                PacketCmd::Heads { packet } => out.log(&ws.packet_heads(packet)?),
                PacketCmd::Show {
                    packet,
                    revision,
                    format,
                } => {
                    let shown = ws.packet_show(packet, revision.as_deref())?;
                    let html = match format {
                        Format::Html => {
                            Some(ws.packet_render_html(packet, Some(&shown.revision.id))?)
                        }
                        Format::Markdown => None,
                    };
                    out.show(&shown, html.as_deref());
                }
                PacketCmd::Log { packet } => out.log(&ws.packet_log(packet)?),
                PacketCmd::List => out.packets(&ws.packet_list()?),
            }
        }
        Command::Comment(cmd) => {
            let mut ws = open(&dir)?;
            match cmd {
                CommentCmd::Add(a) => {
                    let (id, n) = ws.comment_add(
                        &a.packet,
                        &a.revision,
                        &a.quote,
                        a.occurrence,
                        &a.body,
                        &a.author,
                    )?;
                    out.occurrences(n, a.occurrence);
                    out.created(&id);
                }
                CommentCmd::Reply {
                    thread,
                    body,
                    author,
                } => {
                    ws.comment_reply(thread, body, author)?;
                    out.done(thread, "replied");
                }
                CommentCmd::Resolve { thread, by } => {
                    ws.comment_resolve(thread, by)?;
                    out.done(thread, "resolved");
                }
                CommentCmd::List { packet, revision } => {
                    out.threads(&ws.comment_list(packet, revision.as_deref())?)
                }
            }
        }
        Command::Objection(cmd) => {
            let mut ws = open(&dir)?;
            let mut mv = |id: &str,
                          action,
                          by: &str,
                          text: Option<&str>,
                          out: &mut print::Out|
             -> Result<(), ApiError> {
                let status = ws.objection_move(id, action, by, text)?;
                out.done(id, status.as_str());
                Ok(())
            };
            match cmd {
                ObjectionCmd::Raise { at: a, blocking } => {
                    let (id, n) = ws.objection_raise(
                        &a.packet,
                        &a.revision,
                        &a.quote,
                        a.occurrence,
                        &a.body,
                        &a.author,
                        *blocking,
                    )?;
                    out.occurrences(n, a.occurrence);
                    out.created(&id);
                }
                ObjectionCmd::Resolve {
                    objection,
                    by,
                    note,
                } => mv(objection, LedgerAction::Resolve, by, note.as_deref(), out)?,
                ObjectionCmd::Withdraw {
                    objection,
                    by,
                    note,
                } => mv(objection, LedgerAction::Withdraw, by, note.as_deref(), out)?,
                ObjectionCmd::Reopen {
                    objection,
                    by,
                    reason,
                } => mv(objection, LedgerAction::Reopen, by, Some(reason), out)?,
                ObjectionCmd::Accept {
                    objection,
                    by,
                    rationale,
                } => mv(objection, LedgerAction::Accept, by, Some(rationale), out)?,
                ObjectionCmd::List { packet, revision } => {
                    out.objections(&ws.objection_list(packet, revision.as_deref())?)
                }
            }
        }
    }
    Ok(())
}

fn run_cmd(dir: &Path, cmd: &RunCmd, out: &mut print::Out) -> Result<(), ApiError> {
    use countersign_api::{NewApproval, NewOutput, NewRun, NewStep, Pattern, Risk, StepOutcome};
    let mut ws = open(dir)?;
    match cmd {
        RunCmd::List => out.runs(&ws.run_list()?),
        RunCmd::Show { run } => out.run(&ws.run_show(run)?),
        RunCmd::New {
            name,
            pattern,
            owner,
            trigger,
            trigger_source,
            trigger_at,
            packet,
            lane,
            as_,
        } => {
            let new = NewRun {
                name: name.clone(),
                pattern: match pattern {
                    PatternArg::Internal => Pattern::Internal,
                    PatternArg::External => Pattern::External,
                },
                owner: owner.clone(),
                trigger: trigger.clone(),
                trigger_source: trigger_source.clone(),
                trigger_at: trigger_at
                    .as_deref()
                    .map(countersign_api::parse_time)
                    .transpose()?,
                packet: packet.clone(),
                lane: lane.clone(),
            };
            out.created(&ws.run_new(&new, as_.as_deref())?.id);
        }
        RunCmd::ImportMeeting { run, file, as_ } => {
            out.created(&ws.run_import_meeting(run, file, as_.as_deref())?.id);
        }
        RunCmd::Approve {
            approval,
            as_,
            note,
        } => out.run_approval(&ws.run_approve(approval, as_, note.as_deref())?),
        RunCmd::Reject {
            approval,
            as_,
            reason,
        } => out.run_approval(&ws.run_reject(approval, as_, reason)?),
        RunCmd::LinkRoadmap {
            run,
            key,
            title,
            url,
            as_,
        } => {
            let link = ws.run_link_roadmap(run, key, title, url.as_deref(), as_.as_deref())?;
            out.created(&link.key);
        }
        RunCmd::AddStep {
            run,
            name,
            description,
            gate,
            on_reject,
            rework_to,
            as_,
        } => {
            let rework_to = match (on_reject, rework_to) {
                (OnRejectArg::Rework, Some(to)) => Some(*to),
                (OnRejectArg::Rework, None) => {
                    return Err(ApiError::OutOfRange(
                        "--on-reject rework needs --rework-to STEP (the earlier step the run goes back to)".into(),
                    ));
                }
                (OnRejectArg::Fail, Some(_)) => {
                    return Err(ApiError::OutOfRange(
                        "--rework-to goes with --on-reject rework".into(),
                    ));
                }
                (OnRejectArg::Fail, None) => None,
            };
            let step = NewStep {
                name: name.clone(),
                description: description.clone(),
                gate: gate.clone(),
                rework_to,
            };
            let s = ws.run_add_step(run, &step, as_.as_deref())?;
            out.created(&s.id.unwrap_or_default());
        }
        RunCmd::AddApproval {
            run,
            title,
            risk,
            requirement,
            roles,
            approvers,
            as_,
        } => {
            let a = NewApproval {
                title: title.clone(),
                risk: match risk {
                    RiskArg::Low => Risk::Low,
                    RiskArg::Medium => Risk::Medium,
                    RiskArg::High => Risk::High,
                },
                requirement: requirement.clone(),
                roles: roles
                    .iter()
                    .map(|r| r.parse())
                    .collect::<Result<Vec<_>, _>>()?,
                approvers: approvers.clone(),
            };
            out.created(&ws.run_add_approval(run, &a, as_.as_deref())?.id);
        }
        RunCmd::CompleteStep {
            run,
            step,
            outcome,
            note,
            as_,
        } => {
            let outcome = match outcome {
                OutcomeArg::Completed => StepOutcome::Completed,
                OutcomeArg::Skipped => StepOutcome::Skipped,
                OutcomeArg::Failed => StepOutcome::Failed,
            };
            let s = ws.run_complete_step(run, *step, outcome, note.as_deref(), as_.as_deref())?;
            out.run_step(&s);
        }
        RunCmd::AddOutput {
            run,
            kind,
            text,
            step,
            approval,
            inputs,
            as_,
        } => {
            let o = NewOutput {
                kind: kind.clone(),
                text: text.clone(),
                step: *step,
                approval: approval.clone(),
                inputs: inputs.clone(),
            };
            out.created(&ws.run_add_output(run, &o, as_.as_deref())?.id);
        }
        RunCmd::AddFile {
            run,
            file,
            title,
            step,
            inputs,
            as_,
        } => {
            let f = ws.run_add_file(run, file, title.as_deref(), *step, inputs, as_.as_deref())?;
            out.created(&f.id);
        }
        RunCmd::Lineage { run, item } => out.lineage(&ws.run_lineage(run, item)?),
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut out = print::Out::new(cli.json);
    match run(&cli, &mut out) {
        Ok(()) => ExitCode::from(out.exit_code()),
        Err(e) => {
            out.error(&e);
            ExitCode::from(match e.class() {
                ErrorClass::Refused => 1,
                ErrorClass::BadInput | ErrorClass::Internal => 2,
            })
        }
    }
}
