//! `countersign run …`: run records built from scripts, the derived step graph reshaping on
//! every decision, meeting imports of each format (and refusals that write nothing), lineage,
//! roadmap links, and a packet release followed as a run.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::*;

/// A run built by script: an agent owner, an approval decided by legal or a named person, and
/// four steps — the third waits on the approval and, rejected, fails (or, with `rework`, sends
/// the run back to step 2).
struct Scripted {
    ws: Ws,
    agent: String,
    noor: String,
    legal: String,
    author: String,
    run: String,
    approval: String,
}

fn scripted(rework: bool) -> Scripted {
    let ws = Ws::init();
    let agent = ws.agent("Advocacy Agent");
    let noor = ws.identity("Noor Haddad", &["reviewer"]);
    let legal = ws.identity("Dana Okafor", &["legal"]);
    let author = ws.identity("Marcus Ellery", &["author"]);
    let run = ws.created([
        "run",
        "new",
        "--name",
        "Advocacy nomination",
        "--pattern",
        "external",
        "--owner",
        &agent,
        "--trigger",
        "Outcome call with measurable results",
        "--trigger-source",
        "call analytics",
        "--trigger-at",
        "2026-11-18T15:30:00Z",
    ]);
    assert_hex(&run, 32);
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
        &noor,
    ]);
    assert_hex(&approval, 32);
    ws.created(["run", "add-step", &run, "--name", "Find proof points"]);
    ws.created(["run", "add-step", &run, "--name", "Draft the nomination"]);
    let mut gated = vec![
        "run",
        "add-step",
        &run,
        "--name",
        "Advocacy and legal sign-off",
        "--gate",
        &approval,
    ];
    if rework {
        gated.extend(["--on-reject", "rework", "--rework-to", "2"]);
    }
    ws.created(&gated);
    ws.created([
        "run",
        "add-step",
        &run,
        "--name",
        "Hand over to the reference team",
    ]);
    Scripted {
        ws,
        agent,
        noor,
        legal,
        author,
        run,
        approval,
    }
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

fn complete(ws: &Ws, run: &str, step: &str) {
    ws.ok(["run", "complete-step", run, "--step", step]);
}

/// Write an input file with this exact name outside the workspace.
fn named_file(ws: &Ws, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = ws.root().join("files").join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn import(ws: &Ws, run: &str, path: &Path) -> String {
    let id = ws.created([
        "run".as_ref(),
        "import-meeting".as_ref(),
        run.as_ref(),
        "--file".as_ref(),
        path.as_os_str(),
    ]);
    assert_hex(&id, 32);
    id
}

#[test]
fn approving_completes_the_waiting_step_and_runs_the_next() {
    let r = scripted(false);
    let ws = &r.ws;
    let v = show(ws, &r.run);
    assert_eq!(statuses(&v), ["running", "pending", "pending", "pending"]);
    assert_eq!(v["status"], "running");
    assert_eq!(v["pattern"], "external");
    assert_eq!(v["owner_kind"], "agent");

    ws.ok([
        "run",
        "complete-step",
        &r.run,
        "--step",
        "1",
        "--note",
        "The customer names a 31% drop in spoiled loads",
    ]);
    complete(ws, &r.run, "2");
    let v = show(ws, &r.run);
    assert_eq!(
        statuses(&v),
        ["completed", "completed", "awaiting_approval", "pending"]
    );
    assert_eq!(
        v["status"], "paused",
        "a pending approval on the path pauses the run"
    );
    assert!(s(&v["status_reason"]).contains("Advocacy and legal sign-off"));
    assert_eq!(
        v["steps"][0]["explanation"],
        "The customer names a 31% drop in spoiled loads."
    );
    assert_eq!(v["steps"][0]["by_name"], "Advocacy Agent");
    assert_eq!(v["approvals"][0]["status"], "pending");
    assert_eq!(v["approvals"][0]["risk"], "medium");
    assert_eq!(v["approvals"][0]["gates_step"], 3);
    assert_eq!(
        v["approvals"][0]["approver_label"],
        "Noor Haddad or anyone holding legal"
    );
    assert_eq!(v["counts"]["approvals"]["pending"], 1);
    assert_eq!(
        v["gating"],
        "1 approval decision still gates risky or external work."
    );

    // Nothing but a human approver moves the gate; refusals write nothing.
    let before = ws.snapshot();
    assert_eq!(
        ws.fails_code(1, ["run", "approve", &r.approval, "--as", &r.agent]),
        "agent_refused"
    );
    let err = ws.fails(1, ["run", "approve", &r.approval, "--as", &r.author]);
    assert!(
        err.contains("Marcus Ellery may not decide")
            && err.contains("Noor Haddad or anyone holding legal"),
        "{err}"
    );
    assert_eq!(
        ws.fails_code(1, ["run", "approve", &r.approval, "--as", &r.author]),
        "not_permitted"
    );
    assert_eq!(
        ws.fails_code(1, ["run", "complete-step", &r.run, "--step", "3"]),
        "gated_step"
    );
    assert_eq!(
        ws.fails_code(1, ["run", "complete-step", &r.run, "--step", "2"]),
        "step_not_running"
    );
    assert_eq!(
        ws.fails_code(2, ["run", "complete-step", &r.run, "--step", "9"]),
        "no_step"
    );
    ws.assert_unchanged(&before, "refused run changes");

    // The named approver approves (by id prefix): step 3 completes, step 4 runs at once.
    let approved = ws.json(["run", "approve", &r.approval[..8], "--as", &r.noor]);
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["decided_by_name"], "Noor Haddad");
    assert_eq!(
        ws.events(),
        before.events + 1,
        "the decision is one signed event"
    );
    let v = show(ws, &r.run);
    assert_eq!(
        statuses(&v),
        ["completed", "completed", "completed", "running"]
    );
    assert_eq!(v["status"], "running");
    assert_eq!(v["counts"]["approvals"]["approved"], 1);
    assert_eq!(v["counts"]["approvals"]["pending"], 0);
    assert_eq!(
        ws.fails_code(1, ["run", "approve", &r.approval, "--as", &r.legal]),
        "not_pending"
    );

    complete(ws, &r.run, "4");
    let v = show(ws, &r.run);
    assert_eq!(v["status"], "completed");
    assert_eq!(v["status_reason"], "All 4 steps done.");
    let kinds: Vec<String> = array(v["history"].clone())
        .iter()
        .map(|h| s(&h["kind"]).to_owned())
        .collect();
    assert!(kinds.contains(&"approval.approved".to_owned()), "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| *k == "step.completed").count(), 3);
}

#[test]
fn rejecting_fails_the_step_and_the_run_when_the_step_says_fail() {
    let r = scripted(false);
    let ws = &r.ws;
    complete(ws, &r.run, "1");
    complete(ws, &r.run, "2");
    // A rejection needs a reason (clap refuses the missing flag: exit 2).
    ws.fails(2, ["run", "reject", &r.approval, "--as", &r.legal]);
    assert_eq!(
        ws.fails_code(
            2,
            [
                "run",
                "reject",
                &r.approval,
                "--as",
                &r.legal,
                "--reason",
                "  "
            ]
        ),
        "reason_required"
    );
    let events = ws.events();
    let rejected = ws.json([
        "run",
        "reject",
        &r.approval,
        "--as",
        &r.legal,
        "--reason",
        "The spoilage figure is not cleared for external use",
    ]);
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(ws.events(), events + 1);
    let v = show(ws, &r.run);
    assert_eq!(
        statuses(&v),
        ["completed", "completed", "failed", "skipped"]
    );
    assert_eq!(v["status"], "failed");
    assert!(
        s(&v["status_reason"]).contains("The spoilage figure is not cleared"),
        "{}",
        v["status_reason"]
    );
    assert!(s(&v["steps"][3]["explanation"]).contains("the run failed at step 3"));
    assert_eq!(v["counts"]["approvals"]["rejected"], 1);
    assert_eq!(
        ws.fails_code(1, ["run", "complete-step", &r.run, "--step", "4"]),
        "run_failed"
    );
}

#[test]
fn rejecting_sends_the_run_back_for_rework_and_asks_again() {
    let r = scripted(true);
    let ws = &r.ws;
    complete(ws, &r.run, "1");
    complete(ws, &r.run, "2");
    ws.ok([
        "run",
        "reject",
        &r.approval,
        "--as",
        &r.noor,
        "--reason",
        "Consent to be named is not in writing yet",
    ]);
    let v = show(ws, &r.run);
    assert_eq!(statuses(&v), ["completed", "running", "pending", "pending"]);
    assert_eq!(v["status"], "running");
    let explanation = s(&v["steps"][1]["explanation"]);
    assert!(
        explanation.starts_with("Sent back for rework")
            && explanation.contains("Consent to be named is not in writing yet"),
        "{explanation}"
    );
    assert_eq!(v["steps"][1]["passes"], 2);
    assert_eq!(v["steps"][2]["on_reject"], "rework");
    assert_eq!(v["steps"][2]["rework_to"], 2);
    assert_eq!(v["approvals"][0]["status"], "rejected");
    // Not decidable again until the reworked step reaches it.
    assert_eq!(
        ws.fails_code(1, ["run", "approve", &r.approval, "--as", &r.legal]),
        "not_pending"
    );

    complete(ws, &r.run, "2");
    let v = show(ws, &r.run);
    assert_eq!(
        statuses(&v),
        ["completed", "completed", "awaiting_approval", "pending"]
    );
    assert_eq!(v["status"], "paused");
    assert_eq!(v["approvals"][0]["status"], "pending");
    assert_eq!(v["approvals"][0]["round"], 2);

    ws.ok(["run", "approve", &r.approval, "--as", &r.legal]);
    let v = show(ws, &r.run);
    assert_eq!(
        statuses(&v),
        ["completed", "completed", "completed", "running"]
    );
}

#[test]
fn definitions_are_checked_and_the_json_contract_holds() {
    let r = scripted(false);
    let ws = &r.ws;
    // A rework target must be an earlier step; rework needs a gate.
    let a2 = ws.created([
        "run",
        "add-approval",
        &r.run,
        "--title",
        "Second look",
        "--risk",
        "low",
        "--requirement",
        "Anyone in legal",
        "--role",
        "legal",
    ]);
    let before = ws.snapshot();
    assert_eq!(
        ws.fails_code(
            2,
            [
                "run",
                "add-step",
                &r.run,
                "--name",
                "X",
                "--gate",
                &a2,
                "--on-reject",
                "rework",
                "--rework-to",
                "5"
            ]
        ),
        "bad_rework"
    );
    assert_eq!(
        ws.fails_code(
            2,
            [
                "run",
                "add-step",
                &r.run,
                "--name",
                "X",
                "--gate",
                &a2,
                "--on-reject",
                "rework"
            ]
        ),
        "out_of_range"
    );
    assert_eq!(
        ws.fails_code(
            1,
            [
                "run",
                "add-step",
                &r.run,
                "--name",
                "X",
                "--gate",
                &r.approval
            ]
        ),
        "gate_taken"
    );
    assert_eq!(
        ws.fails_code(
            2,
            [
                "run",
                "add-approval",
                &r.run,
                "--title",
                "Nobody",
                "--risk",
                "high",
                "--requirement",
                "none"
            ]
        ),
        "no_approver"
    );
    assert_eq!(
        ws.fails_code(
            1,
            [
                "run",
                "add-approval",
                &r.run,
                "--title",
                "Bot",
                "--risk",
                "high",
                "--requirement",
                "an agent",
                "--approver",
                &r.agent
            ]
        ),
        "agent_refused"
    );
    ws.fails(
        2,
        [
            "run",
            "new",
            "--name",
            "X",
            "--pattern",
            "sideways",
            "--owner",
            &r.agent,
            "--trigger",
            "t",
        ],
    );
    ws.assert_unchanged(&before, "refused definitions");

    // `run list --json`: id, name, status.
    let list = array(ws.json(["run", "list"]));
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], r.run.as_str());
    assert_eq!(list[0]["name"], "Advocacy nomination");
    assert_eq!(list[0]["status"], "running");
    // `run show --json`: name, pattern, status, steps (name, status), approvals (id, title, risk,
    // status); by unique prefix.
    let v = show(ws, &r.run[..6]);
    assert_eq!(v["name"], "Advocacy nomination");
    assert_eq!(v["pattern"], "external");
    assert_eq!(v["steps"][0]["name"], "Find proof points");
    assert_eq!(v["steps"][0]["status"], "running");
    let approvals = array(v["approvals"].clone());
    assert_eq!(approvals.len(), 2);
    assert_eq!(approvals[0]["id"], r.approval.as_str());
    assert_eq!(
        approvals[0]["title"],
        "Nominate the customer as a public reference"
    );
    assert_eq!(approvals[1]["risk"], "low");
    assert_eq!(approvals[1]["status"], "pending");
    assert_eq!(approvals[1]["gates_step"], Value::Null);
    assert_eq!(v["trigger"]["source"], "call analytics");
    assert_eq!(v["trigger"]["at"], "2026-11-18T15:30:00.000Z");
    let layers: Vec<&str> = v["architecture"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["key"].as_str().unwrap())
        .collect();
    assert_eq!(layers, ["inputs", "run_core", "outputs", "tracking"]);
    // Text output says the same.
    let text = ws.ok(["run", "show", &r.run]);
    assert!(
        text.contains("status     RUNNING: Step 1 (Find proof points) is running."),
        "{text}"
    );

    assert_eq!(ws.fails_code(2, ["run", "show", "ffffffff"]), "not_found");
    assert_eq!(
        ws.fails_code(2, ["run", "approve", "ffffffff", "--as", &r.legal]),
        "not_found"
    );
    let (c, _, _) = until_shared_prefix(|i| {
        if i == 0 {
            return r.run.clone();
        }
        ws.created([
            "run",
            "new",
            "--name",
            &format!("Run {i}"),
            "--pattern",
            "internal",
            "--owner",
            &r.author,
            "--trigger",
            "manual",
        ])
    });
    assert_eq!(
        ws.fails_code(2, ["run", "show", &c.to_string()]),
        "ambiguous_id"
    );
}

#[test]
fn meetings_import_from_vtt_txt_and_md() {
    let r = scripted(false);
    let ws = &r.ws;
    let vtt = named_file(
        ws,
        "outcome-call.vtt",
        "WEBVTT - Quarterly outcome review\n\nNOTE recorded 2026-11-18T15:00:00Z\n\n\
         1\n00:00:01.000 --> 00:00:06.000\n<v Tomas Reyes>Thanks for joining.\n\n\
         2\n00:00:06.500 --> 00:01:10.000\n<v.loud Ines Halvorsen>Spoiled loads are down by a third.</v>\n",
    );
    let txt = named_file(
        ws,
        "sync.txt",
        "Title: Weekly reliability sync\nDate: 2026-11-19 09:30\n\n\
         Priya Raman: The backfill finished at 18:20.\nDana Okafor: Then we say so.\n",
    );
    let md = named_file(
        ws,
        "review.md",
        "# Bridge review\n\nWhen: 2026-11-12T17:00:00+01:00\n\n\
         **Jonas Whitfield:** The case notes say 10:15.\n- **Marcus Ellery**: The pager says 09:52.\n",
    );
    // No title and no time inside: the file name and its modification time.
    let bare = named_file(
        ws,
        "ops_standup.txt",
        "Ana Ruiz: green\nBo Lind: green too\n",
    );
    let mtime = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_763_000_000);
    std::fs::File::options()
        .write(true)
        .open(&bare)
        .unwrap()
        .set_modified(mtime)
        .unwrap();

    let before = ws.events();
    let ids: Vec<String> = [&vtt, &txt, &md, &bare]
        .iter()
        .map(|p| import(ws, &r.run, p))
        .collect();
    assert_eq!(ws.events(), before + 4, "each import is one signed event");
    let v = show(ws, &r.run);
    let meeting = |id: &str| -> Value {
        array(v["meetings"].clone())
            .into_iter()
            .find(|m| m["id"] == id)
            .unwrap_or_else(|| panic!("meeting {id} is not listed"))
    };
    let m = meeting(&ids[0]);
    assert_eq!(m["format"], "vtt");
    assert_eq!(m["title"], "Quarterly outcome review");
    assert_eq!(m["held_at"], "2026-11-18T15:00:00.000Z");
    assert_eq!(m["time_source"], "transcript");
    assert_eq!(
        m["participants"],
        serde_json::json!(["Tomas Reyes", "Ines Halvorsen"])
    );
    assert_eq!(m["turns"], 2);
    assert_eq!(m["duration_seconds"], 70);
    assert_eq!(m["file_name"], "outcome-call.vtt");
    assert_eq!(m["digest"], sha256(&std::fs::read(&vtt).unwrap()));
    let m = meeting(&ids[1]);
    assert_eq!(m["format"], "txt");
    assert_eq!(m["title"], "Weekly reliability sync");
    assert_eq!(m["held_at"], "2026-11-19T09:30:00.000Z");
    assert_eq!(
        m["participants"],
        serde_json::json!(["Priya Raman", "Dana Okafor"])
    );
    let m = meeting(&ids[2]);
    assert_eq!(m["format"], "md");
    assert_eq!(m["title"], "Bridge review");
    assert_eq!(m["held_at"], "2026-11-12T16:00:00.000Z");
    assert_eq!(
        m["participants"],
        serde_json::json!(["Jonas Whitfield", "Marcus Ellery"])
    );
    let m = meeting(&ids[3]);
    assert_eq!(m["title"], "Ops standup");
    assert_eq!(m["time_source"], "file");
    assert_eq!(m["held_at"], "2025-11-13T02:13:20.000Z");
    assert_eq!(
        m["participants"],
        serde_json::json!(["Ana Ruiz", "Bo Lind"])
    );
    assert_eq!(v["counts"]["meetings"], 4);
    // Meetings are listed by the time they were held.
    let held: Vec<&str> = v["meetings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["held_at"].as_str().unwrap())
        .collect();
    let mut sorted = held.clone();
    sorted.sort();
    assert_eq!(held, sorted);

    // The same transcript again is refused.
    let before = ws.snapshot();
    let path = vtt.clone();
    assert_eq!(
        ws.fails_code(
            1,
            [
                "run".as_ref(),
                "import-meeting".as_ref(),
                r.run.as_ref(),
                "--file".as_ref(),
                path.as_os_str()
            ]
        ),
        "already_linked"
    );
    ws.assert_unchanged(&before, "a duplicate transcript");
}

#[test]
fn bad_transcripts_are_refused_with_exit_2_and_nothing_written() {
    let r = scripted(false);
    let ws = &r.ws;
    let big = vec![b'a'; 4 * 1024 * 1024 + 1];
    let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        (
            "latin1.txt",
            b"Caf\xe9 notes\n".to_vec(),
            "not_utf8",
            "not UTF-8",
        ),
        ("empty.md", Vec::new(), "empty_file", "is empty"),
        ("blank.txt", b"  \n\t\n".to_vec(), "empty_file", "is empty"),
        ("big.txt", big, "too_large", "4 MiB"),
        (
            "minutes.docx",
            b"hello".to_vec(),
            "unsupported_format",
            ".vtt",
        ),
        (
            "no-extension",
            b"hello".to_vec(),
            "unsupported_format",
            ".md",
        ),
        (
            "headless.vtt",
            b"1\n00:00:01.000 --> 00:00:02.000\nhi\n".to_vec(),
            "bad_transcript",
            "WEBVTT",
        ),
        (
            "timing.vtt",
            b"WEBVTT\n\n00:00:01.000 --> later\nhi\n".to_vec(),
            "bad_transcript",
            "line 3",
        ),
        (
            "nocues.vtt",
            b"WEBVTT\n\nNOTE nothing said\n".to_vec(),
            "empty_file",
            "no cues",
        ),
    ];
    let before = ws.snapshot();
    for (name, bytes, code, says) in &cases {
        let path = named_file(ws, name, bytes);
        let args = [
            "run".as_ref(),
            "import-meeting".as_ref(),
            r.run.as_ref(),
            "--file".as_ref(),
            path.as_os_str(),
        ];
        let err = ws.fails(2, args);
        assert!(err.contains(says), "{name}: {err}");
        assert_eq!(&ws.fails_code(2, args), code, "{name}");
    }
    let missing = ws.root().join("files").join("gone.vtt");
    assert_eq!(
        ws.fails_code(
            2,
            [
                "run".as_ref(),
                "import-meeting".as_ref(),
                r.run.as_ref(),
                "--file".as_ref(),
                missing.as_os_str()
            ]
        ),
        "io"
    );
    // check --json's events_verified is unchanged, and so is every row.
    assert_eq!(ws.check()["events_verified"], before.events);
    ws.assert_unchanged(&before, "bad transcripts");
}

#[test]
fn lineage_explains_files_and_outputs_back_to_their_inputs() {
    let r = scripted(false);
    let ws = &r.ws;
    let call = import(
        ws,
        &r.run,
        &named_file(
            ws,
            "call.md",
            "# Outcome call\n\nInes Halvorsen: a third fewer spoiled loads\n",
        ),
    );
    let criteria_path = named_file(ws, "criteria.md", "1. A measurable outcome.\n");
    let criteria = ws.created([
        "run".as_ref(),
        "add-file".as_ref(),
        r.run.as_ref(),
        "--file".as_ref(),
        criteria_path.as_os_str(),
        "--title".as_ref(),
        "Reference criteria".as_ref(),
    ]);
    let proof_path = named_file(ws, "proof.md", "- 31% fewer spoiled loads (call)\n");
    let proof = ws.created([
        "run".as_ref(),
        "add-file".as_ref(),
        r.run.as_ref(),
        "--file".as_ref(),
        proof_path.as_os_str(),
        "--step".as_ref(),
        "1".as_ref(),
        "--input".as_ref(),
        call[..10].as_ref(),
        "--input".as_ref(),
        "trigger".as_ref(),
    ]);
    let package_path = named_file(ws, "package.md", "# Nomination\n");
    let package = ws.created([
        "run".as_ref(),
        "add-file".as_ref(),
        r.run.as_ref(),
        "--file".as_ref(),
        package_path.as_os_str(),
        "--step".as_ref(),
        "2".as_ref(),
        "--input".as_ref(),
        proof.as_ref(),
        "--input".as_ref(),
        criteria.as_ref(),
    ]);
    let output = ws.created([
        "run",
        "add-output",
        &r.run,
        "--kind",
        "Reference nomination",
        "--text",
        "Add the customer to the reference programme.",
        "--step",
        "2",
        "--approval",
        &r.approval,
        "--input",
        &package,
    ]);
    let note = ws.created([
        "run",
        "add-output",
        &r.run,
        "--kind",
        "CRM note",
        "--text",
        "Log the outcome review.",
        "--input",
        &call,
    ]);

    let tree = ws.json(["run", "lineage", &r.run, &output[..8]]);
    assert_eq!(tree["kind"], "output");
    assert_eq!(tree["id"], output.as_str());
    assert_eq!(tree["made_by"]["number"], 2);
    assert_eq!(tree["made_by"]["name"], "Draft the nomination");
    assert_eq!(tree["gated_by"]["id"], r.approval.as_str());
    assert_eq!(tree["gated_by"]["status"], "pending");
    let pkg = &tree["inputs"][0];
    assert_eq!(pkg["id"], package.as_str());
    assert_eq!(pkg["digest"], sha256(b"# Nomination\n"));
    let pkg_inputs = array(pkg["inputs"].clone());
    assert_eq!(pkg_inputs.len(), 2);
    assert_eq!(pkg_inputs[0]["id"], proof.as_str());
    assert_eq!(pkg_inputs[0]["made_by"]["number"], 1);
    assert_eq!(pkg_inputs[1]["id"], criteria.as_str());
    assert_eq!(pkg_inputs[1]["made_by"], Value::Null);
    assert_eq!(pkg_inputs[1]["inputs"], serde_json::json!([]));
    let leaves = array(pkg_inputs[0]["inputs"].clone());
    assert_eq!(leaves[0]["kind"], "meeting");
    assert_eq!(leaves[0]["id"], call.as_str());
    assert!(s(&leaves[0]["detail"]).contains("Ines Halvorsen"));
    assert_eq!(leaves[1]["kind"], "trigger");
    assert_eq!(leaves[1]["label"], "Outcome call with measurable results");

    let text = ws.ok(["run", "lineage", &r.run, &package]);
    assert!(
        text.contains("made by step 2 (Draft the nomination)"),
        "{text}"
    );
    assert!(text.contains("trigger"), "{text}");

    let v = show(ws, &r.run);
    assert_eq!(v["counts"]["input_files"], 1);
    assert_eq!(v["counts"]["produced_files"], 2);
    assert_eq!(v["counts"]["outputs"], 2);
    let out = |id: &str| {
        array(v["outputs"].clone())
            .into_iter()
            .find(|o| o["id"] == id)
            .unwrap()
    };
    assert_eq!(out(&output)["status"], "awaiting_approval");
    assert_eq!(out(&note)["status"], "preview");
    let files = array(v["files"].clone());
    let proof_view = files.iter().find(|f| f["id"] == proof.as_str()).unwrap();
    assert_eq!(proof_view["role"], "produced");
    assert_eq!(proof_view["step"], 1);
    assert_eq!(proof_view["inputs"][1]["kind"], "trigger");

    // Deciding the approval changes the outputs it gates.
    complete(ws, &r.run, "1");
    complete(ws, &r.run, "2");
    ws.ok(["run", "approve", &r.approval, "--as", &r.legal]);
    let v = show(ws, &r.run);
    let status_of = |id: &str| {
        array(v["outputs"].clone())
            .into_iter()
            .find(|o| o["id"] == id)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status_of(&output), "approved");
    assert_eq!(status_of(&note), "preview");

    // Bad lineage input is refused and writes nothing.
    let before = ws.snapshot();
    assert_eq!(
        ws.fails_code(
            2,
            [
                "run",
                "add-output",
                &r.run,
                "--kind",
                "X",
                "--text",
                "Y",
                "--input",
                "abcdef0123"
            ]
        ),
        "not_found"
    );
    assert_eq!(
        ws.fails_code(
            2,
            [
                "run".as_ref(),
                "add-file".as_ref(),
                r.run.as_ref(),
                "--file".as_ref(),
                package_path.as_os_str(),
                "--input".as_ref(),
                call.as_ref()
            ]
        ),
        "out_of_range"
    );
    assert_eq!(
        ws.fails_code(2, ["run", "lineage", &r.run, "0000000000"]),
        "not_found"
    );
    ws.assert_unchanged(&before, "bad lineage");
}

#[test]
fn roadmap_links_are_added_once_with_safe_urls() {
    let r = scripted(false);
    let ws = &r.ws;
    let events = ws.events();
    let key = ws.created([
        "run",
        "link-roadmap",
        &r.run,
        "--key",
        "RPT-88",
        "--title",
        "Scheduled export of the spoilage trend report",
        "--url",
        "https://roadmap.example.com/items/RPT-88",
    ]);
    assert_eq!(key, "RPT-88");
    ws.created([
        "run",
        "link-roadmap",
        &r.run,
        "--key",
        "ADV-212",
        "--title",
        "Consent record",
    ]);
    assert_eq!(ws.events(), events + 2);
    let before = ws.snapshot();
    assert_eq!(
        ws.fails_code(
            1,
            [
                "run",
                "link-roadmap",
                &r.run,
                "--key",
                "RPT-88",
                "--title",
                "Again"
            ]
        ),
        "already_linked"
    );
    assert_eq!(
        ws.fails_code(
            2,
            [
                "run",
                "link-roadmap",
                &r.run,
                "--key",
                "X-1",
                "--title",
                "Bad",
                "--url",
                "javascript:alert(1)"
            ]
        ),
        "bad_url"
    );
    ws.assert_unchanged(&before, "refused roadmap links");
    let v = show(ws, &r.run);
    let links = array(v["roadmap"].clone());
    assert_eq!(links.len(), 2);
    assert_eq!(links[0]["key"], "RPT-88");
    assert_eq!(links[0]["url"], "https://roadmap.example.com/items/RPT-88");
    assert_eq!(links[1]["url"], Value::Null);
    assert_eq!(v["counts"]["roadmap_links"], 2);
}

fn release_run(c: &Crew) -> (String, String) {
    let run = c.ws.created([
        "run",
        "new",
        "--name",
        "Outage disclosure release",
        "--pattern",
        "external",
        "--owner",
        &c.owner,
        "--trigger",
        "Major incident declared",
        "--packet",
        &c.packet,
        "--lane",
        LANE,
    ]);
    let v = show(&c.ws, &run);
    let approval = s(&v["approvals"][0]["id"]).to_owned();
    (run, approval)
}

#[test]
fn a_packet_release_is_a_run_whose_steps_follow_the_packet() {
    let c = Crew::with_lane(false);
    let ws = &c.ws;
    let (run, approval) = release_run(&c);
    let v = show(ws, &run);
    let names: Vec<&str> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|st| st["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Draft the packet",
            "Review and objections",
            "Release-manifest approval",
            "Release to lane exec-review"
        ]
    );
    assert_eq!(statuses(&v), ["completed", "running", "pending", "pending"]);
    assert_eq!(v["packet"]["state"], "drafting");
    assert_eq!(v["approvals"][0]["backed_by"], "manifest");
    assert_eq!(v["approvals"][0]["risk"], "high");
    assert!(
        s(&v["approvals"][0]["requirement"]).contains("Diego Director"),
        "{}",
        v["approvals"][0]["requirement"]
    );

    // Its steps cannot be set by hand; a packet release is external and runs once per lane.
    let before = ws.snapshot();
    assert_eq!(
        ws.fails_code(1, ["run", "add-step", &run, "--name", "Extra"]),
        "derived_steps"
    );
    assert_eq!(
        ws.fails_code(1, ["run", "complete-step", &run, "--step", "2"]),
        "derived_steps"
    );
    assert_eq!(
        ws.fails_code(
            2,
            [
                "run",
                "new",
                "--name",
                "X",
                "--pattern",
                "internal",
                "--owner",
                &c.owner,
                "--trigger",
                "t",
                "--packet",
                &c.packet,
                "--lane",
                LANE
            ]
        ),
        "out_of_range"
    );
    assert_eq!(
        ws.fails_code(
            1,
            [
                "run",
                "new",
                "--name",
                "X",
                "--pattern",
                "external",
                "--owner",
                &c.owner,
                "--trigger",
                "t",
                "--packet",
                &c.packet,
                "--lane",
                LANE
            ]
        ),
        "already_linked"
    );
    assert_eq!(
        ws.fails_code(1, ["run", "approve", &approval, "--as", &c.director]),
        "manifest_state"
    );
    ws.assert_unchanged(&before, "refused packet-run changes");

    // A blocking objection keeps review open.
    let obj = ws.raise(&c.packet, &c.rev, "fully restored", &c.legal, true);
    let v = show(ws, &run);
    assert_eq!(statuses(&v), ["completed", "running", "pending", "pending"]);
    assert!(
        s(&v["steps"][1]["explanation"]).contains("1 blocking objection is open"),
        "{}",
        v["steps"][1]["explanation"]
    );
    ws.ok(["objection", "resolve", &obj, "--by", &c.legal]);

    // A manifest: paused at its approval.
    ws.draft(&c.packet, LANE);
    let v = show(ws, &run);
    assert_eq!(
        statuses(&v),
        ["completed", "completed", "awaiting_approval", "pending"]
    );
    assert_eq!(v["status"], "paused");
    assert!(
        s(&v["steps"][2]["explanation"]).contains("Diego Director, has not signed"),
        "{}",
        v["steps"][2]["explanation"]
    );

    // Deciding through the run signs the manifest; an agent never may.
    assert_eq!(
        ws.fails_code(1, ["run", "approve", &approval, "--as", &c.agent]),
        "agent_refused"
    );
    let events = ws.events();
    let a = ws.json(["run", "approve", &approval, "--as", &c.legal]);
    assert_eq!(ws.events(), events + 1);
    assert_eq!(
        a["status"], "pending",
        "one signature of two: still pending"
    );
    assert_eq!(array(a["signatures"].clone()).len(), 1);
    assert_eq!(a["signatures"][0]["name"], "Dana Okafor");
    assert_eq!(
        ws.status(&c.packet, LANE)["approvals"][0]["name"],
        "Dana Okafor"
    );

    let a = ws.json(["run", "approve", &approval, "--as", &c.director]);
    assert_eq!(a["status"], "approved");
    let v = show(ws, &run);
    assert_eq!(
        statuses(&v),
        ["completed", "completed", "completed", "running"]
    );
    assert_eq!(v["status"], "running");

    ws.release(&c.packet, LANE);
    let v = show(ws, &run);
    assert_eq!(v["status"], "completed");
    assert_eq!(v["packet"]["state"], "released");
    let kinds: Vec<&str> = v["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["release manifest", "release bundle"]);
    // The bundle explains itself back to the revision and the manifest.
    let bundle = s(&v["outputs"][1]["id"]).to_owned();
    let tree = ws.json(["run", "lineage", &run, &bundle]);
    assert_eq!(tree["inputs"][0]["kind"], "output");
    let revision = s(&tree["inputs"][0]["inputs"][0]["label"]);
    assert!(revision.starts_with("Packet revision r1"), "{revision}");
}

#[test]
fn a_hold_shows_as_held_and_a_rejection_sends_the_release_back_to_review() {
    let c = Crew::with_lane(false);
    let ws = &c.ws;
    let (run, approval) = release_run(&c);
    ws.draft(&c.packet, LANE);
    ws.revise(
        &c.packet,
        format!("{TEXT_V1}Backfill done at 18:20 UTC.\n"),
        &c.owner,
    );
    let v = show(ws, &run);
    assert_eq!(v["status"], "held");
    assert_eq!(v["packet"]["state"], "held");
    assert!(
        s(&v["status_reason"]).contains("stale"),
        "{}",
        v["status_reason"]
    );

    ws.draft(&c.packet, LANE);
    let v = show(ws, &run);
    assert_eq!(v["status"], "paused");
    ws.ok([
        "run",
        "reject",
        &approval,
        "--as",
        &c.legal,
        "--reason",
        "The audience is wider than the lane allows",
    ]);
    let v = show(ws, &run);
    assert_eq!(v["approvals"][0]["status"], "rejected");
    assert_eq!(statuses(&v), ["completed", "running", "pending", "pending"]);
    assert!(
        s(&v["steps"][1]["explanation"]).contains("The audience is wider than the lane allows"),
        "{}",
        v["steps"][1]["explanation"]
    );
    assert_eq!(v["status"], "running");
    // A new draft asks again.
    ws.draft(&c.packet, LANE);
    let v = show(ws, &run);
    assert_eq!(v["approvals"][0]["status"], "pending");
    assert_eq!(v["status"], "paused");
}

#[test]
fn two_people_deciding_at_once_cannot_both_count() {
    let r = scripted(false);
    let ws = &r.ws;
    complete(ws, &r.run, "1");
    complete(ws, &r.run, "2");
    let events = ws.events();
    let mut a = ws.cmd(["--json", "run", "approve", &r.approval, "--as", &r.legal]);
    let mut b = ws.cmd([
        "--json",
        "run",
        "reject",
        &r.approval,
        "--as",
        &r.noor,
        "--reason",
        "Not yet",
    ]);
    let piped = |c: &mut std::process::Command| {
        c.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (piped(&mut a), piped(&mut b));
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let codes = [a.status.code(), b.status.code()];
    assert!(
        codes == [Some(0), Some(1)] || codes == [Some(1), Some(0)],
        "exactly one decision counts: {codes:?}\n{}\n{}",
        String::from_utf8_lossy(&a.stderr),
        String::from_utf8_lossy(&b.stderr)
    );
    let loser = if a.status.success() { &b } else { &a };
    // Approved first: the rejection finds it decided. Rejected first: the run has failed.
    let said = String::from_utf8_lossy(&loser.stderr);
    assert!(
        said.contains("not_pending") || said.contains("run_failed"),
        "{said}"
    );
    assert_eq!(ws.events(), events + 1);
    let v = show(ws, &r.run);
    let expected = if a.status.success() {
        "approved"
    } else {
        "rejected"
    };
    assert_eq!(v["approvals"][0]["status"], expected);
}
