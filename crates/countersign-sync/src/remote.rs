//! One layout, two backends. A target holds:
//!
//! ```text
//! workspace.json                 which workspace this is (written once, by the first replica)
//! objects/<hex sha-256>          immutable content-addressed objects: revision contents,
//!                                evidence files, envelopes, bundles
//! logs/<replica>/<number>        each replica's op batches, numbered from 1 (12 digits)
//! ```
//!
//! Every object has one writer: an object's bytes are fixed by its name, and only a replica
//! writes into its own log. Correctness therefore never depends on conditional writes; a
//! create-only put is used as a second guard where the target honours it (probed, see
//! [`Remote::probe_create_only`]). A folder is written atomically (a staging file, fsync,
//! rename) by `object_store`'s `LocalFileSystem`, whose listing skips staging files; anything
//! else in the folder that does not fit the layout is ignored.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use countersign_core::Digest;
use futures::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{
    BackoffConfig, ClientOptions, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload,
    RetryConfig,
};
use serde::{Deserialize, Serialize};

use crate::batch::ObjectRef;
use crate::target::{TargetSpec, TransferOptions};
use crate::{Phase, Progress, SyncError};

/// The marker naming the workspace a target holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Marker {
    /// `countersign/sync/v1`.
    pub format: String,
    /// The workspace id.
    pub workspace: String,
    /// The hash of the workspace's genesis (`workspace.created`) event, as held by the replica
    /// that wrote the marker. A replica joining from this target accepts that genesis and no
    /// other, so a genesis forged under another replica id cannot take its place. (Markers written
    /// before it existed have none.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub genesis: Option<String>,
}

/// The marker's format tag.
pub const MARKER_FORMAT: &str = "countersign/sync/v1";

/// A batch found in a replica's log at the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogObject {
    /// The replica.
    pub replica: String,
    /// The batch number.
    pub number: u64,
    /// Its path relative to the layout root (`logs/<replica>/<number>`).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// A version tag (e-tag, else modification time): a changed object gets another.
    pub tag: String,
}

/// Whether the target honours create-only puts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateOnly {
    /// A second create of the same object is refused: used as a second guard.
    Honoured,
    /// A second create silently overwrites (Garage, rclone serve s3, s3rver): not relied on.
    Ignored,
    /// The target refuses create-only puts altogether; plain puts are used.
    Unsupported(String),
}

impl CreateOnly {
    /// `honoured`, `ignored` or `unsupported`.
    pub fn as_str(&self) -> &'static str {
        match self {
            CreateOnly::Honoured => "honoured",
            CreateOnly::Ignored => "ignored",
            CreateOnly::Unsupported(_) => "unsupported",
        }
    }
}

/// What putting a log batch found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutLog {
    /// Written.
    Written,
    /// Something is already there (these bytes).
    Occupied(Bytes),
}

/// Why an object could not be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectProblem {
    /// Not at the target (yet).
    Missing,
    /// There, but its bytes do not match its name (truncated, damaged or foreign).
    Damaged {
        /// The size found.
        size: u64,
        /// The digest of what was found.
        found: Digest,
    },
    /// The transfer failed.
    Failed(String),
}

impl std::fmt::Display for ObjectProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ObjectProblem::Missing => f.write_str("not at the target yet"),
            ObjectProblem::Damaged { size, found } => write!(
                f,
                "damaged: its {size} bytes hash to {found}, not to its name (truncated or altered)"
            ),
            ObjectProblem::Failed(e) => write!(f, "could not be read: {e}"),
        }
    }
}

/// An open target.
pub struct Remote {
    rt: tokio::runtime::Runtime,
    store: Arc<dyn ObjectStore>,
    root: Path,
    name: String,
    opts: TransferOptions,
    create_only: bool,
    /// The folder, for a folder target.
    folder: Option<std::path::PathBuf>,
    /// A pause before every batch written and every object read: tests set
    /// `COUNTERSIGN_SYNC_TEST_DELAY_MS` to stop a sync part-way at a known point.
    delay: std::time::Duration,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

fn transfer(what: &str, e: object_store::Error) -> SyncError {
    SyncError::Transfer(format!("{what}: {e}"))
}

/// Parse `logs/<replica>/<number>` parts.
fn parse_log_parts(parts: &[&str]) -> Option<(String, u64)> {
    let [logs, replica, number] = parts else {
        return None;
    };
    let replica_ok = replica.len() == 32
        && replica
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let number_ok =
        !number.is_empty() && number.len() <= 20 && number.bytes().all(|b| b.is_ascii_digit());
    if *logs != "logs" || !replica_ok || !number_ok {
        return None;
    }
    let n: u64 = number.parse().ok()?;
    (n > 0).then(|| ((*replica).to_owned(), n))
}

/// The path of a replica's batch.
pub fn log_path(replica: &str, number: u64) -> String {
    format!("logs/{replica}/{number:012}")
}

/// The path of an object.
pub fn object_path(d: &Digest) -> String {
    format!("objects/{}", d.hex())
}

impl Remote {
    /// Open a target. A folder must exist (an unmounted share is not created behind the user's
    /// back); an S3 target takes its credentials from the environment.
    pub fn open(spec: &TargetSpec, opts: TransferOptions) -> Result<Remote, SyncError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| SyncError::Transfer(format!("cannot start the transfer runtime: {e}")))?;
        let name = spec.name();
        let (store, root, folder): (Arc<dyn ObjectStore>, Path, Option<std::path::PathBuf>) =
            match spec {
                TargetSpec::Folder { path } => {
                    if path.exists() && !path.is_dir() {
                        return Err(SyncError::Offline(format!(
                            "{} is a file, not a folder: name the shared folder itself",
                            path.display()
                        )));
                    }
                    if !path.is_dir() {
                        return Err(SyncError::Offline(format!(
                            "the folder {} is not there (not created, not mounted or offline)",
                            path.display()
                        )));
                    }
                    let fs = LocalFileSystem::new_with_prefix(path)
                        .map_err(|e| {
                            SyncError::Offline(format!("the folder {}: {e}", path.display()))
                        })?
                        .with_fsync(true)
                        .with_automatic_cleanup(true);
                    (Arc::new(fs), Path::default(), Some(path.clone()))
                }
                TargetSpec::S3(s) => {
                    let key = std::env::var("AWS_ACCESS_KEY_ID")
                        .ok()
                        .filter(|k| !k.is_empty());
                    let secret = std::env::var("AWS_SECRET_ACCESS_KEY")
                        .ok()
                        .filter(|k| !k.is_empty());
                    let (Some(key), Some(secret)) = (key, secret) else {
                        return Err(SyncError::NoCredentials);
                    };
                    let mut b = AmazonS3Builder::new()
                        .with_bucket_name(&s.bucket)
                        .with_region(&s.region)
                        .with_access_key_id(key)
                        .with_secret_access_key(secret)
                        .with_retry(RetryConfig {
                            backoff: BackoffConfig {
                                init_backoff: std::time::Duration::from_millis(100),
                                max_backoff: std::time::Duration::from_secs(10),
                                base: 2.0,
                            },
                            max_retries: opts.retries,
                            retry_timeout: opts.retry_timeout,
                        })
                        .with_client_options(
                            ClientOptions::new()
                                .with_timeout(opts.timeout)
                                .with_connect_timeout(
                                    opts.timeout.min(std::time::Duration::from_secs(10)),
                                )
                                .with_allow_http(true)
                                .with_pool_max_idle_per_host(opts.concurrency.max(1)),
                        );
                    if let Ok(token) = std::env::var("AWS_SESSION_TOKEN")
                        && !token.is_empty()
                    {
                        b = b.with_token(token);
                    }
                    if let Some(e) = &s.endpoint {
                        b = b.with_endpoint(e).with_virtual_hosted_style_request(false);
                    }
                    let store = b
                        .build()
                        .map_err(|e| SyncError::BadTarget(format!("{}: {e}", spec.name())))?;
                    let root = if s.prefix.is_empty() {
                        Path::default()
                    } else {
                        Path::parse(&s.prefix).map_err(|e| {
                            SyncError::BadTarget(format!("the prefix `{}`: {e}", s.prefix))
                        })?
                    };
                    (Arc::new(store), root, None)
                }
            };
        Ok(Remote {
            rt,
            store,
            root,
            name,
            opts,
            create_only: false,
            folder,
            delay: std::time::Duration::from_millis(
                std::env::var("COUNTERSIGN_SYNC_TEST_DELAY_MS")
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0),
            ),
        })
    }

    /// The target's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the target is a folder.
    pub fn is_folder(&self) -> bool {
        self.folder.is_some()
    }

    /// Use create-only puts (only where the target honours them).
    pub fn use_create_only(&mut self, yes: bool) {
        self.create_only = yes;
    }

    fn path(&self, rel: &str) -> Path {
        rel.split('/')
            .fold(self.root.clone(), |p, part| p.join(part))
    }

    fn rel_parts<'a>(&self, p: &'a Path) -> Option<Vec<std::borrow::Cow<'a, str>>> {
        let parts: Vec<_> = p
            .prefix_match(&self.root)?
            .map(|part| std::borrow::Cow::Owned(part.as_ref().to_owned()))
            .collect();
        Some(parts)
    }

    /// Find out whether the target honours create-only puts: create a probe object twice.
    pub fn probe_create_only(&self, replica: &str, nonce: &str) -> CreateOnly {
        let probe = self.path(&format!("probe/{replica}-{nonce}"));
        let create = PutOptions {
            mode: PutMode::Create,
            ..PutOptions::default()
        };
        let store = self.store.clone();
        self.rt.block_on(async move {
            let first = store
                .put_opts(&probe, PutPayload::from_static(b"1"), create.clone())
                .await;
            let verdict = match first {
                Err(e) => CreateOnly::Unsupported(e.to_string()),
                Ok(_) => match store
                    .put_opts(&probe, PutPayload::from_static(b"2"), create)
                    .await
                {
                    Err(object_store::Error::AlreadyExists { .. }) => CreateOnly::Honoured,
                    Ok(_) => CreateOnly::Ignored,
                    Err(e) => CreateOnly::Unsupported(e.to_string()),
                },
            };
            let _ = store.delete(&probe).await;
            verdict
        })
    }

    /// The workspace the target holds, if it holds one.
    pub fn read_marker(&self) -> Result<Option<Marker>, SyncError> {
        let path = self.path("workspace.json");
        let store = self.store.clone();
        let got = self.rt.block_on(async move {
            match store.get(&path).await {
                Ok(r) => r.bytes().await.map(Some),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        });
        match got {
            Ok(None) => Ok(None),
            Ok(Some(bytes)) => serde_json::from_slice::<Marker>(&bytes)
                .ok()
                .filter(|m| m.format == MARKER_FORMAT)
                .map(Some)
                .ok_or_else(|| {
                    SyncError::Foreign(format!(
                        "{} has a workspace.json that is not Countersign's",
                        self.name
                    ))
                }),
            Err(e) => Err(self.unreachable("read workspace.json", e)),
        }
    }

    fn unreachable(&self, what: &str, e: object_store::Error) -> SyncError {
        let text = e.to_string();
        if self.folder.is_some() && matches!(e, object_store::Error::NotFound { .. }) {
            return SyncError::Offline(format!("{}: {what}: {text}", self.name));
        }
        let lower = text.to_ascii_lowercase();
        if lower.contains("connect")
            || lower.contains("dns")
            || lower.contains("timed out")
            || lower.contains("timeout")
        {
            SyncError::Offline(format!("{}: {what}: {text}", self.name))
        } else {
            transfer(&format!("{}: {what}", self.name), e)
        }
    }

    /// Write the marker (once: the first replica to push does), naming the workspace and the
    /// hash of its genesis event.
    pub fn write_marker(&self, workspace: &str, genesis: Option<&str>) -> Result<(), SyncError> {
        let bytes = serde_json::to_vec_pretty(&Marker {
            format: MARKER_FORMAT.to_owned(),
            workspace: workspace.to_owned(),
            genesis: genesis.map(str::to_owned),
        })
        .unwrap_or_default();
        match self.put_log_like("workspace.json", Bytes::from(bytes))? {
            PutLog::Written => Ok(()),
            PutLog::Occupied(found) => {
                let m: Option<Marker> = serde_json::from_slice(&found).ok();
                match m {
                    Some(m) if m.workspace == workspace => self.check_genesis(&m, genesis),
                    Some(m) => Err(SyncError::Foreign(format!(
                        "{} holds workspace {}, not this one ({workspace}); choose another folder or prefix",
                        self.name, m.workspace
                    ))),
                    None => Err(SyncError::Foreign(format!(
                        "{} has a workspace.json that is not Countersign's",
                        self.name
                    ))),
                }
            }
        }
    }

    /// A marker of this workspace must name the genesis this replica holds, when both are known:
    /// a different one is another workspace's history under the same id.
    pub fn check_genesis(&self, marker: &Marker, ours: Option<&str>) -> Result<(), SyncError> {
        match (&marker.genesis, ours) {
            (Some(theirs), Some(ours)) if theirs != ours => Err(SyncError::Foreign(format!(
                "{} holds workspace {} with genesis {theirs}, but this replica's genesis is {ours}: its workspace.json was rewritten, or is another workspace's; choose another folder or prefix",
                self.name, marker.workspace
            ))),
            _ => Ok(()),
        }
    }

    /// Every batch in every replica's log (anything else under `logs/` is ignored).
    pub fn list_logs(
        &self,
        progress: &(dyn Fn(&Progress) + Sync),
    ) -> Result<Vec<LogObject>, SyncError> {
        let prefix = self.path("logs");
        let metas = self.list(&prefix, "list logs/")?;
        let mut out = Vec::new();
        for m in metas {
            let Some(parts) = self.rel_parts(&m.location) else {
                continue;
            };
            let parts: Vec<&str> = parts.iter().map(|p| p.as_ref()).collect();
            if let Some((replica, number)) = parse_log_parts(&parts) {
                out.push(LogObject {
                    path: parts.join("/"),
                    replica,
                    number,
                    size: m.size,
                    tag: m
                        .e_tag
                        .clone()
                        .unwrap_or_else(|| m.last_modified.to_rfc3339()),
                });
            }
        }
        out.sort_by(|a, b| (&a.replica, a.number).cmp(&(&b.replica, b.number)));
        progress(&Progress {
            phase: Phase::Listing,
            done: out.len() as u64,
            total: out.len() as u64,
            bytes: 0,
            total_bytes: 0,
        });
        Ok(out)
    }

    /// Every object at the target: its digest and size.
    pub fn list_objects(&self) -> Result<HashMap<Digest, u64>, SyncError> {
        let prefix = self.path("objects");
        let metas = self.list(&prefix, "list objects/")?;
        let mut out = HashMap::with_capacity(metas.len());
        for m in metas {
            let Some(parts) = self.rel_parts(&m.location) else {
                continue;
            };
            if let [objects, hex] = parts.as_slice()
                && objects == "objects"
                && let Ok(d) = Digest::parse(&format!("sha256:{hex}"))
            {
                out.insert(d, m.size);
            }
        }
        Ok(out)
    }

    fn list(&self, prefix: &Path, what: &str) -> Result<Vec<object_store::ObjectMeta>, SyncError> {
        let store = self.store.clone();
        let prefix = prefix.clone();
        let folder = self.folder.is_some();
        let got = self.rt.block_on(async move {
            let mut out = Vec::new();
            let mut stream = store.list(Some(&prefix));
            while let Some(item) = stream.next().await {
                match item {
                    Ok(m) => out.push(m),
                    // A folder may hold files whose names are not valid paths (a foreign file,
                    // a sync tool's temporary file): skip them, never fail on them.
                    Err(object_store::Error::InvalidPath { .. }) if folder => {}
                    Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(out)
        });
        got.map_err(|e| self.unreachable(what, e))
    }

    /// Fetch several paths, a bounded number at a time; results in the order given.
    pub fn get_many(
        &self,
        paths: &[String],
        progress: &(dyn Fn(&Progress) + Sync),
        total_bytes: u64,
    ) -> Vec<Result<Option<Bytes>, String>> {
        self.fetch(paths, progress, total_bytes, false)
            .into_iter()
            .map(|r| r.map(|o| o.map(|(b, _)| b)))
            .collect()
    }

    /// Fetch paths; with `hash`, each object's SHA-256 is computed as it arrives, off the
    /// runtime's thread, so checking runs alongside the transfers.
    #[allow(clippy::type_complexity)]
    fn fetch(
        &self,
        paths: &[String],
        progress: &(dyn Fn(&Progress) + Sync),
        total_bytes: u64,
        hash: bool,
    ) -> Vec<Result<Option<(Bytes, Option<Digest>)>, String>> {
        let done = AtomicU64::new(0);
        let bytes_done = AtomicU64::new(0);
        let total = paths.len() as u64;
        let store = self.store.clone();
        let located: Vec<Path> = paths.iter().map(|p| self.path(p)).collect();
        let concurrency = self.opts.concurrency.max(1);
        self.rt.block_on(async {
            futures::stream::iter(located.into_iter().map(|p| {
                let store = store.clone();
                let (done, bytes_done) = (&done, &bytes_done);
                let delay = self.delay;
                async move {
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    let r = match store.get(&p).await {
                        Ok(r) => r.bytes().await.map(Some),
                        Err(object_store::Error::NotFound { .. }) => Ok(None),
                        Err(e) => Err(e),
                    };
                    let r = match r {
                        Ok(Some(b)) if hash => {
                            let copy = b.clone();
                            let d = tokio::task::spawn_blocking(move || Digest::of(&copy))
                                .await
                                .ok();
                            Ok(Some((b, d)))
                        }
                        Ok(b) => Ok(b.map(|b| (b, None))),
                        Err(e) => Err(e),
                    };
                    let n = r
                        .as_ref()
                        .ok()
                        .and_then(|b| b.as_ref())
                        .map_or(0, |(b, _)| b.len() as u64);
                    let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                    let b = bytes_done.fetch_add(n, Ordering::Relaxed) + n;
                    progress(&Progress {
                        phase: Phase::Downloading,
                        done: d,
                        total,
                        bytes: b,
                        total_bytes,
                    });
                    r.map_err(|e| e.to_string())
                }
            }))
            .buffered(concurrency)
            .collect::<Vec<_>>()
            .await
        })
    }

    /// Fetch objects and check each against its name.
    pub fn get_objects(
        &self,
        wanted: &[ObjectRef],
        progress: &(dyn Fn(&Progress) + Sync),
    ) -> Vec<(Digest, Result<Bytes, ObjectProblem>)> {
        let paths: Vec<String> = wanted.iter().map(|o| object_path(&o.digest)).collect();
        let total_bytes = wanted.iter().map(|o| o.size).sum();
        let got = self.fetch(&paths, progress, total_bytes, true);
        wanted
            .iter()
            .zip(got)
            .map(|(o, r)| {
                let r = match r {
                    Ok(None) => Err(ObjectProblem::Missing),
                    Err(e) => Err(ObjectProblem::Failed(e)),
                    Ok(Some((bytes, found))) => {
                        let found = found.unwrap_or_else(|| Digest::of(&bytes));
                        if found == o.digest {
                            Ok(bytes)
                        } else {
                            Err(ObjectProblem::Damaged {
                                size: bytes.len() as u64,
                                found,
                            })
                        }
                    }
                };
                (o.digest.clone(), r)
            })
            .collect()
    }

    /// Upload objects, a bounded number at a time. `replace` objects are overwritten (a damaged
    /// copy found at the target is repaired from the good bytes held here); the others are
    /// created, and one that already exists is left as it is (its bytes are fixed by its name).
    pub fn put_objects(
        &self,
        objects: Vec<(Digest, Bytes, bool)>,
        progress: &(dyn Fn(&Progress) + Sync),
    ) -> Result<(), SyncError> {
        let total = objects.len() as u64;
        let total_bytes: u64 = objects.iter().map(|(_, b, _)| b.len() as u64).sum();
        let done = AtomicU64::new(0);
        let bytes_done = AtomicU64::new(0);
        let store = self.store.clone();
        let create_only = self.create_only;
        let concurrency = self.opts.concurrency.max(1);
        let jobs: Vec<(Path, Bytes, bool)> = objects
            .into_iter()
            .map(|(d, b, replace)| (self.path(&object_path(&d)), b, replace))
            .collect();
        let results: Vec<Result<(), object_store::Error>> = self.rt.block_on(async {
            futures::stream::iter(jobs.into_iter().map(|(p, bytes, replace)| {
                let store = store.clone();
                let (done, bytes_done) = (&done, &bytes_done);
                async move {
                    let n = bytes.len() as u64;
                    let mode = if create_only && !replace {
                        PutMode::Create
                    } else {
                        PutMode::Overwrite
                    };
                    let r = match store
                        .put_opts(
                            &p,
                            PutPayload::from_bytes(bytes),
                            PutOptions {
                                mode,
                                ..PutOptions::default()
                            },
                        )
                        .await
                    {
                        Ok(_) | Err(object_store::Error::AlreadyExists { .. }) => Ok(()),
                        Err(e) => Err(e),
                    };
                    let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                    let b = bytes_done.fetch_add(n, Ordering::Relaxed) + n;
                    progress(&Progress {
                        phase: Phase::Uploading,
                        done: d,
                        total,
                        bytes: b,
                        total_bytes,
                    });
                    r
                }
            }))
            .buffer_unordered(concurrency)
            .collect::<Vec<_>>()
            .await
        });
        for r in results {
            r.map_err(|e| self.unreachable("upload an object", e))?;
        }
        Ok(())
    }

    /// Append a batch to this replica's log.
    pub fn put_log(&self, replica: &str, number: u64, bytes: Bytes) -> Result<PutLog, SyncError> {
        if !self.delay.is_zero() {
            std::thread::sleep(self.delay);
        }
        self.put_log_like(&log_path(replica, number), bytes)
    }

    /// Write an object that must not replace another: create-only where honoured, else only
    /// after finding nothing there.
    fn put_log_like(&self, rel: &str, bytes: Bytes) -> Result<PutLog, SyncError> {
        // In a folder, a directory at the name (made by hand or by a sync tool) cannot be
        // written: it occupies the name like any object that is not ours.
        if let Some(dir) = &self.folder
            && dir.join(rel).is_dir()
        {
            return Ok(PutLog::Occupied(Bytes::new()));
        }
        let path = self.path(rel);
        let store = self.store.clone();
        let create_only = self.create_only;
        let got = self.rt.block_on(async move {
            let existing = |store: Arc<dyn ObjectStore>, path: Path| async move {
                store.get(&path).await?.bytes().await
            };
            if create_only {
                match store
                    .put_opts(
                        &path,
                        PutPayload::from_bytes(bytes),
                        PutOptions {
                            mode: PutMode::Create,
                            ..PutOptions::default()
                        },
                    )
                    .await
                {
                    Ok(_) => Ok(PutLog::Written),
                    Err(object_store::Error::AlreadyExists { .. }) => {
                        Ok(PutLog::Occupied(existing(store, path).await?))
                    }
                    Err(e) => Err(e),
                }
            } else {
                match store.head(&path).await {
                    Ok(_) => Ok(PutLog::Occupied(existing(store, path).await?)),
                    Err(object_store::Error::NotFound { .. }) => {
                        store.put(&path, PutPayload::from_bytes(bytes)).await?;
                        Ok(PutLog::Written)
                    }
                    Err(e) => Err(e),
                }
            }
        });
        got.map_err(|e| self.unreachable(&format!("write {rel}"), e))
    }

    /// Write any path as it is, replacing what is there (tests damage objects with it, and the
    /// benchmark fills a target).
    pub fn put_raw(&self, rel: &str, bytes: Bytes) -> Result<(), SyncError> {
        let path = self.path(rel);
        let store = self.store.clone();
        self.rt
            .block_on(async move { store.put(&path, PutPayload::from_bytes(bytes)).await })
            .map(|_| ())
            .map_err(|e| self.unreachable(&format!("write {rel}"), e))
    }

    /// Read any path (`None` when absent).
    pub fn get_raw(&self, rel: &str) -> Result<Option<Bytes>, SyncError> {
        let mut got = self.get_many(&[rel.to_owned()], &|_| {}, 0);
        match got.pop() {
            Some(Ok(b)) => Ok(b),
            Some(Err(e)) => Err(SyncError::Transfer(format!("read {rel}: {e}"))),
            None => Ok(None),
        }
    }

    /// Remove a path (tests and the benchmark clean up with it).
    pub fn delete(&self, rel: &str) -> Result<(), SyncError> {
        let path = self.path(rel);
        let store = self.store.clone();
        self.rt
            .block_on(async move { store.delete(&path).await })
            .map_err(|e| self.unreachable(&format!("delete {rel}"), e))
    }

    /// Every path under the layout root (tests and the benchmark).
    pub fn list_all(&self) -> Result<Vec<(String, u64)>, SyncError> {
        let store = self.store.clone();
        let root = self.root.clone();
        let metas: Vec<object_store::ObjectMeta> = self
            .rt
            .block_on(async move {
                let prefix = if root.as_ref().is_empty() {
                    None
                } else {
                    Some(&root)
                };
                store.list(prefix).try_collect().await
            })
            .map_err(|e| self.unreachable("list", e))?;
        let mut out: Vec<(String, u64)> = metas
            .iter()
            .filter_map(|m| {
                let parts = self.rel_parts(&m.location)?;
                Some((parts.join("/"), m.size))
            })
            .collect();
        out.sort();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_layout_names_are_logs() {
        let r = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            parse_log_parts(&["logs", r, "000000000007"]),
            Some((r.to_owned(), 7))
        );
        for bad in [
            vec!["logs", r, "0"],
            vec!["logs", r, "7.tmp"],
            vec!["logs", r, ".7"],
            vec!["logs", "ABCDEF0123456789ABCDEF0123456789", "1"],
            vec!["logs", r],
            vec!["logs", r, "1", "x"],
            vec!["other", r, "1"],
            vec!["logs", r, "000000000001 (conflicted copy)"],
        ] {
            assert_eq!(parse_log_parts(&bad), None, "{bad:?}");
        }
        assert_eq!(log_path(r, 12), format!("logs/{r}/000000000012"));
    }
}

#[cfg(test)]
mod folder_tests {
    use super::*;

    fn open(dir: &std::path::Path) -> Remote {
        Remote::open(&TargetSpec::folder(dir), TransferOptions::default()).unwrap()
    }

    #[test]
    fn a_folder_round_trips_objects_and_logs_and_names_damage() {
        let tmp = tempfile::tempdir().unwrap();
        let mut r = open(tmp.path());
        assert_eq!(r.probe_create_only("r", "1"), CreateOnly::Honoured);
        r.use_create_only(true);
        let a = Bytes::from_static(b"alpha");
        let d = Digest::of(&a);
        r.put_objects(vec![(d.clone(), a.clone(), false)], &|_| {})
            .unwrap();
        // A second create of the same object is fine: its bytes are fixed by its name.
        r.put_objects(vec![(d.clone(), a.clone(), false)], &|_| {})
            .unwrap();
        assert_eq!(r.list_objects().unwrap().get(&d), Some(&5));
        let got = r.get_objects(
            &[ObjectRef {
                digest: d.clone(),
                size: 5,
            }],
            &|_| {},
        );
        assert_eq!(got[0].1.as_ref().unwrap(), &a);

        // Truncated at the target: named as damaged; repaired by a replace.
        r.put_raw(&object_path(&d), Bytes::from_static(b"al"))
            .unwrap();
        let got = r.get_objects(
            &[ObjectRef {
                digest: d.clone(),
                size: 5,
            }],
            &|_| {},
        );
        assert!(matches!(
            got[0].1,
            Err(ObjectProblem::Damaged { size: 2, .. })
        ));
        r.put_objects(vec![(d.clone(), a.clone(), true)], &|_| {})
            .unwrap();
        assert!(
            r.get_objects(
                &[ObjectRef {
                    digest: d.clone(),
                    size: 5
                }],
                &|_| {}
            )[0]
            .1
            .is_ok()
        );
        let missing = Digest::of(b"nothing");
        let got = r.get_objects(
            &[ObjectRef {
                digest: missing,
                size: 1,
            }],
            &|_| {},
        );
        assert_eq!(got[0].1, Err(ObjectProblem::Missing));

        // A log batch is never replaced: the second put finds the first.
        let replica = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            r.put_log(replica, 1, Bytes::from_static(b"one")).unwrap(),
            PutLog::Written
        );
        assert_eq!(
            r.put_log(replica, 1, Bytes::from_static(b"two")).unwrap(),
            PutLog::Occupied(Bytes::from_static(b"one"))
        );
        let logs = r.list_logs(&|_| {}).unwrap();
        assert_eq!(logs.len(), 1);
        assert_eq!((logs[0].number, logs[0].size), (1, 3));
        // Without create-only puts, the same holds (found by looking first).
        r.use_create_only(false);
        assert!(matches!(
            r.put_log(replica, 1, Bytes::from_static(b"x")).unwrap(),
            PutLog::Occupied(_)
        ));
        // A directory at a batch's name, empty or not, occupies it (it failed the push as "the
        // target is offline"), both ways of writing.
        for (n, inside) in [(2, ""), (3, "/x")] {
            std::fs::create_dir_all(tmp.path().join(format!("logs/{replica}/{n:012}{inside}")))
                .unwrap();
            for create_only in [false, true] {
                r.use_create_only(create_only);
                assert_eq!(
                    r.put_log(replica, n, Bytes::from_static(b"y")).unwrap(),
                    PutLog::Occupied(Bytes::new())
                );
            }
        }

        // The marker: written once, then only read back.
        assert_eq!(r.read_marker().unwrap(), None);
        r.write_marker("ws1", Some("g1")).unwrap();
        r.write_marker("ws1", Some("g1")).unwrap();
        r.write_marker("ws1", None).unwrap();
        assert!(matches!(
            r.write_marker("ws2", Some("g1")),
            Err(SyncError::Foreign(_))
        ));
        // The same workspace id with another genesis is another workspace's history.
        assert!(matches!(
            r.write_marker("ws1", Some("g2")),
            Err(SyncError::Foreign(_))
        ));
        let m = r.read_marker().unwrap().unwrap();
        assert_eq!(
            (m.workspace.as_str(), m.genesis.as_deref()),
            ("ws1", Some("g1"))
        );
        // The probe left nothing behind.
        assert!(
            r.list_all()
                .unwrap()
                .iter()
                .all(|(p, _)| !p.starts_with("probe"))
        );
    }

    #[test]
    fn a_missing_folder_is_offline() {
        let tmp = tempfile::tempdir().unwrap();
        let err = Remote::open(
            &TargetSpec::folder(&tmp.path().join("gone")),
            TransferOptions::default(),
        )
        .unwrap_err();
        assert!(matches!(err, SyncError::Offline(_)), "{err}");
    }
}
