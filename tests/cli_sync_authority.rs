//! Sync applies the same authority rules as the local paths: an agent's `policy.issued`, an
//! agent's approval and an agent's (or a human's unverifiable) release arriving from another
//! replica are quarantined on every replica, change nothing, and revoke nothing; the legitimate
//! admin and signers carry on, and replicas holding the same accepted events agree. Operations
//! that would break what is held (forged ids, mismatched packets) are quarantined the same way.

use std::collections::BTreeMap;

use bytes::Bytes;
use countersign_core::audit::Draft;
use countersign_core::{Digest, Timestamp};
use countersign_signing::{SigningKey, dsse, jcs};
use countersign_sync::{Batch, ObjectRef};
use serde_json::{Value, json};

use crate::common::*;
use crate::sync_support::*;

const POLICY_TYPE: &str = "application/vnd.countersign.policy+json; version=1";
const APPROVAL_TYPE: &str = "application/vnd.countersign.approval+json; version=1";
const AT: &str = "2026-11-21T10:00:00.000Z";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Batch #1 of a new replica `replica`, pushed by `signer`: `events` (kind, payload, lamport)
/// made by `signer`, with `objects` uploaded beside it. Returns the batch's path.
fn forge(
    place: &Place,
    workspace: &str,
    replica: &str,
    signer: &str,
    key: &SigningKey,
    events: Vec<(&str, String, u64)>,
    objects: Vec<Vec<u8>>,
) -> String {
    let at = At {
        number: 1,
        seq: 1,
        prev: None,
        seen: BTreeMap::new(),
    };
    forge_at(place, workspace, replica, signer, key, events, objects, at).0
}

/// Where a forged batch sits in its replica's log, and the causal context it claims.
struct At {
    number: u64,
    seq: u64,
    prev: Option<Digest>,
    seen: BTreeMap<String, u64>,
}

/// [`forge`] at any place in a replica's log. Returns the batch's path and its last event's hash.
#[allow(clippy::too_many_arguments)]
fn forge_at(
    place: &Place,
    workspace: &str,
    replica: &str,
    signer: &str,
    key: &SigningKey,
    events: Vec<(&str, String, u64)>,
    objects: Vec<Vec<u8>>,
    at: At,
) -> (String, Digest) {
    let mut prev = at.prev;
    let mut sealed = Vec::new();
    for (i, (kind, payload, lamport)) in events.into_iter().enumerate() {
        let mut e = Draft {
            actor: Some(signer.to_owned()),
            at: Timestamp::parse(AT).unwrap(),
            kind: kind.to_owned(),
            payload,
        }
        .seal(replica, at.seq + i as u64, lamport, prev.clone());
        e.signature = Some(hex(&countersign_signing::sign(
            key,
            e.hash.as_str().as_bytes(),
        )));
        prev = Some(e.hash.clone());
        sealed.push(e);
    }
    let remote = place.remote();
    let mut refs = Vec::new();
    for o in objects {
        let d = Digest::of(&o);
        refs.push(ObjectRef {
            digest: d.clone(),
            size: o.len() as u64,
        });
        remote
            .put_raw(&format!("objects/{}", d.hex()), Bytes::from(o))
            .unwrap();
    }
    let mut b = Batch::new(workspace, replica, at.number, Some(signer), &sealed, refs);
    b.seen = Some(at.seen);
    b.sign(key);
    let path = format!("logs/{replica}/{:012}", at.number);
    remote.put_raw(&path, Bytes::from(b.to_bytes())).unwrap();
    (path, prev.unwrap())
}

/// A DSSE envelope of `payload` (canonical JSON) and the digest of its payload.
fn signed(payload_type: &str, payload: &Value, key: &SigningKey) -> (Vec<u8>, Digest) {
    let bytes = jcs::to_vec(payload).unwrap();
    let env = dsse::sign(payload_type, &bytes, key);
    (
        serde_json::to_string(&env).unwrap().into_bytes(),
        Digest::of(&bytes),
    )
}

/// What `sync` quarantined: (object, reason).
fn quarantined(report: &Value) -> Vec<(String, String)> {
    report["quarantined"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| (s(&q["object"]).to_owned(), s(&q["reason"]).to_owned()))
        .collect()
}

/// Sync `ws` and assert exactly `expect` (batch path, words of the reason) are quarantined.
fn assert_quarantined(ws: &Ws, place: &Place, expect: &[(&str, &str)]) {
    let r = sync(ws, place);
    let q = quarantined(&r);
    assert_eq!(q.len(), expect.len(), "{r}");
    for (path, why) in expect {
        assert!(
            q.iter().any(|(o, r)| o == path && r.contains(why)),
            "{path} not quarantined for `{why}`: {q:?}"
        );
    }
}

fn workspace_of(ws: &Ws) -> String {
    s(&ws.json(["sync", "status"])["workspace"]).to_owned()
}

/// An approval of manifest `m` signed by `signer`: (event payload, envelope bytes).
fn approval(m: &str, signer: &str, name: &str, role: &str, key: &SigningKey) -> (String, Vec<u8>) {
    let (env, digest) = signed(
        APPROVAL_TYPE,
        &json!({
            "manifest": m, "lane": LANE, "signer": signer, "name": name, "role": role,
            "meaning": "approve", "reason": null, "signed_at": AT,
        }),
        key,
    );
    let payload = json!({
        "manifest": m, "signer": signer, "meaning": "approve",
        "envelope_digest": digest, "envelope_object": Digest::of(&env),
    })
    .to_string();
    (payload, env)
}

/// A `release.released` of manifest `m` with `bundle` as its bundle.
fn release_of(c: &Crew, m: &str, bundle: &[u8]) -> String {
    json!({
        "manifest": m, "packet": c.packet, "lane": LANE, "path": "/nowhere",
        "bundle_digest": Digest::of(bundle),
    })
    .to_string()
}

/// An agent's policy version naming itself admin and revoking the admin and the director is
/// refused everywhere: the admin stays, nobody is revoked, the admin still administers.
#[test]
fn agent_policy_takeover_is_refused() {
    let place = Place::folder();
    let c = Crew::with_lane(false);
    let a = &c.ws;
    sync(a, &place);
    let b = join(&place);
    let before = b.json(["policy", "show"]);
    let mut policy = before["policy"].clone();
    let version = policy["version"].as_u64().unwrap() + 1;
    policy["version"] = json!(version);
    policy["admin"] = json!(c.agent);
    for i in policy["identities"].as_array_mut().unwrap() {
        if s(&i["id"]) == c.admin || s(&i["id"]) == c.director {
            for k in i["keys"].as_array_mut().unwrap() {
                k["revoked_at"] = json!(AT);
            }
        }
    }
    let bot = sealed_key_of(a, &c.agent);
    let (env, digest) = signed(POLICY_TYPE, &policy, &bot);
    let payload = json!({
        "version": version, "digest": digest, "change": "took over",
        "envelope_object": Digest::of(&env),
    })
    .to_string();
    let path = forge(
        &place,
        &workspace_of(a),
        &"c".repeat(32),
        &c.agent,
        &bot,
        vec![("policy.issued", payload, 1000)],
        vec![env],
    );
    for ws in [a, &b] {
        assert_quarantined(
            ws,
            &place,
            &[(
                &path,
                "an agent identity may not administer the trust policy",
            )],
        );
        let shown = ws.json(["policy", "show"]);
        assert_eq!(s(&shown["policy"]["admin"]), c.admin);
        assert_eq!(shown["policy"]["version"], before["policy"]["version"]);
    }
    // Nothing was revoked: the director still signs, the admin still administers.
    let m = a.draft(&c.packet, LANE);
    a.approve(&m, &c.director);
    a.ok(["policy", "revoke", &c.agent, "--by", &c.admin]);
    let shown = a.json(["policy", "show"]);
    assert_eq!(s(&shown["policy"]["admin"]), c.admin);
    sync_all(&[a, &b], &place, 2);
    assert_eq!(s(&b.json(["policy", "show"])["policy"]["admin"]), c.admin);
    assert_agree(&[a, &b]);
}

/// A human without the admin role cannot issue policy v1 either, nor a human who is not the
/// admin of the version it supersedes a later one: the rules of `policy init` and the policy
/// commands, on the sync path.
#[test]
fn policy_by_a_non_admin_human_is_refused() {
    let place = Place::folder();
    let c = Crew::with_lane(false);
    let a = &c.ws;
    sync(a, &place);
    let mut policy = a.json(["policy", "show"])["policy"].clone();
    let version = policy["version"].as_u64().unwrap() + 1;
    policy["version"] = json!(version);
    policy["admin"] = json!(c.director);
    let dk = sealed_key_of(a, &c.director);
    let (env, digest) = signed(POLICY_TYPE, &policy, &dk);
    let payload = json!({
        "version": version, "digest": digest, "change": "mine now",
        "envelope_object": Digest::of(&env),
    })
    .to_string();
    let path = forge(
        &place,
        &workspace_of(a),
        &"c".repeat(32),
        &c.director,
        &dk,
        vec![("policy.issued", payload, 1000)],
        vec![env],
    );
    assert_quarantined(a, &place, &[(&path, "only the policy's admin")]);
    assert_eq!(s(&a.json(["policy", "show"])["policy"]["admin"]), c.admin);
}

/// An agent's approval arriving by sync is refused and never counts toward `approved`.
#[test]
fn agent_approval_is_refused_and_not_counted() {
    let place = Place::folder();
    let c = Crew::with_lane(false);
    let a = &c.ws;
    let m = a.draft(&c.packet, LANE);
    a.approve(&m, &c.director);
    sync(a, &place);
    let b = join(&place);
    let bot = sealed_key_of(a, &c.agent);
    let (payload, env) = approval(&m, &c.agent, "Drafting Bot", "approver", &bot);
    let path = forge(
        &place,
        &workspace_of(a),
        &"d".repeat(32),
        &c.agent,
        &bot,
        vec![("manifest.approve", payload, 1000)],
        vec![env],
    );
    for ws in [a, &b] {
        assert_quarantined(
            ws,
            &place,
            &[(
                &path,
                "an agent identity may not approve or reject a release",
            )],
        );
        let st = ws.status(&c.packet, LANE);
        assert_ne!(st["state"], "approved", "{st}");
        assert!(!st["approvals"].to_string().contains(&c.agent), "{st}");
    }
    // The real second approval makes it approved; the owner releases.
    a.approve(&m, &c.legal);
    assert_eq!(a.status(&c.packet, LANE)["state"], "approved");
    a.ok(["release", &c.packet, "--lane", LANE]);
    sync_all(&[a, &b], &place, 2);
    assert_eq!(b.status(&c.packet, LANE)["state"], "released");
    assert_agree(&[a, &b]);
}

/// An agent's release, and a human's release whose bundle does not verify, are refused
/// everywhere; the manifest stays where it was, and a legitimate release then lands everywhere.
#[test]
fn agent_release_and_unverified_bundle_are_refused() {
    let place = Place::folder();
    let c = Crew::with_lane(false);
    let a = &c.ws;
    let m = a.draft(&c.packet, LANE);
    sync(a, &place);
    let b = join(&place);
    let ws_id = workspace_of(a);
    let bot = sealed_key_of(a, &c.agent);
    let (ap, env) = approval(&m, &c.agent, "Drafting Bot", "approver", &bot);
    let junk = b"not a bundle".to_vec();
    let agent_approves = forge(
        &place,
        &ws_id,
        &"d".repeat(32),
        &c.agent,
        &bot,
        vec![
            ("manifest.approve", ap, 1000),
            ("release.released", release_of(&c, &m, &junk), 1001),
        ],
        vec![env, junk.clone()],
    );
    let agent_releases = forge(
        &place,
        &ws_id,
        &"e".repeat(32),
        &c.agent,
        &bot,
        vec![("release.released", release_of(&c, &m, &junk), 1000)],
        vec![junk.clone()],
    );
    let dk = sealed_key_of(a, &c.director);
    let junk_by_human = forge(
        &place,
        &ws_id,
        &"f".repeat(32),
        &c.director,
        &dk,
        vec![("release.released", release_of(&c, &m, &junk), 1000)],
        vec![junk],
    );
    for ws in [a, &b] {
        assert_quarantined(
            ws,
            &place,
            &[
                (&agent_approves, "an agent identity may not approve"),
                (
                    &agent_releases,
                    "an agent identity may not release a packet",
                ),
                (&junk_by_human, "its bundle is not a bundle"),
            ],
        );
        let st = ws.status(&c.packet, LANE);
        assert_ne!(st["state"], "released", "{st}");
        assert_ne!(st["state"], "approved", "{st}");
    }
    // The legitimate path still works, and lands on the other replica.
    a.approve(&m, &c.legal);
    a.approve(&m, &c.director);
    a.ok(["release", &c.packet, "--lane", LANE]);
    sync_all(&[a, &b], &place, 2);
    assert_eq!(b.status(&c.packet, LANE)["state"], "released");
    assert_agree(&[a, &b]);
}

/// A newcomer's first batch: its `identity.created` (a human holding `key`) at Lamport
/// `lamport`, then `events` (kind, payload) made by it. Returns (its id, the batch's path).
fn newcomer(
    place: &Place,
    workspace: &str,
    replica: &str,
    key: &SigningKey,
    lamport: u64,
    events: Vec<(&str, String)>,
    objects: Vec<Vec<u8>>,
) -> (String, String) {
    let public = key.verifying_key();
    let id = countersign_signing::fingerprint(&public);
    let identity = json!({
        "id": id, "name": "Mallory Newcomer", "roles": ["author"], "kind": "human",
        "public_key": hex(public.as_bytes()), "created_at": AT,
    })
    .to_string();
    let mut all = vec![("identity.created", identity, lamport)];
    for (i, (kind, payload)) in events.into_iter().enumerate() {
        all.push((kind, payload, lamport + 1 + i as u64));
    }
    let path = forge(place, workspace, replica, &id, key, all, objects);
    (id, path)
}

/// An event that would break one of the schema's rules where it lands (an evidence item whose id
/// is not the id of what it names, a manifest binding one packet's revision to another packet)
/// is refused and quarantined with its reason, like any event that does not apply; it never fails
/// the pass (a failed pass rolled back and fetched the same batch again, for ever). Later passes
/// succeed, and the legitimate work goes on and agrees.
#[test]
fn events_that_do_not_fit_are_quarantined_and_sync_goes_on() {
    let place = Place::folder();
    let c = Crew::with_lane(false);
    let a = &c.ws;
    let m = a.draft(&c.packet, LANE);
    sync(a, &place);
    let b = join(&place);
    let ws_id = workspace_of(a);

    // A forged evidence id: not `evidence_id(packet, source, title)`.
    let bytes = b"incident timeline, forged".to_vec();
    let key = SigningKey::from_bytes(&[7; 32]);
    let mallory = countersign_signing::fingerprint(&key.verifying_key());
    let evidence = json!({
        "evidence": "0".repeat(32), "packet": c.packet, "source": "timeline", "title": "Forged timeline",
        "version": {
            "digest": Digest::of(&bytes), "file_name": "t.md", "size": bytes.len(),
            "captured_at": AT, "added_by": mallory,
        },
    })
    .to_string();
    let (_, forged_evidence) = newcomer(
        &place,
        &ws_id,
        &"a".repeat(32),
        &key,
        1000,
        vec![("evidence.added", evidence)],
        vec![bytes],
    );

    // A manifest of this packet's revision, claiming to be of a packet that is not held.
    let manifest = a.json(["manifest", "show", &m])["manifest"].clone();
    let mut other = manifest.clone();
    other["packet"]["id"] = json!("1".repeat(32));
    let key2 = SigningKey::from_bytes(&[8; 32]);
    let (env, digest) = signed(
        "application/vnd.countersign.manifest+json; version=1",
        &other,
        &key2,
    );
    let drafted = json!({
        "digest": digest, "packet": "1".repeat(32), "lane": LANE,
        "version": other["version"], "revision": other["revision"]["id"],
        "envelope_object": Digest::of(&env),
    })
    .to_string();
    let (_, forged_manifest) = newcomer(
        &place,
        &ws_id,
        &"b".repeat(32),
        &key2,
        1000,
        vec![("manifest.drafted", drafted)],
        vec![env],
    );

    for ws in [a, &b] {
        assert_quarantined(
            ws,
            &place,
            &[
                (&forged_evidence, "is not the id of `Forged timeline`"),
                (&forged_manifest, "to packet 1111"),
            ],
        );
        // The pass succeeded and the next one does too: nothing is fetched again for ever.
        let again = sync(ws, &place);
        assert_eq!(quarantined(&again).len(), 2, "{again}");
        let listed = ws.json(["evidence", "list", &c.packet]).to_string();
        assert!(!listed.contains("Forged timeline"), "{listed}");
    }
    // The legitimate path goes on and lands everywhere.
    a.approve(&m, &c.legal);
    a.approve(&m, &c.director);
    a.ok(["release", &c.packet, "--lane", LANE]);
    sync_all(&[a, &b], &place, 2);
    assert_eq!(b.status(&c.packet, LANE)["state"], "released");
    assert_agree(&[a, &b]);
}

/// A genesis forged under another replica id (unsigned, as a genesis is, and ordered first) does
/// not take a joining replica's workspace: the target's workspace.json names the genesis its
/// first pusher held, and the joiner accepts that one only. The forgery is quarantined; the
/// joiner holds the real workspace and agrees with its origin.
#[test]
fn a_forged_genesis_does_not_take_a_joiners_workspace() {
    let place = Place::folder();
    let c = Crew::with_lane(false);
    let a = &c.ws;
    sync(a, &place);
    let ws_id = workspace_of(a);
    let replica = "0".repeat(32);
    let e = Draft {
        actor: None,
        at: Timestamp::parse(AT).unwrap(),
        kind: "workspace.created".to_owned(),
        payload: json!({ "workspace": ws_id, "schema": 6 }).to_string(),
    }
    .seal(&replica, 1, 1, None);
    let mut batch = Batch::new(&ws_id, &replica, 1, None, &[e], vec![]);
    batch.seen = Some(BTreeMap::new());
    let path = format!("logs/{replica}/000000000001");
    place
        .remote()
        .put_raw(&path, Bytes::from(batch.to_bytes()))
        .unwrap();

    let b = join(&place);
    let q = quarantined(&sync(&b, &place));
    assert!(
        q.iter()
            .any(|(o, why)| *o == path && why.contains("not the genesis named by the target")),
        "{q:?}"
    );
    let packets = b.json(["packet", "list"]).to_string();
    assert!(packets.contains(&c.packet), "{packets}");
    // The origin quarantines it too (it holds a genesis already), and both agree.
    assert_quarantined(a, &place, &[(&path, "genesis")]);
    sync_all(&[a, &b], &place, 2);
    assert_agree(&[a, &b]);
}

/// An identity of one replica cannot write another replica's log: a batch at replica A's next
/// position, made and signed by an identity of replica B (a registered key, good signatures), is
/// quarantined everywhere, A's own batch for those positions still applies (A's push passes over
/// the occupied name), and a replica joining afterwards holds A's work, not the forgery.
#[test]
fn an_identity_of_one_replica_cannot_write_anothers_log() {
    let place = Place::folder();
    let a = Ws::init();
    let owner = a.identity("Priya Raman", &["author"]);
    a.packet("Outage disclosure", &owner);
    sync(&a, &place);
    let b = join(&place);
    let mallory = b.identity("Mallory Byrne", &["author"]);
    sync(&b, &place);
    let key = sealed_key_of(&b, &mallory);

    let ra = replica_of(&a);
    let (seq, hash, lamport) = head_of(&a, &ra);
    let number = place.logs_of(&ra).len() as u64 + 1;
    let ws_id = workspace_of(&a);
    let mut e = Draft {
        actor: Some(mallory.clone()),
        at: Timestamp::parse(AT).unwrap(),
        kind: "packet.created".to_owned(),
        payload: json!({
            "id": "9".repeat(32), "title": "Hijack", "owner": mallory, "created_at": AT,
        })
        .to_string(),
    }
    .seal(&ra, seq + 1, lamport + 1, Some(hash));
    e.signature = Some(hex(&countersign_signing::sign(
        &key,
        e.hash.as_str().as_bytes(),
    )));
    let mut batch = Batch::new(&ws_id, &ra, number, Some(&mallory), &[e], vec![]);
    batch.seen = Some(BTreeMap::from([(
        replica_of(&b),
        head_of(&b, &replica_of(&b)).0,
    )]));
    batch.sign(&key);
    let forged = format!("logs/{ra}/{number:012}");
    place
        .remote()
        .put_raw(&forged, Bytes::from(batch.to_bytes()))
        .unwrap();

    a.packet("Real work", &owner);
    sync(&a, &place);
    assert_eq!(place.logs_of(&ra).len() as u64, number + 1);
    let c = join(&place);
    for ws in [&b, &c] {
        let r = sync(ws, &place);
        let q = quarantined(&r);
        assert!(
            q.iter().any(|(o, why)| *o == forged
                && why.contains(&format!(
                    "signed by {mallory}, which is not an identity replica"
                ))),
            "{r}"
        );
        let titles = ws.json(["packet", "list"]).to_string();
        assert!(titles.contains("Real work"), "{titles}");
        assert!(!titles.contains("Hijack"), "{titles}");
    }
    sync_all(&[&a, &b, &c], &place, 2);
    assert_agree(&[&a, &b, &c]);
}

/// A replica never un-applies, so the causal context its batches claim only grows along its
/// chain: a batch saying its replica had applied fewer of another's operations than its previous
/// batch said (as a stolen key would, to have its operations judged concurrent with a
/// revocation), or none at all (an older format after a newer one), is quarantined everywhere.
#[test]
fn a_causal_context_that_shrinks_along_a_chain_is_quarantined() {
    let place = Place::folder();
    let a = Ws::init();
    let owner = a.identity("Priya Raman", &["author"]);
    a.packet("Outage disclosure", &owner);
    sync(&a, &place);
    let ra = replica_of(&a);
    let (a_seq, _, a_lamport) = head_of(&a, &ra);
    let ws_id = workspace_of(&a);
    let key = SigningKey::from_bytes(&[9; 32]);
    let public = key.verifying_key();
    let id = countersign_signing::fingerprint(&public);
    let identity = json!({
        "id": id, "name": "Sam Forger", "roles": ["author"], "kind": "human",
        "public_key": hex(public.as_bytes()), "created_at": AT,
    })
    .to_string();
    let replica = "5".repeat(32);
    let packet = |n: u32| {
        json!({ "id": format!("{n:032}"), "title": format!("Packet {n}"), "owner": id, "created_at": AT })
            .to_string()
    };
    // Batch 1 had applied all of A; batch 2 says it had applied nothing of A.
    let (_, h1) = forge_at(
        &place,
        &ws_id,
        &replica,
        &id,
        &key,
        vec![("identity.created", identity, a_lamport + 1)],
        vec![],
        At {
            number: 1,
            seq: 1,
            prev: None,
            seen: BTreeMap::from([(ra.clone(), a_seq)]),
        },
    );
    let (shrunk, _) = forge_at(
        &place,
        &ws_id,
        &replica,
        &id,
        &key,
        vec![("packet.created", packet(1), a_lamport + 2)],
        vec![],
        At {
            number: 2,
            seq: 2,
            prev: Some(h1.clone()),
            seen: BTreeMap::new(),
        },
    );
    let b = join(&place);
    for ws in [&a, &b] {
        assert_quarantined(ws, &place, &[(&shrunk, "fewer than the")]);
        assert!(!ws.json(["packet", "list"]).to_string().contains("Packet 1"));
    }
    // The same batch with a context that grows applies.
    let (grown, _) = forge_at(
        &place,
        &ws_id,
        &replica,
        &id,
        &key,
        vec![("packet.created", packet(2), a_lamport + 2)],
        vec![],
        At {
            number: 3,
            seq: 2,
            prev: Some(h1),
            seen: BTreeMap::from([(ra.clone(), a_seq)]),
        },
    );
    for ws in [&a, &b] {
        let r = sync(ws, &place);
        assert!(!quarantined(&r).iter().any(|(o, _)| *o == grown), "{r}");
        assert!(ws.json(["packet", "list"]).to_string().contains("Packet 2"));
    }
    assert_agree(&[&a, &b]);
}

/// A log object larger than any batch may be (64 MiB) is quarantined by its listed size, before
/// a byte of it is fetched; the rest of the target syncs. (The file is sparse: it takes no disk.)
#[test]
fn an_oversized_log_object_is_refused_unread() {
    let place = Place::folder();
    let a = Ws::init();
    let owner = a.identity("Priya Raman", &["author"]);
    sync(&a, &place);
    let path = format!("logs/{}/000000000001", "7".repeat(32));
    let file = place.dir().join(&path);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::File::create(&file)
        .unwrap()
        .set_len(65 * 1024 * 1024)
        .unwrap();
    a.packet("Outage disclosure", &owner);
    let b = join(&place);
    for ws in [&a, &b] {
        let r = sync(ws, &place);
        let q = quarantined(&r);
        assert!(
            q.iter()
                .any(|(o, why)| *o == path && why.contains("it was not fetched")),
            "{r}"
        );
        assert!(r["pulled"]["bytes"].as_u64().unwrap() < 1024 * 1024, "{r}");
    }
    assert!(
        b.json(["packet", "list"])
            .to_string()
            .contains("Outage disclosure")
    );
}

/// Regression (review of the rule above): a brand-new key cannot take another replica's log by
/// introducing itself there. A batch at replica A's next position holding an `identity.created`
/// for a fresh key and an operation by it, signed by that key, is quarantined everywhere (A
/// already has identities, and its batches are signed by one of them); A's own batch applies.
#[test]
fn a_fresh_key_cannot_introduce_itself_into_anothers_log() {
    let place = Place::folder();
    let a = Ws::init();
    let owner = a.identity("Priya Raman", &["author"]);
    a.packet("Outage disclosure", &owner);
    sync(&a, &place);
    let ra = replica_of(&a);
    let (seq, hash, lamport) = head_of(&a, &ra);
    let number = place.logs_of(&ra).len() as u64 + 1;
    let ws_id = workspace_of(&a);
    let key = SigningKey::from_bytes(&[13; 32]);
    let public = key.verifying_key();
    let y = countersign_signing::fingerprint(&public);
    let identity = json!({
        "id": y, "name": "Yves Intruder", "roles": ["author"], "kind": "human",
        "public_key": hex(public.as_bytes()), "created_at": AT,
    })
    .to_string();
    let packet = json!({ "id": "8".repeat(32), "title": "Hijack", "owner": y, "created_at": AT })
        .to_string();
    let (forged, _) = forge_at(
        &place,
        &ws_id,
        &ra,
        &y,
        &key,
        vec![
            ("identity.created", identity, lamport + 1),
            ("packet.created", packet, lamport + 2),
        ],
        vec![],
        At {
            number,
            seq: seq + 1,
            prev: Some(hash),
            seen: BTreeMap::new(),
        },
    );
    // A makes a new identity of its own (which may not sign the batch that makes it) and work.
    let marcus = a.identity("Marcus Ellery", &["author"]);
    a.packet("Real work", &marcus);
    sync(&a, &place);
    let b = join(&place);
    let r = sync(&b, &place);
    assert!(
        quarantined(&r)
            .iter()
            .any(|(o, why)| *o == forged && why.contains("not an identity replica")),
        "{r}"
    );
    let titles = b.json(["packet", "list"]).to_string();
    assert!(
        titles.contains("Real work") && !titles.contains("Hijack"),
        "{titles}"
    );
    sync_all(&[&a, &b], &place, 2);
    assert_agree(&[&a, &b]);
}
