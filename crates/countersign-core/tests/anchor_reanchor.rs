//! Scenario tests for anchoring and re-anchoring wording.

use countersign_core::anchor::{
    Anchor, AnchorError, CONTEXT_CHARS, MIN_EVIDENCE_CHARS, Resolution, anchor_at_bytes,
    anchor_quote, byte_offsets_to_chars, char_ranges_to_bytes, reanchor, reanchor_all,
};

const TERMS: &str = "# Terms\n\n\
    The supplier shall deliver the goods within thirty days of the order.\n\n\
    Payment is due on delivery, by bank transfer to the account named in the invoice.\n\n\
    Either party may end this agreement with ninety days of written notice.\n";

/// The text an anchor points at, via its char offsets.
fn text_at<'t>(text: &'t str, anchor: &Anchor) -> &'t str {
    let bytes = char_ranges_to_bytes(text, std::slice::from_ref(&(anchor.start..anchor.end)));
    let range = bytes[0]
        .clone()
        .expect("anchor offsets lie inside the text");
    &text[range]
}

fn anchored(resolution: Resolution) -> (Anchor, bool) {
    match resolution {
        Resolution::Anchored { anchor, exact } => (anchor, exact),
        Resolution::Outdated => panic!("expected the anchor to be found"),
    }
}

/// Asserts `reanchor_all` agrees with `reanchor` on one anchor and returns the resolution.
fn both(anchor: &Anchor, text: &str) -> Resolution {
    let one = reanchor(anchor, text);
    assert_eq!(
        reanchor_all(std::slice::from_ref(anchor), text),
        vec![one.clone()]
    );
    one
}

#[test]
fn anchor_quote_records_context_and_offsets() {
    let (a, count) = anchor_quote(TERMS, "within thirty days", 1).unwrap();
    assert_eq!(count, 1);
    assert_eq!(a.quote, "within thirty days");
    assert_eq!(a.prefix, "upplier shall deliver the goods ");
    assert_eq!(a.prefix.chars().count(), CONTEXT_CHARS);
    assert_eq!(a.suffix, " of the order.\n\nPayment is due o");
    assert_eq!(text_at(TERMS, &a), "within thirty days");
    assert_eq!(a.end - a.start, 18);
}

#[test]
fn text_inserted_before_shifts_the_position() {
    let (a, _) = anchor_quote(TERMS, "within thirty days", 1).unwrap();
    let inserted = "A new opening paragraph, with ünïcödé 😀.\n\n";
    let new = TERMS.replacen("# Terms\n\n", &format!("# Terms\n\n{inserted}"), 1);
    let (b, exact) = anchored(both(&a, &new));
    assert!(exact);
    assert_eq!(b.quote, a.quote);
    assert_eq!(b.start, a.start + inserted.chars().count());
    assert_eq!(b.end, a.end + inserted.chars().count());
    assert_eq!(
        (b.prefix.as_str(), b.suffix.as_str()),
        (a.prefix.as_str(), a.suffix.as_str())
    );
    assert_eq!(text_at(&new, &b), a.quote);
}

#[test]
fn slightly_edited_quote_is_found_fuzzily_with_the_new_wording() {
    let quote = "The supplier shall deliver the goods within thirty days";
    let (a, _) = anchor_quote(TERMS, quote, 1).unwrap();
    let new = TERMS.replace("within thirty days", "within 30 days");
    let (b, exact) = anchored(both(&a, &new));
    assert!(!exact);
    assert_eq!(
        b.quote,
        "The supplier shall deliver the goods within 30 days"
    );
    assert_eq!(b.start, a.start);
    assert_eq!(text_at(&new, &b), b.quote);

    // A one-word change inside a short quote.
    let (a, _) = anchor_quote(TERMS, "ninety days of written notice", 1).unwrap();
    let new = TERMS.replace(
        "ninety days of written notice",
        "ninety days of prior notice",
    );
    let (b, exact) = anchored(both(&a, &new));
    assert!(!exact);
    assert_eq!(b.quote, "ninety days of prior notice");
    assert_eq!(text_at(&new, &b), b.quote);
}

#[test]
fn deleted_quote_is_outdated() {
    let (a, _) = anchor_quote(TERMS, "by bank transfer", 1).unwrap();
    let new = TERMS.replace(
        "Payment is due on delivery, by bank transfer to the account named in the invoice.\n\n",
        "",
    );
    assert_eq!(both(&a, &new), Resolution::Outdated);
}

#[test]
fn rewritten_quote_is_outdated() {
    let (a, _) = anchor_quote(TERMS, "by bank transfer", 1).unwrap();
    let new = TERMS.replace("by bank transfer", "in cash or by cheque");
    assert_eq!(both(&a, &new), Resolution::Outdated);
}

#[test]
fn fuzzy_match_needs_context_on_both_sides() {
    let (a, _) = anchor_quote(TERMS, "ninety days of written notice", 1).unwrap();
    // The quote is edited and the text after it rewritten: only the left context stands.
    let new = TERMS.replace(
        "ninety days of written notice.\n",
        "ninety days of prior notice, sent by registered post.\n",
    );
    assert_eq!(both(&a, &new), Resolution::Outdated);
}

#[test]
fn duplicated_quote_context_decides() {
    let text = "Late delivery: a penalty of 5% applies per week.\n\n\
                Late payment: a penalty of 5% applies per month.\n";
    let (first, count) = anchor_quote(text, "a penalty of 5% applies", 1).unwrap();
    let (second, _) = anchor_quote(text, "a penalty of 5% applies", 2).unwrap();
    assert_eq!(count, 2);
    assert!(first.start < second.start);

    // A long insertion at the top moves the first occurrence to where the second one was, but
    // the context still picks the right one.
    let intro = "x".repeat(second.start - first.start) + "\n\n";
    let new = format!("{intro}{text}");
    let shift = intro.chars().count();
    let (b, exact) = anchored(both(&second, &new));
    assert!(exact);
    assert_eq!(b.start, second.start + shift);
    assert_eq!(b.suffix, second.suffix);
    let (b, _) = anchored(both(&first, &new));
    assert_eq!(b.start, first.start + shift);
}

#[test]
fn duplicated_quote_position_decides_when_context_ties() {
    let filler = "lorem ipsum dolor sit amet consectetur ";
    assert!(filler.len() > CONTEXT_CHARS);
    let block = format!("{filler}THE QUOTE{filler}\n");
    let text = block.repeat(3);
    let n = block.chars().count();
    let (first, count) = anchor_quote(&text, "THE QUOTE", 1).unwrap();
    assert_eq!(count, 3);
    let (second, _) = anchor_quote(&text, "THE QUOTE", 2).unwrap();
    let (third, _) = anchor_quote(&text, "THE QUOTE", 3).unwrap();
    assert_eq!(
        (second.start - first.start, third.start - second.start),
        (n, n)
    );
    assert_eq!(
        (&first.prefix, &first.suffix),
        (&second.prefix, &second.suffix)
    );

    for (a, expected) in [
        (&first, first.start),
        (&second, second.start),
        (&third, third.start),
    ] {
        let (b, exact) = anchored(both(a, &text));
        assert!(exact);
        assert_eq!(b.start, expected);
    }
    // Nearest to the old start wins...
    let near_third = Anchor {
        start: third.start - 3,
        ..second.clone()
    };
    assert_eq!(anchored(both(&near_third, &text)).0.start, third.start);
    // ...and on equal distance the earlier one.
    assert_eq!(n % 2, 0);
    let midway = Anchor {
        start: first.start + n / 2,
        ..second.clone()
    };
    assert_eq!(anchored(both(&midway, &text)).0.start, first.start);
}

#[test]
fn multibyte_text_uses_char_offsets() {
    let text = "Café 😀 — 中文条款：付款期限为三十天。 naïve résumé";
    let (a, _) = anchor_quote(text, "付款期限", 1).unwrap();
    let expected_start = text[..text.find("付款期限").unwrap()].chars().count();
    assert_eq!(a.start, expected_start);
    assert_eq!(a.end, expected_start + 4);
    assert_eq!(a.prefix, "Café 😀 — 中文条款：");
    assert_eq!(a.suffix, "为三十天。 naïve résumé");
    assert_eq!(text_at(text, &a), "付款期限");

    let new = format!("é😀中\n{text}");
    let (b, exact) = anchored(both(&a, &new));
    assert!(exact);
    assert_eq!(b.start, a.start + 4);
    assert_eq!(text_at(&new, &b), "付款期限");

    let (r, _) = anchor_quote(text, "résumé", 1).unwrap();
    assert_eq!(text_at(text, &r), "résumé");
    assert_eq!(r.end, text.chars().count());
    assert_eq!(r.suffix, "");
    let edited = text.replace("résumé", "resumé");
    let (b, exact) = anchored(both(&r, &edited));
    assert!(!exact);
    assert_eq!(b.quote, "resumé");

    let bytes: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    let chars = byte_offsets_to_chars(text, &bytes);
    assert_eq!(chars, (0..text.chars().count()).collect::<Vec<_>>());
}

#[test]
fn anchor_at_bytes_matches_anchor_quote_and_never_splits_chars() {
    let text = "naïve résumé 😀 done";
    let b0 = text.find("résumé").unwrap();
    let a = anchor_at_bytes(text, b0..b0 + "résumé".len());
    assert_eq!(a, anchor_quote(text, "résumé", 1).unwrap().0);

    // Inside the 4-byte emoji: the partly covered char is included.
    let e = text.find('😀').unwrap();
    let a = anchor_at_bytes(text, e + 1..e + 2);
    assert_eq!(a.quote, "😀");
    let a = anchor_at_bytes(text, e + 2..e + 6);
    assert_eq!(a.quote, "😀 d");
    // Out of range and inverted ranges.
    let a = anchor_at_bytes(text, 1000..2000);
    assert_eq!(
        (a.quote.as_str(), a.start, a.end),
        ("", text.chars().count(), text.chars().count())
    );
    assert_eq!(
        anchor_at_bytes(text, std::ops::Range { start: 5, end: 2 }).quote,
        ""
    );
}

#[test]
fn quote_at_start_and_end_of_text() {
    let text = "Alpha beta gamma delta epsilon";
    let (a, _) = anchor_quote(text, "Alpha beta", 1).unwrap();
    assert_eq!((a.prefix.as_str(), a.start, a.end), ("", 0, 10));
    let (z, _) = anchor_quote(text, "delta epsilon", 1).unwrap();
    assert_eq!(z.suffix, "");
    assert_eq!(z.end, text.chars().count());

    // Exact, with more text after / before.
    let (b, exact) = anchored(both(&a, "Alpha beta gamma delta epsilon zeta"));
    assert!(exact);
    assert_eq!(b.start, 0);
    let (b, _) = anchored(both(&z, "Omega. Alpha beta gamma delta epsilon"));
    assert_eq!(b.start, z.start + 7);

    // Fuzzy: the empty side must still be the start / end of the text.
    let (b, exact) = anchored(both(&a, "Alphas beta gamma delta epsilon"));
    assert!(!exact);
    assert_eq!((b.quote.as_str(), b.start), ("Alphas beta", 0));
    assert_eq!(
        both(&a, "Intro. Alphas beta gamma delta epsilon"),
        Resolution::Outdated
    );
    let (b, exact) = anchored(both(&z, "Alpha beta gamma delta Epsilon"));
    assert!(!exact);
    assert_eq!(b.quote, "delta Epsilon");
    assert_eq!(
        both(&z, "Alpha beta gamma delta Epsilon. The end."),
        Resolution::Outdated
    );

    // The whole text is the quote.
    let (w, _) = anchor_quote("All of it.", "All of it.", 1).unwrap();
    assert_eq!(anchored(both(&w, "All of it!")).0.quote, "All of it!");
}

#[test]
fn empty_and_missing_quotes_are_errors() {
    assert_eq!(anchor_quote(TERMS, "", 1), Err(AnchorError::EmptyQuote));
    assert_eq!(
        anchor_quote(TERMS, " \n\t ", 1),
        Err(AnchorError::EmptyQuote)
    );
    assert_eq!(
        anchor_quote(TERMS, "not there", 1),
        Err(AnchorError::QuoteNotFound)
    );
    assert_eq!(anchor_quote("", "x", 1), Err(AnchorError::QuoteNotFound));
    let empty = Anchor {
        quote: String::new(),
        prefix: "a".into(),
        suffix: "b".into(),
        start: 0,
        end: 0,
    };
    assert_eq!(both(&empty, TERMS), Resolution::Outdated);
}

#[test]
fn occurrences_count_overlaps_and_out_of_range_is_an_error() {
    let (a, count) = anchor_quote("aaa", "aa", 2).unwrap();
    assert_eq!((count, a.start, a.prefix.as_str()), (2, 1, "a"));
    assert_eq!(
        anchor_quote("aaa", "aa", 3),
        Err(AnchorError::OccurrenceOutOfRange { found: 2, asked: 3 })
    );
    // Occurrence 0 is taken as the first.
    assert_eq!(
        anchor_quote(TERMS, "days", 0),
        anchor_quote(TERMS, "days", 1)
    );
    assert_eq!(anchor_quote(TERMS, "days", 1).unwrap().1, 2);
}

#[test]
fn char_ranges_to_bytes_in_input_order() {
    let text = "aé😀中b";
    let got = char_ranges_to_bytes(
        text,
        &[
            3..5,
            0..1,
            1..3,
            5..5,
            4..6,
            std::ops::Range { start: 3, end: 2 },
            0..0,
        ],
    );
    assert_eq!(
        got,
        vec![
            Some(7..11),
            Some(0..1),
            Some(1..7),
            Some(11..11),
            None,
            None,
            Some(0..0)
        ]
    );
    assert_eq!(char_ranges_to_bytes(text, &[]), vec![]);
}

#[test]
fn reanchor_all_handles_many_kinds_at_once() {
    let (a, _) = anchor_quote(TERMS, "within thirty days", 1).unwrap();
    let (b, _) = anchor_quote(TERMS, "by bank transfer", 1).unwrap();
    let (c, _) = anchor_quote(TERMS, "ninety days of written notice", 1).unwrap();
    let (d, _) = anchor_quote(TERMS, "days", 2).unwrap();
    let new = TERMS
        .replace("by bank transfer", "in cash")
        .replace("written notice", "prior notice")
        .replace("# Terms", "# Terms of sale");
    let anchors = vec![a.clone(), b, c, d.clone(), a];
    let all = reanchor_all(&anchors, &new);
    let each: Vec<Resolution> = anchors.iter().map(|x| reanchor(x, &new)).collect();
    assert_eq!(all, each);
    assert!(matches!(all[0], Resolution::Anchored { exact: true, .. }));
    assert_eq!(all[1], Resolution::Outdated);
    assert!(matches!(all[2], Resolution::Anchored { exact: false, .. }));
    let shift = " of sale".len() as isize - ("by bank transfer".len() - "in cash".len()) as isize;
    assert_eq!(
        anchored(all[3].clone()).0.start as isize,
        d.start as isize + shift
    );
    assert!(anchored(all[3].clone()).0.prefix.ends_with("with ninety "));
}

// ---------------------------------------------------------------------------------------------
// Short and repeated quotes need their context (module docs, rule 3).

const AGREEMENT: &str = "# Service agreement\n\n\
    ## Refunds\n\n\
    Refunds are issued within 30 days of the cancellation, to the card used.\n\n\
    ## Support\n\n\
    Support tickets are answered within 30 days at the latest, on working days.\n";

#[test]
fn short_quote_whose_sentence_was_deleted_goes_outdated() {
    // A legal reviewer objects to "30 days" in the refund clause, and to "the" in it.
    let (days, count) = anchor_quote(AGREEMENT, "30 days", 1).unwrap();
    assert_eq!(count, 2);
    let (the, count) = anchor_quote(AGREEMENT, "the", 1).unwrap();
    assert_eq!(count, 3);
    assert!(the.suffix.starts_with(" cancellation"));

    // The refund sentence is deleted. The same words remain elsewhere, in another clause.
    let new = AGREEMENT.replace(
        "Refunds are issued within 30 days of the cancellation, to the card used.\n\n",
        "",
    );
    assert_eq!(new.matches("30 days").count(), 1);
    assert!(new.contains("the "));
    assert_eq!(both(&days, &new), Resolution::Outdated);
    assert_eq!(both(&the, &new), Resolution::Outdated);

    // Rewritten rather than deleted: outdated too, even though "30 days" survives in it.
    let new = AGREEMENT.replace(
        "Refunds are issued within 30 days of the cancellation, to the card used.",
        "No refunds are given; a credit note is offered instead, valid for 30 days.",
    );
    assert_eq!(both(&days, &new), Resolution::Outdated);

    // A long quote that occurs once needs no context: its sentence may be rewritten around it.
    let long = "answered within 30 days at the latest";
    assert!(long.chars().count() >= MIN_EVIDENCE_CHARS);
    let (a, _) = anchor_quote(AGREEMENT, long, 1).unwrap();
    let new = AGREEMENT.replace(
        "Support tickets are answered within 30 days at the latest, on working days.",
        "Every ticket is answered within 30 days at the latest!",
    );
    let (b, exact) = anchored(both(&a, &new));
    assert!(exact);
    assert_eq!(text_at(&new, &b), long);
}

#[test]
fn repeated_short_quote_keeps_its_own_occurrence_by_context() {
    let (refund, _) = anchor_quote(AGREEMENT, "30 days", 1).unwrap();
    let (support, _) = anchor_quote(AGREEMENT, "30 days", 2).unwrap();

    // The sections swap places and an introduction is added, and some words near both
    // occurrences change: the support clause's "30 days" is now nearer the refund anchor's old
    // offset than the refund clause's own. Context decides.
    let new = "# Service agreement\n\nThis agreement covers support and refunds.\n\n\
        ## Support\n\n\
        Support tickets are answered within 30 days at the latest, on working days only.\n\n\
        ## Refunds\n\n\
        Refunds are issued within 30 days of the cancellation, to the original card.\n";
    let first = new.find("30 days").unwrap();
    let second = new.rfind("30 days").unwrap();
    let char_at = |b: usize| new[..b].chars().count();
    assert!(char_at(first).abs_diff(refund.start) < char_at(second).abs_diff(refund.start));

    let (r, exact) = anchored(both(&refund, new));
    assert!(exact);
    assert_eq!(r.start, char_at(second));
    let (s, exact) = anchored(both(&support, new));
    assert!(exact);
    assert_eq!(s.start, char_at(first));

    // One occurrence's sentence goes: that anchor is outdated, the other one stays put.
    let shorter = new.replace(
        "Support tickets are answered within 30 days at the latest, on working days only.\n\n",
        "",
    );
    assert_eq!(both(&support, &shorter), Resolution::Outdated);
    let (r, _) = anchored(both(&refund, &shorter));
    assert_eq!(text_at(&shorter, &r), "30 days");
    assert!(r.suffix.starts_with(" of the cancellation"));
    assert_eq!(
        reanchor_all(&[refund, support], &shorter)
            .iter()
            .filter(|r| matches!(r, Resolution::Anchored { .. }))
            .count(),
        1
    );
}

#[test]
fn short_quote_moved_with_its_paragraph_still_anchors() {
    // "Refunds" opens its paragraph: moving the paragraph changes everything before it.
    let text = "Intro line.\n\nDeliveries arrive weekly.\n\nRefunds take a week to process.\n";
    let (a, _) = anchor_quote(text, "Refunds", 1).unwrap();
    let moved = "Refunds take a week to process.\n\nIntro line.\n\nDeliveries arrive weekly.\n";
    let (b, exact) = anchored(both(&a, moved));
    assert!(exact);
    assert_eq!((b.start, b.prefix.as_str()), (0, ""));

    // But a short quote whose surroundings are all new is outdated, not guessed.
    let elsewhere = "Summary.\n\nRefunds are rare.\n";
    assert_eq!(both(&a, elsewhere), Resolution::Outdated);
}

#[test]
fn short_edited_quote_is_found_fuzzily_rather_than_at_another_occurrence() {
    let (refund, _) = anchor_quote(AGREEMENT, "30 days", 1).unwrap();
    // The refund period becomes 31 days; the support clause still says 30 days.
    let new = AGREEMENT.replacen("30 days", "31 days", 1);
    let (b, exact) = anchored(both(&refund, &new));
    assert!(!exact);
    assert_eq!(b.quote, "31 days");
    assert_eq!(b.start, refund.start);
}

// ---------------------------------------------------------------------------------------------
// Whitespace does not count (module docs, rule 1).

const WRAPPED: &str = "The supplier shall deliver the goods\n\
    within thirty days of the order, and\n\
    shall invoice the buyer on delivery.\n";

#[test]
fn quote_across_reflowed_line_break_still_anchors() {
    let (a, _) = anchor_quote(WRAPPED, "the goods\nwithin thirty days", 1).unwrap();

    // Re-wrapped narrower: line breaks now fall inside the quote and all through its context.
    let narrow = "The supplier\nshall deliver the\ngoods within thirty\ndays of the\n\
        order, and shall invoice the\nbuyer on delivery.\n";
    let (b, exact) = anchored(both(&a, narrow));
    assert!(!exact, "the wording reads differently now");
    assert_eq!(b.quote, "the\ngoods within thirty\ndays");
    assert_eq!(text_at(narrow, &b), b.quote);
    assert_eq!((b.start, b.end), (a.start, a.end));
    assert_eq!(b.prefix, "The supplier\nshall deliver ");

    // Re-wrapped at other words: the quote's line break is now a space, and a line break
    // falls inside it elsewhere.
    let rewrapped = "The supplier shall deliver the goods within\n\
        thirty days of the order, and shall invoice\n\
        the buyer on delivery.\n";
    let (b, exact) = anchored(both(&a, rewrapped));
    assert!(!exact);
    assert_eq!(b.quote, "the goods within\nthirty days");
    assert_eq!(text_at(rewrapped, &b), b.quote);
    assert_eq!(b.start, a.start);

    // One long line, with double spaces and a tab.
    let joined = "The supplier shall deliver  the goods \t within thirty days of the order, and shall invoice the buyer on delivery.\n";
    let (b, exact) = anchored(both(&a, joined));
    assert!(!exact);
    assert_eq!(b.quote, "the goods \t within thirty days");
    assert_eq!(text_at(joined, &b), b.quote);

    // Reflowed back: the anchor is the original one again.
    let (c, exact) = anchored(both(&b, WRAPPED));
    assert!(!exact, "relative to the reflowed wording it was found from");
    assert_eq!(c, a);
    assert_eq!(
        both(&a, WRAPPED),
        Resolution::Anchored {
            anchor: a.clone(),
            exact: true
        }
    );

    // A short repeated quote whose *context* was reflowed keeps its occurrence too: "the"
    // before "goods" (suffix reflowed) and before "buyer" (prefix reflowed).
    for (occurrence, next) in [(1, " goods\nwithin"), (3, " buyer")] {
        let (the, count) = anchor_quote(WRAPPED, "the", occurrence).unwrap();
        assert_eq!(count, 3);
        assert!(the.suffix.starts_with(next));
        let (b, exact) = anchored(both(&the, rewrapped));
        assert!(exact);
        assert_eq!(b.start, the.start);
        assert_ne!((&b.prefix, &b.suffix), (&the.prefix, &the.suffix));
    }
}

#[test]
fn reflowed_quote_at_start_and_end_of_text() {
    let text = "Alpha beta\ngamma delta\nepsilon";
    let (head, _) = anchor_quote(text, "Alpha beta\ngamma", 1).unwrap();
    let (tail, _) = anchor_quote(text, "delta\nepsilon", 1).unwrap();
    assert_eq!((head.prefix.as_str(), tail.suffix.as_str()), ("", ""));
    let reflowed = "Alpha\nbeta gamma\ndelta epsilon";
    let (h, _) = anchored(both(&head, reflowed));
    assert_eq!(
        (h.quote.as_str(), h.start, h.prefix.as_str()),
        ("Alpha\nbeta gamma", 0, "")
    );
    let (t, _) = anchored(both(&tail, reflowed));
    assert_eq!((t.quote.as_str(), t.suffix.as_str()), ("delta epsilon", ""));
    assert_eq!(t.end, reflowed.chars().count());
    assert_eq!(text_at(reflowed, &t), t.quote);

    // Leading and trailing whitespace of a quote: kept byte for byte where the text still has
    // it, else the whole run the text has there.
    let (w, _) = anchor_quote(text, "\ngamma delta\n", 1).unwrap();
    let (x, exact) = anchored(both(&w, text));
    assert!(exact);
    assert_eq!(x, w);
    let (x, exact) = anchored(both(&w, "Alpha beta  gamma delta \n epsilon"));
    assert!(!exact);
    assert_eq!(x.quote, "  gamma delta \n ");
}

#[test]
fn reflow_between_multibyte_chars_keeps_char_offsets_right() {
    let text = "Café 😀 — 中文条款：\n付款期限为三十天。 naïve\nrésumé ✓";
    let (a, _) = anchor_quote(text, "条款：\n付款期限", 1).unwrap();
    let (r, _) = anchor_quote(text, "naïve\nrésumé", 1).unwrap();
    // Reflowed with a no-break space, an ideographic space, a line separator and plain ones.
    let new = "é😀 Café\u{a0}😀 — 中文条款：\u{3000}付款期限为三十天。\u{2028}naïve  résumé\n✓";
    let (b, exact) = anchored(both(&a, new));
    assert!(!exact);
    assert_eq!(b.quote, "条款：\u{3000}付款期限");
    assert_eq!(text_at(new, &b), b.quote);
    assert_eq!(b.start, new[..new.find("条款").unwrap()].chars().count());
    assert_eq!(b.end - b.start, 8);
    let (s, _) = anchored(both(&r, new));
    assert_eq!(s.quote, "naïve  résumé");
    assert_eq!(s.suffix, "\n✓");
    assert_eq!(text_at(new, &s), s.quote);
}

#[test]
fn crlf_line_breaks_match_lf() {
    // Revision text is normalized (CRLF and CR become LF), so a revision never holds a CR...
    let crlf = "The supplier shall deliver the goods\r\nwithin thirty days of the order.\r\n";
    let normalized = countersign_core::text::normalize(crlf);
    assert!(!normalized.contains('\r'));
    let (a, _) = anchor_quote(WRAPPED, "the goods\nwithin thirty days", 1).unwrap();
    let (b, exact) = anchored(both(&a, &normalized));
    assert!(exact);
    assert_eq!(b.quote, a.quote);
    // ...but re-anchoring onto text that was not normalized still matches, CR being whitespace.
    let (b, exact) = anchored(both(&a, crlf));
    assert!(!exact);
    assert_eq!(b.quote, "the goods\r\nwithin thirty days");
    assert_eq!(text_at(crlf, &b), b.quote);
}

#[test]
fn whitespace_only_quote_is_matched_byte_for_byte_with_its_context() {
    let b0 = TERMS.find("\n\nPayment").unwrap();
    let gap = anchor_at_bytes(TERMS, b0..b0 + 2);
    assert_eq!(gap.quote, "\n\n");
    let new = format!("Preface.\n\n{TERMS}");
    let (b, exact) = anchored(both(&gap, &new));
    assert!(exact);
    assert_eq!(b.start, gap.start + 10);
    // Its context gone, it is outdated: whitespace occurs everywhere.
    let new = TERMS
        .replace(" of the order.", ".")
        .replace("Payment is", "Payments are");
    assert_eq!(both(&gap, &new), Resolution::Outdated);
}

/// A quote typed on one line where the text breaks the line (or with other spacing) anchors on
/// the text's own wording, line break and all; an exact occurrence still wins, and occurrences
/// are counted in the folded text.
#[test]
fn a_quote_typed_across_a_line_break_anchors_on_the_texts_wording() {
    let text =
        "Postings were applied once the service was fully\nrestored. It was fully  restored.\n";
    let (a, count) = anchor_quote(text, "service was fully restored", 1).unwrap();
    assert_eq!(count, 1);
    assert_eq!(a.quote, "service was fully\nrestored");
    assert_eq!(text_at(text, &a), "service was fully\nrestored");
    let (b, count) = anchor_quote(text, "fully restored", 2).unwrap();
    assert_eq!(count, 2);
    assert_eq!(b.quote, "fully  restored");
    assert_eq!(text_at(text, &b), "fully  restored");
    assert_eq!(
        anchor_quote(text, "fully restored", 3),
        Err(AnchorError::OccurrenceOutOfRange { found: 2, asked: 3 })
    );
    // An exact occurrence is taken as it is.
    let (c, count) =
        anchor_quote("a fully restored b fully\nrestored", "fully restored", 1).unwrap();
    assert_eq!((c.quote.as_str(), count), ("fully restored", 1));
    assert_eq!(
        anchor_quote(text, "fully   restoredx", 1),
        Err(AnchorError::QuoteNotFound)
    );
}
