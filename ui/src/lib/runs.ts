// Run-record logic that does not need a screen: the words and tones for run, step, approval and
// output states, who may decide an approval, which approval the page offers first, the lineage
// tree as indented rows, and times inside the core's sentences. Pure.

import { absoluteTime, humanize } from './format';

export type Tone = 'neutral' | 'ok' | 'warn' | 'danger' | 'accent' | 'comment';

const RUN_STATUSES: Record<string, [string, Tone]> = {
  running: ['Running', 'comment'],
  paused: ['Paused', 'warn'],
  held: ['Held', 'danger'],
  completed: ['Completed', 'ok'],
  failed: ['Failed', 'danger'],
};

/** A run's status in words. */
export function runStatusLabel(status: string): string {
  return RUN_STATUSES[status]?.[0] ?? humanize(status);
}

/** The tag tone of a run's status. */
export function runStatusTone(status: string): Tone {
  return RUN_STATUSES[status]?.[1] ?? 'neutral';
}

const STEP_STATUSES: Record<string, [string, Tone]> = {
  pending: ['Pending', 'neutral'],
  running: ['Running', 'comment'],
  completed: ['Completed', 'ok'],
  awaiting_approval: ['Awaiting approval', 'warn'],
  skipped: ['Skipped', 'neutral'],
  failed: ['Failed', 'danger'],
};

/** A step's status in words. */
export function stepStatusLabel(status: string): string {
  return STEP_STATUSES[status]?.[0] ?? humanize(status);
}

/** The tag tone of a step's status. */
export function stepStatusTone(status: string): Tone {
  return STEP_STATUSES[status]?.[1] ?? 'neutral';
}

const APPROVAL_STATUSES: Record<string, [string, Tone]> = {
  pending: ['Pending', 'warn'],
  approved: ['Approved', 'ok'],
  rejected: ['Rejected', 'danger'],
};

/** An approval's status in words. */
export function approvalStatusLabel(status: string): string {
  return APPROVAL_STATUSES[status]?.[0] ?? humanize(status);
}

/** The tag tone of an approval's status. */
export function approvalStatusTone(status: string): Tone {
  return APPROVAL_STATUSES[status]?.[1] ?? 'neutral';
}

const OUTPUT_STATUSES: Record<string, [string, Tone]> = {
  preview: ['Preview', 'neutral'],
  awaiting_approval: ['Awaiting approval', 'warn'],
  approved: ['Cleared to hand on', 'ok'],
  blocked: ['Blocked', 'danger'],
};

/** A generated output's status in words. */
export function outputStatusLabel(status: string): string {
  return OUTPUT_STATUSES[status]?.[0] ?? humanize(status);
}

/** The tag tone of a generated output's status. */
export function outputStatusTone(status: string): Tone {
  return OUTPUT_STATUSES[status]?.[1] ?? 'neutral';
}

/** The tag tone of a risk level. */
export function riskTone(risk: string): Tone {
  return risk === 'high' ? 'danger' : risk === 'medium' ? 'warn' : 'neutral';
}

/** "internal" → "Internal". */
export function patternLabel(pattern: string): string {
  return humanize(pattern);
}

const FILE_ROLES: Record<string, string> = {
  input: 'Input',
  produced: 'Produced',
  evidence: 'Evidence',
};

/** A run file's role in words. */
export function fileRoleLabel(role: string): string {
  return FILE_ROLES[role] ?? humanize(role);
}

// ---- Who may decide

export interface ApprovalLike {
  id: string;
  status: string;
  approver_roles: readonly string[];
  approvers: readonly string[];
}

export interface Me {
  id: string;
  kind: string;
  roles: readonly string[];
}

/** Why `me` may not decide an approval, or null when they may. */
export type DecideRefusal = 'no_identity' | 'agent' | 'not_pending' | 'not_an_approver';

export function decideRefusal(a: ApprovalLike, me: Me | null): DecideRefusal | null {
  if (!me) return 'no_identity';
  if (me.kind === 'agent') return 'agent';
  if (a.status !== 'pending') return 'not_pending';
  if (a.approvers.includes(me.id) || a.approver_roles.some((r) => me.roles.includes(r))) return null;
  return 'not_an_approver';
}

/** Whether `me` may approve or reject this approval now (the core checks again). */
export function canDecide(a: ApprovalLike, me: Me | null): boolean {
  return decideRefusal(a, me) === null;
}

/** The first pending approval `me` may decide (the page's `run-approve`), else null. */
export function firstDecidable<T extends ApprovalLike>(approvals: readonly T[], me: Me | null): T | null {
  return approvals.find((a) => canDecide(a, me)) ?? null;
}

// ---- Counts

export interface ApprovalCountsLike {
  pending: number;
  approved: number;
  rejected: number;
}

/** "1 pending · 0 approved · 0 rejected". */
export function approvalCountsLine(c: ApprovalCountsLike): string {
  return `${c.pending} pending · ${c.approved} approved · ${c.rejected} rejected`;
}

/** The step counts that are not zero, as "2 completed · 1 awaiting approval". */
export function stepCountsLine(c: Record<string, number>): string {
  const order = ['completed', 'running', 'awaiting_approval', 'pending', 'skipped', 'failed'];
  const parts = order.filter((k) => (c[k] ?? 0) > 0).map((k) => `${c[k]} ${stepStatusLabel(k).toLowerCase()}`);
  return parts.length ? parts.join(' · ') : 'no steps';
}

// ---- Lineage

export interface LineageLike {
  kind: string;
  id: string;
  label: string;
  detail: string | null;
  digest: string | null;
  made_by: { number: number; name: string; status: string } | null;
  gated_by: { id: string; title: string; status: string } | null;
  inputs: LineageLike[];
}

/** One line of the lineage tree: the node, how deep it sits, and the path of ids to it. */
export interface LineageRow<T extends LineageLike = LineageLike> {
  node: T;
  depth: number;
  key: string;
  /** Whether the node has inputs of its own. */
  branch: boolean;
}

/** The lineage tree as rows in reading order (a node, then its inputs, indented). */
export function lineageRows<T extends LineageLike>(root: T): LineageRow<T>[] {
  const rows: LineageRow<T>[] = [];
  const walk = (node: T, depth: number, path: string) => {
    const key = path ? `${path}/${node.kind}:${node.id}` : `${node.kind}:${node.id}`;
    rows.push({ node, depth, key, branch: node.inputs.length > 0 });
    for (const child of node.inputs as T[]) walk(child, depth + 1, key);
  };
  walk(root, 0, '');
  return rows;
}

/** The distinct sources (leaves: meetings, input files, the trigger) a lineage tree rests on. */
export function lineageSources<T extends LineageLike>(root: T): T[] {
  const seen = new Map<string, T>();
  for (const r of lineageRows(root)) {
    if (!r.branch && r.depth > 0) seen.set(`${r.node.kind}:${r.node.id}`, r.node);
  }
  return [...seen.values()];
}

const ITEM_KINDS: Record<string, string> = {
  trigger: 'Trigger',
  meeting: 'Meeting',
  file: 'File',
  output: 'Output',
};

/** A lineage item's kind in words. */
export function itemKindLabel(kind: string): string {
  return ITEM_KINDS[kind] ?? humanize(kind);
}

// ---- Times inside sentences

const ISO = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})\b/g;

/**
 * A sentence from the core with every RFC 3339 time in it written the way the rest of the UI
 * writes times ("Customer call analytics · 20 Nov 2026, 06:38").
 */
export function readableTimes(text: string, timeZone?: string): string {
  return text.replace(ISO, (iso) => absoluteTime(iso, timeZone));
}

/** A duration in seconds as "1 min 21 s". */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.round(seconds % 60);
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return s > 0 ? `${m} min ${s} s` : `${m} min`;
  return `${s} s`;
}

