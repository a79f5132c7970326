//! What goes into this replica's next op batch, and whose key signs it.
//!
//! A batch is a run of this replica's consecutive operations made with the same causal context
//! (a pull applied nothing between them), at most [`batch_limit`] of them; the genesis travels
//! alone, unsigned. Every event carries its maker's own signature, so the batch itself needs only
//! one signature, by **the pusher**: one identity of this replica (its private key here) whose key
//! is not revoked here — the one named (`sync --as`), else the first made on this replica whose
//! key this session has unlocked, else the first made on this replica. A batch the pusher cannot
//! sign (its key revoked in the batch's causal past, or the batch made before the pusher was)
//! is signed by the first identity made on this replica that can; so a pass asks for one key,
//! and for another only in those corners.

use std::collections::{BTreeMap, HashMap};

use countersign_core::audit::Event;
use countersign_core::model::Identity;
use countersign_signing::SigningKey;
use countersign_store::{EVENT_SELECT, Reader};
use countersign_sync::batch::MAX_BATCH_EVENTS;

use super::causal::{self, Past};
use crate::{ApiError, Result};

/// The most events a batch is made with: [`MAX_BATCH_EVENTS`], or fewer when the tests ask
/// (`COUNTERSIGN_SYNC_TEST_BATCH_EVENTS`, to make a push of many batches).
pub(crate) fn batch_limit() -> usize {
    std::env::var("COUNTERSIGN_SYNC_TEST_BATCH_EVENTS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| (1..=MAX_BATCH_EVENTS).contains(n))
        .unwrap_or(MAX_BATCH_EVENTS)
}

/// The next batch to push.
#[derive(Debug)]
pub(crate) struct Planned {
    /// Its events, consecutive in this replica's chain.
    pub(crate) events: Vec<Event>,
    /// Their causal context.
    pub(crate) seen: BTreeMap<String, u64>,
    /// Who signs it (`None`: the genesis, unsigned).
    pub(crate) signer: Option<Identity>,
}

/// The identities made on this replica whose private key is here, in the order they were made,
/// each with the position of its `identity.created` in this replica's chain.
fn local_identities(read: Reader<'_>, replica: &str) -> Result<Vec<(Identity, u64)>> {
    let made = read.events_sql(
        &format!(
            "{EVENT_SELECT} WHERE replica = ?1 AND kind = 'identity.created' ORDER BY replica_seq"
        ),
        [replica],
    )?;
    let mut out = Vec::new();
    for e in made {
        let Some(id) = e.actor.as_deref() else {
            continue;
        };
        if read.has_private_key(id)? {
            out.push((read.identity(id)?, e.replica_seq));
        }
    }
    Ok(out)
}

fn revoked_here(read: Reader<'_>, id: &str) -> Result<bool> {
    Ok(!read.revocations(Some(id))?.is_empty())
}

/// The pusher of a pass: `named`, else the first identity made on this replica whose key is in
/// `unlocked`, else the first made on this replica; identities revoked here are passed over
/// (unless every one is). `None` when this replica has made no identity.
pub(crate) fn pusher(
    read: Reader<'_>,
    replica: &str,
    named: Option<&Identity>,
    unlocked: &HashMap<String, SigningKey>,
) -> Result<Option<Identity>> {
    let locals = local_identities(read, replica)?;
    if let Some(n) = named {
        if !locals.iter().any(|(i, _)| i.id == n.id) {
            return Err(ApiError::NotPermitted(format!(
                "{} was not made on this replica (its key is elsewhere); push as one of this replica's identities",
                n.name
            )));
        }
        if revoked_here(read, &n.id)? {
            return Err(ApiError::NotPermitted(format!(
                "{}'s key is revoked; push as another of this replica's identities",
                n.name
            )));
        }
        return Ok(Some(n.clone()));
    }
    let mut usable = Vec::new();
    for (i, _) in &locals {
        if !revoked_here(read, &i.id)? {
            usable.push(i.clone());
        }
    }
    if let Some(i) = usable.iter().find(|i| unlocked.contains_key(&i.id)) {
        return Ok(Some(i.clone()));
    }
    Ok(usable
        .into_iter()
        .next()
        .or_else(|| locals.into_iter().next().map(|(i, _)| i)))
}

/// The batch of this replica's operations after position `after`, if any, and who signs it.
pub(crate) fn next_batch(
    read: Reader<'_>,
    replica: &str,
    after: u64,
    pusher: Option<&Identity>,
    limit: usize,
) -> Result<Option<Planned>> {
    let events = read.replica_events_after(replica, after, limit)?;
    let Some(first) = events.first() else {
        return Ok(None);
    };
    if first.actor.is_none() {
        return Ok(Some(Planned {
            events: vec![first.clone()],
            seen: BTreeMap::new(),
            signer: None,
        }));
    }
    // What this replica had applied of the others when it made them: none known for those made
    // before it was kept; a batch ends where a pull applied something in between.
    let causal_from = read.causal_from()?;
    let legacy = first.replica_seq <= causal_from;
    let (seen, until) = if legacy {
        (BTreeMap::new(), None)
    } else {
        (
            read.seen_before(replica, first.seq)?,
            read.next_foreign_after(replica, first.seq)?,
        )
    };
    let run: Vec<Event> = events
        .iter()
        .take_while(|e| {
            e.actor.is_some()
                && if legacy {
                    e.replica_seq <= causal_from
                } else {
                    until.is_none_or(|u| e.seq < u)
                }
        })
        .cloned()
        .collect();
    let last = run.last().map_or(first.replica_seq, |e| e.replica_seq);
    // Not revoked by anything this replica had applied by the batch's last operation, and made
    // by then (so every replica knows the key when the batch arrives).
    let past = Past::new(replica, last + 1, seen.clone());
    let locals = local_identities(read, replica)?;
    let candidates = pusher
        .into_iter()
        .chain(locals.iter().map(|(i, _)| i))
        .collect::<Vec<_>>();
    // Once this replica has identities, its batches are signed by one made before the batch
    // (every other replica refuses a signer the batch itself introduces: anyone could introduce
    // a key of their own); its very first identities may sign the batch that makes them.
    let established = locals.iter().any(|(_, at)| *at < first.replica_seq);
    let limit = if established {
        first.replica_seq - 1
    } else {
        last
    };
    let mut signer = None;
    for c in candidates {
        let made = locals.iter().find(|(i, _)| i.id == c.id).map(|(_, at)| *at);
        if made.is_some_and(|at| at <= limit)
            && causal::binding_revocation(read, &past, &c.id)?.is_none()
        {
            signer = Some(c.clone());
            break;
        }
    }
    let Some(signer) = signer else {
        return Err(ApiError::NotPermitted(format!(
            "no identity of this replica can sign its operations #{}–#{last}: each one's key is revoked, or it was made after them",
            first.replica_seq
        )));
    };
    Ok(Some(Planned {
        events: run,
        seen,
        signer: Some(signer),
    }))
}
