//! Causal context, and the rule for operations signed with a revoked key.
//!
//! Every op batch says what its replica had applied of every other replica when it made the
//! batch's events (`seen`, format `countersign/ops/v2`), and a replica applies an event only once
//! it holds all of that (causal delivery), so an event's causal past — its own replica's earlier
//! events, and those positions of the others — is known, and the same, on every replica.
//!
//! **The rule.** A policy version that revokes a key is a *revocation* of it (recorded in
//! `revocations`, whichever policy version stands here). An operation signed with that key is
//! judged against the revocations of it:
//! - one of them is in its causal past (its replica had applied it): the operation is refused —
//!   at its origin when made, and quarantined by every other replica;
//! - none is, but one is concurrent with it (neither replica had the other's operation): it is
//!   applied on every replica, and listed on every replica as a `revoked_concurrently` conflict
//!   naming the key, its identity and the replica that revoked it, for a person to review;
//! - it is in the causal past of every revocation: it came first, and stands.
//!
//! Operations whose causal context is unknown (received in v1 batches, or made here before
//! the context was kept: up to `meta.causal_from`) count as having seen nothing beyond their own
//! replica's chain.

use std::collections::{BTreeMap, HashMap};

use countersign_core::Timestamp;
use countersign_core::audit::Event;
use countersign_release::Policy;
use countersign_store::{Reader, RevocationRow, Tx};

use crate::Result;

/// The causal past of an operation (or of the operations of one batch): the positions of its own
/// replica's chain before it, and how many operations of every other replica it had applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Past {
    replica: String,
    before: u64,
    seen: BTreeMap<String, u64>,
}

impl Past {
    /// The past of an operation at position `before` of `replica`'s chain, made with `seen`
    /// applied.
    pub(crate) fn new(replica: &str, before: u64, seen: BTreeMap<String, u64>) -> Past {
        Past {
            replica: replica.to_owned(),
            before,
            seen,
        }
    }

    /// Whether `e` is in it.
    pub(crate) fn holds(&self, e: &Event) -> bool {
        if e.replica == self.replica {
            e.replica_seq < self.before
        } else {
            self.seen
                .get(&e.replica)
                .is_some_and(|n| *n >= e.replica_seq)
        }
    }
}

/// Whether `of` is in the causal past of `maker` (both held here; `own` is this replica).
pub(crate) fn knew(read: Reader<'_>, own: &str, maker: &Event, of: &Event) -> Result<bool> {
    if of.replica == maker.replica {
        return Ok(of.replica_seq < maker.replica_seq);
    }
    let had = if maker.replica == own {
        if maker.replica_seq <= read.causal_from()? {
            0
        } else {
            read.held_before(&of.replica, maker.seq)?
        }
    } else {
        read.event_seen(&maker.hash)?
            .and_then(|s| s.get(&of.replica).copied())
            .unwrap_or(0)
    };
    Ok(had >= of.replica_seq)
}

/// Record the keys the policy version issued by `event` revokes.
pub(crate) fn record_revocations(
    tx: &Tx<'_>,
    event: &countersign_core::Digest,
    policy: &Policy,
) -> Result<()> {
    for i in &policy.identities {
        for k in &i.keys {
            if let Some(at) = k.revoked_at {
                tx.insert_revocation(event, &k.keyid, at)?;
            }
        }
    }
    Ok(())
}

/// The earliest revocation time recorded for every revoked key (kept by every later policy
/// version, whichever version stands here).
pub(crate) fn revoked_keys(read: Reader<'_>) -> Result<HashMap<String, Timestamp>> {
    let mut out: HashMap<String, Timestamp> = HashMap::new();
    for r in read.revocations(None)? {
        let at = out.entry(r.keyid).or_insert(r.revoked_at);
        if r.revoked_at < *at {
            *at = r.revoked_at;
        }
    }
    Ok(out)
}

/// A revocation of `keyid` in `past`, if any: an operation made there is refused.
pub(crate) fn binding_revocation(
    read: Reader<'_>,
    past: &Past,
    keyid: &str,
) -> Result<Option<RevocationRow>> {
    Ok(read
        .revocations(Some(keyid))?
        .into_iter()
        .find(|r| past.holds(&r.event)))
}

/// Every held operation signed with a key that was revoked concurrently with it, with the first
/// such revocation (in the merged order), in the merged order of the operations.
pub(crate) fn revoked_concurrently(read: Reader<'_>) -> Result<Vec<(Event, RevocationRow)>> {
    let own = read.replica_id()?;
    let mut by_key: BTreeMap<String, Vec<RevocationRow>> = BTreeMap::new();
    for r in read.revocations(None)? {
        by_key.entry(r.keyid.clone()).or_default().push(r);
    }
    let mut out = Vec::new();
    for (key, revs) in &by_key {
        'ops: for e in read.events_by_actor(key)? {
            for r in revs {
                // Made knowing of a revocation: refused everywhere but where an earlier version
                // made it; not a concurrent operation.
                if knew(read, &own, &e, &r.event)? {
                    continue 'ops;
                }
            }
            for r in revs {
                if !knew(read, &own, &r.event, &e)? {
                    out.push((e, r.clone()));
                    continue 'ops;
                }
            }
        }
    }
    out.sort_by(|(a, _), (b, _)| a.order_key().cmp(&b.order_key()));
    Ok(out)
}

/// Record the revocations of the policy versions held before they were recorded (once, on
/// opening a workspace made by an earlier version). A policy version kept only as a conflict
/// then was not kept whole, and cannot be.
pub(crate) fn backfill(tx: &Tx<'_>) -> Result<()> {
    let read = tx.reader();
    let mut v = 1;
    while let Some((digest, envelope)) = read.policy_version(v)? {
        let policy: Policy = crate::release::payload_of(&envelope)?;
        for e in read.events_sql(
            &format!(
                "{} WHERE kind = 'policy.issued' AND json_extract(payload, '$.digest') = ?1",
                countersign_store::EVENT_SELECT
            ),
            [digest.as_str()],
        )? {
            record_revocations(tx, &e.hash, &policy)?;
        }
        v += 1;
    }
    tx.set_meta("revocations_backfill", "done")?;
    Ok(())
}
