//! What the signed release refuses, through the binary: exit 1 when a rule refuses, exit 2 for
//! bad input, the stable code in the `--json` error, and nothing written to the workspace.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::*;

/// A workspace command that must fail with `exit` and the stable `code`, its message containing
/// `fragment`, and write nothing (the audit log and every row stay as they were).
fn refused<S: AsRef<str>>(ws: &Ws, exit: i32, args: &[S], code: &str, fragment: &str) {
    let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    let before = ws.snapshot();
    let err = ws.fails(exit, &args);
    assert!(err.contains(fragment), "{args:?}: {err}");
    assert_eq!(ws.fails_code(exit, &args), code, "{args:?}: {err}");
    ws.assert_unchanged(&before, &format!("{args:?}"));
}

#[test]
fn approvals_are_refused_without_a_role_twice_or_on_a_rejected_manifest() {
    let c = Crew::with_lane(false);
    let ws = &c.ws;
    let m = ws.draft(&c.packet, LANE);

    // Release before any approval.
    refused(
        ws,
        1,
        &["release", &c.packet, "--lane", LANE],
        "manifest_state",
        "the release owner (Diego Director) has not approved",
    );
    // The packet owner and the admin hold none of the lane's roles and do not own it.
    for who in [&c.owner, &c.admin] {
        refused(
            ws,
            1,
            &["manifest", "approve", &m, "--as", who],
            "not_permitted",
            "holds none of the roles lane `exec-review` requires",
        );
    }
    ws.approve(&m, &c.legal);
    refused(
        ws,
        1,
        &["manifest", "approve", &m, "--as", &c.legal],
        "manifest_state",
        "Dana Okafor has already signed this manifest",
    );
    refused(
        ws,
        1,
        &[
            "manifest",
            "approve",
            &m,
            "--as",
            &c.legal,
            "--meaning",
            "reviewed",
        ],
        "manifest_state",
        "already signed",
    );
    // Still short of the owner: release is refused.
    refused(
        ws,
        1,
        &["release", &c.packet, "--lane", LANE],
        "manifest_state",
        "has not approved",
    );
    // A rejection needs a reason: bad input.
    for reason in [None, Some("   ")] {
        let mut args = vec!["manifest", "approve", &m, "--as", &c.director];
        args.extend(["--meaning", "reject"]);
        if let Some(r) = reason {
            args.extend(["--reason", r]);
        }
        refused(ws, 2, &args, "reason_required", "a reason is required");
    }
    usage_error(
        ws,
        &[
            "manifest",
            "approve",
            &m,
            "--as",
            &c.director,
            "--meaning",
            "maybe",
        ],
    );

    // The director rejects, with a reason: listed, and the release is refused.
    let r = ws.json([
        "manifest",
        "approve",
        &m,
        "--as",
        &c.director,
        "--meaning",
        "reject",
        "--reason",
        "The restoration time is unconfirmed.",
    ]);
    assert_eq!(r["meaning"], "reject");
    let st = ws.status(&c.packet, LANE);
    assert_eq!(st["state"], "awaiting_approval");
    let reject: Vec<&Value> = st["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["meaning"] == "reject")
        .collect();
    assert_eq!(reject.len(), 1, "{st:#}");
    assert_eq!(reject[0]["name"], "Diego Director");
    assert_eq!(reject[0]["reason"], "The restoration time is unconfirmed.");
    let text = ws.ok(["manifest", "status", &c.packet, "--lane", LANE]);
    assert!(
        text.contains("Diego Director (approver): reject at ")
            && text.contains(" — The restoration time is unconfirmed."),
        "{text}"
    );
    refused(
        ws,
        1,
        &["release", &c.packet, "--lane", LANE],
        "manifest_state",
        "rejected by Diego Director",
    );
    // Having rejected, the director cannot approve the same manifest as well.
    refused(
        ws,
        1,
        &["manifest", "approve", &m, "--as", &c.director],
        "manifest_state",
        "already signed",
    );
}

/// `fails` from [`Ws`] checks for `error: ` on stderr; clap's usage errors say `error: ` too.
/// Its `--json` form is not JSON, so `refused` above cannot be used for usage errors: this is.
fn usage_error(ws: &Ws, args: &[&str]) {
    let before = ws.snapshot();
    let (code, out, err) = ws.run(args);
    assert_eq!(code, 2, "{args:?}: {err}");
    assert_eq!(out, "");
    assert!(err.contains("error:"), "{err}");
    ws.assert_unchanged(&before, &format!("{args:?}"));
}

#[test]
fn policy_and_draft_input_errors_are_bad_input_and_rule_breaks_are_refused() {
    let c = Crew::new();
    let ws = &c.ws;
    // No policy yet.
    refused(
        ws,
        2,
        &["manifest", "draft", &c.packet, "--lane", LANE],
        "no_policy",
        "no trust policy yet",
    );
    refused(ws, 2, &["policy", "show"], "no_policy", "policy init");
    refused(
        ws,
        2,
        &lane_args(LANE, AUDIENCE, &c.director, &["approver"], 1, false),
        "no_policy",
        "policy init",
    );
    refused(
        ws,
        2,
        &["policy", "revoke", &c.legal, "--by", &c.admin],
        "no_policy",
        "policy init",
    );
    // Only a human admin issues the policy.
    refused(
        ws,
        1,
        &["policy", "init", "--admin", &c.owner],
        "not_permitted",
        "Priya Raman does not hold the admin role",
    );
    refused(
        ws,
        1,
        &["policy", "init", "--admin", &c.agent],
        "agent_refused",
        "agent",
    );
    refused(
        ws,
        2,
        &["policy", "init", "--admin", "ffffffffffff"],
        "not_found",
        "no identity matches",
    );

    ws.ok(["policy", "init", "--admin", &c.admin]);
    // A second `policy init` is refused (a rule: the policy exists), writing nothing.
    refused(
        ws,
        1,
        &["policy", "init", "--admin", &c.admin],
        "manifest_state",
        "a trust policy already exists",
    );
    assert_eq!(ws.json(["policy", "show"])["policy"]["version"], 1);

    // Lane ids name a folder: a safe alphabet only.
    for bad in ["../x", "A B", "", "Exec", ".hidden", "x/y", &"x".repeat(65)] {
        refused(
            ws,
            2,
            &lane_args(bad, AUDIENCE, &c.director, &["approver"], 1, false),
            "bad_lane_id",
            "is not a valid lane id",
        );
        refused(
            ws,
            2,
            &["manifest", "status", &c.packet, "--lane", bad],
            "bad_lane_id",
            "is not a valid lane id",
        );
        refused(
            ws,
            2,
            &["release", &c.packet, "--lane", bad],
            "bad_lane_id",
            "is not a valid lane id",
        );
        // Not in the policy either way.
        let before = ws.snapshot();
        ws.fails(2, ["manifest", "draft", &c.packet, "--lane", bad]);
        ws.assert_unchanged(&before, "drafting for a bad lane id");
    }
    // Thresholds: at least one, and one that the policy's people can meet.
    refused(
        ws,
        2,
        &lane_args(
            LANE,
            AUDIENCE,
            &c.director,
            &["approver", "legal"],
            0,
            false,
        ),
        "out_of_range",
        "the threshold must be between 1 and 100",
    );
    // Eligible: the director (approver, owner) and legal; the agent never counts.
    refused(
        ws,
        2,
        &lane_args(
            LANE,
            AUDIENCE,
            &c.director,
            &["approver", "legal"],
            3,
            false,
        ),
        "out_of_range",
        "a threshold of 3 cannot be met: only 2 people",
    );
    refused(
        ws,
        2,
        &lane_args(
            LANE,
            AUDIENCE,
            &c.director,
            &["approver", "auditor"],
            1,
            false,
        ),
        "unknown_role",
        "auditor",
    );
    refused(
        ws,
        1,
        &lane_args(LANE, AUDIENCE, &c.agent, &["approver"], 1, false),
        "agent_refused",
        "agent",
    );
    usage_error(ws, &["policy", "lane", "add", LANE, "--audience", AUDIENCE]);
    usage_error(
        ws,
        &lane_args(LANE, AUDIENCE, &c.director, &["approver"], 1, false)
            .iter()
            .map(|a| if a == "1" { "-1" } else { a.as_str() })
            .collect::<Vec<_>>(),
    );
    assert_eq!(
        ws.json(["policy", "show"])["policy"]["lanes"],
        serde_json::json!([])
    );

    ws.lane(
        LANE,
        AUDIENCE,
        &c.director,
        &["approver", "legal"],
        2,
        false,
    );
    refused(
        ws,
        2,
        &["manifest", "draft", &c.packet, "--lane", "board-review"],
        "unknown_lane",
        "lane `board-review` is not in the trust policy",
    );
    refused(
        ws,
        2,
        &[
            "manifest",
            "draft",
            &c.packet,
            "--lane",
            LANE,
            "--expires-in-days",
            "0",
        ],
        "out_of_range",
        "--expires-in-days must be between 1 and 365",
    );
    refused(
        ws,
        2,
        &[
            "manifest",
            "draft",
            &c.packet,
            "--lane",
            LANE,
            "--expires-in-days",
            "366",
        ],
        "out_of_range",
        "--expires-in-days",
    );

    // Revocation: only the admin, never the admin's own key, never twice.
    refused(
        ws,
        1,
        &["policy", "revoke", &c.legal, "--by", &c.director],
        "not_permitted",
        "only the policy's admin may revoke keys; Diego Director is not",
    );
    refused(
        ws,
        1,
        &["policy", "revoke", &c.admin, "--by", &c.admin],
        "not_permitted",
        "cannot revoke their own key",
    );
    ws.ok(["policy", "revoke", &c.owner, "--by", &c.admin]);
    refused(
        ws,
        1,
        &["policy", "revoke", &c.owner, "--by", &c.admin],
        "not_permitted",
        "Priya Raman is already revoked",
    );
    // A revoked packet owner cannot draft: the manifest could never verify.
    refused(
        ws,
        1,
        &["manifest", "draft", &c.packet, "--lane", LANE],
        "not_permitted",
        "Priya Raman's key is revoked",
    );
    // With legal revoked, only the director is left: a threshold of 2 cannot be met.
    ws.ok(["policy", "revoke", &c.legal, "--by", &c.admin]);
    refused(
        ws,
        2,
        &lane_args(
            LANE,
            AUDIENCE,
            &c.director,
            &["approver", "legal"],
            2,
            false,
        ),
        "out_of_range",
        "a threshold of 2 cannot be met: only 1 people",
    );
}

#[test]
fn a_lane_can_count_on_people_added_after_the_policy_was_issued() {
    let ws = Ws::init();
    let admin = ws.identity("Ada Admin", &["admin"]);
    ws.ok(["policy", "init", "--admin", &admin]);
    let owner = ws.identity("Priya Raman", &["release-owner", "author"]);
    let director = ws.identity("Diego Director", &["approver"]);
    let legal = ws.identity("Dana Okafor", &["legal"]);
    let p = ws.lane(LANE, AUDIENCE, &director, &["approver", "legal"], 2, false);
    assert_eq!(p["policy"]["version"], 2);
    let ids: Vec<&str> = p["policy"]["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| s(&i["id"]))
        .collect();
    for id in [&owner, &director, &legal] {
        assert!(ids.contains(&id.as_str()), "{id} is not in the new policy");
    }
    // And they can carry a release through.
    let packet = ws.packet("Outage disclosure", &owner);
    ws.revise(&packet, TEXT_V1, &owner);
    let m = ws.draft(&packet, LANE);
    ws.approve(&m, &legal);
    ws.approve(&m, &director);
    assert_eq!(ws.status(&packet, LANE)["state"], "approved");
}

#[test]
fn released_and_superseded_manifests_take_nothing_more_and_verify_refuses_rollbacks() {
    let c = Crew::with_lane(false);
    let ws = &c.ws;
    let m1 = c.approved();
    let b1 = ws.release(&c.packet, LANE);
    assert!(b1.ends_with(format!("{}-v1.bundle.json", &c.packet[..12])));
    refused(
        ws,
        1,
        &["release", &c.packet, "--lane", LANE],
        "manifest_state",
        "this manifest was already released to",
    );
    refused(
        ws,
        1,
        &["manifest", "approve", &m1, "--as", &c.owner],
        "manifest_state",
        "already been released",
    );

    // A second version, released too.
    ws.revise(
        &c.packet,
        TEXT_V1.replace("fully restored", "restored"),
        &c.owner,
    );
    let m2 = c.approved();
    refused(
        ws,
        1,
        &["manifest", "approve", &m1, "--as", &c.owner],
        "manifest_state",
        "manifest v1 is superseded by v2",
    );
    let b2 = ws.release(&c.packet, LANE);
    assert!(b2.ends_with(format!("{}-v2.bundle.json", &c.packet[..12])));
    assert!(b1.is_file(), "the first bundle is kept");
    assert_eq!(ws.manifest(&m2)["manifest"]["supersedes"], m1.as_str());
    let policy = ws.export_policy("policy.json");

    // The intake lane keeps the highest version seen.
    let intake = tempfile::tempdir().unwrap();
    let dir = intake.path();
    let files = copy_into(dir, &[&b1, &b2, &policy]);
    let (b1, b2, policy) = (&files[0], &files[1], &files[2]);
    let state_dir = dir.join("state");
    let state_file = state_dir.join("verify-state.json");
    let state: &[&OsStr] = &["--state".as_ref(), state_dir.as_os_str()];

    let (code, _, err) = verify_in(dir, b1, LANE, policy, state);
    assert_eq!(code, 0, "{err}");
    let seen: Value = serde_json::from_slice(&std::fs::read(&state_file).unwrap()).unwrap();
    assert_eq!(seen["format"], "countersign.verify-state/v1");
    assert_eq!(seen["policy_version"], 2);
    assert_eq!(seen["manifests"][format!("{}/{LANE}", c.packet)], 1);

    let (code, _, err) = verify_in(dir, b2, LANE, policy, state);
    assert_eq!(code, 0, "{err}");
    let seen = std::fs::read(&state_file).unwrap();
    let v: Value = serde_json::from_slice(&seen).unwrap();
    assert_eq!(v["manifests"][format!("{}/{LANE}", c.packet)], 2);

    let err = verify_refused(dir, b1, LANE, policy, state, "manifest_rollback");
    assert!(err.contains("version 1 is lower than version 2"), "{err}");
    assert_eq!(
        std::fs::read(&state_file).unwrap(),
        seen,
        "a refusal changed the state"
    );
    // The same version again is no rollback; without the state, v1 still verifies.
    let (code, _, err) = verify_in(dir, b2, LANE, policy, state);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = verify_in(dir, b1, LANE, policy, &[]);
    assert_eq!(code, 0, "{err}");

    // A state file that is not one is bad input.
    std::fs::write(&state_file, "not json").unwrap();
    let (code, out, err) = verify_in(dir, b2, LANE, policy, state);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(err.contains("is not a verify state file"), "{err}");
    assert_eq!(std::fs::read(&state_file).unwrap(), b"not json");
}

/// Replace the byte at `at` of a copy of `from` with another base64 character; returns the copy.
fn tampered(from: &Path, to: &Path, at: usize) -> PathBuf {
    let mut bytes = std::fs::read(from).unwrap();
    // Base64 also has `+` and `/`: step to the next letter or digit (there is one within a few
    // bytes of any point inside a signature or payload), so the change stays a valid character.
    let at = (at..at + 8)
        .find(|&i| bytes[i].is_ascii_alphanumeric())
        .expect("a base64 letter or digit near the offset");
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    std::fs::write(to, &bytes).unwrap();
    to.to_path_buf()
}

/// Where the first occurrence of `needle` starts in a file.
fn offset_of(file: &Path, needle: &str) -> usize {
    let text = std::fs::read_to_string(file).unwrap();
    text.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} is not in {}", file.display()))
}

#[test]
fn verify_refuses_tampering_other_lanes_expiry_and_files_that_are_not_what_they_claim() {
    let c = Crew::with_lane(false);
    let ws = &c.ws;
    ws.lane(
        "board-review",
        "The board",
        &c.director,
        &["approver"],
        1,
        false,
    );
    let m = c.approved();
    let bundle = ws.release(&c.packet, LANE);
    let policy = ws.export_policy("policy.json");
    let intake = tempfile::tempdir().unwrap();
    let dir = intake.path();
    let files = copy_into(dir, &[&bundle, &policy]);
    let (bundle, policy) = (&files[0], &files[1]);
    let state_dir = dir.join("state");
    let state: &[&OsStr] = &["--state".as_ref(), state_dir.as_os_str()];
    let ok = |extra: &[&OsStr]| {
        let (code, out, err) = verify_in(dir, bundle, LANE, policy, extra);
        assert_eq!(code, 0, "{err}");
        assert!(out.starts_with("VERIFIED: "), "{out}");
    };
    ok(&[]);
    std::fs::remove_dir_all(&state_dir).ok();

    // One byte changed in the manifest's payload, or in an approval's signature.
    let b: Value = serde_json::from_slice(&std::fs::read(bundle).unwrap()).unwrap();
    let payload = s(&b["manifest"]["payload"]);
    let at = offset_of(bundle, payload) + payload.len() / 2;
    let t = tampered(bundle, &dir.join("tampered-manifest.json"), at);
    let err = verify_refused(dir, &t, LANE, policy, state, "manifest_bad_signature");
    assert!(err.contains("signature does not verify"), "{err}");
    let sig = s(&b["approvals"][1]["signatures"][0]["sig"]);
    let at = offset_of(bundle, sig) + 10;
    let t = tampered(bundle, &dir.join("tampered-approval.json"), at);
    let err = verify_refused(dir, &t, LANE, policy, state, "approval_bad_signature");
    assert!(
        err.contains("approval #2: the signature does not verify"),
        "{err}"
    );
    // One byte changed in the policy file's signature.
    let p: Value = serde_json::from_slice(&std::fs::read(policy).unwrap()).unwrap();
    let sig = s(&p["signatures"][0]["sig"]);
    let at = offset_of(policy, sig) + 10;
    let t = tampered(policy, &dir.join("tampered-policy.json"), at);
    verify_refused(dir, bundle, LANE, &t, state, "policy_bad_signature");

    // Presented to another lane of the same policy.
    let err = verify_refused(dir, bundle, "board-review", policy, state, "wrong_lane");
    assert!(
        err.contains("the bundle is for lane `exec-review`, presented to lane `board-review`"),
        "{err}"
    );

    // The verifier's clock: valid until the manifest's expiry, refused from then on.
    let man = &ws.manifest(&m)["manifest"];
    let (created, expires) = (s(&man["created_at"]), s(&man["expires_at"]));
    ok(&["--now".as_ref(), created.as_ref()]);
    std::fs::remove_dir_all(&state_dir).ok();
    let err = verify_refused(
        dir,
        bundle,
        LANE,
        policy,
        &["--now".as_ref(), expires.as_ref(), state[0], state[1]],
        "manifest_expired",
    );
    assert!(
        err.contains(&format!("the manifest expired at {expires}")),
        "{err}"
    );
    verify_refused(
        dir,
        bundle,
        LANE,
        policy,
        &["--now".as_ref(), "2199-01-01T00:00:00Z".as_ref()],
        "policy_expired",
    );
    let (code, out, err) = verify_in(
        dir,
        bundle,
        LANE,
        policy,
        &["--now".as_ref(), "yesterday".as_ref()],
    );
    assert_eq!((code, out.as_str()), (2, ""), "{err}");

    // Files that are missing or are not what they claim to be.
    let (code, out, err) = verify_in(dir, &dir.join("missing.json"), LANE, policy, state);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(err.contains("missing.json"), "{err}");
    let (code, _, err) = verify_in(dir, bundle, LANE, &dir.join("missing.json"), state);
    assert_eq!(code, 2, "{err}");
    let err = verify_refused(dir, bundle, LANE, bundle, state, "malformed_policy");
    assert!(err.contains("not a valid signed policy"), "{err}");
    let junk = dir.join("junk.json");
    std::fs::write(&junk, "{\"hello\": 1}").unwrap();
    verify_refused(dir, bundle, LANE, &junk, state, "malformed_policy");
    verify_refused(dir, &junk, LANE, policy, state, "malformed_bundle");
    verify_refused(dir, policy, LANE, policy, state, "malformed_bundle");
    // The wrong content.
    let other = dir.join("other.md");
    std::fs::write(&other, "# Something else\n").unwrap();
    let content: &[&OsStr] = &["--content".as_ref(), other.as_os_str()];
    verify_refused(dir, bundle, LANE, policy, content, "content_mismatch");

    // Under a newer policy than the one the bundle was made under.
    ws.ok(["policy", "revoke", &c.agent, "--by", &c.admin]);
    let newer = ws.export_policy("policy-v4.json");
    let err = verify_refused(dir, bundle, LANE, &newer, state, "policy_mismatch");
    assert!(err.contains("policy version 3"), "{err}");

    // No refusal left a state behind.
    assert!(!state_dir.exists(), "a refused verify wrote its state");
}
