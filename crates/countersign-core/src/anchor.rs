//! Anchors: wording in a revision that a comment thread or objection points at.
//!
//! An [`Anchor`] is a W3C Web Annotation TextQuoteSelector (exact quote, prefix, suffix) plus a
//! TextPositionSelector (start, end). Offsets count Unicode scalar values (`char`s) in the
//! *normalized* revision text, as the W3C model counts characters.
//!
//! OWNERSHIP NOTE: this file's public signatures are relied on by the store and the façade.
//!
//! # Re-anchoring
//!
//! When a new revision is made every anchor is re-anchored onto the new text ([`reanchor`],
//! or [`reanchor_all`] for many anchors at once — same results, a pass or two over the text).
//! The rules, in order:
//!
//! 1. **Whitespace does not count.** Authors reflow paragraphs: a line break becomes a space, a
//!    wrapped line is re-wrapped at another word, two spaces become one. None of that changes the
//!    wording, so an anchor must not go outdated over it. Quote, context and text are therefore
//!    compared *folded*: every run of whitespace (Unicode `White_Space`, as
//!    [`char::is_whitespace`]: spaces, tabs, LF, CR, no-break and other Unicode spaces) counts as
//!    one space, so any run of whitespace in the quote matches any run of whitespace in the text.
//!    The quote's leading and trailing whitespace is not searched for. A match is mapped back to
//!    exact byte offsets in the new text, and the new anchor's quote is the new text's exact
//!    wording: it runs from the first to the last char of the matched wording, plus the quote's
//!    leading (trailing) whitespace when the text has it there byte for byte, and otherwise the
//!    whole run of whitespace the text has there (if any). A quote that is *only* whitespace
//!    has no wording to fold and is matched byte for byte, context likewise.
//! 2. **Candidates.** The candidates are all occurrences of the folded quote in the folded text
//!    (overlapping ones included). Each has a *context score*: the number of chars of the
//!    anchor's (folded) prefix that still stand immediately before it (common suffix) plus the
//!    number of chars of its (folded) suffix that stand immediately after it (common prefix),
//!    each side counting at most [`CONTEXT_CHARS`] (the quote's own leading and trailing
//!    whitespace counts with its prefix and suffix). The best candidate has the highest score;
//!    ties go to the one whose wording is byte for byte the quote, then to the one with the
//!    most context byte for byte (unfolded), then to the one nearest the old start offset, then
//!    to the earlier one.
//! 3. **Enough evidence, or not at all.** A short quote ("the", "30 days") occurs all over a
//!    document. When its own sentence is deleted, another occurrence of the same words elsewhere
//!    is a different clause: a reviewer's objection to "30 days" in a deleted refund clause must
//!    not silently re-attach to an unrelated "30 days" in the SLA section. So the best candidate
//!    is only taken when the quote and its context together are distinctive. Its *evidence* is
//!    its context score, plus the quote's own (folded) length in chars when the quote occurs
//!    only once in the new text (a repeated quote's wording cannot tell its occurrences apart:
//!    only context can). The evidence needed is [`MIN_EVIDENCE_CHARS`] (32, as much as one full
//!    side of context), or — for an anchor that has less context than that to offer, near the
//!    start or end of a text — all of the context it has plus, when the quote occurs once, the
//!    quote's length. Hence:
//!    - a unique quote of 32 chars or more needs no context at all (it may have been moved
//!      anywhere, its surroundings rewritten);
//!    - a unique short quote needs `32 − its length` chars of context ("30 days": 25), which
//!      the text it moved with supplies (text inserted before it, or its paragraph reordered,
//!      leaves at least one side of its context standing);
//!    - a repeated quote needs 32 chars of its context (a whole side, or the two sides
//!      together), or all of it when it has less — the best-matching occurrence is its own
//!      occurrence, or nothing.
//!
//!    When the best candidate falls short, the anchor goes on to the fuzzy step, and is
//!    outdated if that finds nothing: an objection is shown as outdated rather than moved to
//!    wording it was never about. The limit of the rule: wording that reads the same as the
//!    anchor's for 32 chars or more, quote and context together, is taken to be the same
//!    place — two parallel clauses that agree that far cannot be told from one that moved.
//! 4. **Fuzzy.** When no candidate is taken, the wording may have been edited slightly. In the
//!    folded text, the last 16 chars of the folded prefix and the first 16 chars of the folded
//!    suffix (all of either when shorter) are looked for; an empty prefix (suffix) means the
//!    quote was at the start (end) of the text, and then that side must be at the start (end)
//!    of the new text. The text between such a left and right context is accepted as the new
//!    wording when it is non-empty (not only whitespace, unless the quote is), between 0.5× and
//!    1.5× the folded quote's length, and within a char-level Levenshtein distance of
//!    `max(2, quote_chars / 4)` (at most 256) of the folded quote. Context is required on both
//!    sides. The best such place has the highest context score, then the smallest distance,
//!    then is nearest the old start, then earliest.
//! 5. Otherwise the anchor is [`Resolution::Outdated`]. It is never dropped.
//!
//! `exact` in [`Resolution::Anchored`] says whether the new wording is byte for byte the old
//! quote; a reflowed or fuzzily matched quote is not exact, and the anchor carries the wording
//! as it now reads.
//!
//! The fuzzy search is bounded so that pathological text cannot make it slow: it examines at
//! most 16,384 (left context, right context) pairs, in text order, and computes the edit
//! distance for at most 32 of the best of them (fewer for long quotes); quotes longer than
//! 16,384 chars are only ever matched exactly.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use aho_corasick::{AhoCorasick, MatchKind};
use memchr::memmem;
use serde::{Deserialize, Serialize};

/// How many characters of context are kept on each side of a quote.
pub const CONTEXT_CHARS: usize = 32;

/// The evidence, in chars, a candidate needs before an anchor is moved onto it: matching
/// context chars, plus the quote's length when the quote occurs only once (see the
/// [module documentation](self), rule 3). Less is needed only from an anchor that has less
/// context than this to offer.
pub const MIN_EVIDENCE_CHARS: usize = 32;

/// How many chars of each side's context the fuzzy search looks for.
const FUZZY_KEY_CHARS: usize = 16;
/// At most this many (left context, right context) pairs are examined per fuzzy anchor.
const MAX_FUZZY_PAIRS_EXAMINED: usize = 16_384;
/// At most this many edit distances are computed per fuzzy anchor.
const MAX_DISTANCE_EVALS: usize = 32;
/// Dynamic-programming cells allowed per fuzzy anchor (the first evaluation always runs).
const DISTANCE_CELL_BUDGET: usize = 8_000_000;
/// Longer quotes are only ever matched exactly.
const MAX_FUZZY_QUOTE_CHARS: usize = 16_384;
/// The most edits a fuzzy match tolerates, however long the quote.
const MAX_FUZZY_EDITS: usize = 256;
/// Block size of the char-offset checkpoint table.
const BLOCK: usize = 64;

/// Where a piece of wording sits in one revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchor {
    /// The exact quoted wording.
    pub quote: String,
    /// Up to [`CONTEXT_CHARS`] characters immediately before the quote.
    pub prefix: String,
    /// Up to [`CONTEXT_CHARS`] characters immediately after the quote.
    pub suffix: String,
    /// Start offset, in chars, into the normalized text.
    pub start: usize,
    /// End offset (exclusive), in chars.
    pub end: usize,
}

/// The outcome of re-anchoring an anchor onto a revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Resolution {
    /// The wording was found. `exact` is false when the wording now reads differently: edited
    /// slightly (a fuzzy match) or reflowed (other whitespace). The returned anchor carries the
    /// wording as it now reads.
    Anchored { anchor: Anchor, exact: bool },
    /// The wording is gone. The annotation stays listed as outdated; it is never dropped.
    Outdated,
}

/// Why a quote cannot be anchored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnchorError {
    /// The quote is empty (or only whitespace).
    #[error("the quote is empty")]
    EmptyQuote,
    /// The quote does not occur in the text.
    #[error("the quote was not found in this revision")]
    QuoteNotFound,
    /// An occurrence past the last one was asked for.
    #[error("the quote occurs {found} time(s); occurrence {asked} does not exist")]
    OccurrenceOutOfRange { found: usize, asked: usize },
}

/// Anchor the `occurrence`-th (1-based) exact occurrence of `quote` in `text`.
/// Returns the anchor and how many times the quote occurs in all.
///
/// Occurrences are matched byte for byte and overlapping ones count (`"aa"` occurs twice in
/// `"aaa"`). An `occurrence` of 0 is taken as 1. A quote that is empty or only whitespace is
/// [`AnchorError::EmptyQuote`].
///
/// A quote that does not occur byte for byte but whose words do, with other whitespace between
/// them (typed on one line where the text breaks the line, say), is found in the text with its
/// whitespace folded (rule 1), and anchored on the text's own wording, line break and all.
pub fn anchor_quote(
    text: &str,
    quote: &str,
    occurrence: usize,
) -> Result<(Anchor, usize), AnchorError> {
    if quote.trim().is_empty() {
        return Err(AnchorError::EmptyQuote);
    }
    let hits = find_overlapping(text, quote);
    if !hits.is_empty() {
        let b0 = nth_hit(&hits, occurrence)?;
        let start = count_chars(&text.as_bytes()[..b0]);
        return Ok((make_anchor(text, b0, b0 + quote.len(), start), hits.len()));
    }
    let needle = fold_small(&[quote.trim_matches(char::is_whitespace)]);
    let folded = Folded::new(text);
    let hay = Haystack::folded(&folded);
    let hits = find_overlapping(hay.hay, &needle);
    if hits.is_empty() {
        return Err(AnchorError::QuoteNotFound);
    }
    let f = nth_hit(&hits, occurrence)?;
    let (b0, b1) = (hay.to_text(f), hay.to_text(f + needle.len()));
    let start = count_chars(&text.as_bytes()[..b0]);
    Ok((make_anchor(text, b0, b1, start), hits.len()))
}

/// The `occurrence`-th (1-based; 0 taken as 1) of `hits`.
fn nth_hit(hits: &[usize], occurrence: usize) -> Result<usize, AnchorError> {
    hits.get(occurrence.max(1) - 1)
        .copied()
        .ok_or(AnchorError::OccurrenceOutOfRange {
            found: hits.len(),
            asked: occurrence,
        })
}

/// The anchor for a byte range of `text` (both ends on char boundaries).
///
/// Never panics: ends past the text are clamped to its length, a start inside a char moves
/// back to that char's start and an end inside a char moves forward to that char's end (a
/// partly covered char is included), and an inverted range becomes the empty range at its
/// start.
pub fn anchor_at_bytes(text: &str, range: Range<usize>) -> Anchor {
    let len = text.len();
    let b0 = floor_char_boundary(text, range.start.min(len));
    let b1 = ceil_char_boundary(text, range.end.min(len)).max(b0);
    let start = count_chars(&text.as_bytes()[..b0]);
    make_anchor(text, b0, b1, start)
}

/// Re-anchor one anchor onto `text`.
///
/// See the [module documentation](self) for the rules. An anchor with an empty quote is
/// always [`Resolution::Outdated`]. The anchor's offsets are only used to break ties, so an
/// anchor with nonsensical offsets is harmless.
pub fn reanchor(anchor: &Anchor, text: &str) -> Resolution {
    let Some(target) = Target::new(anchor) else {
        return Resolution::Outdated;
    };
    let text_index = CharIndex::new(text);
    let folded;
    let hay = if target.raw {
        Haystack::raw(text)
    } else {
        folded = Folded::new(text);
        Haystack::folded(&folded)
    };
    let hits = find_overlapping(hay.hay, &target.needle);
    if let Some(res) = choose_exact(&target, &hay, text, &text_index, &hits) {
        return res;
    }
    let left = left_key(&target.before).map(|k| find_overlapping(hay.hay, k));
    let right = right_key(&target.after).map(|k| find_overlapping(hay.hay, k));
    fuzzy_from_keys(
        &target,
        &hay,
        text,
        &text_index,
        left.as_deref(),
        right.as_deref(),
    )
}

/// Re-anchor many anchors onto one text. Same results as calling [`reanchor`] for each, but
/// fast for many anchors on a large text.
///
/// The text is folded once (whitespace runs to one space, rule 1), all distinct quotes are
/// found in a single pass over it (overlapping matches), char offsets come from checkpoint
/// tables built in one pass, and only the anchors not placed by their quote take a second
/// pass, for their context. Should that search meet a pathological text (say, thousands of
/// quotes that each occur a million times), it falls back to one search per distinct quote,
/// which bounds the memory used.
pub fn reanchor_all(anchors: &[Anchor], text: &str) -> Vec<Resolution> {
    let budget = SEARCH_WORK_BUDGET.saturating_add(text.len().saturating_mul(4));
    reanchor_all_within(anchors, text, budget)
}

/// Work (verifications plus recorded matches) one multi-pattern search may do before falling
/// back to searching pattern by pattern, on top of 4 units per byte of text.
const SEARCH_WORK_BUDGET: usize = 1 << 24;

/// [`reanchor_all`] with an explicit multi-pattern search budget.
fn reanchor_all_within(anchors: &[Anchor], text: &str, budget: usize) -> Vec<Resolution> {
    let mut out = vec![Resolution::Outdated; anchors.len()];
    if anchors.is_empty() {
        return out;
    }
    let text_index = CharIndex::new(text);
    let targets: Vec<Option<Target<'_>>> = anchors.iter().map(Target::new).collect();
    // Anchors with wording are searched in the folded text, whitespace-only quotes in the text
    // itself.
    for raw in [false, true] {
        let members: Vec<usize> = targets
            .iter()
            .enumerate()
            .filter(|(_, t)| t.as_ref().is_some_and(|t| t.raw == raw))
            .map(|(i, _)| i)
            .collect();
        if members.is_empty() {
            continue;
        }
        let folded;
        let hay = if raw {
            Haystack::raw(text)
        } else {
            folded = Folded::new(text);
            Haystack::folded(&folded)
        };
        let group = Group {
            targets: &targets,
            hay: &hay,
            text,
            text_index: &text_index,
            budget,
        };
        group.resolve(&members, &mut out);
    }
    out
}

/// Anchors re-anchored in one haystack (the folded text, or the text itself).
struct Group<'g, 'a> {
    targets: &'g [Option<Target<'a>>],
    hay: &'g Haystack<'g>,
    text: &'g str,
    text_index: &'g CharIndex<'g>,
    budget: usize,
}

impl Group<'_, '_> {
    fn target(&self, i: usize) -> Option<&Target<'_>> {
        self.targets.get(i).and_then(Option::as_ref)
    }

    /// Resolve the anchors `members` (indices into `targets`, all of this haystack's kind).
    fn resolve(&self, members: &[usize], out: &mut [Resolution]) {
        let (hay, text, text_index) = (self.hay, self.text, self.text_index);

        // Candidates for every distinct quote, in one pass.
        let mut needle_ids: HashMap<&str, usize> = HashMap::new();
        let mut needles: Vec<&str> = Vec::new();
        let pattern_of: Vec<(usize, usize)> = members
            .iter()
            .filter_map(|&i| {
                let t = self.target(i)?;
                Some((i, intern_dedup(&mut needles, &mut needle_ids, &t.needle)))
            })
            .collect();
        let mut fuzzy: Vec<usize> = Vec::new();
        let mut place = |i: usize, hits: &[usize]| {
            let res = self
                .target(i)
                .and_then(|t| choose_exact(t, hay, text, text_index, hits));
            match res {
                Some(res) => out[i] = res,
                None => fuzzy.push(i),
            }
        };
        match find_all_overlapping(hay.hay, &needles, self.budget) {
            Some(needle_hits) => {
                for &(i, p) in &pattern_of {
                    place(i, needle_hits.get(p).map_or(&[][..], Vec::as_slice));
                }
            }
            None => {
                let mut members_of: Vec<Vec<usize>> = vec![Vec::new(); needles.len()];
                for &(i, p) in &pattern_of {
                    if let Some(list) = members_of.get_mut(p) {
                        list.push(i);
                    }
                }
                for (needle, list) in needles.iter().zip(&members_of) {
                    let hits = find_overlapping(hay.hay, needle);
                    for &i in list {
                        place(i, &hits);
                    }
                }
            }
        }
        if fuzzy.is_empty() {
            return;
        }

        // Context keys of the anchors not placed by their quote, in a second pass.
        let mut key_ids: HashMap<&str, usize> = HashMap::new();
        let mut keys: Vec<&str> = Vec::new();
        let fuzzy_keys: Vec<(usize, &Target<'_>, Option<usize>, Option<usize>)> = fuzzy
            .iter()
            .filter_map(|&i| {
                let t = self.target(i)?;
                let l = left_key(&t.before).map(|k| intern_dedup(&mut keys, &mut key_ids, k));
                let r = right_key(&t.after).map(|k| intern_dedup(&mut keys, &mut key_ids, k));
                Some((i, t, l, r))
            })
            .collect();
        match find_all_overlapping(hay.hay, &keys, self.budget) {
            Some(key_hits) => {
                let hits_of =
                    |k: Option<usize>| k.map(|k| key_hits.get(k).map_or(&[][..], Vec::as_slice));
                for (i, t, l, r) in fuzzy_keys {
                    out[i] = fuzzy_from_keys(t, hay, text, text_index, hits_of(l), hits_of(r));
                }
            }
            None => {
                for (i, t, l, r) in fuzzy_keys {
                    let hits_of = |k: Option<usize>| k.map(|k| find_overlapping(hay.hay, keys[k]));
                    let (left, right) = (hits_of(l), hits_of(r));
                    out[i] = fuzzy_from_keys(
                        t,
                        hay,
                        text,
                        text_index,
                        left.as_deref(),
                        right.as_deref(),
                    );
                }
            }
        }
    }
}

/// Convert char-offset ranges into byte ranges of `text`, in one pass. Ranges that fall outside
/// the text yield `None`.
///
/// An inverted range (start after end) also yields `None`. The result is in input order.
pub fn char_ranges_to_bytes(text: &str, ranges: &[Range<usize>]) -> Vec<Option<Range<usize>>> {
    let mut points: Vec<(usize, usize)> = Vec::with_capacity(ranges.len() * 2);
    for (i, r) in ranges.iter().enumerate() {
        if r.start <= r.end {
            points.push((r.start, 2 * i));
            points.push((r.end, 2 * i + 1));
        }
    }
    points.sort_unstable();
    let mut bytes: Vec<Option<usize>> = vec![None; ranges.len() * 2];
    let mut chars = text.chars();
    let (mut ci, mut bi) = (0usize, 0usize);
    for (c, slot) in points {
        while ci < c {
            match chars.next() {
                Some(ch) => {
                    ci += 1;
                    bi += ch.len_utf8();
                }
                None => break,
            }
        }
        if ci == c {
            bytes[slot] = Some(bi);
        }
    }
    (0..ranges.len())
        .map(|i| match (bytes[2 * i], bytes[2 * i + 1]) {
            (Some(s), Some(e)) => Some(s..e),
            _ => None,
        })
        .collect()
}

/// The char offset of every byte offset in `byte_offsets`: the number of chars that start
/// before it (so a byte offset inside a char gives the offset of the char after it; offsets
/// past the end give the text's length in chars). Computed with one checkpoint table built in
/// one pass, rather than by counting from the start each time.
pub fn byte_offsets_to_chars(text: &str, byte_offsets: &[usize]) -> Vec<usize> {
    let index = CharIndex::new(text);
    byte_offsets.iter().map(|&b| index.char_at(b)).collect()
}

// ---------------------------------------------------------------------------------------------
// Searching.

/// The id of pattern `s`, adding it to `patterns` if it is new.
fn intern_dedup<'a>(
    patterns: &mut Vec<&'a str>,
    ids: &mut HashMap<&'a str, usize>,
    s: &'a str,
) -> usize {
    *ids.entry(s).or_insert_with(|| {
        patterns.push(s);
        patterns.len() - 1
    })
}

/// Every byte offset at which `needle` occurs in `text`, overlapping occurrences included,
/// ascending. An empty needle occurs nowhere.
fn find_overlapping(text: &str, needle: &str) -> Vec<usize> {
    let mut hits = Vec::new();
    if needle.is_empty() {
        return hits;
    }
    let finder = memmem::Finder::new(needle.as_bytes());
    let hay = text.as_bytes();
    let mut pos = 0;
    while let Some(rest) = hay.get(pos..) {
        // In repetitive text the next occurrence is often right there: check before searching.
        let found = if rest.starts_with(needle.as_bytes()) {
            Some(0)
        } else {
            finder.find(rest)
        };
        let Some(i) = found else { break };
        hits.push(pos + i);
        // Any later occurrence starts on a later char boundary; skipping one byte is enough.
        pos += i + 1;
    }
    hits
}

/// For each pattern, every byte offset at which it occurs (overlapping occurrences included),
/// ascending: the same as [`find_overlapping`] per pattern, in one pass over the text. `None`
/// when that would take more than `budget` units of work (a verification or a match each).
///
/// Patterns of at least 16 bytes are found by one hashed scan of their first 16 bytes,
/// patterns of 8 to 15 bytes by one hashed scan of their first 8 bytes, and the shorter ones
/// (rare: a word or two) by one Aho–Corasick automaton. (An automaton for all patterns works
/// too, but building it for 10,000 quotes costs more than a whole hashed scan.)
fn find_all_overlapping(text: &str, patterns: &[&str], budget: usize) -> Option<Vec<Vec<usize>>> {
    let mut budget = budget;
    let mut hits = vec![Vec::new(); patterns.len()];
    let mut short: Vec<usize> = Vec::new();
    let mut narrow: Vec<usize> = Vec::new();
    let mut wide: Vec<usize> = Vec::new();
    for (p, pattern) in patterns.iter().enumerate() {
        match pattern.len() {
            0 => {}
            n if n < NARROW_KEY => short.push(p),
            n if n < WIDE_KEY => narrow.push(p),
            _ => wide.push(p),
        }
    }
    for (ids, width) in [(narrow, NARROW_KEY), (wide, WIDE_KEY)] {
        if !ids.is_empty() {
            let scanner = KeyScanner::new(patterns, &ids, width);
            if !scanner.scan(text.as_bytes(), patterns, &mut hits, &mut budget) {
                return None;
            }
        }
    }
    if !short.is_empty() {
        let short_patterns: Vec<&str> = short.iter().map(|&p| patterns[p]).collect();
        match AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&short_patterns)
        {
            Ok(ac) => {
                for m in ac.find_overlapping_iter(text) {
                    budget = budget.checked_sub(1)?;
                    if let Some(h) = short
                        .get(m.pattern().as_usize())
                        .and_then(|&p| hits.get_mut(p))
                    {
                        h.push(m.start());
                    }
                }
            }
            Err(_) => {
                // Too many patterns for one automaton: search one by one.
                for &p in &short {
                    hits[p] = find_overlapping(text, patterns[p]);
                }
            }
        }
    }
    for h in &mut hits {
        // Already ascending (each pattern's matches are reported in order); cheap to make sure.
        h.sort_unstable();
        h.dedup();
    }
    Some(hits)
}

/// Key length of the hashed scan for patterns of 8 to 15 bytes.
const NARROW_KEY: usize = 8;
/// Key length of the hashed scan for patterns of 16 bytes or more.
const WIDE_KEY: usize = 16;

/// The first 8 or 16 bytes at `b[i..]` as two little-endian integers (the second is 0 for an
/// 8-byte key), or `None` when the text ends before.
fn load_key(b: &[u8], i: usize, width: usize) -> Option<(u64, u64)> {
    let word = |at: usize| -> Option<u64> {
        let bytes: [u8; 8] = b.get(at..at + 8)?.try_into().ok()?;
        Some(u64::from_le_bytes(bytes))
    };
    let first = word(i)?;
    let second = if width == WIDE_KEY { word(i + 8)? } else { 0 };
    Some((first, second))
}

/// Multiplicative hash of a key; `multiplier` is odd.
fn hash_key((a, b): (u64, u64), multiplier: u64) -> u64 {
    (a ^ b.wrapping_mul(0xA076_1D64_78BD_642F).rotate_left(29)).wrapping_mul(multiplier)
}

const HASH_FILTER: u64 = 0x9E37_79B9_7F4A_7C15;
const HASH_TABLE: u64 = 0xD6E8_FEB8_6659_FD93;

/// Finds many patterns at least `width` bytes long: at each position the next `width` bytes
/// are tested against a small bit filter of the patterns' first `width` bytes, then against an
/// open-addressing table, then the full patterns that start with those bytes are compared.
#[derive(Debug)]
struct KeyScanner {
    width: usize,
    /// (key, pattern id), sorted: patterns with the same key are adjacent.
    entries: Vec<((u64, u64), usize)>,
    /// Distinct keys: (key, range of `entries`).
    groups: Vec<((u64, u64), usize, usize)>,
    /// Open-addressing table of group index + 1 (0 = empty).
    table: Vec<usize>,
    table_shift: u32,
    filter: Vec<u64>,
    filter_shift: u32,
}

impl KeyScanner {
    fn new(patterns: &[&str], ids: &[usize], width: usize) -> Self {
        let mut entries: Vec<((u64, u64), usize)> = ids
            .iter()
            .filter_map(|&p| Some((load_key(patterns[p].as_bytes(), 0, width)?, p)))
            .collect();
        entries.sort_unstable();
        let mut groups: Vec<((u64, u64), usize, usize)> = Vec::new();
        for (i, &(key, _)) in entries.iter().enumerate() {
            match groups.last_mut() {
                Some(g) if g.0 == key => g.2 = i + 1,
                _ => groups.push((key, i, i + 1)),
            }
        }
        let table_bits = (groups.len() * 2)
            .next_power_of_two()
            .trailing_zeros()
            .max(4);
        let mut table = vec![0usize; 1 << table_bits];
        let table_shift = 64 - table_bits;
        let mask = table.len() - 1;
        for (g, &(key, _, _)) in groups.iter().enumerate() {
            let mut slot = (hash_key(key, HASH_TABLE) >> table_shift) as usize;
            while table[slot] != 0 {
                slot = (slot + 1) & mask;
            }
            table[slot] = g + 1;
        }
        let filter_bits = (groups.len() * 32)
            .next_power_of_two()
            .trailing_zeros()
            .clamp(12, 26);
        let mut filter = vec![0u64; (1usize << filter_bits) / 64];
        let filter_shift = 64 - filter_bits;
        for &(key, _, _) in &groups {
            let f = (hash_key(key, HASH_FILTER) >> filter_shift) as usize;
            filter[f >> 6] |= 1 << (f & 63);
        }
        Self {
            width,
            entries,
            groups,
            table,
            table_shift,
            filter,
            filter_shift,
        }
    }

    /// Record every occurrence of this scanner's patterns in `bytes`.
    /// Returns false, with `hits` incomplete, when `budget` runs out.
    fn scan(
        &self,
        bytes: &[u8],
        patterns: &[&str],
        hits: &mut [Vec<usize>],
        budget: &mut usize,
    ) -> bool {
        let width = self.width;
        for (i, window) in bytes.windows(width).enumerate() {
            let first = u64::from_le_bytes(window[..8].try_into().unwrap_or_default());
            let second = if width == WIDE_KEY {
                u64::from_le_bytes(window[8..16].try_into().unwrap_or_default())
            } else {
                0
            };
            let key = (first, second);
            let f = (hash_key(key, HASH_FILTER) >> self.filter_shift) as usize;
            if self.filter[f >> 6] & (1 << (f & 63)) != 0
                && !self.probe(key, bytes, i, patterns, hits, budget)
            {
                return false;
            }
        }
        true
    }

    /// Record the patterns whose key is `key` that occur at byte `i`.
    #[cold]
    fn probe(
        &self,
        key: (u64, u64),
        bytes: &[u8],
        i: usize,
        patterns: &[&str],
        hits: &mut [Vec<usize>],
        budget: &mut usize,
    ) -> bool {
        let mask = self.table.len() - 1;
        let mut slot = (hash_key(key, HASH_TABLE) >> self.table_shift) as usize;
        while let Some(&(k, s, e)) = self.table[slot]
            .checked_sub(1)
            .and_then(|g| self.groups.get(g))
        {
            if k == key {
                let rest = bytes.get(i..).unwrap_or(&[]);
                for &(_, p) in self.entries.get(s..e).unwrap_or(&[]) {
                    let Some(left) = budget.checked_sub(1) else {
                        return false;
                    };
                    *budget = left;
                    if rest.starts_with(patterns[p].as_bytes()) {
                        hits[p].push(i);
                    }
                }
                return true;
            }
            slot = (slot + 1) & mask;
        }
        true
    }
}

/// The fuzzy search's left key: the last [`FUZZY_KEY_CHARS`] chars of the prefix (all of it
/// when shorter); `None` when the prefix is empty.
fn left_key(prefix: &str) -> Option<&str> {
    let start = prefix.char_indices().rev().take(FUZZY_KEY_CHARS).last()?.0;
    prefix.get(start..)
}

/// The fuzzy search's right key: the first [`FUZZY_KEY_CHARS`] chars of the suffix (all of it
/// when shorter); `None` when the suffix is empty.
fn right_key(suffix: &str) -> Option<&str> {
    if suffix.is_empty() {
        return None;
    }
    let end = suffix
        .char_indices()
        .nth(FUZZY_KEY_CHARS)
        .map_or(suffix.len(), |(i, _)| i);
    suffix.get(..end)
}

// ---------------------------------------------------------------------------------------------
// Choosing.

/// Whether the best candidate has enough evidence to be taken (rule 3 of the
/// [module documentation](self)): its context `score`, plus the quote's `quote_chars` when the
/// quote occurs once (`candidates == 1`), must reach [`MIN_EVIDENCE_CHARS`], or all the
/// context the anchor has (`available`) plus that quote length, when that is less.
fn enough_evidence(score: usize, candidates: usize, quote_chars: usize, available: usize) -> bool {
    let own = if candidates == 1 { quote_chars } else { 0 };
    score.saturating_add(own) >= MIN_EVIDENCE_CHARS.min(available.saturating_add(own))
}

/// Pick the best candidate among the occurrences of the target's needle (`hits`: byte offsets
/// in the haystack, ascending), or `None` when there is none or it lacks the evidence.
fn choose_exact(
    target: &Target<'_>,
    hay: &Haystack<'_>,
    text: &str,
    text_index: &CharIndex<'_>,
    hits: &[usize],
) -> Option<Resolution> {
    let n = target.needle.len();
    let bytes = hay.hay.as_bytes();
    let context = target.context();
    let (mut best_score, mut ties) = (0usize, 0usize);
    for &f in hits {
        let score = context.score(bytes, f, f + n);
        if score > best_score || ties == 0 {
            (best_score, ties) = (score, 1);
        } else if score == best_score {
            ties += 1;
        }
    }
    if ties == 0 {
        return None;
    }
    if !enough_evidence(
        best_score,
        hits.len(),
        target.needle_chars,
        context.available(),
    ) {
        return None;
    }
    // Among the best-scoring candidates: the byte-identical wording, then the most context byte
    // for byte, then the nearest to the old start; hits are ascending, so on a full tie the
    // earlier one stays.
    let raw = (ties > 1).then(|| Context::new(&target.anchor.prefix, &target.anchor.suffix));
    let quote = target.anchor.quote.as_bytes();
    // (key: not byte-identical, less unfolded context, distance to the old start; b0, b1,
    // start)
    type Ranked = ((bool, usize, usize), usize, usize, usize);
    let mut best: Option<Ranked> = None;
    for &f in hits {
        if context.score(bytes, f, f + n) != best_score {
            continue;
        }
        let (b0, b1) = target.place(text, hay.to_text(f), hay.to_text(f + n));
        let exact = text.as_bytes().get(b0..b1) == Some(quote);
        let start = text_index.char_at(b0);
        let raw_score = raw.map_or(0, |raw| raw.score(text.as_bytes(), b0, b1));
        let key = (
            !exact,
            usize::MAX - raw_score,
            start.abs_diff(target.anchor.start),
        );
        if best.is_none_or(|(k, ..)| key < k) {
            best = Some((key, b0, b1, start));
        }
    }
    let ((not_exact, ..), b0, b1, start) = best?;
    Some(Resolution::Anchored {
        anchor: make_anchor(text, b0, b1, start),
        exact: !not_exact,
    })
}

/// Fuzzy re-anchoring, given the haystack offsets at which the target's left and right context
/// keys occur (`None` for a side whose context is empty: that side is the start or end of the
/// text).
fn fuzzy_from_keys(
    target: &Target<'_>,
    hay: &Haystack<'_>,
    text: &str,
    text_index: &CharIndex<'_>,
    left_key_hits: Option<&[usize]>,
    right_key_hits: Option<&[usize]>,
) -> Resolution {
    let start_of_text = [0];
    let end_of_text = [hay.hay.len()];
    // Gaps start where a left key ends.
    let (left, shift) = match (left_key(&target.before), left_key_hits) {
        (Some(key), Some(hits)) => (hits, key.len()),
        _ => (&start_of_text[..], 0),
    };
    let right = right_key_hits.unwrap_or(&end_of_text);
    if left.is_empty() || right.is_empty() {
        return Resolution::Outdated;
    }
    choose_fuzzy(target, hay, text, text_index, left, shift, right)
}

/// A possible fuzzy match: the gap between a left and a right context, in haystack offsets.
#[derive(Debug, Clone, Copy)]
struct Gap {
    b0: usize,
    b1: usize,
    score: usize,
    distance_to_old: usize,
}

/// Pick the best fuzzy match, given where left contexts end (`left`, each plus `shift`) and
/// where right contexts start (`right`), both haystack byte offsets, ascending.
fn choose_fuzzy(
    target: &Target<'_>,
    hay: &Haystack<'_>,
    text: &str,
    text_index: &CharIndex<'_>,
    left: &[usize],
    shift: usize,
    right: &[usize],
) -> Resolution {
    let quote: Vec<char> = target.needle.chars().collect();
    let qc = quote.len();
    if qc == 0 || qc > MAX_FUZZY_QUOTE_CHARS {
        return Resolution::Outdated;
    }
    let max_dist = (qc / 4).clamp(2, MAX_FUZZY_EDITS);
    let min_chars = qc.saturating_sub(max_dist).max(qc.div_ceil(2)).max(1);
    let max_chars = (qc + max_dist).min(qc.saturating_mul(3) / 2);
    if min_chars > max_chars {
        return Resolution::Outdated;
    }
    let quote_has_content = !target.needle.trim().is_empty();
    let max_bytes = max_chars.saturating_mul(4);

    let context = target.context();
    let bytes = hay.hay.as_bytes();
    let mut gaps: Vec<Gap> = Vec::new();
    let mut examined = 0usize;
    let mut from = 0usize;
    'outer: for &b0 in left {
        let b0 = b0.saturating_add(shift);
        // A char is 1 to 4 bytes: this window holds every gap of an acceptable char length.
        let lo = b0.saturating_add(min_chars);
        let hi = b0.saturating_add(max_bytes);
        // `left` is ascending, so the window only moves forward.
        let rest = right.get(from..).unwrap_or(&[]);
        from += rest.partition_point(|&r| r < lo);
        for &b1 in right.get(from..).unwrap_or(&[]) {
            if b1 > hi {
                break;
            }
            examined += 1;
            if examined > MAX_FUZZY_PAIRS_EXAMINED {
                break 'outer;
            }
            let chars = hay
                .char_at(text_index, b1)
                .saturating_sub(hay.char_at(text_index, b0));
            if chars < min_chars || chars > max_chars {
                continue;
            }
            let score = context.score(bytes, b0, b1);
            let start = text_index.char_at(hay.to_text(b0));
            gaps.push(Gap {
                b0,
                b1,
                score,
                distance_to_old: start.abs_diff(target.anchor.start),
            });
        }
    }
    if gaps.is_empty() {
        return Resolution::Outdated;
    }
    gaps.sort_unstable_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(a.distance_to_old.cmp(&b.distance_to_old))
            .then(a.b0.cmp(&b.b0))
            .then(a.b1.cmp(&b.b1))
    });

    let cells = qc.saturating_mul(2 * max_dist + 1);
    let mut budget = DISTANCE_CELL_BUDGET;
    let mut best: Option<(Gap, usize)> = None;
    let mut buf: Vec<char> = Vec::new();
    for (n, g) in gaps.iter().take(MAX_DISTANCE_EVALS).enumerate() {
        if best.is_some_and(|(b, _)| g.score < b.score) {
            break; // sorted by score: nothing later can win
        }
        let gap = hay.hay.get(g.b0..g.b1).unwrap_or("");
        if quote_has_content && gap.trim().is_empty() {
            continue;
        }
        if n > 0 {
            if cells > budget {
                break;
            }
            budget -= cells;
        }
        buf.clear();
        buf.extend(gap.chars());
        if let Some(d) = bounded_levenshtein(&quote, &buf, max_dist) {
            // Same score: the smaller distance wins; on equal distance the earlier-sorted one.
            if best.is_none_or(|(_, bd)| d < bd) {
                best = Some((*g, d));
            }
        }
    }
    match best {
        Some((g, _)) => {
            let (b0, b1) = target.place(text, hay.to_text(g.b0), hay.to_text(g.b1));
            let exact = text.get(b0..b1) == Some(target.anchor.quote.as_str());
            let anchor = make_anchor(text, b0, b1, text_index.char_at(b0));
            Resolution::Anchored { anchor, exact }
        }
        None => Resolution::Outdated,
    }
}

// ---------------------------------------------------------------------------------------------
// Whitespace folding.

/// The byte length of the whitespace char at byte `i` of `text`, or 0 when there is none
/// (also when `i` is not a char boundary, or past the end).
#[inline]
fn ws_len(text: &str, i: usize) -> usize {
    match text.as_bytes().get(i) {
        Some(b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ') => 1,
        // The lead bytes of every non-ASCII whitespace char (U+0085, U+00A0, U+1680,
        // U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000).
        Some(0xC2 | 0xE1 | 0xE2 | 0xE3) => text
            .get(i..)
            .and_then(|s| s.chars().next())
            .filter(|c| c.is_whitespace())
            .map_or(0, char::len_utf8),
        _ => 0,
    }
}

/// A text with every maximal run of whitespace replaced by one space, and the way back to the
/// text's own offsets.
#[derive(Debug)]
struct Folded<'t> {
    folded: Cow<'t, str>,
    /// Where the folded text is shorter than the text: (offset in the folded text just past a
    /// run's space, bytes and chars of the text removed up to there), ascending.
    shifts: Vec<Shift>,
}

/// See [`Folded::shifts`].
#[derive(Debug, Clone, Copy)]
struct Shift {
    at: usize,
    bytes: usize,
    chars: usize,
}

impl<'t> Folded<'t> {
    /// Fold `text`. Every run of whitespace that folding changes holds a whitespace char other
    /// than a space, or two spaces in a row; those are found with `memchr`, so the cost on
    /// ordinary text (single spaces between words) is a few fast passes over it.
    fn new(text: &'t str) -> Self {
        let bytes = text.as_bytes();
        let mut events: Vec<usize> = Vec::new();
        events.extend(memchr::memchr3_iter(b'\n', b'\t', b'\r', bytes));
        events.extend(memchr::memchr2_iter(0x0B, 0x0C, bytes));
        // Lead bytes of every non-ASCII whitespace char (U+0085, U+00A0, U+1680,
        // U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000).
        events.extend(memchr::memchr3_iter(0xC2, 0xE2, 0xE3, bytes));
        events.extend(memchr::memchr_iter(0xE1, bytes));
        events.extend(memmem::find_iter(bytes, b"  "));
        // Five ascending runs: the stable sort merges them.
        events.sort();

        let mut out = String::new();
        let mut shifts = Vec::new();
        let (mut removed_bytes, mut removed_chars) = (0usize, 0usize);
        let mut copied_to = 0usize;
        for e in events {
            if e < copied_to || ws_len(text, e) == 0 {
                continue;
            }
            let run_start = ws_run_start(text, e);
            let (mut i, mut run_chars) = (run_start, 0usize);
            loop {
                let w = ws_len(text, i);
                if w == 0 {
                    break;
                }
                i += w;
                run_chars += 1;
            }
            if out.capacity() == 0 {
                out.reserve(text.len());
            }
            out.push_str(text.get(copied_to..run_start).unwrap_or(""));
            out.push(' ');
            copied_to = i;
            if run_chars > 1 || i - run_start > 1 {
                removed_bytes += i - run_start - 1;
                removed_chars += run_chars - 1;
                shifts.push(Shift {
                    at: out.len(),
                    bytes: removed_bytes,
                    chars: removed_chars,
                });
            }
        }
        let folded = if copied_to == 0 {
            Cow::Borrowed(text)
        } else {
            out.push_str(text.get(copied_to..).unwrap_or(""));
            Cow::Owned(out)
        };
        Self { folded, shifts }
    }
}

/// What anchors are searched in: the folded text, or (for whitespace-only quotes) the text
/// itself.
#[derive(Debug)]
struct Haystack<'h> {
    hay: &'h str,
    /// See [`Folded::shifts`]; empty for the text itself.
    shifts: &'h [Shift],
}

impl<'h> Haystack<'h> {
    fn raw(text: &'h str) -> Self {
        Self {
            hay: text,
            shifts: &[],
        }
    }

    fn folded(folded: &'h Folded<'_>) -> Self {
        Self {
            hay: &folded.folded,
            shifts: &folded.shifts,
        }
    }

    /// What the text lost by folding before haystack offset `f`.
    fn removed_before(&self, f: usize) -> (usize, usize) {
        let k = self.shifts.partition_point(|s| s.at <= f);
        k.checked_sub(1)
            .and_then(|k| self.shifts.get(k))
            .map_or((0, 0), |s| (s.bytes, s.chars))
    }

    /// The text's byte offset of haystack offset `f`: a folded run's space maps to the start
    /// of the run, the offset just past it to the end of the run.
    fn to_text(&self, f: usize) -> usize {
        f.saturating_add(self.removed_before(f).0)
    }

    /// The char offset in the haystack of haystack byte offset `f`, from the text's index.
    fn char_at(&self, text_index: &CharIndex<'_>, f: usize) -> usize {
        let (bytes, chars) = self.removed_before(f);
        text_index
            .char_at(f.saturating_add(bytes))
            .saturating_sub(chars)
    }
}

/// One anchor, prepared for searching.
#[derive(Debug)]
struct Target<'a> {
    anchor: &'a Anchor,
    /// The quote is only whitespace: searched byte for byte in the text itself.
    raw: bool,
    /// What is searched for: the quote's wording folded, without its leading and trailing
    /// whitespace (the quote itself when `raw`).
    needle: Cow<'a, str>,
    /// `needle`'s length in chars.
    needle_chars: usize,
    /// The quote's leading and trailing whitespace (empty when `raw`).
    lead: &'a str,
    trail: &'a str,
    /// The context as searched, at most [`CONTEXT_CHARS`] chars a side: the prefix and the
    /// quote's leading whitespace folded, and the quote's trailing whitespace and the suffix
    /// folded (the prefix and suffix themselves when `raw`).
    before: Cow<'a, str>,
    after: Cow<'a, str>,
}

impl<'a> Target<'a> {
    /// `None` for an empty quote.
    fn new(anchor: &'a Anchor) -> Option<Self> {
        let quote = anchor.quote.as_str();
        if quote.is_empty() {
            return None;
        }
        let prefix = last_chars(&anchor.prefix, CONTEXT_CHARS);
        let suffix = first_chars(&anchor.suffix, CONTEXT_CHARS);
        let core = quote.trim_matches(char::is_whitespace);
        if core.is_empty() {
            return Some(Self {
                anchor,
                raw: true,
                needle: Cow::Borrowed(quote),
                needle_chars: count_chars(quote.as_bytes()),
                lead: "",
                trail: "",
                before: Cow::Borrowed(prefix),
                after: Cow::Borrowed(suffix),
            });
        }
        let core_start = quote.len() - quote.trim_start_matches(char::is_whitespace).len();
        let core_end = quote.trim_end_matches(char::is_whitespace).len();
        let (lead, trail) = (
            quote.get(..core_start).unwrap_or(""),
            quote.get(core_end..).unwrap_or(""),
        );
        let needle = fold_small(&[core]);
        let before = cow_last_chars(
            fold_small(&[prefix, last_chars(lead, CONTEXT_CHARS)]),
            CONTEXT_CHARS,
        );
        let after = cow_first_chars(
            fold_small(&[first_chars(trail, CONTEXT_CHARS), suffix]),
            CONTEXT_CHARS,
        );
        Some(Self {
            anchor,
            raw: false,
            needle_chars: count_chars(needle.as_bytes()),
            needle,
            lead,
            trail,
            before,
            after,
        })
    }

    fn context(&self) -> Context<'_> {
        Context::new(&self.before, &self.after)
    }

    /// The text's byte range for wording found at `b0..b1` of the text: widened by the quote's
    /// leading (trailing) whitespace when the text has it there byte for byte, else by the
    /// whole run of whitespace the text has there (if any).
    fn place(&self, text: &str, b0: usize, b1: usize) -> (usize, usize) {
        let bytes = text.as_bytes();
        let b0 = b0.min(text.len());
        let b1 = b1.clamp(b0, text.len());
        let start = if self.lead.is_empty() {
            b0
        } else if bytes[..b0].ends_with(self.lead.as_bytes()) {
            b0 - self.lead.len()
        } else {
            ws_run_start(text, b0)
        };
        let end = if self.trail.is_empty() {
            b1
        } else if bytes[b1..].starts_with(self.trail.as_bytes()) {
            b1 + self.trail.len()
        } else {
            ws_run_end(text, b1)
        };
        (start, end)
    }
}

/// Byte classes for folding: 1 for ASCII whitespace, 2 for a lead byte of some non-ASCII
/// whitespace (U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F,
/// U+3000), 0 for any other byte.
const WS_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b'\t' as usize] = 1;
    t[b'\n' as usize] = 1;
    t[0x0B] = 1;
    t[0x0C] = 1;
    t[b'\r' as usize] = 1;
    t[b' ' as usize] = 1;
    t[0xC2] = 2;
    t[0xE1] = 2;
    t[0xE2] = 2;
    t[0xE3] = 2;
    t
};

/// Whether folding changes `s`: it has a whitespace char other than a space, or two spaces
/// in a row. Written as branch-free passes, which the compiler vectorizes: this runs for every
/// anchor's quote and context.
fn needs_fold(s: &str) -> bool {
    let b = s.as_bytes();
    let control = b
        .iter()
        .fold(false, |acc, &c| acc | (c.wrapping_sub(b'\t') < 5));
    let two_spaces = b
        .iter()
        .zip(b.iter().skip(1))
        .fold(false, |acc, (&x, &y)| acc | ((x == b' ') & (y == b' ')));
    let maybe_unicode = b
        .iter()
        .fold(false, |acc, &c| acc | (WS_CLASS[usize::from(c)] == 2));
    control || two_spaces || (maybe_unicode && s.chars().any(|c| c.is_whitespace() && c != ' '))
}

/// The concatenation of `parts` folded (every run of whitespace to one space), borrowed when
/// there is one part that folding does not change. For short strings; [`Folded`] folds a
/// whole text.
fn fold_small<'s>(parts: &[&'s str]) -> Cow<'s, str> {
    let mut nonempty = parts.iter().filter(|p| !p.is_empty());
    match (nonempty.next(), nonempty.next()) {
        (None, _) => return Cow::Borrowed(""),
        (Some(one), None) if !needs_fold(one) => return Cow::Borrowed(one),
        _ => {}
    }
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        let mut copied_to = 0;
        let mut i = 0;
        while i < part.len() {
            let w = ws_len(part, i);
            if w == 0 {
                i += 1;
                continue;
            }
            out.push_str(part.get(copied_to..i).unwrap_or(""));
            if !out.ends_with(' ') || copied_to < i {
                out.push(' ');
            }
            i += w;
            copied_to = i;
        }
        out.push_str(part.get(copied_to..).unwrap_or(""));
    }
    Cow::Owned(out)
}

/// The last `n` chars of `s`, borrowed or owned as `s` is.
fn cow_last_chars(s: Cow<'_, str>, n: usize) -> Cow<'_, str> {
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(last_chars(b, n)),
        Cow::Owned(mut o) => {
            let cut = o.len() - last_chars(&o, n).len();
            o.replace_range(..cut, "");
            Cow::Owned(o)
        }
    }
}

/// The first `n` chars of `s`, borrowed or owned as `s` is.
fn cow_first_chars(s: Cow<'_, str>, n: usize) -> Cow<'_, str> {
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(first_chars(b, n)),
        Cow::Owned(mut o) => {
            o.truncate(first_chars(&o, n).len());
            Cow::Owned(o)
        }
    }
}

/// The start of the run of whitespace that ends at byte `b` of `text` (`b` if there is none).
fn ws_run_start(text: &str, b: usize) -> usize {
    let before = text.get(..b).unwrap_or("");
    before.trim_end_matches(char::is_whitespace).len()
}

/// The end of the run of whitespace that starts at byte `b` of `text` (`b` if there is none).
fn ws_run_end(text: &str, b: usize) -> usize {
    let after = text.get(b..).unwrap_or("");
    b + (after.len() - after.trim_start_matches(char::is_whitespace).len())
}

/// The last `n` chars of `s` (all of it when shorter).
fn last_chars(s: &str, n: usize) -> &str {
    if s.len() <= n {
        return s; // no more chars than bytes
    }
    let from = s
        .char_indices()
        .rev()
        .take(n)
        .last()
        .map_or(s.len(), |(i, _)| i);
    s.get(from..).unwrap_or("")
}

/// The first `n` chars of `s` (all of it when shorter).
fn first_chars(s: &str, n: usize) -> &str {
    if s.len() <= n {
        return s;
    }
    let to = s.char_indices().nth(n).map_or(s.len(), |(i, _)| i);
    s.get(..to).unwrap_or("")
}

/// An anchor's context, cut to [`CONTEXT_CHARS`] chars a side, for scoring candidates.
#[derive(Debug, Clone, Copy)]
struct Context<'a> {
    /// The last [`CONTEXT_CHARS`] chars of the prefix.
    before: &'a [u8],
    /// The first [`CONTEXT_CHARS`] chars of the suffix.
    after: &'a [u8],
}

impl<'a> Context<'a> {
    /// The context of `prefix` and `suffix`, cut to [`CONTEXT_CHARS`] chars a side.
    fn new(prefix: &'a str, suffix: &'a str) -> Self {
        Self {
            before: last_chars(prefix, CONTEXT_CHARS).as_bytes(),
            after: first_chars(suffix, CONTEXT_CHARS).as_bytes(),
        }
    }

    /// How many chars of context there are, both sides together.
    fn available(&self) -> usize {
        count_chars(self.before) + count_chars(self.after)
    }

    /// The context score of the candidate `text[b0..b1]`: chars of the prefix that stand
    /// immediately before it plus chars of the suffix that stand immediately after it, each
    /// side counting at most [`CONTEXT_CHARS`].
    ///
    /// Compared byte-wise: the common byte suffix (prefix) ends (starts) on a char boundary, a
    /// char is wholly common exactly when its lead byte is in the common part (a lead byte
    /// never equals a continuation byte), so counting lead bytes counts common chars; on the
    /// right a trailing partly common char is taken off.
    #[inline]
    fn score(&self, text: &[u8], b0: usize, b1: usize) -> usize {
        let before = text.get(..b0).unwrap_or(&[]);
        let after = text.get(b1..).unwrap_or(&[]);
        let n = common_suffix(self.before, before);
        let left = count_chars(&self.before[self.before.len() - n..]);
        let m = common_prefix(self.after, after);
        let mut right = count_chars(&self.after[..m]);
        if self.after.get(m).is_some_and(|&b| is_continuation(b)) {
            right -= 1;
        }
        left + right
    }
}

/// Eight bytes of `b` from `at` (`at + 8 <= b.len()`), little-endian.
#[inline]
fn word_at(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    if let Some(src) = b.get(at..at + 8) {
        w.copy_from_slice(src);
    }
    u64::from_le_bytes(w)
}

/// Length of the longest common prefix of `a` and `b`, compared 8 bytes at a time.
#[inline]
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 8 <= n {
        let x = word_at(a, i) ^ word_at(b, i);
        if x != 0 {
            return i + (x.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + a[i..n]
        .iter()
        .zip(&b[i..n])
        .take_while(|(x, y)| x == y)
        .count()
}

/// Length of the longest common suffix of `a` and `b`, compared 8 bytes at a time.
#[inline]
fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let (a, b) = (&a[a.len() - n..], &b[b.len() - n..]);
    let mut i = 0;
    while i + 8 <= n {
        let x = word_at(a, n - i - 8) ^ word_at(b, n - i - 8);
        if x != 0 {
            return i + (x.leading_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + a[..n - i]
        .iter()
        .rev()
        .zip(b[..n - i].iter().rev())
        .take_while(|(x, y)| x == y)
        .count()
}

/// Char-level Levenshtein distance of `a` and `b` if it is at most `k` (banded, with early
/// exit), else `None`.
fn bounded_levenshtein(a: &[char], b: &[char], k: usize) -> Option<usize> {
    let (n, m) = (a.len(), b.len());
    if n.abs_diff(m) > k {
        return None;
    }
    let inf = k + 1;
    let mut prev: Vec<usize> = (0..=m).map(|j| j.min(inf)).collect();
    let mut cur: Vec<usize> = vec![inf; m + 1];
    for i in 1..=n {
        let lo = i.saturating_sub(k);
        let hi = (i + k).min(m);
        let mut row_min = inf;
        if lo == 0 {
            cur[0] = i.min(inf);
            row_min = cur[0];
        } else {
            cur[lo - 1] = inf;
        }
        for j in lo.max(1)..=hi {
            let substitute = prev[j - 1] + usize::from(a[i - 1] != b[j - 1]);
            let v = substitute.min(prev[j] + 1).min(cur[j - 1] + 1).min(inf);
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if hi < m {
            cur[hi + 1] = inf;
        }
        if row_min > k {
            return None;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    let d = prev[m];
    (d <= k).then_some(d)
}

// ---------------------------------------------------------------------------------------------
// Offsets.

/// Build the anchor for `text[b0..b1]` (char boundaries, `b0 <= b1`) whose start char offset is
/// already known.
fn make_anchor(text: &str, b0: usize, b1: usize, start: usize) -> Anchor {
    let before = text.get(..b0).unwrap_or("");
    let after = text.get(b1..).unwrap_or("");
    let quote = text.get(b0..b1).unwrap_or("");
    let prefix_start = before
        .char_indices()
        .rev()
        .take(CONTEXT_CHARS)
        .last()
        .map_or(b0, |(i, _)| i);
    let suffix_end = after
        .char_indices()
        .nth(CONTEXT_CHARS)
        .map_or(after.len(), |(i, _)| i);
    Anchor {
        quote: quote.to_owned(),
        prefix: before.get(prefix_start..).unwrap_or("").to_owned(),
        suffix: after.get(..suffix_end).unwrap_or("").to_owned(),
        start,
        end: start + count_chars(quote.as_bytes()),
    }
}

/// Number of chars that start in `bytes` (UTF-8 bytes that are not continuation bytes),
/// counted eight bytes at a time.
fn count_chars(bytes: &[u8]) -> usize {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut words = bytes.chunks_exact(8);
    let mut continuation = 0usize;
    for w in &mut words {
        let w = u64::from_le_bytes(w.try_into().unwrap_or_default());
        // Bit 7 set and bit 6 clear: a continuation byte.
        continuation += (w & !(w << 1) & HIGH).count_ones() as usize;
    }
    let rest = words.remainder();
    bytes.len() - continuation - rest.iter().filter(|&&b| is_continuation(b)).count()
}

/// Whether `b` is a UTF-8 continuation byte (`0b10xx_xxxx`).
fn is_continuation(b: u8) -> bool {
    (b as i8) < -0x40
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char_boundary(text: &str, mut i: usize) -> usize {
    while i < text.len() && !text.is_char_boundary(i) {
        i += 1;
    }
    i.min(text.len())
}

/// Char offsets of byte offsets in O(1) each (plus at most [`BLOCK`] bytes counted), from a
/// table of the char count at every block start, built in one pass.
#[derive(Debug)]
struct CharIndex<'a> {
    bytes: &'a [u8],
    blocks: Vec<usize>,
}

impl<'a> CharIndex<'a> {
    fn new(text: &'a str) -> Self {
        let bytes = text.as_bytes();
        let mut blocks = Vec::with_capacity(bytes.len() / BLOCK + 2);
        let mut acc = 0;
        blocks.push(0);
        for chunk in bytes.chunks(BLOCK) {
            acc += count_chars(chunk);
            blocks.push(acc);
        }
        Self { bytes, blocks }
    }

    /// The number of chars that start before byte `b` (clamped to the text).
    fn char_at(&self, b: usize) -> usize {
        let b = b.min(self.bytes.len());
        let block = b / BLOCK;
        let base = self.blocks.get(block).copied().unwrap_or(0);
        base + count_chars(self.bytes.get(block * BLOCK..b).unwrap_or(&[]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_levenshtein(a: &[char], b: &[char]) -> usize {
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for i in 1..=a.len() {
            let mut cur = vec![i; b.len() + 1];
            for j in 1..=b.len() {
                cur[j] = (prev[j - 1] + usize::from(a[i - 1] != b[j - 1]))
                    .min(prev[j] + 1)
                    .min(cur[j - 1] + 1);
            }
            prev = cur;
        }
        prev[b.len()]
    }

    #[test]
    fn bounded_levenshtein_agrees_with_naive() {
        let words = [
            "", "a", "ab", "ba", "abc", "kitten", "sitting", "flaw", "lawn", "ééa", "aaaa",
        ];
        for x in words {
            for y in words {
                let (a, b): (Vec<char>, Vec<char>) = (x.chars().collect(), y.chars().collect());
                let d = naive_levenshtein(&a, &b);
                for k in 0..8 {
                    let expected = (d <= k).then_some(d);
                    assert_eq!(
                        bounded_levenshtein(&a, &b, k),
                        expected,
                        "{x:?} {y:?} k={k}"
                    );
                }
            }
        }
    }

    #[test]
    fn char_index_matches_counting() {
        let text = "aé😀中b".repeat(50);
        let index = CharIndex::new(&text);
        for (b, _) in text.char_indices().chain([(text.len(), ' ')]) {
            assert_eq!(index.char_at(b), text[..b].chars().count());
        }
        assert_eq!(index.char_at(usize::MAX), text.chars().count());
        let bytes = text.as_bytes();
        for from in 0..40 {
            for to in from..bytes.len().min(from + 90) {
                let naive = bytes[from..to]
                    .iter()
                    .filter(|&&b| !is_continuation(b))
                    .count();
                assert_eq!(count_chars(&bytes[from..to]), naive, "{from}..{to}");
            }
        }
    }

    #[test]
    fn keys() {
        assert_eq!(left_key(""), None);
        assert_eq!(right_key(""), None);
        assert_eq!(left_key("abc"), Some("abc"));
        assert_eq!(left_key("0123456789abcdefghij"), Some("456789abcdefghij"));
        assert_eq!(right_key("0123456789abcdefghij"), Some("0123456789abcdef"));
        assert_eq!(right_key("é😀"), Some("é😀"));
    }

    #[test]
    fn overlapping_search_matches_multi_pattern_search() {
        let text = "aaaa abab ééé aaa";
        let patterns = ["aa", "aba", "éé", "a", "zz"];
        let all = find_all_overlapping(text, &patterns, usize::MAX).unwrap();
        assert_eq!(find_all_overlapping(text, &patterns, 3), None);
        for (p, hits) in patterns.iter().zip(all) {
            assert_eq!(hits, find_overlapping(text, p), "{p}");
        }
        assert_eq!(find_overlapping(text, "aa"), vec![0, 1, 2, 17, 18]);
    }

    #[test]
    fn long_patterns_sharing_keys_are_all_found() {
        let text = "abcdefgh".repeat(20) + "abcdefghX" + &"é".repeat(30);
        let patterns = [
            "abcdefghab",
            "abcdefghabcdefghabc",
            "bcdefgha",
            "abcdefghabcdefghX",
            "abcdefghabcdefgX",
            "hXééé",
            "éééééééééé",
            "abcdefgh",
            "abcdefghabcdefgh",
            "abcdefghabcdefgh",
        ];
        let all = find_all_overlapping(&text, &patterns, usize::MAX).unwrap();
        for (p, hits) in patterns.iter().zip(&all) {
            assert_eq!(hits, &find_overlapping(&text, p), "{p}");
        }
        assert!(all[1].len() > 10 && all[6].len() == 21 && all[3].len() == 1);
        assert_eq!(find_all_overlapping(&text, &patterns, 50), None);
    }

    #[test]
    fn fallback_without_budget_gives_the_same_results() {
        let old = "Alpha beta gamma. Alpha beta delta. The committee shall meet. ".repeat(3);
        let anchors: Vec<Anchor> = (0..old.len())
            .step_by(7)
            .map(|b| anchor_at_bytes(&old, b..b + 23))
            .chain([Anchor {
                quote: "Alpha".into(),
                prefix: String::new(),
                suffix: String::new(),
                start: 99,
                end: 3,
            }])
            .collect();
        let new = old
            .replace("committee shall", "committee will")
            .replace("gamma", "Gamma");
        let expected: Vec<Resolution> = anchors.iter().map(|a| reanchor(a, &new)).collect();
        assert!(
            expected
                .iter()
                .any(|r| matches!(r, Resolution::Anchored { exact: false, .. }))
        );
        assert!(expected.iter().any(|r| matches!(r, Resolution::Outdated)));
        for budget in [0, 1, 10, 100, usize::MAX] {
            assert_eq!(
                reanchor_all_within(&anchors, &new, budget),
                expected,
                "budget {budget}"
            );
        }
    }

    fn reference_score(anchor: &Anchor, text: &str, b0: usize, b1: usize) -> usize {
        let left = anchor
            .prefix
            .chars()
            .rev()
            .zip(text[..b0].chars().rev())
            .take(CONTEXT_CHARS)
            .take_while(|(a, b)| a == b)
            .count();
        let right = anchor
            .suffix
            .chars()
            .zip(text[b1..].chars())
            .take(CONTEXT_CHARS)
            .take_while(|(a, b)| a == b)
            .count();
        left + right
    }

    /// Fold naively, char by char, recording the text's byte offset of every folded byte
    /// offset (and of the end).
    fn naive_fold(s: &str) -> (String, Vec<usize>) {
        let (mut out, mut map) = (String::new(), Vec::new());
        let mut in_run = false;
        for (i, c) in s.char_indices() {
            if c.is_whitespace() {
                if !in_run {
                    out.push(' ');
                    map.push(i);
                }
                in_run = true;
            } else {
                for k in 0..c.len_utf8() {
                    map.push(i + k);
                }
                out.push(c);
                in_run = false;
            }
        }
        map.push(s.len());
        (out, map)
    }

    #[test]
    fn folding_examples() {
        let f = Folded::new("a  b\n\nc\u{3000}d\te\r\nf g");
        assert_eq!(f.folded, "a b c d e f g");
        let f = Folded::new("plain words only");
        assert!(matches!(f.folded, Cow::Borrowed(_)) && f.shifts.is_empty());
        assert_eq!(fold_small(&["ab ", "\n cd"]), "ab cd");
        assert_eq!(fold_small(&["", "x\u{a0}y"]), "x y");
        assert!(matches!(
            fold_small(&["one two", ""]),
            Cow::Borrowed("one two")
        ));
        assert!(!needs_fold("em — dash, “quotes”"));
        assert!(needs_fold("no\u{a0}break") && needs_fold("a  b") && needs_fold("a\n"));
    }

    proptest::proptest! {
        #[test]
        fn folding_agrees_with_naive_folding(
            s in "[ab é😀\n\t\r\u{a0}\u{3000}\u{2028}\u{85}—\u{0b}\u{0c}]{0,60}",
        ) {
            let (expected, map) = naive_fold(&s);
            let folded = Folded::new(&s);
            proptest::prop_assert_eq!(&*folded.folded, expected.as_str());
            proptest::prop_assert_eq!(&*fold_small(&[&s]), expected.as_str());
            let (a, b) = s.split_at(s.char_indices().nth(3).map_or(s.len(), |(i, _)| i));
            proptest::prop_assert_eq!(&*fold_small(&[a, b]), expected.as_str());
            proptest::prop_assert_eq!(needs_fold(&s), expected != s);
            let hay = Haystack::folded(&folded);
            let index = CharIndex::new(&s);
            for f in (0..=expected.len()).filter(|&f| expected.is_char_boundary(f)) {
                proptest::prop_assert_eq!(hay.to_text(f), map[f], "{}", f);
                proptest::prop_assert_eq!(hay.char_at(&index, f), expected[..f].chars().count());
            }
        }

        #[test]
        fn bytewise_context_score_counts_common_chars(
            text in "[aé😀©b]{0,50}",
            prefix in "[aé😀©b]{0,40}",
            suffix in "[aé😀©b]{0,40}",
            at in 0usize..60,
            len in 0usize..5,
        ) {
            let bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
            let b0 = bounds[at % bounds.len()];
            let b1 = bounds[(at % bounds.len() + len).min(bounds.len() - 1)];
            let anchor = Anchor { quote: text[b0..b1].to_owned(), prefix, suffix, start: 0, end: 0 };
            let with_context = format!("{}{}{}", anchor.prefix, anchor.quote, anchor.suffix);
            for (t, s, e) in [(text.as_str(), b0, b1), (with_context.as_str(), anchor.prefix.len(), anchor.prefix.len() + anchor.quote.len())] {
                proptest::prop_assert_eq!(
                    Context::new(&anchor.prefix, &anchor.suffix).score(t.as_bytes(), s, e),
                    reference_score(&anchor, t, s, e)
                );
            }
        }

        #[test]
        fn multi_pattern_search_is_exact(
            text in "[ab é😀]{0,120}",
            picks in proptest::collection::vec((0usize..200, 0usize..40), 0..12),
        ) {
            let patterns: Vec<String> = picks
                .iter()
                .map(|&(at, len)| text.chars().skip(at % 60).take(len).collect())
                .collect();
            let refs: Vec<&str> = patterns.iter().map(String::as_str).collect();
            let all = find_all_overlapping(&text, &refs, usize::MAX).unwrap();
            for (p, hits) in refs.iter().zip(&all) {
                proptest::prop_assert_eq!(hits, &find_overlapping(&text, p));
            }
        }
    }
}
