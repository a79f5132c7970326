//! The audit log: every change is an append-only event in a hash chain.
//!
//! Every workspace replica keeps its own chain. An event's hash covers the replica that made it,
//! its position in that replica's chain, its Lamport clock, its actor, time, kind, the digest of
//! its payload and the hash of the replica's previous event. Each event made by an identity is
//! signed by that identity (over the event hash), so a hand-edited row breaks either a digest, a
//! link or a signature, and an event cannot be moved into another replica's chain.
//!
//! The events of every replica, merged and ordered by [`Event::order_key`] (Lamport clock, then
//! replica id, then position), are the workspace's operations: sync ships them between replicas.
//! This module computes and checks; storing is the store's business and verifying signatures is
//! handed in as a closure, so the core needs no cryptography beyond hashing.

use serde::{Deserialize, Serialize};

use crate::digest::{Digest, FieldHasher};
use crate::time::Timestamp;

/// The largest Lamport clock an event may carry: 2^53 − 1.
///
/// Clocks are `u64` in events but stored as SQLite's signed 64-bit integers, and every replica
/// that applies an event makes its own later events' clocks greater than it. Unbounded, one event
/// with a clock near `i64::MAX` (sent by a faulty or hostile replica) would leave every replica
/// that applied it no clock to advance to. The bound leaves room for 2^53 operations after any
/// accepted one (centuries at a million a second), keeps clocks exact as JSON numbers in any
/// reader (the desktop app's included), and is far below `i64::MAX`. Batches holding a clock
/// above it are refused (quarantined), and a replica never makes one.
pub const MAX_LAMPORT: u64 = (1 << 53) - 1;

/// The largest position an event may hold in its replica's chain (2^53 − 1, as [`MAX_LAMPORT`]):
/// positions are stored as signed 64-bit integers too.
pub const MAX_REPLICA_SEQ: u64 = (1 << 53) - 1;

/// One stored audit event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Where this workspace stored it (1-based, local order of arrival). Not hashed: the same
    /// event has different local positions on different replicas.
    pub seq: u64,
    /// The replica whose chain it belongs to; empty for an event written before replicas existed
    /// (format v1, verified with [`legacy_event_hash`]).
    pub replica: String,
    /// 1-based position in its replica's chain.
    pub replica_seq: u64,
    /// Lamport clock: greater than that of every event its replica had seen when it was made.
    pub lamport: u64,
    /// The identity that made the change; `None` only for the workspace's own genesis event.
    pub actor: Option<String>,
    /// When.
    pub at: Timestamp,
    /// What kind of change (`packet.created`, `objection.accepted`, …).
    pub kind: String,
    /// The change itself, as JSON text exactly as stored.
    pub payload: String,
    /// Digest of `payload`'s bytes.
    pub payload_digest: Digest,
    /// Hash of the previous event of the same replica; `None` for its first.
    pub prev: Option<Digest>,
    /// This event's hash (see [`event_hash`]).
    pub hash: Digest,
    /// ed25519 signature by `actor` over the bytes of `hash` as text, hex; `None` when no actor.
    pub signature: Option<String>,
}

impl Event {
    /// The hash this event's fields call for.
    pub fn expected_hash(&self) -> Digest {
        if self.replica.is_empty() {
            legacy_event_hash(
                self.replica_seq,
                self.actor.as_deref(),
                self.at,
                &self.kind,
                &self.payload_digest,
                self.prev.as_ref(),
            )
        } else {
            event_hash(
                &self.replica,
                self.replica_seq,
                self.lamport,
                self.actor.as_deref(),
                self.at,
                &self.kind,
                &self.payload_digest,
                self.prev.as_ref(),
            )
        }
    }

    /// The total order every replica applies operations in: Lamport clock, then replica id, then
    /// position in the replica's chain.
    pub fn order_key(&self) -> (u64, &str, u64) {
        (self.lamport, &self.replica, self.replica_seq)
    }
}

/// The hash of an event from its parts (format v2: replicas and Lamport clocks).
#[allow(clippy::too_many_arguments)]
pub fn event_hash(
    replica: &str,
    replica_seq: u64,
    lamport: u64,
    actor: Option<&str>,
    at: Timestamp,
    kind: &str,
    payload_digest: &Digest,
    prev: Option<&Digest>,
) -> Digest {
    let mut h = FieldHasher::new("countersign/event/v2");
    h.str(replica)
        .str(&replica_seq.to_string())
        .str(&lamport.to_string())
        .str(actor.unwrap_or(""))
        .str(&at.to_string())
        .str(kind)
        .str(payload_digest.as_str())
        .str(prev.map(Digest::as_str).unwrap_or(""));
    h.finish()
}

/// The hash of an event written before replicas existed (format v1), still verified by `check`.
pub fn legacy_event_hash(
    seq: u64,
    actor: Option<&str>,
    at: Timestamp,
    kind: &str,
    payload_digest: &Digest,
    prev: Option<&Digest>,
) -> Digest {
    let mut h = FieldHasher::new("countersign/event/v1");
    h.str(&seq.to_string())
        .str(actor.unwrap_or(""))
        .str(&at.to_string())
        .str(kind)
        .str(payload_digest.as_str())
        .str(prev.map(Digest::as_str).unwrap_or(""));
    h.finish()
}

/// An event ready to be appended: the store supplies its replica, position, clock and `prev`,
/// then [`Draft::seal`]s it.
#[derive(Debug, Clone)]
pub struct Draft {
    /// Who.
    pub actor: Option<String>,
    /// When.
    pub at: Timestamp,
    /// Kind.
    pub kind: String,
    /// JSON payload text.
    pub payload: String,
}

impl Draft {
    /// Complete a draft at position `replica_seq` of `replica`'s chain, after `prev`, with Lamport
    /// clock `lamport`. The signature is added by the caller; the local `seq` by the store.
    pub fn seal(
        self,
        replica: &str,
        replica_seq: u64,
        lamport: u64,
        prev: Option<Digest>,
    ) -> Event {
        let payload_digest = Digest::of(self.payload.as_bytes());
        let hash = event_hash(
            replica,
            replica_seq,
            lamport,
            self.actor.as_deref(),
            self.at,
            &self.kind,
            &payload_digest,
            prev.as_ref(),
        );
        Event {
            seq: replica_seq,
            replica: replica.to_owned(),
            replica_seq,
            lamport,
            actor: self.actor,
            at: self.at,
            kind: self.kind,
            payload: self.payload,
            payload_digest,
            prev,
            hash,
            signature: None,
        }
    }
}

/// What is wrong with an event in the chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainFault {
    /// A sequence number is missing or repeated.
    #[error("expected event #{expected} here, found #{found} (an event was removed or inserted)")]
    SequenceGap {
        /// The number expected.
        expected: u64,
        /// The number found.
        found: u64,
    },
    /// The payload does not match its digest.
    #[error("its payload does not match its recorded digest (the payload was edited)")]
    PayloadEdited,
    /// The event's fields do not match its hash.
    #[error("its fields do not match its hash (actor, time, kind or digest was edited)")]
    HashMismatch,
    /// The link to the previous event is broken.
    #[error("it does not link to the event before it (the chain was cut or reordered)")]
    BrokenLink,
    /// The signature is missing or does not verify.
    #[error("its signature does not verify: {0}")]
    BadSignature(String),
    /// The Lamport clock does not advance along the chain.
    #[error(
        "its Lamport clock does not advance past the event before it (the chain was reordered)"
    )]
    ClockWentBack,
    /// The chain's recorded head is not its last event.
    #[error(
        "the recorded head of the chain is not its last event (events were removed from the end)"
    )]
    HeadMismatch,
}

/// The first bad event found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit event #{seq} ({kind}) is bad: {fault}")]
pub struct BadEvent {
    /// Its local sequence number.
    pub seq: u64,
    /// Its kind, as stored.
    pub kind: String,
    /// What is wrong.
    pub fault: ChainFault,
}

/// Walks one replica's chain event by event, in chain order; report the first bad event.
#[derive(Debug)]
pub struct ChainVerifier {
    expected_seq: u64,
    prev: Option<Digest>,
    last_kind: String,
    last_seq: u64,
    lamport: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier::new()
    }
}

impl ChainVerifier {
    /// A verifier for a chain starting at #1.
    pub fn new() -> ChainVerifier {
        ChainVerifier {
            expected_seq: 1,
            prev: None,
            last_kind: String::new(),
            last_seq: 0,
            lamport: 0,
        }
    }

    /// Check the next event. `verify_signature` checks `event.signature` against `event.actor`'s
    /// key over `event.hash`; it is only called for events with an actor.
    pub fn push(
        &mut self,
        event: &Event,
        verify_signature: impl FnOnce(&Event) -> Result<(), String>,
    ) -> Result<(), BadEvent> {
        let bad = |fault| BadEvent {
            seq: event.seq,
            kind: event.kind.clone(),
            fault,
        };
        if event.replica_seq != self.expected_seq {
            return Err(bad(ChainFault::SequenceGap {
                expected: self.expected_seq,
                found: event.replica_seq,
            }));
        }
        if Digest::of(event.payload.as_bytes()) != event.payload_digest {
            return Err(bad(ChainFault::PayloadEdited));
        }
        if event.prev != self.prev {
            return Err(bad(ChainFault::BrokenLink));
        }
        if event.expected_hash() != event.hash {
            return Err(bad(ChainFault::HashMismatch));
        }
        if !event.replica.is_empty() && event.lamport <= self.lamport {
            return Err(bad(ChainFault::ClockWentBack));
        }
        if event.actor.is_some() {
            verify_signature(event).map_err(|e| bad(ChainFault::BadSignature(e)))?;
        }
        self.expected_seq += 1;
        self.prev = Some(event.hash.clone());
        self.last_kind.clone_from(&event.kind);
        self.last_seq = event.seq;
        self.lamport = event.lamport;
        Ok(())
    }

    /// The hash of the last event pushed so far.
    pub fn last_hash(&self) -> Option<Digest> {
        self.prev.clone()
    }

    /// Finish: the recorded head must be the last event's hash. Returns how many events held.
    pub fn finish(self, recorded_head: Option<&Digest>) -> Result<u64, BadEvent> {
        if recorded_head != self.prev.as_ref() {
            return Err(BadEvent {
                seq: self.last_seq,
                kind: self.last_kind,
                fault: ChainFault::HeadMismatch,
            });
        }
        Ok(self.expected_seq - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: u64) -> Vec<Event> {
        let mut prev = None;
        (1..=n)
            .map(|seq| {
                let e = Draft {
                    actor: None,
                    at: Timestamp::from_unix_millis(seq as i64),
                    kind: "test.event".into(),
                    payload: format!("{{\"n\":{seq}}}"),
                }
                .seal("r1", seq, seq * 10, prev.clone());
                prev = Some(e.hash.clone());
                e
            })
            .collect()
    }

    fn verify(events: &[Event]) -> Result<u64, BadEvent> {
        let mut v = ChainVerifier::new();
        for e in events {
            v.push(e, |_| Ok(()))?;
        }
        let head = events.last().map(|e| e.hash.clone());
        v.finish(head.as_ref())
    }

    #[test]
    fn a_good_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(5));
        assert_eq!(verify(&[]), Ok(0));
    }

    #[test]
    fn each_kind_of_edit_is_named_at_the_right_event() {
        let mut c = chain(5);
        c[2].payload = "{\"n\":99}".into();
        assert_eq!(verify(&c).unwrap_err().fault, ChainFault::PayloadEdited);
        assert_eq!(verify(&c).unwrap_err().seq, 3);

        let mut c = chain(5);
        c[1].kind = "other".into();
        assert_eq!(
            verify(&c).unwrap_err(),
            BadEvent {
                seq: 2,
                kind: "other".into(),
                fault: ChainFault::HashMismatch
            }
        );

        let mut c = chain(5);
        c.remove(3);
        assert!(matches!(
            verify(&c).unwrap_err().fault,
            ChainFault::SequenceGap {
                expected: 4,
                found: 5
            }
        ));

        let mut c = chain(5);
        c[3].prev = Some(Digest::of(b"elsewhere"));
        assert_eq!(verify(&c).unwrap_err().fault, ChainFault::BrokenLink);

        // Moved into another replica's chain, or given another clock: the hash no longer holds.
        let mut c = chain(5);
        c[2].replica = "r2".into();
        assert_eq!(verify(&c).unwrap_err().fault, ChainFault::HashMismatch);
        let mut c = chain(5);
        c[2].lamport = 1;
        assert_eq!(verify(&c).unwrap_err().fault, ChainFault::HashMismatch);
    }

    #[test]
    fn a_clock_that_goes_back_is_caught() {
        let mut c = chain(3);
        c[2].lamport = 25;
        c[2].hash = c[2].expected_hash();
        assert!(verify(&c).is_ok());
        c[2].lamport = 20;
        c[2].hash = c[2].expected_hash();
        assert_eq!(verify(&c).unwrap_err().fault, ChainFault::ClockWentBack);
    }

    #[test]
    fn legacy_events_verify_with_the_v1_hash() {
        let mut e = chain(1).remove(0);
        e.replica = String::new();
        e.hash = legacy_event_hash(1, None, e.at, &e.kind, &e.payload_digest, None);
        assert!(verify(&[e.clone()]).is_ok());
        e.hash = event_hash("", 1, 10, None, e.at, &e.kind, &e.payload_digest, None);
        assert_eq!(verify(&[e]).unwrap_err().fault, ChainFault::HashMismatch);
    }

    #[test]
    fn the_total_order_is_clock_then_replica_then_position() {
        let mut a = chain(2);
        let mut b = chain(2);
        for e in &mut b {
            e.replica = "r0".into();
        }
        a.append(&mut b);
        a.sort_by(|x, y| x.order_key().cmp(&y.order_key()));
        let keys: Vec<_> = a
            .iter()
            .map(|e| (e.replica.as_str(), e.replica_seq))
            .collect();
        assert_eq!(keys, [("r0", 1), ("r1", 1), ("r0", 2), ("r1", 2)]);
    }

    #[test]
    fn a_cut_tail_is_caught_by_the_recorded_head() {
        let c = chain(5);
        let mut v = ChainVerifier::new();
        for e in &c[..4] {
            v.push(e, |_| Ok(())).unwrap();
        }
        assert_eq!(
            v.finish(Some(&c[4].hash)).unwrap_err().fault,
            ChainFault::HeadMismatch
        );
    }

    #[test]
    fn signatures_are_checked_for_actors() {
        let mut c = chain(2);
        c[1].actor = Some("someone".into());
        c[1].hash = event_hash(
            "r1",
            2,
            20,
            Some("someone"),
            c[1].at,
            &c[1].kind,
            &c[1].payload_digest,
            c[1].prev.as_ref(),
        );
        let mut v = ChainVerifier::new();
        v.push(&c[0], |_| Ok(())).unwrap();
        let err = v.push(&c[1], |_| Err("no signature".into())).unwrap_err();
        assert_eq!(err.fault, ChainFault::BadSignature("no signature".into()));
    }
}
