// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import {
  charRangeToUtf16,
  charToUtf16,
  findOccurrences,
  locateInEditor,
  locateInRendered,
  nearestIndex,
  textOffsetWithin,
  trimRange,
  utf16ToChar,
} from './anchors';

describe('character ↔ UTF-16 offsets', () => {
  const text = 'a😀b€c𝄞d'; // 😀 and 𝄞 are two UTF-16 units each; € is one.

  it('counts astral characters as one character and two units', () => {
    expect(charToUtf16(text, 0)).toBe(0);
    expect(charToUtf16(text, 1)).toBe(1);
    expect(charToUtf16(text, 2)).toBe(3);
    expect(charToUtf16(text, 4)).toBe(5);
    expect(charToUtf16(text, 5)).toBe(6);
    expect(charToUtf16(text, 6)).toBe(8);
    expect(charToUtf16(text, 7)).toBe(text.length);
  });

  it('round-trips every character boundary', () => {
    const chars = [...text].length;
    for (let c = 0; c <= chars; c++) expect(utf16ToChar(text, charToUtf16(text, c))).toBe(c);
  });

  it('clamps past the end and treats a split pair as a whole character', () => {
    expect(charToUtf16(text, 99)).toBe(text.length);
    expect(utf16ToChar(text, 2)).toBe(2); // inside 😀
    expect(utf16ToChar(text, -5)).toBe(0);
  });

  it('maps a core position (characters) onto the string', () => {
    const md = '😀 no customer data';
    const { from, to } = charRangeToUtf16(md, 2, 13);
    expect(md.slice(from, to)).toBe('no customer');
  });
});

describe('occurrences', () => {
  it('finds overlapping occurrences, as the core counts them', () => {
    expect(findOccurrences('aaa', 'aa')).toEqual([0, 1]);
    expect(findOccurrences('14:15 and 14:15', '14:15')).toEqual([0, 10]);
    expect(findOccurrences('abc', '')).toEqual([]);
    expect(findOccurrences('abc', 'x')).toEqual([]);
  });

  it('picks the nearest offset, the earlier one on a tie', () => {
    expect(nearestIndex([0, 10, 20], 14)).toBe(1);
    expect(nearestIndex([0, 10, 20], 15)).toBe(1);
    expect(nearestIndex([0, 10, 20], 16)).toBe(2);
    expect(nearestIndex([], 3)).toBe(-1);
  });

  it('trims whitespace off a range', () => {
    expect(trimRange('  word  ', 0, 8)).toEqual({ from: 2, to: 6 });
    expect(trimRange('abc', 2, 1)).toEqual({ from: 1, to: 2 });
    expect(trimRange('   ', 0, 3)).toEqual({ from: 3, to: 3 });
  });
});

describe('a selection in the editor', () => {
  const md = 'Postings flowing at 14:15 UTC.\n\n| 14:15 | Postings flowing again. |\n';

  it('gives the exact quote and its occurrence from the offsets', () => {
    const second = md.lastIndexOf('14:15');
    const r = locateInEditor(md, second, second + 5);
    expect(r).toMatchObject({ ok: true, quote: '14:15', occurrence: 2, occurrences: 2, match: 'exact' });
  });

  it('trims surrounding whitespace from the selection', () => {
    const i = md.indexOf('| Postings flowing again') + 1;
    const r = locateInEditor(md, i, i + ' Postings flowing again'.length + 1);
    expect(r).toMatchObject({ ok: true, quote: 'Postings flowing again.', occurrence: 1, occurrences: 1 });
  });

  it('refuses a blank selection', () => {
    expect(locateInEditor(md, 30, 32)).toMatchObject({ ok: false, reason: 'empty' });
  });
});

describe('a selection in the rendered pane', () => {
  const md = [
    '# Summary',
    '',
    'Postings resumed at **14:15** UTC. The backlog was applied by 14:15 UTC as well.',
    '',
    '| Time | Event |',
    '|------|-------|',
    '| 14:15 | Postings flowing again. |',
  ].join('\n');
  const page = 'Summary\nPostings resumed at 14:15 UTC. The backlog was applied by 14:15 UTC as well.\nTimeEvent\n14:15Postings flowing again.';

  it('finds a unique wording verbatim', () => {
    const start = page.indexOf('The backlog');
    const r = locateInRendered(md, 'The backlog was applied', page, start);
    expect(r).toMatchObject({ ok: true, quote: 'The backlog was applied', occurrence: 1, occurrences: 1, match: 'exact' });
  });

  it('chooses the occurrence with the same rank on the page when the counts agree', () => {
    const starts = findOccurrences(page, '14:15');
    expect(starts).toHaveLength(3);
    for (let k = 0; k < 3; k++) {
      const r = locateInRendered(md, '14:15', page, starts[k]);
      expect(r).toMatchObject({ ok: true, quote: '14:15', occurrence: k + 1, occurrences: 3 });
    }
  });

  it('falls back to the nearest proportional position when the counts differ', () => {
    const md2 = 'alpha beta gamma\n\n<!-- beta -->\n\nalpha beta';
    const page2 = 'alpha beta gamma\n\nalpha beta'; // the comment is not on the page
    const last = page2.lastIndexOf('beta');
    const r = locateInRendered(md2, 'beta', page2, last);
    expect(r).toMatchObject({ ok: true, quote: 'beta', occurrences: 3, occurrence: 3 });
    const first = page2.indexOf('beta');
    expect(locateInRendered(md2, 'beta', page2, first)).toMatchObject({ occurrence: 1 });
  });

  it('matches a line break in the markdown to a space on the page', () => {
    const md3 = 'and no customer\ndata was lost.';
    const page3 = 'and no customer data was lost.';
    const r = locateInRendered(md3, 'no customer data was lost', page3, 4);
    expect(r).toMatchObject({ ok: true, quote: 'no customer\ndata was lost', occurrence: 1, occurrences: 1, match: 'whitespace' });
  });

  it('says so when the selection spans formatting', () => {
    const start = page.indexOf('resumed at 14:15 UTC');
    const r = locateInRendered(md, 'resumed at 14:15 UTC', page, start);
    expect(r).toMatchObject({ ok: false, reason: 'not_found' });
  });

  it('trims the selection and keeps its offset right', () => {
    const start = page.indexOf(' The backlog');
    const r = locateInRendered(md, ' The backlog ', page, start);
    expect(r).toMatchObject({ ok: true, quote: 'The backlog' });
  });

  it('refuses a blank selection', () => {
    expect(locateInRendered(md, '  \n ', page, 0)).toMatchObject({ ok: false, reason: 'empty' });
  });

  it('works with astral characters before the selection', () => {
    const md4 = '😀 word and word';
    const page4 = '😀 word and word';
    const r = locateInRendered(md4, 'word', page4, page4.lastIndexOf('word'));
    expect(r).toMatchObject({ ok: true, occurrence: 2, from: md4.lastIndexOf('word') });
  });
});

describe('offsets in the DOM', () => {
  it('counts the text before a point, across elements', () => {
    document.body.innerHTML = '<article id="a"><h1>Title</h1>\n<p>One <mark>two</mark> three</p></article>';
    const root = document.getElementById('a')!;
    const mark = root.querySelector('mark')!;
    const off = textOffsetWithin(root, mark.firstChild!, 1);
    expect(root.textContent!.slice(0, off)).toBe('Title\nOne t');
    expect(textOffsetWithin(root, document.body, 0)).toBe(-1);
  });
});
