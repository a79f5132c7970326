//! Shared helpers: a throwaway workspace ([`Ws`]) and a way to run the `countersign` binary on
//! it, with `COUNTERSIGN_PASSPHRASE` set and `COUNTERSIGN_WORKSPACE` / `COUNTERSIGN_NOW` removed
//! so that the caller's environment never leaks in.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::Value;
use tempfile::TempDir;

mod release;
pub use release::*;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_countersign");

/// The passphrase every test identity is sealed with.
pub const PASSPHRASE: &str = "correct horse battery staple";

/// The workspace database file inside a workspace directory.
pub const DB_FILE: &str = countersign_store::DB_FILE;

/// (exit code, stdout, stderr).
pub type Run = (i32, String, String);

/// A `countersign` command with a clean environment (passphrase set, no workspace, no fixed
/// clock) and standard input closed (never a terminal).
pub fn command() -> Command {
    let mut c = Command::new(BIN);
    c.env_remove("COUNTERSIGN_WORKSPACE")
        .env_remove("COUNTERSIGN_NOW")
        .env("COUNTERSIGN_PASSPHRASE", PASSPHRASE)
        .stdin(Stdio::null());
    c
}

/// Run a command to completion.
pub fn output(c: &mut Command) -> Run {
    let out = c.output().expect("run countersign");
    let code = out
        .status
        .code()
        .expect("countersign was killed by a signal");
    (
        code,
        String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    )
}

/// Assert that `s` is `len` lowercase hex characters.
pub fn assert_hex(s: &str, len: usize) {
    assert_eq!(s.len(), len, "expected {len} hex characters, got {s:?}");
    assert!(
        s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
        "expected lowercase hex, got {s:?}"
    );
}

/// Assert that `s` is a `sha256:` digest.
pub fn assert_digest(s: &str) {
    let hex = s
        .strip_prefix("sha256:")
        .unwrap_or_else(|| panic!("not a digest: {s:?}"));
    assert_hex(hex, 64);
}

/// `"sha256:" + hex(sha256(bytes))`, computed independently of the code under test.
pub fn sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(bytes);
    let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The bare hex of an id (revision ids carry `sha256:`).
pub fn bare(id: &str) -> &str {
    id.strip_prefix("sha256:").unwrap_or(id)
}

/// A JSON value as a string (panics when it is not one).
pub fn s(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a JSON string, got {v}"))
}

/// Everything a workspace database holds, row by row, as text: two equal dumps mean nothing
/// was written.
pub fn dump_db(db: &Path) -> String {
    let conn = rusqlite::Connection::open(db).expect("open the workspace database");
    let mut tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    tables.sort();
    let mut out = String::new();
    for t in tables {
        out.push_str(&format!("## {t}\n"));
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM \"{t}\" ORDER BY rowid"))
            .unwrap();
        let n = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            for i in 0..n {
                let v: rusqlite::types::Value = r.get(i).unwrap();
                out.push_str(&format!("{v:?}\t"));
            }
            out.push('\n');
        }
    }
    let triggers: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    out.push_str(&format!("## triggers {triggers:?}\n"));
    out
}

/// Open a workspace database for hand edits (as an attacker with a SQLite shell would).
pub fn sqlite(db: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(db).expect("open the workspace database")
}

/// What a workspace holds at one moment: the number of verified audit events and every row.
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub events: u64,
    pub rows: String,
}

/// A workspace in a temporary directory. The workspace itself is `<tmp>/ws`; input files are
/// written to `<tmp>/files`, outside it.
#[derive(Debug)]
pub struct Ws {
    tmp: TempDir,
    files: AtomicU32,
}

impl Ws {
    /// An empty directory, no workspace yet.
    pub fn empty() -> Ws {
        let tmp = tempfile::tempdir().expect("make a temporary directory");
        std::fs::create_dir(tmp.path().join("ws")).unwrap();
        std::fs::create_dir(tmp.path().join("files")).unwrap();
        Ws {
            tmp,
            files: AtomicU32::new(0),
        }
    }

    /// A copy of another workspace's database (taken while nothing writes to it).
    pub fn copy_of(other: &Ws) -> Ws {
        let ws = Ws::empty();
        for suffix in ["", "-wal"] {
            let from = PathBuf::from(format!("{}{suffix}", other.db().display()));
            if from.exists() {
                std::fs::copy(&from, format!("{}{suffix}", ws.db().display())).unwrap();
            }
        }
        ws
    }

    /// A fresh workspace (`countersign init`).
    pub fn init() -> Ws {
        let ws = Ws::empty();
        let (code, _, err) = ws.run(["init"]);
        assert_eq!(code, 0, "init failed: {err}");
        assert!(ws.db().is_file(), "init made no {DB_FILE}");
        ws
    }

    /// The temporary directory holding the workspace directory and the input files.
    pub fn root(&self) -> &Path {
        self.tmp.path()
    }

    /// The workspace directory (`<tmp>/ws`).
    pub fn dir(&self) -> PathBuf {
        self.tmp.path().join("ws")
    }

    /// The workspace database file.
    pub fn db(&self) -> PathBuf {
        self.dir().join(DB_FILE)
    }

    /// A command on this workspace (`--workspace <dir>` first).
    pub fn cmd<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut c = command();
        c.arg("--workspace").arg(self.dir()).args(args);
        c
    }

    /// Run a command on this workspace.
    pub fn run<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        output(&mut self.cmd(args))
    }

    /// Run with one extra environment variable.
    pub fn run_env<I, S>(&self, env: (&str, &str), args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        output(self.cmd(args).env(env.0, env.1))
    }

    /// Run; it must succeed. Returns stdout.
    pub fn ok<I, S>(&self, args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let (code, out, err) = self.run(&args);
        assert_eq!(code, 0, "`countersign {args:?}` failed with {code}:\n{err}");
        out
    }

    /// Run with `--json`; it must succeed. Returns the parsed stdout.
    pub fn json<I, S>(&self, args: I) -> Value
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut all: Vec<std::ffi::OsString> = vec!["--json".into()];
        all.extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        let out = self.ok(&all);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
    }

    /// Run; it must fail with `code`, print nothing on stdout and an `error: …` on stderr.
    /// Returns stderr.
    pub fn fails<I, S>(&self, code: i32, args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let (got, out, err) = self.run(&args);
        assert_eq!(
            got, code,
            "`countersign {args:?}` exited {got}, expected {code}:\n{err}"
        );
        assert_eq!(out, "", "a failed command printed on stdout");
        assert!(
            err.starts_with("error: "),
            "stderr should start with `error: `, got {err:?}"
        );
        err
    }

    /// Like [`Ws::fails`] with `--json`: returns the error's stable code from stderr.
    pub fn fails_code<I, S>(&self, code: i32, args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut all: Vec<std::ffi::OsString> = vec!["--json".into()];
        all.extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        let (got, out, err) = self.run(&all);
        assert_eq!(
            got, code,
            "`countersign {all:?}` exited {got}, expected {code}:\n{err}"
        );
        assert_eq!(out, "", "a failed command printed on stdout");
        let v: Value = serde_json::from_str(err.trim())
            .unwrap_or_else(|e| panic!("stderr is not a JSON error ({e}): {err}"));
        assert!(!s(&v["error"]["message"]).is_empty());
        s(&v["error"]["code"]).to_owned()
    }

    /// Run a command that creates something: stdout must be exactly its id and a newline.
    pub fn created<I, S>(&self, args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let out = self.ok(args);
        let id = out
            .strip_suffix('\n')
            .unwrap_or_else(|| panic!("no newline after {out:?}"));
        assert!(
            !id.is_empty() && !id.contains(char::is_whitespace),
            "stdout is not one id: {out:?}"
        );
        id.to_owned()
    }

    /// Write an input file outside the workspace; returns its path.
    pub fn file(&self, bytes: impl AsRef<[u8]>) -> PathBuf {
        let n = self.files.fetch_add(1, Ordering::Relaxed) + 1;
        let path = self.tmp.path().join("files").join(format!("{n}.md"));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// A human identity with these roles; returns its id.
    pub fn identity(&self, name: &str, roles: &[&str]) -> String {
        let mut args = vec!["identity", "add", "--name", name];
        for r in roles {
            args.extend(["--role", r]);
        }
        let id = self.created(&args);
        assert_hex(&id, 64);
        id
    }

    /// An agent identity; returns its id.
    pub fn agent(&self, name: &str) -> String {
        let id = self.created([
            "identity", "add", "--name", name, "--role", "author", "--agent",
        ]);
        assert_hex(&id, 64);
        id
    }

    /// A new packet; returns its id.
    pub fn packet(&self, title: &str, owner: &str) -> String {
        let id = self.created(["packet", "new", "--title", title, "--owner", owner]);
        assert_hex(&id, 32);
        id
    }

    /// A new revision with this content; returns its id.
    pub fn revise(&self, packet: &str, content: impl AsRef<[u8]>, author: &str) -> String {
        let f = self.file(content);
        let id = self.created([
            "packet".as_ref(),
            "revise".as_ref(),
            packet.as_ref(),
            "--file".as_ref(),
            f.as_os_str(),
            "--author".as_ref(),
            author.as_ref(),
        ]);
        assert_digest(&id);
        id
    }

    /// Raise an objection; returns its id.
    pub fn raise(
        &self,
        packet: &str,
        rev: &str,
        quote: &str,
        author: &str,
        blocking: bool,
    ) -> String {
        let mut args = vec![
            "objection",
            "raise",
            packet,
            "--revision",
            rev,
            "--quote",
            quote,
            "--body",
            "I object to this wording.",
            "--author",
            author,
        ];
        if blocking {
            args.push("--blocking");
        }
        let id = self.created(&args);
        assert_hex(&id, 32);
        id
    }

    /// Open a comment thread; returns its id.
    pub fn comment(&self, packet: &str, rev: &str, quote: &str, author: &str) -> String {
        let id = self.created([
            "comment",
            "add",
            packet,
            "--revision",
            rev,
            "--quote",
            quote,
            "--body",
            "A comment.",
            "--author",
            author,
        ]);
        assert_hex(&id, 32);
        id
    }

    /// `packet log --json`, newest first.
    pub fn log(&self, packet: &str) -> Vec<Value> {
        array(self.json(["packet", "log", packet]))
    }

    /// `objection list --json` (on `rev`, or the head).
    pub fn objections(&self, packet: &str, rev: Option<&str>) -> Vec<Value> {
        let mut args = vec!["objection", "list", packet];
        if let Some(r) = rev {
            args.extend(["--revision", r]);
        }
        array(self.json(&args))
    }

    /// One objection from `objection list --json`.
    pub fn objection(&self, packet: &str, id: &str, rev: Option<&str>) -> Value {
        self.objections(packet, rev)
            .into_iter()
            .find(|o| o["id"] == id)
            .unwrap_or_else(|| panic!("objection {id} is not listed"))
    }

    /// `comment list --json` (on `rev`, or the head).
    pub fn threads(&self, packet: &str, rev: Option<&str>) -> Vec<Value> {
        let mut args = vec!["comment", "list", packet];
        if let Some(r) = rev {
            args.extend(["--revision", r]);
        }
        array(self.json(&args))
    }

    /// `check --json`, whatever its outcome; the exit code must agree with `ok`.
    pub fn check(&self) -> Value {
        let (code, out, err) = self.run(["--json", "check"]);
        let v: Value = serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("check printed no JSON ({e}): {out}\n{err}"));
        let ok = v["ok"].as_bool().expect("check reports ok");
        assert_eq!(
            code,
            if ok { 0 } else { 1 },
            "check's exit code disagrees with ok: {v}"
        );
        v
    }

    /// The number of audit events; `check` must pass.
    pub fn events(&self) -> u64 {
        let v = self.check();
        assert_eq!(v["ok"], true, "check failed: {v}");
        assert_eq!(v["problems"], serde_json::json!([]));
        v["events_verified"].as_u64().expect("events_verified")
    }

    /// The workspace as it stands (check must pass).
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            events: self.events(),
            rows: dump_db(&self.db()),
        }
    }

    /// Assert nothing was written since `before` and `check` still passes.
    pub fn assert_unchanged(&self, before: &Snapshot, what: &str) {
        let now = self.snapshot();
        assert_eq!(now.events, before.events, "{what}: the audit log grew");
        assert!(
            now.rows == before.rows,
            "{what}: the workspace database changed"
        );
    }
}

/// A JSON array's items (panics when it is not an array).
pub fn array(v: Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items,
        other => panic!("expected a JSON array, got {other}"),
    }
}

/// A small cast: an owner, a reviewer who raises objections, a bystander and an agent, and a
/// packet owned by the owner.
#[derive(Debug)]
pub struct Cast {
    pub ws: Ws,
    pub owner: String,
    pub reviewer: String,
    pub other: String,
    pub packet: String,
}

impl Cast {
    pub fn new() -> Cast {
        let ws = Ws::init();
        let owner = ws.identity("Priya Raman", &["release-owner", "author"]);
        let reviewer = ws.identity("Dana Okafor", &["legal", "reviewer"]);
        let other = ws.identity("Jonas Whitfield", &["reviewer"]);
        let packet = ws.packet("Outage disclosure", &owner);
        Cast {
            ws,
            owner,
            reviewer,
            other,
            packet,
        }
    }
}

/// The first character of an id's hex, and the two ids that share it (the first pair found).
pub fn shared_first_char(ids: &[String]) -> Option<(char, String, String)> {
    for (i, a) in ids.iter().enumerate() {
        for b in &ids[..i] {
            let (ca, cb) = (bare(a).chars().next()?, bare(b).chars().next()?);
            if ca == cb {
                return Some((ca, b.clone(), a.clone()));
            }
        }
    }
    None
}

/// Make objects with `make` until two share a first hex character (at most 17 are ever
/// needed). Returns that character and the two ids.
pub fn until_shared_prefix(mut make: impl FnMut(usize) -> String) -> (char, String, String) {
    let mut ids = Vec::new();
    for i in 0..17 {
        ids.push(make(i));
        if let Some(found) = shared_first_char(&ids) {
            return found;
        }
    }
    panic!("17 hex ids without a shared first character: {ids:?}")
}
