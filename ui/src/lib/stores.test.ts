import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../bindings', () => ({
  commands: {
    workspaceInfo: vi.fn(),
    identityList: vi.fn(),
    packetStates: vi.fn(),
    lastChange: vi.fn(),
  },
  events: {},
}));

import { commands } from '../bindings';
import { HOME, navigate, screenForDigit } from './routes';
import { initialIdentity, live, packets, passphrase, route, session } from './stores.svelte';

const mocked = commands as unknown as Record<string, ReturnType<typeof vi.fn>>;
const ok = <T>(data: T) => ({ status: 'ok' as const, data });
const ids = [
  { id: 'agent1', name: 'Chronology Agent', kind: 'agent', roles: ['author'], public_key: '', created_at: '' },
  { id: 'dana1', name: 'Dana Okafor', kind: 'human', roles: ['legal'], public_key: '', created_at: '' },
  { id: 'helen1', name: 'Helen Sato', kind: 'human', roles: ['approver'], public_key: '', created_at: '' },
] as const;

describe('routes', () => {
  it('keeps the packet and lane, drops what belongs to the old screen', () => {
    const r = navigate({ ...HOME, screen: 'packet', packet: 'p1', revision: 'r2', lane: 'exec', focus: 'o1' }, 'ledger');
    expect(r).toEqual({ ...HOME, screen: 'ledger', packet: 'p1', lane: 'exec' });
  });

  it('keeps the compare pair on the compare screen unless the packet changes', () => {
    const at = { ...HOME, screen: 'compare' as const, packet: 'p1', from: 'a', to: 'b' };
    expect(navigate(at, 'compare')).toMatchObject({ from: 'a', to: 'b' });
    expect(navigate(at, 'compare', { packet: 'p2' })).toMatchObject({ packet: 'p2', from: null, to: null });
  });

  it('maps Alt+digit to screens', () => {
    expect(screenForDigit('1')).toBe('home');
    expect(screenForDigit('6')).toBe('runs');
    expect(screenForDigit('7')).toBe('sync');
    expect(screenForDigit('8')).toBeNull();
    expect(screenForDigit('x')).toBeNull();
  });

  it('a run shown on the runs screen is dropped when leaving it, kept when patched', () => {
    const at = navigate(HOME, 'runs', { run: 'run1' });
    expect(at).toMatchObject({ screen: 'runs', run: 'run1' });
    expect(navigate(at, 'home').run).toBeNull();
    expect(navigate(at, 'runs').run).toBeNull();
  });

  it('the route store moves between screens', () => {
    route.go('packet', { packet: 'p9' });
    expect(route.current).toMatchObject({ screen: 'packet', packet: 'p9' });
    route.set({ revision: 'r1' });
    expect(route.current).toMatchObject({ screen: 'packet', revision: 'r1' });
    route.go('home');
    expect(route.current).toMatchObject({ screen: 'home', packet: 'p9', revision: null });
  });
});

describe('who I am', () => {
  it('starts as the remembered identity, else the first person (never an agent by default)', () => {
    expect(initialIdentity(ids as never, 'helen1')).toBe('helen1');
    expect(initialIdentity(ids as never, 'gone')).toBe('dana1');
    expect(initialIdentity(ids as never, null)).toBe('dana1');
    expect(initialIdentity([ids[0]] as never, null)).toBe('agent1');
    expect(initialIdentity([], null)).toBeNull();
  });

  it('loads identities and the workspace, and knows which keys are unlocked', async () => {
    mocked.workspaceInfo.mockResolvedValue(ok({ dir: '/w', id: 'ws', unlocked: ['dana1'] }));
    mocked.identityList.mockResolvedValue(ok(ids));
    await session.load();
    expect(session.loaded).toBe(true);
    expect(session.error).toBeNull();
    expect(session.current?.name).toBe('Dana Okafor');
    expect(session.unlocked).toBe(true);
    session.choose('helen1');
    expect(session.current?.name).toBe('Helen Sato');
    expect(session.unlocked).toBe(false);
    expect(session.nameOf('agent1')).toBe('Chronology Agent');
  });

  it('reports a workspace that cannot be read', async () => {
    mocked.workspaceInfo.mockResolvedValue({ status: 'error', error: { code: 'not_a_workspace', class: 'bad_input', message: 'no workspace' } });
    mocked.identityList.mockResolvedValue(ok([]));
    await session.load();
    expect(session.error?.code).toBe('not_a_workspace');
  });
});

describe('packets', () => {
  it('selects the route’s packet or the first', async () => {
    const p = (id: string) => ({ packet: { id }, state: 'drafting', lane: null });
    mocked.packetStates.mockResolvedValue(ok([p('a'), p('b')]));
    await packets.load();
    expect(packets.selected(null)?.packet.id).toBe('a');
    expect(packets.selected('b')?.packet.id).toBe('b');
    expect(packets.selected('zzz')).toBeNull();
  });
});

describe('passphrase requests', () => {
  it('opens one request, resolves it, and closes', async () => {
    const p = passphrase.ask('dana1');
    expect(passphrase.request?.identity).toBe('dana1');
    // A second ask for the same identity joins the open request.
    const again = passphrase.ask('dana1');
    passphrase.request?.done(true);
    await expect(p).resolves.toBe(true);
    await expect(again).resolves.toBe(true);
    expect(passphrase.request).toBeNull();
  });

  it('resolves false when cancelled', async () => {
    const p = passphrase.ask('helen1');
    passphrase.request?.done(false);
    await expect(p).resolves.toBe(false);
  });
});

describe('live updates', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('debounces bumps into one tick', () => {
    const t0 = live.tick;
    live.bump();
    live.bump();
    live.bump();
    expect(live.tick).toBe(t0);
    vi.advanceTimersByTime(250);
    expect(live.tick).toBe(t0 + 1);
  });

  it('bumps at once after the app’s own writes', () => {
    const t0 = live.tick;
    live.bump();
    live.now();
    expect(live.tick).toBe(t0 + 1);
    vi.advanceTimersByTime(500);
    expect(live.tick).toBe(t0 + 1);
  });

  it('polling bumps only when the audit log moved', async () => {
    mocked.lastChange.mockResolvedValue(ok(10));
    live.lastSeq = 10;
    const t0 = live.tick;
    await live.poll();
    vi.advanceTimersByTime(250);
    expect(live.tick).toBe(t0);
    mocked.lastChange.mockResolvedValue(ok(11));
    await live.poll();
    vi.advanceTimersByTime(250);
    expect(live.tick).toBe(t0 + 1);
    expect(live.lastSeq).toBe(11);
  });
});
