//! Anchoring comments and objections to exact wording, and re-anchoring them onto new revisions.

use serde_json::{Value, json};

use crate::common::*;

/// The char-offset position of the `nth` (0-based) occurrence of `quote` in `text`.
fn at(text: &str, quote: &str, nth: usize) -> Value {
    let (b, _) = text
        .match_indices(quote)
        .nth(nth)
        .unwrap_or_else(|| panic!("{quote:?} does not occur {} times", nth + 1));
    let start = text[..b].chars().count();
    json!({ "start": start, "end": start + quote.chars().count() })
}

const R1: &str = "# Outage disclosure — Meridian Freight\n\n\
Summary: the ledger sync service was unavailable for most of the working day.\n\n\
Restoration: service was fully restored at 14:05 UTC.\n\n\
Commitments: we will credit the monthly fee for November.\n";

const SHIFTED: &str = "credit the monthly fee";
const DELETED: &str = "fully restored at 14:05 UTC";
const DUPLICATED: &str = "for most of the working day";
const COMMENTED: &str = "ledger sync service";

#[test]
fn reanchoring_follows_moved_wording_outdates_deleted_wording_and_lets_context_pick_duplicates() {
    let Cast {
        ws,
        owner,
        reviewer,
        other,
        packet,
    } = Cast::new();
    let r1 = ws.revise(&packet, R1, &owner);
    let shifted = ws.raise(&packet, &r1, SHIFTED, &reviewer, true);
    let deleted = ws.raise(&packet, &r1, DELETED, &reviewer, true);
    let duplicated = ws.raise(&packet, &r1, DUPLICATED, &other, false);
    let thread = ws.comment(&packet, &r1, COMMENTED, &other);

    let check_r1 = || {
        for (id, quote) in [
            (&shifted, SHIFTED),
            (&deleted, DELETED),
            (&duplicated, DUPLICATED),
        ] {
            let o = ws.objection(&packet, id, Some(&r1));
            assert_eq!(o["anchor_state"], "anchored", "{o}");
            assert_eq!(o["position"], at(R1, quote, 0), "{quote}");
            assert_eq!(o["quote"], quote);
            assert_eq!(o["revision"], r1.as_str());
            assert_eq!(o["raised_on"], r1.as_str());
        }
        let t = &ws.threads(&packet, Some(&r1))[0];
        assert_eq!(t["id"], thread.as_str());
        assert_eq!(t["position"], at(R1, COMMENTED, 0));
    };
    check_r1();

    // r2: text inserted before every quote. Positions shift by the inserted chars.
    let r2_text = R1.replace(
        "\n\nSummary",
        "\n\nAudience: Meridian’s executive lane — read first.\n\nSummary",
    );
    let r2 = ws.revise(&packet, &r2_text, &owner);
    for (id, quote) in [
        (&shifted, SHIFTED),
        (&deleted, DELETED),
        (&duplicated, DUPLICATED),
    ] {
        let o = ws.objection(&packet, id, None);
        assert_eq!(o["revision"], r2.as_str());
        assert_eq!(o["anchor_state"], "anchored", "{o}");
        assert_eq!(o["position"], at(&r2_text, quote, 0), "{quote} on r2");
        assert_ne!(o["position"], at(R1, quote, 0));
        assert_eq!(o["current_quote"], Value::Null);
    }
    assert_eq!(
        ws.threads(&packet, None)[0]["position"],
        at(&r2_text, COMMENTED, 0)
    );

    // r3: the restoration paragraph is gone. Its objection is outdated but still listed, open.
    let r3_text = r2_text.replace(
        "Restoration: service was fully restored at 14:05 UTC.\n\n",
        "",
    );
    let r3 = ws.revise(&packet, &r3_text, &owner);
    let o = ws.objection(&packet, &deleted, None);
    assert_eq!(o["anchor_state"], "outdated", "{o}");
    assert_eq!(o["position"], Value::Null);
    assert_eq!(o["status"], "open");
    assert_eq!(o["blocking"], true);
    assert_eq!(o["quote"], DELETED, "the original wording is kept");
    assert_eq!(
        ws.objection(&packet, &shifted, None)["position"],
        at(&r3_text, SHIFTED, 0)
    );
    assert_eq!(ws.objections(&packet, None).len(), 3);
    let text = ws.ok(["objection", "list", &packet]);
    assert!(text.contains("OUTDATED"), "{text}");
    let listed = array(ws.json(["packet", "list"]));
    assert_eq!(listed[0]["open_objections"], 3);
    assert_eq!(listed[0]["open_blocking"], 2);

    // r4: the duplicated quote now also occurs earlier, nearer its old offset but in other
    // context. Context decides: the anchor stays on the original sentence (second occurrence).
    let r4_text = r3_text.replace(
        "Summary: the ledger",
        "Summary: reporting lagged for most of the working day; the ledger",
    );
    let r4 = ws.revise(&packet, &r4_text, &owner);
    let o = ws.objection(&packet, &duplicated, None);
    assert_eq!(o["anchor_state"], "anchored", "{o}");
    assert_eq!(
        o["position"],
        at(&r4_text, DUPLICATED, 1),
        "context must pick the original sentence"
    );
    let old = at(&r3_text, DUPLICATED, 0)["start"].as_u64().unwrap();
    let (first, second) = (
        at(&r4_text, DUPLICATED, 0)["start"].as_u64().unwrap(),
        at(&r4_text, DUPLICATED, 1)["start"].as_u64().unwrap(),
    );
    assert!(
        old.abs_diff(first) < old.abs_diff(second),
        "the test text must make nearness disagree"
    );
    assert_eq!(
        ws.objection(&packet, &deleted, None)["anchor_state"],
        "outdated"
    );

    // Every earlier revision still shows its own positions.
    check_r1();
    assert_eq!(
        ws.objection(&packet, &shifted, Some(&r2))["position"],
        at(&r2_text, SHIFTED, 0)
    );
    assert_eq!(
        ws.objection(&packet, &deleted, Some(&r2))["position"],
        at(&r2_text, DELETED, 0)
    );
    assert_eq!(
        ws.objection(&packet, &deleted, Some(&r3))["anchor_state"],
        "outdated"
    );

    // An objection raised now on r1 is placed on the head too.
    let late = ws.raise(&packet, &r1, SHIFTED, &other, false);
    let o = ws.objection(&packet, &late, Some(&r4));
    assert_eq!(o["position"], at(&r4_text, SHIFTED, 0));
    assert_eq!(o["raised_on"], r1.as_str());
    assert_eq!(
        ws.objection(&packet, &late, Some(&r1))["position"],
        at(R1, SHIFTED, 0)
    );
    assert_eq!(
        ws.threads(&packet, Some(&r4))[0]["position"],
        at(&r4_text, COMMENTED, 0)
    );
    ws.events();
}

#[test]
fn a_repeated_quote_is_anchored_to_the_chosen_occurrence_with_a_note() {
    let Cast {
        ws,
        owner,
        reviewer,
        packet,
        ..
    } = Cast::new();
    let text = "We apologise. We apologise again. We apologise once more.\n";
    let rev = ws.revise(&packet, text, &owner);
    let raise = |occurrence: &str| {
        ws.run([
            "objection",
            "raise",
            &packet,
            "--revision",
            &rev,
            "--quote",
            "We apologise",
            "--body",
            "Too many.",
            "--author",
            &reviewer,
            "--occurrence",
            occurrence,
        ])
    };
    let (code, out, err) = raise("2");
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("occurs 3 times") && err.contains("occurrence 2"),
        "{err}"
    );
    let id = out.trim().to_owned();
    assert_eq!(
        ws.objection(&packet, &id, None)["position"],
        at(text, "We apologise", 1)
    );

    let before = ws.snapshot();
    let (code, out, err) = raise("4");
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(
        err.contains("occurs 3 time(s)") && err.contains("occurrence 4"),
        "{err}"
    );
    ws.assert_unchanged(&before, "an occurrence past the last");
}

#[test]
fn a_quote_not_in_the_revision_is_refused_and_nothing_is_written() {
    let Cast {
        ws,
        owner,
        reviewer,
        packet,
        ..
    } = Cast::new();
    let r1 = ws.revise(&packet, "Service was restored at 14:05 UTC.\n", &owner);
    ws.revise(
        &packet,
        "Service was fully restored at 14:05 UTC.\n",
        &owner,
    );
    let before = ws.snapshot();

    for what in [["comment", "add"], ["objection", "raise"]] {
        for (quote, expect) in [
            (
                "restored at 15:00",
                "the quote was not found in this revision",
            ),
            ("fully restored", "the quote was not found in this revision"),
            (
                "service was restored",
                "the quote was not found in this revision",
            ),
            ("   ", "the quote is empty"),
        ] {
            let args = [
                what[0],
                what[1],
                &packet,
                "--revision",
                &r1,
                "--quote",
                quote,
                "--body",
                "b",
                "--author",
                &reviewer,
            ];
            let err = ws.fails(2, args);
            assert!(err.contains(expect), "{what:?} {quote:?}: {err}");
        }
        let args = [
            what[0],
            what[1],
            &packet,
            "--revision",
            &r1,
            "--quote",
            "fully restored",
            "--body",
            "b",
            "--author",
            &reviewer,
        ];
        assert_eq!(ws.fails_code(2, args), "quote_not_found");
    }
    // An empty body is refused too.
    let err = ws.fails(
        2,
        [
            "objection",
            "raise",
            &packet,
            "--revision",
            &r1,
            "--quote",
            "restored",
            "--body",
            " ",
            "--author",
            &reviewer,
        ],
    );
    assert!(err.contains("empty"), "{err}");
    ws.assert_unchanged(&before, "quotes not found");
}

/// A quote typed on one line where the revision breaks the line is anchored on the revision's
/// own wording (it was refused as not found: the app maps selections, but the CLI takes what was
/// typed). The annotation shows the text as it reads, at its exact position.
#[test]
fn a_quote_typed_across_a_line_break_is_anchored_on_the_revisions_wording() {
    let Cast {
        ws,
        owner,
        reviewer,
        packet,
        ..
    } = Cast::new();
    let text = "Restoration: service was fully\nrestored at 14:05 UTC.\n";
    let r1 = ws.revise(&packet, text, &owner);
    let id = ws.raise(&packet, &r1, "service was fully restored", &reviewer, false);
    let o = ws.objection(&packet, &id, Some(&r1));
    assert_eq!(o["anchor_state"], "anchored", "{o}");
    assert_eq!(o["quote"], "service was fully\nrestored");
    assert_eq!(o["position"], at(text, "service was fully\nrestored", 0));
    ws.comment(&packet, &r1, "fully   restored at", &reviewer);
    assert_eq!(
        ws.threads(&packet, Some(&r1))[0]["position"],
        at(text, "fully\nrestored at", 0)
    );
}
