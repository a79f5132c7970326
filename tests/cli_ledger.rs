//! The objection ledger: open → resolved / withdrawn / accepted_residual → (reopen) → open, and
//! who may make each move.

use serde_json::{Value, json};

use crate::common::*;

/// A refused move: the exit code, the stable code, a message fragment, and nothing written.
fn refused(ws: &Ws, args: &[&str], code: &str, message: &str) {
    let before = ws.snapshot();
    let err = ws.fails(1, args);
    assert!(err.contains(message), "{args:?}: {err}");
    assert_eq!(ws.fails_code(1, args), code, "{args:?}");
    ws.assert_unchanged(&before, &format!("{args:?}"));
}

fn status(ws: &Ws, packet: &str, id: &str) -> Value {
    ws.objection(packet, id, None)["status"].clone()
}

#[test]
fn objection_ledger_resolves_reopens_with_a_reason_and_withdraws_only_by_the_raiser() {
    let Cast {
        ws,
        owner,
        reviewer,
        other,
        packet,
    } = Cast::new();
    let rev = ws.revise(
        &packet,
        "Service was fully restored at 14:05 UTC.\n",
        &owner,
    );
    let o = ws.raise(&packet, &rev, "fully restored", &reviewer, true);
    assert_eq!(status(&ws, &packet, &o), "open");

    refused(
        &ws,
        &["objection", "resolve", &o, "--by", &other],
        "not_allowed",
        "only the identity that raised",
    );

    let out = ws.ok([
        "objection",
        "resolve",
        &o,
        "--by",
        &reviewer,
        "--note",
        "Reworded in r2.",
    ]);
    assert_eq!(out, format!("{o}: resolved\n"));
    let v = ws.objection(&packet, &o, None);
    assert_eq!(v["status"], "resolved");
    assert_eq!(v["history"][0]["action"], "resolve");
    assert_eq!(v["history"][0]["from"], "open");
    assert_eq!(v["history"][0]["to"], "resolved");
    assert_eq!(v["history"][0]["actor"], reviewer.as_str());
    assert_eq!(v["history"][0]["text"], "Reworded in r2.");
    assert_eq!(v["residual"], Value::Null);

    // Illegal transitions from resolved.
    let cannot = "cannot resolve an objection that is resolved";
    refused(
        &ws,
        &["objection", "resolve", &o, "--by", &reviewer],
        "illegal_transition",
        cannot,
    );
    refused(
        &ws,
        &["objection", "withdraw", &o, "--by", &reviewer],
        "illegal_transition",
        "cannot withdraw",
    );
    refused(
        &ws,
        &[
            "objection",
            "accept",
            &o,
            "--by",
            &owner,
            "--rationale",
            "r",
        ],
        "illegal_transition",
        "cannot accept an objection that is resolved",
    );

    // Reopen (anyone, with a reason) → open again.
    let v = ws.json([
        "objection",
        "reopen",
        &o,
        "--by",
        &other,
        "--reason",
        "The backfill ran until 18:20.",
    ]);
    assert_eq!(v, json!({ "id": o, "status": "open" }));
    let v = ws.objection(&packet, &o, None);
    assert_eq!(v["status"], "open");
    assert_eq!(v["history"][1]["action"], "reopen");
    assert_eq!(v["history"][1]["from"], "resolved");
    assert_eq!(v["history"][1]["actor_name"], "Jonas Whitfield");
    assert_eq!(v["history"][1]["text"], "The backfill ran until 18:20.");
    refused(
        &ws,
        &[
            "objection",
            "reopen",
            &o,
            "--by",
            &other,
            "--reason",
            "again",
        ],
        "illegal_transition",
        "cannot reopen an objection that is open",
    );

    // The owner may resolve too; a reopen needs a reason.
    ws.ok(["objection", "resolve", &o, "--by", &owner]);
    assert_eq!(status(&ws, &packet, &o), "resolved");
    refused(
        &ws,
        &["objection", "reopen", &o, "--by", &other, "--reason", "  "],
        "missing_reason",
        "--reason",
    );
    ws.ok([
        "objection",
        "reopen",
        &o,
        "--by",
        &owner,
        "--reason",
        "Not settled.",
    ]);

    // Withdraw: only the raiser.
    let only = "only the identity that raised this objection may withdraw it";
    refused(
        &ws,
        &["objection", "withdraw", &o, "--by", &owner],
        "not_allowed",
        only,
    );
    refused(
        &ws,
        &["objection", "withdraw", &o, "--by", &other],
        "not_allowed",
        only,
    );
    ws.ok([
        "objection",
        "withdraw",
        &o,
        "--by",
        &reviewer,
        "--note",
        "Moot.",
    ]);
    let v = ws.objection(&packet, &o, None);
    assert_eq!(v["status"], "withdrawn");
    let actions: Vec<&str> = v["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| s(&e["action"]))
        .collect();
    assert_eq!(
        actions,
        ["resolve", "reopen", "resolve", "reopen", "withdraw"]
    );
    assert_eq!(ws.events(), 1 + 3 + 1 + 1 + 1 + 5);
}

#[test]
fn only_the_human_packet_owner_accepts_residual_disagreement_with_a_rationale() {
    let Cast {
        ws,
        owner,
        reviewer,
        other,
        packet,
    } = Cast::new();
    let agent = ws.agent("Chronology Agent");
    let rev = ws.revise(
        &packet,
        "The root cause was identified at 09:52 UTC.\n",
        &owner,
    );
    let o = ws.raise(&packet, &rev, "at 09:52 UTC", &reviewer, false);

    let owner_only = "only the packet owner may accept";
    refused(
        &ws,
        &[
            "objection",
            "accept",
            &o,
            "--by",
            &reviewer,
            "--rationale",
            "r",
        ],
        "not_owner",
        owner_only,
    );
    refused(
        &ws,
        &[
            "objection",
            "accept",
            &o,
            "--by",
            &other,
            "--rationale",
            "r",
        ],
        "not_owner",
        owner_only,
    );
    refused(
        &ws,
        &[
            "objection",
            "accept",
            &o,
            "--by",
            &agent,
            "--rationale",
            "r",
        ],
        "agent_refused",
        "agent",
    );
    // A blank rationale is refused (the ledger rule needs one).
    refused(
        &ws,
        &[
            "objection",
            "accept",
            &o,
            "--by",
            &owner,
            "--rationale",
            " ",
        ],
        "missing_rationale",
        "needs a rationale (--rationale)",
    );
    assert_eq!(status(&ws, &packet, &o), "open");

    // A packet owned by an agent: its owner may still never accept.
    let agents_packet = ws.packet("Agent-owned chronology", &agent);
    let arev = ws.revise(
        &agents_packet,
        "Timeline: 09:52 pager, 10:15 call.\n",
        &agent,
    );
    let ao = ws.raise(&agents_packet, &arev, "10:15 call", &reviewer, true);
    refused(
        &ws,
        &[
            "objection",
            "accept",
            &ao,
            "--by",
            &agent,
            "--rationale",
            "Both times stay.",
        ],
        "agent_refused",
        "an agent identity may not accept residual disagreement",
    );
    assert_eq!(status(&ws, &agents_packet, &ao), "open");

    // The human owner accepts; who, when and why are recorded.
    let rationale = "The timeline and the case notes disagree; both times stay with their sources.";
    let (code, out, err) = ws.run_env(
        ("COUNTERSIGN_NOW", "2030-01-02T03:04:05Z"),
        [
            "objection",
            "accept",
            &o,
            "--by",
            &owner[..8],
            "--rationale",
            rationale,
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, format!("{o}: accepted_residual\n"));
    let v = ws.objection(&packet, &o, None);
    assert_eq!(v["status"], "accepted_residual");
    assert_eq!(
        v["residual"],
        json!({
            "accepted_by": owner,
            "accepted_by_name": "Priya Raman",
            "at": "2030-01-02T03:04:05.000Z",
            "rationale": rationale,
        })
    );
    assert_eq!(v["history"][0]["action"], "accept");
    assert_eq!(v["history"][0]["to"], "accepted_residual");
    assert_eq!(
        v["body"], "I object to this wording.",
        "residual disagreement keeps its body"
    );
    assert_eq!(v["anchor_state"], "anchored");
    let text = ws.ok(["objection", "list", &packet]);
    assert!(
        text.contains("ACCEPTED AS RESIDUAL DISAGREEMENT (1)"),
        "{text}"
    );
    assert!(
        text.contains("accepted by Priya Raman at 2030-01-02T03:04:05.000Z"),
        "{text}"
    );

    refused(
        &ws,
        &[
            "objection",
            "accept",
            &o,
            "--by",
            &owner,
            "--rationale",
            "again",
        ],
        "illegal_transition",
        "cannot accept an objection that is accepted_residual",
    );
    // Reopening clears the standing acceptance but keeps it in the history.
    ws.ok([
        "objection",
        "reopen",
        &o,
        "--by",
        &reviewer,
        "--reason",
        "The integrity report landed.",
    ]);
    let v = ws.objection(&packet, &o, None);
    assert_eq!(v["status"], "open");
    assert_eq!(v["residual"], Value::Null);
    assert_eq!(v["history"].as_array().unwrap().len(), 2);
}
