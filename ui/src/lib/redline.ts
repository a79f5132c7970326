// Redline summaries. Pure.

export interface SegmentLike {
  kind: string;
  text: string;
}

/** Words inserted and deleted (runs of non-whitespace). */
export function redlineStats(segments: readonly SegmentLike[]): { inserted: number; deleted: number; changes: number } {
  let inserted = 0;
  let deleted = 0;
  let changes = 0;
  let prev = 'equal';
  for (const s of segments) {
    const words = s.text.split(/\s+/).filter(Boolean).length;
    if (s.kind === 'insert') inserted += words;
    if (s.kind === 'delete') deleted += words;
    if (s.kind !== 'equal' && prev === 'equal') changes++;
    prev = s.kind;
  }
  return { inserted, deleted, changes };
}

/** The default pair to compare: the head's parent and the head (revisions newest first). */
export function defaultPair<T extends { id: string }>(log: readonly T[]): { from: string | null; to: string | null } {
  if (log.length === 0) return { from: null, to: null };
  if (log.length === 1) return { from: log[0].id, to: log[0].id };
  return { from: log[1].id, to: log[0].id };
}
