//! The state digest: one hash over a workspace's canonical content, so that people and tests
//! can see two replicas agree.
//!
//! It covers what the workspace *is*, never how this replica came to hold it: identities (public
//! facts), packets, every revision (with a digest of its content as held, so missing content
//! shows), the heads, threads with their messages and resolution, objections with their full
//! ledger (conflict marks included), evidence items with every version, policy versions, and the
//! release area (manifests, approvals, holds, releases — conflicting ones included), and run
//! records (each run with its approvals, its steps in the merged order, its facts in the merged
//! order with their conflict marks, its files and outputs with their lineage inputs; meetings
//! and roadmap links as the union of what was applied and what was kept as a conflict).
//! Everything is ordered by id or by the merged order. Left out: local positions and numbers
//! (revision numbers, audit positions, the order run facts arrived here), anchoring caches, sync
//! bookkeeping, where a bundle was written, and which replica happened to record a shared hold
//! first.

use std::collections::BTreeSet;

use countersign_core::Digest;
use countersign_core::digest::FieldHasher;
use countersign_store::{MeetingRow, Reader, RoadmapRow, RunInputRow, RunStepRow};
use serde_json::{Value, json};

use crate::runs::{fact_conflicts, merged_steps};
use crate::{Result, Workspace};

fn meeting_json(m: &MeetingRow) -> String {
    json!([
        m.run,
        m.id,
        m.title,
        m.format,
        m.held_at.to_string(),
        m.time_source,
        m.participants,
        m.turns,
        m.duration_ms,
        m.digest.as_str(),
        m.file_name,
        m.size,
        m.imported_by,
        m.imported_at.to_string()
    ])
    .to_string()
}

fn roadmap_json(l: &RoadmapRow) -> String {
    json!([
        l.run,
        l.key,
        l.title,
        l.url,
        l.added_by,
        l.added_at.to_string()
    ])
    .to_string()
}

fn inputs_json(inputs: &[RunInputRow]) -> Vec<Value> {
    inputs.iter().map(|i| json!([i.kind, i.input])).collect()
}

/// Every run, by id, with what the run page derives from: its approvals, its steps and facts in
/// the merged order (with conflict marks), its files and outputs with their inputs. Meetings
/// and roadmap links go into the sets handed in (they are unioned with conflicting ones).
fn runs_json(
    read: Reader<'_>,
    meetings: &mut BTreeSet<String>,
    roadmap: &mut BTreeSet<String>,
) -> Result<Vec<Value>> {
    let mut runs = read.runs()?;
    runs.sort_by(|a, b| a.id.cmp(&b.id));
    let mut out = Vec::with_capacity(runs.len());
    for r in &runs {
        let mut approvals = read.run_approvals(&r.id)?;
        approvals.sort_by(|a, b| a.id.cmp(&b.id));
        let steps = merged_steps(read, &r.id)?;
        let rows: Vec<RunStepRow> = steps.iter().map(|m| m.row.clone()).collect();
        let facts = read.run_facts(&r.id)?;
        let marks = fact_conflicts(read, r, &rows, &approvals, &facts);
        let mut files = Vec::new();
        for f in read.run_files(&r.id)? {
            let held = read
                .file(&f.digest)?
                .map_or_else(|| "missing".to_owned(), |b| Digest::of(&b).to_string());
            files.push(json!([
                f.id,
                f.title,
                f.file_name,
                f.digest.as_str(),
                held,
                f.size,
                f.step,
                f.added_by,
                f.added_at.to_string(),
                inputs_json(&read.run_inputs(&f.id)?)
            ]));
        }
        files.sort_by_key(|v| v[0].as_str().unwrap_or_default().to_owned());
        let mut outputs = Vec::new();
        for o in read.run_outputs(&r.id)? {
            outputs.push(json!([
                o.id,
                o.kind,
                o.text,
                o.step,
                o.approval,
                o.added_by,
                o.added_at.to_string(),
                inputs_json(&read.run_inputs(&o.id)?)
            ]));
        }
        outputs.sort_by_key(|v| v[0].as_str().unwrap_or_default().to_owned());
        for m in read.run_meetings(&r.id)? {
            meetings.insert(meeting_json(&m));
        }
        for l in read.run_roadmap(&r.id)? {
            roadmap.insert(roadmap_json(&l));
        }
        out.push(json!([
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
            r.created_at.to_string(),
            [
                "approvals",
                approvals
                    .iter()
                    .map(|a| json!([
                        a.id,
                        a.title,
                        a.risk,
                        a.requirement,
                        a.roles,
                        a.approvers,
                        a.backing,
                        a.created_by,
                        a.created_at.to_string()
                    ]))
                    .collect::<Vec<_>>()
            ],
            [
                "steps",
                steps
                    .iter()
                    .map(|m| json!([
                        m.row.id,
                        m.row.position,
                        m.row.name,
                        m.row.description,
                        m.row.gate,
                        m.row.on_reject,
                        m.row.rework_to,
                        m.row.added_by,
                        m.row.added_at.to_string(),
                        m.conflict.is_some()
                    ]))
                    .collect::<Vec<_>>()
            ],
            [
                "facts",
                facts
                    .iter()
                    .zip(marks)
                    .map(|(f, mark)| json!([
                        f.kind,
                        f.step,
                        f.approval,
                        f.actor,
                        f.note,
                        f.at.to_string(),
                        mark.is_some()
                    ]))
                    .collect::<Vec<_>>()
            ],
            ["files", files],
            ["outputs", outputs],
        ]));
    }
    Ok(out)
}

impl Workspace {
    /// The state digest (`sha256:…`): equal on two replicas exactly when they hold the same
    /// content.
    pub fn state_digest(&self) -> Result<String> {
        let read = self.store.read();
        let mut identities: Vec<Value> = read
            .identities()?
            .into_iter()
            .map(|i| {
                json!([
                    i.id,
                    i.name,
                    i.kind.as_str(),
                    i.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                    i.public_key,
                    i.created_at.to_string()
                ])
            })
            .collect();
        identities.sort_by_key(|v| v[0].as_str().unwrap_or_default().to_owned());

        let mut packets = Vec::new();
        let mut ids: Vec<String> = read.packets()?.into_iter().map(|p| p.id).collect();
        ids.sort();
        for id in &ids {
            let p = read.packet(id)?;
            let mut revisions = Vec::new();
            for r in read.revisions(id)? {
                let held = read
                    .blob(&r.content_digest)
                    .map(|c| Digest::of(c.as_bytes()).to_string())
                    .unwrap_or_else(|_| "missing".into());
                revisions.push(json!([
                    r.id.as_str(),
                    r.content_digest.as_str(),
                    held,
                    r.parents.iter().map(|d| d.as_str()).collect::<Vec<_>>(),
                    r.author,
                    r.message,
                    r.created_at.to_string()
                ]));
            }
            revisions.sort_by_key(|v| v[0].as_str().unwrap_or_default().to_owned());
            let heads: Vec<String> = read
                .heads(id)?
                .into_iter()
                .map(|h| h.id.to_string())
                .collect();
            let mut threads = Vec::new();
            for t in read.threads(id)? {
                threads.push(json!([
                    t.id,
                    t.revision.as_str(),
                    t.author,
                    t.created_at.to_string(),
                    [
                        t.anchor.quote,
                        t.anchor.prefix,
                        t.anchor.suffix,
                        t.anchor.start,
                        t.anchor.end
                    ],
                    t.resolved,
                    t.resolved_by.map(|(who, at)| json!([who, at.to_string()])),
                    t.messages
                        .iter()
                        .map(|m| json!([m.author, m.body, m.created_at.to_string()]))
                        .collect::<Vec<_>>()
                ]));
            }
            threads.sort_by_key(|v| v[0].as_str().unwrap_or_default().to_owned());
            let mut objections = Vec::new();
            for o in read.objections(id)? {
                let marks = read.ledger_conflict_marks(&o.id)?;
                let history: Vec<Value> = o
                    .history
                    .iter()
                    .zip(marks.into_iter().chain(std::iter::repeat(None)))
                    .map(|(e, mark)| {
                        json!([
                            e.action.as_str(),
                            e.from.as_str(),
                            e.to.as_str(),
                            e.actor,
                            e.at.to_string(),
                            e.text,
                            mark.is_some()
                        ])
                    })
                    .collect();
                objections.push(json!([
                    o.id,
                    o.revision.as_str(),
                    o.raised_by,
                    o.created_at.to_string(),
                    o.body,
                    o.blocking,
                    o.status.as_str(),
                    [
                        o.anchor.quote,
                        o.anchor.prefix,
                        o.anchor.suffix,
                        o.anchor.start,
                        o.anchor.end
                    ],
                    history
                ]));
            }
            objections.sort_by_key(|v| v[0].as_str().unwrap_or_default().to_owned());
            let mut evidence = Vec::new();
            for e in read.evidence_list(id)? {
                evidence.push(json!([
                    e.id,
                    e.source,
                    e.title,
                    e.versions
                        .iter()
                        .map(|v| json!([
                            v.number,
                            v.digest.as_str(),
                            v.file_name,
                            v.size,
                            v.captured_at.to_string(),
                            v.added_by
                        ]))
                        .collect::<Vec<_>>()
                ]));
            }
            evidence.sort_by_key(|v| v[0].as_str().unwrap_or_default().to_owned());
            // Arrays only, never JSON objects: the bytes hashed must not depend on how a JSON
            // map orders its keys in any build.
            packets.push(json!([
                p.id,
                p.title,
                p.owner,
                p.created_at.to_string(),
                ["revisions", revisions],
                ["heads", heads],
                ["threads", threads],
                ["objections", objections],
                ["evidence", evidence],
            ]));
        }

        // The release area, as the union of what each replica applied and what it kept as a
        // conflict: two replicas that drafted the same manifest version while apart each hold
        // their own in the table and the other's as a conflict, and agree on the union.
        let mut manifests: BTreeSet<String> = BTreeSet::new();
        let mut approvals: BTreeSet<String> = BTreeSet::new();
        let mut holds: BTreeSet<String> = BTreeSet::new();
        let mut releases: BTreeSet<String> = BTreeSet::new();
        let mut policies: BTreeSet<String> = BTreeSet::new();
        for id in &ids {
            for lane in read.manifest_lanes(id)? {
                for m in read.manifests(id, &lane)? {
                    manifests.insert(
                        json!([
                            m.digest.as_str(),
                            m.packet,
                            m.lane,
                            m.version,
                            m.revision.as_str(),
                            m.drafted_by,
                            m.created_at.to_string()
                        ])
                        .to_string(),
                    );
                    for a in read.approvals(&m.digest)? {
                        approvals.insert(
                            json!([
                                m.digest.as_str(),
                                a.signer,
                                a.meaning,
                                Digest::of(a.envelope.as_bytes()).as_str(),
                                a.signed_at.to_string()
                            ])
                            .to_string(),
                        );
                    }
                    for h in read.holds(&m.digest)? {
                        holds.insert(
                            json!([m.digest.as_str(), h.kind, h.cause, h.holding]).to_string(),
                        );
                    }
                    if let Some(r) = read.release(&m.digest)? {
                        releases.insert(
                            json!([
                                m.digest.as_str(),
                                Digest::of(r.bundle.as_bytes()).as_str(),
                                r.actor,
                                r.at.to_string()
                            ])
                            .to_string(),
                        );
                    }
                }
            }
        }
        let mut meetings: BTreeSet<String> = BTreeSet::new();
        let mut roadmap: BTreeSet<String> = BTreeSet::new();
        let runs = runs_json(read, &mut meetings, &mut roadmap)?;
        let mut v = 1;
        while let Some((d, env)) = read.policy_version(v)? {
            policies
                .insert(json!([v, d.as_str(), Digest::of(env.as_bytes()).as_str()]).to_string());
            v += 1;
        }
        for c in read.sync_conflicts()? {
            let Some(e) = read
                .events_sql(
                    &format!("{} WHERE hash = ?1", countersign_store::EVENT_SELECT),
                    [c.event.as_str()],
                )?
                .pop()
            else {
                continue;
            };
            let p: Value = serde_json::from_str(&e.payload).unwrap_or_default();
            let s = |k: &str| {
                p.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            let actor = e.actor.clone().unwrap_or_default();
            match e.kind.as_str() {
                "manifest.drafted" => {
                    manifests.insert(
                        json!([
                            s("digest"),
                            s("packet"),
                            s("lane"),
                            p.get("version").and_then(Value::as_u64).unwrap_or(0),
                            s("revision"),
                            actor,
                            e.at.to_string()
                        ])
                        .to_string(),
                    );
                }
                "manifest.approve" | "manifest.reject" | "manifest.reviewed" => {
                    approvals.insert(
                        json!([
                            s("manifest"),
                            s("signer"),
                            s("meaning"),
                            s("envelope_object"),
                            e.at.to_string()
                        ])
                        .to_string(),
                    );
                }
                "release.held" => {
                    let cause = p.get("cause").cloned().unwrap_or_default();
                    if let Ok(c) =
                        serde_json::from_value::<countersign_release::stale::HoldCause>(cause)
                    {
                        holds.insert(
                            json!([
                                s("manifest"),
                                c.kind(),
                                serde_json::to_string(&c).unwrap_or_default(),
                                c.holds()
                            ])
                            .to_string(),
                        );
                    }
                }
                "release.released" => {
                    releases.insert(
                        json!([s("manifest"), s("bundle_digest"), actor, e.at.to_string()])
                            .to_string(),
                    );
                }
                "policy.issued" => {
                    policies.insert(
                        json!([
                            p.get("version").and_then(Value::as_u64).unwrap_or(0),
                            s("digest"),
                            s("envelope_object")
                        ])
                        .to_string(),
                    );
                }
                "run.meeting_imported" => {
                    if let Some(m) = p
                        .get("meeting")
                        .and_then(|m| serde_json::from_value::<MeetingRow>(m.clone()).ok())
                    {
                        meetings.insert(meeting_json(&m));
                    }
                }
                "run.roadmap_linked" => {
                    if let Some(l) = p
                        .get("link")
                        .and_then(|l| serde_json::from_value::<RoadmapRow>(l.clone()).ok())
                    {
                        roadmap.insert(roadmap_json(&l));
                    }
                }
                _ => {}
            }
        }
        let state = json!([
            ["workspace", self.workspace_id()?],
            ["identities", identities],
            ["packets", packets],
            ["policies", policies],
            ["manifests", manifests],
            ["approvals", approvals],
            ["holds", holds],
            ["releases", releases],
            ["runs", runs],
            ["run_meetings", meetings],
            ["run_roadmap", roadmap],
        ]);
        let mut h = FieldHasher::new("countersign/state/v2");
        h.field(&serde_json::to_vec(&state).unwrap_or_default());
        Ok(h.finish().to_string())
    }
}
