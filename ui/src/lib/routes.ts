// The app's screens and where each points. No router library: a route is a plain value kept in
// a store (src/lib/stores.svelte.ts); these helpers are pure.

export const SCREENS = ['home', 'packet', 'compare', 'ledger', 'release', 'runs', 'sync'] as const;
export type Screen = (typeof SCREENS)[number];

export const SCREEN_LABELS: Record<Screen, string> = {
  home: 'Home',
  packet: 'Packet',
  compare: 'Compare',
  ledger: 'Ledger',
  release: 'Release',
  runs: 'Runs',
  sync: 'Sync',
};

export interface Route {
  screen: Screen;
  /** The packet shown (null: the first one). */
  packet: string | null;
  /** On the packet screen: the revision viewed (null: the head, editable). */
  revision: string | null;
  /** On the compare screen: the two revisions. */
  from: string | null;
  to: string | null;
  /** On the release screen: the lane. */
  lane: string | null;
  /** An annotation to bring into view (packet screen) or an objection to show (ledger). */
  focus: string | null;
  /** On the runs screen: the run record shown (null: the list of runs). */
  run: string | null;
}

export const HOME: Route = {
  screen: 'home',
  packet: null,
  revision: null,
  from: null,
  to: null,
  lane: null,
  focus: null,
  run: null,
};

/** A route to `screen`, keeping the packet (and lane) and dropping what belongs to the old screen. */
export function navigate(from: Route, screen: Screen, patch: Partial<Route> = {}): Route {
  const packetChanged = patch.packet !== undefined && patch.packet !== from.packet;
  return {
    screen,
    packet: from.packet,
    lane: from.lane,
    revision: null,
    from: packetChanged ? null : screen === 'compare' ? from.from : null,
    to: packetChanged ? null : screen === 'compare' ? from.to : null,
    focus: null,
    run: null,
    ...patch,
  };
}

/** The screen for a keyboard digit (Alt+1 … Alt+7), or null. */
export function screenForDigit(digit: string): Screen | null {
  const n = Number(digit);
  return Number.isInteger(n) && n >= 1 && n <= SCREENS.length ? SCREENS[n - 1] : null;
}
