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
            out.created(&ws.dir().display().to_string());
        }
        Command::Demo => {
            let passphrase = std::env::var("COUNTERSIGN_PASSPHRASE")
                .unwrap_or_else(|_| countersign_api::demo::DEMO_PASSPHRASE.to_owned());
            let summary = countersign_api::demo::build(&dir, deps()?, &passphrase)?;
            out.demo(&summary);
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
