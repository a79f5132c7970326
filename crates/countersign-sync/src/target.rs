//! Where a workspace is kept: a shared folder or an S3-compatible bucket, and how to reach it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::SyncError;

/// A sync target as the user names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TargetSpec {
    /// A folder shared by other means (SMB, Dropbox, OneDrive, Syncthing, a USB disk).
    Folder {
        /// The folder (absolute once [`TargetSpec::canonical`]).
        path: PathBuf,
    },
    /// An S3-compatible bucket.
    S3(S3Spec),
}

/// An S3-compatible bucket and prefix. Credentials are never part of it: they come from the
/// environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) when the
/// target is opened, so nothing secret is ever stored in a workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct S3Spec {
    /// Bucket name.
    pub bucket: String,
    /// Key prefix inside the bucket (no leading or trailing `/`; may be empty).
    pub prefix: String,
    /// Endpoint URL (`http://127.0.0.1:8333`, `https://s3.example.com`); `None` for AWS itself.
    pub endpoint: Option<String>,
    /// Region (`us-east-1` when not given).
    pub region: String,
}

impl S3Spec {
    /// Parse `s3://BUCKET/PREFIX`.
    pub fn parse(
        url: &str,
        endpoint: Option<&str>,
        region: Option<&str>,
    ) -> Result<S3Spec, SyncError> {
        let bad = |why: &str| {
            SyncError::BadTarget(format!(
                "`{url}` is not an S3 target ({why}); write it as s3://BUCKET/PREFIX"
            ))
        };
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| bad("it does not start with s3://"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !bucket_ok {
            return Err(bad("the bucket name is not 3–63 of a-z, 0-9, '-' and '.'"));
        }
        let prefix = prefix.trim_matches('/').to_owned();
        if prefix.split('/').any(|p| p == "." || p == "..")
            || prefix.contains("//")
            || prefix.chars().any(char::is_control)
        {
            return Err(bad("the prefix has an empty, `.` or `..` part"));
        }
        let endpoint = match endpoint {
            Some(e) => {
                let e = e.trim_end_matches('/');
                if !(e.starts_with("http://") || e.starts_with("https://")) {
                    return Err(SyncError::BadTarget(format!(
                        "the endpoint `{e}` is not an http:// or https:// URL"
                    )));
                }
                Some(e.to_owned())
            }
            None => std::env::var("AWS_ENDPOINT_URL")
                .ok()
                .filter(|e| !e.is_empty()),
        };
        let region = region
            .map(str::to_owned)
            .or_else(|| std::env::var("AWS_REGION").ok())
            .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| "us-east-1".to_owned());
        Ok(S3Spec {
            bucket: bucket.to_owned(),
            prefix,
            endpoint,
            region,
        })
    }

    /// `s3://bucket/prefix`.
    pub fn url(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

impl TargetSpec {
    /// A folder target; the path is made absolute (the folder itself must exist to be used).
    pub fn folder(path: &Path) -> TargetSpec {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        TargetSpec::Folder { path }
    }

    /// The target's name: the same target always gets the same name (`folder:/abs/path`,
    /// `s3://bucket/prefix@endpoint`).
    pub fn name(&self) -> String {
        match self {
            TargetSpec::Folder { path } => {
                let p = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
                format!("folder:{}", p.display())
            }
            TargetSpec::S3(s) => match &s.endpoint {
                Some(e) => format!("{}@{e}", s.url()),
                None => s.url(),
            },
        }
    }

    /// Whether this target is a folder.
    pub fn is_folder(&self) -> bool {
        matches!(self, TargetSpec::Folder { .. })
    }
}

/// How hard to try: transfers in flight at once, retries and time limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferOptions {
    /// Transfers in flight at once.
    pub concurrency: usize,
    /// Retries of a failed request (S3), with exponential backoff.
    pub retries: usize,
    /// Time limit of one request (S3).
    pub timeout: Duration,
    /// Time after which a request is no longer retried (S3).
    pub retry_timeout: Duration,
}

impl Default for TransferOptions {
    fn default() -> Self {
        TransferOptions {
            concurrency: 16,
            retries: 10,
            timeout: Duration::from_secs(60),
            retry_timeout: Duration::from_secs(180),
        }
    }
}

impl TransferOptions {
    /// The defaults, changed by `COUNTERSIGN_SYNC_CONCURRENCY`, `COUNTERSIGN_SYNC_RETRIES`,
    /// `COUNTERSIGN_SYNC_TIMEOUT_SECS` and `COUNTERSIGN_SYNC_RETRY_TIMEOUT_SECS` when set (tests
    /// lower the retries and time limits, so a misconfigured server fails in seconds).
    pub fn from_env() -> TransferOptions {
        let num = |k: &str| {
            std::env::var(k)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        let d = TransferOptions::default();
        TransferOptions {
            concurrency: num("COUNTERSIGN_SYNC_CONCURRENCY")
                .map_or(d.concurrency, |n| n.clamp(1, 256) as usize),
            retries: num("COUNTERSIGN_SYNC_RETRIES").map_or(d.retries, |n| n.min(100) as usize),
            timeout: num("COUNTERSIGN_SYNC_TIMEOUT_SECS")
                .map_or(d.timeout, |n| Duration::from_secs(n.max(1))),
            retry_timeout: num("COUNTERSIGN_SYNC_RETRY_TIMEOUT_SECS")
                .map_or(d.retry_timeout, |n| Duration::from_secs(n.max(1))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls_parse() {
        let s = S3Spec::parse(
            "s3://team-packets/meridian/",
            Some("http://127.0.0.1:8333/"),
            Some("eu-1"),
        )
        .unwrap();
        assert_eq!(s.bucket, "team-packets");
        assert_eq!(s.prefix, "meridian");
        assert_eq!(s.endpoint.as_deref(), Some("http://127.0.0.1:8333"));
        assert_eq!(s.url(), "s3://team-packets/meridian");
        assert_eq!(
            TargetSpec::S3(s).name(),
            "s3://team-packets/meridian@http://127.0.0.1:8333"
        );
        let s = S3Spec::parse("s3://bucket", Some("https://x"), None).unwrap();
        assert_eq!(s.prefix, "");
        for bad in ["http://b/p", "s3://B/p", "s3://ab/p", "s3://bucket/a/../b"] {
            assert!(S3Spec::parse(bad, Some("http://x"), None).is_err(), "{bad}");
        }
        assert!(S3Spec::parse("s3://bucket/p", Some("ftp://x"), None).is_err());
    }
}
