// The app's shared state: where the person is (route), who they are (identity), the packets,
// the run records, the passphrase request, and the live-update tick the screens reload on.

import { events } from '../bindings';
import {
  api,
  asFailure,
  setKnownIdentities,
  type ApiFailure,
  type Identity,
  type PacketState,
  type RunSummary,
  type WorkspaceInfo,
} from './api';
import { debounce } from './debounce';
import { HOME, navigate, type Route, type Screen } from './routes';

// ---- Route

class RouteStore {
  current = $state<Route>({ ...HOME });

  go(screen: Screen, patch: Partial<Route> = {}): void {
    this.current = navigate(this.current, screen, patch);
  }

  /** Change part of the current route without leaving the screen. */
  set(patch: Partial<Route>): void {
    this.current = { ...this.current, ...patch };
  }
}

export const route = new RouteStore();

// ---- Who I am

const STORAGE_KEY = 'countersign.identity';

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

/** The identity to start as: the one remembered for this workspace, else the first person. */
export function initialIdentity(list: readonly Identity[], remembered: string | null): string | null {
  if (remembered && list.some((i) => i.id === remembered)) return remembered;
  return (list.find((i) => i.kind !== 'agent') ?? list[0])?.id ?? null;
}

class SessionStore {
  workspace = $state<WorkspaceInfo | null>(null);
  identities = $state<Identity[]>([]);
  currentId = $state<string | null>(null);
  loaded = $state(false);
  error = $state<ApiFailure | null>(null);

  get current(): Identity | null {
    return this.identities.find((i) => i.id === this.currentId) ?? null;
  }

  /** Whether the current identity's key is unlocked in this session. */
  get unlocked(): boolean {
    return !!this.currentId && !!this.workspace?.unlocked.includes(this.currentId);
  }

  nameOf(id: string): string {
    return this.identities.find((i) => i.id === id)?.name ?? id.slice(0, 12);
  }

  private key(): string {
    return `${STORAGE_KEY}.${this.workspace?.id ?? 'default'}`;
  }

  async load(): Promise<void> {
    try {
      const [ws, ids] = await Promise.all([api.workspaceInfo(), api.identityList()]);
      this.workspace = ws;
      this.identities = ids;
      setKnownIdentities(ids);
      if (!this.currentId || !ids.some((i) => i.id === this.currentId)) {
        this.currentId = initialIdentity(ids, storage()?.getItem(this.key()) ?? null);
      }
      this.error = null;
    } catch (e) {
      this.error = asFailure(e);
    } finally {
      this.loaded = true;
    }
  }

  /** Refresh which keys are unlocked (after a dialog, a lock, or an event). */
  async refreshUnlocked(): Promise<void> {
    try {
      this.workspace = await api.workspaceInfo();
    } catch {
      // Keep what we had; the next load reports the failure.
    }
  }

  choose(id: string): void {
    this.currentId = id;
    storage()?.setItem(this.key(), id);
  }
}

export const session = new SessionStore();

// ---- Packets

class PacketsStore {
  list = $state<PacketState[]>([]);
  loaded = $state(false);
  error = $state<ApiFailure | null>(null);

  async load(): Promise<void> {
    try {
      this.list = await api.packetStates();
      this.error = null;
    } catch (e) {
      this.error = asFailure(e);
    } finally {
      this.loaded = true;
    }
  }

  /** The packet a screen shows: the route's, else the first. */
  selected(id: string | null): PacketState | null {
    if (id) return this.list.find((p) => p.packet.id === id) ?? null;
    return this.list[0] ?? null;
  }
}

export const packets = new PacketsStore();

// ---- Run records

class RunsStore {
  list = $state<RunSummary[]>([]);
  loaded = $state(false);
  error = $state<ApiFailure | null>(null);
  private seq = 0;

  async load(): Promise<void> {
    const n = ++this.seq;
    try {
      const list = await api.runList();
      if (n !== this.seq) return;
      this.list = list;
      this.error = null;
    } catch (e) {
      if (n === this.seq) this.error = asFailure(e);
    } finally {
      if (n === this.seq) this.loaded = true;
    }
  }

  /** How many runs wait on a pending approval. */
  get waiting(): number {
    return this.list.filter((r) => r.pending_approvals > 0).length;
  }
}

export const runs = new RunsStore();

// ---- Passphrase requests

export interface PassphraseRequest {
  identity: string;
  done: (unlocked: boolean) => void;
}

class PassphraseStore {
  request = $state<PassphraseRequest | null>(null);
  private pending: Promise<boolean> | null = null;

  /** Open the dialog for `identity`; resolves true once unlocked, false if cancelled. */
  ask(identity: string): Promise<boolean> {
    if (this.pending && this.request?.identity === identity) return this.pending;
    this.pending = new Promise<boolean>((resolve) => {
      this.request = {
        identity,
        done: (ok) => {
          this.request = null;
          this.pending = null;
          resolve(ok);
        },
      };
    });
    return this.pending;
  }
}

export const passphrase = new PassphraseStore();

// ---- Live updates

/**
 * A counter the screens read to reload. It moves when the shell reports a change (typed events)
 * and, as a backstop for changes made by another process (the CLI on the same workspace), when
 * the audit log's length moves (polled while the window is visible).
 */
class LiveStore {
  tick = $state(0);
  lastSeq = -1;
  private started = false;
  private bumpSoon = debounce(() => {
    this.tick++;
  }, 200);

  bump(): void {
    this.bumpSoon();
  }

  /** Bump now (after the app's own writes, so that what was just done shows at once). */
  now(): void {
    this.bumpSoon.cancel();
    this.tick++;
  }

  async start(pollMs = 4000): Promise<void> {
    if (this.started) return;
    this.started = true;
    const on = (e: { payload: unknown }) => {
      // Events carry the changes they report; remember the newest so polling does not bump twice.
      const changes = (e.payload as { changes?: { seq: number }[] } | null)?.changes ?? [];
      for (const c of changes) this.lastSeq = Math.max(this.lastSeq, c.seq);
      this.bump();
    };
    const subscriptions = [
      events.workspaceChanged,
      events.ledgerChanged,
      events.approvalAdded,
      events.holdRaised,
      events.revisionAdded,
      events.runChanged,
    ];
    for (const ev of subscriptions) {
      try {
        await ev.listen(on);
      } catch {
        // No event channel (e.g. a plain browser); polling below still notices changes.
      }
    }
    try {
      this.lastSeq = await api.lastChange();
    } catch {
      this.lastSeq = -1;
    }
    setInterval(() => {
      if (typeof document !== 'undefined' && document.visibilityState === 'hidden') return;
      void this.poll();
    }, pollMs);
  }

  async poll(): Promise<void> {
    try {
      const seq = await api.lastChange();
      if (seq !== this.lastSeq) {
        this.lastSeq = seq;
        this.bump();
      }
    } catch {
      // The next poll tries again.
    }
  }
}

export const live = new LiveStore();

// ---- Toasts: short confirmations of what was just done.

export interface Toast {
  id: number;
  text: string;
  tone: 'ok' | 'error';
}

class ToastStore {
  items = $state<Toast[]>([]);
  private next = 1;

  say(text: string, tone: Toast['tone'] = 'ok', ms = 4000): void {
    const id = this.next++;
    this.items = [...this.items, { id, text, tone }];
    setTimeout(() => this.dismiss(id), ms);
  }

  dismiss(id: number): void {
    this.items = this.items.filter((t) => t.id !== id);
  }
}

export const toasts = new ToastStore();

// ---- Unsaved drafts

/**
 * Unsaved editor text per packet, with the head revision it was based on. Kept across screens
 * and, as a guard against a crash or a closed window, in local storage of this machine only.
 */
export interface Draft {
  text: string;
  /** The head revision the draft started from (null: the packet had none). */
  base: string | null;
}

const DRAFT_KEY = 'countersign.draft';

class DraftStore {
  private key(packet: string): string {
    return `${DRAFT_KEY}.${session.workspace?.id ?? 'default'}.${packet}`;
  }

  get(packet: string): Draft | null {
    const raw = storage()?.getItem(this.key(packet));
    if (!raw) return null;
    try {
      const d = JSON.parse(raw) as Draft;
      return typeof d.text === 'string' ? d : null;
    } catch {
      return null;
    }
  }

  set(packet: string, d: Draft): void {
    try {
      storage()?.setItem(this.key(packet), JSON.stringify(d));
    } catch {
      // Storage full or unavailable: the draft still lives in the editor.
    }
  }

  clear(packet: string): void {
    storage()?.removeItem(this.key(packet));
  }
}

export const drafts = new DraftStore();
