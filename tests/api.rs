//! The API façade used directly, with a fixed clock, a seeded generator and cheap key derivation.

use std::path::Path;
use std::sync::Arc;

use countersign_api::{
    ApiError, Deps, ErrorClass, FixedClock, FixedPassphrase, IdentityKind, KdfParams, LedgerAction,
    MAX_CONTENT_BYTES, Role, Timestamp, Workspace,
};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

use crate::common::{sha256, shared_first_char, sqlite};

const START: &str = "2026-11-21T10:00:00Z";

fn deps(seed: u64, passphrase: &str) -> Deps {
    Deps {
        clock: Arc::new(FixedClock::new(Timestamp::parse(START).unwrap(), 1)),
        rng: Box::new(ChaCha20Rng::seed_from_u64(seed)),
        passphrases: Box::new(FixedPassphrase(passphrase.to_owned())),
        kdf: KdfParams {
            m_cost_kib: 64,
            t_cost: 1,
            p_cost: 1,
        },
    }
}

/// The code and class of a failure.
fn failure<T: std::fmt::Debug>(r: Result<T, ApiError>) -> (&'static str, ErrorClass) {
    let e = r.expect_err("expected a failure");
    assert!(!e.to_string().is_empty());
    (e.code(), e.class())
}

fn events(ws: &Workspace) -> u64 {
    let report = ws.check().unwrap();
    assert!(report.ok, "{report:?}");
    report.events_verified
}

/// Everything a scripted session made, by id.
#[derive(Debug, PartialEq, Eq)]
struct Made {
    identities: Vec<String>,
    packet: String,
    revisions: Vec<String>,
    objection: String,
    thread: String,
    event_hashes: Vec<(String, Option<String>)>,
}

fn script(dir: &Path, seed: u64) -> Made {
    let mut ws = Workspace::init(dir, deps(seed, "pw")).unwrap();
    let owner = ws
        .identity_add(
            "Priya Raman",
            &[Role::ReleaseOwner, Role::Author],
            IdentityKind::Human,
        )
        .unwrap()
        .id;
    let dana = ws
        .identity_add("Dana Okafor", &[Role::Legal], IdentityKind::Human)
        .unwrap()
        .id;
    let packet = ws.packet_new("Outage disclosure", &owner).unwrap().id;
    let r1 = ws
        .packet_revise(&packet, b"Service was fully restored.\n", &owner, "first")
        .unwrap()
        .id;
    let (objection, _) = ws
        .objection_raise(
            &packet,
            &r1,
            "fully restored",
            1,
            "Contradicted by the backfill.",
            &dana,
            true,
        )
        .unwrap();
    let (thread, _) = ws
        .comment_add(&packet, &r1, "Service", 1, "Which service?", &dana)
        .unwrap();
    let r2 = ws
        .packet_revise(&packet, b"Service was restored.\n", &dana, "reword")
        .unwrap()
        .id;
    ws.objection_move(&objection, LedgerAction::Resolve, &dana, Some("reworded"))
        .unwrap();
    let r3 = ws
        .packet_revise(&packet, b"Service was fully restored.\r\n", &owner, "back")
        .unwrap()
        .id;
    assert_eq!(events(&ws), 10);
    let event_hashes = sqlite(&dir.join(countersign_store::DB_FILE))
        .prepare("SELECT hash, signature FROM events ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    Made {
        identities: vec![owner, dana],
        packet,
        revisions: vec![r1, r2, r3],
        objection,
        thread,
        event_hashes,
    }
}

#[test]
fn the_same_seed_and_clock_give_identical_ids_revisions_and_audit_chain() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let first = script(a.path(), 42);
    let second = script(b.path(), 42);
    assert_eq!(first, second);
    assert_eq!(first.revisions.len(), 3);
    assert_ne!(
        first.revisions[0], first.revisions[2],
        "earlier wording again is a new revision"
    );

    let other = script(c.path(), 43);
    assert_ne!(other.packet, first.packet);
    assert_ne!(other.identities, first.identities);
    for (x, y) in other.revisions.iter().zip(&first.revisions) {
        assert_ne!(x, y, "revision ids depend on the packet and the author");
    }

    // The log reads the same, and content digests depend only on the normalized content.
    let ws = Workspace::open(a.path(), deps(7, "pw")).unwrap();
    let log = ws.packet_log(&first.packet).unwrap();
    assert_eq!(log.len(), 3);
    assert_eq!(
        log[0].content_digest,
        sha256(b"Service was fully restored.\n")
    );
    assert_eq!(log[0].content_digest, log[2].content_digest);
    let start = Timestamp::parse(START).unwrap();
    assert!(
        log[2].created_at > start && log[2].created_at < start.plus_millis(100),
        "the fixed clock"
    );
    assert!(log[0].created_at > log[1].created_at && log[1].created_at > log[2].created_at);
    assert_eq!(log[2].message, "first");
    assert_eq!(log[0].parents, vec![first.revisions[1].clone()]);
}

#[test]
fn api_errors_carry_stable_codes_and_classes_and_write_nothing() {
    use ErrorClass::{BadInput, Refused};
    let dir = tempfile::tempdir().unwrap();
    let mut ws = Workspace::init(dir.path(), deps(1, "pw")).unwrap();
    let owner = ws
        .identity_add("Priya Raman", &[Role::ReleaseOwner], IdentityKind::Human)
        .unwrap()
        .id;
    let dana = ws
        .identity_add("Dana Okafor", &[Role::Legal], IdentityKind::Human)
        .unwrap()
        .id;
    let agent = ws
        .identity_add("Chronology Agent", &[Role::Author], IdentityKind::Agent)
        .unwrap()
        .id;
    let packet = ws.packet_new("Outage disclosure", &owner).unwrap().id;
    let agents_packet = ws.packet_new("Agent-owned", &agent).unwrap().id;
    let r1 = ws
        .packet_revise(&packet, b"Service was restored.\n", &owner, "")
        .unwrap()
        .id;
    let ar1 = ws
        .packet_revise(&agents_packet, b"Timeline.\n", &agent, "")
        .unwrap()
        .id;
    let (o, _) = ws
        .objection_raise(&packet, &r1, "restored", 1, "Not yet.", &dana, false)
        .unwrap();
    let (ao, _) = ws
        .objection_raise(
            &agents_packet,
            &ar1,
            "Timeline",
            1,
            "Which one?",
            &dana,
            false,
        )
        .unwrap();
    let mut ids = vec![owner.clone(), dana.clone(), agent.clone()];
    while shared_first_char(&ids).is_none() {
        let name = format!("Reviewer {}", ids.len());
        ids.push(
            ws.identity_add(&name, &[Role::Reviewer], IdentityKind::Human)
                .unwrap()
                .id,
        );
    }
    let (c, _, _) = shared_first_char(&ids).unwrap();
    let before = events(&ws);

    let unknown = "0123456789abcdef0123456789abcdef";
    assert_eq!(failure(ws.packet_log(unknown)), ("not_found", BadInput));
    assert_eq!(
        failure(ws.packet_show(&packet, Some("sha256:0123456789abcdef0123"))),
        ("not_found", BadInput)
    );
    assert_eq!(
        failure(ws.packet_new("T", &c.to_string())),
        ("ambiguous_id", BadInput)
    );
    assert_eq!(
        failure(ws.packet_revise(&packet, b"Service was restored.\r\n", &owner, "")),
        ("no_change", Refused)
    );
    assert_eq!(
        failure(ws.objection_move(&o, LedgerAction::Accept, &dana, Some("fine"))),
        ("not_owner", Refused)
    );
    assert_eq!(
        failure(ws.objection_move(&ao, LedgerAction::Accept, &agent, Some("fine"))),
        ("agent_refused", Refused)
    );
    assert_eq!(
        failure(ws.objection_move(&o, LedgerAction::Reopen, &dana, Some("why"))),
        ("illegal_transition", Refused)
    );
    assert_eq!(
        failure(ws.comment_add(&packet, &r1, "fully restored", 1, "b", &dana)),
        ("quote_not_found", BadInput)
    );
    assert_eq!(
        failure(ws.packet_revise(&packet, b"caf\xe9\n", &owner, "")),
        ("not_utf8", BadInput)
    );
    let big = vec![b'a'; MAX_CONTENT_BYTES + 1];
    assert_eq!(
        failure(ws.packet_revise(&packet, &big, &owner, "")),
        ("too_large", BadInput)
    );
    let big_file = dir.path().join("big.md");
    std::fs::write(&big_file, &big).unwrap();
    drop(big);
    assert_eq!(
        failure(countersign_api::read_input_file(&big_file)),
        ("too_large", BadInput)
    );
    assert_eq!(
        failure(ws.packet_new(" \t ", &owner)),
        ("bad_name", BadInput)
    );
    assert_eq!(
        failure(ws.identity_add("", &[Role::Author], IdentityKind::Human)),
        ("bad_name", BadInput)
    );
    assert_eq!(
        failure("boss".parse::<Role>().map_err(ApiError::from)),
        ("unknown_role", BadInput)
    );
    assert_eq!(events(&ws), before, "failures write nothing");
    assert_eq!(
        ws.objection_list(&packet, None).unwrap()[0].status.as_str(),
        "open"
    );
    drop(ws);

    // A wrong passphrase (keys are unlocked once per session, so open a new one).
    let mut wrong = Workspace::open(dir.path(), deps(2, "not pw")).unwrap();
    assert_eq!(
        failure(wrong.packet_new("T", &owner)),
        ("wrong_passphrase", BadInput)
    );
    assert_eq!(events(&wrong), before);
    drop(wrong);

    assert_eq!(
        failure(Workspace::init(dir.path(), deps(3, "pw"))),
        ("workspace_exists", BadInput)
    );
    let empty = tempfile::tempdir().unwrap();
    assert_eq!(
        failure(Workspace::open(empty.path(), deps(3, "pw"))),
        ("not_a_workspace", BadInput)
    );

    let db = dir.path().join(countersign_store::DB_FILE);
    sqlite(&db)
        .pragma_update(None, "user_version", 999)
        .unwrap();
    assert_eq!(
        failure(Workspace::open(dir.path(), deps(3, "pw"))),
        ("newer_schema", BadInput)
    );
    std::fs::write(&db, vec![0x5a; 4096]).unwrap();
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    assert_eq!(
        failure(Workspace::open(dir.path(), deps(3, "pw"))),
        ("not_a_workspace_file", BadInput)
    );
}
