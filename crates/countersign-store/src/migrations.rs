//! Schema migrations: an append-only list. Never edit or reorder an entry that has shipped;
//! add a new one. `PRAGMA user_version` records how many have been applied.
//! A test pins the digest of every entry so an edit to a shipped migration fails CI.

/// Every migration, in order. Index + 1 is the schema version it brings a workspace to.
pub const MIGRATIONS: &[&str] = &[
    // 1: the foundation.
    r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE identities (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('human', 'agent')),
    roles       TEXT NOT NULL,
    public_key  TEXT NOT NULL UNIQUE,
    sealed_key  TEXT NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;

CREATE TABLE blobs (
    digest  TEXT PRIMARY KEY,
    content TEXT NOT NULL
) STRICT;

CREATE TABLE packets (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    owner       TEXT NOT NULL REFERENCES identities (id),
    created_at  TEXT NOT NULL
) STRICT;

CREATE TABLE revisions (
    id              TEXT PRIMARY KEY,
    packet          TEXT NOT NULL REFERENCES packets (id),
    number          INTEGER NOT NULL,
    content_digest  TEXT NOT NULL REFERENCES blobs (digest),
    author          TEXT NOT NULL REFERENCES identities (id),
    message         TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    UNIQUE (packet, number)
) STRICT;

CREATE TABLE revision_parents (
    revision  TEXT NOT NULL REFERENCES revisions (id),
    position  INTEGER NOT NULL,
    parent    TEXT NOT NULL REFERENCES revisions (id),
    PRIMARY KEY (revision, position)
) STRICT;

CREATE TABLE threads (
    id           TEXT PRIMARY KEY,
    packet       TEXT NOT NULL REFERENCES packets (id),
    revision     TEXT NOT NULL REFERENCES revisions (id),
    author       TEXT NOT NULL REFERENCES identities (id),
    created_at   TEXT NOT NULL,
    quote        TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    suffix       TEXT NOT NULL,
    start        INTEGER NOT NULL,
    "end"        INTEGER NOT NULL,
    resolved     INTEGER NOT NULL DEFAULT 0 CHECK (resolved IN (0, 1)),
    resolved_by  TEXT REFERENCES identities (id),
    resolved_at  TEXT
) STRICT;

CREATE TABLE messages (
    thread      TEXT NOT NULL REFERENCES threads (id),
    number      INTEGER NOT NULL,
    author      TEXT NOT NULL REFERENCES identities (id),
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (thread, number)
) STRICT;

CREATE TABLE objections (
    id          TEXT PRIMARY KEY,
    packet      TEXT NOT NULL REFERENCES packets (id),
    revision    TEXT NOT NULL REFERENCES revisions (id),
    raised_by   TEXT NOT NULL REFERENCES identities (id),
    created_at  TEXT NOT NULL,
    body        TEXT NOT NULL,
    blocking    INTEGER NOT NULL CHECK (blocking IN (0, 1)),
    status      TEXT NOT NULL CHECK (status IN ('open', 'resolved', 'withdrawn', 'accepted_residual')),
    quote       TEXT NOT NULL,
    prefix      TEXT NOT NULL,
    suffix      TEXT NOT NULL,
    start       INTEGER NOT NULL,
    "end"       INTEGER NOT NULL
) STRICT;

CREATE TABLE objection_history (
    objection    TEXT NOT NULL REFERENCES objections (id),
    number       INTEGER NOT NULL,
    action       TEXT NOT NULL,
    from_status  TEXT NOT NULL,
    to_status    TEXT NOT NULL,
    actor        TEXT NOT NULL REFERENCES identities (id),
    at           TEXT NOT NULL,
    text         TEXT,
    PRIMARY KEY (objection, number)
) STRICT;

CREATE TABLE anchorings (
    annotation  TEXT NOT NULL,
    revision    TEXT NOT NULL REFERENCES revisions (id),
    state       TEXT NOT NULL CHECK (state IN ('anchored', 'outdated')),
    exact       INTEGER NOT NULL CHECK (exact IN (0, 1)),
    quote       TEXT,
    prefix      TEXT,
    suffix      TEXT,
    start       INTEGER,
    "end"       INTEGER,
    PRIMARY KEY (annotation, revision)
) STRICT;

CREATE TABLE events (
    seq             INTEGER PRIMARY KEY,
    actor           TEXT,
    at              TEXT NOT NULL,
    kind            TEXT NOT NULL,
    payload         TEXT NOT NULL,
    payload_digest  TEXT NOT NULL,
    prev            TEXT,
    hash            TEXT NOT NULL UNIQUE,
    signature       TEXT
) STRICT;

CREATE INDEX revisions_by_packet ON revisions (packet, number);
CREATE INDEX threads_by_packet ON threads (packet);
CREATE INDEX objections_by_packet ON objections (packet);

CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER revisions_immutable_update BEFORE UPDATE ON revisions
BEGIN SELECT RAISE(ABORT, 'revisions are immutable'); END;
CREATE TRIGGER revisions_immutable_delete BEFORE DELETE ON revisions
BEGIN SELECT RAISE(ABORT, 'revisions are never deleted'); END;
CREATE TRIGGER blobs_immutable_update BEFORE UPDATE ON blobs
BEGIN SELECT RAISE(ABORT, 'revision content is immutable'); END;
CREATE TRIGGER blobs_immutable_delete BEFORE DELETE ON blobs
BEGIN SELECT RAISE(ABORT, 'revision content is never deleted'); END;
"#,
    // 2: evidence, the trust policy, release manifests, approvals, holds and releases.
    r#"
CREATE TABLE files (
    digest  TEXT PRIMARY KEY,
    bytes   BLOB NOT NULL
) STRICT;

CREATE TABLE evidence (
    id          TEXT PRIMARY KEY,
    packet      TEXT NOT NULL REFERENCES packets (id),
    source      TEXT NOT NULL,
    title       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (packet, source, title)
) STRICT;

CREATE TABLE evidence_versions (
    evidence     TEXT NOT NULL REFERENCES evidence (id),
    number       INTEGER NOT NULL,
    digest       TEXT NOT NULL REFERENCES files (digest),
    file_name    TEXT NOT NULL,
    size         INTEGER NOT NULL,
    captured_at  TEXT NOT NULL,
    added_by     TEXT NOT NULL REFERENCES identities (id),
    PRIMARY KEY (evidence, number)
) STRICT;

CREATE TABLE policies (
    version     INTEGER PRIMARY KEY,
    digest      TEXT NOT NULL UNIQUE,
    envelope    TEXT NOT NULL,
    issued_at   TEXT NOT NULL
) STRICT;

CREATE TABLE manifests (
    digest      TEXT PRIMARY KEY,
    packet      TEXT NOT NULL REFERENCES packets (id),
    lane        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    revision    TEXT NOT NULL REFERENCES revisions (id),
    envelope    TEXT NOT NULL,
    drafted_by  TEXT NOT NULL REFERENCES identities (id),
    created_at  TEXT NOT NULL,
    UNIQUE (packet, lane, version)
) STRICT;

CREATE TABLE approvals (
    manifest   TEXT NOT NULL REFERENCES manifests (digest),
    signer     TEXT NOT NULL REFERENCES identities (id),
    meaning    TEXT NOT NULL CHECK (meaning IN ('approve', 'reject', 'reviewed')),
    envelope   TEXT NOT NULL,
    signed_at  TEXT NOT NULL,
    PRIMARY KEY (manifest, signer)
) STRICT;

CREATE TABLE holds (
    manifest    TEXT NOT NULL REFERENCES manifests (digest),
    kind        TEXT NOT NULL,
    cause       TEXT NOT NULL,
    holding     INTEGER NOT NULL CHECK (holding IN (0, 1)),
    actor       TEXT REFERENCES identities (id),
    at          TEXT NOT NULL,
    PRIMARY KEY (manifest, cause)
) STRICT;

CREATE TABLE releases (
    manifest  TEXT PRIMARY KEY REFERENCES manifests (digest),
    path      TEXT NOT NULL,
    bundle    TEXT NOT NULL,
    actor     TEXT NOT NULL REFERENCES identities (id),
    at        TEXT NOT NULL
) STRICT;

CREATE INDEX manifests_by_packet ON manifests (packet, lane, version);

CREATE TRIGGER manifests_immutable_update BEFORE UPDATE ON manifests
BEGIN SELECT RAISE(ABORT, 'manifests are immutable'); END;
CREATE TRIGGER manifests_immutable_delete BEFORE DELETE ON manifests
BEGIN SELECT RAISE(ABORT, 'superseded manifests are never deleted'); END;
CREATE TRIGGER policies_immutable_update BEFORE UPDATE ON policies
BEGIN SELECT RAISE(ABORT, 'policy versions are immutable'); END;
CREATE TRIGGER policies_immutable_delete BEFORE DELETE ON policies
BEGIN SELECT RAISE(ABORT, 'policy versions are never deleted'); END;
CREATE TRIGGER holds_append_only_delete BEFORE DELETE ON holds
BEGIN SELECT RAISE(ABORT, 'the blocked-release ledger is append-only'); END;
"#,
    // 3: run records. A run's definition (steps, approvals) and its facts (step outcomes and
    // approval decisions, append-only); the step graph and the run's status are derived from
    // them and never stored.
    r#"
CREATE TABLE runs (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    pattern         TEXT NOT NULL CHECK (pattern IN ('internal', 'external')),
    owner           TEXT NOT NULL REFERENCES identities (id),
    trigger_text    TEXT NOT NULL,
    trigger_source  TEXT NOT NULL,
    trigger_at      TEXT NOT NULL,
    packet          TEXT REFERENCES packets (id),
    lane            TEXT,
    created_by      TEXT NOT NULL REFERENCES identities (id),
    created_at      TEXT NOT NULL,
    CHECK ((packet IS NULL) = (lane IS NULL))
) STRICT;

CREATE TABLE run_approvals (
    id           TEXT PRIMARY KEY,
    run          TEXT NOT NULL REFERENCES runs (id),
    title        TEXT NOT NULL,
    risk         TEXT NOT NULL CHECK (risk IN ('low', 'medium', 'high')),
    requirement  TEXT NOT NULL,
    roles        TEXT NOT NULL,
    approvers    TEXT NOT NULL,
    backing      TEXT CHECK (backing IN ('manifest')),
    created_by   TEXT NOT NULL REFERENCES identities (id),
    created_at   TEXT NOT NULL
) STRICT;

CREATE TABLE run_steps (
    id           TEXT PRIMARY KEY,
    run          TEXT NOT NULL REFERENCES runs (id),
    position     INTEGER NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT,
    gate         TEXT UNIQUE REFERENCES run_approvals (id),
    on_reject    TEXT NOT NULL CHECK (on_reject IN ('fail', 'rework')),
    rework_to    INTEGER,
    added_by     TEXT NOT NULL REFERENCES identities (id),
    added_at     TEXT NOT NULL,
    UNIQUE (run, position),
    CHECK ((on_reject = 'rework') = (rework_to IS NOT NULL))
) STRICT;

CREATE TABLE run_facts (
    run       TEXT NOT NULL REFERENCES runs (id),
    seq       INTEGER NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('completed', 'skipped', 'failed', 'approved', 'rejected')),
    step      TEXT REFERENCES run_steps (id),
    approval  TEXT REFERENCES run_approvals (id),
    actor     TEXT NOT NULL REFERENCES identities (id),
    note      TEXT,
    at        TEXT NOT NULL,
    PRIMARY KEY (run, seq),
    CHECK ((step IS NULL) <> (approval IS NULL))
) STRICT;

CREATE TABLE run_meetings (
    id            TEXT PRIMARY KEY,
    run           TEXT NOT NULL REFERENCES runs (id),
    title         TEXT NOT NULL,
    format        TEXT NOT NULL CHECK (format IN ('vtt', 'txt', 'md')),
    held_at       TEXT NOT NULL,
    time_source   TEXT NOT NULL CHECK (time_source IN ('transcript', 'file', 'import')),
    participants  TEXT NOT NULL,
    turns         INTEGER NOT NULL,
    duration_ms   INTEGER,
    digest        TEXT NOT NULL REFERENCES files (digest),
    file_name     TEXT NOT NULL,
    size          INTEGER NOT NULL,
    imported_by   TEXT NOT NULL REFERENCES identities (id),
    imported_at   TEXT NOT NULL,
    UNIQUE (run, digest)
) STRICT;

CREATE TABLE run_files (
    id         TEXT PRIMARY KEY,
    run        TEXT NOT NULL REFERENCES runs (id),
    title      TEXT NOT NULL,
    file_name  TEXT NOT NULL,
    digest     TEXT NOT NULL REFERENCES files (digest),
    size       INTEGER NOT NULL,
    step       TEXT REFERENCES run_steps (id),
    added_by   TEXT NOT NULL REFERENCES identities (id),
    added_at   TEXT NOT NULL
) STRICT;

CREATE TABLE run_outputs (
    id        TEXT PRIMARY KEY,
    run       TEXT NOT NULL REFERENCES runs (id),
    kind      TEXT NOT NULL,
    text      TEXT NOT NULL,
    step      TEXT REFERENCES run_steps (id),
    approval  TEXT REFERENCES run_approvals (id),
    added_by  TEXT NOT NULL REFERENCES identities (id),
    added_at  TEXT NOT NULL
) STRICT;

CREATE TABLE run_inputs (
    item        TEXT NOT NULL,
    position    INTEGER NOT NULL,
    input_kind  TEXT NOT NULL CHECK (input_kind IN ('trigger', 'meeting', 'file', 'output')),
    input       TEXT NOT NULL,
    PRIMARY KEY (item, position)
) STRICT;

CREATE TABLE run_roadmap_links (
    run       TEXT NOT NULL REFERENCES runs (id),
    key       TEXT NOT NULL,
    title     TEXT NOT NULL,
    url       TEXT,
    added_by  TEXT NOT NULL REFERENCES identities (id),
    added_at  TEXT NOT NULL,
    PRIMARY KEY (run, key)
) STRICT;

CREATE INDEX run_approvals_by_run ON run_approvals (run);
CREATE INDEX run_meetings_by_run ON run_meetings (run);
CREATE INDEX run_files_by_run ON run_files (run);
CREATE INDEX run_outputs_by_run ON run_outputs (run);

CREATE TRIGGER run_facts_append_only_update BEFORE UPDATE ON run_facts
BEGIN SELECT RAISE(ABORT, 'run facts are append-only'); END;
CREATE TRIGGER run_facts_append_only_delete BEFORE DELETE ON run_facts
BEGIN SELECT RAISE(ABORT, 'run facts are append-only'); END;
CREATE TRIGGER run_steps_immutable_update BEFORE UPDATE ON run_steps
BEGIN SELECT RAISE(ABORT, 'run steps are never edited: their status is derived from facts'); END;
CREATE TRIGGER run_steps_immutable_delete BEFORE DELETE ON run_steps
BEGIN SELECT RAISE(ABORT, 'run steps are never deleted'); END;
"#,
    // 4: sync. Identities without a private key (made on another replica), per-replica audit
    // chains with Lamport clocks, conflict marks on ledger moves, and sync bookkeeping.
    r#"
-- Identities made on other replicas arrive with their public key only: a private key never
-- leaves the replica it was made on.
ALTER TABLE identities ADD COLUMN sealed TEXT;
UPDATE identities SET sealed = sealed_key;
ALTER TABLE identities DROP COLUMN sealed_key;
ALTER TABLE identities RENAME COLUMN sealed TO sealed_key;

-- Every replica keeps its own chain; events from other replicas are stored with their origin.
-- Events written before replicas existed keep replica '' and are verified in the v1 format.
DROP TRIGGER events_append_only_update;
ALTER TABLE events ADD COLUMN replica TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN replica_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN lamport INTEGER NOT NULL DEFAULT 0;
UPDATE events SET replica_seq = seq;
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE UNIQUE INDEX events_by_replica ON events (replica, replica_seq);
CREATE INDEX events_in_order ON events (lamport, replica, replica_seq);
CREATE INDEX events_by_kind ON events (kind);
INSERT INTO meta (key, value) SELECT 'legacy_audit_head', value FROM meta WHERE key = 'audit_head';
DELETE FROM meta WHERE key = 'audit_head';
INSERT INTO meta (key, value)
    SELECT 'replica_id', lower(hex(randomblob(16)))
    WHERE EXISTS (SELECT 1 FROM meta WHERE key = 'workspace_id');

-- Revisions without children are a packet's heads; several heads mean it has diverged.
CREATE INDEX revision_parents_by_parent ON revision_parents (parent);

-- A ledger move that was illegal given the state it was applied to (two replicas moved the
-- same objection at once) is kept in the history, marked with why; it changes no status.
ALTER TABLE objection_history ADD COLUMN conflict TEXT;

-- Sync: each target's push position, what was seen there, and what could not be applied.
CREATE TABLE sync_targets (
    target        TEXT PRIMARY KEY,
    spec          TEXT NOT NULL,
    pushed_seq    INTEGER NOT NULL DEFAULT 0,
    next_batch    INTEGER NOT NULL DEFAULT 1,
    create_only   TEXT,
    last_pass_at  TEXT,
    last_pass     TEXT
) STRICT;

CREATE TABLE sync_objects (
    target  TEXT NOT NULL,
    path    TEXT NOT NULL,
    size    INTEGER NOT NULL,
    tag     TEXT NOT NULL,
    status  TEXT NOT NULL CHECK (status IN ('applied', 'waiting', 'quarantined')),
    reason  TEXT,
    at      TEXT NOT NULL,
    PRIMARY KEY (target, path)
) STRICT;

CREATE TABLE sync_conflicts (
    event    TEXT PRIMARY KEY,
    kind     TEXT NOT NULL,
    subject  TEXT NOT NULL,
    detail   TEXT NOT NULL,
    at       TEXT NOT NULL
) STRICT;
"#,
    // 5: run records from other replicas. A run's facts are read in the order every replica
    // applies events (Lamport clock, replica, position), so each fact names the audit event that
    // recorded it; the facts already recorded are matched to their events by run and position.
    r#"
DROP TRIGGER run_facts_append_only_update;
ALTER TABLE run_facts ADD COLUMN event TEXT;
UPDATE run_facts SET event = (
    SELECT e.hash FROM events e
    WHERE e.kind IN ('run.step_completed', 'run.step_skipped', 'run.step_failed',
                     'run.approved', 'run.rejected')
      AND json_extract(e.payload, '$.run') = run_facts.run
      AND json_extract(e.payload, '$.seq') = run_facts.seq
    ORDER BY e.lamport, e.replica, e.replica_seq
    LIMIT 1
);
CREATE TRIGGER run_facts_append_only_update BEFORE UPDATE ON run_facts
BEGIN SELECT RAISE(ABORT, 'run facts are append-only'); END;
CREATE UNIQUE INDEX run_facts_by_event ON run_facts (event);
"#,
    // 6: causal context and revocations. An operation received from another replica keeps what
    // its replica had applied of the others when it made it (`seen`: JSON {replica: count}; NULL
    // when its batch did not say). Every policy version that revokes a key is recorded with the
    // event that issued it, whichever version stands here, so a revocation binds what follows it
    // on every replica alike. This replica's operations made before now have no known causal
    // context (`causal_from`); policy versions already held are recorded by the façade on
    // opening (`revocations_backfill`); batches quarantined by the rule this replaces (a key
    // revoked before the operation's time) are looked at again.
    r#"
ALTER TABLE events ADD COLUMN seen TEXT;
CREATE TABLE revocations (
    event       TEXT NOT NULL REFERENCES events (hash),
    keyid       TEXT NOT NULL,
    revoked_at  TEXT NOT NULL,
    PRIMARY KEY (event, keyid)
) STRICT;
CREATE INDEX revocations_by_key ON revocations (keyid);
INSERT INTO meta (key, value)
    SELECT 'causal_from', CAST(COALESCE(MAX(replica_seq), 0) AS TEXT) FROM events
    WHERE replica = (SELECT value FROM meta WHERE key = 'replica_id');
INSERT INTO meta (key, value)
    SELECT 'revocations_backfill', 'pending' WHERE EXISTS (SELECT 1 FROM policies);
UPDATE sync_objects
    SET status = 'waiting', reason = 'to be looked at again: the rule for revoked keys changed'
    WHERE status = 'quarantined' AND reason LIKE '%signed by a revoked key%';
"#,
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// The triggers that guard append-only and immutable tables; `check` reports any that are gone.
pub const GUARD_TRIGGERS: &[&str] = &[
    "events_append_only_update",
    "events_append_only_delete",
    "revisions_immutable_update",
    "revisions_immutable_delete",
    "blobs_immutable_update",
    "blobs_immutable_delete",
    "manifests_immutable_update",
    "manifests_immutable_delete",
    "policies_immutable_update",
    "policies_immutable_delete",
    "holds_append_only_delete",
    "run_facts_append_only_update",
    "run_facts_append_only_delete",
    "run_steps_immutable_update",
    "run_steps_immutable_delete",
];

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    /// The SHA-256 of every shipped migration. A shipped migration is never edited: append a new
    /// one instead, and pin its digest here.
    const PINNED: &[&str] = &[
        "5a2bb2231c4b12a67fb0352c4b2631161ee27f2cd0123acf5160890c5a0e260d",
        "383c4cc4931d2b26b451aa534d28c66669b7c89c7c98d1464121554db6e65e0f",
        "5887d5f00b0023b22644a169a1c31ec35b5206da14ac69233e32f65f77dff0b2",
        "7e51a9f0dcc93e907cd9f978ad1c8d3741cb753f14a619bef4f98409d11a2f71",
        "f8a66accf092f5fef3628311b87fc82912eced05d55252251a55b75f8ce93cf6",
        "834c32ae3ab1713635187bed0d2a4f6c1db6c2c0ceb582d748f700e512f514f7",
    ];

    #[test]
    fn shipped_migrations_are_never_edited() {
        assert!(
            MIGRATIONS.len() >= PINNED.len(),
            "a shipped migration was removed"
        );
        for (i, (sql, pinned)) in MIGRATIONS.iter().zip(PINNED).enumerate() {
            assert_eq!(
                hex::encode(Sha256::digest(sql.as_bytes())),
                *pinned,
                "migration {} was edited after it shipped; add a new migration instead",
                i + 1
            );
        }
        assert_eq!(
            MIGRATIONS.len(),
            PINNED.len(),
            "pin the digest of every new migration"
        );
    }

    /// Migration 5 links every fact already recorded to the event that recorded it (matched by
    /// run and position), so facts read in the merged order keep the order they had.
    #[test]
    fn the_run_sync_migration_links_recorded_facts_to_their_events() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        for m in &MIGRATIONS[..4] {
            conn.execute_batch(m).unwrap();
        }
        conn.execute_batch(
            "INSERT INTO identities (id, name, kind, roles, public_key, sealed_key, created_at)
                 VALUES ('i', 'n', 'human', 'author', 'pk', NULL, 't');
             INSERT INTO runs (id, name, pattern, owner, trigger_text, trigger_source, trigger_at,
                               created_by, created_at)
                 VALUES ('r', 'Run', 'internal', 'i', 'x', 'manual', 't', 'i', 't'),
                        ('q', 'Other', 'internal', 'i', 'x', 'manual', 't', 'i', 't');
             INSERT INTO run_steps (id, run, position, name, on_reject, added_by, added_at)
                 VALUES ('s1', 'r', 1, 'One', 'fail', 'i', 't'),
                        ('s2', 'r', 2, 'Two', 'fail', 'i', 't'),
                        ('t1', 'q', 1, 'One', 'fail', 'i', 't');
             INSERT INTO run_facts (run, seq, kind, step, actor, at)
                 VALUES ('r', 1, 'completed', 's1', 'i', 't'),
                        ('r', 2, 'skipped', 's2', 'i', 't'),
                        ('q', 1, 'completed', 't1', 'i', 't');
             INSERT INTO events (actor, at, kind, payload, payload_digest, hash, replica,
                                 replica_seq, lamport)
                 VALUES ('i', 't', 'run.step_completed', '{\"run\":\"r\",\"seq\":1}', 'd', 'h1', 'x', 1, 1),
                        ('i', 't', 'run.step_skipped', '{\"run\":\"r\",\"seq\":2}', 'd', 'h2', 'x', 2, 2),
                        ('i', 't', 'run.step_completed', '{\"run\":\"q\",\"seq\":1}', 'd', 'h3', 'x', 3, 3),
                        ('i', 't', 'comment.opened', '{\"run\":\"r\",\"seq\":1}', 'd', 'h4', 'x', 4, 4);",
        )
        .unwrap();
        conn.execute_batch(MIGRATIONS[4]).unwrap();
        let linked: Vec<(String, i64, Option<String>)> = conn
            .prepare("SELECT run, seq, event FROM run_facts ORDER BY run, seq")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            linked,
            [
                ("q".to_owned(), 1, Some("h3".to_owned())),
                ("r".to_owned(), 1, Some("h1".to_owned())),
                ("r".to_owned(), 2, Some("h2".to_owned())),
            ]
        );
        // Still append-only.
        assert!(conn.execute("UPDATE run_facts SET note = 'x'", []).is_err());
        assert!(conn.execute("DELETE FROM run_facts", []).is_err());
    }

    #[test]
    fn migrations_apply_one_by_one_to_an_empty_database() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        for (i, sql) in MIGRATIONS.iter().enumerate() {
            conn.execute_batch(sql)
                .unwrap_or_else(|e| panic!("migration {} fails: {e}", i + 1));
        }
        for t in GUARD_TRIGGERS {
            let n: i64 = conn
                .query_row(
                    "SELECT COUNT(*) FROM sqlite_master WHERE type='trigger' AND name=?1",
                    [t],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(n, 1, "guard trigger {t} is not created by the migrations");
        }
    }
}
