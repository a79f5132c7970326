//! The workspace's SQLite file.
//!
//! One file, `countersign.db`, in the workspace directory. Opened with WAL, foreign keys on and
//! a busy timeout, so two processes writing at once wait for each other instead of failing or
//! corrupting anything. Every write goes through [`Store::write`], one `BEGIN IMMEDIATE`
//! transaction that either commits whole or leaves nothing behind.
//!
//! This crate knows SQL and rows; it does not know the rules (the core does) or who may do what
//! (the façade does).

mod migrations;
mod queries;
mod release_queries;
mod run_queries;
mod sync_queries;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior};

pub use migrations::{GUARD_TRIGGERS, MIGRATIONS, SCHEMA_VERSION};
pub use queries::*;
pub use release_queries::*;
pub use run_queries::*;
pub use sync_queries::*;

/// The database file's name inside a workspace directory.
pub const DB_FILE: &str = "countersign.db";

/// How long a writer waits for another writer before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No workspace at this path.
    #[error("no Countersign workspace at {0} (run `countersign init` there, or pass --workspace)")]
    NotAWorkspace(PathBuf),
    /// A workspace already exists here.
    #[error("a Countersign workspace already exists at {0}")]
    AlreadyExists(PathBuf),
    /// The file is not an SQLite database.
    #[error("{0} is not a Countersign workspace file (not an SQLite database)")]
    NotSqlite(PathBuf),
    /// The file is SQLite but not a Countersign workspace.
    #[error("{0} is an SQLite database but not a Countersign workspace")]
    Foreign(PathBuf),
    /// Made by a newer version of Countersign.
    #[error(
        "this workspace was made by a newer Countersign (schema {found}; this build knows up to {supported}); upgrade Countersign"
    )]
    NewerSchema {
        /// The file's schema version.
        found: u32,
        /// The newest this build knows.
        supported: u32,
    },
    /// Another process held the workspace for longer than the busy timeout.
    #[error("the workspace is busy (another process is writing); try again")]
    Busy,
    /// No row with this id (or id prefix).
    #[error("no {what} matches `{id}`; {}", list_hint(what))]
    NotFound {
        /// What was looked for.
        what: &'static str,
        /// The id or prefix given.
        id: String,
    },
    /// Several rows share this id prefix.
    #[error("`{prefix}` matches more than one {what} ({}); give more characters", candidates.join(", "))]
    Ambiguous {
        /// What was looked for.
        what: &'static str,
        /// The prefix given.
        prefix: String,
        /// Up to a few matching ids.
        candidates: Vec<String>,
    },
    /// The identity was made on another replica: its private key never left that replica.
    #[error(
        "the private key of identity {0} is not in this workspace: it stays on the replica where the identity was made; act as an identity made here (`countersign identity add`)"
    )]
    KeyElsewhere(String),
    /// A stored value does not parse (the file was edited by hand or is damaged).
    #[error("the workspace holds a damaged value: {0}; run `countersign check`")]
    Corrupt(String),
    /// Any other SQLite failure.
    #[error("database error: {0}")]
    Sqlite(#[source] rusqlite::Error),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Busy,
            _ => StoreError::Sqlite(e),
        }
    }
}

impl StoreError {
    /// Whether a write was refused by one of the schema's constraints (a key, a uniqueness,
    /// a check or a foreign key): the row does not fit what is held.
    pub fn is_constraint(&self) -> bool {
        matches!(self, StoreError::Sqlite(e) if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation))
    }
}

/// Where to find the ids of a kind of object.
fn list_hint(what: &str) -> &'static str {
    match what {
        "identity" => "list them with `countersign identity list`",
        "packet" => "list them with `countersign packet list`",
        "revision" => "list them with `countersign packet log PACKET`",
        "comment thread" => "list them with `countersign comment list PACKET`",
        "objection" => "list them with `countersign objection list PACKET`",
        "evidence item" => "list them with `countersign evidence list PACKET`",
        "manifest" => "see `countersign manifest status PACKET --lane LANE`",
        "run" => "list them with `countersign run list`",
        "approval" | "run item" => "see `countersign run show RUN`",
        _ => "check the id",
    }
}

/// Shorthand.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// An open workspace database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(())
}

impl Store {
    /// Create a new workspace database in `dir` (which must exist). Refuses if one exists.
    pub fn create(dir: &Path) -> Result<Store> {
        let path = dir.join(DB_FILE);
        if path.exists() {
            return Err(StoreError::AlreadyExists(dir.to_path_buf()));
        }
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        )?;
        configure(&conn)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        let mut store = Store { conn, path };
        store.migrate()?;
        Ok(store)
    }

    /// Open the workspace database in `dir`.
    pub fn open(dir: &Path) -> Result<Store> {
        let path = dir.join(DB_FILE);
        if !path.is_file() {
            return Err(StoreError::NotAWorkspace(dir.to_path_buf()));
        }
        let conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        let not_sqlite = |e: rusqlite::Error| match e.sqlite_error_code() {
            Some(ErrorCode::NotADatabase) => StoreError::NotSqlite(path.clone()),
            _ => StoreError::from(e),
        };
        configure(&conn).map_err(not_sqlite)?;
        let version: u32 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(not_sqlite)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        if version == 0 {
            return Err(StoreError::Foreign(path));
        }
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(not_sqlite)?;
        let mut store = Store { conn, path };
        store.migrate()?;
        Ok(store)
    }

    /// The database file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Apply any migrations this file lacks, each in its own transaction.
    fn migrate(&mut self) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: u32 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as u32)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Run `f` in one write transaction (`BEGIN IMMEDIATE`). If `f` fails, nothing is written.
    pub fn write<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&Tx<'_>) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let out = f(&Tx(&tx))?;
        tx.commit().map_err(StoreError::from)?;
        Ok(out)
    }

    /// Read access. Each query sees a consistent snapshot of its own.
    pub fn read(&self) -> Reader<'_> {
        Reader(&self.conn)
    }

    /// Run `f` in one read transaction: every read it makes through this store sees the same
    /// snapshot, whatever other processes commit meanwhile (`check` reads the chain and its
    /// recorded head this way, so a concurrent writer is not mistaken for a cut chain).
    pub fn snapshot<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce() -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(StoreError::from)?;
        let out = f()?;
        tx.commit().map_err(StoreError::from)?;
        Ok(out)
    }

    /// Run SQLite's own integrity and foreign-key checks and confirm the guard triggers are in
    /// place. Returns the problems found (empty when all is well).
    pub fn integrity_problems(&self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        for row in stmt.query_map([], |r| r.get::<_, String>(0))? {
            let row = row?;
            if row != "ok" {
                problems.push(format!("SQLite integrity: {row}"));
            }
        }
        let mut stmt = self.conn.prepare("PRAGMA foreign_key_check")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let table: String = r.get(0)?;
            let parent: String = r.get(2)?;
            problems.push(format!(
                "a row of `{table}` points at a missing row of `{parent}`"
            ));
        }
        for name in GUARD_TRIGGERS {
            let present: bool = self.conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = ?1)",
                [name],
                |r| r.get(0),
            )?;
            if !present {
                problems.push(format!("the guard trigger `{name}` has been removed"));
            }
        }
        Ok(problems)
    }
}

/// A write transaction.
#[derive(Debug)]
pub struct Tx<'a>(&'a rusqlite::Transaction<'a>);

/// Read access to the database.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a>(&'a Connection);

impl std::ops::Deref for Tx<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.0
    }
}

impl std::ops::Deref for Reader<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.0
    }
}

impl<'a> Tx<'a> {
    /// Reads inside this transaction.
    pub fn reader(&self) -> Reader<'_> {
        Reader(self.0)
    }
}
