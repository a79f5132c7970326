//! Ids given on the command line: full, a unique prefix, unknown, or an ambiguous prefix.

use crate::common::*;

const UNKNOWN: &str = "0123456789abcdef0123456789abcdef";

#[test]
fn unknown_ids_are_refused_for_every_kind_and_nothing_is_written() {
    let Cast {
        ws,
        owner,
        reviewer,
        packet,
        ..
    } = Cast::new();
    let rev = ws.revise(&packet, "The quick brown fox.\n", &owner);
    let objection = ws.raise(&packet, &rev, "quick", &reviewer, false);
    let thread = ws.comment(&packet, &rev, "brown", &reviewer);
    let f = ws.file("Other wording.\n");
    let file = f.to_str().unwrap();
    let before = ws.snapshot();

    let cases: Vec<(&str, Vec<&str>)> = vec![
        (
            "identity",
            vec!["packet", "new", "--title", "T", "--owner", UNKNOWN],
        ),
        (
            "identity",
            vec![
                "packet",
                "revise",
                &packet,
                "--file",
                file,
                "--author",
                "zz-not-hex",
            ],
        ),
        ("packet", vec!["packet", "log", UNKNOWN]),
        (
            "packet",
            vec![
                "packet", "revise", UNKNOWN, "--file", file, "--author", &owner,
            ],
        ),
        (
            "revision",
            vec!["packet", "show", &packet, "--revision", UNKNOWN],
        ),
        (
            "revision",
            vec![
                "comment",
                "add",
                &packet,
                "--revision",
                "sha256:0123456789abcdef0123",
                "--quote",
                "fox",
                "--body",
                "b",
                "--author",
                &owner,
            ],
        ),
        (
            "objection",
            vec!["objection", "resolve", UNKNOWN, "--by", &reviewer],
        ),
        (
            "objection",
            vec![
                "objection",
                "reopen",
                "",
                "--by",
                &reviewer,
                "--reason",
                "r",
            ],
        ),
        (
            "comment thread",
            vec![
                "comment", "reply", UNKNOWN, "--body", "b", "--author", &owner,
            ],
        ),
        (
            "comment thread",
            vec!["comment", "resolve", UNKNOWN, "--by", &owner],
        ),
    ];
    for (what, args) in &cases {
        let err = ws.fails(2, args);
        assert!(
            err.contains(&format!("no {what} matches")),
            "{args:?}: {err}"
        );
        assert_eq!(ws.fails_code(2, args), "not_found", "{args:?}");
    }
    ws.assert_unchanged(&before, "unknown ids");

    // The real ones, as unique prefixes, still work.
    assert_eq!(
        ws.ok([
            "objection",
            "resolve",
            &objection[..6],
            "--by",
            &reviewer[..6]
        ])
        .trim(),
        format!("{}: resolved", &objection[..6])
    );
    ws.ok([
        "comment",
        "reply",
        &thread[..6],
        "--body",
        "Fixed.",
        "--author",
        &owner[..6],
    ]);
    let threads = ws.threads(&packet[..6], Some(&rev[..13]));
    assert_eq!(threads[0]["messages"].as_array().unwrap().len(), 2);
    assert_eq!(ws.events(), before.events + 2);
}

#[test]
fn a_revision_of_another_packet_is_refused() {
    let Cast {
        ws, owner, packet, ..
    } = Cast::new();
    let other = ws.packet("Another packet", &owner);
    let mine = ws.revise(&packet, "mine\n", &owner);
    let theirs = ws.revise(&other, "theirs\n", &owner);
    let before = ws.snapshot();
    let err = ws.fails(2, ["packet", "show", &packet, "--revision", &theirs]);
    assert!(err.contains("does not belong to packet"), "{err}");
    let err = ws.fails(
        2,
        [
            "objection",
            "raise",
            &other,
            "--revision",
            &mine,
            "--quote",
            "mine",
            "--body",
            "b",
            "--author",
            &owner,
        ],
    );
    assert!(err.contains("does not belong to packet"), "{err}");
    ws.assert_unchanged(&before, "a revision of another packet");
}

#[test]
fn ambiguous_id_prefixes_are_refused_for_every_kind_and_nothing_is_written() {
    let Cast {
        ws,
        owner,
        reviewer,
        packet,
        ..
    } = Cast::new();

    // Identities: three exist already; add more until two share a first character.
    let mut people = array(ws.json(["identity", "list"]))
        .iter()
        .map(|i| s(&i["id"]).to_owned())
        .collect::<Vec<_>>();
    while shared_first_char(&people).is_none() {
        people.push(ws.identity(&format!("Reviewer {}", people.len()), &["reviewer"]));
    }
    let (id_char, id_a, id_b) = shared_first_char(&people).unwrap();

    let mut packets = vec![packet.clone()];
    while shared_first_char(&packets).is_none() {
        packets.push(ws.packet(&format!("Packet {}", packets.len()), &owner));
    }
    let (p_char, p_a, p_b) = shared_first_char(&packets).unwrap();

    let (r_char, r_a, r_b) = until_shared_prefix(|i| {
        ws.revise(&packet, format!("The quick brown fox, take {i}.\n"), &owner)
    });
    let head = s(&ws.log(&packet)[0]["id"]).to_owned();
    let (o_char, o_a, o_b) =
        until_shared_prefix(|_| ws.raise(&packet, &head, "quick brown", &reviewer, false));
    let (t_char, t_a, t_b) = until_shared_prefix(|_| ws.comment(&packet, &head, "fox", &reviewer));

    let f = ws.file("New wording.\n");
    let file = f.to_str().unwrap();
    let (id_p, p_p, r_p, o_p, t_p) = (
        id_char.to_string(),
        p_char.to_string(),
        r_char.to_string(),
        o_char.to_string(),
        t_char.to_string(),
    );
    let before = ws.snapshot();
    let cases: Vec<(&str, [&str; 2], Vec<&str>)> = vec![
        (
            "identity",
            [&id_a, &id_b],
            vec!["packet", "new", "--title", "T", "--owner", &id_p],
        ),
        (
            "packet",
            [&p_a, &p_b],
            vec!["packet", "revise", &p_p, "--file", file, "--author", &owner],
        ),
        (
            "revision",
            [&r_a, &r_b],
            vec![
                "objection",
                "raise",
                &packet,
                "--revision",
                &r_p,
                "--quote",
                "fox",
                "--body",
                "b",
                "--author",
                &owner,
            ],
        ),
        (
            "objection",
            [&o_a, &o_b],
            vec!["objection", "withdraw", &o_p, "--by", &reviewer],
        ),
        (
            "comment thread",
            [&t_a, &t_b],
            vec!["comment", "reply", &t_p, "--body", "b", "--author", &owner],
        ),
    ];
    for (noun, [a, b], args) in &cases {
        let err = ws.fails(2, args);
        assert!(err.contains("matches"), "{args:?}: {err}");
        assert!(
            err.contains(noun),
            "{args:?}: the error names what is ambiguous: {err}"
        );
        assert!(
            err.contains(a) && err.contains(b),
            "{args:?}: the error lists the candidates: {err}"
        );
        assert!(err.contains("give more characters"), "{args:?}: {err}");
        assert_eq!(ws.fails_code(2, args), "ambiguous_id", "{args:?}");
    }
    ws.assert_unchanged(&before, "ambiguous ids");

    // A longer prefix of the same id is unique again.
    let status = ws.json(["objection", "withdraw", &o_a[..8], "--by", &reviewer]);
    assert_eq!(status["status"], "withdrawn");
}
