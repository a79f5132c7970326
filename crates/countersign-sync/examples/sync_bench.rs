//! Pull 10,000 objects from a target, the way `sync` pulls them (list `objects/`, fetch a bounded
//! number at a time, check every object against its SHA-256 name), into a local folder; and the
//! same objects with the peer tool: `cp -r` for a folder, `rclone copy` for an S3 server.
//!
//! ```text
//! sync_bench folder [N]     # a shared folder in a temporary directory
//! sync_bench s3 [N]         # COUNTERSIGN_TEST_S3_ENDPOINT / _BUCKET and AWS_* set (scripts/s3-test)
//! ```
//!
//! Prints the median of 3 runs of each and the ratio of throughputs (ours / peer).
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use bytes::Bytes;
use countersign_core::Digest;
use countersign_sync::{ObjectRef, Remote, S3Spec, TargetSpec, TransferOptions};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

const RUNS: usize = 3;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Our pull: list, fetch and check, write each object into `dest`.
fn ours(spec: &TargetSpec, dest: &Path, opts: TransferOptions) -> (usize, u64) {
    let remote = Remote::open(spec, opts).unwrap();
    let listed = remote.list_objects().unwrap();
    let wanted: Vec<ObjectRef> = listed
        .iter()
        .map(|(d, size)| ObjectRef {
            digest: d.clone(),
            size: *size,
        })
        .collect();
    let got = remote.get_objects(&wanted, &|_| {});
    // Land them: two writers, as the machine has two cores.
    let bytes: u64 = std::thread::scope(|scope| {
        let half = got.len().div_ceil(2).max(1);
        let handles: Vec<_> = got
            .chunks(half)
            .map(|chunk| {
                scope.spawn(move || {
                    let mut n = 0;
                    for (d, r) in chunk {
                        let b = r.as_ref().unwrap_or_else(|p| panic!("{d}: {p}"));
                        n += b.len() as u64;
                        std::fs::write(dest.join(d.hex()), b).unwrap();
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    (got.len(), bytes)
}

fn fresh_dir(base: &Path, name: &str) -> std::path::PathBuf {
    let d = base.join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "folder".into());
    let n: usize = args.next().map_or(10_000, |a| a.parse().unwrap());
    let tmp = tempfile::tempdir().unwrap();
    let (spec, peer_name): (TargetSpec, &str) = match mode.as_str() {
        "folder" => {
            let shared = fresh_dir(tmp.path(), "shared");
            (TargetSpec::folder(&shared), "cp -r")
        }
        "s3" => {
            let endpoint = std::env::var("COUNTERSIGN_TEST_S3_ENDPOINT")
                .expect("COUNTERSIGN_TEST_S3_ENDPOINT (run under scripts/s3-test)");
            let bucket = std::env::var("COUNTERSIGN_TEST_S3_BUCKET").unwrap();
            let prefix = format!("bench-{}", std::process::id());
            (
                TargetSpec::S3(
                    S3Spec::parse(&format!("s3://{bucket}/{prefix}"), Some(&endpoint), None)
                        .unwrap(),
                ),
                "rclone copy",
            )
        }
        other => panic!("mode is folder or s3, not {other}"),
    };
    let mut opts = TransferOptions::from_env();
    if std::env::var("COUNTERSIGN_SYNC_CONCURRENCY").is_err() {
        opts.concurrency = 16;
    }

    // The objects: 10,000 of 1–8 KiB (about 45 MiB), as revision contents and evidence are.
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let objects: Vec<(Digest, Bytes, bool)> = (0..n)
        .map(|_| {
            let mut b = vec![0u8; 1024 + (rng.next_u32() as usize % 7168)];
            rng.fill_bytes(&mut b);
            (Digest::of(&b), Bytes::from(b), false)
        })
        .collect();
    let total: u64 = objects.iter().map(|(_, b, _)| b.len() as u64).sum();
    eprintln!(
        "filling the {mode} target with {n} objects ({:.1} MiB)",
        total as f64 / 1048576.0
    );
    Remote::open(&spec, opts)
        .unwrap()
        .put_objects(objects, &|_| {})
        .unwrap();

    let mut ours_t = Vec::new();
    let mut peer_t = Vec::new();
    for run in 0..RUNS {
        let dest = fresh_dir(tmp.path(), &format!("ours-{run}"));
        let t = Instant::now();
        let (count, bytes) = ours(&spec, &dest, opts);
        ours_t.push(t.elapsed());
        assert_eq!((count, bytes), (n, total));

        let dest = tmp.path().join(format!("peer-{run}"));
        let _ = std::fs::remove_dir_all(&dest);
        let t = Instant::now();
        let status = match &spec {
            TargetSpec::Folder { path } => Command::new("cp")
                .arg("-r")
                .arg(path.join("objects"))
                .arg(&dest)
                .status()
                .unwrap(),
            TargetSpec::S3(s) => Command::new("rclone")
                .args(["copy", "--transfers", &opts.concurrency.to_string()])
                .args(["--checkers", &opts.concurrency.to_string(), "-q"])
                .arg(format!("cs:{}/{}/objects", s.bucket, s.prefix))
                .arg(&dest)
                // A CA bundle set for other tools breaks rclone's plain-HTTP transport.
                .env_remove("AWS_CA_BUNDLE")
                .env("RCLONE_CONFIG_CS_TYPE", "s3")
                .env("RCLONE_CONFIG_CS_PROVIDER", "Other")
                .env("RCLONE_CONFIG_CS_ENDPOINT", s.endpoint.as_deref().unwrap())
                .env(
                    "RCLONE_CONFIG_CS_ACCESS_KEY_ID",
                    std::env::var("AWS_ACCESS_KEY_ID").unwrap(),
                )
                .env(
                    "RCLONE_CONFIG_CS_SECRET_ACCESS_KEY",
                    std::env::var("AWS_SECRET_ACCESS_KEY").unwrap(),
                )
                .env("RCLONE_CONFIG_CS_REGION", &s.region)
                .status()
                .unwrap(),
        };
        peer_t.push(t.elapsed());
        assert!(status.success(), "{peer_name} failed");
        assert_eq!(std::fs::read_dir(&dest).unwrap().count(), n);
    }
    let (o, p) = (median(ours_t), median(peer_t));
    let mib = total as f64 / 1048576.0;
    println!(
        "pull {n} objects ({mib:.1} MiB) from {mode}: countersign {:.3} s ({:.0} objects/s, {:.1} MiB/s); {peer_name} {:.3} s ({:.0} objects/s); throughput ratio {:.2}x",
        o.as_secs_f64(),
        n as f64 / o.as_secs_f64(),
        mib / o.as_secs_f64(),
        p.as_secs_f64(),
        n as f64 / p.as_secs_f64(),
        p.as_secs_f64() / o.as_secs_f64()
    );
}
