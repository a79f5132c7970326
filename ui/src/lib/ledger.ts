// The objection ledger as the UI offers it. The core decides every move (ledger::transition);
// these helpers only decide which buttons to offer, mirroring the documented rules:
// the raiser or the packet owner resolves; only the raiser withdraws; only the packet owner, a
// human, accepts residual disagreement (with a rationale); anyone reopens (with a reason).

export interface LedgerFacts {
  status: string;
  raised_by: string;
}

export interface Actor {
  id: string;
  kind: string;
}

export type Move = 'resolve' | 'withdraw' | 'accept' | 'reopen';

/** The moves worth offering `me` on an objection of a packet owned by `owner`. */
export function offeredMoves(o: LedgerFacts, me: Actor | null, owner: string): Move[] {
  if (!me) return [];
  if (o.status !== 'open') return ['reopen'];
  const out: Move[] = [];
  if (me.id === o.raised_by || me.id === owner) out.push('resolve');
  if (me.id === o.raised_by) out.push('withdraw');
  if (me.id === owner && me.kind !== 'agent') out.push('accept');
  return out;
}

/** Whether a move needs text, and what the text is called. */
export function moveText(move: Move): { required: boolean; label: string } {
  switch (move) {
    case 'accept':
      return { required: true, label: 'Rationale' };
    case 'reopen':
      return { required: true, label: 'Reason' };
    default:
      return { required: false, label: 'Note' };
  }
}

/** The ledger's groups, in the order they are shown. */
export const GROUPS = ['open', 'accepted_residual', 'resolved', 'withdrawn'] as const;

/** Objections grouped by status, in ledger order; unknown statuses are kept in an extra group. */
export function groupByStatus<T extends { status: string }>(items: readonly T[]): { status: string; items: T[] }[] {
  const groups = new Map<string, T[]>();
  for (const g of GROUPS) groups.set(g, []);
  for (const it of items) {
    const list = groups.get(it.status) ?? [];
    list.push(it);
    groups.set(it.status, list);
  }
  return [...groups.entries()].map(([status, list]) => ({ status, items: list }));
}
