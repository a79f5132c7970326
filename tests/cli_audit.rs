//! `check` against hand edits of the audit log made with a SQLite shell.

use countersign_core::audit::event_hash;
use countersign_core::{Digest, Timestamp};
use serde_json::Value;

use crate::common::*;

/// Events of the template workspace, in order.
const KINDS: [&str; 8] = [
    "workspace.created",
    "identity.created",
    "identity.created",
    "identity.created",
    "packet.created",
    "revision.created",
    "objection.raised",
    "comment.opened",
];

struct Template {
    ws: Ws,
    owner: String,
    reviewer: String,
}

/// A workspace with eight events, to be copied and tampered with.
fn template() -> Template {
    {
        let Cast {
            ws,
            owner,
            reviewer,
            packet,
            ..
        } = Cast::new();
        let rev = ws.revise(
            &packet,
            "Service was fully restored at 14:05 UTC.\n",
            &owner,
        );
        ws.raise(&packet, &rev, "fully restored", &reviewer, true);
        ws.comment(&packet, &rev, "14:05 UTC", &owner);
        assert_eq!(ws.events(), 8);
        let kinds: Vec<String> = sqlite(&ws.db())
            .prepare("SELECT kind FROM events ORDER BY seq")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(kinds, KINDS);
        Template {
            ws,
            owner,
            reviewer,
        }
    }
}

/// A copy of the template with `sql` applied to its database.
fn tampered(t: &Template, sql: &str) -> Ws {
    let ws = Ws::copy_of(&t.ws);
    sqlite(&ws.db())
        .execute_batch(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    ws
}

/// `check` must fail, naming event `seq`; returns the JSON report and the text output.
fn check_fails_at(ws: &Ws, seq: u64) -> (Value, String) {
    let v = ws.check();
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["first_bad_seq"], seq, "{v}");
    let first = s(&v["first_bad_event"]);
    assert!(
        first.starts_with(&format!("audit event #{seq} (")),
        "{first}"
    );
    let (code, out, err) = ws.run(["check"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains(&format!("FAILED: audit event #{seq} (")),
        "{out}"
    );
    assert!(!out.contains("\nok\n"), "{out}");
    (v, out)
}

#[test]
fn a_hand_edited_event_payload_is_caught_and_named_by_check() {
    let ws = tampered(
        &template(),
        "DROP TRIGGER events_append_only_update;
         UPDATE events SET payload = replace(payload, 'Outage disclosure', 'Nothing to see')
         WHERE seq = 5;",
    );
    let changed: String = sqlite(&ws.db())
        .query_row("SELECT payload FROM events WHERE seq = 5", [], |r| r.get(0))
        .unwrap();
    assert!(
        changed.contains("Nothing to see"),
        "the edit must have landed: {changed}"
    );

    let (v, out) = check_fails_at(&ws, 5);
    assert!(s(&v["first_bad_event"]).contains("packet.created"), "{v}");
    assert!(
        s(&v["first_bad_event"]).contains("payload was edited"),
        "{v}"
    );
    assert_eq!(v["events_verified"], 4);
    // The dropped trigger is reported as well.
    assert!(out.contains("events_append_only_update"), "{out}");
}

#[test]
fn a_hand_edited_event_actor_time_or_kind_is_caught_and_named_by_check() {
    let t = template();
    let reviewer = &t.reviewer;
    let cases = [
        (
            6,
            format!("UPDATE events SET actor = '{reviewer}' WHERE seq = 6;"),
        ),
        (
            7,
            "UPDATE events SET at = '2020-01-01T00:00:00.000Z' WHERE seq = 7;".to_owned(),
        ),
        (
            3,
            "UPDATE events SET at = 'yesterday' WHERE seq = 3;".to_owned(),
        ),
        (
            8,
            "UPDATE events SET kind = 'comment.withdrawn' WHERE seq = 8;".to_owned(),
        ),
    ];
    for (seq, edit) in cases {
        let ws = tampered(
            &t,
            &format!("DROP TRIGGER events_append_only_update; {edit}"),
        );
        let (v, _) = check_fails_at(&ws, seq);
        let first = s(&v["first_bad_event"]);
        assert!(first.contains("do not match its hash"), "{edit}: {first}");
        if seq == 8 {
            assert!(first.contains("comment.withdrawn"), "{first}");
        }
    }
}

#[test]
fn a_rehashed_edit_still_fails_on_the_signature() {
    // An attacker who recomputes the digests and the hash of the last event (and the recorded
    // head) cannot forge its actor's signature.
    let ws = tampered(&template(), "DROP TRIGGER events_append_only_update;");
    let conn = sqlite(&ws.db());
    let (actor, at, kind, payload, prev): (String, String, String, String, String) = conn
        .query_row(
            "SELECT actor, at, kind, payload, prev FROM events WHERE seq = 8",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    let (replica, lamport): (String, i64) = conn
        .query_row(
            "SELECT replica, lamport FROM events WHERE seq = 8",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let payload = payload.replace("A comment.", "A different comment.");
    let digest = Digest::of(payload.as_bytes());
    let prev = Digest::parse(&prev).unwrap();
    let at = Timestamp::parse(&at).unwrap();
    let hash = event_hash(
        &replica,
        8,
        lamport as u64,
        Some(&actor),
        at,
        &kind,
        &digest,
        Some(&prev),
    );
    conn.execute(
        "UPDATE events SET payload = ?1, payload_digest = ?2, hash = ?3 WHERE seq = 8",
        [&payload, digest.as_str(), hash.as_str()],
    )
    .unwrap();
    conn.execute(
        "UPDATE meta SET value = ?1 WHERE key = 'audit_head'",
        [hash.as_str()],
    )
    .unwrap();
    drop(conn);

    let (v, _) = check_fails_at(&ws, 8);
    assert!(
        s(&v["first_bad_event"]).contains("signature does not verify"),
        "{v}"
    );
}

#[test]
fn deleting_the_last_event_is_caught_by_the_recorded_head() {
    let t = template();
    let ws = tampered(
        &t,
        "DROP TRIGGER events_append_only_delete; DELETE FROM events WHERE seq = 8;",
    );
    let v = ws.check();
    assert_eq!(v["ok"], false, "{v}");
    let first = s(&v["first_bad_event"]);
    assert!(first.contains("recorded head"), "{first}");
    assert!(first.contains("removed from the end"), "{first}");
    let (code, out, _) = ws.run(["check"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("FAILED: audit event #7") && out.contains("recorded head"),
        "{out}"
    );

    // A deleted event in the middle breaks the sequence.
    let ws = tampered(
        &t,
        "DROP TRIGGER events_append_only_delete; DELETE FROM events WHERE seq = 4;",
    );
    let (v, _) = check_fails_at(&ws, 5);
    assert!(
        s(&v["first_bad_event"]).contains("expected event #4 here, found #5"),
        "{v}"
    );
}

#[test]
fn a_dropped_guard_trigger_is_reported_by_check() {
    // With the triggers in place, hand edits are refused outright.
    let t = template();
    let ws = Ws::copy_of(&t.ws);
    let conn = sqlite(&ws.db());
    for sql in [
        "UPDATE events SET payload = 'x' WHERE seq = 5",
        "DELETE FROM events WHERE seq = 8",
        "UPDATE revisions SET message = 'x'",
        "DELETE FROM blobs",
    ] {
        let err = conn.execute(sql, []).unwrap_err().to_string();
        assert!(
            err.contains("append-only")
                || err.contains("immutable")
                || err.contains("never deleted"),
            "{sql}: {err}"
        );
    }
    drop(conn);
    assert_eq!(ws.events(), 8);

    for trigger in countersign_store::GUARD_TRIGGERS {
        let ws = tampered(&t, &format!("DROP TRIGGER {trigger};"));
        let v = ws.check();
        assert_eq!(v["ok"], false, "{trigger}: {v}");
        assert_eq!(
            v["first_bad_event"],
            Value::Null,
            "the chain itself is intact"
        );
        assert_eq!(v["events_verified"], 8);
        let problems: Vec<&str> = v["problems"].as_array().unwrap().iter().map(s).collect();
        assert_eq!(
            problems,
            [format!("the guard trigger `{trigger}` has been removed")]
        );
        let (code, out, _) = ws.run(["check"]);
        assert_eq!(code, 1);
        assert!(
            out.contains(&format!(
                "FAILED: the guard trigger `{trigger}` has been removed"
            )),
            "{out}"
        );
    }
}

#[test]
fn a_write_after_the_tail_was_cut_is_refused_so_the_cut_stays_visible() {
    // The attacker deletes the last event and puts the trigger back. An ordinary write must not
    // append after the cut (which would record a new head and hide it from `check`).
    let t = template();
    let ws = tampered(
        &t,
        "DROP TRIGGER events_append_only_delete;
         DELETE FROM events WHERE seq = 8;
         CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
         BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;",
    );
    let v = ws.check();
    assert_eq!(v["ok"], false);
    assert_eq!(v["problems"], serde_json::json!([]), "the trigger is back");
    let before = dump_db(&ws.db());

    let owner = t.owner.clone();
    let err = ws.fails(
        2,
        ["packet", "new", "--title", "Cover-up", "--owner", &owner],
    );
    assert!(err.contains("recorded head is not its last event"), "{err}");
    assert!(err.contains("countersign check"), "{err}");
    assert!(
        dump_db(&ws.db()) == before,
        "nothing may be written after a cut"
    );
    let v = ws.check();
    assert_eq!(v["ok"], false, "the cut must stay visible: {v}");
    assert!(s(&v["first_bad_event"]).contains("recorded head"), "{v}");
}
