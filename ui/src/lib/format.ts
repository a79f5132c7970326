// Formatting helpers: times, digests and ids, and the words the UI uses for states. Pure.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Milliseconds since the epoch of an RFC 3339 time, or NaN. */
export function parseTime(iso: string | null | undefined): number {
  if (!iso) return NaN;
  return Date.parse(iso);
}

/**
 * A time relative to `now`: "just now", "5 minutes ago", "in 3 days", and past a month the
 * absolute date. Never guesses: an unparseable time reads "unknown time".
 */
export function relativeTime(iso: string | null | undefined, now: number = Date.now(), timeZone?: string): string {
  const t = parseTime(iso);
  if (Number.isNaN(t)) return 'unknown time';
  const d = t - now;
  const abs = Math.abs(d);
  const say = (n: number, unit: string) => {
    const u = `${n} ${unit}${n === 1 ? '' : 's'}`;
    return d < 0 ? `${u} ago` : `in ${u}`;
  };
  if (abs < 45_000) return 'just now';
  if (abs < HOUR) return say(Math.max(1, Math.round(abs / MINUTE)), 'minute');
  if (abs < DAY) return say(Math.round(abs / HOUR), 'hour');
  if (abs < 30 * DAY) return say(Math.round(abs / DAY), 'day');
  return absoluteDate(iso, timeZone);
}

/** "19 Nov 2026, 17:02" in the given time zone (the system's by default). */
export function absoluteTime(iso: string | null | undefined, timeZone?: string): string {
  const t = parseTime(iso);
  if (Number.isNaN(t)) return 'unknown time';
  const date = new Date(t);
  const day = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone }).format(date);
  const time = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone }).format(date);
  return `${day}, ${time}`;
}

/** "19 Nov 2026". */
export function absoluteDate(iso: string | null | undefined, timeZone?: string): string {
  const t = parseTime(iso);
  if (Number.isNaN(t)) return 'unknown time';
  return new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone }).format(new Date(t));
}

/** The exact UTC time, as recorded: "2026-11-19 17:02:00.028 UTC". */
export function exactUtc(iso: string | null | undefined): string {
  const t = parseTime(iso);
  if (Number.isNaN(t)) return 'unknown time';
  return new Date(t).toISOString().replace('T', ' ').replace('Z', ' UTC');
}

/** Whether a time lies before `now`. */
export function isPast(iso: string | null | undefined, now: number = Date.now()): boolean {
  const t = parseTime(iso);
  return !Number.isNaN(t) && t <= now;
}

/**
 * A digest or id cut to the length the CLI prints (12 hex characters, algorithm dropped), so
 * that what the screen shows can be pasted into `countersign` as a prefix.
 */
export function shortId(id: string | null | undefined, n = 12): string {
  if (!id) return '';
  const bare = id.startsWith('sha256:') ? id.slice('sha256:'.length) : id;
  return bare.length <= n ? bare : bare.slice(0, n);
}

/** A digest for display: "sha256:f16bc09b943c…", keeping its algorithm. */
export function shortDigest(digest: string | null | undefined, n = 12): string {
  if (!digest) return '';
  const i = digest.indexOf(':');
  if (i < 0) return shortId(digest, n) + (digest.length > n ? '…' : '');
  const algo = digest.slice(0, i);
  const hex = digest.slice(i + 1);
  return `${algo}:${hex.length <= n ? hex : hex.slice(0, n) + '…'}`;
}

const PACKET_STATES: Record<string, string> = {
  drafting: 'Drafting',
  in_review: 'In review',
  awaiting_approval: 'Awaiting approval',
  held: 'Held',
  approved: 'Approved',
  released: 'Released',
};

/** A packet's or a release's state in words. */
export function stateLabel(state: string): string {
  return PACKET_STATES[state] ?? humanize(state);
}

/** One sentence saying what a release state means for the person looking. */
export function stateExplanation(state: string): string {
  switch (state) {
    case 'drafting':
      return 'No manifest yet: nothing has been put up for signature in this lane.';
    case 'in_review':
      return 'Comments or objections are open; no manifest has been drafted.';
    case 'awaiting_approval':
      return 'A manifest is drafted and waiting for the signatures the lane requires.';
    case 'held':
      return 'Something changed after the manifest was drafted: its approvals no longer count. Draft a new manifest.';
    case 'approved':
      return 'Every required signature is present. The release owner can release the bundle to the lane.';
    case 'released':
      return 'The signed bundle has been written to the lane’s outbox.';
    default:
      return '';
  }
}

const OBJECTION_STATUSES: Record<string, string> = {
  open: 'Open',
  accepted_residual: 'Accepted as residual disagreement',
  resolved: 'Resolved',
  withdrawn: 'Withdrawn',
};

/** An objection's status in words. */
export function objectionStatusLabel(status: string): string {
  return OBJECTION_STATUSES[status] ?? humanize(status);
}

const ROLES: Record<string, string> = {
  author: 'Author',
  reviewer: 'Reviewer',
  legal: 'Legal',
  'release-owner': 'Release owner',
  approver: 'Approver',
  admin: 'Policy admin',
};

/** A role in words. */
export function roleLabel(role: string): string {
  return ROLES[role] ?? humanize(role);
}

/** A signature's meaning, as a past-tense verb: "approved", "rejected", "reviewed". */
export function meaningLabel(meaning: string): string {
  switch (meaning) {
    case 'approve':
      return 'Approved';
    case 'reject':
      return 'Rejected';
    case 'reviewed':
      return 'Reviewed';
    default:
      return humanize(meaning);
  }
}

const LEDGER_ACTIONS: Record<string, string> = {
  resolve: 'resolved',
  withdraw: 'withdrew',
  accept: 'accepted as residual disagreement',
  reopen: 'reopened',
};

/** A ledger move as a verb phrase: "resolved", "withdrew", … */
export function ledgerActionLabel(action: string): string {
  return LEDGER_ACTIONS[action] ?? humanize(action).toLowerCase();
}

const HOLD_KINDS: Record<string, string> = {
  new_revision: 'New revision',
  evidence_changed: 'Evidence changed',
  scope_changed: 'Audience changed',
  signers_changed: 'Required signers changed',
  policy_changed: 'New policy version',
  blocking_objection_opened: 'Blocking objection opened',
};

/** A hold cause's kind in words. */
export function holdKindLabel(kind: string): string {
  return HOLD_KINDS[kind] ?? humanize(kind);
}

/** "new_revision" → "New revision". */
export function humanize(s: string): string {
  const t = s.replace(/[_-]+/g, ' ').trim();
  return t ? t[0].toUpperCase() + t.slice(1) : '';
}

/** "1 objection", "3 objections". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "1st", "2nd", "3rd", "11th", … */
export function ordinal(n: number): string {
  const s = n % 100;
  if (s >= 11 && s <= 13) return `${n}th`;
  switch (n % 10) {
    case 1:
      return `${n}st`;
    case 2:
      return `${n}nd`;
    case 3:
      return `${n}rd`;
    default:
      return `${n}th`;
  }
}

/** A quote shortened for a card, on one line. */
export function clip(s: string, max = 140): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length <= max ? one : one.slice(0, max - 1).trimEnd() + '…';
}

/** Bytes in words: "342 B", "1.4 KiB", "2.0 MiB". */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}
