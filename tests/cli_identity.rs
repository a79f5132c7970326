//! `identity add` and `identity list`.

use crate::common::*;

#[test]
fn identity_add_prints_only_the_new_id_and_identity_list_shows_it() {
    let ws = Ws::init();
    let priya = ws.identity("Priya Raman", &["release-owner", "author", "author"]);
    let agent = ws.agent("Chronology Agent");
    // --json: an object with the id.
    let v = ws.json([
        "identity",
        "add",
        "--name",
        "Dana Okafor",
        "--role",
        "legal",
        "--role",
        "release_owner",
    ]);
    let dana = s(&v["id"]).to_owned();
    assert_hex(&dana, 64);
    assert_ne!(priya, dana);

    let list = array(ws.json(["identity", "list"]));
    assert_eq!(list.len(), 3);
    let find = |id: &str| {
        list.iter()
            .find(|i| i["id"] == id)
            .unwrap_or_else(|| panic!("{id} missing"))
    };
    let p = find(&priya);
    assert_eq!(p["name"], "Priya Raman");
    assert_eq!(p["kind"], "human");
    assert_eq!(
        p["roles"],
        serde_json::json!(["author", "release-owner"]),
        "sorted, without repeats"
    );
    assert_hex(s(&p["public_key"]), 64);
    assert_eq!(find(&agent)["kind"], "agent");
    assert_eq!(
        find(&dana)["roles"],
        serde_json::json!(["legal", "release-owner"])
    );

    // The identity id is the SHA-256 fingerprint of the public key.
    let public = (0..64)
        .step_by(2)
        .map(|i| u8::from_str_radix(&s(&p["public_key"])[i..i + 2], 16).unwrap())
        .collect::<Vec<u8>>();
    assert_eq!(sha256(&public), format!("sha256:{priya}"));

    let text = ws.ok(["identity", "list"]);
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(
        text.contains(&priya[..12]) && text.contains("Priya Raman"),
        "{text}"
    );
    assert!(text.contains("agent"), "{text}");
    assert_eq!(ws.events(), 4);
}

#[test]
fn an_unknown_role_or_a_blank_name_is_refused_and_nothing_is_written() {
    let ws = Ws::init();
    ws.identity("Priya Raman", &["author"]);
    let before = ws.snapshot();

    let err = ws.fails(
        2,
        [
            "identity", "add", "--name", "Marcus", "--role", "author", "--role", "boss",
        ],
    );
    assert!(err.contains("unknown role `boss`"), "{err}");
    assert!(
        err.contains("release-owner"),
        "the error lists the known roles: {err}"
    );
    assert_eq!(
        ws.fails_code(2, ["identity", "add", "--name", "Marcus", "--role", "boss"]),
        "unknown_role"
    );

    for name in ["", "   ", "two\nlines"] {
        let err = ws.fails(2, ["identity", "add", "--name", name, "--role", "author"]);
        assert!(err.contains("the name"), "{name:?}: {err}");
    }
    // A role is required (a usage error from the argument parser).
    let (code, out, err) = ws.run(["identity", "add", "--name", "Marcus"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("--role"), "{err}");
    ws.assert_unchanged(&before, "refused identities");
}
