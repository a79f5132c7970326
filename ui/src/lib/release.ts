// Release-screen logic that does not need the screen: which lane to show, what a hold's cause
// says, what the current identity may do in a lane. Pure.

export interface LaneLike {
  id: string;
  owner: string;
  required_roles: string[];
  threshold: number;
}

/** The lane to show: the route's if it exists, else the packet's busiest, else the first. */
export function chooseLane(lanes: readonly { id: string }[], wanted: string | null, packetLane: string | null): string | null {
  if (wanted && lanes.some((l) => l.id === wanted)) return wanted;
  if (packetLane && lanes.some((l) => l.id === packetLane)) return packetLane;
  return lanes[0]?.id ?? null;
}

/** A hold's cause, as the fields the screen shows. */
export interface CauseFacts {
  old: string | null;
  new: string | null;
  change: string | null;
  carriedOver: boolean;
  detail: string | null;
  objection: string | null;
}

function str(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** The old/new values, change class and details of a hold cause (the core's JSON). */
export function causeFacts(cause: unknown): CauseFacts {
  const c = (cause && typeof cause === 'object' ? cause : {}) as Record<string, unknown>;
  return {
    old: str(c.old),
    new: str(c.new),
    change: str(c.change),
    carriedOver: c.carried_over === true,
    detail: str(c.detail),
    objection: str(c.objection),
  };
}

/** Whether a value looks like a digest (shown shortened, copyable). */
export function isDigest(v: string | null): boolean {
  return !!v && /^sha256:[0-9a-f]{16,}$/.test(v);
}

export type Standing =
  | { kind: 'agent' }
  | { kind: 'not_in_policy' }
  | { kind: 'owner'; role: string | null }
  | { kind: 'counts'; role: string }
  | { kind: 'no_role' };

/** Where an identity stands in a lane: whether its approval counts, and as what. */
export function standing(
  me: { id: string; kind: string } | null,
  policyIdentity: { roles: string[] } | null,
  lane: LaneLike | null,
): Standing | null {
  if (!me || !lane) return null;
  if (me.kind === 'agent') return { kind: 'agent' };
  if (!policyIdentity) return { kind: 'not_in_policy' };
  const role = lane.required_roles.find((r) => policyIdentity.roles.includes(r)) ?? null;
  if (lane.owner === me.id) return { kind: 'owner', role };
  if (role) return { kind: 'counts', role };
  return { kind: 'no_role' };
}

/** What the screen offers in a release state. */
export function offers(state: string, hasManifest: boolean): { draft: boolean; sign: boolean; release: boolean } {
  return {
    draft: state !== 'released',
    sign: hasManifest && (state === 'awaiting_approval' || state === 'approved'),
    release: state === 'approved',
  };
}
