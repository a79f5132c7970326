//! Applying another replica's events: one function per kind, each updating the same state tables
//! the local use cases write, each idempotent (applying an event twice changes nothing).
//!
//! Events arrive in the order every replica applies them (Lamport clock, replica id, position),
//! but they may land *before* events already applied here (an offline replica's older work).
//! Whatever depends on order — a thread's messages and resolution, an objection's ledger, an
//! evidence item's versions — is therefore re-derived from all of the entity's events in that
//! order each time one of them arrives, so the result never depends on when things arrived.
//! Everything else is a set (identities, packets, revisions, blobs, files, manifests, approvals,
//! holds, releases) and merges by union. Run records are applied in `runs`: their steps and
//! facts are read in the merged order, and their conflicts re-derived per run.

use std::collections::HashMap;

use bytes::Bytes;
use countersign_core::audit::Event;
use countersign_core::authority::{HumanAct, require_human};
use countersign_core::ledger::{self, Actor, LedgerAction, ObjectionFacts, ObjectionStatus};
use countersign_core::model::{
    CommentThread, Identity, LedgerEntry, Message, Objection, Packet, Revision, revision_id,
};
use countersign_core::{Digest, Timestamp, text};
use countersign_release::stale::HoldCause;
use countersign_release::types::{APPROVAL_TYPE, MANIFEST_TYPE, POLICY_TYPE};
use countersign_release::verify::{VerifyInput, verify_bundle};
use countersign_release::{Approval, Bundle, Manifest, Policy};
use countersign_signing::dsse;
use countersign_store::{
    ApprovalRow, ConflictRow, EvidenceVersion, HoldRow, ManifestRow, Reader, ReleaseRow, Tx,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::ApiError;

mod runs;

/// Why an event could not be applied.
#[derive(Debug)]
pub(crate) enum ApplyError {
    /// The event is refused: it is quarantined (with its batch) and its replica's later events
    /// wait behind it.
    Refused(String),
    /// Something failed here (the database): the pass stops.
    Local(ApiError),
}

/// A write the schema refuses (a key taken, a uniqueness, a check or a foreign key failed) means
/// the event does not fit what is held here: it is refused like any other event that does not
/// apply, and never fails the pass. (Failing the pass would roll it back, and the next pass would
/// fetch the same batch and fail again, for ever.)
impl From<ApiError> for ApplyError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Store(s) => s.into(),
            other => ApplyError::Local(other),
        }
    }
}

impl From<countersign_store::StoreError> for ApplyError {
    fn from(e: countersign_store::StoreError) -> Self {
        if e.is_constraint() {
            ApplyError::Refused(format!("it does not fit what is held here ({e})"))
        } else {
            ApplyError::Local(e.into())
        }
    }
}

type Applied<T = ()> = std::result::Result<T, ApplyError>;

fn refuse<T>(why: impl Into<String>) -> Applied<T> {
    Err(ApplyError::Refused(why.into()))
}

/// What applying did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The projections reflect the event.
    Applied,
    /// The event is kept in the log but changed nothing here (why).
    Kept(String),
}

fn parse<T: DeserializeOwned>(e: &Event) -> Applied<T> {
    serde_json::from_str(&e.payload).or_else(|err| {
        refuse(format!(
            "its payload is not a well-formed {}: {err}",
            e.kind
        ))
    })
}

fn actor(e: &Event) -> Applied<&str> {
    match e.actor.as_deref() {
        Some(a) => Ok(a),
        None => refuse("it names no actor"),
    }
}

fn same_actor(e: &Event, who: &str, role: &str) -> Applied {
    if actor(e)? == who {
        Ok(())
    } else {
        refuse(format!(
            "it is signed by {} but names {who} as its {role}",
            actor(e)?
        ))
    }
}

fn object<'o>(objects: &'o HashMap<Digest, Bytes>, d: &Digest, what: &str) -> Applied<&'o Bytes> {
    match objects.get(d) {
        Some(b) => Ok(b),
        None => refuse(format!("its {what} ({d}) is not at hand")),
    }
}

/// The bytes of an object: fetched in this pass, or already held here (the same bytes may have
/// arrived with another event).
fn bytes_of(
    read: Reader<'_>,
    objects: &HashMap<Digest, Bytes>,
    d: &Digest,
    what: &str,
) -> Applied<Bytes> {
    if let Some(b) = objects.get(d) {
        return Ok(b.clone());
    }
    match read.held_object(d)? {
        Some(b) if Digest::of(&b) == *d => Ok(Bytes::from(b)),
        _ => refuse(format!("its {what} ({d}) is not at hand")),
    }
}

fn conflict(tx: &Tx<'_>, e: &Event, kind: &str, subject: &str, detail: String) -> Applied<Outcome> {
    tx.insert_conflict(&ConflictRow {
        event: e.hash.clone(),
        kind: kind.to_owned(),
        subject: subject.to_owned(),
        detail: detail.clone(),
        at: e.at,
    })?;
    Ok(Outcome::Kept(detail))
}

/// The objects an event needs, named by its payload.
pub(crate) fn needed_objects(e: &Event) -> Vec<Digest> {
    let v: serde_json::Value = match serde_json::from_str(&e.payload) {
        Ok(v) => v,
        Err(_) => return Vec::new(),
    };
    let at = |path: &[&str]| -> Option<Digest> {
        let mut cur = &v;
        for p in path {
            cur = cur.get(p)?;
        }
        Digest::parse(cur.as_str()?).ok()
    };
    let d = match e.kind.as_str() {
        "revision.created" => at(&["revision", "content_digest"]),
        "evidence.added" => at(&["version", "digest"]),
        "policy.issued" | "manifest.drafted" | "manifest.approve" | "manifest.reject"
        | "manifest.reviewed" => at(&["envelope_object"]),
        "release.released" => at(&["bundle_digest"]),
        "run.meeting_imported" => at(&["meeting", "digest"]),
        "run.file_added" => at(&["file", "digest"]),
        _ => None,
    };
    d.into_iter().collect()
}

/// Whether this workspace already holds an object an event needs (so a pull need not fetch it).
pub(crate) fn held_here(read: Reader<'_>, e: &Event, d: &Digest) -> crate::Result<bool> {
    Ok(match e.kind.as_str() {
        "revision.created" => read.exists_in("blobs", "digest", d.as_str())?,
        "evidence.added" | "run.meeting_imported" | "run.file_added" => {
            read.exists_in("files", "digest", d.as_str())?
        }
        _ => false,
    })
}

/// The bytes of an object an event of this replica needs, from this workspace.
pub(crate) fn object_bytes(
    read: Reader<'_>,
    e: &Event,
    d: &Digest,
) -> crate::Result<Option<Vec<u8>>> {
    let v: serde_json::Value = serde_json::from_str(&e.payload).unwrap_or_default();
    let s = |k: &str| {
        v.get(k)
            .and_then(|x| x.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let bytes = match e.kind.as_str() {
        "revision.created" => Some(read.blob(d)?.into_bytes()),
        "evidence.added" | "run.meeting_imported" | "run.file_added" => read.file(d)?,
        "policy.issued" => {
            let version = v.get("version").and_then(|x| x.as_u64()).unwrap_or(0);
            read.policy_version(version)?
                .map(|(_, envelope)| envelope.into_bytes())
        }
        "manifest.drafted" => Some(read.manifest(&s("digest"))?.envelope.into_bytes()),
        "manifest.approve" | "manifest.reject" | "manifest.reviewed" => {
            let m = Digest::parse(&s("manifest")).map_err(|e| {
                countersign_store::StoreError::Corrupt(format!("approval event: {e}"))
            })?;
            read.approvals(&m)?
                .into_iter()
                .find(|a| a.signer == s("signer"))
                .map(|a| a.envelope.into_bytes())
        }
        "release.released" => {
            let m = Digest::parse(&s("manifest")).map_err(|e| {
                countersign_store::StoreError::Corrupt(format!("release event: {e}"))
            })?;
            read.release(&m)?.map(|r| r.bundle.into_bytes())
        }
        _ => None,
    };
    Ok(bytes.filter(|b| Digest::of(b) == *d))
}

/// The entities whose order-dependent state must be re-derived once a pull's events are in.
#[derive(Debug, Default)]
pub(crate) struct Touched {
    threads: std::collections::BTreeSet<String>,
    objections: std::collections::BTreeSet<String>,
    evidence: std::collections::BTreeSet<String>,
    runs: std::collections::BTreeSet<String>,
}

impl Touched {
    /// Re-derive every touched entity from its events in the merged order (once each, however
    /// many of its events arrived).
    pub(crate) fn rederive(&self, tx: &Tx<'_>) -> crate::Result<()> {
        for t in &self.threads {
            rederive_thread(tx, t)?;
        }
        for o in &self.objections {
            rederive_ledger(tx, o)?;
        }
        for e in &self.evidence {
            rederive_evidence(tx, e)?;
        }
        for r in &self.runs {
            runs::rederive_run(tx, r)?;
        }
        Ok(())
    }
}

/// What this build's appliers know, by version: a kind prefix and the version of the appliers
/// that first applied it. An older build kept the events of kinds it did not know in its log
/// without applying them; after an upgrade, [`catch_up`] applies them once (`meta.appliers`).
const KNOWN_SINCE: &[(&str, u32)] = &[("run.", 2)];

/// The version of this build's appliers.
pub(crate) const APPLIERS: u32 = 2;

/// Apply, once after an upgrade, the other replicas' events that an older build kept in the log
/// without applying (kinds it did not know), in the merged order; the appliers are idempotent,
/// so an event that was applied already changes nothing. Returns what did not apply, for the
/// report (the events stay in the log either way).
pub(crate) fn catch_up(tx: &Tx<'_>, replica: &str) -> crate::Result<Vec<String>> {
    let read = tx.reader();
    let had: u32 = read
        .meta("appliers")?
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    if had >= APPLIERS {
        return Ok(Vec::new());
    }
    let mut notes = Vec::new();
    let mut touched = Touched::default();
    let objects = HashMap::new();
    for (prefix, since) in KNOWN_SINCE {
        if *since <= had {
            continue;
        }
        for e in read.foreign_events_of(prefix, replica)? {
            let outcome = tx.savepoint(|| apply(tx, &e, &objects, &mut touched));
            let what = format!("#{} ({}) of replica {}", e.replica_seq, e.kind, e.replica);
            match outcome {
                Ok(Outcome::Applied) => {}
                Ok(Outcome::Kept(why)) => notes.push(format!("{what}: {why}")),
                Err(ApplyError::Refused(why)) => notes.push(format!(
                    "{what}: kept in the log by an older version, and does not apply: {why}"
                )),
                Err(ApplyError::Local(err)) => return Err(err),
            }
        }
    }
    touched.rederive(tx)?;
    tx.set_meta("appliers", &APPLIERS.to_string())?;
    Ok(notes)
}

/// Apply one event of another replica. The event itself is stored by the caller first, in the
/// same savepoint (re-derivation reads it back from the log); what must be re-derived is noted in
/// `touched`, for the caller to re-derive when all the pass's events are in.
pub(crate) fn apply(
    tx: &Tx<'_>,
    e: &Event,
    objects: &HashMap<Digest, Bytes>,
    touched: &mut Touched,
) -> Applied<Outcome> {
    match e.kind.as_str() {
        "workspace.created" => genesis(tx, e),
        "identity.created" => identity(tx, e),
        "packet.created" => packet(tx, e),
        "revision.created" => revision(tx, e, objects),
        "comment.opened" => thread_opened(tx, e, touched),
        "comment.replied" | "comment.resolved" => {
            #[derive(Deserialize)]
            struct P {
                thread: String,
                #[serde(default)]
                message: Option<Message>,
            }
            let p: P = parse(e)?;
            if let Some(m) = &p.message {
                same_actor(e, &m.author, "author")?;
            }
            if !tx.reader().exists_in("threads", "id", &p.thread)? {
                return refuse(format!(
                    "it names comment thread {}, which is not held",
                    p.thread
                ));
            }
            touched.threads.insert(p.thread);
            Ok(Outcome::Applied)
        }
        "objection.raised" => objection_raised(tx, e, touched),
        "objection.resolved"
        | "objection.withdrawn"
        | "objection.accepted_residual"
        | "objection.reopened" => {
            #[derive(Deserialize)]
            struct P {
                objection: String,
                entry: LedgerEntry,
            }
            let p: P = parse(e)?;
            same_actor(e, &p.entry.actor, "actor")?;
            if !tx.reader().exists_in("objections", "id", &p.objection)? {
                return refuse(format!(
                    "it names objection {}, which is not held",
                    p.objection
                ));
            }
            touched.objections.insert(p.objection);
            Ok(Outcome::Applied)
        }
        "evidence.added" => evidence(tx, e, objects, touched),
        "policy.issued" => policy(tx, e, objects),
        "manifest.drafted" => manifest(tx, e, objects),
        "manifest.approve" | "manifest.reject" | "manifest.reviewed" => approval(tx, e, objects),
        "release.held" => held(tx, e),
        "release.released" => released(tx, e, objects),
        k if k.starts_with("run.") => runs::apply(tx, e, objects, touched),
        other => Ok(Outcome::Kept(format!(
            "this version of Countersign does not know `{other}` events: kept in the log, not applied"
        ))),
    }
}

fn genesis(tx: &Tx<'_>, e: &Event) -> Applied<Outcome> {
    #[derive(Deserialize)]
    struct P {
        workspace: String,
    }
    let p: P = parse(e)?;
    let read = tx.reader();
    let ours = read.meta("workspace_id")?.unwrap_or_default();
    if p.workspace != ours {
        return refuse(format!(
            "it is the genesis of workspace {}, not of this one ({ours})",
            p.workspace
        ));
    }
    if let Some(pinned) = read.meta("genesis")?
        && pinned != e.hash.as_str()
    {
        return refuse(format!(
            "it is not the genesis named by the target this replica joined from ({pinned})"
        ));
    }
    if read.count_kind_except("workspace.created", &e.hash)? > 0 {
        return refuse("a workspace has one genesis, and this one already holds it");
    }
    Ok(Outcome::Applied)
}

fn identity(tx: &Tx<'_>, e: &Event) -> Applied<Outcome> {
    let i: Identity = parse(e)?;
    same_actor(e, &i.id, "identity")?;
    let key = countersign_signing::public_key_from_hex(&i.public_key)
        .or_else(|err| refuse(format!("its public key is not an ed25519 key: {err}")))?;
    if countersign_signing::fingerprint(&key) != i.id {
        return refuse("its id is not the fingerprint of its public key");
    }
    countersign_core::model::validate_name("name", &i.name)
        .or_else(|err| refuse(err.to_string()))?;
    let read = tx.reader();
    if read.exists_in("identities", "id", &i.id)? {
        return Ok(Outcome::Applied);
    }
    tx.insert_public_identity(&i)?;
    Ok(Outcome::Applied)
}

fn packet(tx: &Tx<'_>, e: &Event) -> Applied<Outcome> {
    let p: Packet = parse(e)?;
    same_actor(e, &p.owner, "owner")?;
    if !tx.reader().exists_in("packets", "id", &p.id)? {
        tx.insert_packet(&p)?;
    }
    Ok(Outcome::Applied)
}

fn revision(tx: &Tx<'_>, e: &Event, objects: &HashMap<Digest, Bytes>) -> Applied<Outcome> {
    #[derive(Deserialize)]
    struct P {
        revision: Revision,
    }
    let r = parse::<P>(e)?.revision;
    same_actor(e, &r.author, "author")?;
    let expect = revision_id(
        &r.packet,
        &r.content_digest,
        &r.parents,
        &r.author,
        r.created_at,
        &r.message,
    );
    if expect != r.id {
        return refuse("its revision id does not match its fields");
    }
    let read = tx.reader();
    if read.has_revision(r.id.as_str())? {
        return Ok(Outcome::Applied);
    }
    if !read.exists_in("packets", "id", &r.packet)? {
        return refuse(format!("it revises packet {}, which is not held", r.packet));
    }
    for p in &r.parents {
        let parent = match read.has_revision(p.as_str())? {
            true => read.revision(p.as_str())?,
            false => return refuse(format!("its parent revision {p} is not held")),
        };
        if parent.packet != r.packet {
            return refuse(format!("its parent revision {p} belongs to another packet"));
        }
    }
    let bytes = bytes_of(read, objects, &r.content_digest, "content")?;
    let content = text::decode(&bytes).or_else(|err| refuse(format!("its content: {err}")))?;
    if text::content_digest(&content) != r.content_digest {
        return refuse("its content is not normalized as its digest says");
    }
    tx.insert_blob(&r.content_digest, &content)?;
    tx.insert_revision(&r)?;
    crate::packets::reanchor_packet(tx, &r.packet, &r, &content)?;
    Ok(Outcome::Applied)
}

fn thread_opened(tx: &Tx<'_>, e: &Event, touched: &mut Touched) -> Applied<Outcome> {
    let t: CommentThread = parse(e)?;
    same_actor(e, &t.author, "author")?;
    let read = tx.reader();
    if !read.exists_in("threads", "id", &t.id)? {
        if !read.has_revision(t.revision.as_str())? {
            return refuse(format!(
                "it comments on revision {}, which is not held",
                t.revision
            ));
        }
        let made_on = read.revision(t.revision.as_str())?;
        if made_on.packet != t.packet {
            return refuse("its revision belongs to another packet");
        }
        let head = read.head(&t.packet)?;
        let mut fresh = t.clone();
        fresh.resolved = false;
        fresh.resolved_by = None;
        tx.insert_thread(&fresh)?;
        crate::annotations::record_on_head(tx, &t.id, &made_on, &t.anchor, head.as_ref())?;
    }
    touched.threads.insert(t.id);
    Ok(Outcome::Applied)
}

fn objection_raised(tx: &Tx<'_>, e: &Event, touched: &mut Touched) -> Applied<Outcome> {
    let o: Objection = parse(e)?;
    same_actor(e, &o.raised_by, "raiser")?;
    let read = tx.reader();
    if !read.exists_in("objections", "id", &o.id)? {
        if !read.has_revision(o.revision.as_str())? {
            return refuse(format!(
                "it objects to revision {}, which is not held",
                o.revision
            ));
        }
        let made_on = read.revision(o.revision.as_str())?;
        if made_on.packet != o.packet {
            return refuse("its revision belongs to another packet");
        }
        let head = read.head(&o.packet)?;
        let fresh = Objection {
            status: ObjectionStatus::Open,
            history: Vec::new(),
            ..o.clone()
        };
        tx.insert_objection(&fresh)?;
        crate::annotations::record_on_head(tx, &o.id, &made_on, &o.anchor, head.as_ref())?;
    }
    touched.objections.insert(o.id);
    Ok(Outcome::Applied)
}

/// A thread's messages (the opening one, then replies in the merged order) and its resolution
/// (the first resolve in that order; a later one changes nothing).
fn rederive_thread(tx: &Tx<'_>, thread: &str) -> crate::Result<()> {
    let read = tx.reader();
    let mut events = read.events_about(&["comment.opened"], "$.id", thread)?;
    events.extend(read.events_about(
        &["comment.replied", "comment.resolved"],
        "$.thread",
        thread,
    )?);
    events.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    let mut messages: Vec<Message> = Vec::new();
    let mut resolved: Option<(String, Timestamp)> = None;
    for ev in &events {
        let v: serde_json::Value = serde_json::from_str(&ev.payload).unwrap_or_default();
        match ev.kind.as_str() {
            "comment.opened" => {
                if let Some(ms) = v.get("messages")
                    && let Ok(ms) = serde_json::from_value::<Vec<Message>>(ms.clone())
                {
                    messages.extend(ms);
                }
            }
            "comment.replied" => {
                if let Some(m) = v.get("message")
                    && let Ok(m) = serde_json::from_value::<Message>(m.clone())
                {
                    messages.push(m);
                }
            }
            _ => {
                if resolved.is_none()
                    && let Some(a) = &ev.actor
                {
                    resolved = Some((a.clone(), ev.at));
                }
            }
        }
    }
    tx.replace_messages(thread, &messages)?;
    tx.set_thread_resolved(thread, resolved.as_ref().map(|(a, at)| (a.as_str(), *at)))?;
    Ok(())
}

/// An objection's ledger: every move in the merged order, each checked by the core against the
/// status it meets. A move that is illegal there (another replica moved the objection first) is
/// kept in the history, marked as a conflict, and changes nothing.
fn rederive_ledger(tx: &Tx<'_>, objection: &str) -> crate::Result<()> {
    let read = tx.reader();
    let o = read.objection(objection)?;
    let owner = read.packet(&o.packet)?.owner;
    let events = read.events_about(
        &[
            "objection.resolved",
            "objection.withdrawn",
            "objection.accepted_residual",
            "objection.reopened",
        ],
        "$.objection",
        objection,
    )?;
    let mut status = ObjectionStatus::Open;
    let mut entries: Vec<(LedgerEntry, Option<String>)> = Vec::new();
    for ev in &events {
        #[derive(Deserialize)]
        struct P {
            entry: LedgerEntry,
        }
        let Ok(P { entry }) = serde_json::from_str::<P>(&ev.payload) else {
            continue;
        };
        let kind = read.identity(&entry.actor)?.kind;
        let facts = ObjectionFacts {
            status,
            raised_by: &o.raised_by,
            packet_owner: &owner,
        };
        let who = Actor {
            id: &entry.actor,
            kind,
        };
        match ledger::transition(facts, who, entry.action, entry.text.as_deref()) {
            Ok(to) => {
                let e = LedgerEntry {
                    from: status,
                    to,
                    ..entry
                };
                status = to;
                entries.push((e, None));
            }
            Err(err) => {
                let why = format!(
                    "{err}: a concurrent move on another replica came first (this {} was made when it was {})",
                    action_noun(entry.action),
                    entry.from
                );
                entries.push((entry, Some(why)));
            }
        }
    }
    tx.replace_ledger(objection, &entries, status.as_str())?;
    Ok(())
}

fn action_noun(a: LedgerAction) -> &'static str {
    match a {
        LedgerAction::Resolve => "resolution",
        LedgerAction::Withdraw => "withdrawal",
        LedgerAction::Accept => "acceptance",
        LedgerAction::Reopen => "reopening",
    }
}

#[derive(Deserialize)]
struct VersionIn {
    digest: Digest,
    file_name: String,
    size: u64,
    captured_at: Timestamp,
    added_by: String,
}

#[derive(Deserialize)]
struct EvidenceIn {
    evidence: String,
    packet: String,
    source: String,
    title: String,
    version: VersionIn,
}

fn evidence(
    tx: &Tx<'_>,
    e: &Event,
    objects: &HashMap<Digest, Bytes>,
    touched: &mut Touched,
) -> Applied<Outcome> {
    let p: EvidenceIn = parse(e)?;
    same_actor(e, &p.version.added_by, "importer")?;
    // An item's id is made from what it is; every replica makes the same one.
    if p.evidence != crate::release::evidence_id(&p.packet, &p.source, &p.title) {
        return refuse(format!(
            "its evidence id {} is not the id of `{}` from `{}` in packet {}",
            p.evidence, p.title, p.source, p.packet
        ));
    }
    let read = tx.reader();
    let bytes = bytes_of(read, objects, &p.version.digest, "evidence file")?;
    if bytes.len() as u64 != p.version.size {
        return refuse("its evidence file's size does not match");
    }
    if !read.exists_in("packets", "id", &p.packet)? {
        return refuse(format!(
            "it adds evidence to packet {}, which is not held",
            p.packet
        ));
    }
    tx.insert_file(&p.version.digest, &bytes)?;
    match read.evidence_by_name(&p.packet, &p.source, &p.title)? {
        Some(existing) if existing.id != p.evidence => {
            return conflict(
                tx,
                e,
                "evidence_item",
                &p.packet,
                format!(
                    "evidence `{}` from `{}` was added as item {} here and as item {} on another replica; the other replica's version {} is kept in the log only",
                    p.title, p.source, existing.id, p.evidence, p.version.digest
                ),
            );
        }
        Some(_) => {}
        None => tx.insert_evidence(&p.evidence, &p.packet, &p.source, &p.title, e.at)?,
    }
    touched.evidence.insert(p.evidence);
    Ok(Outcome::Applied)
}

/// An evidence item's versions, in the merged order.
fn rederive_evidence(tx: &Tx<'_>, evidence: &str) -> crate::Result<()> {
    let events = tx
        .reader()
        .events_about(&["evidence.added"], "$.evidence", evidence)?;
    let versions: Vec<EvidenceVersion> = events
        .iter()
        .filter_map(|ev| serde_json::from_str::<EvidenceIn>(&ev.payload).ok())
        .enumerate()
        .map(|(i, p)| EvidenceVersion {
            number: i as u32 + 1,
            digest: p.version.digest,
            file_name: p.version.file_name,
            size: p.version.size,
            captured_at: p.version.captured_at,
            added_by: p.version.added_by,
        })
        .collect();
    tx.replace_evidence_versions(evidence, &versions)?;
    Ok(())
}

/// Check an envelope signed by `signer` and return its payload and the digest of its payload.
fn envelope(
    tx: &Tx<'_>,
    bytes: &[u8],
    payload_type: &str,
    signer: &str,
) -> Applied<(String, Vec<u8>, Digest)> {
    let json = std::str::from_utf8(bytes)
        .or_else(|_| refuse("its envelope is not UTF-8"))?
        .to_owned();
    let env = dsse::from_json(bytes).or_else(|err| refuse(format!("its envelope: {err}")))?;
    let key = tx.reader().identity(signer)?.public_key;
    let key = countersign_signing::public_key_from_hex(&key)
        .or_else(|err| refuse(format!("the signer's key: {err}")))?;
    let v = dsse::verify(&env, payload_type, |id| (id == signer).then_some(key))
        .or_else(|err| refuse(format!("its envelope does not verify: {err}")))?;
    if v.valid_keyids.is_empty() {
        return refuse(format!("its envelope is not signed by {signer}"));
    }
    let digest = Digest::of(&v.payload);
    Ok((json, v.payload, digest))
}

fn envelope_object(e: &Event) -> Applied<Digest> {
    #[derive(Deserialize)]
    struct P {
        envelope_object: Digest,
    }
    Ok(parse::<P>(e)?.envelope_object)
}

fn policy(tx: &Tx<'_>, e: &Event, objects: &HashMap<Digest, Bytes>) -> Applied<Outcome> {
    #[derive(Deserialize)]
    struct P {
        version: u64,
        digest: Digest,
    }
    let p: P = parse(e)?;
    let admin = actor(e)?.to_owned();
    let bytes = object(objects, &envelope_object(e)?, "signed policy")?;
    let (json, payload, digest) = envelope(tx, bytes, POLICY_TYPE, &admin)?;
    if digest != p.digest {
        return refuse("its policy digest does not match the signed policy");
    }
    let policy: Policy = countersign_signing::jcs::from_slice(&payload)
        .or_else(|err| refuse(format!("its policy: {err}")))?;
    if policy.version != p.version || policy.admin != admin {
        return refuse("the signed policy's version or admin does not match the event");
    }
    let read = tx.reader();
    // The rule the local policy commands apply: a human; for v1, one holding the admin role; for
    // a later version, the admin of the version it supersedes (held here: it precedes this one).
    let previous = match policy.version {
        0 => return refuse("its policy version is 0; versions start at 1"),
        1 => None,
        v => match read.policy_version(v - 1)? {
            Some((_, env)) => Some(crate::release::payload_of::<Policy>(&env)?),
            None => {
                return refuse(format!(
                    "it supersedes policy v{}, which is not held",
                    v - 1
                ));
            }
        },
    };
    let who = read.identity(&admin)?;
    if let Err(err) = crate::release::may_issue_policy(&who, previous.as_ref()) {
        return refuse(format!(
            "its issuer may not issue policy v{}: {err}",
            policy.version
        ));
    }
    // Its revocations bind what follows them, whether this version stands here or is kept as a
    // conflict (it passed the authority check above: a refused version revokes nothing).
    super::causal::record_revocations(tx, &e.hash, &policy)?;
    if let Some((existing, _)) = read.policy_version(p.version)? {
        let version = p.version;
        if existing == p.digest {
            return Ok(Outcome::Applied);
        }
        return conflict(
            tx,
            e,
            "policy_version",
            &format!("policy v{version}"),
            format!(
                "two policy versions {version} were issued while apart ({existing} here, {} by {admin}); the admin issues the next version to settle it",
                p.digest
            ),
        );
    }
    tx.insert_policy(p.version, &p.digest, &json, e.at)?;
    Ok(Outcome::Applied)
}

fn manifest(tx: &Tx<'_>, e: &Event, objects: &HashMap<Digest, Bytes>) -> Applied<Outcome> {
    #[derive(Deserialize)]
    struct P {
        digest: Digest,
        packet: String,
        lane: String,
        version: u64,
        revision: Digest,
    }
    let p: P = parse(e)?;
    let drafter = actor(e)?.to_owned();
    let bytes = object(objects, &envelope_object(e)?, "signed manifest")?;
    let (json, payload, digest) = envelope(tx, bytes, MANIFEST_TYPE, &drafter)?;
    if digest != p.digest {
        return refuse("its manifest digest does not match the signed manifest");
    }
    let m: Manifest = countersign_signing::jcs::from_slice(&payload)
        .or_else(|err| refuse(format!("its manifest: {err}")))?;
    if m.packet.id != p.packet
        || m.lane.id != p.lane
        || m.version != p.version
        || m.revision.id != p.revision
    {
        return refuse("the signed manifest does not match the event");
    }
    let read = tx.reader();
    if read.exists_in("manifests", "digest", p.digest.as_str())? {
        return Ok(Outcome::Applied);
    }
    if !read.has_revision(p.revision.as_str())? {
        return refuse(format!(
            "it binds revision {}, which is not held",
            p.revision
        ));
    }
    let of = read.revision(p.revision.as_str())?.packet;
    if of != p.packet {
        return refuse(format!(
            "it binds revision {} of packet {of} to packet {}",
            p.revision, p.packet
        ));
    }
    if let Some(other) = read
        .manifests(&p.packet, &p.lane)?
        .into_iter()
        .find(|x| x.version == p.version)
    {
        return conflict(
            tx,
            e,
            "manifest_version",
            &p.packet,
            format!(
                "two manifests v{} of lane `{}` were drafted while apart ({} here, {} by another replica); draft the next version to supersede both",
                p.version, p.lane, other.digest, p.digest
            ),
        );
    }
    tx.insert_manifest(&ManifestRow {
        digest: p.digest,
        packet: p.packet,
        lane: p.lane,
        version: p.version,
        revision: p.revision,
        envelope: json,
        drafted_by: drafter,
        created_at: e.at,
    })?;
    Ok(Outcome::Applied)
}

fn is_conflicted_manifest(read: Reader<'_>, manifest: &Digest) -> crate::Result<bool> {
    Ok(read
        .sync_conflicts()?
        .iter()
        .any(|c| c.kind == "manifest_version" && c.detail.contains(manifest.as_str())))
}

fn approval(tx: &Tx<'_>, e: &Event, objects: &HashMap<Digest, Bytes>) -> Applied<Outcome> {
    #[derive(Deserialize)]
    struct P {
        manifest: Digest,
        signer: String,
        meaning: String,
        envelope_digest: Digest,
    }
    let p: P = parse(e)?;
    same_actor(e, &p.signer, "signer")?;
    let bytes = object(objects, &envelope_object(e)?, "signed approval")?;
    let (json, payload, digest) = envelope(tx, bytes, APPROVAL_TYPE, &p.signer)?;
    if digest != p.envelope_digest {
        return refuse("its approval digest does not match the signed approval");
    }
    let a: Approval = countersign_signing::jcs::from_slice(&payload)
        .or_else(|err| refuse(format!("its approval: {err}")))?;
    if a.manifest != p.manifest || a.signer != p.signer || a.meaning.as_str() != p.meaning {
        return refuse("the signed approval does not match the event");
    }
    let read = tx.reader();
    let who = read.identity(&p.signer)?;
    if let Err(err) = require_human(who.kind, HumanAct::Approve) {
        return refuse(format!("its signer may not sign it: {err}"));
    }
    if !read.exists_in("manifests", "digest", p.manifest.as_str())? {
        if is_conflicted_manifest(read, &p.manifest)? {
            return conflict(
                tx,
                e,
                "approval_of_conflicting_manifest",
                p.manifest.as_str(),
                format!(
                    "{} signed manifest {}, which was drafted concurrently with another of the same version; the approval is kept in the log",
                    a.name, p.manifest
                ),
            );
        }
        return refuse(format!(
            "it signs manifest {}, which is not held",
            p.manifest
        ));
    }
    // The rule the local `manifest approve` applies, judged against the lane as the manifest
    // binds it (the same on every replica): a human holding a role it requires, or its owner.
    let row = read.manifest(p.manifest.as_str())?;
    let m: Manifest = crate::release::payload_of(&row.envelope)?;
    if let Err(err) = crate::release::decision_role(
        &who,
        &who.roles,
        &m.lane.id,
        &m.required_signers.roles,
        &m.required_signers.owner,
    ) {
        return refuse(format!("its signer may not sign it: {err}"));
    }
    if read
        .approvals(&p.manifest)?
        .iter()
        .any(|x| x.signer == p.signer)
    {
        return Ok(Outcome::Applied);
    }
    tx.insert_approval(&ApprovalRow {
        manifest: p.manifest,
        signer: p.signer,
        meaning: p.meaning,
        envelope: json,
        signed_at: e.at,
    })?;
    Ok(Outcome::Applied)
}

fn held(tx: &Tx<'_>, e: &Event) -> Applied<Outcome> {
    #[derive(Deserialize)]
    struct P {
        manifest: Digest,
        cause: HoldCause,
    }
    let p: P = parse(e)?;
    let read = tx.reader();
    if !read.exists_in("manifests", "digest", p.manifest.as_str())? {
        if is_conflicted_manifest(read, &p.manifest)? {
            return conflict(
                tx,
                e,
                "hold_of_conflicting_manifest",
                p.manifest.as_str(),
                format!(
                    "a hold on manifest {}, which conflicts with another of its version",
                    p.manifest
                ),
            );
        }
        return refuse(format!(
            "it holds manifest {}, which is not held",
            p.manifest
        ));
    }
    tx.insert_hold(&HoldRow {
        manifest: p.manifest,
        kind: p.cause.kind().to_owned(),
        cause: serde_json::to_string(&p.cause).unwrap_or_default(),
        holding: p.cause.holds(),
        actor: e.actor.clone(),
        at: e.at,
    })?;
    Ok(Outcome::Applied)
}

fn released(tx: &Tx<'_>, e: &Event, objects: &HashMap<Digest, Bytes>) -> Applied<Outcome> {
    #[derive(Deserialize)]
    struct P {
        manifest: Digest,
        path: String,
        bundle_digest: Digest,
    }
    let p: P = parse(e)?;
    let who = actor(e)?.to_owned();
    let bytes = object(objects, &p.bundle_digest, "bundle")?;
    let bundle = std::str::from_utf8(bytes)
        .or_else(|_| refuse("its bundle is not UTF-8"))?
        .to_owned();
    let read = tx.reader();
    let releaser = read.identity(&who)?;
    if let Err(err) = require_human(releaser.kind, HumanAct::Release) {
        return refuse(format!("its releaser may not release: {err}"));
    }
    if !read.exists_in("manifests", "digest", p.manifest.as_str())? {
        if is_conflicted_manifest(read, &p.manifest)? {
            return conflict(
                tx,
                e,
                "release_of_conflicting_manifest",
                p.manifest.as_str(),
                format!("manifest {} was released on another replica", p.manifest),
            );
        }
        return refuse(format!(
            "it releases manifest {}, which is not held",
            p.manifest
        ));
    }
    verify_released(read, e, &p.manifest, bytes)?;
    if let Some(existing) = read.release(&p.manifest)? {
        if Digest::of(existing.bundle.as_bytes()) == p.bundle_digest {
            return Ok(Outcome::Applied);
        }
        return conflict(
            tx,
            e,
            "release",
            p.manifest.as_str(),
            format!(
                "manifest {} was released twice while apart (here to {}, and by {who} to {})",
                p.manifest, existing.path, p.path
            ),
        );
    }
    tx.insert_release(&ReleaseRow {
        manifest: p.manifest,
        path: p.path,
        bundle,
        actor: who,
        at: e.at,
    })?;
    Ok(Outcome::Applied)
}

/// A released bundle must verify as the local `release` verified it before writing it: against
/// the policy it carries, which must be a version issued in this workspace (a `policy.issued`
/// in the log, the same on every replica), for the manifest's lane, at the time of the release.
fn verify_released(read: Reader<'_>, e: &Event, manifest: &Digest, bundle: &[u8]) -> Applied {
    let b: Bundle = serde_json::from_slice(bundle)
        .or_else(|err| refuse(format!("its bundle is not a bundle: {err}")))?;
    let policy_digest = dsse::payload_bytes(&b.policy)
        .map(|p| Digest::of(&p))
        .or_else(|err| refuse(format!("its bundle's policy: {err}")))?;
    if read
        .events_about(&["policy.issued"], "$.digest", policy_digest.as_str())?
        .is_empty()
    {
        return refuse(format!(
            "its bundle carries policy {policy_digest}, which was not issued in this workspace"
        ));
    }
    let row = read.manifest(manifest.as_str())?;
    let policy = serde_json::to_vec(&b.policy).unwrap_or_default();
    let verified = verify_bundle(&VerifyInput {
        bundle,
        lane: &row.lane,
        policy: &policy,
        content: None,
        state: None,
        now: e.at,
    })
    .or_else(|err| refuse(format!("its bundle does not verify: {err}")))?;
    if verified.manifest_digest != *manifest {
        return refuse("its bundle releases another manifest than the event names");
    }
    Ok(())
}
