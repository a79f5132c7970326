//! Countersign's API façade: the one surface the `countersign` CLI and the desktop app call.
//!
//! A [`Workspace`] carries the store, a clock, a source of randomness and a source of
//! passphrases — all handed in, so every use case runs the same under a fixed clock and a
//! seeded generator in tests. Each use case validates its input, asks the core whether the
//! change is allowed, then writes it and its signed audit event in one transaction: either all of
//! it lands or none of it does.

mod annotations;
mod app;
mod check;
pub mod demo;
pub mod dto;
mod error;
mod packets;
mod release;
mod runs;
#[cfg(test)]
mod schemas;
pub mod sync;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use countersign_core::Digest;
use countersign_core::audit::Draft;
use countersign_core::model::{Identity, validate_name};
use countersign_signing::{Passphrase, SigningKey};
use countersign_store::{IdKind, Store, Tx};
use rand_core::{CryptoRng, RngCore};
use serde::Serialize;

pub use app::{ChangeView, Created, PacketState, Redline, WorkspaceInfo};
pub use countersign_core::ledger::{LedgerAction, ObjectionStatus};
pub use countersign_core::model::{IdentityKind, Role};
pub use countersign_core::{Clock, FixedClock, Timestamp, text::MAX_CONTENT_BYTES};
pub use countersign_release::{Meaning, Policy};
pub use countersign_signing::{KdfParams, Passphrase as Secret};
pub use dto::*;
pub use error::{ApiError, ErrorClass, Result};
pub use release::{MAX_EVIDENCE_BYTES, validate_lane_id, verify_files};
pub use runs::{MAX_RUN_FILE_BYTES, NewApproval, NewOutput, NewRun, NewRunFile, NewStep};

/// A cryptographically secure random source.
pub trait Random: RngCore + CryptoRng + Send {}
impl<T: RngCore + CryptoRng + Send> Random for T {}

/// Why a passphrase is being asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassphrasePurpose {
    /// To seal the key of a new identity (ask twice when interactive).
    NewIdentity,
    /// To unlock an existing identity's key.
    Unlock,
}

/// Where passphrases come from: an environment variable, a terminal prompt, a dialog.
pub trait PassphraseSource: Send {
    /// A passphrase for `who` (a printed name and id).
    fn passphrase(&mut self, who: &str, purpose: PassphrasePurpose) -> Result<Passphrase>;
}

/// A source that always gives the same passphrase (tests, the demo).
#[derive(Debug, Clone)]
pub struct FixedPassphrase(pub String);

impl PassphraseSource for FixedPassphrase {
    fn passphrase(&mut self, _: &str, _: PassphrasePurpose) -> Result<Passphrase> {
        Ok(Passphrase::new(self.0.clone()))
    }
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Timestamp::from_unix_millis(ms)
    }
}

/// What a workspace is opened with.
pub struct Deps {
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Randomness for ids, keys, salts and nonces.
    pub rng: Box<dyn Random>,
    /// Passphrases.
    pub passphrases: Box<dyn PassphraseSource>,
    /// Key derivation cost for newly sealed keys.
    pub kdf: KdfParams,
}

impl fmt::Debug for Deps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deps")
            .field("clock", &self.clock)
            .field("kdf", &self.kdf)
            .finish_non_exhaustive()
    }
}

impl Deps {
    /// The production set: the system clock (or a fixed one starting at `fixed_now`, an RFC 3339
    /// time, for reproducible scripts), the operating system's randomness and default key
    /// derivation cost.
    pub fn system(passphrases: Box<dyn PassphraseSource>, fixed_now: Option<&str>) -> Result<Deps> {
        let clock: Arc<dyn Clock> = match fixed_now {
            Some(t) => Arc::new(FixedClock::new(parse_time(t)?, 1)),
            None => Arc::new(SystemClock),
        };
        Ok(Deps {
            clock,
            rng: Box::new(rand_core::OsRng),
            passphrases,
            kdf: KdfParams::DEFAULT,
        })
    }
}

/// The system clock's reading.
pub fn now() -> Timestamp {
    SystemClock.now()
}

/// Parse an RFC 3339 time given by a user.
pub fn parse_time(s: &str) -> Result<Timestamp> {
    Ok(Timestamp::parse(s)?)
}

/// Read a file a user named as input, refusing anything over [`MAX_CONTENT_BYTES`] before
/// reading it whole.
pub fn read_input_file(path: &Path) -> Result<Vec<u8>> {
    read_limited(path, MAX_CONTENT_BYTES as u64, |size| {
        countersign_core::text::TextError::TooLarge {
            size: size as usize,
        }
        .into()
    })
}

/// Read a regular file whole, refusing it with `too_large(size)` before reading when it is over
/// `limit` bytes.
pub(crate) fn read_limited(
    path: &Path,
    limit: u64,
    too_large: impl FnOnce(u64) -> ApiError,
) -> Result<Vec<u8>> {
    Ok(read_limited_with_meta(path, limit, too_large)?.0)
}

/// [`read_limited`], with the file's metadata (its modification time, say) as it was read.
pub(crate) fn read_limited_with_meta(
    path: &Path,
    limit: u64,
    too_large: impl FnOnce(u64) -> ApiError,
) -> Result<(Vec<u8>, std::fs::Metadata)> {
    let io = |source| ApiError::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(io(std::io::Error::other("not a regular file")));
    }
    if meta.len() > limit {
        return Err(too_large(meta.len()));
    }
    let bytes = std::fs::read(path).map_err(io)?;
    Ok((bytes, meta))
}

/// An open workspace and everything a use case needs.
pub struct Workspace {
    dir: PathBuf,
    store: Store,
    clock: Arc<dyn Clock>,
    rng: Box<dyn Random>,
    passphrases: Box<dyn PassphraseSource>,
    kdf: KdfParams,
    unlocked: HashMap<String, SigningKey>,
}

impl fmt::Debug for Workspace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Workspace")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct WorkspaceCreated<'a> {
    workspace: &'a str,
    schema: u32,
}

impl Workspace {
    /// Make a new workspace in `dir` (created if missing).
    pub fn init(dir: &Path, deps: Deps) -> Result<Workspace> {
        std::fs::create_dir_all(dir).map_err(|source| ApiError::Io {
            action: "create the directory",
            path: dir.to_path_buf(),
            source,
        })?;
        let store = Store::create(dir)?;
        let mut ws = Workspace::with(dir, store, deps);
        let id = ws.new_id();
        let replica = ws.new_id();
        let at = ws.clock.now();
        ws.store.write(|tx| -> Result<()> {
            tx.set_meta("workspace_id", &id)?;
            tx.set_meta("replica_id", &replica)?;
            tx.set_meta("created_at", &at.to_string())?;
            let payload = WorkspaceCreated {
                workspace: &id,
                schema: countersign_store::SCHEMA_VERSION,
            };
            tx.append_event(draft(None, at, "workspace.created", &payload), |_| {
                String::new()
            })?;
            Ok(())
        })?;
        Ok(ws)
    }

    /// Open the workspace in `dir`.
    pub fn open(dir: &Path, deps: Deps) -> Result<Workspace> {
        let store = Store::open(dir)?;
        let mut ws = Workspace::with(dir, store, deps);
        // Once, for a workspace whose policy versions predate recorded revocations.
        if ws.store.read().meta("revocations_backfill")?.as_deref() == Some("pending") {
            ws.store.write(sync::record_held_revocations)?;
        }
        Ok(ws)
    }

    fn with(dir: &Path, store: Store, deps: Deps) -> Workspace {
        Workspace {
            dir: dir.to_path_buf(),
            store,
            clock: deps.clock,
            rng: deps.rng,
            passphrases: deps.passphrases,
            kdf: deps.kdf,
            unlocked: HashMap::new(),
        }
    }

    /// The workspace's own id, made at `init`.
    pub fn workspace_id(&self) -> Result<String> {
        Ok(self.store.read().meta("workspace_id")?.unwrap_or_default())
    }

    /// The workspace directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Swap the passphrase source (e.g. after the UI learns the passphrase).
    pub fn set_passphrases(&mut self, source: Box<dyn PassphraseSource>) {
        self.passphrases = source;
    }

    fn new_id(&mut self) -> String {
        let mut b = [0u8; 16];
        self.rng.fill_bytes(&mut b);
        countersign_core::model::object_id(b)
    }

    fn resolve(&self, kind: IdKind, given: &str) -> Result<String> {
        Ok(self.store.read().resolve(kind, given)?)
    }

    /// Look up an identity by id or prefix.
    fn identity(&self, given: &str) -> Result<Identity> {
        let id = self.resolve(IdKind::Identity, given)?;
        Ok(self.store.read().identity(&id)?)
    }

    fn name_of(&self, id: &str) -> String {
        self.store
            .read()
            .identity(id)
            .map(|i| i.name)
            .unwrap_or_else(|_| id.to_owned())
    }

    /// Unlock an identity's signing key, asking for its passphrase once per session.
    fn unlock(&mut self, who: &Identity) -> Result<SigningKey> {
        if let Some(k) = self.unlocked.get(&who.id) {
            return Ok(k.clone());
        }
        let sealed_json = self.store.read().sealed_key(&who.id)?;
        let sealed: countersign_signing::SealedKey =
            serde_json::from_str(&sealed_json).map_err(|e| {
                countersign_store::StoreError::Corrupt(format!("sealed key of {}: {e}", who.id))
            })?;
        let label = format!("{} ({})", who.name, short(&who.id));
        let pass = self
            .passphrases
            .passphrase(&label, PassphrasePurpose::Unlock)?;
        let key = countersign_signing::unseal(&sealed, &pass)?;
        self.unlocked.insert(who.id.clone(), key.clone());
        Ok(key)
    }

    /// Make a new identity with a fresh key pair sealed under a passphrase.
    pub fn identity_add(
        &mut self,
        name: &str,
        roles: &[Role],
        kind: IdentityKind,
    ) -> Result<IdentityView> {
        let name = validate_name("name", name)?;
        if roles.is_empty() {
            return Err(ApiError::NoRole);
        }
        let mut roles = roles.to_vec();
        roles.sort();
        roles.dedup();
        let pass = self
            .passphrases
            .passphrase(&name, PassphrasePurpose::NewIdentity)?;
        let key = countersign_signing::generate(&mut &mut *self.rng);
        let sealed = countersign_signing::seal(&key, &pass, self.kdf, &mut &mut *self.rng)?;
        let public = key.verifying_key();
        let identity = Identity {
            id: countersign_signing::fingerprint(&public),
            name,
            roles,
            kind,
            public_key: countersign_signing::public_key_to_hex(&public),
            created_at: self.clock.now(),
        };
        let sealed_json = serde_json::to_string(&sealed)
            .map_err(|e| countersign_store::StoreError::Corrupt(e.to_string()))?;
        self.store.write(|tx| -> Result<()> {
            tx.insert_identity(&identity, &sealed_json)?;
            append(
                tx,
                &identity.id,
                &key,
                identity.created_at,
                "identity.created",
                &identity,
            )?;
            Ok(())
        })?;
        self.unlocked.insert(identity.id.clone(), key);
        Ok(self.identity_view(identity))
    }

    fn identity_view(&self, i: Identity) -> IdentityView {
        IdentityView {
            id: i.id,
            name: i.name,
            kind: i.kind,
            roles: i.roles,
            public_key: i.public_key,
            created_at: i.created_at,
        }
    }

    /// Every identity.
    pub fn identity_list(&self) -> Result<Vec<IdentityView>> {
        Ok(self
            .store
            .read()
            .identities()?
            .into_iter()
            .map(|i| self.identity_view(i))
            .collect())
    }

    /// Verify the audit chain and the database's integrity.
    pub fn check(&self) -> Result<CheckReport> {
        check::run(&self.store)
    }
}

/// The first 12 characters of an id, for messages. Cut on a character boundary: an id that
/// arrived by sync may hold anything, and this never panics.
pub fn short(id: &str) -> &str {
    let bare = id.strip_prefix(Digest::PREFIX).unwrap_or(id);
    match bare.char_indices().nth(12) {
        Some((end, _)) => &bare[..end],
        None => bare,
    }
}

fn draft(actor: Option<&str>, at: Timestamp, kind: &str, payload: &impl Serialize) -> Draft {
    Draft {
        actor: actor.map(str::to_owned),
        at,
        kind: kind.to_owned(),
        // Serializing plain structs of strings and numbers cannot fail.
        payload: serde_json::to_string(payload).unwrap_or_default(),
    }
}

/// Append a signed audit event for `actor`.
fn append(
    tx: &Tx<'_>,
    actor: &str,
    key: &SigningKey,
    at: Timestamp,
    kind: &str,
    payload: &impl Serialize,
) -> Result<()> {
    append_event(tx, actor, key, at, kind, payload)?;
    Ok(())
}

/// Append a signed audit event for `actor`, and return it. Refused when this replica holds a
/// revocation of the actor's key: the operation would follow the revocation, and every other
/// replica would refuse it (see `sync::causal`).
fn append_event(
    tx: &Tx<'_>,
    actor: &str,
    key: &SigningKey,
    at: Timestamp,
    kind: &str,
    payload: &impl Serialize,
) -> Result<countersign_core::audit::Event> {
    let read = tx.reader();
    if let Some(r) = read.revocations(Some(actor))?.into_iter().next() {
        let name = read
            .identity(actor)
            .map_or_else(|_| actor.to_owned(), |i| i.name);
        let version = serde_json::from_str::<serde_json::Value>(&r.event.payload)
            .ok()
            .and_then(|v| v.get("version").and_then(serde_json::Value::as_u64))
            .unwrap_or(0);
        return Err(ApiError::NotPermitted(format!(
            "{name}'s key is revoked (since {}, by policy version {version}); it signs nothing more",
            r.revoked_at
        )));
    }
    Ok(
        tx.append_event(draft(Some(actor), at, kind, payload), |hash| {
            hex_encode(&countersign_signing::sign(key, hash.as_str().as_bytes()))
        })?,
    )
}

fn hex_encode(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::short;

    #[test]
    fn short_cuts_on_characters_and_never_panics() {
        assert_eq!(short("0123456789abcdef0123456789abcdef"), "0123456789ab");
        assert_eq!(
            short("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
            "0123456789ab"
        );
        assert_eq!(short(""), "");
        assert_eq!(short("abc"), "abc");
        assert_eq!(short("sha256:"), "");
        let accents = format!("a{}", "é".repeat(10));
        assert_eq!(short(&accents), accents);
        assert_eq!(
            short(&format!("a{}", "é".repeat(20))),
            format!("a{}", "é".repeat(11))
        );
        assert_eq!(short("日本語のIDはここで切れる"), "日本語のIDはここで切れ");
        assert_eq!(short("🦀🦀🦀🦀🦀🦀🦀🦀🦀🦀🦀🦀🦀"), "🦀".repeat(12));
    }
}
