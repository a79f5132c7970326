//! Sync scenarios, each run through a shared folder (`cli_sync`) and through a real
//! S3-compatible server (`cli_sync_s3`, when `scripts/s3-test` has started one). Replicas are
//! separate workspaces driven through the `countersign` binary.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use bytes::Bytes;
use countersign_core::Timestamp;
use countersign_core::audit::Draft;
use countersign_sync::{Batch, Remote, S3Spec, TargetSpec, TransferOptions};
use serde_json::Value;
use tempfile::TempDir;

use crate::common::*;

/// Where the replicas meet.
pub enum Place {
    /// A shared folder.
    Folder(TempDir),
    /// A bucket and a prefix of its own at an S3-compatible endpoint.
    S3 {
        /// Bucket.
        bucket: String,
        /// Prefix, unique to the test.
        prefix: String,
        /// Endpoint URL.
        endpoint: String,
    },
}

fn random_hex(n: usize) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::new();
    while out.len() < n {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos(),
        );
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out.truncate(n);
    out
}

impl Place {
    /// A fresh shared folder.
    pub fn folder() -> Place {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("shared")).unwrap();
        Place::Folder(tmp)
    }

    /// A fresh prefix in the test bucket, when a server was started for the tests.
    pub fn s3() -> Option<Place> {
        let endpoint = std::env::var("COUNTERSIGN_TEST_S3_ENDPOINT").ok()?;
        let bucket =
            std::env::var("COUNTERSIGN_TEST_S3_BUCKET").unwrap_or_else(|_| "countersign".into());
        Some(Place::S3 {
            bucket,
            prefix: format!("test-{}", random_hex(16)),
            endpoint,
        })
    }

    /// The folder (folder places only).
    pub fn dir(&self) -> std::path::PathBuf {
        match self {
            Place::Folder(t) => t.path().join("shared"),
            Place::S3 { .. } => panic!("not a folder"),
        }
    }

    /// The command-line arguments naming it.
    pub fn args(&self) -> Vec<String> {
        match self {
            Place::Folder(_) => vec!["--folder".into(), self.dir().display().to_string()],
            Place::S3 {
                bucket,
                prefix,
                endpoint,
            } => vec![
                "--s3".into(),
                format!("s3://{bucket}/{prefix}"),
                "--endpoint".into(),
                endpoint.clone(),
            ],
        }
    }

    /// As a target spec.
    pub fn spec(&self) -> TargetSpec {
        match self {
            Place::Folder(_) => TargetSpec::folder(&self.dir()),
            Place::S3 {
                bucket,
                prefix,
                endpoint,
            } => TargetSpec::S3(
                S3Spec::parse(&format!("s3://{bucket}/{prefix}"), Some(endpoint), None).unwrap(),
            ),
        }
    }

    /// Raw access, as another program (or an attacker) with write access would have.
    pub fn remote(&self) -> Remote {
        Remote::open(&self.spec(), TransferOptions::from_env()).unwrap()
    }

    /// Every path there.
    pub fn listing(&self) -> Vec<(String, u64)> {
        self.remote()
            .list_all()
            .unwrap()
            .into_iter()
            .filter(|(p, _)| !p.starts_with("probe/"))
            .collect()
    }

    /// The batch paths of one replica's log.
    pub fn logs_of(&self, replica: &str) -> Vec<String> {
        self.listing()
            .into_iter()
            .map(|(p, _)| p)
            .filter(|p| p.starts_with(&format!("logs/{replica}/")))
            .collect()
    }
}

/// `sync` once with `--json`; returns the report.
pub fn sync(ws: &Ws, place: &Place) -> Value {
    let mut args = vec!["sync".to_owned()];
    args.extend(place.args());
    ws.json(&args)
}

/// A new replica joined from `place`.
pub fn join(place: &Place) -> Ws {
    let ws = Ws::empty();
    let mut args = vec!["--json".to_owned(), "join".to_owned()];
    args.extend(place.args());
    let (code, out, err) = ws.run(&args);
    assert_eq!(code, 0, "join failed: {err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_hex(s(&v["replica"]), 32);
    ws
}

/// `state-digest`.
pub fn digest(ws: &Ws) -> String {
    let d = ws.ok(["state-digest"]).trim().to_owned();
    assert_digest(&d);
    d
}

/// This replica's id.
pub fn replica_of(ws: &Ws) -> String {
    s(&ws.json(["sync", "status"])["replica"]).to_owned()
}

/// Sync every replica in turn, `rounds` times.
pub fn sync_all(replicas: &[&Ws], place: &Place, rounds: usize) {
    for _ in 0..rounds {
        for ws in replicas {
            sync(ws, place);
        }
    }
}

/// Every row of a workspace but the sync bookkeeping (which records when each pass ran).
pub fn content_dump(ws: &Ws) -> String {
    let mut keep = true;
    dump_db(&ws.db())
        .lines()
        .filter(|l| {
            if let Some(t) = l.strip_prefix("## ") {
                keep = !t.starts_with("sync_");
            }
            keep
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every replica has the same state digest, and `check` passes on each.
pub fn assert_agree(replicas: &[&Ws]) -> String {
    let first = digest(replicas[0]);
    for ws in replicas {
        assert_eq!(digest(ws), first, "the replicas' state digests differ");
        assert_eq!(ws.check()["ok"], true, "check fails on a replica");
    }
    first
}

/// The ids a replica holds, by kind: identities, packets, revisions, threads (with message
/// counts), objections (with history lengths), evidence digests.
pub fn holdings(ws: &Ws) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for i in array(ws.json(["identity", "list"])) {
        out.insert(format!("identity {}", s(&i["id"])));
    }
    for p in array(ws.json(["packet", "list"])) {
        let pid = s(&p["id"]).to_owned();
        out.insert(format!("packet {pid}"));
        for r in ws.log(&pid) {
            out.insert(format!("revision {}", s(&r["id"])));
        }
        if p["revisions"].as_u64().unwrap_or(0) == 0 {
            continue;
        }
        for t in ws.threads(&pid, None) {
            out.insert(format!("thread {}", s(&t["id"])));
            for m in t["messages"].as_array().unwrap() {
                out.insert(format!("message {} {}", s(&t["id"]), s(&m["body"])));
            }
        }
        for o in ws.objections(&pid, None) {
            out.insert(format!("objection {} {}", s(&o["id"]), s(&o["status"])));
            for h in o["history"].as_array().unwrap() {
                out.insert(format!(
                    "ledger {} {} {}",
                    s(&o["id"]),
                    s(&h["action"]),
                    s(&h["at"])
                ));
            }
        }
        for e in array(ws.json(["evidence", "list", &pid])) {
            for v in e["history"].as_array().unwrap() {
                out.insert(format!("evidence {} {}", s(&e["id"]), s(&v["digest"])));
            }
        }
    }
    out
}

/// Everything `mine` holds, `other` holds too.
pub fn assert_holds_all(other: &Ws, mine: &BTreeSet<String>) {
    let theirs = holdings(other);
    let missing: Vec<_> = mine.difference(&theirs).collect();
    assert!(
        missing.is_empty(),
        "missing on the other replica: {missing:?}"
    );
}

fn file(ws: &Ws, name: &str, bytes: &[u8]) -> String {
    let p = ws.root().join("files").join(name);
    std::fs::write(&p, bytes).unwrap();
    p.display().to_string()
}

/// Two replicas work apart (comments, objections, evidence, a blocking objection, a signed
/// release with approvals made on both), meet, and end with the same state; nothing either
/// wrote is missing; syncing again changes nothing.
pub fn two_replicas(place: &Place) {
    let a = Ws::init();
    let owner = a.identity("Priya Raman", &["release-owner", "author", "admin"]);
    let packet = a.packet("Outage disclosure", &owner);
    let r1 = a.revise(
        &packet,
        "The ledger sync service was fully restored at 14:05 UTC.\n",
        &owner,
    );
    let first = sync(&a, place);
    assert_eq!(first["pushed"]["ops"], 4, "{first}");
    assert_eq!(first["quarantined"], serde_json::json!([]));

    let b = join(place);
    assert_eq!(digest(&a), digest(&b));
    let legal = b.identity("Dana Okafor", &["legal", "approver"]);

    // Apart: each replica works on its own.
    let c1 = a.comment(&packet, &r1, "14:05 UTC", &owner);
    let ev = file(&a, "timeline.csv", b"time,event\n14:05,restored\n");
    a.ok([
        "evidence",
        "add",
        &packet,
        "--source",
        "incident timeline",
        "--file",
        &ev,
    ]);
    let o1 = b.raise(&packet, &r1, "fully restored", &legal, false);
    let c2 = b.comment(&packet, &r1, "ledger sync", &legal);
    let r2 = a.revise(
        &packet,
        "The ledger sync service was restored at 14:05 UTC.\n",
        &owner,
    );
    let mine_a = holdings(&a);
    let mine_b = holdings(&b);

    sync_all(&[&a, &b], place, 2);
    assert_agree(&[&a, &b]);
    assert_holds_all(&b, &mine_a);
    assert_holds_all(&a, &mine_b);
    for ws in [&a, &b] {
        let ids: Vec<String> = ws
            .threads(&packet, None)
            .iter()
            .map(|t| s(&t["id"]).to_owned())
            .collect();
        assert!(ids.contains(&c1) && ids.contains(&c2), "{ids:?}");
        assert_eq!(ws.objection(&packet, &o1, None)["status"], "open");
        assert_eq!(ws.log(&packet)[0]["id"], r2.as_str());
    }

    // A reply made on B to A's thread, the owner accepting B's objection on A.
    b.ok([
        "comment", "reply", &c1, "--body", "Agreed.", "--author", &legal,
    ]);
    a.ok([
        "objection",
        "accept",
        &o1,
        "--by",
        &owner,
        "--rationale",
        "Both readings stay visible",
    ]);
    sync_all(&[&a, &b], place, 2);
    assert_agree(&[&a, &b]);

    // A signed release: the policy and the manifest made on A, an approval on B.
    a.ok(["policy", "init", "--admin", &owner]);
    a.ok([
        "policy",
        "lane",
        "add",
        "exec-review",
        "--audience",
        "Executive intake",
        "--owner",
        &owner,
        "--require-role",
        "legal",
        "--threshold",
        "2",
    ]);
    let m = a.created(["manifest", "draft", &packet, "--lane", "exec-review"]);
    sync_all(&[&a, &b], place, 1);
    b.ok(["manifest", "approve", &m, "--as", &legal]);
    sync_all(&[&b, &a], place, 1);
    a.ok(["manifest", "approve", &m, "--as", &owner]);
    a.ok(["release", &packet, "--lane", "exec-review"]);
    sync_all(&[&a, &b], place, 2);
    let d = assert_agree(&[&a, &b]);
    let st = b.json(["manifest", "status", &packet, "--lane", "exec-review"]);
    assert_eq!(st["state"], "released", "{st}");
    assert_eq!(st["approvals"].as_array().unwrap().len(), 2, "{st}");

    // Syncing again moves nothing and changes nothing, here or at the target.
    let listing = place.listing();
    for ws in [&a, &b] {
        let r = sync(ws, place);
        for dir in ["pushed", "pulled"] {
            assert_eq!(r[dir]["ops"], 0, "{r}");
            assert_eq!(r[dir]["objects"], 0, "{r}");
        }
        assert_eq!(s(&r["state_digest"]), d);
        assert_eq!(r["quarantined"], serde_json::json!([]));
    }
    assert_eq!(
        place.listing(),
        listing,
        "a second sync wrote to the target"
    );
    let before = content_dump(&b);
    sync(&b, place);
    assert!(
        content_dump(&b) == before,
        "a second sync changed the workspace"
    );
    assert_eq!(digest(&b), d);
}

/// Three replicas each work apart, then meet.
pub fn three_replicas(place: &Place) {
    let a = Ws::init();
    let owner = a.identity("Priya Raman", &["release-owner", "author"]);
    let packet = a.packet("Outage disclosure", &owner);
    let r1 = a.revise(
        &packet,
        "Service was fully restored.\nAll data is safe.\n",
        &owner,
    );
    sync(&a, place);
    let b = join(place);
    let c = join(place);
    let legal = b.identity("Dana Okafor", &["legal"]);
    let support = c.identity("Jonas Whitfield", &["reviewer"]);
    sync_all(&[&b, &c, &a, &b, &c], place, 1);
    assert_agree(&[&a, &b, &c]);

    // Apart.
    a.revise(
        &packet,
        "Service was restored.\nAll data is safe.\n",
        &owner,
    );
    let other = a.packet("Customer FAQ", &owner);
    b.raise(&packet, &r1, "fully restored", &legal, true);
    b.comment(&packet, &r1, "All data", &legal);
    c.comment(&packet, &r1, "data is safe", &support);
    let ev = file(&c, "cases.md", b"# Cases\n12 open\n");
    c.ok([
        "evidence",
        "add",
        &packet,
        "--source",
        "case management",
        "--file",
        &ev,
        "--by",
        &support,
    ]);
    let mine: Vec<BTreeSet<String>> = [&a, &b, &c].iter().map(|w| holdings(w)).collect();

    sync_all(&[&a, &b, &c], place, 2);
    assert_agree(&[&a, &b, &c]);
    for ws in [&a, &b, &c] {
        for m in &mine {
            assert_holds_all(ws, m);
        }
        assert!(holdings(ws).contains(&format!("packet {other}")));
        assert_eq!(ws.threads(&packet, None).len(), 2);
    }
}

/// Concurrent revisions of one packet: both replicas see it diverged with both heads kept; a
/// plain revision is refused; the owner merges; everyone agrees.
pub fn divergence(place: &Place) {
    let a = Ws::init();
    let owner = a.identity("Priya Raman", &["release-owner", "author"]);
    let packet = a.packet("Outage disclosure", &owner);
    let r1 = a.revise(&packet, "Service was fully restored.\n", &owner);
    sync(&a, place);
    let b = join(place);
    let writer = b.identity("Marcus Ellery", &["author"]);

    let ra = a.revise(&packet, "Service was restored at 14:05.\n", &owner);
    let rb = b.revise(&packet, "Service was mostly restored.\n", &writer);
    sync_all(&[&a, &b, &a], place, 1);
    assert_agree(&[&a, &b]);
    for ws in [&a, &b] {
        let p = array(ws.json(["packet", "list"])).remove(0);
        assert_eq!(p["diverged"], true, "{p}");
        let heads: BTreeSet<&str> = p["heads"].as_array().unwrap().iter().map(s).collect();
        assert_eq!(heads, BTreeSet::from([ra.as_str(), rb.as_str()]), "{p}");
        let st = ws.json(["sync", "status"]);
        assert_eq!(st["diverged"].as_array().unwrap().len(), 1, "{st}");
        // Both are kept, each with its own content.
        let log: Vec<String> = ws
            .log(&packet)
            .iter()
            .map(|r| s(&r["id"]).to_owned())
            .collect();
        assert!(
            log.contains(&ra) && log.contains(&rb) && log.contains(&r1),
            "{log:?}"
        );
        let heads_listed = array(ws.json(["packet", "heads", &packet]));
        assert_eq!(heads_listed.len(), 2);
    }
    let text = b.ok(["sync"]);
    assert!(text.contains("diverged"), "{text}");

    // A plain revision would pick a side: refused, saying how to merge.
    let f = b.file("Service was restored.\n");
    let f = f.display().to_string();
    let code = b.fails_code(
        1,
        [
            "packet", "revise", &packet, "--file", &f, "--author", &writer,
        ],
    );
    assert_eq!(code, "diverged");
    let err = b.fails(
        1,
        [
            "packet", "revise", &packet, "--file", &f, "--author", &writer,
        ],
    );
    assert!(err.contains("--merge"), "{err}");
    // Only the owner merges.
    let code = b.fails_code(
        1,
        [
            "packet", "revise", &packet, "--file", &f, "--author", &writer, "--merge",
        ],
    );
    assert_eq!(code, "not_permitted");

    let fa = a.file("Service was restored at 14:05, mostly.\n");
    let merged = a.created([
        "packet".as_ref(),
        "revise".as_ref(),
        packet.as_str().as_ref(),
        "--file".as_ref(),
        fa.as_os_str(),
        "--author".as_ref(),
        owner.as_str().as_ref(),
        "--merge".as_ref(),
        "--message".as_ref(),
        "Merge both wordings".as_ref(),
    ]);
    sync_all(&[&a, &b], place, 1);
    assert_agree(&[&a, &b]);
    for ws in [&a, &b] {
        let p = array(ws.json(["packet", "list"])).remove(0);
        assert_eq!(p["diverged"], false, "{p}");
        assert_eq!(p["head"], merged.as_str());
        let top = ws.log(&packet).remove(0);
        assert_eq!(top["id"], merged.as_str());
        let parents: BTreeSet<&str> = top["parents"].as_array().unwrap().iter().map(s).collect();
        assert_eq!(parents, BTreeSet::from([ra.as_str(), rb.as_str()]));
    }
    // Not diverged any more: --merge is refused, a plain revision works again.
    assert_eq!(
        a.fails_code(
            1,
            [
                "packet", "revise", &packet, "--file", &f, "--author", &owner, "--merge"
            ]
        ),
        "not_diverged"
    );
    b.revise(&packet, "Service was restored.\n", &writer);
}

/// An objection moved on two replicas at once: both moves are kept, the later one (in the
/// merged order) marked as a conflict, on every replica alike.
pub fn ledger_conflict(place: &Place) {
    let a = Ws::init();
    let owner = a.identity("Priya Raman", &["release-owner", "author"]);
    let packet = a.packet("Outage disclosure", &owner);
    let r1 = a.revise(&packet, "Service was fully restored.\n", &owner);
    sync(&a, place);
    let b = join(place);
    let legal = b.identity("Dana Okafor", &["legal"]);
    let o = b.raise(&packet, &r1, "fully restored", &legal, true);
    sync_all(&[&b, &a], place, 1);

    a.ok([
        "objection",
        "resolve",
        &o,
        "--by",
        &owner,
        "--note",
        "fixed in r2",
    ]);
    b.ok(["objection", "withdraw", &o, "--by", &legal]);
    sync_all(&[&a, &b, &a], place, 1);
    assert_agree(&[&a, &b]);
    let mut statuses = BTreeSet::new();
    for ws in [&a, &b] {
        let v = ws.objection(&packet, &o, None);
        statuses.insert(s(&v["status"]).to_owned());
        let history = v["history"].as_array().unwrap();
        assert_eq!(history.len(), 2, "both moves are kept: {v}");
        let conflicts: Vec<_> = history
            .iter()
            .filter(|h| !h["conflict"].is_null())
            .collect();
        assert_eq!(conflicts.len(), 1, "one move is marked as a conflict: {v}");
        assert!(
            s(&conflicts[0]["conflict"]).contains("another replica"),
            "{v}"
        );
        let st = ws.json(["sync", "status"]);
        let kinds: Vec<&str> = st["conflicts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| s(&c["kind"]))
            .collect();
        assert_eq!(kinds, ["ledger"], "{st}");
        let text = ws.ok(["objection", "list", &packet]);
        assert!(text.to_lowercase().contains("conflict"), "{text}");
    }
    assert_eq!(statuses.len(), 1, "the replicas agree on the status");
}

/// A forged batch signed with a fresh key in the name of `signer`, at `number` of `replica`'s
/// log, continuing from `prev` (position `seq`).
#[allow(clippy::too_many_arguments)]
fn forged_batch(
    workspace: &str,
    replica: &str,
    number: u64,
    actor: &str,
    seq: u64,
    lamport: u64,
    prev: Option<countersign_core::Digest>,
    kind: &str,
    payload: &str,
    key: &countersign_signing::SigningKey,
) -> Vec<u8> {
    let mut e = Draft {
        actor: Some(actor.to_owned()),
        at: Timestamp::parse("2026-11-21T10:00:00Z").unwrap(),
        kind: kind.to_owned(),
        payload: payload.to_owned(),
    }
    .seal(replica, seq, lamport, prev);
    e.signature = Some(hex_of(&countersign_signing::sign(
        key,
        e.hash.as_str().as_bytes(),
    )));
    let mut b = Batch::new(workspace, replica, number, Some(actor), &[e], vec![]);
    b.sign(key);
    b.to_bytes()
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn fresh_key(seed: u8) -> countersign_signing::SigningKey {
    countersign_signing::SigningKey::from_bytes(&[seed; 32])
}

/// An identity's signing key, unsealed from a replica's workspace (as its holder could).
pub fn sealed_key_of(ws: &Ws, id: &str) -> countersign_signing::SigningKey {
    let sealed: String = sqlite(&ws.db())
        .query_row(
            "SELECT sealed_key FROM identities WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap();
    let sealed: countersign_signing::SealedKey = serde_json::from_str(&sealed).unwrap();
    countersign_signing::unseal(
        &sealed,
        &countersign_signing::Passphrase::new(PASSPHRASE.to_owned()),
    )
    .unwrap()
}

/// A replica's last event: (position, hash, Lamport clock).
pub fn head_of(ws: &Ws, replica: &str) -> (u64, countersign_core::Digest, u64) {
    let (seq, hash, lamport) = sqlite(&ws.db())
        .query_row(
            "SELECT replica_seq, hash, lamport FROM events WHERE replica = ?1
             ORDER BY replica_seq DESC LIMIT 1",
            [replica],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            },
        )
        .unwrap();
    (
        seq as u64,
        countersign_core::Digest::parse(&hash).unwrap(),
        lamport as u64,
    )
}

/// The `sync status` conflicts of one kind: (subject, detail).
pub fn conflicts_of(ws: &Ws, kind: &str) -> Vec<(String, String)> {
    array(ws.json(["sync", "status"])["conflicts"].clone())
        .iter()
        .filter(|c| c["kind"] == kind)
        .map(|c| (s(&c["subject"]).to_owned(), s(&c["detail"]).to_owned()))
        .collect()
}

/// A key revoked on one replica while another, apart, still used it: what the other made
/// before it knew applies on every replica and is flagged for review on every replica; the
/// replicas agree; what is made with the key once its replica knows of the revocation is
/// refused where it is made, and quarantined by every replica if it is pushed anyway.
pub fn revoked_concurrently(place: &Place) {
    let a = Ws::init();
    let owner = a.identity("Priya Raman", &["release-owner", "author", "admin"]);
    let packet = a.packet("Outage disclosure", &owner);
    let r1 = a.revise(
        &packet,
        "The ledger sync service was fully restored at 14:05 UTC.\n",
        &owner,
    );
    sync(&a, place);
    let b = join(place);
    let dana = b.identity("Dana Okafor", &["legal", "approver"]);
    sync_all(&[&b, &a], place, 1);
    a.ok(["policy", "init", "--admin", &owner]);
    a.ok([
        "policy",
        "lane",
        "add",
        "exec-review",
        "--audience",
        "Executive intake",
        "--owner",
        &owner,
        "--require-role",
        "legal",
        "--threshold",
        "2",
    ]);
    let m = a.created(["manifest", "draft", &packet, "--lane", "exec-review"]);
    sync_all(&[&a, &b], place, 1);
    assert_agree(&[&a, &b]);
    let ra = replica_of(&a);
    let rb = replica_of(&b);

    // Apart: A revokes Dana's key; B, offline, has Dana object and approve.
    a.ok(["policy", "revoke", &dana, "--by", &owner]);
    let o = b.raise(&packet, &r1, "fully restored", &dana, false);
    b.ok(["manifest", "approve", &m, "--as", &dana]);
    let ops_before = holdings(&b);

    sync_all(&[&a, &b, &a], place, 1);
    let d = assert_agree(&[&a, &b]);
    assert_holds_all(&a, &ops_before);
    for ws in [&a, &b] {
        let r = sync(ws, place);
        assert_eq!(r["quarantined"], serde_json::json!([]), "{r}");
        assert_eq!(s(&r["state_digest"]), d);
        // Both of Dana's operations are flagged, on both replicas alike, naming the key, the
        // identity and the replica that revoked it.
        let flagged = conflicts_of(ws, "revoked_concurrently");
        assert_eq!(flagged.len(), 2, "{flagged:?}");
        let reported = array(r["conflicts"].clone())
            .iter()
            .filter(|c| c["kind"] == "revoked_concurrently")
            .count();
        assert_eq!(reported, 2, "the pass reports them too: {r}");
        for (subject, detail) in &flagged {
            assert_eq!(subject, &dana);
            assert!(detail.contains("Dana Okafor"), "{detail}");
            assert!(detail.contains(bare(&dana).get(..12).unwrap()), "{detail}");
            assert!(detail.contains(&ra[..12]), "{detail}");
        }
        assert!(
            flagged
                .iter()
                .any(|(_, d)| d.starts_with("objection.raised"))
        );
        assert!(
            flagged
                .iter()
                .any(|(_, d)| d.starts_with("manifest.approve") && d.contains(&bare(&m)[..12])),
            "{flagged:?}"
        );
        let text = ws.ok(["sync", "status"]);
        assert!(text.contains("conflict (revoked_concurrently)"), "{text}");
        // The objection stands; the approval is listed but counts for nothing.
        assert_eq!(ws.objection(&packet, &o, None)["status"], "open");
        let st = ws.json(["manifest", "status", &packet, "--lane", "exec-review"]);
        assert!(
            array(st["approvals"].clone())
                .iter()
                .any(|x| x["signer"] == dana.as_str()),
            "{st}"
        );
        assert_ne!(st["state"], "approved", "{st}");
        assert_ne!(st["state"], "released", "{st}");
    }
    let flagged_a = conflicts_of(&a, "revoked_concurrently");
    assert_eq!(flagged_a, conflicts_of(&b, "revoked_concurrently"));

    // B has the revocation now: Dana's key signs nothing more there.
    let err = b.fails(
        1,
        [
            "comment",
            "add",
            &packet,
            "--revision",
            &r1,
            "--quote",
            "14:05",
            "--body",
            "Still here.",
            "--author",
            &dana,
        ],
    );
    assert!(err.contains("revoked"), "{err}");

    // Pushed anyway (by a replica that ignores the rule): an operation by Dana's key made
    // after B had applied the revocation is quarantined by every replica.
    let workspace = s(&a.json(["sync", "status"])["workspace"]).to_owned();
    let (seq, prev, _) = head_of(&b, &rb);
    let (a_seq, _, a_lamport) = head_of(&b, &ra);
    let (_, _, top) = head_of(&b, &rb);
    let key = sealed_key_of(&b, &dana);
    let mut e = Draft {
        actor: Some(dana.clone()),
        at: Timestamp::parse("2026-11-21T10:00:00Z").unwrap(),
        kind: "comment.opened".to_owned(),
        payload: "{}".to_owned(),
    }
    .seal(&rb, seq + 1, a_lamport.max(top) + 1, Some(prev));
    e.signature = Some(hex_of(&countersign_signing::sign(
        &key,
        e.hash.as_str().as_bytes(),
    )));
    let number = place.logs_of(&rb).len() as u64 + 1;
    let mut batch = Batch::new(&workspace, &rb, number, Some(&dana), &[e], vec![]);
    batch.seen = Some(std::collections::BTreeMap::from([(ra.clone(), a_seq)]));
    batch.sign(&key);
    let path = format!("logs/{rb}/{number:012}");
    place
        .remote()
        .put_raw(&path, Bytes::from(batch.to_bytes()))
        .unwrap();
    let c = join(place);
    for ws in [&a, &c] {
        let r = sync(ws, place);
        let q: Vec<(&str, &str)> = r["quarantined"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| (s(&q["object"]), s(&q["reason"])))
            .collect();
        assert_eq!(q.len(), 1, "{r}");
        assert_eq!(q[0].0, path, "{r}");
        assert!(
            q[0].1.contains("revoked key") && q[0].1.contains("had applied"),
            "{r}"
        );
    }
    assert_eq!(digest(&c), d);
    assert_agree(&[&a, &b, &c]);
    assert_eq!(conflicts_of(&c, "revoked_concurrently"), flagged_a);
}

/// The first batch of a replica of its own (`replica`): one `packet.created` by `actor` titled
/// `title`, signed by `event_key`, in a batch of `format` signed by `signer` with `signer_key`.
#[allow(clippy::too_many_arguments)]
fn one_event_batch(
    workspace: &str,
    replica: &str,
    actor: &str,
    event_key: &countersign_signing::SigningKey,
    signer: &str,
    signer_key: &countersign_signing::SigningKey,
    format: &str,
    seen: Option<std::collections::BTreeMap<String, u64>>,
    lamport: u64,
    title: &str,
) -> Bytes {
    let mut e = Draft {
        actor: Some(actor.to_owned()),
        at: Timestamp::parse("2026-11-21T10:00:00Z").unwrap(),
        kind: "packet.created".to_owned(),
        payload: format!(
            "{{\"id\":\"{}\",\"title\":\"{title}\",\"owner\":\"{actor}\",\"created_at\":\"2026-11-21T10:00:00.000Z\"}}",
            &replica[..32]
        ),
    }
    .seal(replica, 1, lamport, None);
    e.signature = Some(hex_of(&countersign_signing::sign(
        event_key,
        e.hash.as_str().as_bytes(),
    )));
    let mut b = Batch::new(workspace, replica, 1, Some(signer), &[e], vec![]);
    b.format = format.to_owned();
    b.seen = seen;
    b.sign(signer_key);
    Bytes::from(b.to_bytes())
}

/// A push signs its batches with one key, the pusher's, whoever made the operations; the other
/// replica checks each batch by its signer's key and every operation by its maker's. A batch
/// signed by an unregistered key or by a revoked one, and an operation whose own signature is
/// bad inside a well-signed batch, are quarantined; a batch of the older format, signed by the
/// operations' maker, is still read.
pub fn one_key_pushes(place: &Place) {
    let a = Ws::init();
    let owner = a.identity("Priya Raman", &["release-owner", "author", "admin"]);
    let marcus = a.identity("Marcus Ellery", &["author"]);
    let dana = a.identity("Dana Okafor", &["legal"]);
    let packet = a.packet("Outage disclosure", &owner);
    let r1 = a.revise(&packet, "Service was fully restored.\n", &owner);
    a.comment(&packet, &r1, "Service", &marcus);
    a.raise(&packet, &r1, "fully restored", &dana, false);
    let ra = replica_of(&a);
    let workspace = s(&a.json(["sync", "status"])["workspace"]).to_owned();
    let batches = |replica: &str| -> Vec<Batch> {
        let remote = place.remote();
        place
            .logs_of(replica)
            .iter()
            .map(|path| {
                let number: u64 = path.rsplit('/').next().unwrap().parse().unwrap();
                let bytes = remote.get_raw(path).unwrap().unwrap();
                Batch::parse(&bytes, &workspace, replica, number).unwrap()
            })
            .collect()
    };

    // Pushed as Marcus: his key signs every batch, whoever made what is inside.
    let mut args = vec!["sync".to_owned(), "--as".to_owned(), marcus.clone()];
    args.extend(place.args());
    let r = a.json(&args);
    assert_eq!(r["pending_ops"], 0, "{r}");
    let mut makers = BTreeSet::new();
    for b in batches(&ra) {
        match &b.signer {
            None => assert_eq!(b.events.len(), 1, "only the genesis travels unsigned"),
            Some(signer) => {
                assert_eq!(signer, &marcus);
                assert_eq!(b.format, countersign_sync::batch::BATCH_FORMAT);
                makers.extend(b.events.iter().filter_map(|e| e.actor.clone()));
            }
        }
    }
    assert_eq!(
        makers,
        BTreeSet::from([owner.clone(), marcus.clone(), dana.clone()])
    );
    let b = join(place);
    assert_agree(&[&a, &b]);
    assert_holds_all(&b, &holdings(&a));
    // The default pusher: the first identity made on this replica.
    a.comment(&packet, &r1, "restored", &dana);
    sync(&a, place);
    let last = batches(&ra).pop().unwrap();
    assert_eq!(last.signer.as_deref(), Some(owner.as_str()));
    // Only an identity made here can push.
    let c = join(place);
    let jonas = c.identity("Jonas Whitfield", &["reviewer"]);
    let mut args = vec!["sync".to_owned(), "--as".to_owned(), owner.clone()];
    args.extend(place.args());
    assert!(c.fails(1, &args).contains("not made on this replica"));
    let mut args = vec!["sync".to_owned(), "--as".to_owned(), jonas.clone()];
    args.extend(place.args());
    c.ok(&args);

    // Dana's key is revoked on A; B learns of it.
    a.ok(["policy", "init", "--admin", &owner]);
    a.ok(["policy", "revoke", &dana, "--by", &owner]);
    sync_all(&[&a, &b, &c], place, 1);
    let (a_seq, _, a_lamport) = head_of(&b, &ra);
    let key = |id: &str| sealed_key_of(&a, id);
    let stranger = fresh_key(11);
    let stranger_id = countersign_signing::fingerprint(&stranger.verifying_key());
    let v3 = countersign_sync::batch::BATCH_FORMAT;
    let v1 = countersign_sync::batch::BATCH_FORMAT_V1;
    let seen_a = Some(std::collections::BTreeMap::from([(ra.clone(), a_seq)]));
    let forged = [
        // A good operation, in a batch signed by a key no identity has.
        (
            "c".repeat(32),
            one_event_batch(
                &workspace,
                &"c".repeat(32),
                &marcus,
                &key(&marcus),
                &stranger_id,
                &stranger,
                v3,
                Some(Default::default()),
                a_lamport + 1,
                "Unregistered",
            ),
            "unknown key",
        ),
        // A good operation, in a batch signed by Dana after her replica had the revocation.
        (
            "d".repeat(32),
            one_event_batch(
                &workspace,
                &"d".repeat(32),
                &marcus,
                &key(&marcus),
                &dana,
                &key(&dana),
                v3,
                seen_a.clone(),
                a_lamport + 1,
                "Revoked pusher",
            ),
            "revoked key",
        ),
        // A well-signed batch holding an operation in Priya's name signed with Marcus's key.
        (
            "e".repeat(32),
            one_event_batch(
                &workspace,
                &"e".repeat(32),
                &owner,
                &key(&marcus),
                &marcus,
                &key(&marcus),
                v3,
                seen_a.clone(),
                a_lamport + 1,
                "Forged maker",
            ),
            "does not verify",
        ),
    ];
    let remote = place.remote();
    for (replica, bytes, _) in &forged {
        remote
            .put_raw(&format!("logs/{replica}/000000000001"), bytes.clone())
            .unwrap();
    }
    // A batch of the first format, signed by the operation's maker: still read.
    let older = "f".repeat(32);
    remote
        .put_raw(
            &format!("logs/{older}/000000000001"),
            one_event_batch(
                &workspace,
                &older,
                &marcus,
                &key(&marcus),
                &marcus,
                &key(&marcus),
                v1,
                None,
                a_lamport + 1,
                "From an older version",
            ),
        )
        .unwrap();
    for ws in [&b, &a, &c] {
        let r = sync(ws, place);
        let q: Vec<(String, String)> = r["quarantined"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| (s(&q["object"]).to_owned(), s(&q["reason"]).to_owned()))
            .collect();
        assert_eq!(q.len(), forged.len(), "{q:?}");
        for (replica, _, why) in &forged {
            let path = format!("logs/{replica}/000000000001");
            let (_, reason) = q
                .iter()
                .find(|(p, _)| *p == path)
                .unwrap_or_else(|| panic!("{path} is not quarantined: {q:?}"));
            assert!(reason.contains(why), "{path}: {reason}");
        }
        let titles: BTreeSet<String> = array(ws.json(["packet", "list"]))
            .iter()
            .map(|p| s(&p["title"]).to_owned())
            .collect();
        assert_eq!(
            titles,
            BTreeSet::from([
                "Outage disclosure".to_owned(),
                "From an older version".to_owned()
            ])
        );
    }
    assert_agree(&[&a, &b, &c]);
}

/// An operation waits until the replica applying it holds everything its own replica had
/// applied when it made it (causal delivery): a comment on a revision whose content is damaged
/// at the target waits with the revision, rather than being quarantined for naming a revision
/// not held; once the content is repaired, everything applies and the replicas agree.
pub fn causal_delivery(place: &Place) {
    let a = Ws::init();
    let owner = a.identity("Priya Raman", &["release-owner", "author"]);
    let packet = a.packet("Outage disclosure", &owner);
    a.revise(&packet, "Service was fully restored.\n", &owner);
    sync(&a, place);
    let b = join(place);
    let c = join(place);
    let support = c.identity("Jonas Whitfield", &["reviewer"]);
    sync_all(&[&c, &a, &b], place, 1);
    let text = "Service was restored at 14:05.\n";
    let r2 = a.revise(&packet, text, &owner);
    sync(&a, place);
    sync(&c, place);
    let t = c.comment(&packet, &r2, "14:05", &support);
    sync(&c, place);
    let rc = replica_of(&c);

    // A sync tool cuts A's new content short before B looks.
    let obj = format!(
        "objects/{}",
        countersign_core::Digest::of(text.as_bytes()).hex()
    );
    let remote = place.remote();
    let good = remote.get_raw(&obj).unwrap().unwrap();
    remote.put_raw(&obj, good.slice(..10)).unwrap();
    let r = sync(&b, place);
    let quarantined: Vec<&str> = r["quarantined"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| s(&q["object"]))
        .collect();
    assert_eq!(quarantined, [obj.as_str()], "only the damaged object: {r}");
    let waiting = r["waiting"].as_array().unwrap();
    let cs = waiting
        .iter()
        .find(|w| w["replica"] == rc.as_str())
        .unwrap_or_else(|| panic!("C's comment waits: {r}"));
    assert!(s(&cs["reason"]).contains("had applied"), "{r}");

    // A repairs what it holds; then B applies A's revision and C's comment on it.
    sync(&a, place);
    let r = sync(&b, place);
    assert!(r["waiting"].as_array().unwrap().is_empty(), "{r}");
    assert!(
        b.threads(&packet, None)
            .iter()
            .any(|x| x["id"] == t.as_str())
    );
    sync_all(&[&a, &c], place, 1);
    assert_agree(&[&a, &b, &c]);
}

/// A truncated batch, a forged batch, an op signed by an unknown key and a truncated object are
/// quarantined or held back with a clear report, while the good ops apply; the damaged object is
/// repaired by the replica that holds it, and then everything agrees.
pub fn quarantine(place: &Place) {
    let a = Ws::init();
    let owner = a.identity("Priya Raman", &["release-owner", "author"]);
    let packet = a.packet("Outage disclosure", &owner);
    a.revise(&packet, "Service was fully restored.\n", &owner);
    sync(&a, place);
    let b = join(place);
    let workspace = s(&a.json(["sync", "status"])["workspace"]).to_owned();
    let ra = replica_of(&a);
    let remote = place.remote();
    let logs = place.logs_of(&ra);
    assert_eq!(logs.len(), 2, "{logs:?}");
    let real = remote.get_raw(&logs[1]).unwrap().unwrap();

    // 1. A truncated batch, in a replica log of its own.
    let fake_x = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    remote
        .put_raw(
            &format!("logs/{fake_x}/000000000001"),
            real.slice(..real.len() / 2),
        )
        .unwrap();
    // 2. A forged batch at A's next number, in the name of A's owner, signed by another key.
    let head = a.json(["sync", "status"])["local_ops"].as_u64().unwrap();
    let held = sqlite(&a.db())
        .query_row(
            "SELECT hash, lamport FROM events WHERE replica = ?1 ORDER BY replica_seq DESC LIMIT 1",
            [&ra],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
        )
        .unwrap();
    let forged = forged_batch(
        &workspace,
        &ra,
        3,
        &owner,
        head + 1,
        held.1 as u64 + 1,
        Some(countersign_core::Digest::parse(&held.0).unwrap()),
        "packet.created",
        &format!(
            "{{\"id\":\"{}\",\"title\":\"Forged\",\"owner\":\"{owner}\",\"created_at\":\"2026-11-21T10:00:00.000Z\"}}",
            "f".repeat(32)
        ),
        &fresh_key(7),
    );
    remote
        .put_raw(&format!("logs/{ra}/000000000003"), Bytes::from(forged))
        .unwrap();
    // 3. An op signed by a key no identity of the workspace has.
    let stranger = fresh_key(9);
    let stranger_id = countersign_signing::fingerprint(&stranger.verifying_key());
    let fake_z = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    let unknown = forged_batch(
        &workspace,
        fake_z,
        1,
        &stranger_id,
        1,
        1,
        None,
        "packet.created",
        &format!(
            "{{\"id\":\"{}\",\"title\":\"Intruder\",\"owner\":\"{stranger_id}\",\"created_at\":\"2026-11-21T10:00:00.000Z\"}}",
            "e".repeat(32)
        ),
        &stranger,
    );
    remote
        .put_raw(&format!("logs/{fake_z}/000000000001"), Bytes::from(unknown))
        .unwrap();

    // Good ops from A, pushed past the forged batch (A finds its number taken and moves on).
    let r2 = a.revise(&packet, "Service was restored at 14:05.\n", &owner);
    let c = a.comment(&packet, &r2, "14:05", &owner);
    sync(&a, place);
    assert_eq!(
        place.logs_of(&ra).len(),
        4,
        "A skipped the number the forger took"
    );

    // 4. A's new revision content is truncated at the target (a sync tool cut it short).
    let content = countersign_core::Digest::of(b"Service was restored at 14:05.\n");
    let obj = format!("objects/{}", content.hex());
    let good = remote.get_raw(&obj).unwrap().unwrap();
    remote.put_raw(&obj, good.slice(..10)).unwrap();

    let r = sync(&b, place);
    let q: Vec<(String, String)> = r["quarantined"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| (s(&q["object"]).to_owned(), s(&q["reason"]).to_owned()))
        .collect();
    let find = |path: &str| {
        q.iter()
            .find(|(p, _)| p == path)
            .unwrap_or_else(|| panic!("{path} is not quarantined: {q:?}"))
            .1
            .clone()
    };
    assert!(
        find(&format!("logs/{fake_x}/000000000001")).contains("incomplete"),
        "{q:?}"
    );
    assert!(
        find(&format!("logs/{ra}/000000000003")).contains("does not verify"),
        "{q:?}"
    );
    assert!(
        find(&format!("logs/{fake_z}/000000000001")).contains("unknown key"),
        "{q:?}"
    );
    assert!(find(&obj).contains("damaged"), "{q:?}");
    let waiting = r["waiting"].as_array().unwrap();
    assert!(
        !waiting.is_empty(),
        "A's revision waits for its content: {r}"
    );
    // Nothing forged applied; the quarantine is in `sync status` too.
    let titles: Vec<String> = array(b.json(["packet", "list"]))
        .iter()
        .map(|p| s(&p["title"]).to_owned())
        .collect();
    assert_eq!(titles, ["Outage disclosure"]);
    let st = b.json(["sync", "status"]);
    assert!(
        st["targets"][0]["quarantined"].as_array().unwrap().len() >= 4,
        "{st}"
    );
    let text = b.ok(["sync", "status"]);
    assert!(
        text.contains("quarantined") && text.contains("unknown key"),
        "{text}"
    );

    // A's next pass repairs the object it holds; then B applies A's good ops.
    let r = sync(&a, place);
    assert!(r["pushed"]["objects"].as_u64().unwrap() >= 1, "{r}");
    let r = sync(&b, place);
    assert!(r["pulled"]["ops"].as_u64().unwrap() >= 2, "{r}");
    assert!(r["waiting"].as_array().unwrap().is_empty(), "{r}");
    assert_eq!(b.log(&packet)[0]["id"], r2.as_str());
    assert!(
        b.threads(&packet, None)
            .iter()
            .any(|t| t["id"] == c.as_str())
    );
    assert_agree(&[&a, &b]);
    // The bad batches stay quarantined, and are not fetched again while unchanged.
    let r = sync(&b, place);
    assert_eq!(r["pulled"]["bytes"], 0, "{r}");
    assert_eq!(r["quarantined"].as_array().unwrap().len(), 3, "{r}");
}

/// A sync killed part-way (SIGKILL) and run again ends with nothing duplicated and nothing
/// lost, on the pushing and on the pulling side.
pub fn killed_part_way(place: &Place) {
    let a = Ws::init();
    let owner = a.identity("Priya Raman", &["release-owner", "author"]);
    let other = a.identity("Marcus Ellery", &["author"]);
    let packet = a.packet("Outage disclosure", &owner);
    let r1 = a.revise(&packet, "The service was fully restored.\n", &owner);
    // Several authors, and a batch per operation (a test knob): the push is many batches.
    for i in 0..12 {
        let who = if i % 2 == 0 { &other } else { &owner };
        a.ok([
            "comment",
            "add",
            &packet,
            "--revision",
            &r1,
            "--quote",
            "service",
            "--body",
            &format!("note {i}"),
            "--author",
            who,
        ]);
    }
    let ra = replica_of(&a);
    let mut args = vec!["sync".to_owned()];
    args.extend(place.args());
    let mut child = a
        .cmd(&args)
        .env("COUNTERSIGN_SYNC_TEST_DELAY_MS", "150")
        .env("COUNTERSIGN_SYNC_TEST_BATCH_EVENTS", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while place.logs_of(&ra).len() < 4 && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let part = place.logs_of(&ra).len();
    assert!(
        (4..16).contains(&part),
        "killed part-way: {part} batches written"
    );

    let r = sync(&a, place);
    assert!(r["pushed"]["ops"].as_u64().unwrap() > 0, "{r}");
    assert_eq!(r["pending_ops"], 0);
    // Every event is in exactly one batch.
    let remote = place.remote();
    let mut seqs = Vec::new();
    for path in place.logs_of(&ra) {
        let bytes = remote.get_raw(&path).unwrap().unwrap();
        let number: u64 = path.rsplit('/').next().unwrap().parse().unwrap();
        let ws_id = s(&a.json(["sync", "status"])["workspace"]).to_owned();
        let b = Batch::parse(&bytes, &ws_id, &ra, number).unwrap();
        seqs.extend(b.events.iter().map(|e| e.replica_seq));
    }
    let total = a.json(["sync", "status"])["local_ops"].as_u64().unwrap();
    assert_eq!(
        seqs,
        (1..=total).collect::<Vec<_>>(),
        "no event duplicated or lost"
    );

    // The pulling side, killed while downloading, then run again.
    let b = Ws::empty();
    let mut args = vec!["join".to_owned()];
    args.extend(place.args());
    let mut child = b
        .cmd(&args)
        .env("COUNTERSIGN_SYNC_TEST_DELAY_MS", "100")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    child.kill().unwrap();
    child.wait().unwrap();
    if b.db().exists() {
        // The join got as far as making the workspace: a plain sync finishes it.
        let mut args = vec!["sync".to_owned()];
        args.extend(place.args());
        b.ok(&args);
    } else {
        std::fs::remove_dir_all(b.dir()).ok();
        std::fs::create_dir(b.dir()).unwrap();
        let mut args = vec!["join".to_owned()];
        args.extend(place.args());
        b.ok(&args);
    }
    sync(&b, place);
    assert_agree(&[&a, &b]);
    assert_eq!(b.threads(&packet, None).len(), 12);
    let events = |ws: &Ws| ws.check()["events_verified"].as_u64().unwrap();
    assert_eq!(
        events(&b),
        events(&a),
        "no event applied twice, none missing"
    );
}

/// The create-only probe's verdict is shown in `sync status`.
pub fn probe_reported(place: &Place, expect: &str) {
    let a = Ws::init();
    a.identity("Priya Raman", &["author"]);
    sync(&a, place);
    let st = a.json(["sync", "status"]);
    assert_eq!(st["targets"][0]["create_only"], expect, "{st}");
    let text = a.ok(["sync", "status"]);
    assert!(
        text.contains(&format!("create-only puts: {expect}")),
        "{text}"
    );
}

/// Poll `f` until it holds (at most `secs` seconds).
pub fn eventually(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(secs) {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}
