//! Sync as the desktop app runs it, through the public API: targets named in a form, a pass on a
//! handle of its own (keys unlocked in the session carry over; a locked one fails the pass,
//! naming it), one key to push whoever made the operations, the error code kept with the
//! target, and a divergence resolved by its owner.

// Helpers live outside `#[test]` functions, where clippy's `allow-unwrap-in-tests` does not
// reach; a failed unwrap in a test is a test failure.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;

use countersign_api::sync::{TargetInput, folder_target, join, no_progress};
use countersign_api::{
    ApiError, Deps, FixedClock, IdentityKind, KdfParams, PassphrasePurpose, PassphraseSource, Role,
    Secret, Timestamp, Workspace,
};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

/// Seals new keys with "pw" but never unlocks one: like the app, the session must unlock keys
/// itself (`identity_unlock`).
struct NewKeysOnly;

impl PassphraseSource for NewKeysOnly {
    fn passphrase(
        &mut self,
        who: &str,
        purpose: PassphrasePurpose,
    ) -> countersign_api::Result<Secret> {
        match purpose {
            PassphrasePurpose::NewIdentity => Ok(Secret::new("pw".to_owned())),
            PassphrasePurpose::Unlock => Err(ApiError::PassphraseUnavailable(who.to_owned())),
        }
    }
}

fn deps(seed: u64) -> Deps {
    Deps {
        clock: Arc::new(FixedClock::new(
            Timestamp::parse("2026-11-21T10:00:00Z").unwrap(),
            1,
        )),
        rng: Box::new(ChaCha20Rng::seed_from_u64(seed)),
        passphrases: Box::new(NewKeysOnly),
        kdf: KdfParams {
            m_cost_kib: 64,
            t_cost: 1,
            p_cost: 1,
        },
    }
}

fn folder(path: &Path) -> TargetInput {
    TargetInput::Folder {
        path: path.display().to_string(),
    }
}

fn code<T: std::fmt::Debug>(r: countersign_api::Result<T>) -> &'static str {
    r.expect_err("expected a failure").code()
}

#[test]
fn app_targets_are_checked_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = Workspace::init(&tmp.path().join("a"), deps(1)).unwrap();
    let bad = [
        TargetInput::Folder { path: "  ".into() },
        TargetInput::Folder {
            path: "relative/shared".into(),
        },
        TargetInput::Known {
            name: "folder:/never/synced".into(),
        },
        TargetInput::S3 {
            url: "https://bucket/prefix".into(),
            endpoint: None,
            region: None,
        },
        TargetInput::S3 {
            url: "s3://team-packets/meridian".into(),
            endpoint: Some("ftp://127.0.0.1:1".into()),
            region: None,
        },
    ];
    for input in &bad {
        assert_eq!(code(ws.sync_target_of(input)), "bad_target", "{input:?}");
        assert_eq!(
            code(ws.sync_pass(input, Box::new(NewKeysOnly))),
            "bad_target"
        );
    }
    assert!(ws.sync_status().unwrap().targets.is_empty());

    // Blank endpoint and region fields mean "not given".
    let s3 = ws
        .sync_target_of(&TargetInput::S3 {
            url: " s3://team-packets/meridian/ ".into(),
            endpoint: Some("http://127.0.0.1:8333/".into()),
            region: Some(" ".into()),
        })
        .unwrap();
    assert_eq!(
        s3.name(),
        "s3://team-packets/meridian@http://127.0.0.1:8333"
    );
    let dir = ws.sync_target_of(&folder(tmp.path())).unwrap();
    assert_eq!(dir, folder_target(tmp.path()));
}

#[test]
fn a_pass_runs_on_its_own_handle_with_the_sessions_keys_and_keeps_its_error_code() {
    let tmp = tempfile::tempdir().unwrap();
    let shared = tmp.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    let mut a = Workspace::init(&tmp.path().join("a"), deps(1)).unwrap();
    let priya = a
        .identity_add(
            "Priya Raman",
            &[Role::ReleaseOwner, Role::Author],
            IdentityKind::Human,
        )
        .unwrap()
        .id;
    a.lock_all();
    let packet = a.packet_new("Outage disclosure", &priya);
    // Making the packet needed Priya's key: the session does not have it.
    assert_eq!(code(packet), "passphrase_unavailable");
    a.identity_unlock(&priya, "pw").unwrap();
    let packet = a.packet_new("Outage disclosure", &priya).unwrap().id;
    a.packet_revise(
        &packet,
        b"Service was fully restored.\n",
        &priya,
        "First draft",
    )
    .unwrap();
    let local = a.sync_status().unwrap().local_ops;

    // Whose keys the pass will sign with, asked before it runs.
    a.lock_all();
    let needed = a.sync_keys_needed(&folder(&shared)).unwrap();
    assert_eq!(
        needed.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        [priya.as_str()]
    );
    assert_eq!(
        code(a.sync_keys_needed(&TargetInput::Folder {
            path: "shared".into()
        })),
        "bad_target"
    );

    // A locked key fails the pass, naming whose it is; the target is kept with the code.
    let failed = a
        .sync_pass(&folder(&shared), Box::new(NewKeysOnly))
        .unwrap()
        .run(&no_progress);
    let e = failed.expect_err("Priya's key is locked");
    assert_eq!(e.code(), "passphrase_unavailable");
    assert!(e.to_string().contains("Priya Raman"), "{e}");
    let st = a.sync_status().unwrap();
    assert_eq!(st.targets.len(), 1);
    let name = st.targets[0].target.clone();
    assert_eq!(
        st.targets[0].last_error_code.as_deref(),
        Some("passphrase_unavailable")
    );
    assert!(st.targets[0].pending_ops > 0);

    // Unlocked in the session, the key carries over to the pass's handle. The pass runs on
    // another thread while this session keeps answering.
    a.identity_unlock(&priya, "pw").unwrap();
    assert!(a.sync_keys_needed(&folder(&shared)).unwrap().is_empty());
    let pass = a
        .sync_pass(&folder(&shared), Box::new(NewKeysOnly))
        .unwrap();
    assert_eq!(pass.target(), name);
    let running = std::thread::spawn(move || pass.run(&no_progress));
    assert_eq!(a.packet_heads(&packet).unwrap().len(), 1);
    let report = running.join().unwrap().unwrap();
    assert!(report.pushed.ops > 0);
    assert_eq!(report.pending_ops, 0);
    let st = a.sync_status().unwrap();
    assert_eq!(st.targets[0].last_error, None);
    assert_eq!(st.targets[0].last_error_code, None);
    assert_eq!(st.targets[0].last_pushed.unwrap().ops, report.pushed.ops);

    // Nothing left to push: no key is needed, locked or not.
    a.lock_all();
    let known = TargetInput::Known { name: name.clone() };
    assert!(a.sync_keys_needed(&known).unwrap().is_empty());

    // A known target by its name.
    let again = a
        .sync_pass(
            &TargetInput::Known { name: name.clone() },
            Box::new(NewKeysOnly),
        )
        .unwrap()
        .run(&no_progress)
        .unwrap();
    assert_eq!(again.pushed.ops, 0);

    // A "folder" that is a regular file: the pass fails, the target is listed with its code,
    // and nothing is lost.
    let file = tmp.path().join("not-a-folder");
    std::fs::write(&file, "x").unwrap();
    let e = a
        .sync_pass(&folder(&file), Box::new(NewKeysOnly))
        .unwrap()
        .run(&no_progress)
        .expect_err("not a folder");
    assert_eq!(e.code(), "target_offline");
    let st = a.sync_status().unwrap();
    assert_eq!(st.local_ops, local);
    assert_eq!(st.targets.len(), 2);
    let broken = st.targets.iter().find(|t| t.target != name).unwrap();
    assert_eq!(broken.last_error_code.as_deref(), Some("target_offline"));
    assert!(broken.last_error.is_some());
    assert_eq!(broken.pending_ops, local);
    let good = st.targets.iter().find(|t| t.target == name).unwrap();
    assert_eq!((good.last_error.as_ref(), good.pending_ops), (None, 0));
}

#[test]
fn a_divergence_names_its_owner_who_merges_it() {
    let tmp = tempfile::tempdir().unwrap();
    let shared = tmp.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    let mut a = Workspace::init(&tmp.path().join("a"), deps(1)).unwrap();
    let priya = a
        .identity_add(
            "Priya Raman",
            &[Role::ReleaseOwner, Role::Author],
            IdentityKind::Human,
        )
        .unwrap()
        .id;
    let packet = a.packet_new("Outage disclosure", &priya).unwrap().id;
    a.packet_revise(&packet, b"Service was fully restored.\n", &priya, "")
        .unwrap();
    let sync = |ws: &Workspace| {
        ws.sync_pass(&folder(&shared), Box::new(NewKeysOnly))
            .unwrap()
            .run(&no_progress)
            .unwrap()
    };
    sync(&a);
    let (mut b, _) = join(
        &tmp.path().join("b"),
        &folder_target(&shared),
        deps(2),
        &no_progress,
    )
    .unwrap();
    let marcus = b
        .identity_add("Marcus Ellery", &[Role::Author], IdentityKind::Human)
        .unwrap()
        .id;
    let ra = a
        .packet_revise(&packet, b"Service was restored at 14:05.\n", &priya, "")
        .unwrap()
        .id;
    let rb = b
        .packet_revise(&packet, b"Service was mostly restored.\n", &marcus, "")
        .unwrap()
        .id;
    sync(&a);
    sync(&b);
    let report = sync(&a);
    assert_eq!(report.diverged.len(), 1);
    let d = &report.diverged[0];
    assert_eq!(
        (d.packet.as_str(), d.owner.as_str(), d.owner_name.as_str()),
        (packet.as_str(), priya.as_str(), "Priya Raman")
    );
    let mut heads = d.heads.clone();
    heads.sort();
    let mut want = vec![ra, rb];
    want.sort();
    assert_eq!(heads, want);
    assert_eq!(a.sync_status().unwrap().diverged, report.diverged);

    // Only the owner merges; the merge leaves one head and no divergence.
    assert_eq!(
        code(a.packet_merge(&packet, b"Service was restored.\n", &marcus, "")),
        "not_permitted"
    );
    let merged = a
        .packet_merge(
            &packet,
            b"Service was restored at 14:05.\n",
            &priya,
            "Merge",
        )
        .unwrap();
    assert_eq!(merged.parents.len(), 2);
    assert!(a.sync_status().unwrap().diverged.is_empty());
    assert_eq!(a.packet_heads(&packet).unwrap().len(), 1);
}

/// The demo's case: operations by several identities, pushed with one unlocked key (the first
/// identity made on the replica, or any of the replica's identities the session has unlocked);
/// the other replica checks every operation by its maker's key and agrees.
#[test]
fn a_first_push_needs_one_key_whoever_made_the_operations() {
    let tmp = tempfile::tempdir().unwrap();
    let shared = tmp.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    let mut a = Workspace::init(&tmp.path().join("a"), deps(1)).unwrap();
    let mut add =
        |name: &str, roles: &[Role]| a.identity_add(name, roles, IdentityKind::Human).unwrap().id;
    let priya = add("Priya Raman", &[Role::ReleaseOwner, Role::Author]);
    let marcus = add("Marcus Ellery", &[Role::Author]);
    let dana = add("Dana Okafor", &[Role::Legal]);
    let packet = a.packet_new("Outage disclosure", &priya).unwrap().id;
    let rev = a
        .packet_revise(&packet, b"Service was fully restored.\n", &priya, "")
        .unwrap()
        .id;
    a.comment_add(&packet, &rev, "Service", 1, "Which one?", &marcus)
        .unwrap();
    a.comment_add(&packet, &rev, "restored", 1, "Fully?", &dana)
        .unwrap();

    // One key: the first identity made here.
    a.lock_all();
    let needed = a.sync_keys_needed(&folder(&shared)).unwrap();
    let ids: Vec<&str> = needed.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, [priya.as_str()]);
    // Any of this replica's identities unlocked in the session will do instead.
    a.identity_unlock(&dana, "pw").unwrap();
    assert!(a.sync_keys_needed(&folder(&shared)).unwrap().is_empty());
    // With only Dana's key, the pass runs (no other passphrase is asked for: none can be).
    let report = a
        .sync_pass(&folder(&shared), Box::new(NewKeysOnly))
        .unwrap()
        .run(&no_progress)
        .unwrap();
    assert_eq!(report.pending_ops, 0);
    assert!(report.pushed.ops >= 7, "{report:?}");

    let (b, joined) = join(
        &tmp.path().join("b"),
        &folder_target(&shared),
        deps(2),
        &no_progress,
    )
    .unwrap();
    assert!(joined.quarantined.is_empty(), "{joined:?}");
    assert!(joined.waiting.is_empty(), "{joined:?}");
    assert_eq!(joined.pulled.ops, report.pushed.ops);
    assert_eq!(b.state_digest().unwrap(), a.state_digest().unwrap());
    assert!(b.check().unwrap().ok);
    // Nothing waits to be pushed from the new replica: no key is needed there.
    assert!(b.sync_keys_needed(&folder(&shared)).unwrap().is_empty());
}

/// The demo workspace, made by many identities, asks for one passphrase before its first push.
#[test]
fn the_demo_asks_for_one_key_to_push() {
    let tmp = tempfile::tempdir().unwrap();
    let shared = tmp.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    let dir = tmp.path().join("demo");
    countersign_api::demo::build(&dir, deps(3), countersign_api::demo::DEMO_PASSPHRASE).unwrap();
    let mut ws = Workspace::open(&dir, deps(3)).unwrap();
    let makers = ws.identity_list().unwrap().len();
    assert!(makers > 3, "the demo has {makers} identities");
    let needed = ws.sync_keys_needed(&folder(&shared)).unwrap();
    assert_eq!(needed.len(), 1, "{needed:?}");
    ws.identity_unlock(&needed[0].id, countersign_api::demo::DEMO_PASSPHRASE)
        .unwrap();
    let report = ws
        .sync_pass(&folder(&shared), Box::new(NewKeysOnly))
        .unwrap()
        .run(&no_progress)
        .unwrap();
    assert_eq!(report.pending_ops, 0);
    assert!(report.quarantined.is_empty());
}
