// Sync-screen logic that does not need the screen: what a target is in words, what a pass
// moved, what the progress bar says, who may merge a diverged packet, and the targets the
// add-target forms make. Pure.

import { bytes, humanize, plural, shortId } from './format';

/** Numbers moved in one direction (the core's `Moved`). */
export interface MovedLike {
  ops: number;
  batches: number;
  objects: number;
  bytes: number;
}

/** "12 operations in 3 batches · 4 objects · 1.2 KiB"; "nothing" when nothing moved. */
export function formatMoved(m: MovedLike | null | undefined): string {
  if (!m || (m.ops === 0 && m.objects === 0 && m.bytes === 0)) return 'nothing';
  const parts = [`${plural(m.ops, 'operation')} in ${plural(m.batches, 'batch', 'batches')}`];
  if (m.objects > 0) parts.push(plural(m.objects, 'object'));
  parts.push(bytes(m.bytes));
  return parts.join(' · ');
}

/** A target's name (`folder:/path`, `s3://bucket/prefix@endpoint`) in words. */
export interface TargetWords {
  kind: 'folder' | 's3' | 'other';
  /** "Shared folder", "S3 bucket". */
  title: string;
  /** The folder's path, or the bucket URL. */
  where: string;
  /** The S3 endpoint, when one is named. */
  endpoint: string | null;
}

export function describeTarget(name: string): TargetWords {
  if (name.startsWith('folder:')) {
    return { kind: 'folder', title: 'Shared folder', where: name.slice('folder:'.length), endpoint: null };
  }
  if (name.startsWith('s3://')) {
    const at = name.indexOf('@');
    return {
      kind: 's3',
      title: 'S3 bucket',
      where: at < 0 ? name : name.slice(0, at),
      endpoint: at < 0 ? null : name.slice(at + 1),
    };
  }
  return { kind: 'other', title: 'Target', where: name, endpoint: null };
}

/** Where a target stands: never synced, its last pass failed, or it went through. */
export type TargetHealth = 'never' | 'failed' | 'ok';

export function targetHealth(t: { last_pass_at: string | null; last_error: string | null }): TargetHealth {
  if (t.last_error) return 'failed';
  if (!t.last_pass_at) return 'never';
  return 'ok';
}

const CREATE_ONLY: Record<string, string> = {
  honoured: 'honoured (a second guard against overwrites)',
  ignored: 'ignored by this server (every object has one writer, so nothing is overwritten)',
  unsupported: 'not supported (every object has one writer, so nothing is overwritten)',
};

/** Whether the target honours create-only puts, in words. */
export function createOnlyLabel(v: string | null | undefined): string {
  if (!v) return 'not probed yet';
  return CREATE_ONLY[v] ?? humanize(v);
}

// ---- Progress

/** A progress report of a running pass (the `SyncProgress` event). */
export interface ProgressLike {
  target: string;
  phase: string;
  done: number;
  total: number | null;
  bytes: number;
  total_bytes: number | null;
}

const PHASES: Record<string, string> = {
  listing: 'Listing what the target holds',
  uploading: 'Uploading this replica’s changes',
  downloading: 'Downloading other replicas’ changes',
};

/** A phase in words. */
export function phaseLabel(phase: string): string {
  return PHASES[phase] ?? humanize(phase);
}

/** The progress line: "Uploading this replica’s changes: 12 of 40 objects (1.2 KiB)". */
export function progressText(p: ProgressLike | null): string {
  if (!p) return 'Connecting to the target…';
  const what = phaseLabel(p.phase);
  const count = p.total ? `${p.done} of ${plural(p.total, 'object')}` : p.done > 0 ? plural(p.done, 'object') : '';
  const size = p.bytes > 0 ? (p.total_bytes ? `${bytes(p.bytes)} of ${bytes(p.total_bytes)}` : bytes(p.bytes)) : '';
  const tail = [count, size && `(${size})`].filter(Boolean).join(' ');
  return tail ? `${what}: ${tail}` : `${what}…`;
}

/** How far the phase is, 0–1, or null when its size is not known (an indeterminate bar). */
export function progressFraction(p: ProgressLike | null): number | null {
  if (!p) return null;
  if (p.total && p.total > 0) return Math.min(1, p.done / p.total);
  if (p.total_bytes && p.total_bytes > 0) return Math.min(1, p.bytes / p.total_bytes);
  return null;
}

// ---- Add-target forms

/** A target as the `syncNow` command takes it. */
export type TargetInputLike =
  | { kind: 'folder'; path: string }
  | { kind: 's3'; url: string; endpoint: string | null; region: string | null }
  | { kind: 'known'; name: string };

/** The folder form's target; null while the path is blank. */
export function folderInput(path: string): TargetInputLike | null {
  const p = path.trim();
  return p ? { kind: 'folder', path: p } : null;
}

/** The S3 form's target; null while the URL is blank. Blank endpoint and region mean "not given". */
export function s3Input(url: string, endpoint: string, region: string): TargetInputLike | null {
  const u = url.trim();
  if (!u) return null;
  const opt = (s: string) => (s.trim() ? s.trim() : null);
  return { kind: 's3', url: u, endpoint: opt(endpoint), region: opt(region) };
}

/** A hint for the folder field before the core is asked: an app has no working directory. */
export function folderHint(path: string): string | null {
  const p = path.trim();
  if (!p) return null;
  if (!p.startsWith('/')) return 'Give the folder’s full path, starting with /.';
  return null;
}

// ---- Divergences and conflicts

/** Who may merge a diverged packet's heads: its owner, a person. */
export function mergeRefusal(
  d: { owner: string; owner_name: string },
  me: { id: string; kind: string } | null,
): string | null {
  if (!me) return `Only ${d.owner_name}, the packet owner, can merge its heads.`;
  if (me.id !== d.owner) {
    return `Only ${d.owner_name}, the packet owner, can merge its heads. Switch to ${d.owner_name} on Home to do it here.`;
  }
  return null;
}

/** The default message of a merge revision. */
export function mergeMessage(heads: readonly { number: number }[]): string {
  const ns = heads.map((h) => `r${h.number}`);
  return ns.length ? `Merge ${ns.join(' and ')}` : 'Merge heads';
}

const CONFLICT_KINDS: Record<string, string> = {
  ledger: 'Ledger move',
  manifest_version: 'Manifest version',
  policy_version: 'Policy version',
  release: 'Release',
};

/** A conflict's kind in words. */
export function conflictKindLabel(kind: string): string {
  return CONFLICT_KINDS[kind] ?? humanize(kind);
}

/** A held-back item's origin: "batch 3 of replica 1a2b3c4d5e6f", "object 9f8e…". */
export function heldBackLabel(h: { object: string; replica: string | null }): string {
  const log = /^logs\/[0-9a-f]+\/0*(\d+)$/.exec(h.object);
  if (log && h.replica) return `batch ${log[1]} of replica ${shortId(h.replica)}`;
  if (h.object.startsWith('objects/')) return `object ${shortId(h.object.slice('objects/'.length))}`;
  return h.object;
}

/** The one-line summary of a pass's report. */
export function reportLine(r: {
  pushed: MovedLike;
  pulled: MovedLike;
  quarantined: readonly unknown[];
  waiting: readonly unknown[];
  diverged: readonly unknown[];
}): string {
  const parts = [`pushed ${formatMoved(r.pushed)}`, `pulled ${formatMoved(r.pulled)}`];
  if (r.quarantined.length) parts.push(`${r.quarantined.length} quarantined`);
  if (r.waiting.length) parts.push(`${r.waiting.length} waiting`);
  if (r.diverged.length) parts.push(plural(r.diverged.length, 'packet') + ' diverged');
  const s = parts.join('; ');
  return s[0].toUpperCase() + s.slice(1) + '.';
}

/**
 * The target whose row now shows a failed pass's error: the one whose last pass changed between
 * the two readings of sync's status and failed with `code`. Null when the failure was recorded
 * on no target (a target refused before any pass, a cancelled passphrase before the first).
 */
export function recordedOn(
  before: { targets: readonly { target: string; last_pass_at: string | null }[] } | null,
  after: { targets: readonly { target: string; last_pass_at: string | null; last_error_code: string | null }[] },
  code: string,
): string | null {
  const was = new Map((before?.targets ?? []).map((t) => [t.target, t.last_pass_at]));
  const hit = after.targets.find(
    (t) => t.last_error_code === code && t.last_pass_at !== null && (!was.has(t.target) || was.get(t.target) !== t.last_pass_at),
  );
  return hit?.target ?? null;
}
