// Comments and objections as the packet screen shows them: which highlight class each gets (the
// same classes the core's renderer puts on <mark>), where each sits in the editor, and which are
// listed apart because their wording is gone. Pure.

import { charRangeToUtf16 } from './anchors';

export interface ObjectionLike {
  id: string;
  status: string;
  blocking: boolean;
  anchor_state: string;
  position: { start: number; end: number } | null;
}

export interface ThreadLike {
  id: string;
  resolved: boolean;
  anchor_state: string;
  position: { start: number; end: number } | null;
}

/** The renderer's class for an objection (without the `cs-` prefix). */
export function objectionKind(o: Pick<ObjectionLike, 'status' | 'blocking'>): string {
  if (o.status === 'accepted_residual') return 'residual';
  if (o.status === 'open') return o.blocking ? 'objection-blocking' : 'objection';
  return 'objection-closed';
}

/** The renderer's class for a comment thread (without the `cs-` prefix). */
export function threadKind(t: Pick<ThreadLike, 'resolved'>): string {
  return t.resolved ? 'comment-resolved' : 'comment';
}

/** Whether an annotation is still live (open objection, accepted residual, unresolved thread). */
export function isLive(kind: string): boolean {
  return kind !== 'objection-closed' && kind !== 'comment-resolved';
}

/** Editor highlights (UTF-16 ranges of `markdown`) for the anchored annotations. */
export function editorMarks(
  markdown: string,
  objections: readonly ObjectionLike[],
  threads: readonly ThreadLike[],
): { from: number; to: number; id: string; kind: string }[] {
  const out: { from: number; to: number; id: string; kind: string }[] = [];
  for (const o of objections) {
    if (o.anchor_state !== 'anchored' || !o.position) continue;
    out.push({ ...charRangeToUtf16(markdown, o.position.start, o.position.end), id: o.id, kind: objectionKind(o) });
  }
  for (const t of threads) {
    if (t.anchor_state !== 'anchored' || !t.position) continue;
    out.push({ ...charRangeToUtf16(markdown, t.position.start, t.position.end), id: t.id, kind: threadKind(t) });
  }
  return out;
}

/** The annotations whose wording is gone on this revision: listed apart, never dropped. */
export function outdated<T extends { anchor_state: string }>(items: readonly T[]): T[] {
  return items.filter((i) => i.anchor_state === 'outdated');
}

/** Anchored annotations in the order of their wording. */
export function byPosition<T extends { anchor_state: string; position: { start: number } | null }>(items: readonly T[]): T[] {
  return items
    .filter((i) => i.anchor_state === 'anchored')
    .slice()
    .sort((a, b) => (a.position?.start ?? 0) - (b.position?.start ?? 0));
}

/** The id a create command returned, whatever shape the bindings give it (tuple or record). */
export function createdId(result: unknown): string | null {
  if (Array.isArray(result) && typeof result[0] === 'string') return result[0];
  if (result && typeof result === 'object' && 'id' in result && typeof (result as { id: unknown }).id === 'string') {
    return (result as { id: string }).id;
  }
  if (typeof result === 'string') return result;
  return null;
}
