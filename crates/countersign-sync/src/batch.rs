//! Op batches: the unit a replica appends to its log at a target (`logs/<replica>/<number>`).
//!
//! A batch is a run of consecutive events of one replica's audit chain, signed over the batch
//! digest by one identity of that replica — the one that pushed it; every event inside also
//! carries its own signature, by the identity that made it, over its own hash. The genesis event
//! of a workspace (made by no identity) travels alone in an unsigned batch. Parsing checks
//! everything that needs no key: the format, the workspace, that the batch sits at its own path,
//! the events' payload digests, hashes, links and clocks (positions and Lamport clocks at most
//! [`MAX_REPLICA_SEQ`] and [`MAX_LAMPORT`]). Signatures are checked by whoever knows
//! the keys ([`Batch::verify_batch_signature`], [`verify_event_signature`]), at the point of the
//! merged log where the batch applies.
//!
//! Formats:
//! - `countersign/ops/v3` (written): `seen` is the causal context of the batch's events — for
//!   every other replica, how many of its operations the writing replica had applied when it made
//!   them (a writer starts a new batch whenever that changes, so one map holds for every event of
//!   a batch), covered by the batch digest; the signer is whoever pushed, and the events may be
//!   made by several identities.
//! - `countersign/ops/v2` (still read): the same, but every event is made by the signer.
//! - `countersign/ops/v1` (still read): every event made by the signer, and no `seen` (the
//!   causal context is unknown, and counts as empty).

use std::collections::BTreeMap;

use countersign_core::audit::{Event, MAX_LAMPORT, MAX_REPLICA_SEQ};
use countersign_core::digest::FieldHasher;
use countersign_core::{Digest, Timestamp};
use countersign_signing::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

/// The format tag of the batches this version writes.
pub const BATCH_FORMAT: &str = BATCH_FORMAT_V3;

/// Signed by whoever pushed; events by any identities; causal context (`seen`).
pub const BATCH_FORMAT_V3: &str = "countersign/ops/v3";

/// Every event made by the signer; causal context (`seen`). Still read.
pub const BATCH_FORMAT_V2: &str = "countersign/ops/v2";

/// The first format, without causal context; still read.
pub const BATCH_FORMAT_V1: &str = "countersign/ops/v1";

/// The largest batch accepted, in bytes.
pub const MAX_BATCH_BYTES: usize = 64 * 1024 * 1024;

/// How many events a batch holds at most when made.
pub const MAX_BATCH_EVENTS: usize = 512;

/// An object an event needs (revision content, an evidence file, an envelope, a bundle).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ObjectRef {
    /// Digest of its bytes: the object lives at `objects/<hex>`.
    pub digest: Digest,
    /// Its size in bytes.
    pub size: u64,
}

/// One event as it travels (its replica is the batch's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WireEvent {
    /// Position in the replica's chain.
    pub replica_seq: u64,
    /// Lamport clock.
    pub lamport: u64,
    /// Who made it.
    pub actor: Option<String>,
    /// When.
    pub at: Timestamp,
    /// Kind.
    pub kind: String,
    /// Payload JSON text.
    pub payload: String,
    /// Digest of the payload.
    pub payload_digest: Digest,
    /// Previous event of the replica.
    pub prev: Option<Digest>,
    /// This event's hash.
    pub hash: Digest,
    /// The actor's signature over the hash.
    pub signature: Option<String>,
}

/// A signed op batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    /// [`BATCH_FORMAT`].
    pub format: String,
    /// The workspace.
    pub workspace: String,
    /// The replica whose chain the events continue.
    pub replica: String,
    /// The batch's number in the replica's log.
    pub number: u64,
    /// The identity that signs it: one of its replica's identities, the one that pushed it
    /// (format v3), or the identity that made every event in it (v1, v2); `None` only for the
    /// genesis.
    pub signer: Option<String>,
    /// For every other replica, how many of its operations (the positions 1..=n of its chain)
    /// the writing replica had applied when it made these events: their causal past beyond
    /// their own chain. Absent in format v1 (unknown: counted as empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen: Option<BTreeMap<String, u64>>,
    /// The events, in chain order.
    pub events: Vec<WireEvent>,
    /// The objects the events need.
    pub objects: Vec<ObjectRef>,
    /// The signer's ed25519 signature over [`Batch::digest`] as text, hex.
    pub signature: Option<String>,
}

/// Why a batch is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadBatch(pub String);

fn bad(s: impl Into<String>) -> BadBatch {
    BadBatch(s.into())
}

impl WireEvent {
    /// From a stored event.
    pub fn from_event(e: &Event) -> WireEvent {
        WireEvent {
            replica_seq: e.replica_seq,
            lamport: e.lamport,
            actor: e.actor.clone(),
            at: e.at,
            kind: e.kind.clone(),
            payload: e.payload.clone(),
            payload_digest: e.payload_digest.clone(),
            prev: e.prev.clone(),
            hash: e.hash.clone(),
            signature: e.signature.clone(),
        }
    }

    /// As an event of `replica` (its local position unset).
    pub fn to_event(&self, replica: &str) -> Event {
        Event {
            seq: 0,
            replica: replica.to_owned(),
            replica_seq: self.replica_seq,
            lamport: self.lamport,
            actor: self.actor.clone(),
            at: self.at,
            kind: self.kind.clone(),
            payload: self.payload.clone(),
            payload_digest: self.payload_digest.clone(),
            prev: self.prev.clone(),
            hash: self.hash.clone(),
            signature: self.signature.clone(),
        }
    }
}

impl Batch {
    /// A batch of `events` (consecutive, of `replica`) to be signed by `signer`, unsigned, in the
    /// current format, with an empty causal context (set the `seen` field before signing).
    pub fn new(
        workspace: &str,
        replica: &str,
        number: u64,
        signer: Option<&str>,
        events: &[Event],
        mut objects: Vec<ObjectRef>,
    ) -> Batch {
        objects.sort();
        objects.dedup();
        Batch {
            format: BATCH_FORMAT.to_owned(),
            workspace: workspace.to_owned(),
            replica: replica.to_owned(),
            number,
            signer: signer.map(str::to_owned),
            seen: Some(BTreeMap::new()),
            events: events.iter().map(WireEvent::from_event).collect(),
            objects,
            signature: None,
        }
    }

    /// The digest the signer signs: every field but the signature.
    pub fn digest(&self) -> Digest {
        let v1 = self.format == BATCH_FORMAT_V1;
        let mut h = FieldHasher::new(if v1 {
            "countersign/batch/v1"
        } else {
            "countersign/batch/v2"
        });
        h.str(&self.format)
            .str(&self.workspace)
            .str(&self.replica)
            .str(&self.number.to_string())
            .str(self.signer.as_deref().unwrap_or(""));
        if !v1 {
            let seen = self.seen.clone().unwrap_or_default();
            h.str(&seen.len().to_string());
            for (r, n) in &seen {
                h.str(r).str(&n.to_string());
            }
        }
        h.str(&self.events.len().to_string());
        for e in &self.events {
            h.str(e.hash.as_str());
        }
        h.str(&self.objects.len().to_string());
        for o in &self.objects {
            h.str(o.digest.as_str()).str(&o.size.to_string());
        }
        h.finish()
    }

    /// Sign with the signer's key.
    pub fn sign(&mut self, key: &SigningKey) {
        let sig = countersign_signing::sign(key, self.digest().as_str().as_bytes());
        self.signature = Some(hex::encode(sig));
    }

    /// The bytes stored at the target.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec(self).unwrap_or_default();
        v.push(b'\n');
        v
    }

    /// The causal context of the batch's events (empty when unknown: format v1).
    pub fn seen_counts(&self) -> BTreeMap<String, u64> {
        self.seen.clone().unwrap_or_default()
    }

    /// The events, as events of this batch's replica.
    pub fn events(&self) -> Vec<Event> {
        self.events
            .iter()
            .map(|e| e.to_event(&self.replica))
            .collect()
    }

    /// Parse and check a batch found at `logs/<replica>/<number>` of a target holding
    /// `workspace`: everything that needs no key.
    pub fn parse(
        bytes: &[u8],
        workspace: &str,
        replica: &str,
        number: u64,
    ) -> Result<Batch, BadBatch> {
        if bytes.len() > MAX_BATCH_BYTES {
            return Err(bad(format!(
                "it is {} bytes, over the {MAX_BATCH_BYTES}-byte limit",
                bytes.len()
            )));
        }
        let b: Batch = serde_json::from_slice(bytes).map_err(|e| {
            if e.is_eof() {
                bad(format!(
                    "it is incomplete ({} bytes; truncated or still being written): {e}",
                    bytes.len()
                ))
            } else {
                bad(format!("it is not an op batch: {e}"))
            }
        })?;
        match (b.format.as_str(), &b.seen) {
            (BATCH_FORMAT_V1, None) => {}
            (BATCH_FORMAT_V1, Some(_)) => {
                return Err(bad("a v1 batch carries no causal context (`seen`)"));
            }
            (BATCH_FORMAT_V2 | BATCH_FORMAT_V3, Some(seen)) => {
                for (r, n) in seen {
                    if *r == b.replica || r.is_empty() || *n == 0 {
                        return Err(bad(format!(
                            "its causal context names replica `{r}` with {n} operations (only other replicas, at least one)"
                        )));
                    }
                }
            }
            (BATCH_FORMAT_V2 | BATCH_FORMAT_V3, None) => {
                return Err(bad("it carries no causal context (`seen`)"));
            }
            (other, _) => return Err(bad(format!("unknown format `{other}`"))),
        }
        if b.workspace != workspace {
            return Err(bad(format!(
                "it belongs to workspace {}, not this one ({workspace})",
                b.workspace
            )));
        }
        if b.replica != replica || b.number != number {
            return Err(bad(format!(
                "it says it is batch {} of replica {} but sits at batch {number} of replica {replica}",
                b.number, b.replica
            )));
        }
        let Some(first) = b.events.first() else {
            return Err(bad("it holds no events"));
        };
        match &b.signer {
            None => {
                let genesis = b.events.len() == 1
                    && first.kind == "workspace.created"
                    && first.replica_seq == 1
                    && first.actor.is_none();
                if !genesis {
                    return Err(bad("it is not signed (only a workspace's genesis may be)"));
                }
                if b.signature.is_some() {
                    return Err(bad("it carries a signature but names no signer"));
                }
            }
            Some(signer) => {
                if b.signature.is_none() {
                    return Err(bad(format!(
                        "it names signer {signer} but carries no signature"
                    )));
                }
            }
        }
        let mut prev_hash: Option<&Digest> = None;
        let mut lamport = 0;
        for (i, e) in b.events.iter().enumerate() {
            let at = |why: String| bad(format!("event #{} ({}): {why}", e.replica_seq, e.kind));
            // Positions and clocks are bounded (see `MAX_REPLICA_SEQ`, `MAX_LAMPORT`): one event
            // with a clock at the top of the range would leave every replica applying it no clock
            // to advance to.
            if e.replica_seq > MAX_REPLICA_SEQ {
                return Err(at(format!(
                    "its position is above the largest a chain may reach ({MAX_REPLICA_SEQ})"
                )));
            }
            if e.lamport > MAX_LAMPORT {
                return Err(at(format!(
                    "its Lamport clock {} is above the largest a replica may reach ({MAX_LAMPORT})",
                    e.lamport
                )));
            }
            let expect_seq = u64::try_from(i)
                .ok()
                .and_then(|i| first.replica_seq.checked_add(i))
                .ok_or_else(|| at("its position is past the largest there is".into()))?;
            if e.replica_seq != expect_seq {
                return Err(at(format!(
                    "expected position {expect_seq} (positions must follow each other)"
                )));
            }
            if e.replica_seq == 0 {
                return Err(at("position 0 does not exist".into()));
            }
            if i > 0 && e.prev.as_ref() != prev_hash {
                return Err(at("it does not link to the event before it".into()));
            }
            if e.replica_seq == 1 && e.prev.is_some() {
                return Err(at("the first event of a chain links to nothing".into()));
            }
            if i > 0 && e.lamport <= lamport {
                return Err(at("its Lamport clock does not advance".into()));
            }
            if b.signed_by_authors() && e.actor != b.signer {
                return Err(at(format!(
                    "it was made by {} but the batch is signed by {}",
                    e.actor.as_deref().unwrap_or("no one"),
                    b.signer.as_deref().unwrap_or("no one")
                )));
            }
            if b.signer.is_some() && e.actor.is_none() {
                return Err(at(
                    "it was made by no one (only a workspace's genesis is, and it travels alone)"
                        .into(),
                ));
            }
            if e.actor.is_some() && e.signature.is_none() {
                return Err(at("it carries no signature".into()));
            }
            if Digest::of(e.payload.as_bytes()) != e.payload_digest {
                return Err(at("its payload does not match its digest".into()));
            }
            if e.to_event(&b.replica).expected_hash() != e.hash {
                return Err(at("its fields do not match its hash".into()));
            }
            if serde_json::from_str::<serde_json::Value>(&e.payload).is_err() {
                return Err(at("its payload is not JSON".into()));
            }
            prev_hash = Some(&e.hash);
            lamport = e.lamport;
        }
        Ok(b)
    }

    /// Whether every event is made by the signer (formats v1 and v2): a batch of v3 is signed by
    /// whoever pushed it.
    pub fn signed_by_authors(&self) -> bool {
        self.format == BATCH_FORMAT_V1 || self.format == BATCH_FORMAT_V2
    }

    /// Check the batch signature against the signer's key.
    pub fn verify_batch_signature(&self, key: &VerifyingKey) -> Result<(), BadBatch> {
        countersign_signing::verify(
            key,
            self.digest().as_str().as_bytes(),
            &signature_bytes(self.signature.as_deref())?,
        )
        .map_err(|_| bad("the batch signature does not verify (forged or altered)"))
    }

    /// Check the batch signature and every event's signature against one key (the signer's,
    /// when every event is made by the signer).
    pub fn verify_signature(&self, key: &VerifyingKey) -> Result<(), BadBatch> {
        self.verify_batch_signature(key)?;
        for e in self.events() {
            verify_event_signature(key, &e)?;
        }
        Ok(())
    }
}

fn signature_bytes(s: Option<&str>) -> Result<Vec<u8>, BadBatch> {
    hex::decode(s.unwrap_or_default()).map_err(|_| bad("a signature is not hex"))
}

/// Check an event's own signature (over its hash) against its maker's key.
pub fn verify_event_signature(key: &VerifyingKey, e: &Event) -> Result<(), BadBatch> {
    countersign_signing::verify(
        key,
        e.hash.as_str().as_bytes(),
        &signature_bytes(e.signature.as_deref())?,
    )
    .map_err(|_| {
        bad(format!(
            "event #{} ({}): its signature does not verify with the key of {} (forged or altered)",
            e.replica_seq,
            e.kind,
            e.actor.as_deref().unwrap_or("no one")
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use countersign_core::audit::Draft;
    use rand_chacha::ChaCha20Rng;
    use rand_chacha::rand_core::SeedableRng;

    fn key(seed: u64) -> SigningKey {
        countersign_signing::generate(&mut ChaCha20Rng::seed_from_u64(seed))
    }

    fn events(key: &SigningKey, actor: &str, n: u64) -> Vec<Event> {
        let mut prev = None;
        (1..=n)
            .map(|i| {
                let mut e = Draft {
                    actor: Some(actor.into()),
                    at: Timestamp::from_unix_millis(i as i64),
                    kind: "comment.replied".into(),
                    payload: format!("{{\"n\":{i}}}"),
                }
                .seal("r1", i, i, prev.clone());
                e.signature = Some(hex::encode(countersign_signing::sign(
                    key,
                    e.hash.as_str().as_bytes(),
                )));
                prev = Some(e.hash.clone());
                e
            })
            .collect()
    }

    fn signed(key: &SigningKey) -> Batch {
        let mut b = Batch::new(
            "ws",
            "r1",
            1,
            Some("alice"),
            &events(key, "alice", 3),
            vec![],
        );
        b.sign(key);
        b
    }

    /// A signed batch of `alice`'s events at these (position, Lamport clock) pairs, linked.
    fn at(key: &SigningKey, points: &[(u64, u64)]) -> Vec<u8> {
        let mut prev = (points[0].0 != 1).then(|| Digest::of(b"before"));
        let evs: Vec<Event> = points
            .iter()
            .map(|&(seq, lamport)| {
                let mut e = Draft {
                    actor: Some("alice".into()),
                    at: Timestamp::from_unix_millis(1),
                    kind: "comment.replied".into(),
                    payload: "{}".into(),
                }
                .seal("r1", seq, lamport, prev.clone());
                e.signature = Some(hex::encode(countersign_signing::sign(
                    key,
                    e.hash.as_str().as_bytes(),
                )));
                prev = Some(e.hash.clone());
                e
            })
            .collect();
        let mut b = Batch::new("ws", "r1", 1, Some("alice"), &evs, vec![]);
        b.sign(key);
        b.to_bytes()
    }

    #[test]
    fn a_lamport_clock_above_the_bound_is_refused() {
        let k = key(1);
        // Up to the bound, clocks are taken.
        Batch::parse(&at(&k, &[(1, 1), (2, MAX_LAMPORT)]), "ws", "r1", 1).unwrap();
        // One past it, or at the top of the stored range, the batch is refused, naming why.
        for top in [MAX_LAMPORT + 1, i64::MAX as u64, u64::MAX] {
            for points in [vec![(1, top)], vec![(1, 1), (2, top)]] {
                let err = Batch::parse(&at(&k, &points), "ws", "r1", 1).unwrap_err();
                assert!(
                    err.0.contains("Lamport clock") && err.0.contains("above the largest"),
                    "{err}"
                );
            }
        }
    }

    #[test]
    fn a_position_at_the_top_of_the_range_is_refused_not_overflowed() {
        let k = key(1);
        Batch::parse(&at(&k, &[(MAX_REPLICA_SEQ, 5)]), "ws", "r1", 1).unwrap();
        for points in [
            vec![(u64::MAX, 5)],
            vec![(u64::MAX - 1, 5), (u64::MAX, 6)],
            vec![(MAX_REPLICA_SEQ, 5), (MAX_REPLICA_SEQ + 1, 6)],
            vec![(i64::MAX as u64 + 1, 5)],
        ] {
            let r = std::panic::catch_unwind(|| Batch::parse(&at(&k, &points), "ws", "r1", 1));
            let err = r
                .unwrap_or_else(|_| panic!("parsing positions {points:?} panicked"))
                .unwrap_err();
            assert!(err.0.contains("position"), "{err}");
        }
    }

    #[test]
    fn a_signed_batch_round_trips_and_verifies() {
        let k = key(1);
        let b = signed(&k);
        let parsed = Batch::parse(&b.to_bytes(), "ws", "r1", 1).unwrap();
        assert_eq!(parsed, b);
        parsed.verify_signature(&k.verifying_key()).unwrap();
        assert!(parsed.verify_signature(&key(2).verifying_key()).is_err());
    }

    #[test]
    fn the_causal_context_is_signed_and_v1_batches_are_still_read() {
        let k = key(1);
        let mut b = signed(&k);
        b.seen = Some(BTreeMap::from([("r2".to_owned(), 4)]));
        b.sign(&k);
        let parsed = Batch::parse(&b.to_bytes(), "ws", "r1", 1).unwrap();
        assert_eq!(parsed.seen_counts(), BTreeMap::from([("r2".to_owned(), 4)]));
        parsed.verify_signature(&k.verifying_key()).unwrap();
        // Claiming to have seen more, after signing, breaks the signature.
        let mut forged = parsed.clone();
        forged.seen = Some(BTreeMap::from([("r2".to_owned(), 9)]));
        let forged = Batch::parse(&forged.to_bytes(), "ws", "r1", 1).unwrap();
        assert!(forged.verify_signature(&k.verifying_key()).is_err());
        // Its own replica, or zero operations, is no causal context.
        for bad_seen in [("r1", 1), ("r2", 0)] {
            let mut x = b.clone();
            x.seen = Some(BTreeMap::from([(bad_seen.0.to_owned(), bad_seen.1)]));
            assert!(Batch::parse(&x.to_bytes(), "ws", "r1", 1).is_err());
        }
        // v2 without `seen` is refused; v1 is read, with an empty context.
        let mut x = b.clone();
        x.seen = None;
        assert!(Batch::parse(&x.to_bytes(), "ws", "r1", 1).is_err());
        let mut v1 = b.clone();
        v1.format = BATCH_FORMAT_V1.to_owned();
        v1.seen = None;
        v1.sign(&k);
        let bytes = v1.to_bytes();
        assert!(!String::from_utf8_lossy(&bytes).contains("seen"));
        let parsed = Batch::parse(&bytes, "ws", "r1", 1).unwrap();
        assert!(parsed.seen_counts().is_empty());
        parsed.verify_signature(&k.verifying_key()).unwrap();
        v1.seen = Some(BTreeMap::new());
        assert!(Batch::parse(&v1.to_bytes(), "ws", "r1", 1).is_err());
    }

    #[test]
    fn a_pushed_batch_holds_several_makers_each_checked_by_its_own_key() {
        let (alice, bob) = (key(1), key(2));
        let mut evs = events(&alice, "alice", 2);
        // Bob's event continues the chain.
        let mut e = Draft {
            actor: Some("bob".into()),
            at: Timestamp::from_unix_millis(3),
            kind: "comment.replied".into(),
            payload: "{\"n\":3}".into(),
        }
        .seal("r1", 3, 3, Some(evs[1].hash.clone()));
        e.signature = Some(hex::encode(countersign_signing::sign(
            &bob,
            e.hash.as_str().as_bytes(),
        )));
        evs.push(e);
        let mut b = Batch::new("ws", "r1", 1, Some("alice"), &evs, vec![]);
        b.sign(&alice);
        let parsed = Batch::parse(&b.to_bytes(), "ws", "r1", 1).unwrap();
        assert!(!parsed.signed_by_authors());
        parsed
            .verify_batch_signature(&alice.verifying_key())
            .unwrap();
        let got = parsed.events();
        verify_event_signature(&alice.verifying_key(), &got[0]).unwrap();
        verify_event_signature(&bob.verifying_key(), &got[2]).unwrap();
        assert!(verify_event_signature(&alice.verifying_key(), &got[2]).is_err());
        // The same events under an author-signed format are refused: Bob did not sign it.
        let mut v2 = b.clone();
        v2.format = BATCH_FORMAT_V2.to_owned();
        v2.sign(&alice);
        let err = Batch::parse(&v2.to_bytes(), "ws", "r1", 1).unwrap_err();
        assert!(err.0.contains("signed by alice"), "{err}");
    }

    #[test]
    fn damage_is_named() {
        let k = key(1);
        let bytes = signed(&k).to_bytes();
        let cut = &bytes[..bytes.len() / 2];
        assert!(
            Batch::parse(cut, "ws", "r1", 1)
                .unwrap_err()
                .0
                .contains("incomplete")
        );
        assert!(Batch::parse(b"\x00garbage", "ws", "r1", 1).is_err());
        assert!(
            Batch::parse(&bytes, "other", "r1", 1)
                .unwrap_err()
                .0
                .contains("workspace")
        );
        assert!(
            Batch::parse(&bytes, "ws", "r1", 2)
                .unwrap_err()
                .0
                .contains("sits at")
        );

        let mut b = signed(&k);
        b.events[1].payload = "{\"n\":99}".into();
        assert!(
            Batch::parse(&b.to_bytes(), "ws", "r1", 1)
                .unwrap_err()
                .0
                .contains("digest")
        );

        // Re-digested and re-hashed, the edit still fails on the signatures.
        let mut b = signed(&k);
        b.events[1].payload = "{\"n\":99}".into();
        b.events[1].payload_digest = Digest::of(b.events[1].payload.as_bytes());
        b.events[1].hash = b.events[1].to_event("r1").expected_hash();
        b.events[2].prev = Some(b.events[1].hash.clone());
        b.events[2].hash = b.events[2].to_event("r1").expected_hash();
        let parsed = Batch::parse(&b.to_bytes(), "ws", "r1", 1).unwrap();
        assert!(parsed.verify_signature(&k.verifying_key()).is_err());

        let mut b = signed(&k);
        b.events.remove(1);
        assert!(
            Batch::parse(&b.to_bytes(), "ws", "r1", 1)
                .unwrap_err()
                .0
                .contains("position")
        );

        let mut b = signed(&k);
        b.signer = None;
        b.signature = None;
        assert!(
            Batch::parse(&b.to_bytes(), "ws", "r1", 1)
                .unwrap_err()
                .0
                .contains("not signed")
        );
    }
}
