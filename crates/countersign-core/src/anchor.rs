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
//! or [`reanchor_all`] for many anchors at once — same results, a pass or two over the text):
//!
//! 1. **Exact.** The candidates are all occurrences of the quote (overlapping ones included).
//!    The best has the highest *context score*: the number of chars of the anchor's prefix that
//!    still stand immediately before the candidate (common suffix) plus the number of chars of
//!    its suffix that stand immediately after it (common prefix), each side counting at most
//!    [`CONTEXT_CHARS`]. Ties go to the candidate nearest the old start offset, then to the
//!    earlier one.
//! 2. **Fuzzy.** When the quote no longer occurs at all, the wording may have been edited
//!    slightly. The last 16 chars of the prefix and the first 16 chars of the suffix (all of
//!    either when shorter) are looked for; an empty prefix (suffix) means the quote was at the
//!    start (end) of the text, and then that side must be at the start (end) of the new text.
//!    The text between such a left and right context is accepted as the new wording when it is
//!    non-empty (not only whitespace, unless the quote is), between 0.5× and 1.5× the quote's
//!    length, and within a char-level Levenshtein distance of `max(2, quote_chars / 4)` (at most
//!    256) of the quote. Context is required on both sides. The best such place has the
//!    highest context score, then the smallest distance, then is nearest the old start, then
//!    earliest.
//! 3. Otherwise the anchor is [`Resolution::Outdated`].
//!
//! The fuzzy search is bounded so that pathological text cannot make it slow: it examines at
//! most 16,384 (left context, right context) pairs, in text order, and computes the edit
//! distance for at most 32 of the best of them (fewer for long quotes); quotes longer than
//! 16,384 chars are only ever matched exactly.

use std::collections::HashMap;
use std::ops::Range;

use aho_corasick::{AhoCorasick, MatchKind};
use memchr::memmem;
use serde::{Deserialize, Serialize};

/// How many characters of context are kept on each side of a quote.
pub const CONTEXT_CHARS: usize = 32;

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
    /// The wording was found. `exact` is false when the quote was matched with small edits
    /// inside it (the returned anchor then carries the wording as it now reads).
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
pub fn anchor_quote(
    text: &str,
    quote: &str,
    occurrence: usize,
) -> Result<(Anchor, usize), AnchorError> {
    if quote.trim().is_empty() {
        return Err(AnchorError::EmptyQuote);
    }
    let hits = find_overlapping(text, quote);
    if hits.is_empty() {
        return Err(AnchorError::QuoteNotFound);
    }
    let Some(&b0) = hits.get(occurrence.max(1) - 1) else {
        return Err(AnchorError::OccurrenceOutOfRange {
            found: hits.len(),
            asked: occurrence,
        });
    };
    let start = count_chars(&text.as_bytes()[..b0]);
    Ok((make_anchor(text, b0, b0 + quote.len(), start), hits.len()))
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
    if anchor.quote.is_empty() {
        return Resolution::Outdated;
    }
    let index = CharIndex::new(text);
    let hits = find_overlapping(text, &anchor.quote);
    if !hits.is_empty() {
        return choose_exact(anchor, text, &hits, &index);
    }
    let left = left_key(&anchor.prefix).map(|k| find_overlapping(text, k));
    let right = right_key(&anchor.suffix).map(|k| find_overlapping(text, k));
    fuzzy_from_keys(anchor, text, left.as_deref(), right.as_deref(), &index)
}

/// Re-anchor many anchors onto one text. Same results as calling [`reanchor`] for each, but
/// fast for many anchors on a large text.
///
/// All distinct quotes are found in a single pass over the text (overlapping matches), char
/// offsets come from one checkpoint table built in one pass, and only the anchors whose quote
/// no longer occurs take a second pass, for their context. Should that search meet a
/// pathological text (say, thousands of quotes that each occur a million times), it falls back
/// to one search per distinct quote, which bounds the memory used.
pub fn reanchor_all(anchors: &[Anchor], text: &str) -> Vec<Resolution> {
    let budget = SEARCH_WORK_BUDGET.saturating_add(text.len().saturating_mul(4));
    reanchor_all_within(anchors, text, budget)
}

/// Work (verifications plus recorded matches) one multi-pattern search may do before falling
/// back to searching pattern by pattern, on top of 4 units per byte of text.
const SEARCH_WORK_BUDGET: usize = 1 << 24;

/// [`reanchor_all`] with an explicit multi-pattern search budget.
fn reanchor_all_within(anchors: &[Anchor], text: &str, budget: usize) -> Vec<Resolution> {
    if anchors.is_empty() {
        return Vec::new();
    }
    let index = CharIndex::new(text);

    // Exact candidates for every distinct quote, in one pass.
    let mut quote_ids: HashMap<&str, usize> = HashMap::new();
    let mut quotes: Vec<&str> = Vec::new();
    let pattern_of: Vec<Option<usize>> = anchors
        .iter()
        .map(|a| (!a.quote.is_empty()).then(|| intern_dedup(&mut quotes, &mut quote_ids, &a.quote)))
        .collect();

    let mut out = vec![Resolution::Outdated; anchors.len()];
    let mut fuzzy: Vec<usize> = Vec::new();
    let mut resolve = |i: usize, hits: &[usize]| {
        if hits.is_empty() {
            fuzzy.push(i);
        } else {
            out[i] = choose_exact(&anchors[i], text, hits, &index);
        }
    };
    match find_all_overlapping(text, &quotes, budget) {
        Some(quote_hits) => {
            for (i, pattern) in pattern_of.iter().enumerate() {
                if let Some(hits) = pattern.and_then(|p| quote_hits.get(p)) {
                    resolve(i, hits);
                }
            }
        }
        None => {
            let mut anchors_of: Vec<Vec<usize>> = vec![Vec::new(); quotes.len()];
            for (i, pattern) in pattern_of.iter().enumerate() {
                if let Some(list) = pattern.and_then(|p| anchors_of.get_mut(p)) {
                    list.push(i);
                }
            }
            for (quote, list) in quotes.iter().zip(&anchors_of) {
                let hits = find_overlapping(text, quote);
                for &i in list {
                    resolve(i, &hits);
                }
            }
        }
    }
    if fuzzy.is_empty() {
        return out;
    }

    // Context keys of the anchors whose quote is gone, in a second pass.
    let mut key_ids: HashMap<&str, usize> = HashMap::new();
    let mut keys: Vec<&str> = Vec::new();
    let fuzzy_keys: Vec<(usize, Option<usize>, Option<usize>)> = fuzzy
        .iter()
        .map(|&i| {
            let a = &anchors[i];
            let l = left_key(&a.prefix).map(|k| intern_dedup(&mut keys, &mut key_ids, k));
            let r = right_key(&a.suffix).map(|k| intern_dedup(&mut keys, &mut key_ids, k));
            (i, l, r)
        })
        .collect();
    match find_all_overlapping(text, &keys, budget) {
        Some(key_hits) => {
            let hits_of =
                |k: Option<usize>| k.map(|k| key_hits.get(k).map_or(&[][..], Vec::as_slice));
            for (i, l, r) in fuzzy_keys {
                out[i] = fuzzy_from_keys(&anchors[i], text, hits_of(l), hits_of(r), &index);
            }
        }
        None => {
            for (i, l, r) in fuzzy_keys {
                let hits_of = |k: Option<usize>| k.map(|k| find_overlapping(text, keys[k]));
                let (left, right) = (hits_of(l), hits_of(r));
                out[i] =
                    fuzzy_from_keys(&anchors[i], text, left.as_deref(), right.as_deref(), &index);
            }
        }
    }
    out
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

/// Pick the best exact candidate (byte offsets of the quote, ascending, non-empty).
fn choose_exact(anchor: &Anchor, text: &str, hits: &[usize], index: &CharIndex<'_>) -> Resolution {
    struct Best {
        score: usize,
        b0: usize,
        start: Option<usize>,
    }
    let qlen = anchor.quote.len();
    let context = Context::of(anchor);
    let mut best: Option<Best> = None;
    for &b0 in hits {
        let score = context.score(text.as_bytes(), b0, b0 + qlen);
        match &mut best {
            None => {
                best = Some(Best {
                    score,
                    b0,
                    start: None,
                })
            }
            Some(cur) if score > cur.score => {
                *cur = Best {
                    score,
                    b0,
                    start: None,
                }
            }
            Some(cur) if score == cur.score => {
                let cur_start = *cur.start.get_or_insert_with(|| index.char_at(cur.b0));
                let start = index.char_at(b0);
                // Hits are ascending, so on equal distance the current (earlier) one stays.
                if start.abs_diff(anchor.start) < cur_start.abs_diff(anchor.start) {
                    *cur = Best {
                        score,
                        b0,
                        start: Some(start),
                    };
                }
            }
            Some(_) => {}
        }
    }
    match best {
        Some(best) => {
            let start = best.start.unwrap_or_else(|| index.char_at(best.b0));
            let anchor = make_anchor(text, best.b0, best.b0 + qlen, start);
            Resolution::Anchored {
                anchor,
                exact: true,
            }
        }
        None => Resolution::Outdated,
    }
}

/// Fuzzy re-anchoring, given the byte offsets at which the anchor's left and right context keys
/// occur (`None` for a side whose context is empty: that side is the start or end of the text).
fn fuzzy_from_keys(
    anchor: &Anchor,
    text: &str,
    left_key_hits: Option<&[usize]>,
    right_key_hits: Option<&[usize]>,
    index: &CharIndex<'_>,
) -> Resolution {
    let start_of_text = [0];
    let end_of_text = [text.len()];
    // Gaps start where a left key ends.
    let (left, shift) = match (left_key(&anchor.prefix), left_key_hits) {
        (Some(key), Some(hits)) => (hits, key.len()),
        _ => (&start_of_text[..], 0),
    };
    let right = right_key_hits.unwrap_or(&end_of_text);
    if left.is_empty() || right.is_empty() {
        return Resolution::Outdated;
    }
    choose_fuzzy(anchor, text, left, shift, right, index)
}

/// A possible fuzzy match: the gap between a left and a right context.
#[derive(Debug, Clone, Copy)]
struct Gap {
    b0: usize,
    b1: usize,
    score: usize,
    start: usize,
    distance_to_old: usize,
}

/// Pick the best fuzzy match, given where left contexts end (`left`, each plus `shift`) and
/// where right contexts start (`right`), both byte offsets, ascending.
fn choose_fuzzy(
    anchor: &Anchor,
    text: &str,
    left: &[usize],
    shift: usize,
    right: &[usize],
    index: &CharIndex<'_>,
) -> Resolution {
    let quote: Vec<char> = anchor.quote.chars().collect();
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
    let quote_has_content = !anchor.quote.trim().is_empty();
    let max_bytes = max_chars.saturating_mul(4);

    let context = Context::of(anchor);
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
            let start = index.char_at(b0);
            let chars = index.char_at(b1).saturating_sub(start);
            if chars < min_chars || chars > max_chars {
                continue;
            }
            let score = context.score(text.as_bytes(), b0, b1);
            let distance_to_old = start.abs_diff(anchor.start);
            gaps.push(Gap {
                b0,
                b1,
                score,
                start,
                distance_to_old,
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
        let gap = text.get(g.b0..g.b1).unwrap_or("");
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
            let anchor = make_anchor(text, g.b0, g.b1, g.start);
            Resolution::Anchored {
                anchor,
                exact: false,
            }
        }
        None => Resolution::Outdated,
    }
}

/// Most bytes [`CONTEXT_CHARS`] chars can take.
const CONTEXT_BYTES: usize = CONTEXT_CHARS * 4;

/// An anchor's context, cut to [`CONTEXT_CHARS`] chars a side, for scoring candidates.
#[derive(Debug, Clone, Copy)]
struct Context<'a> {
    /// The last [`CONTEXT_CHARS`] chars of the prefix.
    before: &'a [u8],
    /// The first [`CONTEXT_CHARS`] chars of the suffix.
    after: &'a [u8],
    /// `before_leads[k]`: chars starting in `before[..k]`.
    before_leads: [u8; CONTEXT_BYTES + 1],
    /// `after_leads[k]`: chars starting in `after[..k]`.
    after_leads: [u8; CONTEXT_BYTES + 1],
}

impl<'a> Context<'a> {
    fn of(anchor: &'a Anchor) -> Self {
        let p = &anchor.prefix;
        let from = p
            .char_indices()
            .rev()
            .take(CONTEXT_CHARS)
            .last()
            .map_or(p.len(), |(i, _)| i);
        let s = &anchor.suffix;
        let to = s
            .char_indices()
            .nth(CONTEXT_CHARS)
            .map_or(s.len(), |(i, _)| i);
        let before = p.as_bytes().get(from..).unwrap_or(&[]);
        let after = s.as_bytes().get(..to).unwrap_or(&[]);
        let leads = |bytes: &[u8]| {
            let mut table = [0u8; CONTEXT_BYTES + 1];
            let mut n = 0u8;
            for (k, &b) in bytes.iter().enumerate().take(CONTEXT_BYTES) {
                n += u8::from(!is_continuation(b));
                table[k + 1] = n;
            }
            table
        };
        Self {
            before,
            after,
            before_leads: leads(before),
            after_leads: leads(after),
        }
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
        let lead =
            |t: &[u8; CONTEXT_BYTES + 1], k: usize| usize::from(t.get(k).copied().unwrap_or(0));
        let left = lead(&self.before_leads, self.before.len())
            - lead(&self.before_leads, self.before.len() - n);
        let m = common_prefix(self.after, after);
        let mut right = lead(&self.after_leads, m);
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

    proptest::proptest! {
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
                    Context::of(&anchor).score(t.as_bytes(), s, e),
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
