//! Property tests for re-anchoring.

use countersign_core::anchor::{
    Anchor, CONTEXT_CHARS, MIN_EVIDENCE_CHARS, Resolution, anchor_at_bytes, anchor_quote,
    char_ranges_to_bytes, reanchor, reanchor_all,
};
use proptest::prelude::*;

/// A varied alphabet (ASCII, accented, emoji, CJK, newlines) for texts where repeats are rare.
const WIDE: &[char] = &[
    'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's',
    't', 'u', 'v', 'w', 'x', 'y', 'z', 'A', 'B', 'C', 'D', 'E', 'F', '0', '1', '2', '3', '4', '5',
    ' ', ' ', ' ', '\n', '.', ',', 'é', 'ï', 'ß', '😀', '🎉', '中', '文', '—', '#', '*',
];

/// A narrow alphabet for texts full of repeats.
const NARROW: &[char] = &['a', 'b', ' ', 'é', '😀', '\n'];

const WORDS: &[&str] = &[
    "the", "supplier", "shall", "deliver", "goods", "within", "thirty", "days", "of", "order",
    "payment", "is", "due", "on", "delivery", "résumé", "😀", "中文", "notice", "party", "\n\n",
];

fn chars_from(alphabet: &'static [char], len: std::ops::Range<usize>) -> BoxedStrategy<String> {
    prop::collection::vec(prop::sample::select(alphabet), len)
        .prop_map(|v| v.into_iter().collect())
        .boxed()
}

fn words(len: std::ops::Range<usize>) -> BoxedStrategy<String> {
    prop::collection::vec(prop::sample::select(WORDS), len)
        .prop_map(|v| v.join(" "))
        .boxed()
}

/// Replace the chars `[at, at + del)` of `s` (clamped) with `ins`.
fn splice(s: &str, at: usize, del: usize, ins: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let at = at.min(chars.len());
    let end = (at + del).min(chars.len());
    chars[..at]
        .iter()
        .chain(ins.chars().collect::<Vec<_>>().iter())
        .chain(&chars[end..])
        .collect()
}

fn count_overlapping(hay: &str, needle: &str) -> usize {
    (0..hay.len())
        .filter(|&i| hay.is_char_boundary(i) && hay[i..].starts_with(needle))
        .count()
}

/// Every anchor a resolution yields must describe the text faithfully.
fn check_consistent(res: &Resolution, text: &str) {
    if let Resolution::Anchored { anchor, .. } = res {
        let bytes = char_ranges_to_bytes(text, std::slice::from_ref(&(anchor.start..anchor.end)));
        let range = bytes[0].clone().expect("anchor inside the text");
        assert_eq!(&anchor_at_bytes(text, range), anchor);
    }
}

/// What a run of whitespace may become when text is reflowed.
const RUNS: &[&str] = &[
    " ", "\n", "  ", "\t", " \n ", "\u{a0}", "\r\n", "\n\n", "\u{3000}", "\u{2028}",
];

/// Reflow `s`: every maximal run of whitespace becomes one of [`RUNS`], chosen by `picks` in
/// turn. The words stay as they are.
fn reflow(s: &str, picks: &[usize]) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    let (mut runs, mut in_run) = (0usize, false);
    for c in s.chars() {
        if c.is_whitespace() {
            if !in_run {
                let pick = picks.get(runs % picks.len().max(1)).copied().unwrap_or(0);
                out.push_str(RUNS[pick % RUNS.len()]);
                runs += 1;
            }
            in_run = true;
        } else {
            out.push(c);
            in_run = false;
        }
    }
    out
}

/// Every maximal run of whitespace as one space.
fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_run = false;
    for c in s.chars() {
        if c.is_whitespace() {
            if !in_run {
                out.push(' ');
            }
            in_run = true;
        } else {
            out.push(c);
            in_run = false;
        }
    }
    out
}

/// The byte offset of char offset `c` in `s`.
fn byte_of(s: &str, c: usize) -> usize {
    s.char_indices().nth(c).map_or(s.len(), |(i, _)| i)
}

/// Where the wording (the quote without leading whitespace) of an anchor starts, counted in
/// chars of the folded text.
fn folded_wording_start(text: &str, anchor: &Anchor) -> usize {
    let b0 = byte_of(text, anchor.start);
    let lead = anchor.quote.len() - anchor.quote.trim_start().len();
    fold(&text[..b0 + lead]).chars().count()
}

/// Edits of one part of a text: (at, delete, insert).
fn edit() -> impl Strategy<Value = (usize, usize, String)> {
    (0usize..200, 0usize..20, chars_from(WIDE, 0..30))
}

proptest! {
    /// An unchanged quote with unchanged context is found at its shifted position whatever
    /// happens outside the context window.
    #[test]
    fn unchanged_quote_and_context_is_found_at_shifted_position(
        text in chars_from(WIDE, 1..300),
        start_frac in 0.0f64..1.0,
        qlen in 1usize..25,
        before_edits in prop::collection::vec(edit(), 0..3),
        after_edits in prop::collection::vec(edit(), 0..3),
    ) {
        let chars: Vec<char> = text.chars().collect();
        let start = ((chars.len() as f64) * start_frac) as usize;
        let start = start.min(chars.len() - 1);
        let end = (start + qlen).min(chars.len());
        let byte = |c: usize| chars[..c].iter().map(|ch| ch.len_utf8()).sum::<usize>();
        let anchor = anchor_at_bytes(&text, byte(start)..byte(end));
        prop_assert_eq!((anchor.start, anchor.end), (start, end));

        let ctx_start = start - start.min(CONTEXT_CHARS);
        let ctx_end = (end + CONTEXT_CHARS).min(chars.len());
        let mut before: String = chars[..ctx_start].iter().collect();
        let window: String = chars[ctx_start..ctx_end].iter().collect();
        let mut after: String = chars[ctx_end..].iter().collect();
        for (at, del, ins) in &before_edits {
            before = splice(&before, *at, *del, ins);
        }
        for (at, del, ins) in &after_edits {
            after = splice(&after, *at, *del, ins);
        }
        let new = format!("{before}{window}{after}");
        prop_assume!(count_overlapping(&new, &window) == 1);

        let res = reanchor(&anchor, &new);
        check_consistent(&res, &new);
        let expected_start = before.chars().count() + (start - ctx_start);
        match res {
            Resolution::Anchored { anchor: found, exact } => {
                prop_assert!(exact);
                prop_assert_eq!(&found.quote, &anchor.quote);
                prop_assert_eq!(found.start, expected_start);
                prop_assert_eq!(found.end, expected_start + (end - start));
            }
            Resolution::Outdated => prop_assert!(false, "outdated"),
        }
    }

    /// Reflowing whitespace anywhere — inside the quote, in its context, elsewhere — never
    /// makes a present quote outdated; the anchor follows its wording (to the same place when
    /// the wording occurs once) and carries the new text's exact wording.
    #[test]
    fn reflowing_whitespace_never_outdates_a_present_quote(
        text in prop_oneof![words(1..80), chars_from(WIDE, 1..300), chars_from(NARROW, 1..120)],
        start_frac in 0.0f64..1.0,
        qlen in 1usize..60,
        picks in prop::collection::vec(0usize..100, 1..20),
    ) {
        let chars: Vec<char> = text.chars().collect();
        let start = (((chars.len() as f64) * start_frac) as usize).min(chars.len() - 1);
        let end = (start + qlen).min(chars.len());
        let anchor = anchor_at_bytes(&text, byte_of(&text, start)..byte_of(&text, end));
        prop_assume!(!anchor.quote.trim().is_empty());
        let new = reflow(&text, &picks);
        prop_assert_eq!(fold(&new), fold(&text));

        let res = reanchor(&anchor, &new);
        prop_assert_eq!(reanchor_all(std::slice::from_ref(&anchor), &new), vec![res.clone()]);
        check_consistent(&res, &new);
        let Resolution::Anchored { anchor: found, exact } = res else {
            return Err(TestCaseError::fail("a present quote went outdated"));
        };
        prop_assert_eq!(fold(found.quote.trim()), fold(anchor.quote.trim()));
        prop_assert_eq!(exact, found.quote == anchor.quote);
        let wording = fold(anchor.quote.trim());
        if fold(&new).matches(wording.as_str()).count() == 1 {
            prop_assert_eq!(
                folded_wording_start(&new, &found),
                folded_wording_start(&text, &anchor)
            );
        }
    }

    /// Rule 3: occurrences of the quote with none of its context around them are taken only
    /// when the quote is distinctive on its own — it occurs once and is at least
    /// `MIN_EVIDENCE_CHARS` long. Otherwise the anchor is outdated, never moved.
    #[test]
    fn unrelated_occurrences_are_taken_only_for_a_long_unique_quote(
        quote in "[abc]([abc ]{0,50}[abc])?",
        prefix in "[def]{1,40}",
        suffix in "[def]{1,40}",
        start in 0usize..500,
        fillers in prop::collection::vec("[xyz \n]{0,30}", 1..5),
    ) {
        let anchor = Anchor { quote: quote.clone(), prefix, suffix, start, end: start + 1 };
        // The quote between fillers that share nothing with its context.
        let new = fillers.join(&quote);
        let copies = fillers.len() - 1;
        let res = reanchor(&anchor, &new);
        prop_assert_eq!(reanchor_all(std::slice::from_ref(&anchor), &new), vec![res.clone()]);
        check_consistent(&res, &new);
        let distinctive = copies == 1 && fold(&quote).chars().count() >= MIN_EVIDENCE_CHARS;
        match res {
            Resolution::Anchored { anchor: found, exact } => {
                prop_assert!(distinctive, "moved onto an unrelated occurrence: {:?}", found);
                prop_assert!(exact);
                prop_assert_eq!(found.quote, quote);
            }
            Resolution::Outdated => prop_assert!(!distinctive || copies != 1),
        }
    }

    /// The batch path gives exactly the per-anchor results.
    #[test]
    fn reanchor_all_equals_map_reanchor(
        old in prop_oneof![chars_from(NARROW, 0..120), chars_from(WIDE, 0..200), words(0..60)],
        ranges in prop::collection::vec((0usize..400, 0usize..40), 0..12),
        arbitrary in prop::collection::vec(
            (chars_from(NARROW, 0..6), chars_from(NARROW, 0..40), chars_from(NARROW, 0..40), 0usize..300),
            0..4,
        ),
        edits in prop::collection::vec((0usize..400, 0usize..6, prop_oneof![chars_from(NARROW, 0..4), words(0..3)]), 0..5),
        dup in 0usize..3,
        reflowed in prop::option::of(prop::collection::vec(0usize..100, 1..8)),
    ) {
        let mut anchors: Vec<Anchor> = Vec::new();
        for (at, len) in &ranges {
            let a = anchor_at_bytes(&old, *at..at + len);
            for _ in 0..=dup {
                anchors.push(a.clone());
            }
        }
        for (quote, prefix, suffix, start) in arbitrary {
            anchors.push(Anchor { quote, prefix, suffix, start, end: start + 3 });
        }
        let mut new = old.clone();
        for (at, del, ins) in &edits {
            new = splice(&new, *at, *del, ins);
        }
        if let Some(picks) = &reflowed {
            new = reflow(&new, picks);
        }
        let all = reanchor_all(&anchors, &new);
        // Never dropped: one resolution per anchor, in order.
        prop_assert_eq!(all.len(), anchors.len());
        let each: Vec<Resolution> = anchors.iter().map(|a| reanchor(a, &new)).collect();
        prop_assert_eq!(&all, &each);
        for r in &all {
            check_consistent(r, &new);
        }
    }

    /// Nothing panics on arbitrary input, and whatever is returned is consistent.
    #[test]
    fn nothing_panics(
        text in any::<String>(),
        quote in any::<String>(),
        prefix in any::<String>(),
        suffix in any::<String>(),
        start in any::<usize>(),
        end in any::<usize>(),
        occurrence in any::<usize>(),
        b0 in any::<usize>(),
        b1 in any::<usize>(),
        small in (0usize..64, 0usize..64),
    ) {
        let _ = anchor_quote(&text, &quote, occurrence);
        let sub: String = text.chars().skip(small.0 % 7).take(small.1 % 5).collect();
        if let Ok((a, n)) = anchor_quote(&text, &sub, small.0 % 3) {
            prop_assert!(n >= 1);
            check_consistent(&Resolution::Anchored { anchor: a, exact: true }, &text);
        }
        for range in [b0..b1, small.0..small.1, b0..usize::MAX] {
            let a = anchor_at_bytes(&text, range);
            check_consistent(&Resolution::Anchored { anchor: a, exact: true }, &text);
        }
        let anchors = vec![
            Anchor { quote: quote.clone(), prefix: prefix.clone(), suffix: suffix.clone(), start, end },
            Anchor { quote: sub.clone(), prefix, suffix, start: end, end: start },
            anchor_at_bytes(&text, small.0..small.1),
        ];
        let all = reanchor_all(&anchors, &text);
        prop_assert_eq!(all.len(), anchors.len());
        for (a, r) in anchors.iter().zip(&all) {
            prop_assert_eq!(r, &reanchor(a, &text));
            check_consistent(r, &text);
        }
        let _ = char_ranges_to_bytes(&text, &[start..end, b0..b1, small.0..small.1, 0..usize::MAX]);
    }
}
