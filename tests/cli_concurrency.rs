//! Several processes writing to one workspace at once: they wait for each other (busy timeout)
//! and every write lands, in one unbroken audit chain.

use std::collections::BTreeSet;

use crate::common::*;

const WRITERS: usize = 4;
const EACH: usize = 6;

#[test]
fn concurrent_writers_all_succeed_and_the_audit_chain_holds() {
    let Cast {
        ws,
        owner,
        reviewer,
        other,
        packet,
    } = Cast::new();
    let agent = ws.agent("Chronology Agent");
    let authors = [owner.clone(), reviewer, other, agent];
    let rev = ws.revise(
        &packet,
        "The ledger sync service was unavailable.\n",
        &owner,
    );
    let packets: Vec<String> = (0..WRITERS)
        .map(|w| ws.packet(&format!("Packet {w}"), &owner))
        .collect();
    let before = ws.events();

    // Phase 1: every writer adds comments to the same packet.
    std::thread::scope(|scope| {
        for (w, author) in authors.iter().enumerate() {
            let (ws, packet, rev) = (&ws, &packet, &rev);
            scope.spawn(move || {
                for i in 0..EACH {
                    let body = format!("writer {w} comment {i}");
                    let (code, out, err) = ws.run([
                        "comment",
                        "add",
                        packet,
                        "--revision",
                        rev,
                        "--quote",
                        "ledger sync",
                        "--body",
                        &body,
                        "--author",
                        author,
                    ]);
                    assert_eq!(code, 0, "{body}: {err}");
                    assert_hex(out.trim(), 32);
                }
            });
        }
    });
    let threads = ws.threads(&packet, None);
    assert_eq!(threads.len(), WRITERS * EACH);
    let bodies: BTreeSet<String> = threads
        .iter()
        .map(|t| s(&t["messages"][0]["body"]).to_owned())
        .collect();
    let expected: BTreeSet<String> = (0..WRITERS)
        .flat_map(|w| (0..EACH).map(move |i| format!("writer {w} comment {i}")))
        .collect();
    assert_eq!(bodies, expected);
    assert_eq!(ws.events(), before + (WRITERS * EACH) as u64);

    // Phase 2: every writer revises its own packet.
    std::thread::scope(|scope| {
        for (w, author) in authors.iter().enumerate() {
            let (ws, packet) = (&ws, &packets[w]);
            scope.spawn(move || {
                for i in 0..EACH {
                    let f = ws.file(format!("Packet {w}, revision {i}.\n"));
                    let (code, out, err) = ws.run([
                        "packet".as_ref(),
                        "revise".as_ref(),
                        packet.as_ref(),
                        "--file".as_ref(),
                        f.as_os_str(),
                        "--author".as_ref(),
                        author.as_ref() as &std::ffi::OsStr,
                    ]);
                    assert_eq!(code, 0, "writer {w} revision {i}: {err}");
                    assert_digest(out.trim());
                }
            });
        }
    });
    for (w, packet) in packets.iter().enumerate() {
        let log = ws.log(packet);
        assert_eq!(log.len(), EACH);
        for (i, r) in log.iter().rev().enumerate() {
            assert_eq!(
                r["content_digest"],
                sha256(format!("Packet {w}, revision {i}.\n").as_bytes())
            );
        }
        for pair in log.windows(2) {
            assert_eq!(pair[0]["parents"], serde_json::json!([pair[1]["id"]]));
        }
    }
    assert_eq!(ws.events(), before + 2 * (WRITERS * EACH) as u64);
}

/// Start every command at once, then wait for all of them.
fn all_at_once(ws: &Ws, commands: &[Vec<&str>]) -> Vec<Run> {
    let children: Vec<_> = commands
        .iter()
        .map(|args| {
            ws.cmd(args)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            (
                out.status.code().unwrap(),
                String::from_utf8(out.stdout).unwrap(),
                String::from_utf8(out.stderr).unwrap(),
            )
        })
        .collect()
}

#[test]
fn concurrent_revisions_of_one_packet_form_a_single_parent_chain() {
    let Cast {
        ws,
        owner,
        reviewer,
        other,
        packet,
    } = Cast::new();
    let authors = [&owner, &reviewer, &other, &owner];
    let before = ws.events();
    // Three rounds; in each, every writer revises the packet at once.
    let rounds: Vec<Vec<String>> = (0..3)
        .map(|round| {
            (0..WRITERS)
                .map(|w| {
                    ws.file(format!("Writer {w}, draft {round}.\n"))
                        .display()
                        .to_string()
                })
                .collect()
        })
        .collect();
    for files in &rounds {
        let commands: Vec<Vec<&str>> = files
            .iter()
            .zip(authors)
            .map(|(file, author)| {
                vec![
                    "packet", "revise", &packet, "--file", file, "--author", author,
                ]
            })
            .collect();
        for (code, out, err) in all_at_once(&ws, &commands) {
            assert_eq!(code, 0, "{err}");
            assert_digest(out.trim());
        }
    }
    let log = ws.log(&packet);
    assert_eq!(log.len(), 3 * WRITERS);
    // Newest first: each revision's only parent is the one made just before it.
    for pair in log.windows(2) {
        assert_eq!(
            pair[0]["parents"],
            serde_json::json!([pair[1]["id"]]),
            "a fork in {log:#?}"
        );
    }
    assert_eq!(log.last().unwrap()["parents"], serde_json::json!([]));
    assert_eq!(ws.events(), before + (3 * WRITERS) as u64);
}

#[test]
fn concurrent_ledger_moves_on_one_objection_let_exactly_one_through() {
    let Cast {
        ws,
        owner,
        reviewer,
        other,
        packet,
    } = Cast::new();
    let rev = ws.revise(
        &packet,
        "Service was fully restored at 14:05 UTC.\n",
        &owner,
    );
    let o = ws.raise(&packet, &rev, "fully restored", &reviewer, true);
    let thread = ws.comment(&packet, &rev, "14:05 UTC", &other);
    let before = ws.events();

    let rounds = 3;
    for round in 0..rounds {
        // Every move is legal from `open`; only the first to land may be recorded.
        let commands: Vec<Vec<&str>> = vec![
            vec!["objection", "resolve", &o, "--by", &owner],
            vec!["objection", "withdraw", &o, "--by", &reviewer],
            vec!["objection", "resolve", &o, "--by", &reviewer],
            vec![
                "objection",
                "accept",
                &o,
                "--by",
                &owner,
                "--rationale",
                "Both readings stay.",
            ],
        ];
        let runs = all_at_once(&ws, &commands);
        let won: Vec<_> = runs.iter().filter(|r| r.0 == 0).collect();
        assert_eq!(
            won.len(),
            1,
            "round {round}: exactly one move may win: {runs:#?}"
        );
        for (code, _, err) in runs.iter().filter(|r| r.0 != 0) {
            assert_eq!(*code, 1, "{err}");
            assert!(
                err.contains("cannot"),
                "a lost race is an illegal transition: {err}"
            );
        }
        let status = won[0].1.trim().rsplit(' ').next().unwrap().to_owned();
        let v = ws.objection(&packet, &o, None);
        assert_eq!(v["status"], status.as_str());
        let history = v["history"].as_array().unwrap();
        assert_eq!(history.len(), 2 * round + 1);
        assert_eq!(history.last().unwrap()["from"], "open");
        assert_eq!(history.last().unwrap()["to"], status.as_str());
        ws.ok([
            "objection",
            "reopen",
            &o,
            "--by",
            &other,
            "--reason",
            "Next round.",
        ]);
    }

    let commands: Vec<Vec<&str>> = [&owner, &reviewer, &other]
        .iter()
        .map(|by| vec!["comment", "resolve", &thread, "--by", by])
        .collect();
    let runs = all_at_once(&ws, &commands);
    assert_eq!(runs.iter().filter(|r| r.0 == 0).count(), 1, "{runs:#?}");
    for (code, _, err) in runs.iter().filter(|r| r.0 != 0) {
        assert_eq!(*code, 1);
        assert!(err.contains("already resolved"), "{err}");
    }
    assert_eq!(ws.events(), before + 2 * rounds as u64 + 1);
}

#[test]
fn check_while_another_process_writes_is_not_mistaken_for_tampering() {
    let Cast {
        ws,
        owner,
        reviewer,
        packet,
        ..
    } = Cast::new();
    let rev = ws.revise(
        &packet,
        "The ledger sync service was unavailable.\n",
        &owner,
    );
    let before = ws.events();
    let writing = std::sync::atomic::AtomicBool::new(true);
    let checks = std::thread::scope(|scope| {
        let writers: Vec<_> = [&owner, &reviewer]
            .into_iter()
            .map(|author| {
                let (ws, packet, rev) = (&ws, &packet, &rev);
                scope.spawn(move || {
                    for i in 0..10 {
                        let body = format!("comment {i}");
                        let args = [
                            "comment",
                            "add",
                            packet,
                            "--revision",
                            rev,
                            "--quote",
                            "ledger",
                            "--body",
                            &body,
                            "--author",
                            author,
                        ];
                        let (code, _, err) = ws.run(args);
                        assert_eq!(code, 0, "{err}");
                    }
                })
            })
            .collect();
        let checker = scope.spawn(|| {
            let mut n = 0;
            while writing.load(std::sync::atomic::Ordering::Relaxed) || n < 5 {
                let (code, out, err) = ws.run(["check"]);
                assert_eq!(
                    code, 0,
                    "check failed while another process wrote:\n{out}{err}"
                );
                n += 1;
            }
            n
        });
        for w in writers {
            w.join().unwrap();
        }
        writing.store(false, std::sync::atomic::Ordering::Relaxed);
        checker.join().unwrap()
    });
    assert!(checks >= 5);
    assert_eq!(ws.events(), before + 20);
}
