//! Opening, creating and refusing workspace files.

use countersign_store::{SCHEMA_VERSION, Store, StoreError};

#[test]
fn create_then_open_reaches_the_current_schema() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::create(dir.path()).unwrap());
    let store = Store::open(dir.path()).unwrap();
    let v: u32 = store
        .read()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, SCHEMA_VERSION);
    let fk: i64 = store
        .read()
        .pragma_query_value(None, "foreign_keys", |r| r.get(0))
        .unwrap();
    assert_eq!(fk, 1);
    let mode: String = store
        .read()
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert!(store.integrity_problems().unwrap().is_empty());
}

#[test]
fn create_refuses_an_existing_workspace() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::create(dir.path()).unwrap());
    assert!(matches!(
        Store::create(dir.path()),
        Err(StoreError::AlreadyExists(_))
    ));
}

#[test]
fn open_refuses_missing_garbage_newer_and_foreign_files() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        Store::open(dir.path()),
        Err(StoreError::NotAWorkspace(_))
    ));

    std::fs::write(dir.path().join("countersign.db"), vec![b'x'; 4096]).unwrap();
    assert!(matches!(
        Store::open(dir.path()),
        Err(StoreError::NotSqlite(_))
    ));
    std::fs::remove_file(dir.path().join("countersign.db")).unwrap();

    drop(Store::create(dir.path()).unwrap());
    {
        let conn = rusqlite::Connection::open(dir.path().join("countersign.db")).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
    }
    match Store::open(dir.path()) {
        Err(StoreError::NewerSchema { found, supported }) => {
            assert_eq!((found, supported), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
        }
        other => panic!("expected NewerSchema, got {other:?}"),
    }

    let other = tempfile::tempdir().unwrap();
    rusqlite::Connection::open(other.path().join("countersign.db"))
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    assert!(matches!(
        Store::open(other.path()),
        Err(StoreError::Foreign(_))
    ));
}

#[test]
fn a_failed_write_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(dir.path()).unwrap();
    let r: Result<(), StoreError> = store.write(|tx| {
        tx.set_meta("k", "v")?;
        Err(StoreError::Corrupt("stop".into()))
    });
    assert!(r.is_err());
    assert_eq!(store.read().meta("k").unwrap(), None);
}

#[test]
fn the_guard_triggers_refuse_edits_to_the_audit_log_and_revisions() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(dir.path()).unwrap();
    let conn = store.read();
    conn.execute(
        "INSERT INTO events (seq, actor, at, kind, payload, payload_digest, prev, hash, signature)
         VALUES (1, NULL, 't', 'k', '{}', 'd', NULL, 'h', NULL)",
        [],
    )
    .unwrap();
    let err = conn
        .execute("UPDATE events SET payload = '{\"x\":1}'", [])
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    let err = conn.execute("DELETE FROM events", []).unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    conn.execute("INSERT INTO blobs (digest, content) VALUES ('d', 'x')", [])
        .unwrap();
    assert!(conn.execute("UPDATE blobs SET content = 'y'", []).is_err());
    assert!(conn.execute("DELETE FROM blobs", []).is_err());
}
