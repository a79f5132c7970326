// Mapping a selection to what the core anchors on: a quote (exact wording of the markdown) and
// which occurrence of it (1-based). Pure functions, unit-tested.
//
// Offsets: JavaScript strings and CodeMirror count UTF-16 code units; the core counts characters
// (Unicode scalar values), as the W3C TextPositionSelector does. The conversions below go between
// the two. Occurrences are counted as the core counts them: byte for byte (here: code unit for
// code unit, which is the same thing for well-formed strings) and overlapping ("aa" occurs twice
// in "aaa").

/** The UTF-16 offset of the `chars`-th character (Unicode scalar value) of `text`. */
export function charToUtf16(text: string, chars: number): number {
  let units = 0;
  let n = 0;
  while (n < chars && units < text.length) {
    const c = text.charCodeAt(units);
    const pair = c >= 0xd800 && c <= 0xdbff && units + 1 < text.length && isLow(text.charCodeAt(units + 1));
    units += pair ? 2 : 1;
    n++;
  }
  return units;
}

/** How many characters (Unicode scalar values) precede UTF-16 offset `units` of `text`. */
export function utf16ToChar(text: string, units: number): number {
  const end = Math.min(Math.max(units, 0), text.length);
  let n = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && isLow(text.charCodeAt(i + 1));
    if (pair) {
      // A pair split by `units` counts as a whole character before it.
      i++;
    }
    n++;
  }
  return n;
}

function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** A character range (as the core reports positions) as a UTF-16 range of `text`. */
export function charRangeToUtf16(text: string, start: number, end: number): { from: number; to: number } {
  const from = charToUtf16(text, start);
  // Count on from `from` rather than from 0 again.
  const to = from + charToUtf16(text.slice(from), Math.max(0, end - start));
  return { from, to };
}

/** Every UTF-16 offset where `quote` starts in `text`, overlapping ones included. */
export function findOccurrences(text: string, quote: string): number[] {
  const out: number[] = [];
  if (!quote) return out;
  let i = text.indexOf(quote);
  while (i >= 0) {
    out.push(i);
    i = text.indexOf(quote, i + 1);
  }
  return out;
}

/** The index in `hits` of the offset nearest to `target` (the earlier one on a tie); -1 if none. */
export function nearestIndex(hits: readonly number[], target: number): number {
  let best = -1;
  let bestDist = Infinity;
  hits.forEach((h, i) => {
    const d = Math.abs(h - target);
    if (d < bestDist) {
      best = i;
      bestDist = d;
    }
  });
  return best;
}

/** A range with surrounding whitespace taken out (the core refuses blank quotes anyway). */
export function trimRange(text: string, from: number, to: number): { from: number; to: number } {
  let a = Math.max(0, Math.min(from, to));
  let b = Math.min(text.length, Math.max(from, to));
  while (a < b && /\s/.test(text[a])) a++;
  while (b > a && /\s/.test(text[b - 1])) b--;
  return { from: a, to: b };
}

/** Where a selection lands: the exact wording and which occurrence of it. */
export interface Located {
  ok: true;
  /** Exact wording of the markdown (what the core anchors). */
  quote: string;
  /** 1-based occurrence of `quote` in the markdown. */
  occurrence: number;
  /** How many times `quote` occurs in the markdown. */
  occurrences: number;
  /** UTF-16 range in the markdown. */
  from: number;
  to: number;
  /** `exact`: found verbatim; `whitespace`: found once line breaks and spaces were matched loosely. */
  match: 'exact' | 'whitespace';
}

export interface NotLocated {
  ok: false;
  /** `empty`: nothing but whitespace was selected; `not_found`: the wording is not in the markdown. */
  reason: 'empty' | 'not_found';
  selected: string;
}

export type Location = Located | NotLocated;

/**
 * A selection made in the editor: the markdown itself, so offsets are exact. The range is trimmed
 * of surrounding whitespace.
 */
export function locateInEditor(markdown: string, from: number, to: number): Location {
  const r = trimRange(markdown, from, to);
  const quote = markdown.slice(r.from, r.to);
  if (!quote) return { ok: false, reason: 'empty', selected: markdown.slice(from, to) };
  const hits = findOccurrences(markdown, quote);
  const k = hits.indexOf(r.from);
  return {
    ok: true,
    quote,
    occurrence: k + 1,
    occurrences: hits.length,
    from: r.from,
    to: r.to,
    match: 'exact',
  };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A pattern for `s` in which every run of whitespace matches any run of whitespace. */
function loosePattern(s: string): RegExp {
  const parts = s.split(/\s+/).map(escapeRegExp);
  return new RegExp(parts.join('\\s+'), 'g');
}

/** Every (overlapping) match of a global pattern: start and matched text. */
function allMatches(text: string, re: RegExp): { index: number; text: string }[] {
  const out: { index: number; text: string }[] = [];
  re.lastIndex = 0;
  for (;;) {
    const m = re.exec(text);
    if (!m) break;
    out.push({ index: m.index, text: m[0] });
    re.lastIndex = m.index + 1;
  }
  return out;
}

/**
 * A selection made in the rendered pane. The rendered text is not the markdown (formatting marks
 * are gone, entities decoded), so the selected string is looked up in the markdown:
 *
 * 1. verbatim; failing that, with whitespace matched loosely (a line break in the markdown reads
 *    as a space on the page); failing that, `not_found` — the selection spans formatting, and the
 *    person should select in the editor instead;
 * 2. when it occurs several times, the occurrence is chosen by its rank in the rendered text
 *    (the 2nd "14:15" on the page is the 2nd in the markdown) when both have as many occurrences,
 *    and otherwise the one nearest to the selection's proportional position.
 *
 * `selected` is the selection's text, `renderedText` the pane's whole text and `renderedStart`
 * the UTF-16 offset of the selection in it.
 */
export function locateInRendered(markdown: string, selected: string, renderedText: string, renderedStart: number): Location {
  const lead = selected.length - selected.trimStart().length;
  const want = selected.trim();
  if (!want) return { ok: false, reason: 'empty', selected };
  const start = renderedStart + lead;

  // Candidates in the markdown, and the same wording's occurrences on the page.
  let mdHits: { index: number; text: string }[] = findOccurrences(markdown, want).map((index) => ({ index, text: want }));
  let match: 'exact' | 'whitespace' = 'exact';
  let pageHits = findOccurrences(renderedText, want);
  if (mdHits.length === 0) {
    const re = loosePattern(want);
    mdHits = allMatches(markdown, re);
    match = 'whitespace';
    pageHits = allMatches(renderedText, loosePattern(want)).map((m) => m.index);
  }
  if (mdHits.length === 0) return { ok: false, reason: 'not_found', selected: want };

  let pick: number;
  const rank = pageHits.indexOf(start) >= 0 ? pageHits.indexOf(start) : nearestIndex(pageHits, start);
  if (mdHits.length === 1) {
    pick = 0;
  } else if (rank >= 0 && pageHits.length === mdHits.length) {
    pick = rank;
  } else {
    const ratio = renderedText.length > 0 ? start / renderedText.length : 0;
    pick = nearestIndex(
      mdHits.map((h) => h.index),
      ratio * markdown.length,
    );
  }
  const chosen = mdHits[pick];
  const exactHits = findOccurrences(markdown, chosen.text);
  return {
    ok: true,
    quote: chosen.text,
    occurrence: exactHits.indexOf(chosen.index) + 1,
    occurrences: exactHits.length,
    from: chosen.index,
    to: chosen.index + chosen.text.length,
    match,
  };
}

/**
 * The UTF-16 offset, within `root`'s text (its `textContent`), of the point (`node`, `offset`)
 * as a DOM Range gives it. A point outside `root` gives -1.
 */
export function textOffsetWithin(root: Node, node: Node, offset: number): number {
  if (!root.contains(node)) return -1;
  const doc = root.ownerDocument ?? (root as Document);
  // Text before the point = the text of a range from the start of root to the point.
  const range = doc.createRange();
  range.setStart(root, 0);
  range.setEnd(node, offset);
  return range.toString().length;
}
