//! Run records through sync: every `run.*` event applied on the other replica (same ids, steps,
//! approvals, meetings, files with their lineage, outputs, roadmap links, facts), run records in
//! the state digest, concurrent run changes resolved in the merged order with their conflicts
//! reported, and run events that do not verify or lack what they name quarantined.

use std::collections::BTreeSet;
use std::path::PathBuf;

use bytes::Bytes;
use countersign_core::Timestamp;
use countersign_core::audit::Draft;
use countersign_sync::Batch;
use serde_json::{Value, json};

use crate::common::*;
use crate::sync_support::*;

const CALL: &str = "WEBVTT\n\nNOTE Outcome review\n\n00:00:01.000 --> 00:00:05.000\n<v Ines Halvorsen>Spoiled loads are down about a third since the alerts went live.\n\n00:00:06.000 --> 00:00:09.000\n<v Noor Haddad>May we quote that figure publicly?\n";

/// Write an input file with this exact name outside the workspace.
fn named(ws: &Ws, name: &str, bytes: &[u8]) -> PathBuf {
    let path = ws.root().join("files").join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn show(ws: &Ws, run: &str) -> Value {
    ws.json(["run", "show", run])
}

fn statuses(v: &Value) -> Vec<String> {
    array(v["steps"].clone())
        .iter()
        .map(|st| s(&st["status"]).to_owned())
        .collect()
}

/// The conflicts `sync status` lists, as (kind, detail).
fn conflicts(ws: &Ws) -> Vec<(String, String)> {
    array(ws.json(["sync", "status"])["conflicts"].clone())
        .iter()
        .map(|c| (s(&c["kind"]).to_owned(), s(&c["detail"]).to_owned()))
        .collect()
}

/// Both replicas show every run exactly alike, and agree on the state digest.
fn assert_same_runs(a: &Ws, b: &Ws) {
    let list = a.json(["run", "list"]);
    assert_eq!(list, b.json(["run", "list"]), "the run lists differ");
    for r in array(list) {
        let id = s(&r["id"]);
        assert_eq!(show(a, id), show(b, id), "run {id} differs");
    }
    assert_agree(&[a, b]);
}

struct Made {
    run: String,
    approval: String,
    meeting: String,
    proof: String,
    gated_output: String,
}

/// A run built on `ws` by `agent`, with a named approver: four steps (the third gated, sent
/// back to step 2 on rejection), a meeting, an input file, step 1 completed with a file and an
/// output made from the meeting and the trigger, an output gated by the approval, a roadmap link.
fn advocacy_run(ws: &Ws, agent: &str, noor: &str) -> Made {
    let run = ws.created([
        "run",
        "new",
        "--name",
        "Advocacy nomination: Halvorsen Cold Chain",
        "--pattern",
        "external",
        "--owner",
        agent,
        "--trigger",
        "Outcome call with measurable results",
        "--trigger-source",
        "call analytics",
        "--trigger-at",
        "2026-11-18T15:30:00Z",
    ]);
    let approval = ws.created([
        "run",
        "add-approval",
        &run,
        "--title",
        "Nominate the customer as a public reference",
        "--risk",
        "medium",
        "--requirement",
        "Advocacy and legal review of the wording and the customer's consent",
        "--role",
        "legal",
        "--approver",
        noor,
    ]);
    ws.created(["run", "add-step", &run, "--name", "Find proof points"]);
    ws.created([
        "run",
        "add-step",
        &run,
        "--name",
        "Draft the nomination",
        "--description",
        "Every claim traced to its source",
    ]);
    ws.created([
        "run",
        "add-step",
        &run,
        "--name",
        "Advocacy and legal sign-off",
        "--gate",
        &approval,
        "--on-reject",
        "rework",
        "--rework-to",
        "2",
    ]);
    ws.created(["run", "add-step", &run, "--name", "Hand over"]);
    let call = named(ws, "outcome-review.vtt", CALL.as_bytes());
    let meeting = ws.created([
        "run".as_ref(),
        "import-meeting".as_ref(),
        run.as_str().as_ref(),
        "--file".as_ref(),
        call.as_os_str(),
    ]);
    let criteria = named(
        ws,
        "criteria.md",
        b"# Reference criteria\n\nConsent in writing.\n",
    );
    let criteria = ws.created([
        "run".as_ref(),
        "add-file".as_ref(),
        run.as_str().as_ref(),
        "--file".as_ref(),
        criteria.as_os_str(),
        "--title".as_ref(),
        "Reference programme criteria".as_ref(),
    ]);
    ws.ok([
        "run",
        "complete-step",
        &run,
        "--step",
        "1",
        "--note",
        "The customer states a drop of about a third in spoiled loads",
    ]);
    let proof = named(
        ws,
        "proof-points.md",
        b"# Proof points\n\n- spoiled loads down ~33%\n",
    );
    let proof = ws.created([
        "run".as_ref(),
        "add-file".as_ref(),
        run.as_str().as_ref(),
        "--file".as_ref(),
        proof.as_os_str(),
        "--step".as_ref(),
        "1".as_ref(),
        "--input".as_ref(),
        meeting.as_str().as_ref(),
        "--input".as_ref(),
        "trigger".as_ref(),
    ]);
    ws.created([
        "run",
        "add-output",
        &run,
        "--kind",
        "CRM note",
        "--text",
        "Log the outcome review on the account.",
        "--step",
        "1",
        "--input",
        &meeting,
    ]);
    let gated_output = ws.created([
        "run",
        "add-output",
        &run,
        "--kind",
        "Reference nomination",
        "--text",
        "Add Halvorsen Cold Chain to the reference programme.",
        "--step",
        "2",
        "--approval",
        &approval,
        "--input",
        &proof,
        "--input",
        &criteria,
    ]);
    ws.ok([
        "run",
        "link-roadmap",
        &run,
        "--key",
        "ADV-212",
        "--title",
        "Record customer consent for reference use",
        "--url",
        "https://roadmap.example.com/items/ADV-212",
    ]);
    Made {
        run,
        approval,
        meeting,
        proof,
        gated_output,
    }
}

/// The regression: runs made and moved on one replica were kept in the other's log but never
/// applied (its run list stayed empty), and were not in the state digest (equal digests while
/// the runs differed). Now every kind of run event applies, with its bytes, on both sides.
#[test]
fn run_records_sync_to_other_replicas() {
    let place = Place::folder();
    let a = Ws::init();
    let agent = a.agent("Advocacy Agent");
    let noor = a.identity("Noor Haddad", &["reviewer"]);
    let digest_before = {
        sync(&a, &place);
        digest(&a)
    };
    let m = advocacy_run(&a, &agent, &noor);
    assert_ne!(
        digest(&a),
        digest_before,
        "the state digest covers run records"
    );
    let r = sync(&a, &place);
    assert!(r["pushed"]["objects"].as_u64().unwrap() >= 3, "{r}");

    let b = join(&place);
    let list = array(b.json(["run", "list"]));
    assert_eq!(list.len(), 1, "the run arrived");
    assert_eq!(list[0]["id"], m.run.as_str());
    assert_same_runs(&a, &b);
    let v = show(&b, &m.run);
    assert_eq!(
        statuses(&v),
        ["completed", "running", "pending", "pending"],
        "{v}"
    );
    assert_eq!(v["meetings"][0]["id"], m.meeting.as_str());
    assert_eq!(v["files"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(v["outputs"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(v["roadmap"][0]["key"], "ADV-212");
    assert_eq!(
        v["approvals"][0]["approver_label"],
        a.json(["run", "show", &m.run])["approvals"][0]["approver_label"]
    );
    // Lineage travels too: the gated output back to the meeting, the files and the trigger.
    for item in [&m.proof, &m.gated_output] {
        assert_eq!(
            a.json(["run", "lineage", &m.run, item]),
            b.json(["run", "lineage", &m.run, item])
        );
    }

    // B moves the run: a legal reviewer made there marks step 2 and approves.
    let legal = b.identity("Dana Okafor", &["legal"]);
    b.ok([
        "run",
        "complete-step",
        &m.run,
        "--step",
        "2",
        "--note",
        "Drafted with every claim traced",
        "--as",
        &legal,
    ]);
    b.ok([
        "run",
        "approve",
        &m.approval,
        "--as",
        &legal,
        "--note",
        "Consent is in writing",
    ]);
    sync_all(&[&b, &a], &place, 1);
    assert_same_runs(&a, &b);
    let v = show(&a, &m.run);
    assert_eq!(
        statuses(&v),
        ["completed", "completed", "completed", "running"],
        "{v}"
    );
    assert_eq!(v["approvals"][0]["status"], "approved");
    assert_eq!(v["approvals"][0]["decided_by_name"], "Dana Okafor");
    assert_eq!(v["status"], "running");

    // And A finishes it.
    a.ok(["run", "complete-step", &m.run, "--step", "4"]);
    sync_all(&[&a, &b], &place, 1);
    assert_same_runs(&a, &b);
    assert_eq!(show(&b, &m.run)["status"], "completed");
    assert!(conflicts(&a).is_empty() && conflicts(&b).is_empty());

    // Syncing again moves and changes nothing.
    let d = digest(&b);
    for ws in [&a, &b] {
        let r = sync(ws, &place);
        assert_eq!(r["pulled"]["ops"], 0, "{r}");
        assert_eq!(r["quarantined"], json!([]), "{r}");
        assert_eq!(s(&r["state_digest"]), d);
    }
}

/// Both replicas mark the same step while apart: the fact first in the merged order stands on
/// both, the other stays in the history marked, and both report the same conflict.
#[test]
fn concurrent_step_marks_converge_and_report_the_conflict() {
    let place = Place::folder();
    let a = Ws::init();
    let owner = a.identity("Priya Raman", &["author"]);
    let run = a.created([
        "run",
        "new",
        "--name",
        "Quarterly review",
        "--pattern",
        "internal",
        "--owner",
        &owner,
        "--trigger",
        "Quarter closed",
    ]);
    for name in ["Gather figures", "Write summary", "Circulate"] {
        a.created(["run", "add-step", &run, "--name", name]);
    }
    sync(&a, &place);
    let b = join(&place);
    let marcus = b.identity("Marcus Ellery", &["author"]);

    a.ok([
        "run",
        "complete-step",
        &run,
        "--step",
        "1",
        "--note",
        "Figures gathered on A",
    ]);
    b.ok([
        "run",
        "complete-step",
        &run,
        "--step",
        "1",
        "--outcome",
        "skipped",
        "--note",
        "Skipped on B: figures come later",
        "--as",
        &marcus,
    ]);
    sync_all(&[&a, &b, &a], &place, 1);
    assert_same_runs(&a, &b);
    let v = show(&a, &run);
    let st = statuses(&v);
    assert!(
        st == ["completed", "running", "pending"] || st == ["skipped", "running", "pending"],
        "{v}"
    );
    let history: Vec<String> = array(v["history"].clone())
        .iter()
        .map(|h| s(&h["text"]).to_owned())
        .collect();
    assert_eq!(
        history
            .iter()
            .filter(|t| t.contains("changes nothing"))
            .count(),
        1,
        "the later mark stays in the history, marked: {history:?}"
    );
    let (ca, cb) = (conflicts(&a), conflicts(&b));
    assert_eq!(ca, cb, "both replicas report the same conflict");
    assert_eq!(ca.len(), 1, "{ca:?}");
    assert_eq!(ca[0].0, "run_fact");
    assert!(
        ca[0].1.contains("step 1 (Gather figures)") && ca[0].1.contains("came first"),
        "{ca:?}"
    );
    let text = a.ok(["sync", "status"]);
    assert!(text.contains("run_fact"), "{text}");

    // The run goes on from the merged state on either replica.
    b.ok(["run", "complete-step", &run, "--step", "2", "--as", &marcus]);
    sync_all(&[&b, &a], &place, 1);
    assert_same_runs(&a, &b);
    assert_eq!(statuses(&show(&a, &run))[1], "completed");
}

/// Steps added, gated by one approval, and one roadmap key linked on two replicas at once:
/// both steps stay, numbered by the merged order, the approval gating the first; both replicas
/// derive the same definition and status, agree on the digest, and report the conflicts.
#[test]
fn concurrent_step_additions_and_links_merge_in_the_same_order() {
    let place = Place::folder();
    let a = Ws::init();
    let owner = a.identity("Priya Raman", &["author", "legal"]);
    let run = a.created([
        "run",
        "new",
        "--name",
        "Partner announcement",
        "--pattern",
        "external",
        "--owner",
        &owner,
        "--trigger",
        "Contract signed",
    ]);
    let approval = a.created([
        "run",
        "add-approval",
        &run,
        "--title",
        "Legal sign-off",
        "--risk",
        "high",
        "--requirement",
        "Wording reviewed",
        "--role",
        "legal",
    ]);
    a.created(["run", "add-step", &run, "--name", "Draft"]);
    sync(&a, &place);
    let b = join(&place);
    let writer = b.identity("Marcus Ellery", &["author"]);

    a.created([
        "run",
        "add-step",
        &run,
        "--name",
        "Sign-off on A",
        "--gate",
        &approval,
    ]);
    b.created([
        "run",
        "add-step",
        &run,
        "--name",
        "Sign-off on B",
        "--gate",
        &approval,
        "--as",
        &writer,
    ]);
    a.ok([
        "run",
        "link-roadmap",
        &run,
        "--key",
        "MKT-7",
        "--title",
        "Launch page",
    ]);
    b.ok([
        "run",
        "link-roadmap",
        &run,
        "--key",
        "MKT-7",
        "--title",
        "Launch page (B)",
        "--as",
        &writer,
    ]);
    // The same transcript imported into the run on both.
    for (ws, who) in [(&a, &owner), (&b, &writer)] {
        let call = named(ws, "outcome-review.vtt", CALL.as_bytes());
        ws.created([
            "run".as_ref(),
            "import-meeting".as_ref(),
            run.as_str().as_ref(),
            "--file".as_ref(),
            call.as_os_str(),
            "--as".as_ref(),
            who.as_str().as_ref(),
        ]);
    }
    sync_all(&[&a, &b, &a], &place, 1);
    assert_agree(&[&a, &b]);
    let (va, vb) = (show(&a, &run), show(&b, &run));
    assert_eq!(va["steps"], vb["steps"]);
    assert_eq!(va["approvals"], vb["approvals"]);
    assert_eq!(va["meetings"].as_array().unwrap().len(), 1, "{va}");
    assert_eq!(va["status"], vb["status"]);
    let names: Vec<&str> = va["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|st| s(&st["name"]))
        .collect();
    assert_eq!(names.len(), 3, "{va}");
    assert_eq!(names[0], "Draft");
    let numbers: Vec<u64> = va["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|st| st["number"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(numbers, [1, 2, 3], "{va}");
    assert_eq!(
        va["approvals"][0]["gates_step"], 2,
        "the approval gates the first of the two: {va}"
    );
    for ws in [&a, &b] {
        let kinds: BTreeSet<String> = conflicts(ws).into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            kinds,
            BTreeSet::from([
                "run_step".to_owned(),
                "run_roadmap".to_owned(),
                "run_meeting".to_owned()
            ]),
            "{:?}",
            conflicts(ws)
        );
    }
    let step_conflict = |ws: &Ws| {
        conflicts(ws)
            .into_iter()
            .find(|(k, _)| k == "run_step")
            .unwrap()
            .1
    };
    assert_eq!(step_conflict(&a), step_conflict(&b));
    assert!(
        step_conflict(&a).contains("step 3"),
        "{}",
        step_conflict(&a)
    );

    // The merged run moves on: the first step's approval decides it.
    a.ok(["run", "complete-step", &run, "--step", "1"]);
    a.ok(["run", "approve", &approval, "--as", &owner]);
    sync_all(&[&a, &b], &place, 1);
    assert_agree(&[&a, &b]);
    let (va, vb) = (show(&a, &run), show(&b, &run));
    assert_eq!(va["steps"], vb["steps"]);
    assert_eq!(statuses(&va), ["completed", "completed", "running"]);
}

/// A packet's release to one lane made a run on both replicas while apart: both runs stay (each
/// follows the packet), and both replicas report the same conflict.
#[test]
fn a_release_run_made_on_both_replicas_keeps_both_and_reports_it() {
    let place = Place::folder();
    let a = Ws::init();
    let owner = a.identity("Priya Raman", &["release-owner", "author"]);
    let packet = a.packet("Outage disclosure", &owner);
    a.revise(&packet, "Service was restored at 14:05 UTC.\n", &owner);
    sync(&a, &place);
    let b = join(&place);
    let other = b.identity("Marcus Ellery", &["release-owner"]);
    for (ws, who, name) in [(&a, &owner, "Release on A"), (&b, &other, "Release on B")] {
        ws.created([
            "run",
            "new",
            "--name",
            name,
            "--pattern",
            "external",
            "--owner",
            who,
            "--trigger",
            "Incident closed",
            "--packet",
            &packet,
            "--lane",
            "exec-review",
        ]);
    }
    sync_all(&[&a, &b, &a], &place, 1);
    assert_same_runs(&a, &b);
    assert_eq!(array(a.json(["run", "list"])).len(), 2);
    let (ca, cb) = (conflicts(&a), conflicts(&b));
    assert_eq!(ca, cb);
    assert_eq!(ca.len(), 1, "{ca:?}");
    assert_eq!(ca[0].0, "run_release");
    assert!(
        ca[0].1.contains("Release on A") && ca[0].1.contains("Release on B"),
        "{ca:?}"
    );
}

/// The demo's runs (the advocacy nomination, with its meeting, files, outputs and links, and
/// the outage disclosure release) arrive whole on a joined replica, and a decision made there
/// comes back.
#[test]
fn the_demo_advocacy_run_travels_to_a_joined_replica() {
    let place = Place::folder();
    let demo = Ws::empty();
    demo.json(["demo"]);
    sync(&demo, &place);
    let b = join(&place);
    assert_same_runs(&demo, &b);
    let runs = array(b.json(["run", "list"]));
    assert_eq!(runs.len(), 2, "{runs:?}");
    let advocacy = runs
        .iter()
        .find(|r| s(&r["name"]).starts_with("Advocacy nomination"))
        .unwrap();
    let id = s(&advocacy["id"]).to_owned();
    let v = show(&b, &id);
    assert_eq!(v["status"], "paused", "{v}");
    assert_eq!(v["meetings"].as_array().unwrap().len(), 1);
    assert_eq!(v["files"].as_array().unwrap().len(), 3);
    assert_eq!(v["outputs"].as_array().unwrap().len(), 3);
    assert_eq!(v["roadmap"].as_array().unwrap().len(), 2);
    assert!(runs.iter().any(|r| !r["packet"].is_null()), "{runs:?}");

    // Legal approves on the joined replica; the demo workspace sees the run complete.
    let approval = s(&v["approvals"][0]["id"]).to_owned();
    let legal = b.identity("Dana Okafor", &["legal"]);
    b.ok(["run", "approve", &approval, "--as", &legal]);
    sync_all(&[&b, &demo], &place, 1);
    assert_same_runs(&demo, &b);
    assert_eq!(show(&demo, &id)["status"], "completed");
}

/// One event, properly signed by `key` (a registered identity's), as the first batch of a new
/// replica's log.
fn signed_batch(
    workspace: &str,
    replica: &str,
    actor: &str,
    key: &countersign_signing::SigningKey,
    kind: &str,
    payload: &Value,
) -> Vec<u8> {
    let mut e = Draft {
        actor: Some(actor.to_owned()),
        at: Timestamp::parse("2026-11-21T10:00:00Z").unwrap(),
        kind: kind.to_owned(),
        payload: payload.to_string(),
    }
    .seal(replica, 1, 1_000, None);
    let sig = countersign_signing::sign(key, e.hash.as_str().as_bytes());
    e.signature = Some(sig.iter().map(|b| format!("{b:02x}")).collect());
    let mut b = Batch::new(workspace, replica, 1, Some(actor), &[e], vec![]);
    b.sign(key);
    b.to_bytes()
}

/// A run event whose signature holds but that names what is not held, or a decision by someone
/// who may not decide, is quarantined with the reason; nothing of it applies.
#[test]
fn run_events_that_do_not_fit_are_quarantined_with_the_reason() {
    let place = Place::folder();
    let a = Ws::init();
    let owner = a.identity("Priya Raman", &["author"]);
    let run = a.created([
        "run",
        "new",
        "--name",
        "Quarterly review",
        "--pattern",
        "internal",
        "--owner",
        &owner,
        "--trigger",
        "Quarter closed",
    ]);
    let approval = a.created([
        "run",
        "add-approval",
        &run,
        "--title",
        "Legal sign-off",
        "--risk",
        "low",
        "--requirement",
        "Wording reviewed",
        "--role",
        "legal",
    ]);
    sync(&a, &place);
    let b = join(&place);
    let workspace = s(&a.json(["sync", "status"])["workspace"]).to_owned();
    let key = sealed_key_of(&a, &owner);
    let remote = place.remote();

    let ghost_run = "0".repeat(32);
    let step = json!({
        "run": ghost_run,
        "step": {
            "id": "1".repeat(32), "run": ghost_run, "position": 1, "name": "Ghost",
            "description": null, "gate": null, "on_reject": "fail", "rework_to": null,
            "added_by": owner, "added_at": "2026-11-21T10:00:00.000Z"
        }
    });
    let x = "c".repeat(32);
    remote
        .put_raw(
            &format!("logs/{x}/000000000001"),
            Bytes::from(signed_batch(
                &workspace,
                &x,
                &owner,
                &key,
                "run.step_added",
                &step,
            )),
        )
        .unwrap();
    let decision = json!({
        "run": run, "seq": 1, "run_status": "running",
        "fact": {
            "run": run, "seq": 1, "kind": "approved", "step": null, "approval": approval,
            "actor": owner, "note": null, "at": "2026-11-21T10:00:00.000Z"
        }
    });
    let y = "d".repeat(32);
    remote
        .put_raw(
            &format!("logs/{y}/000000000001"),
            Bytes::from(signed_batch(
                &workspace,
                &y,
                &owner,
                &key,
                "run.approved",
                &decision,
            )),
        )
        .unwrap();

    let r = sync(&b, &place);
    let q: Vec<(String, String)> = array(r["quarantined"].clone())
        .iter()
        .map(|q| (s(&q["object"]).to_owned(), s(&q["reason"]).to_owned()))
        .collect();
    let reason = |path: String| {
        q.iter()
            .find(|(p, _)| *p == path)
            .unwrap_or_else(|| panic!("{path} is not quarantined: {q:?}"))
            .1
            .clone()
    };
    let why = reason(format!("logs/{x}/000000000001"));
    assert!(
        why.contains("run.step_added") && why.contains(&ghost_run) && why.contains("not held"),
        "{why}"
    );
    let why = reason(format!("logs/{y}/000000000001"));
    assert!(
        why.contains("Priya Raman may not decide") && why.contains("Legal sign-off"),
        "{why}"
    );
    // Nothing of either applied: B still agrees with A, whose pass quarantines them too.
    assert_eq!(show(&b, &run)["approvals"][0]["status"], "pending");
    let r = sync(&a, &place);
    assert_eq!(r["quarantined"].as_array().unwrap().len(), 2, "{r}");
    assert_agree(&[&a, &b]);
}

/// After an upgrade: a replica whose older build kept other replicas' run events in its log
/// without applying them (it did not know `run.*`) applies them once, in the merged order, on its
/// next pass; it then shows the same runs as their origin and agrees with it.
#[test]
fn run_events_kept_by_an_older_build_apply_after_the_upgrade() {
    let place = Place::folder();
    let a = Ws::init();
    let agent = a.agent("Advocacy Agent");
    let noor = a.identity("Noor Haddad", &["reviewer"]);
    let m = advocacy_run(&a, &agent, &noor);
    sync(&a, &place);
    let b = join(&place);
    assert_same_runs(&a, &b);
    // B as the older build left it: the run events in its log, no run records. (The run tables'
    // append-only triggers are lifted for the deletion and put back as they were.)
    let db = sqlite(&b.db());
    let triggers: Vec<(String, String)> = db
        .prepare(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name LIKE 'run%'",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (name, _) in &triggers {
        db.execute_batch(&format!("DROP TRIGGER \"{name}\""))
            .unwrap();
    }
    db.execute_batch(
        "PRAGMA foreign_keys = OFF;
         DELETE FROM run_roadmap_links; DELETE FROM run_inputs; DELETE FROM run_outputs;
         DELETE FROM run_files; DELETE FROM run_meetings; DELETE FROM run_facts;
         DELETE FROM run_steps; DELETE FROM run_approvals; DELETE FROM runs;
         INSERT OR REPLACE INTO meta (key, value) VALUES ('appliers', '1');",
    )
    .unwrap();
    for (_, sql) in &triggers {
        db.execute_batch(sql).unwrap();
    }
    drop(db);
    assert!(array(b.json(["run", "list"])).is_empty());
    assert_ne!(digest(&a), digest(&b));

    let r = sync(&b, &place);
    assert_eq!(r["kept"], json!([]), "{r}");
    assert_eq!(r["quarantined"], json!([]), "{r}");
    assert_same_runs(&a, &b);
    assert_eq!(
        statuses(&show(&b, &m.run)),
        ["completed", "running", "pending", "pending"]
    );
    // Once: a later pass applies nothing again, and the replicas still agree.
    let again = sync(&b, &place);
    assert_eq!(again["pulled"]["ops"], 0, "{again}");
    assert_same_runs(&a, &b);
    // A replica whose build applied run events but did not record it (the previous version)
    // applies them again on upgrading: that changes nothing.
    sqlite(&b.db())
        .execute_batch("UPDATE meta SET value = '1' WHERE key = 'appliers'")
        .unwrap();
    let r = sync(&b, &place);
    assert_eq!(r["kept"], json!([]), "{r}");
    assert_same_runs(&a, &b);
    assert!(conflicts(&b).is_empty(), "{:?}", conflicts(&b));
}
