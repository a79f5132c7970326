//! The signed release, end to end through the binary: a blocking objection stops the draft, the
//! owner accepts it as residual disagreement, the lane's people sign, the bundle is released into
//! the lane's outbox and verified offline somewhere that has nothing but the bundle and the
//! policy; then a new revision holds the release and the old bundle no longer matches the text.

use std::ffi::OsStr;
use std::path::Path;

use serde_json::Value;

use crate::common::*;

/// When `strace` can run here, `verify` must make no network system call at all (not even a
/// socket). Returns false when strace is unavailable (nothing is asserted then).
fn assert_no_network(dir: &Path, args: &[&OsStr]) -> bool {
    let trace = dir.parent().expect("a parent").join("verify.strace");
    let probe = std::process::Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=%network", "-o"])
        .arg(&trace)
        .arg(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("COUNTERSIGN_WORKSPACE")
        .stdin(std::process::Stdio::null())
        .output();
    let Ok(out) = probe else {
        eprintln!("note: strace is not available; the no-network check is skipped");
        return false;
    };
    if !out.status.success() || !trace.is_file() {
        eprintln!(
            "note: strace could not trace here; the no-network check is skipped: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return false;
    }
    let calls = std::fs::read_to_string(&trace).unwrap();
    assert!(
        calls.trim().is_empty(),
        "verify made network system calls:\n{calls}"
    );
    true
}

#[test]
fn signed_release_flow_end_to_end() {
    let Crew {
        ws,
        admin,
        owner,
        director,
        legal,
        agent,
        packet,
        rev,
    } = Crew::new();
    let objection = ws.raise(&packet, &rev, "fully restored", &legal, true);
    let evidence = ws.evidence(
        &packet,
        "incident timeline",
        "Timeline export",
        b"14:02 alert\n14:05 restored\n",
    );
    let policy = ws.json(["policy", "init", "--admin", &admin]);
    assert_eq!(policy["policy"]["version"], 1);
    assert_eq!(policy["policy"]["admin"], admin.as_str());
    let policy = ws.lane(LANE, AUDIENCE, &director, &["approver", "legal"], 2, false);
    assert_eq!(policy["policy"]["version"], 2);
    let lane = &policy["policy"]["lanes"][0];
    assert_eq!(lane["id"], LANE);
    assert_eq!(lane["owner"], director.as_str());
    assert_eq!(lane["threshold"], 2);

    // A blocking objection is open: the draft is refused, naming it.
    let before = ws.snapshot();
    let err = ws.fails(1, ["manifest", "draft", &packet, "--lane", LANE]);
    assert!(err.contains(&objection[..12]), "{err}");
    assert!(err.contains("\"fully restored\""), "{err}");
    assert!(err.contains("Dana Okafor"), "{err}");
    assert_eq!(
        ws.fails_code(1, ["manifest", "draft", &packet, "--lane", LANE]),
        "blocking_objections_open"
    );
    ws.assert_unchanged(&before, "refused draft");

    // The packet owner accepts it as residual disagreement; now the draft goes through.
    ws.ok([
        "objection",
        "accept",
        &objection,
        "--by",
        &owner,
        "--rationale",
        "Legal's wording concern is noted; the timeline supports the claim.",
    ]);
    let m = ws.draft(&packet, LANE);
    let shown = ws.manifest(&m);
    assert_eq!(shown["digest"], m.as_str());
    let man = &shown["manifest"];
    assert_eq!(man["revision"]["id"], rev.as_str());
    assert_eq!(man["lane"]["id"], LANE);
    assert_eq!(man["lane"]["audience"], AUDIENCE);
    assert_eq!(man["version"], 1);
    assert_eq!(man["supersedes"], Value::Null);
    assert_eq!(man["release_owner"], director.as_str());
    assert_eq!(man["residual_objections"][0]["id"], objection.as_str());
    assert_eq!(man["evidence"][0]["id"], evidence.as_str());
    assert_eq!(
        man["evidence"][0]["digest"],
        sha256(b"14:02 alert\n14:05 restored\n")
    );
    assert_eq!(ws.status(&packet, LANE)["state"], "awaiting_approval");

    // The agent holds the approver role, but agents never approve.
    let before = ws.snapshot();
    let err = ws.fails(1, ["manifest", "approve", &m, "--as", &agent]);
    assert!(err.contains("agent"), "{err}");
    assert_eq!(
        ws.fails_code(1, ["manifest", "approve", &m, "--as", &agent]),
        "agent_refused"
    );
    ws.assert_unchanged(&before, "agent approval");

    // Legal approves: the owner is still missing.
    let a = ws.approve(&m, &legal);
    assert_eq!(a["name"], "Dana Okafor");
    assert_eq!(a["role"], "legal");
    assert_eq!(a["meaning"], "approve");
    let st = ws.status(&packet, LANE);
    assert_eq!(st["state"], "awaiting_approval");
    assert_eq!(st["missing"]["owner"], "Diego Director");
    assert_eq!(st["missing"]["more_approvals"], 1);
    assert_eq!(st["approvals"].as_array().unwrap().len(), 1);
    let text = ws.ok(["manifest", "status", &packet, "--lane", LANE]);
    assert!(text.contains("state: awaiting_approval"), "{text}");
    assert!(
        text.contains("missing: the release owner, Diego Director"),
        "{text}"
    );

    // The director (the lane's owner) approves: approved.
    ws.approve(&m, &director);
    let st = ws.status(&packet, LANE);
    assert_eq!(st["state"], "approved");
    assert_eq!(st["missing"]["owner"], Value::Null);
    assert_eq!(st["missing"]["more_approvals"], 0);
    assert_eq!(st["holds"], serde_json::json!([]));
    let approvals = st["approvals"].as_array().unwrap().clone();
    assert_eq!(approvals.len(), 2);

    // Release: the bundle lands in the lane's outbox.
    let bundle = ws.release(&packet, LANE);
    assert!(bundle.starts_with(ws.dir().join("lanes").join(LANE)));
    let st = ws.status(&packet, LANE);
    assert_eq!(st["state"], "released");
    assert_eq!(st["released_to"], bundle.display().to_string());
    let policy_file = ws.export_policy("policy.json");

    // The released markdown, as the packet shows it.
    let released = ws.ok(["packet", "show", &packet, "--revision", &rev]);
    assert_eq!(released, TEXT_V1);
    let content = ws.file(&released);

    // The intake lane: an empty folder with the bundle and the policy, no workspace anywhere.
    let intake = tempfile::tempdir().unwrap();
    let lane_dir = intake.path().join("intake");
    std::fs::create_dir(&lane_dir).unwrap();
    copy_into(&lane_dir, &[&bundle, &policy_file]);
    // Named relative to the intake folder, the current directory of every `verify` below.
    let b = Path::new(bundle.file_name().unwrap());
    let p = Path::new(policy_file.file_name().unwrap());
    let (code, out, err) = verify_in(
        &lane_dir,
        b,
        LANE,
        p,
        &["--content".as_ref(), content.as_os_str()],
    );
    assert_eq!(code, 0, "verify failed:\n{err}");
    assert_eq!(err, "");
    assert!(
        out.starts_with(&format!("VERIFIED: \"Outage disclosure\" revision {rev}\n")),
        "{out}"
    );
    assert!(
        out.contains("1 residual objection(s) and 1 evidence item(s) bound"),
        "{out}"
    );
    for a in &approvals {
        let line = format!(
            "  signed by {} ({}) at {}: {}\n",
            s(&a["name"]),
            s(&a["role"]),
            s(&a["signed_at"]),
            s(&a["meaning"])
        );
        assert!(out.contains(&line), "verify does not name {line:?}:\n{out}");
    }
    assert!(out.contains("signed by Dana Okafor (legal)"), "{out}");
    assert!(out.contains("signed by Diego Director (approver)"), "{out}");
    // The same as JSON: every signer with name, time and meaning.
    let (code, out, _) = run_in(
        &lane_dir,
        [
            "--json".as_ref(),
            "verify".as_ref(),
            b.as_os_str(),
            "--lane".as_ref(),
            LANE.as_ref(),
            "--policy".as_ref(),
            p.as_os_str(),
        ],
    );
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["manifest"], m.as_str());
    assert_eq!(v["revision"], rev.as_str());
    let signers = v["signers"].as_array().unwrap();
    assert_eq!(signers.len(), 2);
    for (sig, a) in signers.iter().zip(&approvals) {
        assert_eq!(sig["id"], a["signer"]);
        assert_eq!(sig["name"], a["name"]);
        assert_eq!(sig["signed_at"], a["signed_at"]);
        assert_eq!(sig["meaning"], "approve");
    }
    if assert_no_network(
        &lane_dir,
        &[
            "verify".as_ref(),
            b.as_os_str(),
            "--lane".as_ref(),
            LANE.as_ref(),
            "--policy".as_ref(),
            p.as_os_str(),
        ],
    ) {
        eprintln!("verify made no network system call");
    }
    // Verifying wrote nothing (no state folder was given).
    let mut left: Vec<_> = std::fs::read_dir(&lane_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    let mut expected = vec![b.display().to_string(), p.display().to_string()];
    expected.sort();
    assert_eq!(left, expected);

    // A new revision: the release is held, with who changed what.
    let text_v2 = TEXT_V1.replace("fully restored", "restored");
    let rev2 = ws.revise(&packet, &text_v2, &owner);
    let st = ws.status(&packet, LANE);
    assert_eq!(st["state"], "held");
    let h = hold(&st, "new_revision");
    assert_eq!(h["holding"], true);
    assert_eq!(h["actor_name"], "Priya Raman");
    assert!(h["at"].is_string(), "{h}");
    assert_eq!(h["cause"]["cause"], "new_revision");
    assert_eq!(h["cause"]["old"], rev.as_str());
    assert_eq!(h["cause"]["new"], rev2.as_str());
    assert_eq!(h["cause"]["change"], "material");
    assert_eq!(h["cause"]["carried_over"], false);
    let text = ws.ok(["manifest", "status", &packet, "--lane", LANE]);
    assert!(text.contains("state: held"), "{text}");
    assert!(text.contains("(by Priya Raman at "), "{text}");

    // The old bundle does not speak for the new wording …
    let new_content = ws.file(&text_v2);
    let err = verify_refused(
        &lane_dir,
        b,
        LANE,
        p,
        &["--content".as_ref(), new_content.as_os_str()],
        "content_mismatch",
    );
    assert!(err.contains("does not match the bound revision"), "{err}");
    // … and still does for the wording it was released with.
    let (code, _, err) = verify_in(
        &lane_dir,
        b,
        LANE,
        p,
        &["--content".as_ref(), content.as_os_str()],
    );
    assert_eq!(code, 0, "{err}");

    let check = ws.check();
    assert_eq!(check["ok"], true, "{check}");
    assert_eq!(check["problems"], serde_json::json!([]));
    let (code, out, _) = ws.run(["check"]);
    assert_eq!(code, 0, "{out}");
}
