//! The commands through Tauri's IPC on the mock runtime (no display): arguments are taken by the
//! names the bindings send, results and errors come back in the shapes the bindings declare, and a
//! locked key surfaces as `passphrase_unavailable` until `identity_unlock`.

use std::sync::Mutex;

use countersign_api::{Deps, FixedPassphrase, Workspace};
use serde_json::{Value, json};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{
    INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context, noop_assets,
};
use tauri::webview::{InvokeRequest, WebviewWindow};

fn deps() -> Deps {
    Deps::system(Box::new(FixedPassphrase("demo".into())), None).expect("deps")
}

struct App {
    _dir: tempfile::TempDir,
    _app: tauri::App<MockRuntime>,
    webview: WebviewWindow<MockRuntime>,
}

fn app() -> App {
    let dir = tempfile::tempdir().expect("tempdir");
    countersign_api::demo::build(dir.path(), deps(), "demo").expect("demo");
    let ws = Workspace::open(
        dir.path(),
        Deps::system(Box::new(countersign_app::AskTheUi), None).expect("deps"),
    )
    .expect("open");
    let specta = countersign_app::specta_builder::<MockRuntime>();
    let app = mock_builder()
        .invoke_handler(specta.invoke_handler())
        .manage(Mutex::new(ws))
        .manage(countersign_app::commands::SyncGate::default())
        .build(mock_context(noop_assets()))
        .expect("app");
    // (The mock app never runs its setup hook: the events are mounted here.)
    specta.mount_events(&app);
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("webview");
    App {
        _dir: dir,
        _app: app,
        webview,
    }
}

/// Invoke `cmd` as the UI would; Ok(value) or Err(AppError as JSON).
fn call(app: &App, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(
        &app.webview,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().expect("url"),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().expect("json"))
}

fn code(e: Value) -> String {
    e["code"]
        .as_str()
        .expect("an AppError with a code")
        .to_owned()
}

#[test]
fn reading_commands_return_the_shapes_the_bindings_declare() {
    let app = app();
    let states = call(&app, "packet_states", json!({})).expect("packet_states");
    let packet = states[0]["packet"]["id"]
        .as_str()
        .expect("packet id")
        .to_owned();
    assert_eq!(states[0]["state"], "awaiting_approval");
    assert_eq!(states[0]["lane"], "exec-review");

    let html = call(
        &app,
        "packet_render_html",
        json!({ "packet": packet, "revision": null }),
    )
    .expect("render");
    let html = html.as_str().expect("a string");
    assert!(
        html.contains("<mark ") && html.contains(" data-anchor="),
        "{html}"
    );
    assert!(!html.contains("<script"));

    let log = call(&app, "packet_log", json!({ "packet": packet })).expect("log");
    assert_eq!(log.as_array().expect("array").len(), 3);
    let (r1, r3) = (log[2]["id"].clone(), log[0]["id"].clone());
    let redline = call(
        &app,
        "packet_compare",
        json!({ "packet": packet, "from": r1, "to": r3 }),
    )
    .expect("compare");
    assert_eq!(redline["change"], "material");
    assert!(
        redline["segments"]
            .as_array()
            .expect("segments")
            .iter()
            .any(|s| s["kind"] == "insert")
    );

    let status = call(
        &app,
        "manifest_status",
        json!({ "packet": packet, "lane": "exec-review" }),
    )
    .expect("status");
    assert_eq!(status["state"], "awaiting_approval");
    assert!(
        status["manifest"]["digest"]
            .as_str()
            .expect("digest")
            .starts_with("sha256:")
    );

    let last = call(&app, "last_change", json!({})).expect("last_change");
    let changes = call(&app, "changes_since", json!({ "seq": 0, "limit": 5 })).expect("changes");
    assert!(last.as_u64().expect("number") > 5);
    assert_eq!(changes[0]["kind"], "workspace.created");

    let e = call(
        &app,
        "packet_show",
        json!({ "packet": "ffff", "revision": null }),
    )
    .expect_err("unknown packet");
    assert_eq!(code(e.clone()), "not_found");
    assert_eq!(e["class"], "bad_input");
}

#[test]
fn a_locked_key_asks_the_ui_then_unlock_and_retry_works() {
    let app = app();
    let states = call(&app, "packet_states", json!({})).expect("packet_states");
    let packet = states[0]["packet"]["id"]
        .as_str()
        .expect("packet id")
        .to_owned();
    let ids = call(&app, "identity_list", json!({})).expect("identities");
    let id_of = |name: &str| {
        ids.as_array()
            .expect("array")
            .iter()
            .find(|i| i["name"] == name)
            .map(|i| i["id"].as_str().expect("id").to_owned())
            .expect(name)
    };
    let (priya, jonas) = (id_of("Priya Raman"), id_of("Jonas Whitfield"));
    let head = call(
        &app,
        "packet_show",
        json!({ "packet": packet, "revision": null }),
    )
    .expect("show")["revision"]["id"]
        .clone();

    let raise = json!({
        "packet": packet, "revision": head, "quote": "Meridian", "occurrence": 1,
        "body": "Name the customer once, then say \"the customer\".", "author": jonas,
        "blocking": false,
    });
    let e = call(&app, "objection_raise", raise.clone()).expect_err("locked");
    assert_eq!(code(e), "passphrase_unavailable");
    let e = call(
        &app,
        "identity_unlock",
        json!({ "identity": jonas, "passphrase": "wrong" }),
    )
    .expect_err("wrong passphrase");
    assert_eq!(code(e), "wrong_passphrase");
    call(
        &app,
        "identity_unlock",
        json!({ "identity": jonas, "passphrase": "demo" }),
    )
    .expect("unlock");
    let created = call(&app, "objection_raise", raise).expect("raised after unlock");
    let objection = created["id"].as_str().expect("id").to_owned();
    assert!(created["occurrences"].as_u64().expect("count") >= 1);

    // The ledger action crosses the boundary as its snake_case name.
    call(
        &app,
        "identity_unlock",
        json!({ "identity": priya, "passphrase": "demo" }),
    )
    .expect("unlock");
    let status = call(
        &app,
        "objection_move",
        json!({ "objection": objection, "action": "accept", "by": priya,
                "text": "Both namings stay; the intake lane reads the customer's name." }),
    )
    .expect("accept");
    assert_eq!(status, "accepted_residual");
    let info = call(&app, "workspace_info", json!({})).expect("info");
    assert_eq!(info["unlocked"].as_array().expect("array").len(), 2);
    call(&app, "lock_all", json!({})).expect("lock");
    let info = call(&app, "workspace_info", json!({})).expect("info");
    assert!(info["unlocked"].as_array().expect("array").is_empty());
}

#[test]
fn deciding_a_run_approval_reshapes_the_step_graph() {
    let app = app();
    let runs = call(&app, "run_list", json!({})).expect("run_list");
    let advocacy = runs
        .as_array()
        .expect("array")
        .iter()
        .find(|r| {
            r["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("Advocacy nomination"))
        })
        .expect("the demo's advocacy run")
        .clone();
    assert_eq!(advocacy["status"], "paused");
    assert_eq!(advocacy["pending_approvals"], 1);
    let run = advocacy["id"].as_str().expect("id").to_owned();

    let view = call(&app, "run_show", json!({ "run": run })).expect("run_show");
    assert_eq!(view["counts"]["approvals"]["pending"], 1);
    assert_eq!(view["architecture"].as_array().expect("layers").len(), 4);
    let last = view["steps"]
        .as_array()
        .expect("steps")
        .last()
        .expect("a step")
        .clone();
    assert_eq!(last["status"], "awaiting_approval");
    let approval = view["approvals"][0]["id"].as_str().expect("id").to_owned();
    let noor = view["approvals"][0]["approvers"][0]
        .as_str()
        .expect("a named approver")
        .to_owned();

    // The lineage of the nomination package goes back to the meeting.
    let package = view["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["role"] == "produced" && f["step"] == 2)
        .expect("the package")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let tree = call(&app, "run_lineage", json!({ "run": run, "item": package })).expect("lineage");
    assert_eq!(tree["kind"], "file");
    assert!(!tree["inputs"].as_array().expect("inputs").is_empty());

    let approve = json!({ "approval": approval, "asIdentity": noor, "note": null });
    let e = call(&app, "run_approve", approve.clone()).expect_err("locked");
    assert_eq!(code(e), "passphrase_unavailable");
    call(
        &app,
        "identity_unlock",
        json!({ "identity": noor, "passphrase": "demo" }),
    )
    .expect("unlock");
    let decided = call(&app, "run_approve", approve).expect("approved");
    assert_eq!(decided["status"], "approved");

    let view = call(&app, "run_show", json!({ "run": run })).expect("run_show");
    assert_eq!(view["counts"]["approvals"]["pending"], 0);
    assert_eq!(view["counts"]["approvals"]["approved"], 1);
    assert_ne!(view["status"], "paused");
    assert!(
        view["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .all(|s| s["status"] == "completed")
    );

    let e = call(
        &app,
        "run_reject",
        json!({ "approval": approval, "asIdentity": noor, "reason": "too late" }),
    )
    .expect_err("already decided");
    assert_eq!(e["class"], "refused");
}

#[test]
fn a_sync_pass_asks_for_the_pushers_key_then_pushes_and_reports_progress() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tauri::Listener;

    let app = app();
    let status = call(&app, "sync_status", json!({})).expect("sync_status");
    assert!(status["targets"].as_array().expect("targets").is_empty());
    assert!(status["replica"].as_str().expect("replica").len() == 32);

    let progress = Arc::new(AtomicUsize::new(0));
    let seen = progress.clone();
    app._app.listen_any("sync-progress", move |e| {
        let p: Value = serde_json::from_str(e.payload()).expect("json");
        assert!(p["target"].as_str().expect("target").starts_with("folder:"));
        assert!(
            ["listing", "uploading", "downloading"].contains(&p["phase"].as_str().expect("phase"))
        );
        seen.fetch_add(1, Ordering::SeqCst);
    });

    let shared = tempfile::tempdir().expect("tempdir");
    let target = json!({ "target": { "kind": "folder", "path": shared.path() } });
    // Whose key the first push signs with: one, the pusher's, although the demo's operations
    // were made by many identities (each signed its own).
    let needed = call(&app, "sync_keys_needed", target.clone()).expect("keys needed");
    let needed: Vec<String> = needed
        .as_array()
        .expect("array")
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(needed.len(), 1, "{needed:?}");
    // Without it the pass stops, naming it (short id) for the UI to ask.
    let e = call(&app, "sync_now", target.clone()).expect_err("locked");
    assert_eq!(code(e.clone()), "passphrase_unavailable");
    let message = e["message"].as_str().expect("message");
    assert!(
        message.contains(&format!("({})", &needed[0][..12])),
        "{message}"
    );
    for who in &needed {
        call(
            &app,
            "identity_unlock",
            json!({ "identity": who, "passphrase": "demo" }),
        )
        .expect("unlock");
    }
    let none = call(&app, "sync_keys_needed", target.clone()).expect("keys needed");
    assert!(none.as_array().expect("array").is_empty());
    // Then the pass runs in one go.
    let report = call(&app, "sync_now", target.clone()).expect("sync_now");
    let local = call(&app, "sync_status", json!({})).expect("status")["local_ops"].clone();
    // Everything but the genesis, which travels unsigned and went with the stopped pass.
    assert_eq!(
        report["pushed"]["ops"].as_u64().expect("ops") + 1,
        local.as_u64().expect("ops")
    );
    assert!(progress.load(Ordering::SeqCst) > 0, "no SyncProgress event");

    let status = call(&app, "sync_status", json!({})).expect("sync_status");
    let t = &status["targets"][0];
    assert_eq!(t["last_error"], Value::Null);
    assert_eq!(t["pending_ops"], 0);
    let name = t["target"].as_str().expect("name").to_owned();
    let again = call(
        &app,
        "sync_now",
        json!({ "target": { "kind": "known", "name": name } }),
    )
    .expect("known target");
    assert_eq!(again["pushed"]["ops"], 0);

    // A bad target is refused before anything is written; a regular file is no folder.
    let e = call(
        &app,
        "sync_now",
        json!({ "target": { "kind": "folder", "path": "relative/dir" } }),
    )
    .expect_err("relative");
    assert_eq!(code(e), "bad_target");
    let file = shared.path().join("workspace.json");
    let e = call(
        &app,
        "sync_now",
        json!({ "target": { "kind": "folder", "path": file } }),
    )
    .expect_err("a file");
    assert_eq!(code(e), "target_offline");
    let status = call(&app, "sync_status", json!({})).expect("sync_status");
    assert_eq!(status["targets"].as_array().expect("targets").len(), 2);
    assert!(
        status["targets"]
            .as_array()
            .expect("targets")
            .iter()
            .any(|t| t["last_error_code"] == "target_offline")
    );
    assert!(status["diverged"].as_array().expect("diverged").is_empty());
}
