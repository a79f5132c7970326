//! Typed reads ([`Reader`]) and writes ([`Tx`]).

use countersign_core::anchor::{Anchor, Resolution};
use countersign_core::audit::{Draft, Event, MAX_LAMPORT, MAX_REPLICA_SEQ};
use countersign_core::ledger::{LedgerAction, ObjectionStatus};
use countersign_core::model::{
    CommentThread, Identity, IdentityKind, LedgerEntry, Message, Objection, Packet, Revision,
};
use countersign_core::{Digest, Timestamp};
use rusqlite::{OptionalExtension, Row, params};

use crate::{Reader, Result, StoreError, Tx};

/// Kinds of object that can be named by an id prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// An identity.
    Identity,
    /// A packet.
    Packet,
    /// A revision.
    Revision,
    /// A comment thread.
    Thread,
    /// An objection.
    Objection,
    /// A run record.
    Run,
    /// An approval of a run.
    RunApproval,
}

impl IdKind {
    fn table(self) -> &'static str {
        match self {
            IdKind::Identity => "identities",
            IdKind::Packet => "packets",
            IdKind::Revision => "revisions",
            IdKind::Thread => "threads",
            IdKind::Objection => "objections",
            IdKind::Run => "runs",
            IdKind::RunApproval => "run_approvals",
        }
    }

    /// The name used in messages.
    pub fn noun(self) -> &'static str {
        match self {
            IdKind::Identity => "identity",
            IdKind::Packet => "packet",
            IdKind::Revision => "revision",
            IdKind::Thread => "comment thread",
            IdKind::Objection => "objection",
            IdKind::Run => "run",
            IdKind::RunApproval => "approval",
        }
    }
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

/// The number after `n` (a stored position or clock), when it is at most `max`.
fn next_below(n: i64, max: u64) -> Option<u64> {
    u64::try_from(n)
        .ok()
        .and_then(|n| n.checked_add(1))
        .filter(|n| *n <= max)
}

/// A position or clock as SQLite stores it, when it fits (never wrapped into a negative).
fn stored_int(n: u64, what: &str) -> Result<i64> {
    i64::try_from(n).map_err(|_| corrupt(format!("an event's {what} {n} is too large to store")))
}

fn ts(s: &str) -> Result<Timestamp> {
    Timestamp::parse(s).map_err(corrupt)
}

fn digest(s: &str) -> Result<Digest> {
    Digest::parse(s).map_err(corrupt)
}

fn anchor_from(r: &Row<'_>, first: usize) -> rusqlite::Result<Anchor> {
    Ok(Anchor {
        quote: r.get(first)?,
        prefix: r.get(first + 1)?,
        suffix: r.get(first + 2)?,
        start: r.get::<_, i64>(first + 3)? as usize,
        end: r.get::<_, i64>(first + 4)? as usize,
    })
}

const IDENTITY_COLS: &str = "id, name, kind, roles, public_key, created_at";

/// The columns [`Reader::events_sql`] reads, in its order.
pub const EVENT_SELECT: &str = "SELECT seq, actor, at, kind, payload, payload_digest, prev, hash, \
     signature, replica, replica_seq, lamport FROM events";

fn identity_from(
    r: &Row<'_>,
) -> rusqlite::Result<(String, String, String, String, String, String)> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

fn identity_parse(raw: (String, String, String, String, String, String)) -> Result<Identity> {
    let (id, name, kind, roles, public_key, created_at) = raw;
    let kind = match kind.as_str() {
        "human" => IdentityKind::Human,
        "agent" => IdentityKind::Agent,
        other => return Err(corrupt(format!("identity kind `{other}`"))),
    };
    let roles = roles
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(corrupt))
        .collect::<Result<Vec<_>>>()?;
    Ok(Identity {
        id,
        name,
        roles,
        kind,
        public_key,
        created_at: ts(&created_at)?,
    })
}

impl Reader<'_> {
    /// Resolve a full id or a unique prefix of one. Revision ids may be given with or without
    /// their `sha256:` prefix.
    pub fn resolve(&self, kind: IdKind, given: &str) -> Result<String> {
        let given = given.trim();
        let bare = given
            .strip_prefix(Digest::PREFIX)
            .unwrap_or(given)
            .to_ascii_lowercase();
        let not_found = || StoreError::NotFound {
            what: kind.noun(),
            id: given.to_owned(),
        };
        if bare.is_empty() || !bare.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(not_found());
        }
        let pattern = if kind == IdKind::Revision {
            format!("{}{bare}%", Digest::PREFIX)
        } else {
            format!("{bare}%")
        };
        let sql = format!(
            "SELECT id FROM {} WHERE id LIKE ?1 ORDER BY id LIMIT 6",
            kind.table()
        );
        let mut stmt = self.prepare_cached(&sql)?;
        let ids = stmt
            .query_map([pattern], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        match ids.len() {
            0 => Err(not_found()),
            1 => Ok(ids.into_iter().next().unwrap_or_default()),
            _ => Err(StoreError::Ambiguous {
                what: kind.noun(),
                prefix: given.to_owned(),
                candidates: ids,
            }),
        }
    }

    /// A value from the meta table.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    /// One identity by full id.
    pub fn identity(&self, id: &str) -> Result<Identity> {
        let sql = format!("SELECT {IDENTITY_COLS} FROM identities WHERE id = ?1");
        let raw = self
            .query_row(&sql, [id], identity_from)
            .optional()?
            .ok_or_else(|| StoreError::NotFound {
                what: "identity",
                id: id.to_owned(),
            })?;
        identity_parse(raw)
    }

    /// Every identity, by name.
    pub fn identities(&self) -> Result<Vec<Identity>> {
        let sql = format!("SELECT {IDENTITY_COLS} FROM identities ORDER BY name, id");
        let mut stmt = self.prepare(&sql)?;
        let rows = stmt
            .query_map([], identity_from)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(identity_parse).collect()
    }

    /// The sealed private key of an identity, as stored (JSON). An identity made on another
    /// replica has none here ([`StoreError::KeyElsewhere`]).
    pub fn sealed_key(&self, id: &str) -> Result<String> {
        let key: Option<String> = self
            .query_row(
                "SELECT sealed_key FROM identities WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound {
                what: "identity",
                id: id.to_owned(),
            })?;
        key.ok_or_else(|| StoreError::KeyElsewhere(id.to_owned()))
    }

    /// One packet by full id.
    pub fn packet(&self, id: &str) -> Result<Packet> {
        let raw: Option<(String, String, String, String)> = self
            .query_row(
                "SELECT id, title, owner, created_at FROM packets WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let (id, title, owner, created_at) = raw.ok_or_else(|| StoreError::NotFound {
            what: "packet",
            id: id.to_owned(),
        })?;
        Ok(Packet {
            id,
            title,
            owner,
            created_at: ts(&created_at)?,
        })
    }

    /// Every packet, oldest first.
    pub fn packets(&self) -> Result<Vec<Packet>> {
        let mut stmt = self.prepare("SELECT id FROM packets ORDER BY created_at, id")?;
        let ids = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        ids.iter().map(|id| self.packet(id)).collect()
    }

    fn revision_row(
        &self,
        r: &Row<'_>,
    ) -> rusqlite::Result<(String, String, String, String, String, String)> {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
        ))
    }

    fn revision_parse(
        &self,
        raw: (String, String, String, String, String, String),
    ) -> Result<Revision> {
        let (id, packet, content_digest, author, message, created_at) = raw;
        let mut stmt = self.prepare_cached(
            "SELECT parent FROM revision_parents WHERE revision = ?1 ORDER BY position",
        )?;
        let parents = stmt
            .query_map([&id], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .iter()
            .map(|p| digest(p))
            .collect::<Result<Vec<_>>>()?;
        Ok(Revision {
            id: digest(&id)?,
            packet,
            content_digest: digest(&content_digest)?,
            parents,
            author,
            message,
            created_at: ts(&created_at)?,
        })
    }

    /// One revision by full id.
    pub fn revision(&self, id: &str) -> Result<Revision> {
        let raw = self
            .query_row(
                "SELECT id, packet, content_digest, author, message, created_at FROM revisions WHERE id = ?1",
                [id],
                |r| self.revision_row(r),
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound { what: "revision", id: id.to_owned() })?;
        self.revision_parse(raw)
    }

    /// A packet's revisions in the order they were made, oldest first.
    pub fn revisions(&self, packet: &str) -> Result<Vec<Revision>> {
        let mut stmt = self.prepare(
            "SELECT id, packet, content_digest, author, message, created_at FROM revisions
             WHERE packet = ?1 ORDER BY number",
        )?;
        let raws = stmt
            .query_map([packet], |r| self.revision_row(r))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        raws.into_iter()
            .map(|raw| self.revision_parse(raw))
            .collect()
    }

    /// The packet's head revision, if it has any: its one revision without children or, when
    /// concurrent revisions made it diverge, the newest of its heads (see [`Reader::heads`]).
    pub fn head(&self, packet: &str) -> Result<Option<Revision>> {
        Ok(self.heads(packet)?.pop())
    }

    /// How many revisions a packet has.
    pub fn revision_count(&self, packet: &str) -> Result<u32> {
        Ok(self.query_row(
            "SELECT COUNT(*) FROM revisions WHERE packet = ?1",
            [packet],
            |r| r.get(0),
        )?)
    }

    /// Normalized content by its digest.
    pub fn blob(&self, digest: &Digest) -> Result<String> {
        self.query_row(
            "SELECT content FROM blobs WHERE digest = ?1",
            [digest.as_str()],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| StoreError::Corrupt(format!("the content {digest} is missing")))
    }

    /// One comment thread by full id, with its messages.
    pub fn thread(&self, id: &str) -> Result<CommentThread> {
        let raw = self
            .query_row(
                "SELECT id, packet, revision, author, created_at, resolved, resolved_by, resolved_at,
                        quote, prefix, suffix, start, \"end\"
                 FROM threads WHERE id = ?1",
                [id],
                |r| {
                    Ok((
                        (r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?),
                        (r.get::<_, String>(3)?, r.get::<_, String>(4)?, r.get::<_, bool>(5)?),
                        (r.get::<_, Option<String>>(6)?, r.get::<_, Option<String>>(7)?),
                        anchor_from(r, 8)?,
                    ))
                },
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound { what: "comment thread", id: id.to_owned() })?;
        let ((id, packet, revision), (author, created_at, resolved), (by, at), anchor) = raw;
        let resolved_by = match (by, at) {
            (Some(by), Some(at)) => Some((by, ts(&at)?)),
            _ => None,
        };
        let mut stmt = self.prepare_cached(
            "SELECT author, body, created_at FROM messages WHERE thread = ?1 ORDER BY number",
        )?;
        let messages = stmt
            .query_map([&id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .map(|(author, body, at)| {
                Ok(Message {
                    author,
                    body,
                    created_at: ts(&at)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(CommentThread {
            id,
            packet,
            revision: digest(&revision)?,
            author,
            created_at: ts(&created_at)?,
            anchor,
            resolved,
            resolved_by,
            messages,
        })
    }

    /// A packet's comment threads, oldest first.
    pub fn threads(&self, packet: &str) -> Result<Vec<CommentThread>> {
        let mut stmt =
            self.prepare("SELECT id FROM threads WHERE packet = ?1 ORDER BY created_at, id")?;
        let ids = stmt
            .query_map([packet], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        ids.iter().map(|id| self.thread(id)).collect()
    }

    /// One objection by full id, with its ledger history.
    pub fn objection(&self, id: &str) -> Result<Objection> {
        let raw = self
            .query_row(
                "SELECT id, packet, revision, raised_by, created_at, body, blocking, status,
                        quote, prefix, suffix, start, \"end\"
                 FROM objections WHERE id = ?1",
                [id],
                |r| {
                    Ok((
                        (
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                        ),
                        (
                            r.get::<_, String>(3)?,
                            r.get::<_, String>(4)?,
                            r.get::<_, String>(5)?,
                        ),
                        (r.get::<_, bool>(6)?, r.get::<_, String>(7)?),
                        anchor_from(r, 8)?,
                    ))
                },
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound {
                what: "objection",
                id: id.to_owned(),
            })?;
        let ((id, packet, revision), (raised_by, created_at, body), (blocking, status), anchor) =
            raw;
        let mut stmt = self.prepare_cached(
            "SELECT action, from_status, to_status, actor, at, text FROM objection_history
             WHERE objection = ?1 ORDER BY number",
        )?;
        let history = stmt
            .query_map([&id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .map(|(action, from, to, actor, at, text)| {
                let action = match action.as_str() {
                    "resolve" => LedgerAction::Resolve,
                    "withdraw" => LedgerAction::Withdraw,
                    "accept" => LedgerAction::Accept,
                    "reopen" => LedgerAction::Reopen,
                    other => return Err(corrupt(format!("ledger action `{other}`"))),
                };
                Ok(LedgerEntry {
                    action,
                    from: from.parse().map_err(corrupt)?,
                    to: to.parse().map_err(corrupt)?,
                    actor,
                    at: ts(&at)?,
                    text,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Objection {
            id,
            packet,
            revision: digest(&revision)?,
            raised_by,
            created_at: ts(&created_at)?,
            body,
            blocking,
            status: status.parse::<ObjectionStatus>().map_err(corrupt)?,
            anchor,
            history,
        })
    }

    /// A packet's objections, oldest first.
    pub fn objections(&self, packet: &str) -> Result<Vec<Objection>> {
        let mut stmt =
            self.prepare("SELECT id FROM objections WHERE packet = ?1 ORDER BY created_at, id")?;
        let ids = stmt
            .query_map([packet], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        ids.iter().map(|id| self.objection(id)).collect()
    }

    /// The stored anchoring of an annotation on a revision, if one was recorded.
    pub fn anchoring(&self, annotation: &str, revision: &Digest) -> Result<Option<Resolution>> {
        let row = self
            .query_row(
                "SELECT state, exact, quote, prefix, suffix, start, \"end\" FROM anchorings
                 WHERE annotation = ?1 AND revision = ?2",
                params![annotation, revision.as_str()],
                |r| {
                    let state: String = r.get(0)?;
                    if state == "outdated" {
                        return Ok(Resolution::Outdated);
                    }
                    Ok(Resolution::Anchored {
                        anchor: anchor_from(r, 2)?,
                        exact: r.get(1)?,
                    })
                },
            )
            .optional()?;
        Ok(row)
    }

    /// The most recent anchoring of an annotation that found its wording, if any.
    pub fn last_anchored(&self, annotation: &str) -> Result<Option<Anchor>> {
        Ok(self
            .query_row(
                "SELECT a.quote, a.prefix, a.suffix, a.start, a.\"end\" FROM anchorings a
                 JOIN revisions r ON r.id = a.revision
                 WHERE a.annotation = ?1 AND a.state = 'anchored'
                 ORDER BY r.number DESC LIMIT 1",
                [annotation],
                |r| anchor_from(r, 0),
            )
            .optional()?)
    }

    /// Audit events after `seq`, in order, at most `limit`.
    pub fn events_after(&self, seq: u64, limit: usize) -> Result<Vec<Event>> {
        self.events_where(seq, limit)
    }

    /// Every audit event, in order.
    pub fn events(&self) -> Result<Vec<Event>> {
        self.events_where(0, usize::MAX)
    }

    fn events_where(&self, after: u64, limit: usize) -> Result<Vec<Event>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.events_sql(
            &format!("{EVENT_SELECT} WHERE seq > ?1 ORDER BY seq LIMIT ?2"),
            rusqlite::params![after as i64, limit],
        )
    }

    /// Events chosen by `sql` (which selects [`EVENT_SELECT`]'s columns).
    pub fn events_sql(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<Event>> {
        let mut stmt = self.prepare_cached(sql)?;
        let raws = stmt
            .query_map(params, |r| {
                Ok((
                    (
                        r.get::<_, i64>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, Option<String>>(6)?,
                        r.get::<_, String>(7)?,
                        r.get::<_, Option<String>>(8)?,
                    ),
                    (
                        r.get::<_, String>(9)?,
                        r.get::<_, i64>(10)?,
                        r.get::<_, i64>(11)?,
                    ),
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        raws.into_iter()
            .map(
                |(
                    (seq, actor, at, kind, payload, pd, prev, hash, signature),
                    (replica, replica_seq, lamport),
                )| {
                    // Unparseable fields are carried as impossible digests so that `check` names the
                    // event instead of failing to read the log at all.
                    let bad = || Digest::of(b"<unreadable>");
                    Ok(Event {
                        seq: seq as u64,
                        replica,
                        replica_seq: replica_seq as u64,
                        lamport: lamport as u64,
                        actor,
                        at: Timestamp::parse(&at).unwrap_or(Timestamp::from_unix_millis(i64::MIN)),
                        kind,
                        payload,
                        payload_digest: Digest::parse(&pd).unwrap_or_else(|_| bad()),
                        prev: prev.map(|p| Digest::parse(&p).unwrap_or_else(|_| bad())),
                        hash: Digest::parse(&hash).unwrap_or_else(|_| bad()),
                        signature,
                    })
                },
            )
            .collect()
    }

    /// The recorded head of this replica's audit chain.
    pub fn audit_head(&self) -> Result<Option<Digest>> {
        self.meta("audit_head")?.map(|h| digest(&h)).transpose()
    }

    /// How many audit events there are.
    pub fn event_count(&self) -> Result<u64> {
        Ok(self.query_row("SELECT COUNT(*) FROM events", [], |r| r.get::<_, i64>(0))? as u64)
    }
}

fn anchor_params(a: &Anchor) -> (String, String, String, i64, i64) {
    (
        a.quote.clone(),
        a.prefix.clone(),
        a.suffix.clone(),
        a.start as i64,
        a.end as i64,
    )
}

impl Tx<'_> {
    /// Set a meta value.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2",
            [key, value],
        )?;
        Ok(())
    }

    /// Add an identity with its sealed private key (JSON).
    pub fn insert_identity(&self, i: &Identity, sealed_key: &str) -> Result<()> {
        let roles = i
            .roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(",");
        self.execute(
            "INSERT INTO identities (id, name, kind, roles, public_key, sealed_key, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                i.id,
                i.name,
                i.kind.as_str(),
                roles,
                i.public_key,
                sealed_key,
                i.created_at.to_string()
            ],
        )?;
        Ok(())
    }

    /// Store content under its digest (no-op if present).
    pub fn insert_blob(&self, digest: &Digest, content: &str) -> Result<()> {
        self.execute(
            "INSERT INTO blobs (digest, content) VALUES (?1, ?2) ON CONFLICT (digest) DO NOTHING",
            params![digest.as_str(), content],
        )?;
        Ok(())
    }

    /// Add a packet.
    pub fn insert_packet(&self, p: &Packet) -> Result<()> {
        self.execute(
            "INSERT INTO packets (id, title, owner, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![p.id, p.title, p.owner, p.created_at.to_string()],
        )?;
        Ok(())
    }

    /// Add a revision (its content must already be stored). Returns its number in the packet.
    pub fn insert_revision(&self, r: &Revision) -> Result<u32> {
        let number: u32 = self.query_row(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM revisions WHERE packet = ?1",
            [&r.packet],
            |row| row.get(0),
        )?;
        self.execute(
            "INSERT INTO revisions (id, packet, number, content_digest, author, message, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                r.id.as_str(),
                r.packet,
                number,
                r.content_digest.as_str(),
                r.author,
                r.message,
                r.created_at.to_string()
            ],
        )?;
        for (pos, parent) in r.parents.iter().enumerate() {
            self.execute(
                "INSERT INTO revision_parents (revision, position, parent) VALUES (?1, ?2, ?3)",
                params![r.id.as_str(), pos as i64, parent.as_str()],
            )?;
        }
        Ok(number)
    }

    /// Add a comment thread and its messages.
    pub fn insert_thread(&self, t: &CommentThread) -> Result<()> {
        let (q, p, s, start, end) = anchor_params(&t.anchor);
        self.execute(
            "INSERT INTO threads (id, packet, revision, author, created_at, quote, prefix, suffix, start, \"end\")
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![t.id, t.packet, t.revision.as_str(), t.author, t.created_at.to_string(), q, p, s, start, end],
        )?;
        for m in &t.messages {
            self.insert_message(&t.id, m)?;
        }
        Ok(())
    }

    /// Append a message to a thread.
    pub fn insert_message(&self, thread: &str, m: &Message) -> Result<()> {
        self.execute(
            "INSERT INTO messages (thread, number, author, body, created_at)
             VALUES (?1, (SELECT COALESCE(MAX(number), 0) + 1 FROM messages WHERE thread = ?1), ?2, ?3, ?4)",
            params![thread, m.author, m.body, m.created_at.to_string()],
        )?;
        Ok(())
    }

    /// Mark a thread resolved (or not).
    pub fn set_thread_resolved(&self, thread: &str, by: Option<(&str, Timestamp)>) -> Result<()> {
        let (who, at) = match by {
            Some((who, at)) => (Some(who.to_owned()), Some(at.to_string())),
            None => (None, None),
        };
        self.execute(
            "UPDATE threads SET resolved = ?2, resolved_by = ?3, resolved_at = ?4 WHERE id = ?1",
            params![thread, who.is_some(), who, at],
        )?;
        Ok(())
    }

    /// Add an objection (history entries included).
    pub fn insert_objection(&self, o: &Objection) -> Result<()> {
        let (q, p, s, start, end) = anchor_params(&o.anchor);
        self.execute(
            "INSERT INTO objections (id, packet, revision, raised_by, created_at, body, blocking, status,
                                     quote, prefix, suffix, start, \"end\")
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                o.id,
                o.packet,
                o.revision.as_str(),
                o.raised_by,
                o.created_at.to_string(),
                o.body,
                o.blocking,
                o.status.as_str(),
                q,
                p,
                s,
                start,
                end
            ],
        )?;
        for e in &o.history {
            self.record_ledger_entry(&o.id, e)?;
        }
        Ok(())
    }

    /// Record a ledger move and set the objection's status to its outcome.
    pub fn record_ledger_entry(&self, objection: &str, e: &LedgerEntry) -> Result<()> {
        self.execute(
            "INSERT INTO objection_history (objection, number, action, from_status, to_status, actor, at, text)
             VALUES (?1, (SELECT COALESCE(MAX(number), 0) + 1 FROM objection_history WHERE objection = ?1),
                     ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                objection,
                e.action_str(),
                e.from.as_str(),
                e.to.as_str(),
                e.actor,
                e.at.to_string(),
                e.text
            ],
        )?;
        self.execute(
            "UPDATE objections SET status = ?2 WHERE id = ?1",
            params![objection, e.to.as_str()],
        )?;
        Ok(())
    }

    /// Record where an annotation's wording stands on a revision.
    pub fn put_anchoring(
        &self,
        annotation: &str,
        revision: &Digest,
        res: &Resolution,
    ) -> Result<()> {
        let (state, exact, a) = match res {
            Resolution::Anchored { anchor, exact } => {
                ("anchored", *exact, Some(anchor_params(anchor)))
            }
            Resolution::Outdated => ("outdated", false, None),
        };
        let (q, p, s, start, end) = match a {
            Some((q, p, s, st, en)) => (Some(q), Some(p), Some(s), Some(st), Some(en)),
            None => (None, None, None, None, None),
        };
        self.execute(
            "INSERT INTO anchorings (annotation, revision, state, exact, quote, prefix, suffix, start, \"end\")
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (annotation, revision) DO UPDATE SET
               state = ?3, exact = ?4, quote = ?5, prefix = ?6, suffix = ?7, start = ?8, \"end\" = ?9",
            params![annotation, revision.as_str(), state, exact, q, p, s, start, end],
        )?;
        Ok(())
    }

    /// Append an audit event after the head of this replica's chain, with a Lamport clock one
    /// past every event the workspace holds. `sign` receives the event hash and returns the
    /// actor's signature (hex); it is called only when the draft has an actor.
    pub fn append_event(
        &self,
        draft: Draft,
        sign: impl FnOnce(&Digest) -> String,
    ) -> Result<Event> {
        let replica = self
            .reader()
            .meta("replica_id")?
            .ok_or_else(|| corrupt("the workspace has no replica id"))?;
        let last: Option<(i64, String)> = self
            .query_row(
                "SELECT replica_seq, hash FROM events WHERE replica = ?1
                 ORDER BY replica_seq DESC LIMIT 1",
                [&replica],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        // Never extend a chain whose recorded head is not its last event (events were removed
        // by hand): the append would overwrite the only evidence of it that `check` has.
        if self.reader().meta("audit_head")?.as_deref() != last.as_ref().map(|(_, h)| h.as_str()) {
            return Err(corrupt(
                "the audit log's recorded head is not its last event (events were removed)",
            ));
        }
        let (replica_seq, prev) = match last {
            Some((seq, hash)) => (
                next_below(seq, MAX_REPLICA_SEQ).ok_or_else(|| {
                    corrupt(format!(
                        "the chain's last position {seq} leaves no next one (at most {MAX_REPLICA_SEQ})"
                    ))
                })?,
                Some(digest(&hash)?),
            ),
            None => (1, None),
        };
        let lamport: i64 =
            self.query_row("SELECT COALESCE(MAX(lamport), 0) FROM events", [], |r| {
                r.get(0)
            })?;
        // Never wrap: a held clock at (or past) the bound leaves no clock another replica takes.
        let lamport = next_below(lamport, MAX_LAMPORT).ok_or_else(|| {
            corrupt(format!(
                "the highest Lamport clock held, {lamport}, leaves no next one (at most {MAX_LAMPORT})"
            ))
        })?;
        let has_actor = draft.actor.is_some();
        let mut event = draft.seal(&replica, replica_seq, lamport, prev);
        if has_actor {
            event.signature = Some(sign(&event.hash));
        }
        event.seq = self.insert_event(&event)?;
        self.set_meta("audit_head", event.hash.as_str())?;
        Ok(event)
    }

    /// Store an event as it is (its own or another replica's); returns its local position.
    pub fn insert_event(&self, event: &Event) -> Result<u64> {
        self.insert_event_seen(event, None)
    }

    /// Store another replica's event with its causal context (`seen`: for every other replica,
    /// how many of its operations the event's replica had applied when it made it), when known.
    pub fn insert_event_seen(
        &self,
        event: &Event,
        seen: Option<&std::collections::BTreeMap<String, u64>>,
    ) -> Result<u64> {
        let seen = seen.map(|s| serde_json::to_string(s).unwrap_or_default());
        self.execute(
            "INSERT INTO events (actor, at, kind, payload, payload_digest, prev, hash, signature,
                                 replica, replica_seq, lamport, seen)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                event.actor,
                event.at.to_string(),
                event.kind,
                event.payload,
                event.payload_digest.as_str(),
                event.prev.as_ref().map(Digest::as_str),
                event.hash.as_str(),
                event.signature,
                event.replica,
                stored_int(event.replica_seq, "position")?,
                stored_int(event.lamport, "Lamport clock")?,
                seen,
            ],
        )?;
        Ok(self.last_insert_rowid() as u64)
    }
}

trait ActionStr {
    fn action_str(&self) -> &'static str;
}

impl ActionStr for LedgerEntry {
    fn action_str(&self) -> &'static str {
        self.action.as_str()
    }
}

#[cfg(test)]
mod tests {
    use countersign_core::Timestamp;
    use countersign_core::audit::{Draft, Event, MAX_LAMPORT};

    use crate::{Store, StoreError};

    fn draft() -> Draft {
        Draft {
            actor: None,
            at: Timestamp::from_unix_millis(1),
            kind: "workspace.created".into(),
            payload: "{}".into(),
        }
    }

    /// Another replica's event at `seq`, with clock `lamport` (its chain is not checked here).
    fn other(seq: u64, lamport: u64) -> Event {
        draft().seal("other", seq, lamport, None)
    }

    /// A held clock at the bound leaves no next one: appending fails instead of wrapping into a
    /// negative clock, and a clock that does not fit a stored integer is never stored wrapped.
    #[test]
    fn the_next_clock_never_wraps() {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::create(tmp.path()).unwrap();
        store
            .write(|tx| -> crate::Result<()> {
                tx.set_meta("replica_id", "here")?;
                tx.insert_event(&other(1, MAX_LAMPORT - 1))?;
                Ok(())
            })
            .unwrap();
        let e = store
            .write(|tx| tx.append_event(draft(), |_| String::new()))
            .unwrap();
        assert_eq!(e.lamport, MAX_LAMPORT);
        let err = store
            .write(|tx| tx.append_event(draft(), |_| String::new()))
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Corrupt(ref m) if m.contains("Lamport")),
            "{err}"
        );
        for (seq, lamport) in [(2, i64::MAX as u64 + 1), (3, u64::MAX)] {
            let r = store.write(|tx| tx.insert_event(&other(seq, lamport)));
            assert!(
                matches!(r, Err(StoreError::Corrupt(ref m)) if m.contains("too large")),
                "{lamport}: {r:?}"
            );
        }
        let min: i64 = store
            .read()
            .0
            .query_row("SELECT MIN(lamport) FROM events", [], |r| r.get(0))
            .unwrap();
        assert!(min >= 0);
    }
}
