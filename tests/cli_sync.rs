//! Sync through a shared folder: the scenarios of `sync_support`, and what only a folder has
//! (a watcher, foreign and partly written files, a folder that goes offline).

use std::process::Stdio;
use std::time::Duration;

use crate::common::*;
use crate::sync_support::*;

#[test]
fn two_replicas_work_apart_and_agree_through_a_folder() {
    two_replicas(&Place::folder());
}

#[test]
fn three_replicas_work_apart_and_agree_through_a_folder() {
    three_replicas(&Place::folder());
}

#[test]
fn concurrent_revisions_diverge_and_the_owner_merges_through_a_folder() {
    divergence(&Place::folder());
}

#[test]
fn concurrent_ledger_moves_are_kept_as_conflicts_through_a_folder() {
    ledger_conflict(&Place::folder());
}

#[test]
fn bad_ops_are_quarantined_while_good_ops_apply_through_a_folder() {
    quarantine(&Place::folder());
}

/// Regression: an operation signed with a key that another replica revoked before the two met
/// was quarantined everywhere but on its own replica, whose state digest then differed forever.
#[test]
fn ops_by_a_key_revoked_concurrently_converge_and_are_flagged() {
    revoked_concurrently(&Place::folder());
}

#[test]
fn one_key_signs_a_push_and_every_op_is_checked_by_its_makers_key_through_a_folder() {
    one_key_pushes(&Place::folder());
}

#[test]
fn an_op_waits_for_what_its_replica_had_applied_through_a_folder() {
    causal_delivery(&Place::folder());
}

/// A workspace whose policy versions were issued before revocations were recorded records
/// them when it is opened: a revoked key signs nothing there either.
#[test]
fn revocations_issued_before_they_were_recorded_bind_all_the_same() {
    let ws = Ws::init();
    let admin = ws.identity("Priya Raman", &["release-owner", "author", "admin"]);
    let dana = ws.identity("Dana Okafor", &["legal"]);
    let packet = ws.packet("Outage disclosure", &admin);
    let rev = ws.revise(&packet, "Service was fully restored.\n", &admin);
    ws.ok(["policy", "init", "--admin", &admin]);
    ws.ok(["policy", "revoke", &dana, "--by", &admin]);
    let comment = [
        "comment",
        "add",
        &packet,
        "--revision",
        &rev,
        "--quote",
        "Service",
        "--body",
        "Hello",
        "--author",
        &dana,
    ];
    assert!(ws.fails(1, comment).contains("revoked"));
    // As a workspace of the previous schema would be: nothing recorded yet.
    sqlite(&ws.db())
        .execute_batch(
            "DELETE FROM revocations;
             INSERT INTO meta (key, value) VALUES ('revocations_backfill', 'pending');",
        )
        .unwrap();
    assert!(ws.fails(1, comment).contains("revoked"));
    let n: i64 = sqlite(&ws.db())
        .query_row("SELECT COUNT(*) FROM revocations", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
    ws.comment(&packet, &rev, "Service", &admin);
}

#[test]
fn a_sync_killed_part_way_finishes_with_no_duplicate_and_no_loss_through_a_folder() {
    killed_part_way(&Place::folder());
}

#[test]
fn a_folder_honours_create_only_puts() {
    probe_reported(&Place::folder(), "honoured");
}

#[test]
fn foreign_and_partly_written_files_in_the_folder_are_ignored() {
    let place = Place::folder();
    let a = Ws::init();
    let owner = a.identity("Priya Raman", &["author"]);
    let packet = a.packet("Outage disclosure", &owner);
    sync(&a, &place);
    let ra = replica_of(&a);
    let dir = place.dir();
    // What sync tools and operating systems leave in shared folders.
    for (path, bytes) in [
        (".DS_Store".to_owned(), &b"x"[..]),
        ("desktop.ini".to_owned(), b"x"),
        (".stfolder/marker".to_owned(), b""),
        (format!("logs/{ra}/000000000009.tmp"), b"{\"format\":"),
        (format!("logs/{ra}/000000000002 (conflicted copy)"), b"{}"),
        (format!("logs/{ra}/000000000003#1"), b"{\"partial"),
        ("logs/not-a-replica/000000000001".to_owned(), b"{}"),
        ("objects/not-a-digest".to_owned(), b"x"),
    ] {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    let b = join(&place);
    let r = sync(&b, &place);
    assert_eq!(r["quarantined"], serde_json::json!([]), "{r}");
    assert_eq!(r["waiting"], serde_json::json!([]), "{r}");
    assert_eq!(array(b.json(["packet", "list"]))[0]["id"], packet.as_str());
    assert_agree(&[&a, &b]);
    // Our own writes leave no temporary files behind.
    let leftovers: Vec<_> = walk(&dir)
        .into_iter()
        .filter(|p| p.contains('#') && !p.ends_with("000000000003#1"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p.display().to_string());
        }
    }
    out
}

#[test]
fn a_file_named_as_the_folder_target_is_refused_as_not_a_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("packets.zip");
    std::fs::write(&file, b"not a folder").unwrap();
    let a = Ws::init();
    let owner = a.identity("Priya Raman", &["author"]);
    a.packet("Outage disclosure", &owner);
    let f = file.display().to_string();
    let err = a.fails(2, ["sync", "--folder", &f]);
    assert!(err.contains("is a file, not a folder"), "{err}");
    assert_eq!(a.fails_code(2, ["sync", "--folder", &f]), "target_offline");
    // Nothing was written into or over the file, and the operations stay queued.
    assert_eq!(std::fs::read(&file).unwrap(), b"not a folder");
    let st = a.json(["sync", "status"]);
    assert_eq!(st["targets"][0]["pending_ops"], 3, "{st}");
}

#[test]
fn an_offline_folder_queues_pushes_until_it_is_back() {
    let tmp = tempfile::tempdir().unwrap();
    let gone = tmp.path().join("share-not-mounted");
    let a = Ws::init();
    let owner = a.identity("Priya Raman", &["author"]);
    a.packet("Outage disclosure", &owner);
    let g = gone.display().to_string();
    let err = a.fails(2, ["sync", "--folder", &g]);
    assert!(err.contains("not there"), "{err}");
    assert_eq!(a.fails_code(2, ["sync", "--folder", &g]), "target_offline");
    // The operations wait, and `sync status` says so.
    let st = a.json(["sync", "status"]);
    let t = &st["targets"][0];
    assert_eq!(t["pending_ops"], 3, "{st}");
    assert!(s(&t["last_error"]).contains("not there"), "{st}");
    // Back online: everything queued goes.
    std::fs::create_dir(&gone).unwrap();
    let r = a.json(["sync", "--folder", &g]);
    assert_eq!(r["pushed"]["ops"], 3, "{r}");
    assert_eq!(r["pending_ops"], 0, "{r}");
}

#[test]
fn watch_pulls_when_files_arrive_and_survives_ctrl_c() {
    let place = Place::folder();
    let a = Ws::init();
    let owner = a.identity("Priya Raman", &["author"]);
    let packet = a.packet("Outage disclosure", &owner);
    sync(&a, &place);
    let b = join(&place);
    let mut args = vec![
        "sync".to_owned(),
        "--watch".to_owned(),
        "--interval".to_owned(),
        "3600".to_owned(),
    ];
    args.extend(place.args());
    let watcher = b
        .cmd(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A change on A arrives in the folder; B's watcher pulls it without being asked.
    std::thread::sleep(Duration::from_millis(500));
    a.revise(&packet, "Service was restored.\n", &owner);
    sync(&a, &place);
    let target = digest(&a);
    let arrived = eventually(30, || digest(&b) == target);
    // Ctrl-C: the watcher finishes cleanly.
    std::process::Command::new("kill")
        .args(["-INT", &watcher.id().to_string()])
        .status()
        .unwrap();
    let out = watcher.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        arrived,
        "the watcher did not pull A's change:\n{stdout}\n{stderr}"
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("stopped after"), "{stderr}");
    assert!(stdout.contains("pulled 1 ops"), "{stdout}");
    assert_eq!(b.check()["ok"], true);
}

#[test]
fn join_and_sync_refuse_what_they_cannot_do_and_say_what_to_do() {
    let place = Place::folder();
    let f = place.args();
    let a = Ws::init();
    a.identity("Priya Raman", &["author"]);

    // Joining a folder that holds no workspace yet.
    let b = Ws::empty();
    let mut args = vec!["join".to_owned()];
    args.extend(f.clone());
    let err = b.fails(1, &args);
    assert!(err.contains("countersign sync"), "{err}");
    // Joining into a directory that is not empty.
    sync(&a, &place);
    let err = a.fails(2, &args);
    assert!(err.contains("not empty"), "{err}");
    // Another workspace's folder.
    let other = Ws::init();
    let mut sargs = vec!["sync".to_owned()];
    sargs.extend(f.clone());
    assert_eq!(other.fails_code(1, &sargs), "foreign_target");
    let err = other.fails(1, &sargs);
    assert!(err.contains("choose another folder"), "{err}");
    // Naming no target when there is none to remember; bad S3 names; no credentials.
    let fresh = Ws::init();
    assert_eq!(fresh.fails_code(2, ["sync"]), "out_of_range");
    let (code, _, err) = other.run([
        "sync",
        "--s3",
        "http://bucket/p",
        "--endpoint",
        "http://127.0.0.1:1",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("s3://BUCKET/PREFIX"), "{err}");
    let (code, _, err) = other
        .cmd([
            "sync",
            "--s3",
            "s3://bucket/p",
            "--endpoint",
            "http://127.0.0.1:1",
        ])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .output()
        .map(|o| {
            (
                o.status.code().unwrap(),
                String::new(),
                String::from_utf8_lossy(&o.stderr).into_owned(),
            )
        })
        .unwrap();
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("AWS_ACCESS_KEY_ID"), "{err}");
    // Once synced, `sync` alone uses the one target the workspace knows.
    let r = a.json(["sync"]);
    assert_eq!(r["pushed"]["ops"], 0, "{r}");
    // And the state digest is one line.
    let d = a.ok(["state-digest"]);
    assert_eq!(d.lines().count(), 1);
    assert_digest(d.trim());
}

#[test]
fn check_verifies_every_replicas_chain() {
    let place = Place::folder();
    let a = Ws::init();
    let owner = a.identity("Priya Raman", &["author"]);
    a.packet("Outage disclosure", &owner);
    sync(&a, &place);
    let b = join(&place);
    let v = b.check();
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["events_verified"], 3, "{v}");
    // A hand edit of an event B received from A is caught like an edit of its own.
    let ra = replica_of(&a);
    sqlite(&b.db())
        .execute_batch(&format!(
            "DROP TRIGGER events_append_only_update;
             UPDATE events SET payload = replace(payload, 'Outage', 'Nothing') WHERE replica = '{ra}' AND replica_seq = 3;"
        ))
        .unwrap();
    let v = b.check();
    assert_eq!(v["ok"], false, "{v}");
    assert!(s(&v["first_bad_event"]).contains("packet.created"), "{v}");
    assert!(
        s(&v["first_bad_event"]).contains("payload was edited"),
        "{v}"
    );
}

/// A pull applies its events a chunk at a time, each chunk in its own transaction, so a large
/// pull never holds the workspace for long. Cut at every event, a join of the demo workspace
/// (threads, ledger moves, evidence, policy, manifests, approvals, runs) holds exactly what the
/// origin holds, as a join in one chunk does.
#[test]
fn a_pull_applied_one_event_per_transaction_agrees() {
    let place = Place::folder();
    let demo = Ws::empty();
    demo.json(["demo"]);
    sync(&demo, &place);
    let whole = join(&place);
    let cut = Ws::empty();
    let mut args = vec!["--json".to_owned(), "join".to_owned()];
    args.extend(place.args());
    let out = cut
        .cmd(&args)
        .env("COUNTERSIGN_SYNC_TEST_APPLY_CHUNK", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["report"]["quarantined"],
        serde_json::json!([]),
        "{report}"
    );
    assert_eq!(
        report["report"]["waiting"],
        serde_json::json!([]),
        "{report}"
    );
    assert_agree(&[&demo, &whole, &cut]);
    assert_eq!(holdings(&cut), holdings(&demo));
}
