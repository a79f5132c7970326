//! Holds: whatever an approved manifest binds moves on (the revision, the evidence, the lane's
//! audience or signers, the policy) or a blocking objection is opened, and the approvals go
//! stale. Each cause is recorded with who caused it and the old and new values; a held manifest
//! takes no more signatures, and a new draft supersedes it.

use serde_json::Value;

use crate::common::*;

/// The manifest `old` (version `old_version`, approved by legal and the director) is held:
/// approving it is refused and writes nothing; a new draft supersedes it, its approvals listed as
/// stale. Returns the new manifest.
fn supersede(c: &Crew, lane: &str, old: &str, old_version: u64) -> String {
    let ws = &c.ws;
    let before = ws.snapshot();
    let err = ws.fails(1, ["manifest", "approve", old, "--as", &c.legal]);
    assert!(err.contains("the release is held"), "{err}");
    assert_eq!(
        ws.fails_code(1, ["manifest", "approve", old, "--as", &c.legal]),
        "held"
    );
    ws.fails(1, ["release", &c.packet, "--lane", lane]);
    ws.assert_unchanged(&before, "approving or releasing a held manifest");

    let new = ws.draft(&c.packet, lane);
    assert_ne!(new, old);
    let shown = ws.manifest(&new);
    assert_eq!(shown["manifest"]["supersedes"], old);
    assert_eq!(shown["manifest"]["version"], old_version + 1);
    let st = ws.status(&c.packet, lane);
    assert_eq!(st["state"], "awaiting_approval", "{st:#}");
    assert_eq!(st["manifest"]["digest"], new.as_str());
    assert_eq!(st["manifest"]["manifest"]["version"], old_version + 1);
    assert_eq!(st["approvals"], serde_json::json!([]));
    assert_eq!(st["holds"], serde_json::json!([]), "{st:#}");
    let stale = st["stale"].as_array().unwrap();
    let mut names: Vec<&str> = stale.iter().map(|a| s(&a["name"])).collect();
    names.sort_unstable();
    assert_eq!(names, ["Dana Okafor", "Diego Director"]);
    for a in stale {
        assert_eq!(a["manifest"], old);
        assert_eq!(a["manifest_version"], old_version);
    }
    let text = ws.ok(["manifest", "status", &c.packet, "--lane", lane]);
    assert!(
        text.contains("stale approvals on superseded manifests (2):"),
        "{text}"
    );
    new
}

#[test]
fn changed_evidence_holds_with_the_old_and_new_digests_and_a_new_draft_supersedes() {
    let c = Crew::with_lane(false);
    let ws = &c.ws;
    let (v1, v2) = (
        b"ticket 4411: 212 customers\n",
        b"ticket 4411: 213 customers\n",
    );
    let id = ws.evidence(&c.packet, "case management", "Affected customers", v1);
    let m = c.approved();
    assert_eq!(
        ws.manifest(&m)["manifest"]["evidence"][0]["digest"],
        sha256(v1)
    );

    // The same file again changes nothing.
    let before = ws.snapshot();
    let f = ws.file(v1);
    let (code, out, err) = ws.run([
        "evidence".as_ref(),
        "add".as_ref(),
        c.packet.as_ref(),
        "--source".as_ref(),
        "case management".as_ref(),
        "--title".as_ref(),
        "Affected customers".as_ref(),
        "--file".as_ref(),
        f.as_os_str(),
    ]);
    assert_eq!((code, out), (0, format!("{id}\n")), "{err}");
    assert!(err.contains("unchanged"), "{err}");
    ws.assert_unchanged(&before, "re-adding an unchanged evidence file");
    assert_eq!(ws.status(&c.packet, LANE)["state"], "approved");

    // A changed file: a second version, and the release is held.
    assert_eq!(
        ws.evidence(&c.packet, "case management", "Affected customers", v2),
        id
    );
    let list = array(ws.json(["evidence", "list", &c.packet]));
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["digest"], sha256(v2));
    let history = list[0]["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["number"], 1);
    assert_eq!(history[0]["digest"], sha256(v1));
    assert_eq!(history[1]["number"], 2);
    assert_eq!(history[1]["digest"], sha256(v2));
    let text = ws.ok(["evidence", "list", &c.packet]);
    assert!(text.contains(&sha256(v2)), "{text}");
    assert!(
        text.contains(&format!("earlier: v1 {}", sha256(v1))),
        "{text}"
    );

    let st = ws.status(&c.packet, LANE);
    assert_eq!(st["state"], "held");
    let h = hold(&st, "evidence_changed");
    assert_eq!(h["holding"], true);
    assert_eq!(h["actor_name"], "Priya Raman");
    assert_eq!(h["cause"]["source"], "case management");
    assert_eq!(h["cause"]["title"], "Affected customers");
    assert_eq!(h["cause"]["old"], sha256(v1));
    assert_eq!(h["cause"]["new"], sha256(v2));
    assert_eq!(st["holds"].as_array().unwrap().len(), 1, "{st:#}");

    let new = supersede(&c, LANE, &m, 1);
    let bound = &ws.manifest(&new)["manifest"];
    assert_eq!(bound["evidence"][0]["digest"], sha256(v2));
    assert_eq!(bound["previous_revision"], Value::Null);
    assert_eq!(bound["revision"]["id"], c.rev.as_str());
}

#[test]
fn a_changed_audience_or_signers_holds_as_a_scope_and_policy_change() {
    let c = Crew::with_lane(false);
    let ws = &c.ws;
    let m = c.approved();

    ws.lane(
        LANE,
        "Executive review and the board",
        &c.director,
        &["approver", "legal"],
        2,
        false,
    );
    let st = ws.status(&c.packet, LANE);
    assert_eq!(st["state"], "held");
    let h = hold(&st, "scope_changed");
    assert_eq!(h["holding"], true);
    assert_eq!(h["actor_name"], "Ada Admin");
    assert_eq!(h["cause"]["old"], AUDIENCE);
    assert_eq!(h["cause"]["new"], "Executive review and the board");
    let p = hold(&st, "policy_changed");
    assert_eq!(p["cause"]["old"], 2);
    assert_eq!(p["cause"]["new"], 3);
    assert_eq!(p["actor_name"], "Ada Admin");
    assert_eq!(st["holds"].as_array().unwrap().len(), 2, "{st:#}");

    // The signers change too (a lower threshold): recorded as its own cause.
    ws.lane(
        LANE,
        "Executive review and the board",
        &c.director,
        &["approver", "legal"],
        1,
        false,
    );
    let st = ws.status(&c.packet, LANE);
    let h = hold(&st, "signers_changed");
    assert!(s(&h["cause"]["detail"]).contains("threshold 2 → 1"), "{h}");
    // The second policy change is a second cause (version 2 → 4 now, 2 → 3 recorded before).
    let changes: Vec<&Value> = st["holds"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["kind"] == "policy_changed")
        .collect();
    assert_eq!(changes.len(), 2, "{st:#}");

    let new = supersede(&c, LANE, &m, 1);
    let bound = &ws.manifest(&new)["manifest"];
    assert_eq!(bound["lane"]["audience"], "Executive review and the board");
    assert_eq!(bound["policy"]["version"], 4);
    assert_eq!(bound["required_signers"]["threshold"], 1);
}

#[test]
fn a_new_policy_version_from_a_revocation_holds_as_policy_changed() {
    let c = Crew::with_lane(false);
    let ws = &c.ws;
    let m = c.approved();

    let p = ws.json(["policy", "revoke", &c.agent, "--by", &c.admin]);
    assert_eq!(p["policy"]["version"], 3);
    let st = ws.status(&c.packet, LANE);
    assert_eq!(st["state"], "held");
    let h = hold(&st, "policy_changed");
    assert_eq!(h["holding"], true);
    assert_eq!(h["actor_name"], "Ada Admin");
    assert_eq!(h["cause"]["old"], 2);
    assert_eq!(h["cause"]["new"], 3);
    assert_eq!(st["holds"].as_array().unwrap().len(), 1, "{st:#}");
    let text = ws.ok(["manifest", "status", &c.packet, "--lane", LANE]);
    assert!(
        text.contains("HELD: the trust policy moved from version 2 to 3 (by Ada Admin at "),
        "{text}"
    );

    let new = supersede(&c, LANE, &m, 1);
    assert_eq!(ws.manifest(&new)["manifest"]["policy"]["version"], 3);
}

#[test]
fn a_newly_opened_blocking_objection_holds_even_after_it_is_withdrawn() {
    let c = Crew::with_lane(false);
    let ws = &c.ws;
    let m = c.approved();

    // A non-blocking objection holds nothing.
    ws.raise(&c.packet, &c.rev, "No customer data", &c.legal, false);
    assert_eq!(ws.status(&c.packet, LANE)["state"], "approved");

    let o = ws.raise(&c.packet, &c.rev, "fully restored", &c.legal, true);
    let st = ws.status(&c.packet, LANE);
    assert_eq!(st["state"], "held");
    let h = hold(&st, "blocking_objection_opened");
    assert_eq!(h["holding"], true);
    assert_eq!(h["actor_name"], "Dana Okafor");
    assert_eq!(h["cause"]["objection"], o.as_str());
    assert_eq!(st["holds"].as_array().unwrap().len(), 1, "{st:#}");

    // While it is open, nothing moves: no signature, no release, no new draft.
    let before = ws.snapshot();
    assert_eq!(
        ws.fails_code(1, ["manifest", "approve", &m, "--as", &c.legal]),
        "held"
    );
    ws.fails(1, ["release", &c.packet, "--lane", LANE]);
    assert_eq!(
        ws.fails_code(1, ["manifest", "draft", &c.packet, "--lane", LANE]),
        "blocking_objections_open"
    );
    ws.assert_unchanged(&before, "acts on a release held by an open objection");

    // Withdrawn: the hold stays recorded and still holds these approvals.
    ws.ok(["objection", "withdraw", &o, "--by", &c.legal]);
    let st = ws.status(&c.packet, LANE);
    assert_eq!(st["state"], "held", "{st:#}");
    assert_eq!(hold(&st, "blocking_objection_opened")["holding"], true);

    supersede(&c, LANE, &m, 1);
}

#[test]
fn a_trivial_change_holds_unless_the_lane_carries_approvals_over() {
    let c = Crew::with_lane(false);
    let ws = &c.ws;
    let carry = "board-review";
    ws.lane(
        carry,
        "The board",
        &c.director,
        &["approver", "legal"],
        2,
        true,
    );
    let m = c.approved();
    let mc = ws.draft(&c.packet, carry);
    ws.approve(&mc, &c.legal);
    ws.approve(&mc, &c.director);
    assert_eq!(ws.status(&c.packet, carry)["state"], "approved");

    // Whitespace and punctuation only.
    let trivial = TEXT_V1
        .replace("14:05 UTC.", "14:05  UTC;")
        .replace("No customer", "No  customer");
    assert_ne!(trivial, TEXT_V1);
    let rev2 = ws.revise(&c.packet, &trivial, &c.owner);

    // The ordinary lane: held, the change recorded as trivial.
    let st = ws.status(&c.packet, LANE);
    assert_eq!(st["state"], "held");
    let h = hold(&st, "new_revision");
    assert_eq!(h["holding"], true);
    assert_eq!(h["actor_name"], "Priya Raman");
    assert_eq!(h["cause"]["change"], "trivial");
    assert_eq!(h["cause"]["carried_over"], false);
    assert_eq!(h["cause"]["old"], c.rev.as_str());
    assert_eq!(h["cause"]["new"], rev2.as_str());

    // The carrying lane: not held; the change is listed, not holding.
    let st = ws.status(&c.packet, carry);
    assert_eq!(st["state"], "approved", "{st:#}");
    let h = hold(&st, "new_revision");
    assert_eq!(h["holding"], false);
    assert_eq!(h["cause"]["change"], "trivial");
    assert_eq!(h["cause"]["carried_over"], true);
    assert_eq!(h["actor_name"], "Priya Raman");
    let text = ws.ok(["manifest", "status", &c.packet, "--lane", carry]);
    assert!(text.contains("state: approved"), "{text}");
    assert!(
        text.contains("note: a new revision") && text.contains("carries approvals over"),
        "{text}"
    );
    // Its approvals still count: it releases (the revision they signed).
    let bundle = ws.release(&c.packet, carry);
    assert!(bundle.is_file());

    // A material change on top holds the carrying lane as well.
    ws.revise(
        &c.packet,
        trivial.replace("fully restored", "restored"),
        &c.owner,
    );
    let st = ws.status(&c.packet, carry);
    assert_eq!(st["state"], "held", "{st:#}");

    // The ordinary lane's new draft records the revision it replaces, and how it differs.
    let new = supersede(&c, LANE, &m, 1);
    let prev = &ws.manifest(&new)["manifest"]["previous_revision"];
    assert_eq!(prev["id"], c.rev.as_str());
    assert_eq!(prev["change"], "material");
}
