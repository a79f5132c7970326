//! `countersign`: the command line over Countersign's API façade. Parsing and printing only;
//! every decision is made behind `countersign_api`.

mod passphrase;
mod print;

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
    /// Build the demo workspace (an outage disclosure packet) in an empty directory.
    Demo,
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
    /// The exact wording.
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
                } => {
                    let bytes = read_file(file)?;
                    out.created(&ws.packet_revise(packet, &bytes, author, message)?.id);
                }
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
