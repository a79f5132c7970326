import { afterEach, describe, expect, it, vi } from 'vitest';
import { byPosition, createdId, editorMarks, isLive, objectionKind, outdated, threadKind } from './annotations';
import { debounce } from './debounce';
import { cleanMessage, describe as describeFailure, headline, isRefusal } from './errors';
import { GROUPS, groupByStatus, moveText, offeredMoves } from './ledger';
import { layoutCards, marginHeight } from './margin';
import { clampToViewport } from './place';
import { defaultPair, redlineStats } from './redline';
import { causeFacts, chooseLane, isDigest, offers, standing } from './release';

describe('margin layout', () => {
  it('keeps cards level with their wording and pushes overlapping ones down', () => {
    const tops = layoutCards([
      { id: 'b', want: 100, height: 50 },
      { id: 'a', want: 10, height: 80 },
      { id: 'c', want: 120, height: 30 },
      { id: 'd', want: 400, height: 10 },
    ]);
    expect(tops.get('a')).toBe(10);
    expect(tops.get('b')).toBe(100);
    expect(tops.get('c')).toBe(158);
    expect(tops.get('d')).toBe(400);
  });

  it('keeps the given order for cards wanting the same place', () => {
    const tops = layoutCards([
      { id: 'x', want: 0, height: 20 },
      { id: 'y', want: 0, height: 20 },
    ], 4);
    expect(tops.get('x')).toBe(0);
    expect(tops.get('y')).toBe(24);
    expect(marginHeight([{ id: 'x', want: 0, height: 20 }, { id: 'y', want: 0, height: 20 }], tops)).toBe(44);
  });
});

describe('annotations', () => {
  it('gives the renderer’s classes', () => {
    expect(objectionKind({ status: 'open', blocking: true })).toBe('objection-blocking');
    expect(objectionKind({ status: 'open', blocking: false })).toBe('objection');
    expect(objectionKind({ status: 'accepted_residual', blocking: true })).toBe('residual');
    expect(objectionKind({ status: 'resolved', blocking: true })).toBe('objection-closed');
    expect(threadKind({ resolved: true })).toBe('comment-resolved');
    expect(threadKind({ resolved: false })).toBe('comment');
    expect(isLive('residual')).toBe(true);
    expect(isLive('objection-closed')).toBe(false);
  });

  it('places editor marks in UTF-16 and skips outdated ones', () => {
    const md = '😀 alpha beta';
    const marks = editorMarks(
      md,
      [
        { id: 'o1', status: 'open', blocking: false, anchor_state: 'anchored', position: { start: 2, end: 7 } },
        { id: 'o2', status: 'open', blocking: false, anchor_state: 'outdated', position: null },
      ],
      [{ id: 't1', resolved: false, anchor_state: 'anchored', position: { start: 8, end: 12 } }],
    );
    expect(marks.map((m) => [m.id, md.slice(m.from, m.to), m.kind])).toEqual([
      ['o1', 'alpha', 'objection'],
      ['t1', 'beta', 'comment'],
    ]);
  });

  it('lists outdated ones apart and orders anchored ones by wording', () => {
    const items = [
      { id: 'a', anchor_state: 'anchored', position: { start: 9 } },
      { id: 'b', anchor_state: 'outdated', position: null },
      { id: 'c', anchor_state: 'anchored', position: { start: 1 } },
    ];
    expect(outdated(items).map((i) => i.id)).toEqual(['b']);
    expect(byPosition(items).map((i) => i.id)).toEqual(['c', 'a']);
  });

  it('reads the created id from a record or a tuple', () => {
    expect(createdId({ id: 'x', occurrences: 2 })).toBe('x');
    expect(createdId(['y', 1])).toBe('y');
    expect(createdId(null)).toBeNull();
  });
});

describe('ledger offers', () => {
  const o = { status: 'open', raised_by: 'jonas' };
  const owner = 'priya';

  it('offers the owner resolve and accept, the raiser resolve and withdraw', () => {
    expect(offeredMoves(o, { id: 'priya', kind: 'human' }, owner)).toEqual(['resolve', 'accept']);
    expect(offeredMoves(o, { id: 'jonas', kind: 'human' }, owner)).toEqual(['resolve', 'withdraw']);
    expect(offeredMoves(o, { id: 'dana', kind: 'human' }, owner)).toEqual([]);
  });

  it('never offers an agent acceptance, even an agent owner', () => {
    expect(offeredMoves(o, { id: 'priya', kind: 'agent' }, owner)).toEqual(['resolve']);
  });

  it('offers reopening anything not open, to anyone', () => {
    for (const status of ['resolved', 'withdrawn', 'accepted_residual']) {
      expect(offeredMoves({ status, raised_by: 'jonas' }, { id: 'dana', kind: 'human' }, owner)).toEqual(['reopen']);
    }
    expect(offeredMoves(o, null, owner)).toEqual([]);
  });

  it('requires a rationale to accept and a reason to reopen', () => {
    expect(moveText('accept')).toEqual({ required: true, label: 'Rationale' });
    expect(moveText('reopen')).toEqual({ required: true, label: 'Reason' });
    expect(moveText('resolve').required).toBe(false);
  });

  it('groups in ledger order and keeps unknown statuses', () => {
    const g = groupByStatus([{ status: 'resolved' }, { status: 'open' }, { status: 'mystery' }, { status: 'open' }]);
    expect(g.map((x) => [x.status, x.items.length])).toEqual([
      ['open', 2],
      ['accepted_residual', 0],
      ['resolved', 1],
      ['withdrawn', 0],
      ['mystery', 1],
    ]);
    expect(GROUPS[0]).toBe('open');
  });
});

describe('release helpers', () => {
  const lanes = [{ id: 'exec' }, { id: 'support' }];
  const lane = { id: 'exec', owner: 'helen', required_roles: ['legal', 'approver'], threshold: 2 };

  it('chooses the lane', () => {
    expect(chooseLane(lanes, 'support', 'exec')).toBe('support');
    expect(chooseLane(lanes, 'gone', 'exec')).toBe('exec');
    expect(chooseLane(lanes, null, null)).toBe('exec');
    expect(chooseLane([], null, null)).toBeNull();
  });

  it('reads hold causes', () => {
    expect(causeFacts({ cause: 'new_revision', old: 'sha256:aa', new: 'sha256:bb', change: 'trivial', carried_over: true })).toEqual({
      old: 'sha256:aa', new: 'sha256:bb', change: 'trivial', carriedOver: true, detail: null, objection: null,
    });
    expect(causeFacts({ cause: 'policy_changed', old: 2, new: 3 })).toMatchObject({ old: '2', new: '3' });
    expect(causeFacts(null)).toMatchObject({ old: null, new: null });
    expect(isDigest('sha256:' + 'a'.repeat(64))).toBe(true);
    expect(isDigest('2')).toBe(false);
  });

  it('says where an identity stands in a lane', () => {
    expect(standing({ id: 'helen', kind: 'human' }, { roles: ['approver'] }, lane)).toEqual({ kind: 'owner', role: 'approver' });
    expect(standing({ id: 'dana', kind: 'human' }, { roles: ['reviewer', 'legal'] }, lane)).toEqual({ kind: 'counts', role: 'legal' });
    expect(standing({ id: 'jonas', kind: 'human' }, { roles: ['reviewer'] }, lane)).toEqual({ kind: 'no_role' });
    expect(standing({ id: 'bot', kind: 'agent' }, { roles: ['approver'] }, lane)).toEqual({ kind: 'agent' });
    expect(standing({ id: 'x', kind: 'human' }, null, lane)).toEqual({ kind: 'not_in_policy' });
    expect(standing(null, null, lane)).toBeNull();
  });

  it('offers actions by state', () => {
    expect(offers('drafting', false)).toEqual({ draft: true, sign: false, release: false });
    expect(offers('awaiting_approval', true)).toEqual({ draft: true, sign: true, release: false });
    expect(offers('approved', true)).toEqual({ draft: true, sign: true, release: true });
    expect(offers('held', true)).toEqual({ draft: true, sign: false, release: false });
    expect(offers('released', true)).toEqual({ draft: false, sign: false, release: false });
  });
});

describe('redline', () => {
  it('counts inserted and deleted words and places', () => {
    expect(
      redlineStats([
        { kind: 'equal', text: 'a b ' },
        { kind: 'delete', text: 'fully restored' },
        { kind: 'insert', text: 'caught up at 18:20' },
        { kind: 'equal', text: ' c ' },
        { kind: 'insert', text: 'd' },
      ]),
    ).toEqual({ inserted: 5, deleted: 2, changes: 2 });
  });

  it('defaults to the head and its parent', () => {
    expect(defaultPair([{ id: 'r3' }, { id: 'r2' }, { id: 'r1' }])).toEqual({ from: 'r2', to: 'r3' });
    expect(defaultPair([{ id: 'r1' }])).toEqual({ from: 'r1', to: 'r1' });
    expect(defaultPair([])).toEqual({ from: null, to: null });
  });
});

describe('errors', () => {
  it('gives headlines for the codes the core refuses with', () => {
    expect(headline('agent_refused')).toMatch(/agent/);
    expect(headline('illegal_transition')).toMatch(/not possible/);
    expect(headline('who_knows')).toBeNull();
    expect(isRefusal({ code: 'held', class: 'refused', message: '' })).toBe(true);
  });

  it('takes command-line advice out and keeps the core’s detail', () => {
    expect(cleanMessage('a passphrase is needed for Dana (3b83); set COUNTERSIGN_PASSPHRASE or run in a terminal')).toBe(
      'a passphrase is needed for Dana (3b83)',
    );
    expect(cleanMessage('the release is held:\n  x\ndraft a new manifest with `countersign manifest draft`')).toBe(
      'the release is held:\n  x\nDraft a new manifest.',
    );
    expect(describeFailure({ code: 'not_owner', class: 'refused', message: 'only the packet owner can accept' })).toBe(
      'Only the packet owner can accept an objection as residual disagreement. only the packet owner can accept',
    );
    expect(describeFailure({ code: 'zzz', class: 'internal', message: 'raw' })).toBe('raw');
  });
});

describe('debounce', () => {
  afterEach(() => vi.useRealTimers());
  it('calls once after the last call; flush and cancel', () => {
    vi.useFakeTimers();
    const f = vi.fn();
    const d = debounce(f, 100);
    d();
    d();
    vi.advanceTimersByTime(99);
    expect(f).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(f).toHaveBeenCalledTimes(1);
    d();
    d.flush();
    expect(f).toHaveBeenCalledTimes(2);
    d();
    d.cancel();
    vi.advanceTimersByTime(200);
    expect(f).toHaveBeenCalledTimes(2);
  });
});

describe('floating placement', () => {
  it('stays inside the window', () => {
    expect(clampToViewport({ x: 100, y: 100 }, 300, 200, 1000, 800)).toEqual({ x: 100, y: 108 });
    expect(clampToViewport({ x: 900, y: 100 }, 300, 200, 1000, 800)).toEqual({ x: 692, y: 108 });
    expect(clampToViewport({ x: 100, y: 700 }, 300, 200, 1000, 800)).toEqual({ x: 100, y: 476 });
  });
});
