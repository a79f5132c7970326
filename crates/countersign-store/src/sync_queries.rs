//! Reads and writes for sync: replicas and their chains, revision heads, identities known only
//! by their public key, the order-sensitive parts of threads, objections and evidence that are
//! re-derived from the merged log, and the sync bookkeeping (targets, objects seen, conflicts).

use std::collections::BTreeMap;

use countersign_core::audit::Event;
use countersign_core::model::{Identity, LedgerEntry, Message, Revision};
use countersign_core::{Digest, Timestamp};
use rusqlite::{OptionalExtension, params};

use crate::queries::EVENT_SELECT;
use crate::{EvidenceVersion, Reader, Result, StoreError, Tx};

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

/// The chain of one replica as this workspace holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaHead {
    /// The replica.
    pub replica: String,
    /// How many of its events are held (its last position).
    pub replica_seq: u64,
    /// The hash of its last event held.
    pub hash: Digest,
    /// Its last event's Lamport clock.
    pub lamport: u64,
}

/// A sync target as remembered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncTargetRow {
    /// Its canonical name (`folder:/abs/path`, `s3://bucket/prefix@endpoint`).
    pub target: String,
    /// How to reach it again, JSON (never any secret).
    pub spec: String,
    /// This replica's events pushed there, up to this position of its chain.
    pub pushed_seq: u64,
    /// The number of this replica's next op batch there.
    pub next_batch: u64,
    /// Whether the target honours create-only puts: `honoured`, `ignored` or `unsupported`.
    pub create_only: Option<String>,
    /// When the last pass ended.
    pub last_pass_at: Option<Timestamp>,
    /// What the last pass did, JSON.
    pub last_pass: Option<String>,
}

/// An object seen at a target and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncObjectRow {
    /// Its path at the target.
    pub path: String,
    /// Its size when last looked at.
    pub size: u64,
    /// Its version tag (e-tag or modification time) when last looked at.
    pub tag: String,
    /// `applied`, `waiting` or `quarantined`.
    pub status: String,
    /// Why it waits or was quarantined.
    pub reason: Option<String>,
    /// When.
    pub at: Timestamp,
}

/// A conflict surfaced by applying another replica's operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictRow {
    /// The hash of the event that could not take effect as made.
    pub event: Digest,
    /// What kind of conflict (`manifest_version`, `policy_version`, `release`, …).
    pub kind: String,
    /// What it concerns (a packet, a manifest, a policy version).
    pub subject: String,
    /// In words and data, JSON.
    pub detail: String,
    /// When it was found.
    pub at: Timestamp,
}

/// A policy version that revokes a key, with the event that issued it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationRow {
    /// The revoked key (an identity's id for its key).
    pub keyid: String,
    /// When the policy says the key was revoked.
    pub revoked_at: Timestamp,
    /// The `policy.issued` event.
    pub event: Event,
}

fn ts(s: &str) -> Result<Timestamp> {
    Timestamp::parse(s).map_err(corrupt)
}

/// Counts per replica, from SQL rows.
fn counts(rows: Vec<(String, i64)>) -> BTreeMap<String, u64> {
    rows.into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(r, n)| (r, n as u64))
        .collect()
}

impl Reader<'_> {
    /// This replica's id.
    pub fn replica_id(&self) -> Result<String> {
        self.meta("replica_id")?
            .ok_or_else(|| corrupt("the workspace has no replica id"))
    }

    /// The events of `replica`'s chain after position `after`, in chain order, at most `limit`.
    pub fn replica_events_after(
        &self,
        replica: &str,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Event>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.events_sql(
            &format!(
                "{EVENT_SELECT} WHERE replica = ?1 AND replica_seq > ?2 ORDER BY replica_seq LIMIT ?3"
            ),
            params![replica, after as i64, limit],
        )
    }

    /// The event at `replica_seq` of `replica`'s chain, if held.
    pub fn replica_event(&self, replica: &str, replica_seq: u64) -> Result<Option<Event>> {
        Ok(self
            .events_sql(
                &format!("{EVENT_SELECT} WHERE replica = ?1 AND replica_seq = ?2"),
                params![replica, replica_seq as i64],
            )?
            .pop())
    }

    /// Whether an event with this hash is held.
    pub fn has_event(&self, hash: &Digest) -> Result<bool> {
        Ok(self.query_row(
            "SELECT EXISTS (SELECT 1 FROM events WHERE hash = ?1)",
            [hash.as_str()],
            |r| r.get(0),
        )?)
    }

    /// The last event held of every replica's chain (legacy v1 events excluded).
    pub fn replica_heads(&self) -> Result<Vec<ReplicaHead>> {
        let mut stmt = self.prepare(
            "SELECT e.replica, e.replica_seq, e.hash, e.lamport FROM events e
             JOIN (SELECT replica, MAX(replica_seq) AS top FROM events WHERE replica <> ''
                   GROUP BY replica) m
               ON m.replica = e.replica AND m.top = e.replica_seq
             ORDER BY e.replica",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(replica, seq, hash, lamport)| {
                Ok(ReplicaHead {
                    replica,
                    replica_seq: seq as u64,
                    hash: Digest::parse(&hash).map_err(corrupt)?,
                    lamport: lamport as u64,
                })
            })
            .collect()
    }

    /// The last position of this replica's chain made before causal context was kept: its
    /// operations up to here travel with none (0 in a workspace made since).
    pub fn causal_from(&self) -> Result<u64> {
        Ok(self
            .meta("causal_from")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// What this workspace had applied of every replica but `own` before its local position
    /// `seq`: the causal context of its own operation stored there.
    pub fn seen_before(&self, own: &str, seq: u64) -> Result<BTreeMap<String, u64>> {
        let mut stmt = self.prepare_cached(
            "SELECT replica, MAX(replica_seq) FROM events
             WHERE seq < ?1 AND replica <> ?2 AND replica <> '' GROUP BY replica",
        )?;
        let rows = stmt
            .query_map(params![seq as i64, own], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(counts(rows))
    }

    /// How many of `replica`'s operations this workspace had applied before its local position
    /// `seq`.
    pub fn held_before(&self, replica: &str, seq: u64) -> Result<u64> {
        Ok(self.query_row(
            "SELECT COALESCE(MAX(replica_seq), 0) FROM events WHERE replica = ?1 AND seq < ?2",
            params![replica, seq as i64],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// The local position of the first operation of another replica than `own` applied here
    /// after local position `seq`, if any.
    pub fn next_foreign_after(&self, own: &str, seq: u64) -> Result<Option<u64>> {
        Ok(self
            .query_row(
                "SELECT MIN(seq) FROM events WHERE seq > ?1 AND replica <> ?2 AND replica <> ''",
                params![seq as i64, own],
                |r| r.get::<_, Option<i64>>(0),
            )?
            .map(|s| s as u64))
    }

    /// The causal context another replica's event arrived with (`None`: not said).
    pub fn event_seen(&self, hash: &Digest) -> Result<Option<BTreeMap<String, u64>>> {
        let raw: Option<String> = self
            .query_row(
                "SELECT seen FROM events WHERE hash = ?1",
                [hash.as_str()],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        raw.map(|s| serde_json::from_str(&s).map_err(corrupt))
            .transpose()
    }

    /// Every recorded revocation (of `keyid` only, when given), in the merged order of the
    /// events that issued them.
    pub fn revocations(&self, keyid: Option<&str>) -> Result<Vec<RevocationRow>> {
        let mut stmt = self.prepare_cached(
            "SELECT r.event, r.keyid, r.revoked_at FROM revocations r JOIN events e ON e.hash = r.event
             WHERE ?1 IS NULL OR r.keyid = ?1
             ORDER BY e.lamport, e.replica, e.replica_seq, r.keyid",
        )?;
        let rows = stmt
            .query_map([keyid], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut out = Vec::with_capacity(rows.len());
        for (hash, keyid, at) in rows {
            let event = self
                .events_sql(&format!("{EVENT_SELECT} WHERE hash = ?1"), [&hash])?
                .pop()
                .ok_or_else(|| corrupt(format!("revocation by a missing event {hash}")))?;
            out.push(RevocationRow {
                keyid,
                revoked_at: ts(&at)?,
                event,
            });
        }
        Ok(out)
    }

    /// Every event made by `actor`, in the merged order.
    pub fn events_by_actor(&self, actor: &str) -> Result<Vec<Event>> {
        self.events_sql(
            &format!("{EVENT_SELECT} WHERE actor = ?1 ORDER BY lamport, replica, replica_seq"),
            [actor],
        )
    }

    /// How many events written before replicas existed (format v1) the workspace holds.
    pub fn legacy_event_count(&self) -> Result<u64> {
        Ok(
            self.query_row("SELECT COUNT(*) FROM events WHERE replica = ''", [], |r| {
                r.get::<_, i64>(0)
            })? as u64,
        )
    }

    /// Every event of the given kinds whose payload names `id` at JSON path `path`, in the order
    /// every replica applies them (Lamport clock, replica, position).
    pub fn events_about(&self, kinds: &[&str], path: &str, id: &str) -> Result<Vec<Event>> {
        let list = kinds
            .iter()
            .map(|k| format!("'{}'", k.replace('\'', "")))
            .collect::<Vec<_>>()
            .join(", ");
        self.events_sql(
            &format!(
                "{EVENT_SELECT} WHERE kind IN ({list}) AND json_extract(payload, ?1) = ?2
                 ORDER BY lamport, replica, replica_seq"
            ),
            params![path, id],
        )
    }

    /// Every event whose kind starts with `prefix` made on a replica other than `replica`, in
    /// the order every replica applies them.
    pub fn foreign_events_of(&self, prefix: &str, replica: &str) -> Result<Vec<Event>> {
        let like = format!("{}%", prefix.replace(['%', '_', '\\'], ""));
        self.events_sql(
            &format!(
                "{EVENT_SELECT} WHERE kind LIKE ?1 AND replica <> ?2
                 ORDER BY lamport, replica, replica_seq"
            ),
            params![like, replica],
        )
    }

    /// A packet's heads: its revisions that no revision names as a parent, oldest first (by
    /// time, then id). More than one means the packet has diverged.
    pub fn heads(&self, packet: &str) -> Result<Vec<Revision>> {
        let mut stmt = self.prepare_cached(
            "SELECT r.id FROM revisions r WHERE r.packet = ?1
             AND NOT EXISTS (SELECT 1 FROM revision_parents p WHERE p.parent = r.id)
             ORDER BY r.created_at, r.id",
        )?;
        let ids = stmt
            .query_map([packet], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        ids.iter().map(|id| self.revision(id)).collect()
    }

    /// Whether a revision is held.
    pub fn has_revision(&self, id: &str) -> Result<bool> {
        Ok(self.query_row(
            "SELECT EXISTS (SELECT 1 FROM revisions WHERE id = ?1)",
            [id],
            |r| r.get(0),
        )?)
    }

    /// Whether a row with this primary key value exists in `table` (`id` column named `col`).
    pub fn exists_in(&self, table: &str, col: &str, value: &str) -> Result<bool> {
        Ok(self.query_row(
            &format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE {col} = ?1)"),
            [value],
            |r| r.get(0),
        )?)
    }

    /// A policy version: its digest and envelope.
    pub fn policy_version(&self, version: u64) -> Result<Option<(Digest, String)>> {
        let row: Option<(String, String)> = self
            .query_row(
                "SELECT digest, envelope FROM policies WHERE version = ?1",
                [version as i64],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        row.map(|(d, env)| Ok((Digest::parse(&d).map_err(corrupt)?, env)))
            .transpose()
    }

    /// The hash of the workspace's genesis (`workspace.created`) event, once held.
    pub fn genesis_hash(&self) -> Result<Option<String>> {
        Ok(self
            .query_row(
                "SELECT hash FROM events WHERE kind = 'workspace.created' ORDER BY rowid LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The replica an identity was made on: the replica of its `identity.created` (the first
    /// held, should a key holder have declared it again elsewhere).
    pub fn identity_home(&self, id: &str) -> Result<Option<String>> {
        Ok(self
            .query_row(
                "SELECT replica FROM events
                 WHERE kind = 'identity.created' AND json_extract(payload, '$.id') = ?1
                 ORDER BY rowid LIMIT 1",
                [id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Whether any identity held was made on `replica`.
    pub fn replica_has_identities(&self, replica: &str) -> Result<bool> {
        Ok(self.query_row(
            "SELECT EXISTS (SELECT 1 FROM events WHERE kind = 'identity.created' AND replica = ?1)",
            [replica],
            |r| r.get(0),
        )?)
    }

    /// How many events of `kind` there are other than the one with hash `except`.
    pub fn count_kind_except(&self, kind: &str, except: &Digest) -> Result<u64> {
        Ok(self.query_row(
            "SELECT COUNT(*) FROM events WHERE kind = ?1 AND hash <> ?2",
            [kind, except.as_str()],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// The size of every revision content and file held, by digest.
    pub fn held_object_sizes(&self) -> Result<Vec<(Digest, u64)>> {
        let mut stmt = self.prepare(
            "SELECT digest, length(CAST(content AS BLOB)) FROM blobs
             UNION ALL SELECT digest, length(bytes) FROM files",
        )?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows
            .into_iter()
            .filter_map(|(d, n)| Digest::parse(&d).ok().map(|d| (d, n as u64)))
            .collect())
    }

    /// The bytes of a revision content or file held, by digest.
    pub fn held_object(&self, d: &Digest) -> Result<Option<Vec<u8>>> {
        if let Some(f) = self.file(d)? {
            return Ok(Some(f));
        }
        Ok(self
            .query_row(
                "SELECT CAST(content AS BLOB) FROM blobs WHERE digest = ?1",
                [d.as_str()],
                |r| r.get::<_, Vec<u8>>(0),
            )
            .optional()?)
    }

    /// Whether an identity's private key is held here.
    pub fn has_private_key(&self, id: &str) -> Result<bool> {
        Ok(self
            .query_row(
                "SELECT sealed_key IS NOT NULL FROM identities WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(false))
    }

    /// Every sync target remembered, by name.
    pub fn sync_targets(&self) -> Result<Vec<SyncTargetRow>> {
        let mut stmt = self.prepare(
            "SELECT target, spec, pushed_seq, next_batch, create_only, last_pass_at, last_pass
             FROM sync_targets ORDER BY target",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    (
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, i64>(3)?,
                    ),
                    (
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, Option<String>>(6)?,
                    ),
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|((target, spec, pushed, next), (create_only, at, last))| {
                Ok(SyncTargetRow {
                    target,
                    spec,
                    pushed_seq: pushed as u64,
                    next_batch: next as u64,
                    create_only,
                    last_pass_at: at.as_deref().map(ts).transpose()?,
                    last_pass: last,
                })
            })
            .collect()
    }

    /// One sync target by name.
    pub fn sync_target(&self, target: &str) -> Result<Option<SyncTargetRow>> {
        Ok(self
            .sync_targets()?
            .into_iter()
            .find(|t| t.target == target))
    }

    /// The objects seen at a target, by path.
    pub fn sync_objects(&self, target: &str) -> Result<Vec<SyncObjectRow>> {
        let mut stmt = self.prepare_cached(
            "SELECT path, size, tag, status, reason, at FROM sync_objects WHERE target = ?1
             ORDER BY path",
        )?;
        let rows = stmt
            .query_map([target], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(path, size, tag, status, reason, at)| {
                Ok(SyncObjectRow {
                    path,
                    size: size as u64,
                    tag,
                    status,
                    reason,
                    at: ts(&at)?,
                })
            })
            .collect()
    }

    /// Every conflict surfaced by sync, oldest first.
    pub fn sync_conflicts(&self) -> Result<Vec<ConflictRow>> {
        let mut stmt = self.prepare(
            "SELECT event, kind, subject, detail, at FROM sync_conflicts ORDER BY at, event",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(event, kind, subject, detail, at)| {
                Ok(ConflictRow {
                    event: Digest::parse(&event).map_err(corrupt)?,
                    kind,
                    subject,
                    detail,
                    at: ts(&at)?,
                })
            })
            .collect()
    }

    /// Ledger moves that were kept as conflicts: (objection, packet, action, actor, at, why).
    pub fn ledger_conflicts(&self) -> Result<Vec<[String; 6]>> {
        let mut stmt = self.prepare(
            "SELECT h.objection, o.packet, h.action, h.actor, h.at, h.conflict
             FROM objection_history h JOIN objections o ON o.id = h.objection
             WHERE h.conflict IS NOT NULL ORDER BY h.at, h.objection",
        )?;
        Ok(stmt
            .query_map([], |r| {
                Ok([
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ])
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// The conflict mark of each ledger move of an objection, in history order.
    pub fn ledger_conflict_marks(&self, objection: &str) -> Result<Vec<Option<String>>> {
        let mut stmt = self.prepare_cached(
            "SELECT conflict FROM objection_history WHERE objection = ?1 ORDER BY number",
        )?;
        Ok(stmt
            .query_map([objection], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

impl Tx<'_> {
    /// Run `f` inside a savepoint: what it writes is kept when it succeeds and undone when it
    /// fails, while the enclosing transaction goes on.
    pub fn savepoint<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce() -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        self.execute_batch("SAVEPOINT countersign_apply")
            .map_err(StoreError::from)?;
        match f() {
            Ok(v) => {
                self.execute_batch("RELEASE countersign_apply")
                    .map_err(StoreError::from)?;
                Ok(v)
            }
            Err(e) => {
                self.execute_batch("ROLLBACK TO countersign_apply; RELEASE countersign_apply")
                    .map_err(StoreError::from)?;
                Err(e)
            }
        }
    }

    /// Add an identity made on another replica: its public facts only, no private key.
    pub fn insert_public_identity(&self, i: &Identity) -> Result<()> {
        let roles = i
            .roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(",");
        self.execute(
            "INSERT INTO identities (id, name, kind, roles, public_key, sealed_key, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6)",
            params![
                i.id,
                i.name,
                i.kind.as_str(),
                roles,
                i.public_key,
                i.created_at.to_string()
            ],
        )?;
        Ok(())
    }

    /// Replace a thread's messages by `messages`, in order (re-derived from the merged log).
    pub fn replace_messages(&self, thread: &str, messages: &[Message]) -> Result<()> {
        self.execute("DELETE FROM messages WHERE thread = ?1", [thread])?;
        for m in messages {
            self.insert_message(thread, m)?;
        }
        Ok(())
    }

    /// Replace an objection's ledger history and status (re-derived from the merged log). Each
    /// entry carries its conflict mark, `None` when it took effect.
    pub fn replace_ledger(
        &self,
        objection: &str,
        entries: &[(LedgerEntry, Option<String>)],
        status: &str,
    ) -> Result<()> {
        self.execute(
            "DELETE FROM objection_history WHERE objection = ?1",
            [objection],
        )?;
        for (number, (e, conflict)) in entries.iter().enumerate() {
            self.execute(
                "INSERT INTO objection_history
                     (objection, number, action, from_status, to_status, actor, at, text, conflict)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    objection,
                    number as i64 + 1,
                    e.action.as_str(),
                    e.from.as_str(),
                    e.to.as_str(),
                    e.actor,
                    e.at.to_string(),
                    e.text,
                    conflict
                ],
            )?;
        }
        self.execute(
            "UPDATE objections SET status = ?2 WHERE id = ?1",
            params![objection, status],
        )?;
        Ok(())
    }

    /// Replace an evidence item's versions (re-derived from the merged log).
    pub fn replace_evidence_versions(
        &self,
        evidence: &str,
        versions: &[EvidenceVersion],
    ) -> Result<()> {
        self.execute(
            "DELETE FROM evidence_versions WHERE evidence = ?1",
            [evidence],
        )?;
        for v in versions {
            self.insert_evidence_version(evidence, v)?;
        }
        Ok(())
    }

    /// Remember a target (insert, or update its spec).
    pub fn upsert_sync_target(&self, target: &str, spec: &str) -> Result<()> {
        self.execute(
            "INSERT INTO sync_targets (target, spec) VALUES (?1, ?2)
             ON CONFLICT (target) DO UPDATE SET spec = ?2",
            params![target, spec],
        )?;
        Ok(())
    }

    /// Record that this replica's chain is pushed to `target` up to `pushed_seq`, and the number
    /// its next batch there gets.
    pub fn set_pushed(&self, target: &str, pushed_seq: u64, next_batch: u64) -> Result<()> {
        self.execute(
            "UPDATE sync_targets SET pushed_seq = ?2, next_batch = ?3 WHERE target = ?1",
            params![target, pushed_seq as i64, next_batch as i64],
        )?;
        Ok(())
    }

    /// Record whether a target honours create-only puts.
    pub fn set_create_only(&self, target: &str, mode: &str) -> Result<()> {
        self.execute(
            "UPDATE sync_targets SET create_only = ?2 WHERE target = ?1",
            params![target, mode],
        )?;
        Ok(())
    }

    /// Record a finished pass.
    pub fn set_last_pass(&self, target: &str, at: Timestamp, summary: &str) -> Result<()> {
        self.execute(
            "UPDATE sync_targets SET last_pass_at = ?2, last_pass = ?3 WHERE target = ?1",
            params![target, at.to_string(), summary],
        )?;
        Ok(())
    }

    /// Record what became of an object seen at a target.
    pub fn set_sync_object(&self, target: &str, o: &SyncObjectRow) -> Result<()> {
        self.execute(
            "INSERT INTO sync_objects (target, path, size, tag, status, reason, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (target, path) DO UPDATE SET
               size = ?3, tag = ?4, status = ?5, reason = ?6, at = ?7",
            params![
                target,
                o.path,
                o.size as i64,
                o.tag,
                o.status,
                o.reason,
                o.at.to_string()
            ],
        )?;
        Ok(())
    }

    /// Record that the policy version issued by `event` revokes `keyid` (once).
    pub fn insert_revocation(
        &self,
        event: &Digest,
        keyid: &str,
        revoked_at: Timestamp,
    ) -> Result<()> {
        self.execute(
            "INSERT INTO revocations (event, keyid, revoked_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (event, keyid) DO NOTHING",
            params![event.as_str(), keyid, revoked_at.to_string()],
        )?;
        Ok(())
    }

    /// Record a conflict (once per event).
    pub fn insert_conflict(&self, c: &ConflictRow) -> Result<()> {
        self.execute(
            "INSERT INTO sync_conflicts (event, kind, subject, detail, at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (event) DO NOTHING",
            params![
                c.event.as_str(),
                c.kind,
                c.subject,
                c.detail,
                c.at.to_string()
            ],
        )?;
        Ok(())
    }

    /// Replace the conflicts of these `kinds` about `subject` with `rows`: for conflicts that
    /// are re-derived from all of an entity's events whenever one arrives (a run's definition
    /// and facts), so a mark made before an earlier event arrived does not linger.
    pub fn replace_conflicts(
        &self,
        kinds: &[&str],
        subject: &str,
        rows: &[ConflictRow],
    ) -> Result<()> {
        for kind in kinds {
            self.execute(
                "DELETE FROM sync_conflicts WHERE kind = ?1 AND subject = ?2",
                params![kind, subject],
            )?;
        }
        for c in rows {
            self.insert_conflict(c)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use countersign_core::audit::{ChainVerifier, Draft, legacy_event_hash};

    use crate::MIGRATIONS;

    /// Migration 4 keeps a workspace made before sync verifiable: its events become the legacy
    /// chain (replica ''), their head moves to `legacy_audit_head`, and it gets a replica id.
    #[test]
    fn the_sync_migration_keeps_older_workspaces_verifiable() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let sync_migration = MIGRATIONS
            .iter()
            .position(|m| m.contains("CREATE TABLE sync_targets"))
            .unwrap();
        for m in &MIGRATIONS[..sync_migration] {
            conn.execute_batch(m).unwrap();
        }
        let mut prev = None;
        for seq in 1..=2u64 {
            let e = Draft {
                actor: None,
                at: countersign_core::Timestamp::from_unix_millis(seq as i64),
                kind: "workspace.created".into(),
                payload: "{}".into(),
            }
            .seal("", seq, 0, prev.clone());
            let hash =
                legacy_event_hash(seq, None, e.at, &e.kind, &e.payload_digest, prev.as_ref());
            conn.execute(
                "INSERT INTO events (seq, actor, at, kind, payload, payload_digest, prev, hash, signature)
                 VALUES (?1, NULL, ?2, ?3, ?4, ?5, ?6, ?7, NULL)",
                rusqlite::params![
                    seq as i64,
                    e.at.to_string(),
                    e.kind,
                    e.payload,
                    e.payload_digest.as_str(),
                    prev.as_ref().map(|p: &countersign_core::Digest| p.as_str().to_owned()),
                    hash.as_str()
                ],
            )
            .unwrap();
            prev = Some(hash);
        }
        let head = prev.unwrap();
        conn.execute_batch(&format!(
            "INSERT INTO meta VALUES ('workspace_id', 'w'), ('audit_head', '{}');",
            head.as_str()
        ))
        .unwrap();
        for m in &MIGRATIONS[sync_migration..] {
            conn.execute_batch(m).unwrap();
        }
        let store_reader = crate::Reader(&conn);
        assert_eq!(store_reader.meta("audit_head").unwrap(), None);
        assert_eq!(
            store_reader.meta("legacy_audit_head").unwrap().as_deref(),
            Some(head.as_str())
        );
        assert_eq!(store_reader.replica_id().unwrap().len(), 32);
        assert_eq!(store_reader.legacy_event_count().unwrap(), 2);
        let mut v = ChainVerifier::new();
        for e in store_reader.events().unwrap() {
            assert_eq!((e.replica.as_str(), e.replica_seq), ("", e.seq));
            v.push(&e, |_| Ok(())).unwrap();
        }
        assert_eq!(v.finish(Some(&head)), Ok(2));
        // The sealed key column is nullable now.
        conn.execute(
            "INSERT INTO identities (id, name, kind, roles, public_key, sealed_key, created_at)
             VALUES ('i', 'n', 'human', 'author', 'pk', NULL, 't')",
            [],
        )
        .unwrap();
    }
}
