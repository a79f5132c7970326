//! Helpers for the signed-release tests: evidence, the trust policy, manifests, approvals,
//! releases and offline verification, all through the real binary.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::*;

/// The lane most tests use.
pub const LANE: &str = "exec-review";
/// Its audience.
pub const AUDIENCE: &str = "Executive review before disclosure";

impl Ws {
    /// `evidence add`; returns the evidence id.
    pub fn evidence(&self, packet: &str, source: &str, title: &str, bytes: &[u8]) -> String {
        let f = self.file(bytes);
        let id = self.created([
            "evidence".as_ref(),
            "add".as_ref(),
            packet.as_ref(),
            "--source".as_ref(),
            source.as_ref(),
            "--title".as_ref(),
            title.as_ref(),
            "--file".as_ref(),
            f.as_os_str(),
        ]);
        assert_hex(&id, 32);
        id
    }

    /// `policy lane add` (owner, roles, threshold; `--carry-over-trivial` when `carry`); returns
    /// the policy as `--json` prints it.
    pub fn lane(
        &self,
        lane: &str,
        audience: &str,
        owner: &str,
        roles: &[&str],
        threshold: u32,
        carry: bool,
    ) -> Value {
        self.json(lane_args(lane, audience, owner, roles, threshold, carry))
    }

    /// `manifest draft PACKET --lane LANE`; returns the manifest digest.
    pub fn draft(&self, packet: &str, lane: &str) -> String {
        let m = self.created(["manifest", "draft", packet, "--lane", lane]);
        assert_digest(&m);
        m
    }

    /// `manifest approve MANIFEST --as WHO` (meaning approve); returns what `--json` prints.
    pub fn approve(&self, manifest: &str, who: &str) -> Value {
        self.json(["manifest", "approve", manifest, "--as", who])
    }

    /// `manifest status --json`.
    pub fn status(&self, packet: &str, lane: &str) -> Value {
        self.json(["manifest", "status", packet, "--lane", lane])
    }

    /// `manifest show --json`.
    pub fn manifest(&self, manifest: &str) -> Value {
        self.json(["manifest", "show", manifest])
    }

    /// `release`; the path it prints must be a file in `<ws>/lanes/<lane>/`.
    pub fn release(&self, packet: &str, lane: &str) -> PathBuf {
        let out = self.ok(["release", packet, "--lane", lane]);
        let path = PathBuf::from(out.strip_suffix('\n').expect("a newline after the path"));
        assert_eq!(
            path.parent(),
            Some(self.dir().join("lanes").join(lane).as_path()),
            "the bundle is not in the lane's outbox: {}",
            path.display()
        );
        assert!(path.is_file(), "release printed {path:?}, which is no file");
        path
    }

    /// `policy export` into the files folder; returns the file.
    pub fn export_policy(&self, name: &str) -> PathBuf {
        let path = self.root().join("files").join(name);
        let out = self.ok(["policy".as_ref(), "export".as_ref(), path.as_os_str()]);
        assert_eq!(out, format!("{}\n", path.display()));
        path
    }
}

/// The arguments of `policy lane add`.
pub fn lane_args(
    lane: &str,
    audience: &str,
    owner: &str,
    roles: &[&str],
    threshold: u32,
    carry: bool,
) -> Vec<String> {
    let mut args: Vec<String> = ["policy", "lane", "add", lane, "--audience", audience]
        .into_iter()
        .map(str::to_owned)
        .collect();
    args.extend(["--owner".to_owned(), owner.to_owned()]);
    for r in roles {
        args.extend(["--require-role".to_owned(), (*r).to_owned()]);
    }
    args.extend(["--threshold".to_owned(), threshold.to_string()]);
    if carry {
        args.push("--carry-over-trivial".to_owned());
    }
    args
}

/// Run `countersign` in `dir` with no workspace at all (neither `--workspace` nor the
/// environment variable): the way an intake lane runs `verify`.
pub fn run_in<I, S>(dir: &Path, args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    output(command().current_dir(dir).args(args))
}

/// `verify` run in `dir` (no workspace); `extra` follows `BUNDLE --lane LANE --policy POLICY`.
pub fn verify_in(dir: &Path, bundle: &Path, lane: &str, policy: &Path, extra: &[&OsStr]) -> Run {
    let mut args: Vec<&OsStr> = vec![
        "verify".as_ref(),
        bundle.as_os_str(),
        "--lane".as_ref(),
        lane.as_ref(),
        "--policy".as_ref(),
        policy.as_os_str(),
    ];
    args.extend_from_slice(extra);
    run_in(dir, args)
}

/// `verify` must refuse with exit 1, nothing on stdout, and the refusal `code` named on stderr
/// (in the text and in the `--json` error). Returns the text stderr.
pub fn verify_refused(
    dir: &Path,
    bundle: &Path,
    lane: &str,
    policy: &Path,
    extra: &[&OsStr],
    code: &str,
) -> String {
    let (got, out, err) = verify_in(dir, bundle, lane, policy, extra);
    assert_eq!(got, 1, "verify exited {got}, expected 1 ({code}):\n{err}");
    assert_eq!(out, "", "a refused verify printed on stdout");
    assert!(
        err.starts_with("error: verification failed (") && err.contains(&format!("({code})")),
        "expected the refusal `{code}` on stderr, got {err:?}"
    );
    let mut json: Vec<&OsStr> = vec!["--json".as_ref()];
    let mut args: Vec<&OsStr> = vec![
        "verify".as_ref(),
        bundle.as_os_str(),
        "--lane".as_ref(),
        lane.as_ref(),
        "--policy".as_ref(),
        policy.as_os_str(),
    ];
    args.extend_from_slice(extra);
    json.extend(args);
    let (got, _, jerr) = run_in(dir, json);
    assert_eq!(got, 1);
    let v: Value = serde_json::from_str(jerr.trim()).expect("a JSON error on stderr");
    assert_eq!(v["error"]["code"], code, "{jerr}");
    err
}

/// The people of a release: an admin, the packet owner, a director who owns the lane, legal,
/// an approving agent; a packet with one revision. No policy yet.
#[derive(Debug)]
pub struct Crew {
    pub ws: Ws,
    pub admin: String,
    pub owner: String,
    pub director: String,
    pub legal: String,
    pub agent: String,
    pub packet: String,
    pub rev: String,
}

/// The first revision's wording.
pub const TEXT_V1: &str =
    "# Outage disclosure\n\nService was fully restored at 14:05 UTC.\nNo customer data was lost.\n";

impl Crew {
    /// The people and a packet with [`TEXT_V1`] as its one revision.
    pub fn new() -> Crew {
        let ws = Ws::init();
        let admin = ws.identity("Ada Admin", &["admin"]);
        let owner = ws.identity("Priya Raman", &["release-owner", "author"]);
        let director = ws.identity("Diego Director", &["approver"]);
        let legal = ws.identity("Dana Okafor", &["legal"]);
        let agent = ws.created([
            "identity",
            "add",
            "--name",
            "Drafting Bot",
            "--role",
            "approver",
            "--agent",
        ]);
        let packet = ws.packet("Outage disclosure", &owner);
        let rev = ws.revise(&packet, TEXT_V1, &owner);
        Crew {
            ws,
            admin,
            owner,
            director,
            legal,
            agent,
            packet,
            rev,
        }
    }

    /// [`Crew::new`], a policy and the lane [`LANE`]: owned by the director, approver or legal,
    /// two distinct approvers (`carry`: approvals survive trivial changes).
    pub fn with_lane(carry: bool) -> Crew {
        let c = Crew::new();
        c.ws.ok(["policy", "init", "--admin", &c.admin]);
        c.ws.lane(
            LANE,
            AUDIENCE,
            &c.director,
            &["approver", "legal"],
            2,
            carry,
        );
        c
    }

    /// Draft a manifest for [`LANE`] and have legal and the director approve it; returns it.
    pub fn approved(&self) -> String {
        let m = self.ws.draft(&self.packet, LANE);
        self.ws.approve(&m, &self.legal);
        self.ws.approve(&m, &self.director);
        assert_eq!(self.ws.status(&self.packet, LANE)["state"], "approved");
        m
    }
}

/// Copy files into a fresh directory (by their file names); returns the new paths.
pub fn copy_into(dir: &Path, files: &[&Path]) -> Vec<PathBuf> {
    files
        .iter()
        .map(|f| {
            let to = dir.join(f.file_name().expect("a file name"));
            std::fs::copy(f, &to).expect("copy");
            to
        })
        .collect()
}

/// The one hold of `kind` in a status.
pub fn hold<'a>(status: &'a Value, kind: &str) -> &'a Value {
    let holds = status["holds"].as_array().expect("holds is an array");
    let found: Vec<&Value> = holds.iter().filter(|h| h["kind"] == kind).collect();
    assert_eq!(found.len(), 1, "expected one `{kind}` hold in {holds:#?}");
    found[0]
}
