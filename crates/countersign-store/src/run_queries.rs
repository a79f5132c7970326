//! Typed reads and writes for run records: runs, their steps and approvals (the definition),
//! their facts (step outcomes and decisions, append-only), meetings, files, outputs, lineage
//! inputs and roadmap links. No step or run status is stored: it is derived from these rows.

use countersign_core::{Digest, Timestamp};
use rusqlite::{OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use crate::{Reader, Result, StoreError, Tx};

fn ts(s: &str) -> Result<Timestamp> {
    Timestamp::parse(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn digest(s: &str) -> Result<Digest> {
    Digest::parse(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn list(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

fn not_found(what: &'static str, id: &str) -> StoreError {
    StoreError::NotFound {
        what,
        id: id.to_owned(),
    }
}

/// A run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRow {
    /// Random id (32 hex).
    pub id: String,
    /// Name.
    pub name: String,
    /// `internal` or `external`.
    pub pattern: String,
    /// The owning identity (human or agent).
    pub owner: String,
    /// What triggered it.
    pub trigger_text: String,
    /// Where the trigger came from.
    pub trigger_source: String,
    /// When it fired.
    pub trigger_at: Timestamp,
    /// The packet whose release this run is, if it is one.
    pub packet: Option<String>,
    /// The packet's release lane.
    pub lane: Option<String>,
    /// Who made the run.
    pub created_by: String,
    /// When.
    pub created_at: Timestamp,
}

/// An approval of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunApprovalRow {
    /// Random id.
    pub id: String,
    /// The run.
    pub run: String,
    /// Title.
    pub title: String,
    /// `low`, `medium` or `high`.
    pub risk: String,
    /// What the approval requires, in words.
    pub requirement: String,
    /// Roles whose holders may decide.
    pub roles: Vec<String>,
    /// Identities who may decide.
    pub approvers: Vec<String>,
    /// `manifest` when the approval is backed by the signed approvals of the run's packet's
    /// release manifest.
    pub backing: Option<String>,
    /// Who added it.
    pub created_by: String,
    /// When.
    pub created_at: Timestamp,
}

/// A step of a run's definition (no status: that is derived).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunStepRow {
    /// Random id.
    pub id: String,
    /// The run.
    pub run: String,
    /// 1-based position.
    pub position: u32,
    /// Name.
    pub name: String,
    /// What it does or waits for.
    pub description: Option<String>,
    /// The approval it waits on.
    pub gate: Option<String>,
    /// `fail` or `rework`.
    pub on_reject: String,
    /// The position a rejection sends the run back to.
    pub rework_to: Option<u32>,
    /// Who added it.
    pub added_by: String,
    /// When.
    pub added_at: Timestamp,
}

/// A fact recorded on a run: a step outcome or an approval decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunFactRow {
    /// The run.
    pub run: String,
    /// 1-based order within the run.
    pub seq: u32,
    /// `completed`, `skipped`, `failed` (a step) or `approved`, `rejected` (an approval).
    pub kind: String,
    /// The step, for an outcome.
    pub step: Option<String>,
    /// The approval, for a decision.
    pub approval: Option<String>,
    /// Who.
    pub actor: String,
    /// Note or reason.
    pub note: Option<String>,
    /// When.
    pub at: Timestamp,
    /// The audit event that recorded it (its hash). Not part of the event's own payload: a
    /// fact's order among the run's facts is its event's place in the merged order.
    #[serde(skip)]
    pub event: Option<Digest>,
}

/// An imported meeting transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingRow {
    /// Random id.
    pub id: String,
    /// The run.
    pub run: String,
    /// Title.
    pub title: String,
    /// `vtt`, `txt` or `md`.
    pub format: String,
    /// When the meeting was held.
    pub held_at: Timestamp,
    /// Where that time came from: `transcript`, `file` (modification time) or `import`.
    pub time_source: String,
    /// Participants, in order of first appearance.
    pub participants: Vec<String>,
    /// Cues or speaker turns.
    pub turns: u32,
    /// Length (WebVTT), in milliseconds.
    pub duration_ms: Option<i64>,
    /// Digest of the normalized transcript (stored in `files`).
    pub digest: Digest,
    /// The file's name.
    pub file_name: String,
    /// Bytes.
    pub size: u64,
    /// Who imported it.
    pub imported_by: String,
    /// When.
    pub imported_at: Timestamp,
}

/// A file of a run: an input (no step) or an artifact a step produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunFileRow {
    /// Random id.
    pub id: String,
    /// The run.
    pub run: String,
    /// Title.
    pub title: String,
    /// The file's name.
    pub file_name: String,
    /// Digest of its bytes (stored in `files`).
    pub digest: Digest,
    /// Bytes.
    pub size: u64,
    /// The step that produced it.
    pub step: Option<String>,
    /// Who added it.
    pub added_by: String,
    /// When.
    pub added_at: Timestamp,
}

/// A generated output (an action preview).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunOutputRow {
    /// Random id.
    pub id: String,
    /// The run.
    pub run: String,
    /// What kind of action it previews.
    pub kind: String,
    /// The preview.
    pub text: String,
    /// The step that produced it.
    pub step: Option<String>,
    /// The approval that gates it.
    pub approval: Option<String>,
    /// Who added it.
    pub added_by: String,
    /// When.
    pub added_at: Timestamp,
}

/// One input of a file or output (its lineage).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunInputRow {
    /// `trigger`, `meeting`, `file` or `output`.
    pub kind: String,
    /// The input's id (the run's id for the trigger).
    pub input: String,
}

/// A roadmap link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoadmapRow {
    /// The run.
    pub run: String,
    /// The roadmap item's key.
    pub key: String,
    /// Its title.
    pub title: String,
    /// Where it lives.
    pub url: Option<String>,
    /// Who linked it.
    pub added_by: String,
    /// When.
    pub added_at: Timestamp,
}

const RUN_COLS: &str = "id, name, pattern, owner, trigger_text, trigger_source, trigger_at, packet, lane, created_by, created_at";

type RawRun = ([String; 7], Option<String>, Option<String>, String, String);

fn run_from(r: &Row<'_>) -> rusqlite::Result<RawRun> {
    Ok((
        [
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
        ],
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
        r.get(10)?,
    ))
}

fn run_parse(raw: RawRun) -> Result<RunRow> {
    let (
        [
            id,
            name,
            pattern,
            owner,
            trigger_text,
            trigger_source,
            trigger_at,
        ],
        packet,
        lane,
        by,
        at,
    ) = raw;
    Ok(RunRow {
        id,
        name,
        pattern,
        owner,
        trigger_text,
        trigger_source,
        trigger_at: ts(&trigger_at)?,
        packet,
        lane,
        created_by: by,
        created_at: ts(&at)?,
    })
}

impl Reader<'_> {
    /// Every row `sql` selects with `params`: all are read with `read` first, then each is
    /// parsed with `parse` (which may find a stored value damaged).
    fn parsed_rows<R, T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        read: impl FnMut(&Row<'_>) -> rusqlite::Result<R>,
        parse: impl FnMut(R) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut stmt = self.prepare(sql)?;
        let raws = stmt
            .query_map(params, read)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        raws.into_iter().map(parse).collect()
    }

    /// One run by full id.
    pub fn run(&self, id: &str) -> Result<RunRow> {
        let sql = format!("SELECT {RUN_COLS} FROM runs WHERE id = ?1");
        let raw = self
            .query_row(&sql, [id], run_from)
            .optional()?
            .ok_or_else(|| not_found("run", id))?;
        run_parse(raw)
    }

    /// Every run, oldest first.
    pub fn runs(&self) -> Result<Vec<RunRow>> {
        let sql = format!("SELECT {RUN_COLS} FROM runs ORDER BY created_at, id");
        self.parsed_rows(&sql, [], run_from, run_parse)
    }

    /// The runs of a packet's releases.
    pub fn runs_of_packet(&self, packet: &str) -> Result<Vec<RunRow>> {
        Ok(self
            .runs()?
            .into_iter()
            .filter(|r| r.packet.as_deref() == Some(packet))
            .collect())
    }

    /// A run's steps, in order.
    pub fn run_steps(&self, run: &str) -> Result<Vec<RunStepRow>> {
        self.parsed_rows(
            "SELECT id, run, position, name, description, gate, on_reject, rework_to, added_by, added_at
             FROM run_steps WHERE run = ?1 ORDER BY position",
            [run],
            |r| {
                Ok((
                    (
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, u32>(2)?,
                        r.get::<_, String>(3)?,
                    ),
                    (
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, Option<u32>>(7)?,
                    ),
                    (r.get::<_, String>(8)?, r.get::<_, String>(9)?),
                ))
            },
            |(
                (id, run, position, name),
                (description, gate, on_reject, rework_to),
                (added_by, at),
            )| {
                Ok(RunStepRow {
                    id,
                    run,
                    position,
                    name,
                    description,
                    gate,
                    on_reject,
                    rework_to,
                    added_by,
                    added_at: ts(&at)?,
                })
            },
        )
    }

    fn approvals_where(&self, clause: &str, arg: &str) -> Result<Vec<RunApprovalRow>> {
        let sql = format!(
            "SELECT id, run, title, risk, requirement, roles, approvers, backing, created_by, created_at
             FROM run_approvals WHERE {clause} ORDER BY created_at, id"
        );
        self.parsed_rows(
            &sql,
            [arg],
            |r| {
                Ok((
                    [
                        r.get::<_, String>(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ],
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, String>(8)?,
                    r.get::<_, String>(9)?,
                ))
            },
            |([id, run, title, risk, requirement, roles, approvers], backing, by, at)| {
                Ok(RunApprovalRow {
                    id,
                    run,
                    title,
                    risk,
                    requirement,
                    roles: list(&roles),
                    approvers: list(&approvers),
                    backing,
                    created_by: by,
                    created_at: ts(&at)?,
                })
            },
        )
    }

    /// A run's approvals, oldest first.
    pub fn run_approvals(&self, run: &str) -> Result<Vec<RunApprovalRow>> {
        self.approvals_where("run = ?1", run)
    }

    /// One run approval by full id.
    pub fn run_approval(&self, id: &str) -> Result<RunApprovalRow> {
        self.approvals_where("id = ?1", id)?
            .pop()
            .ok_or_else(|| not_found("approval", id))
    }

    /// A run's facts, in the order every replica applies the events that recorded them
    /// (Lamport clock, replica, position); `seq` is only the order they arrived here.
    pub fn run_facts(&self, run: &str) -> Result<Vec<RunFactRow>> {
        self.parsed_rows(
            "SELECT f.run, f.seq, f.kind, f.step, f.approval, f.actor, f.note, f.at, f.event
             FROM run_facts f LEFT JOIN events e ON e.hash = f.event
             WHERE f.run = ?1
             ORDER BY e.hash IS NULL, e.lamport, e.replica, e.replica_seq, f.seq",
            [run],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, u32>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, Option<String>>(8)?,
                ))
            },
            |(run, seq, kind, step, approval, actor, note, at, event)| {
                Ok(RunFactRow {
                    run,
                    seq,
                    kind,
                    step,
                    approval,
                    actor,
                    note,
                    at: ts(&at)?,
                    event: event.as_deref().map(digest).transpose()?,
                })
            },
        )
    }

    /// A run's meetings, by the time they were held.
    pub fn run_meetings(&self, run: &str) -> Result<Vec<MeetingRow>> {
        self.parsed_rows(
            "SELECT id, run, title, format, held_at, time_source, participants, turns, duration_ms,
                    digest, file_name, size, imported_by, imported_at
             FROM run_meetings WHERE run = ?1 ORDER BY held_at, imported_at, id",
            [run],
            |r| {
                Ok((
                    [
                        r.get::<_, String>(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ],
                    (r.get::<_, u32>(7)?, r.get::<_, Option<i64>>(8)?),
                    [r.get::<_, String>(9)?, r.get(10)?],
                    r.get::<_, i64>(11)?,
                    [r.get::<_, String>(12)?, r.get(13)?],
                ))
            },
            |(
                [id, run, title, format, held_at, time_source, participants],
                (turns, duration_ms),
                [d, file_name],
                size,
                [imported_by, imported_at],
            )| {
                Ok(MeetingRow {
                    id,
                    run,
                    title,
                    format,
                    held_at: ts(&held_at)?,
                    time_source,
                    participants: serde_json::from_str(&participants).map_err(|e| {
                        StoreError::Corrupt(format!("participants of a meeting: {e}"))
                    })?,
                    turns,
                    duration_ms,
                    digest: digest(&d)?,
                    file_name,
                    size: size as u64,
                    imported_by,
                    imported_at: ts(&imported_at)?,
                })
            },
        )
    }

    /// A run's files, oldest first.
    pub fn run_files(&self, run: &str) -> Result<Vec<RunFileRow>> {
        self.parsed_rows(
            "SELECT id, run, title, file_name, digest, size, step, added_by, added_at
             FROM run_files WHERE run = ?1 ORDER BY added_at, id",
            [run],
            |r| {
                Ok((
                    [
                        r.get::<_, String>(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                    ],
                    r.get::<_, i64>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    [r.get::<_, String>(7)?, r.get(8)?],
                ))
            },
            |([id, run, title, file_name, d], size, step, [added_by, at])| {
                Ok(RunFileRow {
                    id,
                    run,
                    title,
                    file_name,
                    digest: digest(&d)?,
                    size: size as u64,
                    step,
                    added_by,
                    added_at: ts(&at)?,
                })
            },
        )
    }

    /// A run's generated outputs, oldest first.
    pub fn run_outputs(&self, run: &str) -> Result<Vec<RunOutputRow>> {
        self.parsed_rows(
            "SELECT id, run, kind, text, step, approval, added_by, added_at
             FROM run_outputs WHERE run = ?1 ORDER BY added_at, id",
            [run],
            |r| {
                Ok((
                    [r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?],
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    [r.get::<_, String>(6)?, r.get(7)?],
                ))
            },
            |([id, run, kind, text], step, approval, [added_by, at])| {
                Ok(RunOutputRow {
                    id,
                    run,
                    kind,
                    text,
                    step,
                    approval,
                    added_by,
                    added_at: ts(&at)?,
                })
            },
        )
    }

    /// The inputs of a file or output, in the order given.
    pub fn run_inputs(&self, item: &str) -> Result<Vec<RunInputRow>> {
        let mut stmt = self.prepare_cached(
            "SELECT input_kind, input FROM run_inputs WHERE item = ?1 ORDER BY position",
        )?;
        Ok(stmt
            .query_map([item], |r| {
                Ok(RunInputRow {
                    kind: r.get(0)?,
                    input: r.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// A run's roadmap links, in the order linked.
    pub fn run_roadmap(&self, run: &str) -> Result<Vec<RoadmapRow>> {
        self.parsed_rows(
            "SELECT run, key, title, url, added_by, added_at FROM run_roadmap_links
             WHERE run = ?1 ORDER BY added_at, key",
            [run],
            |r| {
                Ok((
                    [r.get::<_, String>(0)?, r.get(1)?, r.get(2)?],
                    r.get::<_, Option<String>>(3)?,
                    [r.get::<_, String>(4)?, r.get(5)?],
                ))
            },
            |([run, key, title], url, [added_by, at])| {
                Ok(RoadmapRow {
                    run,
                    key,
                    title,
                    url,
                    added_by,
                    added_at: ts(&at)?,
                })
            },
        )
    }

    /// The `seq` the next fact recorded on a run here gets.
    pub fn next_run_fact_seq(&self, run: &str) -> Result<u32> {
        Ok(self.query_row(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM run_facts WHERE run = ?1",
            [run],
            |r| r.get(0),
        )?)
    }

    /// Whether a fact recorded by this audit event is held.
    pub fn has_run_fact_of(&self, event: &Digest) -> Result<bool> {
        Ok(self.query_row(
            "SELECT EXISTS (SELECT 1 FROM run_facts WHERE event = ?1)",
            [event.as_str()],
            |r| r.get(0),
        )?)
    }
}

impl Tx<'_> {
    /// Add a run.
    pub fn insert_run(&self, r: &RunRow) -> Result<()> {
        self.execute(
            "INSERT INTO runs (id, name, pattern, owner, trigger_text, trigger_source, trigger_at,
                               packet, lane, created_by, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                r.id,
                r.name,
                r.pattern,
                r.owner,
                r.trigger_text,
                r.trigger_source,
                r.trigger_at.to_string(),
                r.packet,
                r.lane,
                r.created_by,
                r.created_at.to_string()
            ],
        )?;
        Ok(())
    }

    /// Add an approval to a run.
    pub fn insert_run_approval(&self, a: &RunApprovalRow) -> Result<()> {
        self.execute(
            "INSERT INTO run_approvals (id, run, title, risk, requirement, roles, approvers, backing,
                                        created_by, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                a.id,
                a.run,
                a.title,
                a.risk,
                a.requirement,
                a.roles.join(","),
                a.approvers.join(","),
                a.backing,
                a.created_by,
                a.created_at.to_string()
            ],
        )?;
        Ok(())
    }

    /// Append a step to a run's definition.
    pub fn insert_run_step(&self, s: &RunStepRow) -> Result<()> {
        self.execute(
            "INSERT INTO run_steps (id, run, position, name, description, gate, on_reject, rework_to,
                                    added_by, added_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                s.id,
                s.run,
                s.position,
                s.name,
                s.description,
                s.gate,
                s.on_reject,
                s.rework_to,
                s.added_by,
                s.added_at.to_string()
            ],
        )?;
        Ok(())
    }

    /// Record a fact, with the event that recorded it; its `seq` is assigned here (the next in
    /// the run). Returns it.
    pub fn insert_run_fact(&self, f: &RunFactRow) -> Result<u32> {
        let seq = self.reader().next_run_fact_seq(&f.run)?;
        self.execute(
            "INSERT INTO run_facts (run, seq, kind, step, approval, actor, note, at, event)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                f.run,
                seq,
                f.kind,
                f.step,
                f.approval,
                f.actor,
                f.note,
                f.at.to_string(),
                f.event.as_ref().map(Digest::as_str)
            ],
        )?;
        Ok(seq)
    }

    /// Add a meeting (its transcript must already be stored in `files`).
    pub fn insert_meeting(&self, m: &MeetingRow) -> Result<()> {
        let participants = serde_json::to_string(&m.participants)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.execute(
            "INSERT INTO run_meetings (id, run, title, format, held_at, time_source, participants,
                                       turns, duration_ms, digest, file_name, size, imported_by,
                                       imported_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            params![
                m.id,
                m.run,
                m.title,
                m.format,
                m.held_at.to_string(),
                m.time_source,
                participants,
                m.turns,
                m.duration_ms,
                m.digest.as_str(),
                m.file_name,
                m.size as i64,
                m.imported_by,
                m.imported_at.to_string()
            ],
        )?;
        Ok(())
    }

    /// Add a file (its bytes must already be stored in `files`).
    pub fn insert_run_file(&self, f: &RunFileRow) -> Result<()> {
        self.execute(
            "INSERT INTO run_files (id, run, title, file_name, digest, size, step, added_by, added_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                f.id,
                f.run,
                f.title,
                f.file_name,
                f.digest.as_str(),
                f.size as i64,
                f.step,
                f.added_by,
                f.added_at.to_string()
            ],
        )?;
        Ok(())
    }

    /// Add a generated output.
    pub fn insert_run_output(&self, o: &RunOutputRow) -> Result<()> {
        self.execute(
            "INSERT INTO run_outputs (id, run, kind, text, step, approval, added_by, added_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                o.id,
                o.run,
                o.kind,
                o.text,
                o.step,
                o.approval,
                o.added_by,
                o.added_at.to_string()
            ],
        )?;
        Ok(())
    }

    /// Record the inputs of a file or output.
    pub fn insert_run_inputs(&self, item: &str, inputs: &[RunInputRow]) -> Result<()> {
        for (i, input) in inputs.iter().enumerate() {
            self.execute(
                "INSERT INTO run_inputs (item, position, input_kind, input) VALUES (?1, ?2, ?3, ?4)",
                params![item, i as i64, input.kind, input.input],
            )?;
        }
        Ok(())
    }

    /// Link a roadmap item; returns false when the run already links this key.
    pub fn insert_roadmap(&self, r: &RoadmapRow) -> Result<bool> {
        let n = self.execute(
            "INSERT INTO run_roadmap_links (run, key, title, url, added_by, added_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (run, key) DO NOTHING",
            params![
                r.run,
                r.key,
                r.title,
                r.url,
                r.added_by,
                r.added_at.to_string()
            ],
        )?;
        Ok(n == 1)
    }
}
