//! The workspace itself: where it is found, making it, and refusing files it cannot trust.

use crate::common::*;

#[test]
fn init_makes_an_empty_workspace_with_one_verified_event() {
    let ws = Ws::init();
    assert_eq!(
        ws.events(),
        1,
        "init records exactly the workspace.created event"
    );
    assert_eq!(ws.json(["identity", "list"]), serde_json::json!([]));
    assert_eq!(ws.json(["packet", "list"]), serde_json::json!([]));
    let text = ws.ok(["check"]);
    assert!(text.contains("1 events verified"), "{text}");
    assert!(text.trim_end().ends_with("ok"), "{text}");
}

#[test]
fn init_twice_is_refused_and_leaves_the_workspace_alone() {
    let ws = Ws::init();
    ws.identity("Priya Raman", &["author"]);
    let before = ws.snapshot();
    let err = ws.fails(2, ["init"]);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(ws.fails_code(2, ["init"]), "workspace_exists");
    ws.assert_unchanged(&before, "a second init");
}

#[test]
fn workspace_is_found_from_the_option_then_the_environment_then_the_current_directory() {
    let ws = Ws::init();
    let id = ws.identity("Priya Raman", &["author"]);
    let listed = |out: String| -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        array(v).iter().map(|i| s(&i["id"]).to_owned()).collect()
    };

    // $COUNTERSIGN_WORKSPACE, no option.
    let (code, out, err) = output(
        command()
            .env("COUNTERSIGN_WORKSPACE", ws.dir())
            .args(["--json", "identity", "list"]),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(listed(out), vec![id.clone()]);

    // The current directory, no option and no environment.
    let (code, out, err) = output(
        command()
            .current_dir(ws.dir())
            .args(["--json", "identity", "list"]),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(listed(out), vec![id.clone()]);

    // --workspace wins over the environment.
    let elsewhere = Ws::empty();
    let (code, out, err) = output(
        command()
            .env("COUNTERSIGN_WORKSPACE", elsewhere.dir())
            .arg("--workspace")
            .arg(ws.dir())
            .args(["--json", "identity", "list"]),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(listed(out), vec![id]);

    // The environment wins over the current directory.
    let (code, out, err) = output(
        command()
            .current_dir(ws.dir())
            .env("COUNTERSIGN_WORKSPACE", elsewhere.dir())
            .args(["identity", "list"]),
    );
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(err.contains("no Countersign workspace"), "{err}");
}

#[test]
fn a_directory_without_a_workspace_is_refused_with_a_hint_to_run_init() {
    let ws = Ws::empty();
    for args in [
        vec!["identity", "list"],
        vec!["check"],
        vec!["packet", "log", "abcd"],
        vec!["identity", "add", "--name", "Priya", "--role", "author"],
    ] {
        let err = ws.fails(2, &args);
        assert!(err.contains("no Countersign workspace"), "{args:?}: {err}");
        assert!(err.contains("countersign init"), "{args:?}: {err}");
    }
    assert_eq!(ws.fails_code(2, ["check"]), "not_a_workspace");
    assert_eq!(
        std::fs::read_dir(ws.dir()).unwrap().count(),
        0,
        "nothing may be created"
    );

    // A directory that does not exist at all.
    let missing = ws.root().join("missing");
    let (code, out, err) = output(command().arg("--workspace").arg(&missing).arg("check"));
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("countersign init"), "{err}");
    assert!(!missing.exists(), "a read must not create the directory");
}

#[test]
fn a_workspace_made_by_a_newer_schema_is_refused_untouched() {
    let ws = Ws::init();
    ws.identity("Priya Raman", &["author"]);
    sqlite(&ws.db())
        .pragma_update(None, "user_version", 999)
        .unwrap();
    let before = dump_db(&ws.db());

    for args in [
        vec!["check"],
        vec!["identity", "list"],
        vec!["identity", "add", "--name", "Marcus", "--role", "author"],
    ] {
        let err = ws.fails(2, &args);
        assert!(err.contains("newer"), "{args:?}: {err}");
        assert!(err.contains("999"), "{args:?}: {err}");
    }
    assert_eq!(ws.fails_code(2, ["check"]), "newer_schema");

    let version: u32 = sqlite(&ws.db())
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, 999, "the file must not be migrated or rewritten");
    assert!(
        dump_db(&ws.db()) == before,
        "a newer workspace was written to"
    );
}

#[test]
fn a_workspace_file_that_is_not_sqlite_is_refused_untouched() {
    let ws = Ws::empty();
    let garbage: Vec<u8> = (0..8192u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(ws.db(), &garbage).unwrap();

    for args in [vec!["check"], vec!["identity", "list"], vec!["init"]] {
        let err = ws.fails(2, &args);
        assert!(
            err.contains("not a Countersign workspace file") || err.contains("already exists"),
            "{args:?}: {err}"
        );
    }
    let err = ws.fails(2, ["check"]);
    assert!(err.contains("not an SQLite database"), "{err}");
    assert_eq!(
        ws.fails_code(2, ["identity", "list"]),
        "not_a_workspace_file"
    );
    assert_eq!(
        std::fs::read(ws.db()).unwrap(),
        garbage,
        "the file must be left as it was"
    );

    // An SQLite database that is not a Countersign workspace.
    let foreign = Ws::empty();
    sqlite(&foreign.db())
        .execute_batch("CREATE TABLE notes (body TEXT);")
        .unwrap();
    let err = foreign.fails(2, ["check"]);
    assert!(err.contains("not a Countersign workspace"), "{err}");
    assert_eq!(foreign.fails_code(2, ["check"]), "not_a_workspace_file");
}

#[test]
fn a_wrong_passphrase_is_refused_and_nothing_is_written() {
    let ws = Ws::init();
    let owner = ws.identity("Priya Raman", &["author"]);
    let packet = ws.packet("Outage disclosure", &owner);
    let file = ws.file("# Draft\n");
    let before = ws.snapshot();

    let wrong = ("COUNTERSIGN_PASSPHRASE", "not the passphrase");
    for args in [
        vec!["packet", "new", "--title", "Another", "--owner", &owner],
        vec![
            "packet",
            "revise",
            &packet,
            "--file",
            file.to_str().unwrap(),
            "--author",
            &owner,
        ],
    ] {
        let (code, out, err) = ws.run_env(wrong, &args);
        assert_eq!((code, out.as_str()), (2, ""), "{args:?}: {err}");
        assert!(err.contains("wrong passphrase"), "{args:?}: {err}");
        assert!(err.contains("COUNTERSIGN_PASSPHRASE"), "{args:?}: {err}");
    }
    let (code, _, err) = ws.run_env(
        wrong,
        ["--json", "packet", "new", "--title", "X", "--owner", &owner],
    );
    assert_eq!(code, 2);
    assert!(err.contains("\"code\":\"wrong_passphrase\""), "{err}");
    ws.assert_unchanged(&before, "a wrong passphrase");
}

#[test]
fn no_passphrase_available_is_refused_naming_countersign_passphrase() {
    let ws = Ws::init();
    let owner = ws.identity("Priya Raman", &["author"]);
    let before = ws.snapshot();

    for args in [
        vec![
            "identity",
            "add",
            "--name",
            "Marcus Ellery",
            "--role",
            "author",
        ],
        vec![
            "packet",
            "new",
            "--title",
            "Outage disclosure",
            "--owner",
            &owner,
        ],
    ] {
        let mut c = ws.cmd(&args);
        c.env_remove("COUNTERSIGN_PASSPHRASE");
        let (code, out, err) = output(&mut c);
        assert_eq!((code, out.as_str()), (2, ""), "{args:?}: {err}");
        assert!(err.contains("COUNTERSIGN_PASSPHRASE"), "{args:?}: {err}");
        assert!(err.contains("passphrase is needed"), "{args:?}: {err}");
    }
    // An empty passphrase never seals a key.
    let (code, _, err) = ws.run_env(
        ("COUNTERSIGN_PASSPHRASE", ""),
        ["identity", "add", "--name", "M", "--role", "author"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("empty"), "{err}");

    // Reading needs no passphrase.
    let mut c = ws.cmd(["--json", "identity", "list"]);
    c.env_remove("COUNTERSIGN_PASSPHRASE");
    let (code, out, err) = output(&mut c);
    assert_eq!(code, 0, "{err}");
    assert_eq!(array(serde_json::from_str(&out).unwrap()).len(), 1);
    ws.assert_unchanged(&before, "no passphrase");
}
