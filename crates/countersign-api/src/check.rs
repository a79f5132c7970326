//! `check`: the audit chain, its signatures, and SQLite's own integrity.

use std::collections::{BTreeMap, HashMap};

use countersign_core::audit::{BadEvent, ChainVerifier};
use countersign_signing::{VerifyingKey, fingerprint, public_key_from_hex, verify};
use countersign_store::Store;

use crate::Result;
use crate::dto::CheckReport;

pub(crate) fn run(store: &Store) -> Result<CheckReport> {
    // One snapshot: events, the recorded head and the keys must be read together, or a write
    // committed by another process in between looks like tampering.
    store.snapshot(|| run_on_snapshot(store))
}

fn run_on_snapshot(store: &Store) -> Result<CheckReport> {
    let mut problems = store.integrity_problems()?;
    let read = store.read();
    let mut keys: HashMap<String, VerifyingKey> = HashMap::new();
    for i in read.identities()? {
        match public_key_from_hex(&i.public_key) {
            Ok(k) if fingerprint(&k) == i.id => {
                keys.insert(i.id, k);
            }
            Ok(_) => problems.push(format!("identity {} does not match its public key", i.id)),
            Err(e) => problems.push(format!("identity {}: {e}", i.id)),
        }
    }
    let events = read.events()?;
    // One chain per replica: this replica's, each other replica's as received, and the events
    // written before replicas existed (replica ""). This replica's and the legacy chain have a
    // recorded head; another replica's chain is checked for gaps, links and signatures.
    let local = read.meta("replica_id")?.unwrap_or_default();
    let mut chains: BTreeMap<String, ChainVerifier> = BTreeMap::new();
    chains.insert(local.clone(), ChainVerifier::new());
    let mut first_bad = None;
    for e in &events {
        let verifier = chains.entry(e.replica.clone()).or_default();
        let checked = verifier.push(e, |e| {
            let actor = e.actor.as_deref().unwrap_or_default();
            let key = keys
                .get(actor)
                .ok_or_else(|| format!("its actor {actor} is not a known identity"))?;
            let sig = e.signature.as_deref().ok_or("it carries no signature")?;
            let sig = hex::decode(sig).map_err(|_| "its signature is not hex".to_owned())?;
            verify(key, e.hash.as_str().as_bytes(), &sig).map_err(|err| err.to_string())
        });
        if let Err(bad) = checked {
            first_bad = Some(bad);
            break;
        }
    }
    let mut verified = 0;
    if first_bad.is_none() {
        for (replica, verifier) in chains {
            let recorded = if replica == local {
                read.audit_head()?
            } else if replica.is_empty() {
                read.meta("legacy_audit_head")?
                    .and_then(|h| countersign_core::Digest::parse(&h).ok())
            } else {
                verifier.last_hash()
            };
            match verifier.finish(recorded.as_ref()) {
                Ok(n) => verified += n,
                Err(bad) => {
                    if first_bad
                        .as_ref()
                        .is_none_or(|b: &BadEvent| bad.seq < b.seq)
                    {
                        first_bad = Some(bad);
                    }
                }
            }
        }
    }
    let events_verified = if first_bad.is_some() {
        first_bad.as_ref().map_or(0, |b| b.seq.saturating_sub(1))
    } else {
        verified
    };
    Ok(CheckReport {
        ok: first_bad.is_none() && problems.is_empty(),
        events_verified,
        first_bad_seq: first_bad.as_ref().map(|b| b.seq),
        first_bad_event: first_bad.map(|b| b.to_string()),
        problems,
    })
}
