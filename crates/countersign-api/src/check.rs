//! `check`: the audit chain, its signatures, and SQLite's own integrity.

use std::collections::HashMap;

use countersign_core::audit::ChainVerifier;
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
    let mut verifier = ChainVerifier::new();
    let mut first_bad = None;
    for e in &events {
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
    let verified = match first_bad {
        Some(_) => 0,
        None => match verifier.finish(read.audit_head()?.as_ref()) {
            Ok(n) => n,
            Err(bad) => {
                first_bad = Some(bad);
                0
            }
        },
    };
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
