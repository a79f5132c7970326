//! Applying another replica's run events (`run.*`): one function per kind, each writing the
//! run tables through the same store functions the use cases in `runs.rs` use, each idempotent.
//!
//! A run's records are sets (the run, its approvals, meetings, files, outputs, roadmap links)
//! and merge by union. Two things depend on order: the run's steps (numbered by the order their
//! events are applied everywhere) and its facts (step outcomes and decisions, read in that
//! order). Neither is re-written on arrival: the store keeps a fact's event, the views read
//! both in the merged order (`runs::merged_steps`, `Reader::run_facts`), and what two replicas
//! did at once (both marked the same step, both added step 3, both linked one roadmap key) is
//! re-derived as conflicts once a pass's events are in, the same on every replica.

use std::collections::HashMap;

use bytes::Bytes;
use countersign_core::Digest;
use countersign_core::audit::Event;
use countersign_core::model::{IdentityKind, Role, is_identity_id, is_object_id};
use countersign_core::run::{self, Pattern, Risk, StepOutcome};
use countersign_core::transcript::MAX_TRANSCRIPT_BYTES;
use countersign_store::{
    ConflictRow, MeetingRow, Reader, RoadmapRow, RunApprovalRow, RunFactRow, RunFileRow,
    RunInputRow, RunOutputRow, RunRow, RunStepRow, StoreError, Tx,
};
use serde::Deserialize;

use super::{Applied, Outcome, Touched, bytes_of, conflict, parse, refuse, same_actor};
use crate::runs::{MAX_RUN_FILE_BYTES, fact_conflicts, merged_steps};
use crate::short;

/// The kinds of conflict re-derived from a run's events each time one arrives.
const REDERIVED: &[&str] = &["run_step", "run_fact"];

/// Apply a `run.*` event.
pub(super) fn apply(
    tx: &Tx<'_>,
    e: &Event,
    objects: &HashMap<Digest, Bytes>,
    touched: &mut Touched,
) -> Applied<Outcome> {
    match e.kind.as_str() {
        "run.created" => created(tx, e),
        "run.approval_added" => approval_added(tx, e, touched),
        "run.step_added" => step_added(tx, e, touched),
        "run.meeting_imported" => meeting_imported(tx, e, objects),
        "run.file_added" => file_added(tx, e, objects),
        "run.output_added" => output_added(tx, e),
        "run.roadmap_linked" => roadmap_linked(tx, e),
        "run.step_completed" | "run.step_skipped" | "run.step_failed" | "run.approved"
        | "run.rejected" => fact(tx, e, touched),
        other => Ok(Outcome::Kept(format!(
            "this version of Countersign does not know `{other}` events: kept in the log, not applied"
        ))),
    }
}

/// A write the schema refuses (a key taken, a check failed) means the event does not fit what
/// is held: it is refused like any other, and never fails the pass.
fn fits<T>(r: countersign_store::Result<T>) -> Applied<T> {
    match r {
        Ok(v) => Ok(v),
        Err(e) if e.is_constraint() => {
            refuse(format!("it does not fit the run records held here ({e})"))
        }
        Err(e) => Err(e.into()),
    }
}

/// An id a run event names for a run, approval, step, meeting, file, output or packet: made by
/// `new_id`, 32 lowercase hex characters. Anything else is refused before it is looked up,
/// stored or shown (an id is cut for messages, `short`).
fn object_id(what: &str, id: &str) -> Applied {
    if is_object_id(id) {
        Ok(())
    } else {
        refuse(format!(
            "its {what} id is not an id (32 lowercase hex characters)"
        ))
    }
}

/// An identity a run event names: its fingerprint, 64 lowercase hex characters.
fn identity_id(what: &str, id: &str) -> Applied {
    if is_identity_id(id) {
        Ok(())
    } else {
        refuse(format!(
            "its {what} is not an identity id (64 lowercase hex characters)"
        ))
    }
}

fn approval_ids(a: &RunApprovalRow) -> Applied {
    object_id("approval", &a.id)?;
    object_id("approval's run", &a.run)?;
    identity_id("approval's maker", &a.created_by)?;
    for who in &a.approvers {
        identity_id("approval's approver", who)?;
    }
    Ok(())
}

fn input_ids(inputs: &[RunInputRow]) -> Applied {
    for i in inputs {
        object_id("input", &i.input)?;
    }
    Ok(())
}

/// The run an event names, which must be held.
fn held_run(read: Reader<'_>, run: &str) -> Applied<RunRow> {
    match read.run(run) {
        Ok(r) => Ok(r),
        Err(StoreError::NotFound { .. }) => {
            refuse(format!("it names run {run}, which is not held"))
        }
        Err(e) => Err(e.into()),
    }
}

fn same_run(named: &str, row: &str) -> Applied {
    if named == row {
        Ok(())
    } else {
        refuse(format!(
            "it names run {named} but its record belongs to run {row}"
        ))
    }
}

fn held_identity(read: Reader<'_>, id: &str, role: &str) -> Applied {
    if read.exists_in("identities", "id", id)? {
        Ok(())
    } else {
        refuse(format!("its {role} {id} is not a held identity"))
    }
}

/// An approval of `run` (not one backed by a release manifest, which only the manifest's signed
/// approvals decide).
fn own_approval(read: Reader<'_>, run: &str, id: &str) -> Applied<RunApprovalRow> {
    let a = match read.run_approval(id) {
        Ok(a) => a,
        Err(StoreError::NotFound { .. }) => {
            return refuse(format!("it names approval {id}, which is not held"));
        }
        Err(e) => return Err(e.into()),
    };
    if a.run != run {
        return refuse(format!("its approval {id} belongs to another run"));
    }
    if a.backing.is_some() {
        return refuse(format!(
            "approval {id} is decided by the signed approvals of the packet's release manifest, not by a run fact"
        ));
    }
    Ok(a)
}

/// A step of `run`, held here.
fn own_step(read: Reader<'_>, run: &str, id: &str) -> Applied {
    if read.run_steps(run)?.iter().any(|s| s.id == id) {
        Ok(())
    } else {
        refuse(format!(
            "it names step {id}, which is not a held step of the run"
        ))
    }
}

fn check_approval_fields(read: Reader<'_>, a: &RunApprovalRow) -> Applied {
    a.risk
        .parse::<Risk>()
        .or_else(|err| refuse(format!("its approval: {err}")))?;
    for r in &a.roles {
        r.parse::<Role>()
            .or_else(|err| refuse(format!("its approval: {err}")))?;
    }
    for who in &a.approvers {
        held_identity(read, who, "approver")?;
        if read.identity(who)?.kind == IdentityKind::Agent {
            return refuse(format!(
                "it names agent {who} as an approver; an agent never decides an approval"
            ));
        }
    }
    Ok(())
}

/// The lineage inputs of a new file or output: the run's trigger, or meetings, files and
/// outputs of the run (a meeting kept in the log as a conflict counts: its id is known).
fn check_inputs(read: Reader<'_>, run: &str, item: &str, inputs: &[RunInputRow]) -> Applied {
    if !read.run_inputs(item)?.is_empty() {
        return refuse(format!("its id {item} is already used by another run item"));
    }
    for i in inputs {
        let known = match i.kind.as_str() {
            "trigger" => i.input == run,
            "meeting" => {
                read.run_meetings(run)?.iter().any(|m| m.id == i.input)
                    || !read
                        .events_about(&["run.meeting_imported"], "$.meeting.id", &i.input)?
                        .is_empty()
            }
            "file" => read.run_files(run)?.iter().any(|f| f.id == i.input),
            "output" => read.run_outputs(run)?.iter().any(|o| o.id == i.input),
            other => return refuse(format!("it names an input of unknown kind `{other}`")),
        };
        if !known {
            return refuse(format!(
                "its input {} {} is not held in the run",
                i.kind, i.input
            ));
        }
    }
    Ok(())
}

fn created(tx: &Tx<'_>, e: &Event) -> Applied<Outcome> {
    #[derive(Deserialize)]
    struct P {
        run: RunRow,
        approval: Option<RunApprovalRow>,
    }
    let P { run, approval } = parse(e)?;
    object_id("run", &run.id)?;
    if let Some(p) = &run.packet {
        object_id("packet", p)?;
    }
    identity_id("owner", &run.owner)?;
    identity_id("maker", &run.created_by)?;
    if let Some(a) = &approval {
        approval_ids(a)?;
    }
    same_actor(e, &run.created_by, "maker")?;
    let read = tx.reader();
    if read.exists_in("runs", "id", &run.id)? {
        return Ok(Outcome::Applied);
    }
    run.pattern
        .parse::<Pattern>()
        .or_else(|err| refuse(format!("its run: {err}")))?;
    held_identity(read, &run.owner, "owner")?;
    match (&run.packet, &run.lane, &approval) {
        (None, None, None) => {}
        (Some(packet), Some(_), Some(a)) => {
            if !read.exists_in("packets", "id", packet)? {
                return refuse(format!(
                    "it is the release of packet {packet}, which is not held"
                ));
            }
            if a.run != run.id || a.backing.as_deref() != Some("manifest") {
                return refuse("its manifest approval does not belong to it");
            }
            check_approval_fields(read, a)?;
        }
        _ => return refuse("its packet, lane and manifest approval do not go together"),
    }
    fits(tx.insert_run(&run))?;
    if let Some(a) = &approval {
        fits(tx.insert_run_approval(a))?;
    }
    // A packet's release to one lane made a run on two replicas while apart: both runs stay
    // (each follows the same packet), and the one later in the merged order is the conflict.
    if let (Some(packet), Some(lane)) = (&run.packet, &run.lane) {
        for other in read.runs_of_packet(packet)? {
            if other.id == run.id || other.lane.as_deref() != Some(lane.as_str()) {
                continue;
            }
            let Some(theirs) = read
                .events_about(&["run.created"], "$.run.id", &other.id)?
                .into_iter()
                .next()
            else {
                continue;
            };
            let (first, later, first_run, later_run) = if theirs.order_key() < e.order_key() {
                (&theirs, e, &other, &run)
            } else {
                (e, &theirs, &run, &other)
            };
            tx.insert_conflict(&ConflictRow {
                event: later.hash.clone(),
                kind: "run_release".into(),
                subject: packet.clone(),
                detail: format!(
                    "the release of packet {} to lane `{lane}` was made a run twice while apart: run {} (\"{}\", first) and run {} (\"{}\"); both are kept and follow the packet",
                    short(packet),
                    short(&first_run.id),
                    first_run.name,
                    short(&later_run.id),
                    later_run.name
                ),
                at: later.at.max(first.at),
            })?;
        }
    }
    Ok(Outcome::Applied)
}

fn approval_added(tx: &Tx<'_>, e: &Event, touched: &mut Touched) -> Applied<Outcome> {
    #[derive(Deserialize)]
    struct P {
        run: String,
        approval: RunApprovalRow,
    }
    let P { run, approval: a } = parse(e)?;
    object_id("run", &run)?;
    approval_ids(&a)?;
    same_actor(e, &a.created_by, "maker")?;
    same_run(&run, &a.run)?;
    let read = tx.reader();
    held_run(read, &run)?;
    if read.exists_in("run_approvals", "id", &a.id)? {
        if read.run_approval(&a.id)?.run != run {
            return refuse(format!("its approval id {} is another run's", a.id));
        }
        return Ok(Outcome::Applied);
    }
    if a.backing.is_some() {
        return refuse("a manifest-backed approval comes only with its packet's release run");
    }
    if a.roles.is_empty() && a.approvers.is_empty() {
        return refuse("its approval names no one who may decide it");
    }
    check_approval_fields(read, &a)?;
    fits(tx.insert_run_approval(&a))?;
    touched.runs.insert(run);
    Ok(Outcome::Applied)
}

fn step_added(tx: &Tx<'_>, e: &Event, touched: &mut Touched) -> Applied<Outcome> {
    #[derive(Deserialize)]
    struct P {
        run: String,
        step: RunStepRow,
    }
    let P { run, step } = parse(e)?;
    object_id("run", &run)?;
    object_id("step", &step.id)?;
    object_id("step's run", &step.run)?;
    if let Some(g) = &step.gate {
        object_id("step's gating approval", g)?;
    }
    identity_id("step's author", &step.added_by)?;
    same_actor(e, &step.added_by, "author")?;
    same_run(&run, &step.run)?;
    let read = tx.reader();
    let r = held_run(read, &run)?;
    if r.packet.is_some() {
        return refuse(format!(
            "run {run} is a packet's release: its steps follow the packet and none is added"
        ));
    }
    let stored = read.run_steps(&run)?;
    if stored.iter().any(|s| s.id == step.id) {
        touched.runs.insert(run);
        return Ok(Outcome::Applied);
    }
    if read.exists_in("run_steps", "id", &step.id)? {
        return refuse(format!("its step id {} is another run's", step.id));
    }
    match (step.on_reject.as_str(), step.rework_to) {
        ("fail", None) => {}
        ("rework", Some(to)) if to >= 1 && to < step.position && step.gate.is_some() => {}
        _ => {
            return refuse(format!(
                "its step's rejection rule ({} {:?}) is not one the run takes: a rework goes back to an earlier step of a gated step",
                step.on_reject, step.rework_to
            ));
        }
    }
    let mut row = step.clone();
    if let Some(g) = &step.gate {
        own_approval(read, &run, g)?;
        // Another step (added at the same time elsewhere) holds the gate here: this one is
        // stored without it; the merged definition gives the gate to whichever comes first.
        if stored.iter().any(|s| s.gate.as_deref() == Some(g)) {
            row.gate = None;
            row.on_reject = "fail".into();
            row.rework_to = None;
        }
    }
    // Its number in the run is its place in the merged order; here it takes the next slot.
    row.position = stored.iter().map(|s| s.position).max().unwrap_or(0) + 1;
    fits(tx.insert_run_step(&row))?;
    touched.runs.insert(run);
    Ok(Outcome::Applied)
}

fn meeting_imported(tx: &Tx<'_>, e: &Event, objects: &HashMap<Digest, Bytes>) -> Applied<Outcome> {
    #[derive(Deserialize)]
    struct P {
        run: String,
        meeting: MeetingRow,
    }
    let P { run, meeting: m } = parse(e)?;
    object_id("run", &run)?;
    object_id("meeting", &m.id)?;
    object_id("meeting's run", &m.run)?;
    identity_id("meeting's importer", &m.imported_by)?;
    same_actor(e, &m.imported_by, "importer")?;
    same_run(&run, &m.run)?;
    let read = tx.reader();
    held_run(read, &run)?;
    if read.exists_in("run_meetings", "id", &m.id)? {
        return Ok(Outcome::Applied);
    }
    if !["vtt", "txt", "md"].contains(&m.format.as_str())
        || !["transcript", "file", "import"].contains(&m.time_source.as_str())
    {
        return refuse(format!(
            "its meeting's format `{}` or time source `{}` is not one a run takes",
            m.format, m.time_source
        ));
    }
    let bytes = bytes_of(read, objects, &m.digest, "meeting transcript")?;
    if bytes.len() > MAX_TRANSCRIPT_BYTES || std::str::from_utf8(&bytes).is_err() {
        return refuse("its meeting transcript is not UTF-8 text of at most 4 MiB");
    }
    if let Some(here) = read
        .run_meetings(&run)?
        .into_iter()
        .find(|x| x.digest == m.digest)
    {
        return conflict(
            tx,
            e,
            "run_meeting",
            &run,
            format!(
                "the same transcript ({}) was imported into run {} twice while apart: as meeting {} here and as meeting {} on another replica; the one here stands, the other is kept in the log",
                m.digest,
                short(&run),
                here.id,
                m.id
            ),
        );
    }
    tx.insert_file(&m.digest, &bytes)?;
    fits(tx.insert_meeting(&m))?;
    Ok(Outcome::Applied)
}

fn file_added(tx: &Tx<'_>, e: &Event, objects: &HashMap<Digest, Bytes>) -> Applied<Outcome> {
    #[derive(Deserialize)]
    struct P {
        run: String,
        file: RunFileRow,
        #[serde(default)]
        inputs: Vec<RunInputRow>,
    }
    let P {
        run,
        file: f,
        inputs,
    } = parse(e)?;
    object_id("run", &run)?;
    object_id("file", &f.id)?;
    object_id("file's run", &f.run)?;
    if let Some(st) = &f.step {
        object_id("file's step", st)?;
    }
    identity_id("file's author", &f.added_by)?;
    input_ids(&inputs)?;
    same_actor(e, &f.added_by, "author")?;
    same_run(&run, &f.run)?;
    let read = tx.reader();
    held_run(read, &run)?;
    if read.exists_in("run_files", "id", &f.id)? {
        return Ok(Outcome::Applied);
    }
    if f.size > MAX_RUN_FILE_BYTES {
        return refuse("its file is larger than a run takes (16 MiB)");
    }
    let bytes = bytes_of(read, objects, &f.digest, "file")?;
    if bytes.len() as u64 != f.size {
        return refuse("its file's size does not match");
    }
    if let Some(s) = &f.step {
        own_step(read, &run, s)?;
    }
    check_inputs(read, &run, &f.id, &inputs)?;
    tx.insert_file(&f.digest, &bytes)?;
    fits(tx.insert_run_file(&f))?;
    fits(tx.insert_run_inputs(&f.id, &inputs))?;
    Ok(Outcome::Applied)
}

fn output_added(tx: &Tx<'_>, e: &Event) -> Applied<Outcome> {
    #[derive(Deserialize)]
    struct P {
        run: String,
        output: RunOutputRow,
        #[serde(default)]
        inputs: Vec<RunInputRow>,
    }
    let P {
        run,
        output: o,
        inputs,
    } = parse(e)?;
    object_id("run", &run)?;
    object_id("output", &o.id)?;
    object_id("output's run", &o.run)?;
    if let Some(st) = &o.step {
        object_id("output's step", st)?;
    }
    if let Some(a) = &o.approval {
        object_id("output's gating approval", a)?;
    }
    identity_id("output's author", &o.added_by)?;
    input_ids(&inputs)?;
    same_actor(e, &o.added_by, "author")?;
    same_run(&run, &o.run)?;
    let read = tx.reader();
    held_run(read, &run)?;
    if read.exists_in("run_outputs", "id", &o.id)? {
        return Ok(Outcome::Applied);
    }
    if let Some(s) = &o.step {
        own_step(read, &run, s)?;
    }
    if let Some(a) = &o.approval {
        let held = read.run_approval(a).ok().filter(|x| x.run == run);
        if held.is_none() {
            return refuse(format!(
                "its gating approval {a} is not an approval of the run"
            ));
        }
    }
    check_inputs(read, &run, &o.id, &inputs)?;
    fits(tx.insert_run_output(&o))?;
    fits(tx.insert_run_inputs(&o.id, &inputs))?;
    Ok(Outcome::Applied)
}

fn roadmap_linked(tx: &Tx<'_>, e: &Event) -> Applied<Outcome> {
    #[derive(Deserialize)]
    struct P {
        run: String,
        link: RoadmapRow,
    }
    let P { run, link } = parse(e)?;
    object_id("run", &run)?;
    object_id("link's run", &link.run)?;
    identity_id("link's author", &link.added_by)?;
    same_actor(e, &link.added_by, "author")?;
    same_run(&run, &link.run)?;
    let read = tx.reader();
    held_run(read, &run)?;
    match read
        .run_roadmap(&run)?
        .into_iter()
        .find(|x| x.key == link.key)
    {
        Some(here) if here == link => Ok(Outcome::Applied),
        Some(here) => conflict(
            tx,
            e,
            "run_roadmap",
            &run,
            format!(
                "roadmap item {} was linked to run {} twice while apart (here as \"{}\", on another replica as \"{}\"); the link here stands, the other is kept in the log",
                link.key,
                short(&run),
                here.title,
                link.title
            ),
        ),
        None => {
            fits(tx.insert_roadmap(&link))?;
            Ok(Outcome::Applied)
        }
    }
}

fn fact(tx: &Tx<'_>, e: &Event, touched: &mut Touched) -> Applied<Outcome> {
    #[derive(Deserialize)]
    struct P {
        run: String,
        fact: RunFactRow,
    }
    let P { run, fact: mut f } = parse(e)?;
    object_id("run", &run)?;
    object_id("fact's run", &f.run)?;
    if let Some(st) = &f.step {
        object_id("fact's step", st)?;
    }
    if let Some(a) = &f.approval {
        object_id("fact's approval", a)?;
    }
    identity_id("fact's actor", &f.actor)?;
    same_actor(e, &f.actor, "actor")?;
    same_run(&run, &f.run)?;
    let kind = e
        .kind
        .strip_prefix("run.step_")
        .or_else(|| e.kind.strip_prefix("run."))
        .unwrap_or_default();
    if f.kind != kind {
        return refuse(format!(
            "its fact is `{}`, not what a {} says",
            f.kind, e.kind
        ));
    }
    let read = tx.reader();
    let r = held_run(read, &run)?;
    if read.has_run_fact_of(&e.hash)? {
        touched.runs.insert(run);
        return Ok(Outcome::Applied);
    }
    match (&f.step, &f.approval) {
        (Some(s), None) if kind.parse::<StepOutcome>().is_ok() => {
            if r.packet.is_some() {
                return refuse("a packet release's steps follow its packet, not recorded outcomes");
            }
            own_step(read, &run, s)?;
        }
        (None, Some(a)) if kind == "approved" || kind == "rejected" => {
            let approval = own_approval(read, &run, a)?;
            let who = read.identity(&f.actor)?;
            let roles: Vec<Role> = approval
                .roles
                .iter()
                .filter_map(|r| r.parse().ok())
                .collect();
            if let Err(why) = run::authorize_decision(&who, &roles, &approval.approvers) {
                return refuse(format!(
                    "{} may not decide \"{}\": {why}",
                    who.name, approval.title
                ));
            }
        }
        _ => return refuse("its fact names neither a step with an outcome nor a decided approval"),
    }
    f.event = Some(e.hash.clone());
    fits(tx.insert_run_fact(&f))?;
    touched.runs.insert(run);
    Ok(Outcome::Applied)
}

/// Re-derive a run's conflicts from all of its events in the merged order: steps added on two
/// replicas at once (numbered by that order; an approval gating two of them gates the first)
/// and facts that a fact recorded elsewhere came before (both marked the same step). Every
/// replica holding the same events marks the same ones.
pub(super) fn rederive_run(tx: &Tx<'_>, id: &str) -> crate::Result<()> {
    let read = tx.reader();
    let run = read.run(id)?;
    let steps = merged_steps(read, id)?;
    let rows: Vec<RunStepRow> = steps.iter().map(|m| m.row.clone()).collect();
    let approvals = read.run_approvals(id)?;
    let facts = read.run_facts(id)?;
    let marks = fact_conflicts(read, &run, &rows, &approvals, &facts);
    let name = |who: &str| {
        read.identity(who)
            .map_or_else(|_| who.to_owned(), |i| i.name)
    };
    let head = format!("run {} (\"{}\")", short(id), run.name);
    let mut out: Vec<ConflictRow> = Vec::new();
    for m in &steps {
        if let (Some(event), Some(why)) = (&m.event, &m.conflict) {
            out.push(ConflictRow {
                event: event.clone(),
                kind: "run_step".into(),
                subject: id.to_owned(),
                detail: format!(
                    "{head}: step {} ({}) added by {}: {why}",
                    m.row.position,
                    m.row.name,
                    name(&m.row.added_by)
                ),
                at: m.row.added_at,
            });
        }
    }
    for (f, mark) in facts.iter().zip(marks) {
        let (Some(event), Some(why)) = (&f.event, mark) else {
            continue;
        };
        let what = match (&f.step, &f.approval) {
            (Some(s), _) => {
                let step = rows.iter().find(|x| &x.id == s);
                format!(
                    "step {} ({}) marked {}",
                    step.map_or(0, |x| x.position),
                    step.map_or("?", |x| x.name.as_str()),
                    f.kind
                )
            }
            (None, Some(a)) => format!(
                "approval \"{}\" {}",
                approvals
                    .iter()
                    .find(|x| &x.id == a)
                    .map_or(a.as_str(), |x| x.title.as_str()),
                f.kind
            ),
            (None, None) => f.kind.clone(),
        };
        out.push(ConflictRow {
            event: event.clone(),
            kind: "run_fact".into(),
            subject: id.to_owned(),
            detail: format!(
                "{head}: {what} by {} at {}: a change recorded at the same time on another replica came first in the merged order ({why}); kept in the run's history, it changes nothing",
                name(&f.actor),
                f.at
            ),
            at: f.at,
        });
    }
    tx.replace_conflicts(REDERIVED, id, &out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use countersign_core::Timestamp;
    use countersign_core::audit::Draft;
    use countersign_signing::KdfParams;
    use rand_chacha::ChaCha20Rng;
    use rand_chacha::rand_core::SeedableRng;
    use serde_json::json;

    use super::*;
    use crate::sync::apply::ApplyError;
    use crate::{Deps, FixedClock, PassphrasePurpose, PassphraseSource, Secret, Workspace};

    struct Pw;

    impl PassphraseSource for Pw {
        fn passphrase(&mut self, _: &str, _: PassphrasePurpose) -> crate::Result<Secret> {
            Ok(Secret::new("pw".to_owned()))
        }
    }

    fn at() -> Timestamp {
        Timestamp::parse("2026-11-21T10:00:00Z").unwrap_or_else(|e| panic!("{e}"))
    }

    fn workspace(dir: &std::path::Path) -> (Workspace, String) {
        let deps = Deps {
            clock: Arc::new(FixedClock::new(at(), 1)),
            rng: Box::new(ChaCha20Rng::seed_from_u64(7)),
            passphrases: Box::new(Pw),
            kdf: KdfParams {
                m_cost_kib: 64,
                t_cost: 1,
                p_cost: 1,
            },
        };
        let mut ws = Workspace::init(dir, deps).unwrap_or_else(|e| panic!("{e}"));
        let owner = ws
            .identity_add("Priya Raman", &[Role::Author], IdentityKind::Human)
            .unwrap_or_else(|e| panic!("{e}"))
            .id;
        (ws, owner)
    }

    /// Apply one event of another replica, made by `actor`, in a transaction of its own.
    fn apply_one(
        ws: &mut Workspace,
        actor: &str,
        kind: &str,
        payload: serde_json::Value,
    ) -> Applied<Outcome> {
        let e = Draft {
            actor: Some(actor.to_owned()),
            at: at(),
            kind: kind.to_owned(),
            payload: payload.to_string(),
        }
        .seal(&"c".repeat(32), 1, 1000, None);
        ws.store
            .write(|tx| -> crate::Result<_> {
                let mut touched = Touched::default();
                let out = apply(tx, &e, &HashMap::new(), &mut touched);
                for r in &touched.runs {
                    rederive_run(tx, r)?;
                }
                Ok(out)
            })
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn run(id: &str, owner: &str) -> RunRow {
        RunRow {
            id: id.to_owned(),
            name: "Review".into(),
            pattern: "internal".into(),
            owner: owner.to_owned(),
            trigger_text: "x".into(),
            trigger_source: "manual".into(),
            trigger_at: at(),
            packet: None,
            lane: None,
            created_by: owner.to_owned(),
            created_at: at(),
        }
    }

    fn step(id: &str, run: &str, owner: &str) -> RunStepRow {
        RunStepRow {
            id: id.to_owned(),
            run: run.to_owned(),
            position: 1,
            name: "One".into(),
            description: None,
            gate: None,
            on_reject: "fail".into(),
            rework_to: None,
            added_by: owner.to_owned(),
            added_at: at(),
        }
    }

    fn refused(r: Applied<Outcome>, why: &str) {
        match r {
            Err(ApplyError::Refused(m)) => assert!(m.contains(why), "{m}"),
            other => panic!("expected a refusal ({why}), got {other:?}"),
        }
    }

    #[test]
    fn run_events_naming_ids_not_made_by_new_id_are_refused() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (mut ws, owner) = workspace(tmp.path());
        // A run id that is not ASCII (cut by `short` inside a character), or not an id at all.
        for bad in [
            format!("a{}", "é".repeat(10)),
            "R1".into(),
            "9".repeat(31),
            String::new(),
        ] {
            let r = apply_one(
                &mut ws,
                &owner,
                "run.created",
                json!({"run": run(&bad, &owner), "approval": null}),
            );
            refused(r, "run id is not an id");
        }
        // A well-formed run is applied; a step naming an id of another shape is refused.
        let good = "9".repeat(32);
        let r = apply_one(
            &mut ws,
            &owner,
            "run.created",
            json!({"run": run(&good, &owner), "approval": null}),
        );
        assert!(matches!(r, Ok(Outcome::Applied)), "{r:?}");
        let weird_step = format!("s{}", "ü".repeat(20));
        let r = apply_one(
            &mut ws,
            &owner,
            "run.step_added",
            json!({"run": good, "step": step(&weird_step, &good, &owner)}),
        );
        refused(r, "step id is not an id");
        let r = apply_one(
            &mut ws,
            &owner,
            "run.step_added",
            json!({"run": good, "step": step(&"f".repeat(32), &good, &owner)}),
        );
        assert!(matches!(r, Ok(Outcome::Applied)), "{r:?}");
        // An identity named in a payload has a fingerprint's shape.
        let mut other = run(&"8".repeat(32), &owner);
        other.owner = "Ö".repeat(64);
        let r = apply_one(
            &mut ws,
            &owner,
            "run.created",
            json!({"run": other, "approval": null}),
        );
        refused(r, "owner is not an identity id");
    }
}
