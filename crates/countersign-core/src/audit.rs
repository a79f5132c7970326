//! The audit log: every change is an append-only event in a hash chain.
//!
//! An event's hash covers its sequence number, actor, time, kind, the digest of its payload and
//! the hash of the event before it. Each event made by an identity is signed by that identity
//! (over the event hash), so a hand-edited row breaks either a digest, a link or a signature.
//! This module computes and checks; storing is the store's business and verifying signatures is
//! handed in as a closure, so the core needs no cryptography beyond hashing.

use serde::{Deserialize, Serialize};

use crate::digest::{Digest, FieldHasher};
use crate::time::Timestamp;

/// One stored audit event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// 1-based position in the chain.
    pub seq: u64,
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
    /// Hash of the previous event; `None` for the first.
    pub prev: Option<Digest>,
    /// This event's hash (see [`event_hash`]).
    pub hash: Digest,
    /// ed25519 signature by `actor` over the bytes of `hash` as text, hex; `None` when no actor.
    pub signature: Option<String>,
}

/// The hash of an event from its parts.
pub fn event_hash(
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

/// An event ready to be appended: the store supplies `seq` and `prev`, then [`seal`]s it.
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
    /// Complete a draft at position `seq` after `prev`. The signature is added by the caller.
    pub fn seal(self, seq: u64, prev: Option<Digest>) -> Event {
        let payload_digest = Digest::of(self.payload.as_bytes());
        let hash = event_hash(
            seq,
            self.actor.as_deref(),
            self.at,
            &self.kind,
            &payload_digest,
            prev.as_ref(),
        );
        Event {
            seq,
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
    /// Its sequence number.
    pub seq: u64,
    /// Its kind, as stored.
    pub kind: String,
    /// What is wrong.
    pub fault: ChainFault,
}

/// Walks a chain event by event, in order; report the first bad event.
#[derive(Debug, Default)]
pub struct ChainVerifier {
    expected_seq: u64,
    prev: Option<Digest>,
    last_kind: String,
}

impl ChainVerifier {
    /// A verifier for a chain starting at #1.
    pub fn new() -> ChainVerifier {
        ChainVerifier {
            expected_seq: 1,
            prev: None,
            last_kind: String::new(),
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
        if event.seq != self.expected_seq {
            return Err(bad(ChainFault::SequenceGap {
                expected: self.expected_seq,
                found: event.seq,
            }));
        }
        if Digest::of(event.payload.as_bytes()) != event.payload_digest {
            return Err(bad(ChainFault::PayloadEdited));
        }
        if event.prev != self.prev {
            return Err(bad(ChainFault::BrokenLink));
        }
        let expect = event_hash(
            event.seq,
            event.actor.as_deref(),
            event.at,
            &event.kind,
            &event.payload_digest,
            event.prev.as_ref(),
        );
        if expect != event.hash {
            return Err(bad(ChainFault::HashMismatch));
        }
        if event.actor.is_some() {
            verify_signature(event).map_err(|e| bad(ChainFault::BadSignature(e)))?;
        }
        self.expected_seq += 1;
        self.prev = Some(event.hash.clone());
        self.last_kind.clone_from(&event.kind);
        Ok(())
    }

    /// Finish: the recorded head must be the last event's hash. Returns how many events held.
    pub fn finish(self, recorded_head: Option<&Digest>) -> Result<u64, BadEvent> {
        if recorded_head != self.prev.as_ref() {
            return Err(BadEvent {
                seq: self.expected_seq.saturating_sub(1),
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
                .seal(seq, prev.clone());
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
            2,
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
