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
//! or [`reanchor_all`] for many anchors at once — same results, one pass over the text):
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
//!    non-empty, between 0.5× and 1.5× the quote's length, and within a char-level Levenshtein
//!    distance of `max(2, quote_chars / 4)` of the quote. Context is required on both sides.
//!    The best such place has the highest context score, then the smallest distance, then is
//!    nearest the old start, then earliest.
//! 3. Otherwise the anchor is [`Resolution::Outdated`].
//!
//! The fuzzy search is bounded so that pathological text cannot make it slow: it examines at
//! most a few thousand (left context, right context) pairs and computes the edit distance for
//! at most a few dozen of the best of them.

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
    let hits = find_overlapping(text, &anchor.quote);
    if !hits.is_empty() {
        let index = CharIndex::new(text);
        return choose_exact(anchor, text, &hits, &index);
    }
    let left = match left_key(&anchor.prefix) {
        None => vec![0],
        Some(key) => find_overlapping(text, key)
            .into_iter()
            .map(|p| p + key.len())
            .collect(),
    };
    let right = match right_key(&anchor.suffix) {
        None => vec![text.len()],
        Some(key) => find_overlapping(text, key),
    };
    if left.is_empty() || right.is_empty() {
        return Resolution::Outdated;
    }
    let index = CharIndex::new(text);
    choose_fuzzy(anchor, text, &left, &right, &index)
}

/// Re-anchor many anchors onto one text. Same results as calling [`reanchor`] for each, but
/// fast for many anchors on a large text.
///
/// All distinct quotes are found in a single Aho–Corasick pass over the text (overlapping
/// matches), char offsets come from one checkpoint table built in one pass, and only the
/// anchors whose quote no longer occurs take a second pass, for their context.
pub fn reanchor_all(anchors: &[Anchor], text: &str) -> Vec<Resolution> {
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
    let quote_hits = find_all_overlapping(text, &quotes);

    let mut out = vec![Resolution::Outdated; anchors.len()];
    let mut fuzzy: Vec<usize> = Vec::new();
    for (i, (anchor, pattern)) in anchors.iter().zip(&pattern_of).enumerate() {
        let Some(hits) = pattern.and_then(|p| quote_hits.get(p)) else {
            continue;
        };
        if hits.is_empty() {
            fuzzy.push(i);
        } else {
            out[i] = choose_exact(anchor, text, hits, &index);
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
    let key_hits = find_all_overlapping(text, &keys);
    let hits_of = |k: usize| key_hits.get(k).map(Vec::as_slice).unwrap_or(&[]);

    for (i, l, r) in fuzzy_keys {
        let left: Vec<usize> = match l {
            None => vec![0],
            Some(k) => hits_of(k).iter().map(|p| p + keys[k].len()).collect(),
        };
        let right: Vec<usize> = match r {
            None => vec![text.len()],
            Some(k) => hits_of(k).to_vec(),
        };
        if !left.is_empty() && !right.is_empty() {
            out[i] = choose_fuzzy(&anchors[i], text, &left, &right, &index);
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

/// The char offset of every byte offset in `byte_offsets` (each clamped to the text and
/// counted up to the char it falls in), computed with one checkpoint table rather than by
/// counting from the start each time.
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
    while let Some(i) = hay.get(pos..).and_then(|rest| finder.find(rest)) {
        hits.push(pos + i);
        // Any later occurrence starts on a later char boundary; skipping one byte is enough.
        pos += i + 1;
    }
    hits
}

/// For each pattern, every byte offset at which it occurs (overlapping occurrences included),
/// ascending: the same as [`find_overlapping`] per pattern, in one pass over the text.
///
/// Patterns of at least 16 bytes are found by a hashed scan of their first 16 bytes, patterns
/// of 8 to 15 bytes by a hashed scan of their first 8 bytes (both in the same pass), and the
/// shorter ones (rare: a word or two) by one Aho–Corasick automaton.
fn find_all_overlapping(text: &str, patterns: &[&str]) -> Vec<Vec<usize>> {
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
            KeyScanner::new(patterns, &ids, width).scan(text.as_bytes(), patterns, &mut hits);
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
    hits
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
    fn scan(&self, bytes: &[u8], patterns: &[&str], hits: &mut [Vec<usize>]) {
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
            if self.filter[f >> 6] & (1 << (f & 63)) != 0 {
                self.probe(key, bytes, i, patterns, hits);
            }
        }
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
    ) {
        let mask = self.table.len() - 1;
        let mut slot = (hash_key(key, HASH_TABLE) >> self.table_shift) as usize;
        while let Some(&(k, s, e)) = self.table[slot]
            .checked_sub(1)
            .and_then(|g| self.groups.get(g))
        {
            if k == key {
                let rest = bytes.get(i..).unwrap_or(&[]);
                for &(_, p) in self.entries.get(s..e).unwrap_or(&[]) {
                    if rest.starts_with(patterns[p].as_bytes()) {
                        hits[p].push(i);
                    }
                }
                return;
            }
            slot = (slot + 1) & mask;
        }
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
    let mut best: Option<Best> = None;
    for &b0 in hits {
        let score = context_score(anchor, text, b0, b0 + qlen);
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

/// A possible fuzzy match: the gap between a left and a right context.
#[derive(Debug, Clone, Copy)]
struct Gap {
    b0: usize,
    b1: usize,
    score: usize,
    start: usize,
    distance_to_old: usize,
}

/// Pick the best fuzzy match, given where left contexts end (`left`) and where right contexts
/// start (`right`), both byte offsets, ascending.
fn choose_fuzzy(
    anchor: &Anchor,
    text: &str,
    left: &[usize],
    right: &[usize],
    index: &CharIndex<'_>,
) -> Resolution {
    let quote: Vec<char> = anchor.quote.chars().collect();
    let qc = quote.len();
    if qc == 0 {
        return Resolution::Outdated;
    }
    let max_dist = (qc / 4).max(2);
    let min_chars = qc.saturating_sub(max_dist).max(qc.div_ceil(2)).max(1);
    let max_chars = (qc + max_dist).min(qc.saturating_mul(3) / 2);
    if min_chars > max_chars {
        return Resolution::Outdated;
    }
    let quote_has_content = !anchor.quote.trim().is_empty();
    let max_bytes = max_chars.saturating_mul(4);

    let mut gaps: Vec<Gap> = Vec::new();
    let mut examined = 0usize;
    'outer: for &b0 in left {
        // A char is 1 to 4 bytes: this window holds every gap of an acceptable char length.
        let lo = b0.saturating_add(min_chars);
        let hi = b0.saturating_add(max_bytes);
        let from = right.partition_point(|&r| r < lo);
        for &b1 in right.get(from..).unwrap_or(&[]) {
            if b1 > hi {
                break;
            }
            examined += 1;
            if examined > MAX_FUZZY_PAIRS_EXAMINED {
                break 'outer;
            }
            let Some(gap) = text.get(b0..b1) else {
                continue;
            };
            let chars = gap.chars().count();
            if chars < min_chars || chars > max_chars {
                continue;
            }
            if quote_has_content && gap.trim().is_empty() {
                continue;
            }
            let score = context_score(anchor, text, b0, b1);
            gaps.push(Gap {
                b0,
                b1,
                score,
                start: 0,
                distance_to_old: 0,
            });
        }
    }
    if gaps.is_empty() {
        return Resolution::Outdated;
    }
    for g in &mut gaps {
        g.start = index.char_at(g.b0);
        g.distance_to_old = g.start.abs_diff(anchor.start);
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
        if n > 0 {
            if cells > budget {
                break;
            }
            budget -= cells;
        }
        buf.clear();
        buf.extend(text.get(g.b0..g.b1).unwrap_or("").chars());
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

/// The context score of the candidate `text[b0..b1]`: chars of the anchor's prefix that stand
/// immediately before it plus chars of its suffix that stand immediately after it, each side
/// counting at most [`CONTEXT_CHARS`].
fn context_score(anchor: &Anchor, text: &str, b0: usize, b1: usize) -> usize {
    let before = text.get(..b0).unwrap_or("");
    let after = text.get(b1..).unwrap_or("");
    let left = anchor
        .prefix
        .chars()
        .rev()
        .zip(before.chars().rev())
        .take(CONTEXT_CHARS)
        .take_while(|(a, b)| a == b)
        .count();
    let right = anchor
        .suffix
        .chars()
        .zip(after.chars())
        .take(CONTEXT_CHARS)
        .take_while(|(a, b)| a == b)
        .count();
    left + right
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

/// Number of chars that start in `bytes` (UTF-8 bytes that are not continuation bytes).
fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
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
        let all = find_all_overlapping(text, &patterns);
        for (p, hits) in patterns.iter().zip(all) {
            assert_eq!(hits, find_overlapping(text, p), "{p}");
        }
        assert_eq!(find_overlapping(text, "aa"), vec![0, 1, 2, 17, 18]);
    }
}
