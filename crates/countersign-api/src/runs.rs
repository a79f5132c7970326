//! Run records: one workflow execution with its trigger, operating pattern, owner, meetings,
//! step graph, approvals, generated outputs, files and roadmap links.
//!
//! The step graph and the run's status are never stored: every view derives them with
//! [`countersign_core::run::derive`] from the run's definition (steps, approvals) and its facts
//! (recorded step outcomes and decisions). A run linked to a packet is that packet's release:
//! its steps follow the packet's real state (revisions, open objections, manifest status), and
//! its release-manifest approval is backed by the manifest's signed approvals.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use countersign_core::authority::{HumanAct, require_human};
use countersign_core::ledger::ObjectionStatus;
use countersign_core::model::{Identity, Role, validate_name};
use countersign_core::run::{
    self, ApprovalDef, DecisionRefused, Derived, Fact, ManifestStage, OnReject, PacketRelease,
    RunDefinition, StepDef,
};
use countersign_core::transcript::{self, MAX_TRANSCRIPT_BYTES, TranscriptError};
use countersign_core::{Digest, Timestamp};
use countersign_store::{
    IdKind, MeetingRow, Reader, ReleaseRow, RoadmapRow, RunApprovalRow, RunFactRow, RunFileRow,
    RunInputRow, RunOutputRow, RunRow, RunStepRow, StoreError,
};
use serde::{Deserialize, Serialize};

use crate::dto::*;
use crate::{
    ApiError, Result, Workspace, append, append_event, read_input_file, read_limited_with_meta,
    short,
};

/// The approval a packet release run's manifest approval is keyed by in the store.
const MANIFEST_BACKING: &str = "manifest";

/// What a new run needs.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct NewRun {
    /// Name.
    pub name: String,
    /// `internal` or `external`.
    pub pattern: Pattern,
    /// The owning identity (human or agent), id or prefix.
    pub owner: String,
    /// What triggered the run.
    pub trigger: String,
    /// Where the trigger came from (default `manual`).
    pub trigger_source: Option<String>,
    /// When it fired (default: now).
    pub trigger_at: Option<Timestamp>,
    /// A packet whose release this run is (with `lane`).
    pub packet: Option<String>,
    /// The release lane (with `packet`).
    pub lane: Option<String>,
}

/// A step to append to a run's definition.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct NewStep {
    /// What the step does.
    pub name: String,
    /// What it does or waits for, shown while it is current.
    pub description: Option<String>,
    /// The approval it waits on (id or prefix).
    pub gate: Option<String>,
    /// On rejection, send the run back to this earlier step (1-based); otherwise the step fails.
    pub rework_to: Option<u32>,
}

/// An approval to add to a run.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct NewApproval {
    /// Title.
    pub title: String,
    /// Risk of the work it gates.
    pub risk: Risk,
    /// What it requires, in words.
    pub requirement: String,
    /// Roles whose holders may decide.
    pub roles: Vec<Role>,
    /// Identities who may decide (ids or prefixes).
    pub approvers: Vec<String>,
}

/// A generated output (an action preview) to add to a run.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct NewOutput {
    /// What kind of action it previews.
    pub kind: String,
    /// The preview.
    pub text: String,
    /// The step that made it (1-based).
    pub step: Option<u32>,
    /// The approval that gates it (id or prefix).
    pub approval: Option<String>,
    /// What it was made from: meeting, file or output ids (or prefixes) of the run, or `trigger`.
    pub inputs: Vec<String>,
}

/// A file to add to a run.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct NewRunFile {
    /// Title (default: the file's name).
    pub title: Option<String>,
    /// The file's name.
    pub file_name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// The step that made it (1-based); none for an input file.
    pub step: Option<u32>,
    /// What it was made from: meeting, file or output ids (or prefixes) of the run, or `trigger`.
    pub inputs: Vec<String>,
}

/// The largest file a run takes: 16 MiB.
pub const MAX_RUN_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The packet side of a packet release run.
struct PacketSide {
    title: String,
    lane: String,
    status: StatusView,
    backed: RunApprovalRow,
    evidence: Vec<EvidenceView>,
    head: Option<RevisionView>,
    revisions: Vec<RevisionView>,
    release: Option<ReleaseRow>,
    drafted: Vec<countersign_store::ManifestRow>,
    lane_policy: Option<countersign_release::Lane>,
}

/// Everything known about one run, with its derived graph.
struct Ctx {
    run: RunRow,
    owner: Identity,
    steps: Vec<RunStepRow>,
    approvals: Vec<RunApprovalRow>,
    facts: Vec<RunFactRow>,
    meetings: Vec<MeetingRow>,
    files: Vec<RunFileRow>,
    outputs: Vec<RunOutputRow>,
    roadmap: Vec<RoadmapRow>,
    packet: Option<PacketSide>,
    def: RunDefinition,
    derived: Derived,
}

impl Ctx {
    fn step_index(&self, id: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.id == id)
    }

    fn approval_title(&self, id: &str) -> String {
        self.def
            .approvals
            .iter()
            .find(|a| a.key == id)
            .map_or_else(|| short(id).to_owned(), |a| a.title.clone())
    }

    /// Step number (1-based) → index, checked.
    fn step_number(&self, n: u32) -> Result<usize> {
        let count = self.def.steps.len();
        if n == 0 || n as usize > count {
            return Err(run::RunError::NoStep {
                step: n as usize,
                count,
            }
            .into());
        }
        Ok(n as usize - 1)
    }
}

/// A meeting, file or output of a run, as lineage sees it.
#[derive(Debug, Clone)]
struct Item {
    kind: &'static str,
    id: String,
    label: String,
    detail: Option<String>,
    digest: Option<String>,
    step: Option<usize>,
    approval: Option<String>,
    inputs: Vec<(String, String)>,
}

fn one_line(s: &str, max: usize) -> String {
    let flat: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > max {
        let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        flat
    }
}

fn corrupt(what: impl std::fmt::Display) -> ApiError {
    ApiError::Store(StoreError::Corrupt(what.to_string()))
}

fn slug(name: &str) -> String {
    let mut s = String::from("run-");
    let mut dash = true;
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            s.push(c);
            dash = false;
        } else if !dash {
            s.push('-');
            dash = true;
        }
        if s.len() >= 48 {
            break;
        }
    }
    s.trim_end_matches('-').to_owned()
}

fn plural(n: u32, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// A multi-line text (an output's preview, a step description): trimmed, not empty, ≤ 4,000
/// characters, no control characters other than newlines and tabs.
fn validate_text(what: &'static str, s: &str) -> Result<String> {
    let t = s.trim();
    if t.is_empty() {
        return Err(ApiError::EmptyText(what));
    }
    if t.chars().count() > 4000 {
        return Err(ApiError::OutOfRange(format!(
            "the {what} is {} characters long; the limit is 4000",
            t.chars().count()
        )));
    }
    if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(ApiError::OutOfRange(format!(
            "the {what} contains a control character"
        )));
    }
    Ok(t.to_owned())
}

/// A roadmap URL: http or https, one line, no spaces, ≤ 2,048 characters.
fn validate_url(url: &str) -> Result<String> {
    let u = url.trim();
    let lower = u.to_ascii_lowercase();
    let ok = (lower.starts_with("https://") || lower.starts_with("http://"))
        && u.len() > "https://".len()
        && u.len() <= 2048
        && !u.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(u.to_owned())
    } else {
        Err(ApiError::BadUrl(u.to_owned()))
    }
}

#[derive(Serialize)]
struct RunCreated<'a> {
    run: &'a RunRow,
    approval: Option<&'a RunApprovalRow>,
}

#[derive(Serialize)]
struct StepAdded<'a> {
    run: &'a str,
    step: &'a RunStepRow,
}

#[derive(Serialize)]
struct ApprovalAdded<'a> {
    run: &'a str,
    approval: &'a RunApprovalRow,
}

#[derive(Serialize)]
struct FactRecorded<'a> {
    run: &'a str,
    seq: u32,
    fact: &'a RunFactRow,
    /// The run's status once the fact is in, for the log's reader.
    run_status: RunStatus,
}

#[derive(Serialize)]
struct MeetingImported<'a> {
    run: &'a str,
    meeting: &'a MeetingRow,
}

#[derive(Serialize)]
struct FileAdded<'a> {
    run: &'a str,
    file: &'a RunFileRow,
    inputs: &'a [RunInputRow],
}

#[derive(Serialize)]
struct OutputAdded<'a> {
    run: &'a str,
    output: &'a RunOutputRow,
    inputs: &'a [RunInputRow],
}

#[derive(Serialize)]
struct RoadmapLinked<'a> {
    run: &'a str,
    link: &'a RoadmapRow,
}

fn fact_kind(outcome: StepOutcome) -> &'static str {
    outcome.as_str()
}

impl Workspace {
    fn run_id(&self, given: &str) -> Result<String> {
        self.resolve(IdKind::Run, given)
    }

    /// The identity `given` (default `fallback`) and its unlocked key.
    fn run_actor(
        &mut self,
        given: Option<&str>,
        fallback: &str,
    ) -> Result<(Identity, countersign_signing::SigningKey)> {
        let who = self.identity(given.unwrap_or(fallback))?;
        let key = self.unlock(&who)?;
        Ok((who, key))
    }

    fn load_run(&self, id: &str) -> Result<Ctx> {
        let read = self.store.read();
        let run = read.run(id)?;
        let owner = read.identity(&run.owner)?;
        let steps: Vec<RunStepRow> = merged_steps(read, id)?.into_iter().map(|m| m.row).collect();
        let approvals = read.run_approvals(id)?;
        let facts = read.run_facts(id)?;
        let meetings = read.run_meetings(id)?;
        let files = read.run_files(id)?;
        let outputs = read.run_outputs(id)?;
        let roadmap = read.run_roadmap(id)?;
        let name = |id: &str| self.name_of(id);

        let (def, all_facts, hold, packet) = match (&run.packet, &run.lane) {
            (Some(packet), Some(lane)) => {
                let side = self.packet_side(id, packet, lane, &approvals)?;
                let release = self.packet_release_state(packet, &side)?;
                let (mut def, mut core, hold) =
                    run::packet_release(&release, &side.backed.id, &side.backed.title);
                def.approvals.extend(definition(&[], &approvals).approvals);
                core.extend(core_facts(&steps, &facts, name, true)?);
                (def, core, hold, Some(side))
            }
            _ => {
                let def = definition(&steps, &approvals);
                let core = core_facts(&steps, &facts, name, false)?;
                (def, core, None, None)
            }
        };
        let derived = run::derive(&def, &all_facts, hold.as_deref());
        Ok(Ctx {
            run,
            owner,
            steps,
            approvals,
            facts,
            meetings,
            files,
            outputs,
            roadmap,
            packet,
            def,
            derived,
        })
    }

    fn packet_side(
        &self,
        run: &str,
        packet: &str,
        lane: &str,
        approvals: &[RunApprovalRow],
    ) -> Result<PacketSide> {
        let read = self.store.read();
        let p = read.packet(packet)?;
        let backed = approvals
            .iter()
            .find(|a| a.backing.as_deref() == Some(MANIFEST_BACKING))
            .cloned()
            .ok_or_else(|| corrupt(format!("run {run} has no manifest approval")))?;
        let status = self.manifest_status(packet, lane)?;
        let release = match &status.manifest {
            Some(m) => read.release(&Digest::parse(&m.digest).map_err(corrupt)?)?,
            None => None,
        };
        let revisions = self.packet_log(packet)?;
        let lane_policy = match self.policy_show() {
            Ok(p) => p.policy.lane(lane).cloned(),
            Err(ApiError::NoPolicy) => None,
            Err(e) => return Err(e),
        };
        Ok(PacketSide {
            title: p.title,
            lane: lane.to_owned(),
            head: revisions.first().cloned(),
            revisions,
            evidence: self.evidence_list(packet)?,
            drafted: read.manifests(packet, lane)?,
            status,
            backed,
            release,
            lane_policy,
        })
    }

    fn packet_release_state(&self, packet: &str, side: &PacketSide) -> Result<PacketRelease> {
        let read = self.store.read();
        let view = self.packet_view(packet)?;
        let accepted = read
            .objections(packet)?
            .iter()
            .filter(|o| o.status == ObjectionStatus::AcceptedResidual)
            .count() as u32;
        let st = &side.status;
        let stage = match &st.manifest {
            None => ManifestStage::None,
            Some(m) => {
                let version = m.manifest.version;
                let approving: Vec<&ApprovalView> = st
                    .approvals
                    .iter()
                    .filter(|a| a.meaning == "approve")
                    .collect();
                let signers = approving
                    .iter()
                    .map(|a| a.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                let signed_at = approving
                    .iter()
                    .map(|a| a.signed_at)
                    .max()
                    .unwrap_or(m.manifest.created_at);
                let rejections: Vec<&ApprovalView> = st
                    .approvals
                    .iter()
                    .filter(|a| a.meaning == "reject")
                    .collect();
                match st.state.as_str() {
                    "held" => {
                        let mut causes: Vec<String> = st
                            .holds
                            .iter()
                            .filter(|h| h.holding)
                            .map(|h| h.description.clone())
                            .collect();
                        if causes.is_empty() {
                            causes.push(format!(
                                "manifest v{version} expired at {}",
                                m.manifest.expires_at
                            ));
                        }
                        ManifestStage::Held { version, causes }
                    }
                    "released" => {
                        let r = side.release.as_ref();
                        ManifestStage::Released {
                            version,
                            signers,
                            approved_at: signed_at,
                            by: r.map_or_else(String::new, |r| self.name_of(&r.actor)),
                            path: r.map_or_else(
                                || st.released_to.clone().unwrap_or_default(),
                                |r| r.path.clone(),
                            ),
                            at: r.map_or(signed_at, |r| r.at),
                        }
                    }
                    "approved" => ManifestStage::Approved {
                        version,
                        signers,
                        at: signed_at,
                    },
                    _ if !rejections.is_empty() => ManifestStage::Rejected {
                        version,
                        by: rejections
                            .iter()
                            .map(|a| a.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                        reason: rejections.iter().find_map(|a| a.reason.clone()),
                        at: rejections
                            .iter()
                            .map(|a| a.signed_at)
                            .max()
                            .unwrap_or(signed_at),
                    },
                    _ => ManifestStage::AwaitingApproval {
                        version,
                        missing: missing_text(st),
                    },
                }
            }
        };
        Ok(PacketRelease {
            lane: side.lane.clone(),
            revisions: view.revisions,
            head: side
                .head
                .as_ref()
                .map(|h| (h.number, h.author_name.clone(), h.created_at)),
            open_objections: view.open_objections,
            open_blocking: view.open_blocking,
            accepted_residual: accepted,
            drafted: side
                .drafted
                .last()
                .map(|m| (self.name_of(&m.drafted_by), m.created_at)),
            manifest: stage,
        })
    }

    /// Every meeting, file and output of a run, with their inputs: stored ones, and for a
    /// packet release the packet's evidence, head revision, manifest and bundle.
    fn run_items(&self, ctx: &Ctx) -> Result<Vec<Item>> {
        let read = self.store.read();
        let mut items = Vec::new();
        for m in &ctx.meetings {
            items.push(Item {
                kind: "meeting",
                id: m.id.clone(),
                label: m.title.clone(),
                detail: Some(format!(
                    "held {}; {}",
                    m.held_at,
                    if m.participants.is_empty() {
                        "no participants named".to_owned()
                    } else {
                        m.participants.join(", ")
                    }
                )),
                digest: Some(m.digest.to_string()),
                step: None,
                approval: None,
                inputs: Vec::new(),
            });
        }
        if let Some(side) = &ctx.packet {
            for e in &side.evidence {
                items.push(Item {
                    kind: "file",
                    id: e.id.clone(),
                    label: format!("{} — {}", e.source, e.title),
                    detail: Some(format!("evidence, captured {}", e.captured_at)),
                    digest: Some(e.digest.clone()),
                    step: None,
                    approval: None,
                    inputs: Vec::new(),
                });
            }
            if let Some(h) = &side.head {
                let mut inputs: Vec<(String, String)> = side
                    .evidence
                    .iter()
                    .map(|e| ("file".to_owned(), e.id.clone()))
                    .collect();
                inputs.extend(
                    ctx.meetings
                        .iter()
                        .map(|m| ("meeting".to_owned(), m.id.clone())),
                );
                items.push(Item {
                    kind: "file",
                    id: h.id.clone(),
                    label: format!("Packet revision r{} ({})", h.number, side.title),
                    detail: Some(format!(
                        "by {}: {}",
                        h.author_name,
                        one_line(&h.message, 80)
                    )),
                    digest: Some(h.content_digest.clone()),
                    step: Some(0),
                    approval: None,
                    inputs,
                });
            }
            if let Some(m) = &side.status.manifest {
                let man = &m.manifest;
                let mut inputs = Vec::new();
                if side
                    .head
                    .as_ref()
                    .is_some_and(|h| h.id == man.revision.id.as_str())
                {
                    inputs.push(("file".to_owned(), man.revision.id.to_string()));
                }
                inputs.extend(
                    man.evidence
                        .iter()
                        .filter(|e| side.evidence.iter().any(|x| x.id == e.id))
                        .map(|e| ("file".to_owned(), e.id.clone())),
                );
                items.push(Item {
                    kind: "output",
                    id: m.digest.clone(),
                    label: format!("Release manifest v{}", man.version),
                    detail: Some(format!(
                        "binds revision {} for lane {} ({})",
                        short(man.revision.id.as_str()),
                        man.lane.id,
                        man.lane.audience
                    )),
                    digest: Some(m.digest.clone()),
                    step: Some(2),
                    approval: Some(side.backed.id.clone()),
                    inputs,
                });
                if let Some(r) = &side.release {
                    items.push(Item {
                        kind: "output",
                        id: Digest::of(r.bundle.as_bytes()).to_string(),
                        label: format!("Release bundle, manifest v{}", man.version),
                        detail: Some(format!("written to {}", r.path)),
                        digest: Some(Digest::of(r.bundle.as_bytes()).to_string()),
                        step: Some(3),
                        approval: Some(side.backed.id.clone()),
                        inputs: vec![("output".to_owned(), m.digest.clone())],
                    });
                }
            }
        }
        let inputs_of = |item: &str| -> Result<Vec<(String, String)>> {
            Ok(read
                .run_inputs(item)?
                .into_iter()
                .map(|i| (i.kind, i.input))
                .collect())
        };
        for f in &ctx.files {
            items.push(Item {
                kind: "file",
                id: f.id.clone(),
                label: f.title.clone(),
                detail: Some(format!(
                    "{}, {} bytes",
                    if f.step.is_some() {
                        "produced"
                    } else {
                        "input"
                    },
                    f.size
                )),
                digest: Some(f.digest.to_string()),
                step: f.step.as_deref().and_then(|s| ctx.step_index(s)),
                approval: None,
                inputs: inputs_of(&f.id)?,
            });
        }
        for o in &ctx.outputs {
            items.push(Item {
                kind: "output",
                id: o.id.clone(),
                label: format!("{}: {}", o.kind, one_line(&o.text, 80)),
                detail: Some(
                    ctx.derived
                        .output_status(o.approval.as_deref())
                        .as_str()
                        .to_owned(),
                ),
                digest: None,
                step: o.step.as_deref().and_then(|s| ctx.step_index(s)),
                approval: o.approval.clone(),
                inputs: inputs_of(&o.id)?,
            });
        }
        Ok(items)
    }

    /// Resolve the inputs given for a new file or output: `trigger`, or ids / unique prefixes of
    /// the run's meetings, files and outputs.
    fn resolve_inputs(&self, ctx: &Ctx, given: &[String]) -> Result<Vec<RunInputRow>> {
        let items = self.run_items(ctx)?;
        let mut out: Vec<RunInputRow> = Vec::new();
        for g in given {
            let row = if g.trim().eq_ignore_ascii_case("trigger") {
                RunInputRow {
                    kind: "trigger".into(),
                    input: ctx.run.id.clone(),
                }
            } else {
                let item = find_item(&items, g)?;
                RunInputRow {
                    kind: item.kind.into(),
                    input: item.id.clone(),
                }
            };
            if !out.contains(&row) {
                out.push(row);
            }
        }
        Ok(out)
    }

    fn step_ref(&self, ctx: &Ctx, step: Option<u32>) -> Result<Option<String>> {
        let Some(n) = step else { return Ok(None) };
        if ctx.packet.is_some() {
            return Err(ApiError::DerivedSteps(ctx.run.name.clone()));
        }
        let i = ctx.step_number(n)?;
        Ok(Some(ctx.steps[i].id.clone()))
    }

    fn run_approval_ref(&self, ctx: &Ctx, given: &str) -> Result<RunApprovalRow> {
        let id = self.resolve(IdKind::RunApproval, given)?;
        ctx.approvals
            .iter()
            .find(|a| a.id == id)
            .cloned()
            .ok_or_else(|| {
                ApiError::OutOfRange(format!("approval {} belongs to another run", short(&id)))
            })
    }

    // ---- use cases ---------------------------------------------------------------------------

    /// Make a run record. With `packet` and `lane` it is that packet's release (pattern
    /// external): its steps follow the packet and its manifest approval is backed by the
    /// manifest's signed approvals. Signed by `as_` (default: the owner).
    pub fn run_new(&mut self, new: &NewRun, as_: Option<&str>) -> Result<RunView> {
        let name = validate_name("name", &new.name)?;
        let trigger = validate_name("trigger", &new.trigger)?;
        let source = validate_name(
            "trigger source",
            new.trigger_source.as_deref().unwrap_or("manual"),
        )?;
        let owner = self.identity(&new.owner)?;
        let (packet, lane) = match (&new.packet, &new.lane) {
            (None, None) => (None, None),
            (Some(p), Some(l)) => {
                crate::validate_lane_id(l)?;
                if new.pattern != Pattern::External {
                    return Err(ApiError::OutOfRange(
                        "a packet release is an external run: use --pattern external".into(),
                    ));
                }
                let p = self.packet_id(p)?;
                if let Some(r) = self
                    .store
                    .read()
                    .runs_of_packet(&p)?
                    .into_iter()
                    .find(|r| r.lane.as_deref() == Some(l.as_str()))
                {
                    return Err(ApiError::AlreadyLinked(format!(
                        "the release of this packet to lane {l} is already run {} ({})",
                        short(&r.id),
                        r.name
                    )));
                }
                (Some(p), Some(l.clone()))
            }
            _ => {
                return Err(ApiError::OutOfRange(
                    "a packet release run needs both --packet and --lane".into(),
                ));
            }
        };
        let (who, key) = self.run_actor(as_, &owner.id)?;
        let now = self.clock.now();
        let run = RunRow {
            id: self.new_id(),
            name,
            pattern: new.pattern.as_str().to_owned(),
            owner: owner.id.clone(),
            trigger_text: trigger,
            trigger_source: source,
            trigger_at: new.trigger_at.unwrap_or(now),
            packet,
            lane: lane.clone(),
            created_by: who.id.clone(),
            created_at: now,
        };
        let approval = lane.as_ref().map(|l| RunApprovalRow {
            id: self.new_id(),
            run: run.id.clone(),
            title: format!("Release-manifest approval for lane {l}"),
            risk: Risk::High.as_str().to_owned(),
            requirement: "The signed approvals the trust policy's lane requires, on the manifest of the exact revision".into(),
            roles: Vec::new(),
            approvers: Vec::new(),
            backing: Some(MANIFEST_BACKING.into()),
            created_by: who.id.clone(),
            created_at: now,
        });
        self.store.write(|tx| -> Result<()> {
            tx.insert_run(&run)?;
            if let Some(a) = &approval {
                tx.insert_run_approval(a)?;
            }
            let payload = RunCreated {
                run: &run,
                approval: approval.as_ref(),
            };
            append(tx, &who.id, &key, now, "run.created", &payload)
        })?;
        self.run_show(&run.id)
    }

    /// Every run, oldest first, with its derived status.
    pub fn run_list(&self) -> Result<Vec<RunSummaryView>> {
        let ids: Vec<String> = self
            .store
            .read()
            .runs()?
            .into_iter()
            .map(|r| r.id)
            .collect();
        ids.iter()
            .map(|id| {
                let ctx = self.load_run(id)?;
                Ok(RunSummaryView {
                    id: ctx.run.id.clone(),
                    name: ctx.run.name.clone(),
                    pattern: parse_pattern(&ctx.run.pattern)?,
                    status: ctx.derived.status,
                    status_reason: ctx.derived.reason.clone(),
                    owner_name: ctx.owner.name.clone(),
                    owner_kind: ctx.owner.kind,
                    last_run: self.last_run(&ctx),
                    pending_approvals: ctx.derived.approval_counts().pending,
                    packet: ctx.run.packet.clone(),
                })
            })
            .collect()
    }

    /// A run record with everything its page shows, derived now.
    pub fn run_show(&self, run: &str) -> Result<RunView> {
        let id = self.run_id(run)?;
        let ctx = self.load_run(&id)?;
        self.run_view(&ctx)
    }

    /// Import a meeting transcript (.vtt, .txt or .md, UTF-8, at most 4 MiB) into a run. The
    /// meeting's time comes from the transcript, or else from the file's modification time.
    pub fn run_import_meeting(
        &mut self,
        run: &str,
        file: &Path,
        as_: Option<&str>,
    ) -> Result<MeetingView> {
        let run = self.run_id(run)?;
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        countersign_core::transcript::TranscriptFormat::of_file_name(&name)?;
        let (bytes, meta) = read_limited_with_meta(file, MAX_TRANSCRIPT_BYTES as u64, |size| {
            TranscriptError::TooLarge { size }.into()
        })?;
        let modified = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| Timestamp::from_unix_millis(d.as_millis() as i64));
        self.run_import_meeting_bytes(&run, &name, &bytes, modified, as_)
    }

    /// Import a meeting transcript given as bytes named `file_name` (see
    /// [`Workspace::run_import_meeting`]); `modified` is the file's modification time, if known.
    pub fn run_import_meeting_bytes(
        &mut self,
        run: &str,
        file_name: &str,
        bytes: &[u8],
        modified: Option<Timestamp>,
        as_: Option<&str>,
    ) -> Result<MeetingView> {
        let run = self.run_id(run)?;
        let t = transcript::parse(file_name, bytes)?;
        let ctx = self.load_run(&run)?;
        if let Some(m) = ctx.meetings.iter().find(|m| m.digest == t.digest) {
            return Err(ApiError::AlreadyLinked(format!(
                "this transcript is already attached to the run as meeting {} (\"{}\")",
                short(&m.id),
                m.title
            )));
        }
        let (who, key) = self.run_actor(as_, &ctx.run.owner)?;
        let now = self.clock.now();
        let (held_at, source) = match (t.held_at, modified) {
            (Some(at), _) => (at, "transcript"),
            (None, Some(at)) => (at, "file"),
            (None, None) => (now, "import"),
        };
        let meeting = MeetingRow {
            id: self.new_id(),
            run: run.clone(),
            title: t.title.clone(),
            format: t.format.as_str().to_owned(),
            held_at,
            time_source: source.to_owned(),
            participants: t.participants.clone(),
            turns: t.turns,
            duration_ms: t.duration_ms,
            digest: t.digest.clone(),
            file_name: file_name
                .rsplit(['/', '\\'])
                .next()
                .unwrap_or(file_name)
                .to_owned(),
            size: bytes.len() as u64,
            imported_by: who.id.clone(),
            imported_at: now,
        };
        self.store.write(|tx| -> Result<()> {
            tx.insert_file(&t.digest, t.text.as_bytes())?;
            tx.insert_meeting(&meeting)?;
            let payload = MeetingImported {
                run: &run,
                meeting: &meeting,
            };
            append(tx, &who.id, &key, now, "run.meeting_imported", &payload)
        })?;
        Ok(self.meeting_view(&meeting))
    }

    /// Append a step to a run's definition. A step that waits on an approval (`gate`) moves
    /// only when the approval is decided; on rejection it fails, or sends the run back to
    /// `rework_to`. Refused for a packet release (its steps follow the packet).
    pub fn run_add_step(
        &mut self,
        run: &str,
        step: &NewStep,
        as_: Option<&str>,
    ) -> Result<RunStepView> {
        let run = self.run_id(run)?;
        let ctx = self.load_run(&run)?;
        if ctx.packet.is_some() {
            return Err(ApiError::DerivedSteps(ctx.run.name.clone()));
        }
        let name = validate_name("step name", &step.name)?;
        let description = step
            .description
            .as_deref()
            .map(|d| validate_text("description", d))
            .transpose()?;
        let gate = step
            .gate
            .as_deref()
            .map(|g| self.run_approval_ref(&ctx, g))
            .transpose()?;
        let position = ctx.steps.len() as u32 + 1;
        let on_reject = match step.rework_to {
            Some(to) if to == 0 || to >= position => {
                return Err(run::RunError::BadRework {
                    step: position as usize,
                    to: to as usize,
                }
                .into());
            }
            Some(to) => OnReject::Rework(to as usize - 1),
            None => OnReject::Fail,
        };
        ctx.def.with_step(StepDef {
            name: name.clone(),
            description: description.clone(),
            gate: gate.as_ref().map(|g| g.id.clone()),
            on_reject,
        })?;
        let (who, key) = self.run_actor(as_, &ctx.run.owner)?;
        let now = self.clock.now();
        let row = RunStepRow {
            id: self.new_id(),
            run: run.clone(),
            position,
            name,
            description,
            gate: gate.map(|g| g.id),
            on_reject: (if step.rework_to.is_some() {
                "rework"
            } else {
                "fail"
            })
            .to_owned(),
            rework_to: step.rework_to,
            added_by: who.id.clone(),
            added_at: now,
        };
        self.store.write(|tx| -> Result<()> {
            tx.insert_run_step(&row)?;
            let payload = StepAdded {
                run: &run,
                step: &row,
            };
            append(tx, &who.id, &key, now, "run.step_added", &payload)
        })?;
        let view = self.run_show(&run)?;
        Ok(view.steps[position as usize - 1].clone())
    }

    /// Add an approval to a run: who may decide it (roles and/or named humans), its risk and
    /// what it requires. A step gates on it with `run_add_step(… gate …)`.
    pub fn run_add_approval(
        &mut self,
        run: &str,
        a: &NewApproval,
        as_: Option<&str>,
    ) -> Result<RunApprovalView> {
        let run = self.run_id(run)?;
        let ctx = self.load_run(&run)?;
        let title = validate_name("title", &a.title)?;
        let requirement = validate_text("requirement", &a.requirement)?;
        if a.roles.is_empty() && a.approvers.is_empty() {
            return Err(ApiError::NoApprover);
        }
        let mut roles = a.roles.clone();
        roles.sort();
        roles.dedup();
        let mut approvers = Vec::new();
        for given in &a.approvers {
            let who = self.identity(given)?;
            // Agents never decide: naming one as an approver would make an approval no one
            // listed could ever give.
            require_human(who.kind, HumanAct::Decide)?;
            if !approvers.contains(&who.id) {
                approvers.push(who.id);
            }
        }
        let (who, key) = self.run_actor(as_, &ctx.run.owner)?;
        let now = self.clock.now();
        let row = RunApprovalRow {
            id: self.new_id(),
            run: run.clone(),
            title,
            risk: a.risk.as_str().to_owned(),
            requirement,
            roles: roles.iter().map(|r| r.as_str().to_owned()).collect(),
            approvers,
            backing: None,
            created_by: who.id.clone(),
            created_at: now,
        };
        self.store.write(|tx| -> Result<()> {
            tx.insert_run_approval(&row)?;
            let payload = ApprovalAdded {
                run: &run,
                approval: &row,
            };
            append(tx, &who.id, &key, now, "run.approval_added", &payload)
        })?;
        self.run_approval_view_by_id(&row.id)
    }

    fn run_approval_view_by_id(&self, id: &str) -> Result<RunApprovalView> {
        let run = self.store.read().run_approval(id)?.run;
        let ctx = self.load_run(&run)?;
        let view = self.run_view(&ctx)?;
        view.approvals
            .into_iter()
            .find(|a| a.id == id)
            .ok_or_else(|| corrupt(format!("approval {id} is missing from its run")))
    }

    /// Approve an approval of a run, as `as_` (a human holding one of its roles or named as
    /// its approver). The step waiting on it completes at once and the next one runs. For a
    /// packet release's manifest approval, this signs the release manifest (see
    /// [`Workspace::manifest_approve`]).
    pub fn run_approve(
        &mut self,
        approval: &str,
        as_: &str,
        note: Option<&str>,
    ) -> Result<RunApprovalView> {
        self.run_decide(approval, as_, true, note)
    }

    /// Reject an approval of a run, with a reason. The step waiting on it fails (and the run
    /// with it) or sends the run back for rework, as the step says.
    pub fn run_reject(
        &mut self,
        approval: &str,
        as_: &str,
        reason: &str,
    ) -> Result<RunApprovalView> {
        self.run_decide(approval, as_, false, Some(reason))
    }

    fn run_decide(
        &mut self,
        approval: &str,
        as_: &str,
        approved: bool,
        reason: Option<&str>,
    ) -> Result<RunApprovalView> {
        let id = self.resolve(IdKind::RunApproval, approval)?;
        let row = self.store.read().run_approval(&id)?;
        let who = self.identity(as_)?;
        // The authority first: an agent is refused whatever it holds and whatever the state.
        require_human(who.kind, HumanAct::Decide)?;
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if !approved && reason.is_none() {
            return Err(ApiError::ReasonRequired);
        }
        if let Some(r) = reason {
            validate_text("reason", r)?;
        }
        let ctx = self.load_run(&row.run)?;
        if row.backing.as_deref() == Some(MANIFEST_BACKING) {
            let side = ctx
                .packet
                .as_ref()
                .ok_or_else(|| corrupt(format!("approval {id} is backed by no packet")))?;
            ctx.derived.check_decision(&ctx.def, &id)?;
            let manifest = side.status.manifest.as_ref().ok_or_else(|| {
                ApiError::ManifestState(format!(
                    "no release manifest has been drafted for lane {} yet; draft one with `countersign manifest draft`",
                    side.lane
                ))
            })?;
            let meaning = if approved {
                countersign_release::Meaning::Approve
            } else {
                countersign_release::Meaning::Reject
            };
            self.manifest_approve(&manifest.digest, &who.id, meaning, reason)?;
            return self.run_approval_view_by_id(&id);
        }
        let roles = parse_roles(&row.roles)?;
        if let Err(e) = run::authorize_decision(&who, &roles, &row.approvers) {
            return Err(match e {
                DecisionRefused::Agent(a) => a.into(),
                DecisionRefused::NotApprover => ApiError::NotPermitted(format!(
                    "{} may not decide \"{}\": it needs {}",
                    who.name,
                    row.title,
                    self.approver_label(&roles, &row.approvers)
                )),
            });
        }
        ctx.derived.check_decision(&ctx.def, &id)?;
        let key = self.unlock(&who)?;
        let now = self.clock.now();
        let fact = RunFactRow {
            run: row.run.clone(),
            seq: 0,
            kind: (if approved { "approved" } else { "rejected" }).to_owned(),
            step: None,
            approval: Some(id.clone()),
            actor: who.id.clone(),
            note: reason.map(str::to_owned),
            at: now,
            event: None,
        };
        self.record_fact(&ctx, fact, &who, &key)?;
        self.run_approval_view_by_id(&id)
    }

    /// Record a fact and its signed audit event. The caller checked it against `ctx`; inside
    /// the write transaction it is checked again if another process recorded a fact on the run
    /// meanwhile, so two people deciding at once cannot both count.
    fn record_fact(
        &mut self,
        ctx: &Ctx,
        mut fact: RunFactRow,
        who: &Identity,
        key: &countersign_signing::SigningKey,
    ) -> Result<()> {
        let run = ctx.run.id.clone();
        let kind = format!(
            "run.{}",
            match fact.kind.as_str() {
                "approved" | "rejected" => fact.kind.clone(),
                other => format!("step_{other}"),
            }
        );
        let at = fact.at;
        let seen = ctx.facts.len();
        let packet_run = ctx.packet.is_some();
        self.store.write(|tx| -> Result<()> {
            let current = tx.reader().run_facts(&run)?;
            // What the run's status is once the fact is in, for the audit log's reader.
            let after = if packet_run {
                // A packet release's status follows its packet; a decision recorded here gates
                // none of its steps, and is taken once.
                if let Some(a) = &fact.approval
                    && let Some(earlier) = current.iter().find(|f| f.approval.as_ref() == Some(a))
                {
                    return Err(run::RunError::NotPending {
                        title: ctx.approval_title(a),
                        status: if earlier.kind == "approved" {
                            ApprovalStatus::Approved
                        } else {
                            ApprovalStatus::Rejected
                        },
                    }
                    .into());
                }
                ctx.derived.status
            } else {
                let named = |id: &str| {
                    tx.reader()
                        .identity(id)
                        .map_or_else(|_| id.to_owned(), |i| i.name)
                };
                if current.len() != seen {
                    let d = run::derive(
                        &ctx.def,
                        &core_facts(&ctx.steps, &current, named, false)?,
                        None,
                    );
                    match (&fact.step, &fact.approval) {
                        (Some(s), _) => {
                            let i = ctx
                                .step_index(s)
                                .ok_or_else(|| corrupt("a new fact names no step"))?;
                            d.check_step_outcome(&ctx.def, i)?;
                        }
                        (None, Some(a)) => d.check_decision(&ctx.def, a)?,
                        (None, None) => {}
                    }
                }
                let mut all = current;
                all.push(fact.clone());
                run::derive(&ctx.def, &core_facts(&ctx.steps, &all, named, false)?, None).status
            };
            // The fact names the event that records it (its place in the merged order).
            fact.seq = tx.reader().next_run_fact_seq(&run)?;
            let payload = FactRecorded {
                run: &run,
                seq: fact.seq,
                fact: &fact,
                run_status: after,
            };
            fact.event = Some(append_event(tx, &who.id, key, at, &kind, &payload)?.hash);
            tx.insert_run_fact(&fact)?;
            Ok(())
        })
    }

    /// Record the outcome of the running step of a run (completed, skipped or failed), with a
    /// note saying what was found or done. Anyone may, agents included (they do the work); a
    /// step waiting on an approval moves only by its decision.
    pub fn run_complete_step(
        &mut self,
        run: &str,
        step: u32,
        outcome: StepOutcome,
        note: Option<&str>,
        as_: Option<&str>,
    ) -> Result<RunStepView> {
        let run = self.run_id(run)?;
        let ctx = self.load_run(&run)?;
        if ctx.packet.is_some() {
            return Err(ApiError::DerivedSteps(ctx.run.name.clone()));
        }
        let i = ctx.step_number(step)?;
        ctx.derived.check_step_outcome(&ctx.def, i)?;
        let note = note
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| validate_text("note", n))
            .transpose()?;
        let (who, key) = self.run_actor(as_, &ctx.run.owner)?;
        let now = self.clock.now();
        let fact = RunFactRow {
            run: run.clone(),
            seq: 0,
            kind: fact_kind(outcome).to_owned(),
            step: Some(ctx.steps[i].id.clone()),
            approval: None,
            actor: who.id.clone(),
            note,
            at: now,
            event: None,
        };
        self.record_fact(&ctx, fact, &who, &key)?;
        let view = self.run_show(&run)?;
        Ok(view.steps[i].clone())
    }

    /// Add a generated output (an action preview) to a run, with the step that made it, the
    /// approval that gates it and what it was made from. Countersign never carries it out.
    pub fn run_add_output(
        &mut self,
        run: &str,
        o: &NewOutput,
        as_: Option<&str>,
    ) -> Result<RunOutputView> {
        let run = self.run_id(run)?;
        let ctx = self.load_run(&run)?;
        let kind = validate_name("kind", &o.kind)?;
        let text = validate_text("text", &o.text)?;
        let step = self.step_ref(&ctx, o.step)?;
        let approval = o
            .approval
            .as_deref()
            .map(|a| self.run_approval_ref(&ctx, a))
            .transpose()?
            .map(|a| a.id);
        let inputs = self.resolve_inputs(&ctx, &o.inputs)?;
        let (who, key) = self.run_actor(as_, &ctx.run.owner)?;
        let now = self.clock.now();
        let row = RunOutputRow {
            id: self.new_id(),
            run: run.clone(),
            kind,
            text,
            step,
            approval,
            added_by: who.id.clone(),
            added_at: now,
        };
        self.store.write(|tx| -> Result<()> {
            tx.insert_run_output(&row)?;
            tx.insert_run_inputs(&row.id, &inputs)?;
            let payload = OutputAdded {
                run: &run,
                output: &row,
                inputs: &inputs,
            };
            append(tx, &who.id, &key, now, "run.output_added", &payload)
        })?;
        let view = self.run_show(&run)?;
        view.outputs
            .into_iter()
            .find(|x| x.id == row.id)
            .ok_or_else(|| corrupt("the new output is missing"))
    }

    /// Add a file to a run from disk (at most 16 MiB): an input, or an artifact a step made
    /// (`step`) from `inputs`.
    pub fn run_add_file(
        &mut self,
        run: &str,
        file: &Path,
        title: Option<&str>,
        step: Option<u32>,
        inputs: &[String],
        as_: Option<&str>,
    ) -> Result<RunFileView> {
        let bytes = read_input_file(file)?;
        let file_name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("file")
            .to_owned();
        self.run_add_file_bytes(
            run,
            &NewRunFile {
                title: title.map(str::to_owned),
                file_name,
                bytes,
                step,
                inputs: inputs.to_vec(),
            },
            as_,
        )
    }

    /// Add a file given as bytes (see [`Workspace::run_add_file`]).
    pub fn run_add_file_bytes(
        &mut self,
        run: &str,
        f: &NewRunFile,
        as_: Option<&str>,
    ) -> Result<RunFileView> {
        let run = self.run_id(run)?;
        if f.bytes.len() as u64 > MAX_RUN_FILE_BYTES {
            return Err(countersign_core::text::TextError::TooLarge {
                size: f.bytes.len(),
            }
            .into());
        }
        let ctx = self.load_run(&run)?;
        let file_name = validate_name("file name", &f.file_name)?;
        let title = validate_name("title", f.title.as_deref().unwrap_or(&file_name))?;
        let step = self.step_ref(&ctx, f.step)?;
        let inputs = self.resolve_inputs(&ctx, &f.inputs)?;
        if step.is_none() && !inputs.is_empty() {
            return Err(ApiError::OutOfRange(
                "an input file is made by no step; give --step to say which step made it from its inputs".into(),
            ));
        }
        let (who, key) = self.run_actor(as_, &ctx.run.owner)?;
        let now = self.clock.now();
        let digest = Digest::of(&f.bytes);
        let row = RunFileRow {
            id: self.new_id(),
            run: run.clone(),
            title,
            file_name,
            digest: digest.clone(),
            size: f.bytes.len() as u64,
            step,
            added_by: who.id.clone(),
            added_at: now,
        };
        self.store.write(|tx| -> Result<()> {
            tx.insert_file(&digest, &f.bytes)?;
            tx.insert_run_file(&row)?;
            tx.insert_run_inputs(&row.id, &inputs)?;
            let payload = FileAdded {
                run: &run,
                file: &row,
                inputs: &inputs,
            };
            append(tx, &who.id, &key, now, "run.file_added", &payload)
        })?;
        let view = self.run_show(&run)?;
        view.files
            .into_iter()
            .find(|x| x.id == row.id)
            .ok_or_else(|| corrupt("the new file is missing"))
    }

    /// Link a roadmap item (key, title, optional http(s) URL) to a run.
    pub fn run_link_roadmap(
        &mut self,
        run: &str,
        key: &str,
        title: &str,
        url: Option<&str>,
        as_: Option<&str>,
    ) -> Result<RoadmapLinkView> {
        let run = self.run_id(run)?;
        let ctx = self.load_run(&run)?;
        let item_key = validate_name("key", key)?;
        if item_key.chars().count() > 64 {
            return Err(ApiError::OutOfRange(format!(
                "the key is {} characters long; the limit is 64",
                item_key.chars().count()
            )));
        }
        let title = validate_name("title", title)?;
        let url = url.map(validate_url).transpose()?;
        if ctx.roadmap.iter().any(|r| r.key == item_key) {
            return Err(ApiError::AlreadyLinked(format!(
                "roadmap item {item_key} is already linked to this run"
            )));
        }
        let (who, signing) = self.run_actor(as_, &ctx.run.owner)?;
        let now = self.clock.now();
        let row = RoadmapRow {
            run: run.clone(),
            key: item_key,
            title,
            url,
            added_by: who.id.clone(),
            added_at: now,
        };
        self.store.write(|tx| -> Result<()> {
            if !tx.insert_roadmap(&row)? {
                return Err(ApiError::AlreadyLinked(format!(
                    "roadmap item {} is already linked to this run",
                    row.key
                )));
            }
            let payload = RoadmapLinked {
                run: &run,
                link: &row,
            };
            append(tx, &who.id, &signing, now, "run.roadmap_linked", &payload)
        })?;
        Ok(RoadmapLinkView {
            key: row.key,
            title: row.title,
            url: row.url,
            added_by_name: who.name,
            added_at: now,
        })
    }

    /// Explain a file or output of a run back to its inputs: the step that made it, the
    /// approval that gates it, and what it was made from, down to meetings, input files and the
    /// trigger. `item` is an id or unique prefix (meetings answer too, as a single leaf).
    pub fn run_lineage(&self, run: &str, item: &str) -> Result<LineageNode> {
        let run = self.run_id(run)?;
        let ctx = self.load_run(&run)?;
        let items = self.run_items(&ctx)?;
        let root = find_item(&items, item)?;
        let by_id: HashMap<&str, &Item> = items.iter().map(|i| (i.id.as_str(), i)).collect();
        let mut path = HashSet::new();
        Ok(self.lineage_node(&ctx, &by_id, root, &mut path))
    }

    fn lineage_node<'a>(
        &self,
        ctx: &Ctx,
        by_id: &HashMap<&'a str, &'a Item>,
        item: &'a Item,
        path: &mut HashSet<&'a str>,
    ) -> LineageNode {
        path.insert(item.id.as_str());
        let mut inputs = Vec::new();
        for (kind, id) in &item.inputs {
            if kind == "trigger" {
                inputs.push(self.trigger_node(ctx));
                continue;
            }
            match by_id.get(id.as_str()) {
                Some(next) if !path.contains(id.as_str()) && path.len() < 64 => {
                    inputs.push(self.lineage_node(ctx, by_id, next, path));
                }
                _ => inputs.push(LineageNode {
                    kind: kind.clone(),
                    id: id.clone(),
                    label: format!("{kind} {}", short(id)),
                    detail: Some("no longer part of this run's record".into()),
                    digest: None,
                    made_by: None,
                    gated_by: None,
                    inputs: Vec::new(),
                }),
            }
        }
        path.remove(item.id.as_str());
        let gate = item.approval.clone().or_else(|| {
            item.step
                .and_then(|s| ctx.def.steps.get(s))
                .and_then(|s| s.gate.clone())
        });
        LineageNode {
            kind: item.kind.to_owned(),
            id: item.id.clone(),
            label: item.label.clone(),
            detail: item.detail.clone(),
            digest: item.digest.clone(),
            made_by: item.step.and_then(|s| {
                Some(LineageStepView {
                    number: s as u32 + 1,
                    name: ctx.def.steps.get(s)?.name.clone(),
                    status: ctx.derived.steps.get(s)?.status,
                })
            }),
            gated_by: gate.and_then(|g| {
                Some(LineageApprovalView {
                    title: ctx.approval_title(&g),
                    status: ctx.derived.approval(&g)?.status,
                    id: g,
                })
            }),
            inputs,
        }
    }

    fn trigger_node(&self, ctx: &Ctx) -> LineageNode {
        LineageNode {
            kind: "trigger".into(),
            id: ctx.run.id.clone(),
            label: ctx.run.trigger_text.clone(),
            detail: Some(format!(
                "{}, {}",
                ctx.run.trigger_source, ctx.run.trigger_at
            )),
            digest: None,
            made_by: None,
            gated_by: None,
            inputs: Vec::new(),
        }
    }

    // ---- views ---------------------------------------------------------------------------------

    fn approver_label(&self, roles: &[Role], approvers: &[String]) -> String {
        let mut parts: Vec<String> = approvers.iter().map(|a| self.name_of(a)).collect();
        if !roles.is_empty() {
            let r: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            parts.push(format!("anyone holding {}", r.join(" or ")));
        }
        match parts.len() {
            0 => "no one yet".to_owned(),
            1 => parts.remove(0),
            _ => {
                let last = parts.pop().unwrap_or_default();
                format!("{} or {last}", parts.join(", "))
            }
        }
    }

    fn meeting_view(&self, m: &MeetingRow) -> MeetingView {
        MeetingView {
            id: m.id.clone(),
            title: m.title.clone(),
            format: match m.format.as_str() {
                "vtt" => TranscriptFormat::Vtt,
                "md" => TranscriptFormat::Md,
                _ => TranscriptFormat::Txt,
            },
            held_at: m.held_at,
            time_source: m.time_source.clone(),
            participants: m.participants.clone(),
            turns: m.turns,
            duration_seconds: m
                .duration_ms
                .map(|ms| u32::try_from(ms / 1000).unwrap_or(u32::MAX)),
            digest: m.digest.to_string(),
            file_name: m.file_name.clone(),
            size: m.size,
            imported_by_name: self.name_of(&m.imported_by),
            imported_at: m.imported_at,
        }
    }

    fn last_run(&self, ctx: &Ctx) -> Timestamp {
        let mut at = ctx.run.created_at;
        let mut see = |t: Timestamp| at = at.max(t);
        ctx.steps.iter().for_each(|s| see(s.added_at));
        ctx.approvals.iter().for_each(|a| see(a.created_at));
        ctx.facts.iter().for_each(|f| see(f.at));
        ctx.meetings.iter().for_each(|m| see(m.imported_at));
        ctx.files.iter().for_each(|f| see(f.added_at));
        ctx.outputs.iter().for_each(|o| see(o.added_at));
        ctx.roadmap.iter().for_each(|r| see(r.added_at));
        if let Some(side) = &ctx.packet {
            side.revisions.iter().for_each(|r| see(r.created_at));
            side.drafted.iter().for_each(|m| see(m.created_at));
            side.status.approvals.iter().for_each(|a| see(a.signed_at));
            side.status
                .holds
                .iter()
                .filter_map(|h| h.at)
                .for_each(&mut see);
            if let Some(r) = &side.release {
                see(r.at);
            }
        }
        at
    }

    fn run_view(&self, ctx: &Ctx) -> Result<RunView> {
        let d = &ctx.derived;
        let pattern = parse_pattern(&ctx.run.pattern)?;
        let items = self.run_items(ctx)?;
        let label_of: HashMap<&str, &Item> = items.iter().map(|i| (i.id.as_str(), i)).collect();
        let refs = |inputs: &[(String, String)]| -> Vec<RunItemRef> {
            inputs
                .iter()
                .map(|(kind, id)| RunItemRef {
                    kind: kind.clone(),
                    id: id.clone(),
                    label: if kind == "trigger" {
                        ctx.run.trigger_text.clone()
                    } else {
                        label_of
                            .get(id.as_str())
                            .map_or_else(|| short(id).to_owned(), |i| i.label.clone())
                    },
                })
                .collect()
        };
        let step_name =
            |s: Option<usize>| s.and_then(|s| ctx.def.steps.get(s)).map(|s| s.name.clone());

        let steps: Vec<RunStepView> = ctx
            .def
            .steps
            .iter()
            .zip(&d.steps)
            .enumerate()
            .map(|(i, (def, st))| RunStepView {
                id: ctx
                    .steps
                    .get(i)
                    .filter(|_| ctx.packet.is_none())
                    .map(|s| s.id.clone()),
                number: i as u32 + 1,
                name: def.name.clone(),
                status: st.status,
                explanation: st.explanation.clone(),
                by_name: st.by.clone(),
                at: st.at,
                gate: def.gate.clone(),
                gate_title: def.gate.as_deref().map(|g| ctx.approval_title(g)),
                on_reject: match def.on_reject {
                    OnReject::Fail => "fail".into(),
                    OnReject::Rework(_) => "rework".into(),
                },
                rework_to: match def.on_reject {
                    OnReject::Rework(to) => Some(to as u32 + 1),
                    OnReject::Fail => None,
                },
                passes: st.passes,
            })
            .collect();

        let mut approvals = Vec::new();
        for a in &ctx.approvals {
            let derived = d.approval(&a.id);
            let backed = a.backing.as_deref() == Some(MANIFEST_BACKING);
            let (roles, approver_ids, requirement, signatures) = match (&ctx.packet, backed) {
                (Some(side), true) => {
                    let (roles, owner, requirement) = match &side.lane_policy {
                        Some(l) => (
                            l.required_roles.clone(),
                            vec![l.owner.clone()],
                            format!(
                                "The release owner ({}) and {} holding {} sign the manifest of the exact revision for lane {}",
                                self.name_of(&l.owner),
                                plural(l.threshold, "person", "distinct people"),
                                l.required_roles
                                    .iter()
                                    .map(|r| r.as_str())
                                    .collect::<Vec<_>>()
                                    .join(" or "),
                                l.id
                            ),
                        ),
                        None => (
                            Vec::new(),
                            Vec::new(),
                            format!(
                                "Lane {} is not in the trust policy yet; the policy names its release owner and signers",
                                side.lane
                            ),
                        ),
                    };
                    (roles, owner, requirement, side.status.approvals.clone())
                }
                _ => (
                    parse_roles(&a.roles)?,
                    a.approvers.clone(),
                    a.requirement.clone(),
                    Vec::new(),
                ),
            };
            approvals.push(RunApprovalView {
                id: a.id.clone(),
                run: a.run.clone(),
                title: a.title.clone(),
                risk: a.risk.parse().map_err(corrupt)?,
                requirement,
                approver_label: self.approver_label(&roles, &approver_ids),
                approver_names: approver_ids.iter().map(|i| self.name_of(i)).collect(),
                approvers: approver_ids,
                approver_roles: roles,
                status: derived.map_or(ApprovalStatus::Pending, |x| x.status),
                decided_by_name: derived.and_then(|x| x.by.clone()),
                decided_at: derived.and_then(|x| x.at),
                reason: derived.and_then(|x| x.reason.clone()),
                round: derived.map_or(1, |x| x.round),
                gates_step: derived.and_then(|x| x.gates).map(|g| g as u32 + 1),
                backed_by: a.backing.clone(),
                signatures,
            });
        }

        let mut files = Vec::new();
        let mut outputs = Vec::new();
        for it in &items {
            match it.kind {
                "file" => {
                    let stored = ctx.files.iter().find(|f| f.id == it.id);
                    let evidence = ctx
                        .packet
                        .as_ref()
                        .is_some_and(|p| p.evidence.iter().any(|e| e.id == it.id));
                    files.push(RunFileView {
                        id: it.id.clone(),
                        title: stored.map_or_else(|| it.label.clone(), |f| f.title.clone()),
                        role: (if evidence {
                            "evidence"
                        } else if it.step.is_some() {
                            "produced"
                        } else {
                            "input"
                        })
                        .to_owned(),
                        digest: it.digest.clone().unwrap_or_default(),
                        file_name: stored.map(|f| f.file_name.clone()),
                        size: stored.map(|f| f.size),
                        step: it.step.map(|s| s as u32 + 1),
                        step_name: step_name(it.step),
                        inputs: refs(&it.inputs),
                        added_by_name: stored.map(|f| self.name_of(&f.added_by)),
                        added_at: stored.map(|f| f.added_at),
                    });
                }
                "output" => {
                    let stored = ctx.outputs.iter().find(|o| o.id == it.id);
                    outputs.push(RunOutputView {
                        id: it.id.clone(),
                        kind: stored.map_or_else(
                            || {
                                if it.step == Some(3) {
                                    "release bundle".to_owned()
                                } else {
                                    "release manifest".to_owned()
                                }
                            },
                            |o| o.kind.clone(),
                        ),
                        text: stored.map_or_else(
                            || format!("{}: {}", it.label, it.detail.clone().unwrap_or_default()),
                            |o| o.text.clone(),
                        ),
                        status: if stored.is_none() && it.step == Some(3) {
                            OutputStatus::Approved
                        } else {
                            d.output_status(it.approval.as_deref())
                        },
                        step: it.step.map(|s| s as u32 + 1),
                        step_name: step_name(it.step),
                        approval: it.approval.clone(),
                        approval_title: it.approval.as_deref().map(|a| ctx.approval_title(a)),
                        inputs: refs(&it.inputs),
                        added_by_name: stored.map(|o| self.name_of(&o.added_by)),
                        added_at: stored.map(|o| o.added_at),
                    });
                }
                _ => {}
            }
        }

        let roadmap: Vec<RoadmapLinkView> = ctx
            .roadmap
            .iter()
            .map(|r| RoadmapLinkView {
                key: r.key.clone(),
                title: r.title.clone(),
                url: r.url.clone(),
                added_by_name: self.name_of(&r.added_by),
                added_at: r.added_at,
            })
            .collect();
        let meetings: Vec<MeetingView> =
            ctx.meetings.iter().map(|m| self.meeting_view(m)).collect();

        let ac = d.approval_counts();
        let counts = RunCountsView {
            approvals: ac,
            steps: d.step_counts(),
            meetings: meetings.len() as u32,
            input_files: files.iter().filter(|f| f.role != "produced").count() as u32,
            produced_files: files.iter().filter(|f| f.role == "produced").count() as u32,
            outputs: outputs.len() as u32,
            roadmap_links: roadmap.len() as u32,
            traced_items: items
                .iter()
                .filter(|i| i.kind != "meeting" && (i.step.is_some() || !i.inputs.is_empty()))
                .count() as u32,
        };
        let gating = if ac.pending == 0 {
            "No approval decision is pending.".to_owned()
        } else {
            format!(
                "{} still {} risky or external work.",
                plural(ac.pending, "approval decision", "approval decisions"),
                if ac.pending == 1 { "gates" } else { "gate" }
            )
        };
        let last_run = self.last_run(ctx);
        let architecture = architecture(ctx, pattern, &counts, last_run);
        let history = self.run_history(ctx);
        Ok(RunView {
            id: ctx.run.id.clone(),
            name: ctx.run.name.clone(),
            slug: slug(&ctx.run.name),
            pattern,
            pattern_description: pattern.description().to_owned(),
            owner: ctx.owner.id.clone(),
            owner_name: ctx.owner.name.clone(),
            owner_kind: ctx.owner.kind,
            trigger: TriggerView {
                text: ctx.run.trigger_text.clone(),
                source: ctx.run.trigger_source.clone(),
                at: ctx.run.trigger_at,
            },
            created_at: ctx.run.created_at,
            last_run,
            status: d.status,
            status_reason: d.reason.clone(),
            gating,
            packet: ctx.packet.as_ref().map(|p| RunPacketView {
                id: ctx.run.packet.clone().unwrap_or_default(),
                title: p.title.clone(),
                lane: p.lane.clone(),
                state: p.status.state.clone(),
            }),
            counts,
            architecture,
            steps,
            history,
            meetings,
            outputs,
            files,
            approvals,
            roadmap,
        })
    }

    fn run_history(&self, ctx: &Ctx) -> Vec<RunHistoryView> {
        let mut h: Vec<RunHistoryView> = Vec::new();
        let mut add = |at: Timestamp, kind: &str, actor: Option<&str>, text: String| {
            h.push(RunHistoryView {
                at,
                kind: kind.to_owned(),
                actor_name: actor.map(|a| self.name_of(a)),
                text,
            });
        };
        let r = &ctx.run;
        add(
            r.created_at,
            "run.created",
            Some(&r.created_by),
            format!(
                "Run record made; trigger: {} ({})",
                r.trigger_text, r.trigger_source
            ),
        );
        for s in &ctx.steps {
            add(
                s.added_at,
                "step.added",
                Some(&s.added_by),
                format!("Step {} added: {}", s.position, s.name),
            );
        }
        for a in ctx.approvals.iter().filter(|a| a.backing.is_none()) {
            add(
                a.created_at,
                "approval.added",
                Some(&a.created_by),
                format!("Approval added: \"{}\" ({} risk)", a.title, a.risk),
            );
        }
        let marks = fact_conflicts(
            self.store.read(),
            &ctx.run,
            &ctx.steps,
            &ctx.approvals,
            &ctx.facts,
        );
        for (f, mark) in ctx.facts.iter().zip(marks) {
            // A fact another replica's came before (in the merged order) changes nothing.
            let unmoved = mark
                .map(|why| format!(" (recorded at the same time as a change on another replica that came first; it changes nothing: {why})"))
                .unwrap_or_default();
            let note = f
                .note
                .as_deref()
                .map(|n| format!(": {}", one_line(n, 160)))
                .unwrap_or_default();
            match (&f.step, &f.approval) {
                (Some(s), _) => {
                    let step = ctx.steps.iter().find(|x| &x.id == s);
                    let pos = step.map_or(0, |x| x.position);
                    let name = step.map_or("", |x| x.name.as_str());
                    add(
                        f.at,
                        &format!("step.{}", f.kind),
                        Some(&f.actor),
                        format!("Step {pos} ({name}) {}{note}{unmoved}", f.kind),
                    );
                }
                (None, Some(a)) => {
                    add(
                        f.at,
                        &format!("approval.{}", f.kind),
                        Some(&f.actor),
                        format!("\"{}\" {}{note}{unmoved}", ctx.approval_title(a), f.kind),
                    );
                }
                (None, None) => {}
            }
        }
        for m in &ctx.meetings {
            add(
                m.imported_at,
                "meeting.imported",
                Some(&m.imported_by),
                format!("Meeting imported: \"{}\" ({})", m.title, m.file_name),
            );
        }
        for f in &ctx.files {
            add(
                f.added_at,
                "file.added",
                Some(&f.added_by),
                format!("File added: {} ({})", f.title, f.digest),
            );
        }
        for o in &ctx.outputs {
            add(
                o.added_at,
                "output.added",
                Some(&o.added_by),
                format!("Output added: {} — {}", o.kind, one_line(&o.text, 100)),
            );
        }
        for l in &ctx.roadmap {
            add(
                l.added_at,
                "roadmap.linked",
                Some(&l.added_by),
                format!("Roadmap item linked: {} {}", l.key, l.title),
            );
        }
        if let Some(side) = &ctx.packet {
            for rev in side.revisions.iter().rev() {
                add(
                    rev.created_at,
                    "packet.revised",
                    Some(&rev.author),
                    format!("Revision r{}: {}", rev.number, one_line(&rev.message, 120)),
                );
            }
            for m in &side.drafted {
                add(
                    m.created_at,
                    "manifest.drafted",
                    Some(&m.drafted_by),
                    format!(
                        "Release manifest v{} drafted for lane {}",
                        m.version, m.lane
                    ),
                );
            }
            for a in side.status.approvals.iter().chain(&side.status.stale) {
                add(
                    a.signed_at,
                    &format!("manifest.{}", a.meaning),
                    Some(&a.signer),
                    format!(
                        "{} signed manifest v{} as {}: {}",
                        a.name, a.manifest_version, a.role, a.meaning
                    ),
                );
            }
            for hold in &side.status.holds {
                if let Some(at) = hold.at {
                    add(at, "release.held", None, hold.description.clone());
                }
            }
            if let Some(rel) = &side.release {
                add(
                    rel.at,
                    "release.released",
                    Some(&rel.actor),
                    format!("Released to {}", rel.path),
                );
            }
        }
        h.sort_by_key(|e| e.at);
        h
    }
}

/// A run's definition for the core: its steps, in order, and its approvals (but the one a
/// packet release's manifest backs, which the packet's state decides).
fn definition(steps: &[RunStepRow], approvals: &[RunApprovalRow]) -> RunDefinition {
    RunDefinition {
        steps: steps
            .iter()
            .map(|s| StepDef {
                name: s.name.clone(),
                description: s.description.clone(),
                gate: s.gate.clone(),
                on_reject: match s.rework_to {
                    Some(p) => OnReject::Rework((p as usize).saturating_sub(1)),
                    None => OnReject::Fail,
                },
            })
            .collect(),
        approvals: approvals
            .iter()
            .filter(|a| a.backing.is_none())
            .map(|a| ApprovalDef {
                key: a.id.clone(),
                title: a.title.clone(),
            })
            .collect(),
    }
}

/// A step of a run as every replica has it once they hold the same events.
#[derive(Debug, Clone)]
pub(crate) struct MergedStep {
    /// The step as it takes effect: numbered by its place in the merged order, and without a
    /// gate that an earlier step (in that order) took first.
    pub(crate) row: RunStepRow,
    /// The event that added it.
    pub(crate) event: Option<Digest>,
    /// Why it does not stand as it was made, when steps were added on two replicas at once.
    pub(crate) conflict: Option<String>,
}

/// A run's steps in the order every replica applies the events that added them (Lamport clock,
/// replica, position), numbered 1, 2, … in that order. Steps added while apart on two replicas
/// both stay: each is numbered by its place in that order (and the one that lands on a number
/// it was not made with is marked), and an approval two of them were gated on gates the first;
/// the other is kept without the gate and marked. Every replica derives the same list.
pub(crate) fn merged_steps(read: Reader<'_>, run: &str) -> Result<Vec<MergedStep>> {
    #[derive(Deserialize)]
    struct Added {
        step: RunStepRow,
    }
    let stored = read.run_steps(run)?;
    let mut seen: HashSet<String> = HashSet::new();
    let mut declared: Vec<(RunStepRow, Option<Digest>)> = Vec::new();
    for e in read.events_about(&["run.step_added"], "$.run", run)? {
        let Ok(Added { step }) = serde_json::from_str::<Added>(&e.payload) else {
            continue;
        };
        if step.run == run && stored.iter().any(|s| s.id == step.id) && seen.insert(step.id.clone())
        {
            declared.push((step, Some(e.hash)));
        }
    }
    // A step whose event is not found (a damaged log) keeps its place after the others.
    for s in stored {
        if !seen.contains(&s.id) {
            declared.push((s, None));
        }
    }
    let mut gated: HashMap<String, u32> = HashMap::new();
    let mut out = Vec::with_capacity(declared.len());
    for (i, (mut row, event)) in declared.into_iter().enumerate() {
        let n = i as u32 + 1;
        let mut why: Vec<String> = Vec::new();
        if event.is_some() && row.position != n {
            why.push(format!(
                "it was added as step {} on its replica while another replica added a step to the run too; in the merged order it is step {n}",
                row.position
            ));
        }
        row.position = n;
        if let Some(g) = row.gate.clone() {
            match gated.get(&g) {
                Some(first) => {
                    why.push(format!(
                        "its approval already gates step {first}, added at the same time on another replica; it is kept without the approval (a rejection no longer sends it back)"
                    ));
                    row.gate = None;
                    row.on_reject = "fail".into();
                    row.rework_to = None;
                }
                None => {
                    gated.insert(g, n);
                }
            }
        }
        out.push(MergedStep {
            row,
            event,
            conflict: (!why.is_empty()).then(|| why.join("; ")),
        });
    }
    Ok(out)
}

/// For each of a run's facts (in the merged order), why it changes nothing, when it does: it
/// was recorded on one replica while another recorded a fact that comes first in the merged
/// order (both marked the same step, decided the same approval). Such a fact stays in the run's
/// history; the derived graph passes over it (`core::run::derive` ignores a fact that does not
/// fit), so every replica holding the same facts derives the same graph and marks the same
/// facts. `steps` are the run's merged steps.
pub(crate) fn fact_conflicts(
    read: Reader<'_>,
    run: &RunRow,
    steps: &[RunStepRow],
    approvals: &[RunApprovalRow],
    facts: &[RunFactRow],
) -> Vec<Option<String>> {
    let name = |id: &str| read.identity(id).map_or_else(|_| id.to_owned(), |i| i.name);
    let title = |a: &str| {
        approvals
            .iter()
            .find(|x| x.id == a)
            .map_or_else(|| short(a).to_owned(), |x| x.title.clone())
    };
    let mut out = Vec::with_capacity(facts.len());
    if run.packet.is_some() {
        // A packet release's steps follow its packet; a decision here is taken once.
        let mut decided: HashMap<&str, &RunFactRow> = HashMap::new();
        for f in facts {
            let why = match &f.approval {
                None => Some("a packet release's steps follow its packet".to_owned()),
                Some(a) => match decided.get(a.as_str()) {
                    Some(first) => Some(format!(
                        "approval \"{}\" was already {} by {}",
                        title(a),
                        first.kind,
                        name(&first.actor)
                    )),
                    None => {
                        decided.insert(a, f);
                        None
                    }
                },
            };
            out.push(why);
        }
        return out;
    }
    let def = definition(steps, approvals);
    let mut prior: Vec<Fact> = Vec::new();
    for f in facts {
        let verdict = match (&f.step, &f.approval) {
            (Some(s), _) => match steps.iter().position(|x| &x.id == s) {
                Some(i) => run::derive(&def, &prior, None)
                    .check_step_outcome(&def, i)
                    .map_err(|e| e.to_string()),
                None => Err("it names no step of the run".to_owned()),
            },
            (None, Some(a)) => run::derive(&def, &prior, None)
                .check_decision(&def, a)
                .map_err(|e| e.to_string()),
            (None, None) => Err("it names no step or approval".to_owned()),
        };
        let verdict = verdict.and_then(|()| {
            core_facts(steps, std::slice::from_ref(f), name, false).map_err(|e| e.to_string())
        });
        match verdict {
            Ok(core) => {
                prior.extend(core);
                out.push(None);
            }
            Err(why) => out.push(Some(why)),
        }
    }
    out
}

/// The core's facts from stored ones: step outcomes (unless `decisions_only`) and decisions.
fn core_facts(
    steps: &[RunStepRow],
    facts: &[RunFactRow],
    name: impl Fn(&str) -> String,
    decisions_only: bool,
) -> Result<Vec<Fact>> {
    let mut out = Vec::with_capacity(facts.len());
    for f in facts {
        let by = name(&f.actor);
        match f.kind.as_str() {
            "approved" | "rejected" => out.push(Fact::Decision {
                approval: f.approval.clone().ok_or_else(|| {
                    corrupt(format!("a decision on run {} names no approval", f.run))
                })?,
                approved: f.kind == "approved",
                by,
                reason: f.note.clone(),
                at: f.at,
            }),
            _ if decisions_only => {}
            k => {
                let outcome: StepOutcome = k.parse().map_err(corrupt)?;
                let step = f
                    .step
                    .as_deref()
                    .and_then(|s| steps.iter().position(|x| x.id == s))
                    .ok_or_else(|| corrupt(format!("a fact of run {} names no step", f.run)))?;
                out.push(Fact::Step {
                    step,
                    outcome,
                    by,
                    note: f.note.clone(),
                    at: f.at,
                });
            }
        }
    }
    Ok(out)
}

fn parse_pattern(s: &str) -> Result<Pattern> {
    s.parse().map_err(corrupt)
}

fn parse_roles(roles: &[String]) -> Result<Vec<Role>> {
    roles
        .iter()
        .map(|r| r.parse::<Role>().map_err(corrupt))
        .collect()
}

/// The run's item with this id or unique prefix (revision and manifest ids with or without
/// `sha256:`).
fn find_item<'a>(items: &'a [Item], given: &str) -> Result<&'a Item> {
    let g = given.trim().to_ascii_lowercase();
    let g = g.strip_prefix(Digest::PREFIX).unwrap_or(&g).to_owned();
    let nf = || {
        ApiError::Store(StoreError::NotFound {
            what: "run item",
            id: given.trim().to_owned(),
        })
    };
    if g.is_empty() {
        return Err(nf());
    }
    let bare = |id: &str| id.strip_prefix(Digest::PREFIX).unwrap_or(id).to_owned();
    if let Some(exact) = items.iter().find(|i| bare(&i.id) == g) {
        return Ok(exact);
    }
    let found: Vec<&Item> = items
        .iter()
        .filter(|i| bare(&i.id).starts_with(&g))
        .collect();
    match found.as_slice() {
        [] => Err(nf()),
        [one] => Ok(one),
        many => Err(ApiError::Store(StoreError::Ambiguous {
            what: "run item",
            prefix: given.trim().to_owned(),
            candidates: many.iter().take(6).map(|i| i.id.clone()).collect(),
        })),
    }
}

fn missing_text(st: &StatusView) -> String {
    let Some(m) = &st.missing else {
        return "waiting for the signatures its lane requires".into();
    };
    let mut parts = Vec::new();
    if let Some(owner) = &m.owner {
        parts.push(format!("the release owner, {owner}, has not signed"));
    }
    if m.more_approvals > 0 {
        let mut p = format!(
            "{} more approval{} needed from people holding {}",
            m.more_approvals,
            if m.more_approvals == 1 {
                " is"
            } else {
                "s are"
            },
            m.roles.join(" or ")
        );
        if !m.eligible.is_empty() {
            p.push_str(&format!(" ({})", m.eligible.join(", ")));
        }
        parts.push(p);
    }
    if parts.is_empty() {
        "waiting for the signatures its lane requires".into()
    } else {
        parts.join("; ")
    }
}

fn card(
    key: &str,
    title: &str,
    explanation: &str,
    value: String,
    detail: Option<String>,
) -> ArchitectureCardView {
    ArchitectureCardView {
        key: key.into(),
        title: title.into(),
        explanation: explanation.into(),
        value,
        detail,
    }
}

/// The architecture view: where the run's inputs came from, its core, what it produced, and
/// the tracking layer that explains it.
fn architecture(
    ctx: &Ctx,
    pattern: Pattern,
    c: &RunCountsView,
    last_run: Timestamp,
) -> Vec<ArchitectureLayerView> {
    let d = &ctx.derived;
    let s = &c.steps;
    let mut breakdown = Vec::new();
    for (n, word) in [
        (s.completed, "completed"),
        (s.running, "running"),
        (s.awaiting_approval, "awaiting approval"),
        (s.pending, "pending"),
        (s.skipped, "skipped"),
        (s.failed, "failed"),
    ] {
        if n > 0 {
            breakdown.push(format!("{n} {word}"));
        }
    }
    let a = &c.approvals;
    vec![
        ArchitectureLayerView {
            number: 1,
            key: "inputs".into(),
            title: "Inputs".into(),
            explanation: "The signals and material the run started from.".into(),
            cards: vec![
                card(
                    "pattern",
                    match pattern {
                        Pattern::External => "External pattern",
                        Pattern::Internal => "Internal pattern",
                    },
                    match pattern {
                        Pattern::External => {
                            "This run is built around work and conversations that face the customer."
                        }
                        Pattern::Internal => {
                            "This run is built around work that stays inside the organisation."
                        }
                    },
                    pattern.as_str().into(),
                    None,
                ),
                card(
                    "meetings",
                    "Meetings attached",
                    "Each transcript that fed the run, with its participants and digest.",
                    c.meetings.to_string(),
                    None,
                ),
                card(
                    "input_files",
                    "Input files",
                    "Files the run took in, each kept by digest.",
                    c.input_files.to_string(),
                    None,
                ),
                card(
                    "trigger",
                    "Trigger source",
                    "The signal that started the run, and where it came from.",
                    ctx.run.trigger_text.clone(),
                    Some(format!(
                        "{} · {}",
                        ctx.run.trigger_source, ctx.run.trigger_at
                    )),
                ),
            ],
        },
        ArchitectureLayerView {
            number: 2,
            key: "run_core".into(),
            title: "Run core".into(),
            explanation:
                "The one record that owns the run's lifecycle and everything linked to it.".into(),
            cards: vec![
                card(
                    "record",
                    "Run record",
                    "Holds the lifecycle, the status and every linked item of this execution.",
                    slug(&ctx.run.name),
                    Some(format!("last activity {last_run}")),
                ),
                card(
                    "steps",
                    "Step graph",
                    "The stages of the work, derived from decisions and recorded outcomes; nobody edits them by hand.",
                    plural(ctx.def.steps.len() as u32, "step", "steps"),
                    (!breakdown.is_empty()).then(|| breakdown.join(" · ")),
                ),
                card(
                    "gating",
                    "Risk gating",
                    "Approvals sit on the run itself, so governance is visible next to the work it holds back.",
                    (a.pending + a.approved + a.rejected).to_string(),
                    Some(format!("{} pending", a.pending)),
                ),
            ],
        },
        ArchitectureLayerView {
            number: 3,
            key: "outputs".into(),
            title: "Outputs".into(),
            explanation: "What the run produced, each item explainable from its inputs.".into(),
            cards: vec![
                card(
                    "outputs",
                    "Action previews",
                    "Proposed actions stay attached as previews with their status; Countersign never carries them out.",
                    c.outputs.to_string(),
                    None,
                ),
                card(
                    "produced_files",
                    "Files produced",
                    "Artifacts keep their lineage: which step made them, from which inputs.",
                    c.produced_files.to_string(),
                    None,
                ),
            ],
        },
        ArchitectureLayerView {
            number: 4,
            key: "tracking".into(),
            title: "Tracking".into(),
            explanation: "Who answers for the run, where it stands, and where its outcomes lead."
                .into(),
            cards: vec![
                card(
                    "owner",
                    "Owner",
                    "Named on the record, so the work never falls between teams.",
                    ctx.owner.name.clone(),
                    Some(ctx.owner.kind.as_str().into()),
                ),
                card(
                    "status",
                    "Status",
                    "The run's own health and pause state, derived from its step graph and any hold.",
                    d.status.as_str().into(),
                    Some(d.reason.clone()),
                ),
                card(
                    "approvals",
                    "Approvals",
                    "Every decision the run asked for, pending or made.",
                    format!(
                        "{} pending · {} approved · {} rejected",
                        a.pending, a.approved, a.rejected
                    ),
                    None,
                ),
                card(
                    "roadmap",
                    "Roadmap links",
                    "Product demand surfaced by the run stays tied to the same record.",
                    c.roadmap_links.to_string(),
                    None,
                ),
                card(
                    "lineage",
                    "Lineage",
                    "Outputs and produced files can each be traced back to the meetings, files and trigger they came from.",
                    c.traced_items.to_string(),
                    None,
                ),
            ],
        },
    ]
}
