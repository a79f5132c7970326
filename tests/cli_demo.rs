//! `countersign demo`: the outage disclosure packet.

use serde_json::Value;

use crate::common::*;

#[test]
fn demo_builds_the_outage_packet_with_its_ledger_and_a_sound_audit_chain() {
    let ws = Ws::empty();
    let summary = ws.json(["demo"]);
    let packet = s(&summary["packet"]).to_owned();
    assert_hex(&packet, 32);
    assert_eq!(
        summary["passphrase"], PASSPHRASE,
        "the demo seals keys with COUNTERSIGN_PASSPHRASE"
    );

    let log = ws.log(&packet);
    assert_eq!(log.len(), 3);
    let numbers: Vec<u64> = log.iter().map(|r| r["number"].as_u64().unwrap()).collect();
    assert_eq!(numbers, [3, 2, 1]);
    assert_eq!(log[1]["author_name"], "Chronology Agent");

    let objections = ws.objections(&packet, None);
    assert_eq!(objections.len(), 3);
    let with = |status: &str| -> Vec<&Value> {
        objections
            .iter()
            .filter(|o| o["status"] == status)
            .collect()
    };
    let accepted = with("accepted_residual");
    assert_eq!(accepted.len(), 1);
    let residual = &accepted[0]["residual"];
    assert_eq!(residual["accepted_by_name"], "Priya Raman");
    assert!(
        s(&residual["rationale"]).contains("Both times stay in the packet"),
        "{residual}"
    );
    assert_eq!(accepted[0]["anchor_state"], "anchored");

    let resolved = with("resolved");
    assert_eq!(resolved.len(), 1);
    assert_eq!(
        resolved[0]["anchor_state"], "outdated",
        "the reworded claim is gone from the head"
    );
    assert_eq!(resolved[0]["position"], Value::Null);
    assert_eq!(resolved[0]["blocking"], true);
    // …but on the revision it was raised on, it is anchored.
    let raised_on = s(&resolved[0]["raised_on"]).to_owned();
    assert_eq!(raised_on, s(&log[2]["id"]));
    assert_eq!(
        ws.objection(&packet, s(&resolved[0]["id"]), Some(&raised_on))["anchor_state"],
        "anchored"
    );

    let open = with("open");
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["blocking"], false);
    assert_eq!(open[0]["anchor_state"], "anchored");
    assert_eq!(with("withdrawn").len(), 0);

    assert_eq!(ws.threads(&packet, None).len(), 3);
    // The seven of the packet, then the advocacy agent and the customer success director.
    assert_eq!(array(ws.json(["identity", "list"])).len(), 9);
    // 22 drafting events, 4 evidence imports, 2 policy versions, 1 manifest, 1 approval; then
    // the release run (made, 1 meeting, 1 roadmap link) and the advocacy run (2 identities, made,
    // 1 meeting, 1 approval, 3 steps, 3 files, 3 outputs, 2 step outcomes, 2 roadmap links).
    assert_eq!(ws.events(), 30 + 3 + 18);
    let check = ws.ok(["check"]);
    assert!(check.contains("51 events verified"), "{check}");

    let evidence = array(ws.json(["evidence", "list", &packet]));
    assert_eq!(evidence.len(), 3);
    let timeline = evidence
        .iter()
        .find(|e| e["source"] == "incident timeline")
        .unwrap();
    assert_eq!(
        array(timeline["history"].clone()).len(),
        2,
        "the refreshed timeline keeps its first digest"
    );

    let status = ws.json(["manifest", "status", &packet, "--lane", "exec-review"]);
    assert_eq!(status["state"], "awaiting_approval");
    assert_eq!(status["missing"]["owner"], "Helen Sato");
    assert_eq!(array(status["approvals"].clone()).len(), 1);
    assert_eq!(status["approvals"][0]["name"], "Dana Okafor");
    let manifest = &status["manifest"]["manifest"];
    assert_eq!(
        manifest["revision"]["id"], log[0]["id"],
        "the manifest binds the head"
    );
    assert_eq!(array(manifest["residual_objections"].clone()).len(), 1);
    assert_eq!(array(manifest["evidence"].clone()).len(), 3);
    assert!(!array(manifest["outdated_anchors"].clone()).is_empty());

    // The demo identities' keys open with the passphrase: Priya can write.
    let priya = array(ws.json(["identity", "list"]))
        .into_iter()
        .find(|i| i["name"] == "Priya Raman")
        .map(|i| s(&i["id"]).to_owned())
        .unwrap();
    let head = s(&log[0]["id"]).to_owned();
    ws.comment(&packet, &head, "Meridian", &priya);
    assert_eq!(ws.events(), 52);
}

fn statuses(run: &Value) -> Vec<&str> {
    run["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect()
}

#[test]
fn demo_runs_are_paused_at_their_approvals() {
    let ws = Ws::empty();
    let summary = ws.json(["demo"]);
    let packet = s(&summary["packet"]).to_owned();
    let runs = array(ws.json(["run", "list"]));
    assert_eq!(runs.len(), 2);
    assert!(runs.iter().all(|r| r["status"] == "paused"), "{runs:#?}");

    // The advocacy nomination: external, owned by an agent, one meeting, three steps with the
    // last awaiting one medium-risk approval that needs advocacy and legal review.
    let advocacy = ws.json(["run", "show", s(&summary["advocacy_run"])]);
    assert_eq!(
        advocacy["name"],
        "Advocacy nomination: Halvorsen Cold Chain"
    );
    assert_eq!(advocacy["pattern"], "external");
    assert_eq!(advocacy["status"], "paused");
    assert_eq!(advocacy["owner_name"], "Advocacy Agent");
    assert_eq!(advocacy["owner_kind"], "agent");
    assert_eq!(
        advocacy["trigger"]["text"],
        "Outcome call with measurable results detected"
    );
    assert_eq!(
        statuses(&advocacy),
        ["completed", "completed", "awaiting_approval"]
    );
    let meetings = array(advocacy["meetings"].clone());
    assert_eq!(meetings.len(), 1);
    assert_eq!(meetings[0]["format"], "vtt");
    assert_eq!(meetings[0]["time_source"], "transcript");
    assert_eq!(
        meetings[0]["participants"],
        serde_json::json!(["Tomas Reyes", "Ines Halvorsen", "Aiko Brandt"])
    );
    let approvals = array(advocacy["approvals"].clone());
    assert_eq!(approvals.len(), 1);
    assert_eq!(approvals[0]["status"], "pending");
    assert_eq!(approvals[0]["risk"], "medium");
    assert!(
        s(&approvals[0]["requirement"]).starts_with("Advocacy and legal review"),
        "{}",
        approvals[0]["requirement"]
    );
    assert_eq!(
        approvals[0]["approver_label"],
        "Noor Haddad or anyone holding legal"
    );
    let counts = &advocacy["counts"];
    assert_eq!(counts["approvals"]["pending"], 1);
    assert_eq!(counts["approvals"]["approved"], 0);
    assert_eq!(counts["approvals"]["rejected"], 0);
    assert_eq!(counts["meetings"], 1);
    assert_eq!(counts["outputs"], 3);
    assert_eq!(counts["input_files"], 1);
    assert_eq!(counts["produced_files"], 2);
    assert_eq!(counts["roadmap_links"], 2);
    let statuses_of_outputs: Vec<&str> = advocacy["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses_of_outputs,
        ["preview", "awaiting_approval", "awaiting_approval"]
    );
    // The nomination package traces back to the call and the trigger.
    let package = advocacy["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["title"] == "Nomination package")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let tree = ws.json(["run", "lineage", s(&summary["advocacy_run"]), &package]);
    assert_eq!(tree["made_by"]["number"], 2);
    assert_eq!(tree["inputs"][0]["label"], "Proof points");
    assert_eq!(tree["inputs"][0]["inputs"][0]["kind"], "meeting");
    assert_eq!(tree["inputs"][0]["inputs"][1]["kind"], "trigger");

    // The outage disclosure release follows the packet: the manifest awaits the director.
    let release = ws.json(["run", "show", s(&summary["release_run"])]);
    assert_eq!(release["packet"]["id"], packet.as_str());
    assert_eq!(release["packet"]["state"], "awaiting_approval");
    assert_eq!(release["status"], "paused");
    assert_eq!(
        statuses(&release),
        ["completed", "completed", "awaiting_approval", "pending"]
    );
    assert!(
        s(&release["steps"][2]["explanation"]).contains("Helen Sato, has not signed"),
        "{}",
        release["steps"][2]["explanation"]
    );
    let gate = &release["approvals"][0];
    assert_eq!(gate["backed_by"], "manifest");
    assert_eq!(gate["status"], "pending");
    assert_eq!(gate["signatures"][0]["name"], "Dana Okafor");
    assert_eq!(release["counts"]["meetings"], 1);
    assert_eq!(release["counts"]["input_files"], 3, "the packet's evidence");

    // The director signs through the run: the release moves on to its lane.
    let helen = array(ws.json(["identity", "list"]))
        .into_iter()
        .find(|i| i["name"] == "Helen Sato")
        .map(|i| s(&i["id"]).to_owned())
        .unwrap();
    let decided = ws.json(["run", "approve", s(&gate["id"]), "--as", &helen]);
    assert_eq!(decided["status"], "approved");
    let release = ws.json(["run", "show", s(&summary["release_run"])]);
    assert_eq!(
        statuses(&release),
        ["completed", "completed", "completed", "running"]
    );
    assert_eq!(release["status"], "running");
}

#[test]
fn demo_refuses_a_non_empty_directory_and_defaults_its_passphrase() {
    let ws = Ws::init();
    let before = ws.snapshot();
    let err = ws.fails(2, ["demo"]);
    assert!(
        err.contains("is not empty") && err.contains("choose an empty directory"),
        "{err}"
    );
    assert_eq!(ws.fails_code(2, ["demo"]), "not_empty");
    ws.assert_unchanged(&before, "demo into a workspace");

    let stray = Ws::empty();
    std::fs::write(stray.dir().join("notes.txt"), "keep me").unwrap();
    stray.fails(2, ["demo"]);
    let names: Vec<_> = std::fs::read_dir(stray.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["notes.txt"]);

    // Without COUNTERSIGN_PASSPHRASE the demo uses its documented passphrase.
    let fresh = Ws::empty();
    let mut c = fresh.cmd(["--json", "demo"]);
    c.env_remove("COUNTERSIGN_PASSPHRASE");
    let (code, out, err) = output(&mut c);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["passphrase"], countersign_api::demo::DEMO_PASSPHRASE);
}
