//! Packets and their immutable revisions.

use crate::common::*;

#[test]
fn content_digest_is_sha256_of_the_content_without_bom_and_with_lf_line_endings() {
    let ws = Ws::init();
    let owner = ws.identity("Priya Raman", &["author"]);
    let packet = ws.packet("Outage disclosure", &owner);

    let raw = "\u{feff}# Outage\r\n\r\nLine one.\r\nLine two.\rLine three.\n";
    let normalized = "# Outage\n\nLine one.\nLine two.\nLine three.\n";
    let r1 = ws.revise(&packet, raw, &owner);
    // Nothing else is normalized: trailing spaces, a missing final newline, a second BOM.
    let untouched = "\u{feff}x  \n\ty  ";
    let r2 = ws.revise(&packet, format!("\u{feff}{untouched}"), &owner);

    let log = ws.log(&packet);
    assert_eq!(log.len(), 2);
    assert_eq!(log[1]["id"], r1.as_str());
    assert_eq!(log[1]["content_digest"], sha256(normalized.as_bytes()));
    assert_ne!(log[1]["content_digest"], sha256(raw.as_bytes()));
    assert_eq!(log[0]["id"], r2.as_str());
    assert_eq!(log[0]["content_digest"], sha256(untouched.as_bytes()));

    let shown = ws.json(["packet", "show", &packet, "--revision", &r1]);
    assert_eq!(shown["markdown"], normalized);
    assert_eq!(shown["revision"]["id"], r1.as_str());
    let shown = ws.json(["packet", "show", &packet]);
    assert_eq!(shown["markdown"], untouched);
    // Text output is the markdown itself.
    assert_eq!(
        ws.ok(["packet", "show", &packet, "--revision", &r1]),
        normalized
    );
}

#[test]
fn revising_with_the_head_content_is_refused_even_across_line_endings() {
    let ws = Ws::init();
    let owner = ws.identity("Priya Raman", &["author"]);
    let packet = ws.packet("Outage disclosure", &owner);
    let r1 = ws.revise(&packet, "one\ntwo\n", &owner);
    let before = ws.snapshot();

    for same in ["one\ntwo\n", "one\r\ntwo\r\n", "\u{feff}one\rtwo\r"] {
        let f = ws.file(same);
        let args = [
            "packet",
            "revise",
            &packet,
            "--file",
            f.to_str().unwrap(),
            "--author",
            &owner,
        ];
        let err = ws.fails(1, args);
        assert!(err.contains("no change"), "{same:?}: {err}");
        assert!(
            err.contains(&r1),
            "the error names the head revision: {err}"
        );
        assert_eq!(ws.fails_code(1, args), "no_change");
    }
    assert_eq!(ws.log(&packet).len(), 1);
    ws.assert_unchanged(&before, "an unchanged revision");
}

#[test]
fn going_back_to_earlier_wording_makes_a_new_revision_and_keeps_the_old_ones() {
    let ws = Ws::init();
    let owner = ws.identity("Priya Raman", &["author"]);
    let marcus = ws.identity("Marcus Ellery", &["author"]);
    let packet = ws.packet("Outage disclosure", &owner);
    let a = "Service was fully restored at 14:05 UTC.\n";
    let b = "Service was restored at 14:05 UTC; reporting caught up at 18:20 UTC.\n";

    let f = ws.file(a);
    let r1 = ws.created([
        "packet",
        "revise",
        &packet[..8],
        "--file",
        f.to_str().unwrap(),
        "--author",
        &owner[..10],
        "--message",
        "  first draft  ",
    ]);
    let r2 = ws.revise(&packet, b, &marcus);
    let r3 = ws.revise(&packet, a, &owner);
    assert_ne!(r3, r1, "earlier wording again is a new revision");
    assert_ne!(r3, r2);

    let log = ws.log(&packet);
    let ids: Vec<&str> = log.iter().map(|r| s(&r["id"])).collect();
    assert_eq!(ids, [r3.as_str(), r2.as_str(), r1.as_str()], "newest first");
    let numbers: Vec<u64> = log.iter().map(|r| r["number"].as_u64().unwrap()).collect();
    assert_eq!(numbers, [3, 2, 1]);
    let heads: Vec<bool> = log.iter().map(|r| r["head"].as_bool().unwrap()).collect();
    assert_eq!(heads, [true, false, false]);
    assert_eq!(log[0]["parents"], serde_json::json!([r2]));
    assert_eq!(log[1]["parents"], serde_json::json!([r1]));
    assert_eq!(log[2]["parents"], serde_json::json!([]));
    assert_eq!(log[0]["content_digest"], log[2]["content_digest"]);
    assert_eq!(log[0]["content_digest"], sha256(a.as_bytes()));
    assert_eq!(log[2]["message"], "first draft", "the message is trimmed");
    assert_eq!(log[2]["author"], owner.as_str());
    assert_eq!(log[1]["author_name"], "Marcus Ellery");

    // Every revision is still readable, by id or unique prefix.
    assert_eq!(
        ws.json(["packet", "show", &packet, "--revision", &r1])["markdown"],
        a
    );
    assert_eq!(
        ws.json(["packet", "show", &packet, "--revision", &r2[..20]])["markdown"],
        b
    );
    let bare_prefix = &bare(&r2)[..12];
    assert_eq!(
        ws.json(["packet", "show", &packet, "--revision", bare_prefix])["markdown"],
        b
    );
    assert_eq!(
        ws.json(["packet", "show", &packet])["revision"]["id"],
        r3.as_str()
    );

    let text = ws.ok(["packet", "log", &packet]);
    assert!(text.lines().next().unwrap().contains("(head)"), "{text}");
    assert!(text.contains(&r1) && text.contains("first draft"), "{text}");

    let list = array(ws.json(["packet", "list"]));
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["revisions"], 3);
    assert_eq!(list[0]["head"], r3.as_str());
    assert_eq!(list[0]["title"], "Outage disclosure");
    assert_eq!(list[0]["owner"], owner.as_str());
    assert_eq!(ws.events(), 1 + 2 + 1 + 3);
}

#[test]
fn a_packet_with_an_empty_or_blank_title_is_refused_and_nothing_is_written() {
    let ws = Ws::init();
    let owner = ws.identity("Priya Raman", &["author"]);
    let before = ws.snapshot();
    for title in ["", " ", "\t  \t"] {
        let err = ws.fails(2, ["packet", "new", "--title", title, "--owner", &owner]);
        assert!(err.contains("the title is empty"), "{title:?}: {err}");
    }
    assert_eq!(
        ws.fails_code(2, ["packet", "new", "--title", "  ", "--owner", &owner]),
        "bad_name"
    );
    let err = ws.fails(
        2,
        ["packet", "new", "--title", "line\nbreak", "--owner", &owner],
    );
    assert!(err.contains("control character"), "{err}");
    ws.assert_unchanged(&before, "blank titles");

    let id = ws.packet("  Outage disclosure  ", &owner);
    let list = array(ws.json(["packet", "list"]));
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(
        list[0]["title"], "Outage disclosure",
        "the title is trimmed"
    );
}

#[test]
fn revise_refuses_a_file_that_is_not_utf8_or_is_over_16_mib() {
    let ws = Ws::init();
    let owner = ws.identity("Priya Raman", &["author"]);
    let packet = ws.packet("Outage disclosure", &owner);
    ws.revise(&packet, "# Draft\n", &owner);
    let before = ws.snapshot();
    let revise = |path: &std::path::Path| {
        vec![
            "packet".to_owned(),
            "revise".to_owned(),
            packet.clone(),
            "--file".to_owned(),
            path.to_str().unwrap().to_owned(),
            "--author".to_owned(),
            owner.clone(),
        ]
    };

    let latin1 = ws.file(b"Caf\xe9 au lait\n");
    let err = ws.fails(2, revise(&latin1));
    assert!(err.contains("not UTF-8"), "{err}");
    assert!(err.contains("offset 3"), "the error says where: {err}");
    assert_eq!(ws.fails_code(2, revise(&latin1)), "not_utf8");

    const MIB16: usize = 16 * 1024 * 1024;
    let mut big = vec![b'a'; MIB16 + 1];
    big[MIB16] = b'\n';
    let too_big = ws.file(&big);
    let err = ws.fails(2, revise(&too_big));
    assert!(
        err.contains(&(MIB16 + 1).to_string()) && err.contains("16 MiB"),
        "{err}"
    );
    assert_eq!(ws.fails_code(2, revise(&too_big)), "too_large");

    let missing = ws.root().join("files").join("missing.md");
    let err = ws.fails(2, revise(&missing));
    assert!(err.contains("missing.md"), "{err}");
    ws.assert_unchanged(&before, "refused files");

    // Exactly 16 MiB is allowed.
    big.truncate(MIB16);
    let at_limit = ws.file(&big);
    drop(big);
    let (code, _, err) = ws.run(revise(&at_limit));
    assert_eq!(code, 0, "{err}");
    assert_eq!(ws.log(&packet).len(), 2);
}

#[test]
fn created_ids_and_lists_have_the_documented_json_shapes() {
    let ws = Ws::init();
    let owner = ws.identity("Priya Raman", &["author"]);
    let packet = s(&ws.json(["packet", "new", "--title", "T", "--owner", &owner])["id"]).to_owned();
    assert_hex(&packet, 32);
    let f = ws.file("The quick brown fox.\n");
    let v = ws.json([
        "packet",
        "revise",
        &packet,
        "--file",
        f.to_str().unwrap(),
        "--author",
        &owner,
    ]);
    let rev = s(&v["id"]).to_owned();
    assert_digest(&rev);
    let quote_args = |what: &'static str| {
        vec![
            what,
            "add",
            &packet,
            "--revision",
            &rev,
            "--quote",
            "quick",
            "--body",
            "b",
            "--author",
            &owner,
        ]
    };
    let thread = ws.json(quote_args("comment"));
    assert_hex(s(&thread["id"]), 32);
    let mut raise = quote_args("objection");
    raise[1] = "raise";
    let objection = ws.json(&raise);
    assert_hex(s(&objection["id"]), 32);

    for args in [
        vec!["identity", "list"],
        vec!["packet", "list"],
        vec!["packet", "log", &packet],
        vec!["comment", "list", &packet],
        vec!["objection", "list", &packet],
    ] {
        let v = array(ws.json(&args));
        assert_eq!(v.len(), 1, "{args:?}");
    }
    let o = &ws.objections(&packet, None)[0];
    for key in [
        "id",
        "status",
        "blocking",
        "quote",
        "anchor_state",
        "position",
        "residual",
    ] {
        assert!(o.get(key).is_some(), "objection list lacks {key}: {o}");
    }
    assert_eq!(o["status"], "open");
    assert_eq!(o["blocking"], false);
    assert_eq!(o["quote"], "quick");
    assert_eq!(o["anchor_state"], "anchored");
    assert_eq!(o["position"], serde_json::json!({"start": 4, "end": 9}));
    assert_eq!(o["residual"], serde_json::Value::Null);
}
