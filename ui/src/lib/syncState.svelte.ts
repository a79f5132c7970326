// Sync's state for the Sync screen, kept across screens so that a pass started there still shows
// its progress when the person comes back: where sync stands, the pass running (with its
// progress from `SyncProgress` events and whose passphrase it waits for), and the last pass's
// outcome in this session.

import { events, type SyncProgress } from '../bindings';
import { api, asFailure, type ApiFailure, type SyncReport, type SyncStatus, type TargetInput } from './api';
import { live, packets, passphrase, runs } from './stores.svelte';
import { recordedOn } from './sync';

/** The outcome of the last pass started here. */
export type PassOutcome =
  | { ok: true; report: SyncReport }
  /** `target`: the target whose row shows the failure, when it was recorded there. */
  | { ok: false; failure: ApiFailure; target: string | null };

class SyncState {
  status = $state<SyncStatus | null>(null);
  loaded = $state(false);
  loadError = $state<ApiFailure | null>(null);
  /** What the running pass is with, in words (null: no pass running). */
  running = $state<string | null>(null);
  progress = $state<SyncProgress | null>(null);
  /** The identity whose passphrase the running pass waits for. */
  waitingFor = $state<string | null>(null);
  /** While the keys a pass needs are asked for first: how many so far, of how many. */
  keys = $state<{ done: number; total: number } | null>(null);
  outcome = $state<PassOutcome | null>(null);
  /** Passes ended in this session (a new outcome to show). */
  passes = $state(0);
  private listening = false;
  private seq = 0;

  async load(): Promise<void> {
    const n = ++this.seq;
    try {
      const s = await api.syncStatus();
      if (n !== this.seq) return;
      this.status = s;
      this.loadError = null;
    } catch (e) {
      if (n === this.seq) this.loadError = asFailure(e);
    } finally {
      if (n === this.seq) this.loaded = true;
    }
  }

  /** Follow `SyncProgress` events (once). */
  async listen(): Promise<void> {
    if (this.listening) return;
    this.listening = true;
    try {
      await events.syncProgress.listen((e) => {
        if (this.running) this.progress = e.payload;
      });
    } catch {
      // No event channel (a plain browser): the pass still runs, without a progress bar.
    }
  }

  /**
   * One pass with `target` (`label` says which, for the progress line). Asks for the locked key
   * it needs (the pusher's: one, whoever made the changes). Afterwards sync's status, the packets and the runs are read again. Resolves with
   * the outcome; never throws.
   */
  async run(target: TargetInput, label: string): Promise<PassOutcome> {
    if (this.running) {
      const failure = asFailure({ code: 'sync_running', class: 'refused', message: 'A sync pass is already running.' });
      return { ok: false, failure, target: null };
    }
    const before = this.status;
    this.running = label;
    this.progress = null;
    this.waitingFor = null;
    this.keys = null;
    const ask = async (who: string): Promise<boolean> => {
      this.waitingFor = who;
      this.progress = null;
      try {
        return await passphrase.ask(who);
      } finally {
        this.waitingFor = null;
      }
    };
    let outcome: PassOutcome;
    try {
      // The keys the push signs with, asked for first, so that the pass runs in one go.
      const needed = await api.syncKeysNeeded(target);
      for (const [i, who] of needed.entries()) {
        this.keys = { done: i, total: needed.length };
        if (!(await ask(who.id))) {
          throw asFailure({ code: 'passphrase_cancelled', class: 'bad_input', message: 'The passphrase dialog was closed.' });
        }
      }
      this.keys = null;
      // (Should the pass meet another locked key, made meanwhile, it asks for that one too.)
      const report = await api.syncNow(target, ask);
      outcome = { ok: true, report };
    } catch (e) {
      outcome = { ok: false, failure: asFailure(e), target: null };
    }
    await this.load();
    if (!outcome.ok && this.status) {
      outcome = { ...outcome, target: recordedOn(before, this.status, outcome.failure.code) };
    }
    this.outcome = outcome;
    this.passes++;
    this.running = null;
    this.progress = null;
    this.waitingFor = null;
    this.keys = null;
    void packets.load();
    void runs.load();
    live.now();
    return outcome;
  }
}

export const sync = new SyncState();
