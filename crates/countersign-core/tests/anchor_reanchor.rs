//! Scenario tests for anchoring and re-anchoring wording.

use countersign_core::anchor::{
    Anchor, AnchorError, CONTEXT_CHARS, Resolution, anchor_at_bytes, anchor_quote,
    byte_offsets_to_chars, char_ranges_to_bytes, reanchor, reanchor_all,
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
