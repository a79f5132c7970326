import { describe, expect, it } from 'vitest';
import {
  approvalCountsLine,
  approvalStatusLabel,
  canDecide,
  decideRefusal,
  duration,
  firstDecidable,
  lineageRows,
  lineageSources,
  outputStatusLabel,
  readableTimes,
  runStatusLabel,
  runStatusTone,
  stepCountsLine,
  stepStatusLabel,
  stepStatusTone,
  type LineageLike,
} from './runs';

const noor = { id: 'noor1', kind: 'human', roles: ['reviewer'] };
const dana = { id: 'dana1', kind: 'human', roles: ['legal', 'reviewer'] };
const jonas = { id: 'jonas1', kind: 'human', roles: ['reviewer'] };
const agent = { id: 'agent1', kind: 'agent', roles: ['legal'] };
const approval = (over: Partial<{ id: string; status: string; approver_roles: string[]; approvers: string[] }> = {}) => ({
  id: 'a1',
  status: 'pending',
  approver_roles: ['legal'],
  approvers: ['noor1'],
  ...over,
});

describe('run words and tones', () => {
  it('names every run, step, approval and output status', () => {
    expect(runStatusLabel('paused')).toBe('Paused');
    expect(runStatusTone('paused')).toBe('warn');
    expect(runStatusTone('completed')).toBe('ok');
    expect(runStatusTone('held')).toBe('danger');
    expect(stepStatusLabel('awaiting_approval')).toBe('Awaiting approval');
    expect(stepStatusTone('awaiting_approval')).toBe('warn');
    expect(approvalStatusLabel('rejected')).toBe('Rejected');
    expect(outputStatusLabel('approved')).toBe('Cleared to hand on');
  });

  it('falls back to the word itself for a status it does not know', () => {
    expect(runStatusLabel('on_fire')).toBe('On fire');
    expect(runStatusTone('on_fire')).toBe('neutral');
  });

  it('writes counts as the core gives them, skipping zero step counts', () => {
    expect(approvalCountsLine({ pending: 1, approved: 0, rejected: 0 })).toBe('1 pending · 0 approved · 0 rejected');
    expect(stepCountsLine({ pending: 0, running: 0, completed: 2, awaiting_approval: 1, skipped: 0, failed: 0 })).toBe(
      '2 completed · 1 awaiting approval',
    );
    expect(stepCountsLine({})).toBe('no steps');
  });
});

describe('who may decide', () => {
  it('a named approver or a holder of one of its roles, while pending', () => {
    expect(canDecide(approval(), noor)).toBe(true);
    expect(canDecide(approval(), dana)).toBe(true);
    expect(decideRefusal(approval(), jonas)).toBe('not_an_approver');
    expect(decideRefusal(approval({ status: 'approved' }), noor)).toBe('not_pending');
    expect(decideRefusal(approval(), null)).toBe('no_identity');
  });

  it('never an agent, whatever roles it holds', () => {
    expect(decideRefusal(approval(), agent)).toBe('agent');
  });

  it('offers first the first pending approval the identity may decide', () => {
    const list = [
      approval({ id: 'done', status: 'approved' }),
      approval({ id: 'other', approver_roles: ['approver'], approvers: [] }),
      approval({ id: 'mine' }),
      approval({ id: 'also-mine' }),
    ];
    expect(firstDecidable(list, noor)?.id).toBe('mine');
    expect(firstDecidable(list, jonas)).toBeNull();
  });
});

describe('lineage', () => {
  const leaf = (kind: string, id: string, label = id): LineageLike => ({
    kind,
    id,
    label,
    detail: null,
    digest: null,
    made_by: null,
    gated_by: null,
    inputs: [],
  });
  const call = leaf('meeting', 'm1', 'Outcome review');
  const proof: LineageLike = { ...leaf('file', 'f1', 'Proof points'), inputs: [call, leaf('trigger', 'run1', 'Outcome call')] };
  const root: LineageLike = {
    ...leaf('output', 'o1', 'Reference nomination'),
    inputs: [{ ...leaf('file', 'f2', 'Nomination package'), inputs: [proof, leaf('file', 'f3', 'Criteria'), call] }],
  };

  it('reads the tree as indented rows, a node before its inputs', () => {
    const rows = lineageRows(root);
    expect(rows.map((r) => [r.node.id, r.depth])).toEqual([
      ['o1', 0],
      ['f2', 1],
      ['f1', 2],
      ['m1', 3],
      ['run1', 3],
      ['f3', 2],
      ['m1', 2],
    ]);
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length);
    expect(rows[0].branch).toBe(true);
    expect(rows[3].branch).toBe(false);
  });

  it('names each source once', () => {
    expect(lineageSources(root).map((n) => n.id)).toEqual(['m1', 'run1', 'f3']);
    expect(lineageSources(call)).toEqual([]);
  });
});

describe('times and durations', () => {
  it('writes the core’s RFC 3339 times the way the UI writes times', () => {
    expect(readableTimes('Customer call analytics · 2026-11-20T06:38:00.038Z', 'UTC')).toBe(
      'Customer call analytics · 20 Nov 2026, 06:38',
    );
    expect(readableTimes('last activity 2026-11-20T08:20:00Z and 2026-11-21T09:05:00+01:00', 'UTC')).toBe(
      'last activity 20 Nov 2026, 08:20 and 21 Nov 2026, 08:05',
    );
    expect(readableTimes('no time here')).toBe('no time here');
  });

  it('writes durations short', () => {
    expect(duration(81)).toBe('1 min 21 s');
    expect(duration(45)).toBe('45 s');
    expect(duration(3600 + 120)).toBe('1 h 2 min');
    expect(duration(-1)).toBe('');
  });
});
