// The UI's one door to the core. Every call goes through `commands` from the generated
// bindings (never `invoke`); results are unwrapped into values or thrown `ApiFailure`s; and a call
// that needs a key the session has not unlocked asks for the passphrase once and is retried once.

import { commands } from '../bindings';
import { cleanMessage, describe, headline, type AppFailure } from './errors';

// ---- Types, derived from the bindings so that they follow whatever the generator names them.

type Commands = typeof commands;
type Settled<K extends keyof Commands> = Awaited<ReturnType<Commands[K]>>;
/** What a command returns on success. */
export type Ok<K extends keyof Commands> = Extract<Settled<K>, { status: 'ok' }> extends { data: infer T } ? T : never;

export type WorkspaceInfo = Ok<'workspaceInfo'>;
export type Identity = Ok<'identityList'>[number];
export type PacketState = Ok<'packetStates'>[number];
export type Packet = PacketState['packet'];
export type Revision = Ok<'packetLog'>[number];
export type RevisionContent = Ok<'packetShow'>;
export type Thread = Ok<'commentList'>[number];
export type Message = Thread['messages'][number];
export type Objection = Ok<'objectionList'>[number];
export type LedgerEntry = Objection['history'][number];
export type Redline = Ok<'packetCompare'>;
export type Segment = Redline['segments'][number];
export type Evidence = Ok<'evidenceList'>[number];
export type PolicyView = Ok<'policyShow'>;
export type Lane = PolicyView['policy']['lanes'][number];
export type Status = Ok<'manifestStatus'>;
export type ManifestView = NonNullable<Status['manifest']>;
export type Approval = Status['approvals'][number];
export type Hold = Status['holds'][number];
export type Missing = NonNullable<Status['missing']>;
export type VerifyReport = Ok<'verifyBundleBytes'>;
export type CheckReport = Ok<'check'>;
export type Change = Ok<'changesSince'>[number];
export type LedgerAction = Parameters<Commands['objectionMove']>[1];
export type Meaning = Parameters<Commands['manifestApprove']>[2];
export type RunSummary = Ok<'runList'>[number];
export type RunView = Ok<'runShow'>;
export type RunStep = RunView['steps'][number];
export type RunApproval = RunView['approvals'][number];
export type RunMeeting = RunView['meetings'][number];
export type RunOutput = RunView['outputs'][number];
export type RunFile = RunView['files'][number];
export type RunItemRef = RunFile['inputs'][number];
export type RoadmapLink = RunView['roadmap'][number];
export type RunHistoryEntry = RunView['history'][number];
export type ArchitectureLayer = RunView['architecture'][number];
export type ArchitectureCard = ArchitectureLayer['cards'][number];
export type LineageNode = Ok<'runLineage'>;
export type SyncStatus = Ok<'syncStatus'>;
export type SyncTarget = SyncStatus['targets'][number];
export type HeldBack = SyncTarget['quarantined'][number];
export type Diverged = SyncStatus['diverged'][number];
export type Conflict = SyncStatus['conflicts'][number];
export type SyncReport = Ok<'syncNow'>;
export type TargetInput = Parameters<Commands['syncNow']>[0];
/** How a picked file is handed to the core (the generated bindings take its text). */
export type FileContent = Parameters<Commands['verifyBundleBytes']>[0];

/** A command's settled result, in the generator's shape. */
export type Outcome<T> = { status: 'ok'; data: T } | { status: 'error'; error: AppFailure };

// ---- Failures

/** A failure from the core (or from reaching it), thrown by the wrappers below. */
export class ApiFailure extends Error implements AppFailure {
  readonly code: string;
  readonly class: string;
  constructor(e: AppFailure) {
    super(e.message);
    this.name = 'ApiFailure';
    this.code = e.code;
    this.class = e.class;
  }
  /** What to tell a person (headline and the core's message). */
  get readable(): string {
    return describe(this);
  }
  get headline(): string | null {
    return headline(this.code);
  }
  get detail(): string {
    return cleanMessage(this.message);
  }
}

/** Any thrown value as an ApiFailure (IPC faults become code `ipc`). */
export function asFailure(e: unknown): ApiFailure {
  if (e instanceof ApiFailure) return e;
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) {
    const o = e as { code: unknown; class?: unknown; message: unknown };
    return new ApiFailure({ code: String(o.code), class: String(o.class ?? 'internal'), message: String(o.message) });
  }
  const message = e instanceof Error ? e.message : String(e);
  return new ApiFailure({ code: 'ipc', class: 'internal', message });
}

/** Settle a command call: never throws, whatever the IPC layer did. */
async function settle<T>(op: () => Promise<Outcome<T>>): Promise<Outcome<T>> {
  try {
    const r = await op();
    if (r.status === 'error') return { status: 'error', error: asFailure(r.error) };
    return r;
  } catch (e) {
    return { status: 'error', error: asFailure(e) };
  }
}

/** The value, or throw the failure. */
export async function run<T>(op: () => Promise<Outcome<T>>): Promise<T> {
  const r = await settle(op);
  if (r.status === 'error') throw asFailure(r.error);
  return r.data;
}

// ---- Passphrases

/**
 * Asks a person for the passphrase of `identity` and unlocks it (`identityUnlock`). Resolves
 * true once the key is unlocked, false when the person cancels.
 */
export type PassphraseAsker = (identity: string) => Promise<boolean>;

let asker: PassphraseAsker = async () => false;

/** Install the dialog that asks for passphrases (done once by the app shell). */
export function setPassphraseAsker(fn: PassphraseAsker): void {
  asker = fn;
}

/**
 * The identity whose key a `passphrase_unavailable` failure names. The core says
 * "a passphrase is needed for Priya Raman (f7b87a666dc4)…"; the short id is matched against the
 * known identities. Falls back to `actor`.
 */
export function identityNeeded(message: string, actor: string, known: readonly { id: string }[] = []): string {
  const m = /\(([0-9a-f]{6,64})\)/.exec(message);
  if (m) {
    const hit = known.filter((i) => i.id.startsWith(m[1]));
    if (hit.length === 1) return hit[0].id;
  }
  return actor;
}

let knownIdentities: readonly { id: string }[] = [];

/** Tell the wrapper which identities exist (to read the core's messages). */
export function setKnownIdentities(list: readonly { id: string }[]): void {
  knownIdentities = list;
}

/**
 * Run a command that may need `actor`'s key. When the core answers `passphrase_unavailable`, the
 * passphrase dialog is opened for the identity it names; once that key is unlocked the command is
 * retried, once. Cancelling the dialog fails with `passphrase_cancelled` and nothing is retried.
 */
export async function withKey<T>(actor: string, op: () => Promise<Outcome<T>>, ask: PassphraseAsker = asker): Promise<T> {
  const first = await settle(op);
  if (first.status === 'ok') return first.data;
  if (first.error.code !== 'passphrase_unavailable') throw asFailure(first.error);
  const who = identityNeeded(first.error.message, actor, knownIdentities);
  const unlocked = await ask(who);
  if (!unlocked) {
    throw new ApiFailure({
      code: 'passphrase_cancelled',
      class: 'bad_input',
      message: 'The passphrase dialog was closed.',
    });
  }
  return run(op);
}

/**
 * Run a command that may need several keys, none of them known in advance (a sync pass signs
 * each identity's changes with that identity's key). Every `passphrase_unavailable` opens the
 * dialog for the identity it names, and the command is run again once that key is unlocked;
 * an identity named a second time, or a cancelled dialog, ends it with the failure.
 */
export async function withKeys<T>(op: () => Promise<Outcome<T>>, ask: PassphraseAsker = asker): Promise<T> {
  const asked = new Set<string>();
  for (;;) {
    const r = await settle(op);
    if (r.status === 'ok') return r.data;
    if (r.error.code !== 'passphrase_unavailable') throw asFailure(r.error);
    const who = identityNeeded(r.error.message, '', knownIdentities);
    if (!who || asked.has(who)) throw asFailure(r.error);
    asked.add(who);
    if (!(await ask(who))) {
      throw new ApiFailure({
        code: 'passphrase_cancelled',
        class: 'bad_input',
        message: 'The passphrase dialog was closed.',
      });
    }
  }
}

// ---- Files

/** A picked file's content as the bindings want it (its UTF-8 text). */
export async function fileContent(file: Blob): Promise<FileContent> {
  return file.text();
}

// ---- The calls, typed and unwrapped. Signing calls take the acting identity.

export const api = {
  workspaceInfo: () => run(() => commands.workspaceInfo()),
  identityList: () => run(() => commands.identityList()),
  /** Unlock: a wrong passphrase throws `wrong_passphrase`; nothing is retried here. */
  identityUnlock: (identity: string, passphrase: string) => run(() => commands.identityUnlock(identity, passphrase)),
  lockAll: () => run(() => commands.lockAll()),
  packetStates: () => run(() => commands.packetStates()),
  packetNew: (title: string, owner: string) => withKey(owner, () => commands.packetNew(title, owner)),
  packetShow: (packet: string, revision: string | null) => run(() => commands.packetShow(packet, revision)),
  packetRenderHtml: (packet: string, revision: string | null) => run(() => commands.packetRenderHtml(packet, revision)),
  packetLog: (packet: string) => run(() => commands.packetLog(packet)),
  packetRevise: (packet: string, markdown: string, author: string, message: string) =>
    withKey(author, () => commands.packetRevise(packet, markdown, author, message)),
  packetMerge: (packet: string, markdown: string, author: string, message: string) =>
    withKey(author, () => commands.packetMerge(packet, markdown, author, message)),
  packetHeads: (packet: string) => run(() => commands.packetHeads(packet)),
  packetCompare: (packet: string, from: string, to: string) => run(() => commands.packetCompare(packet, from, to)),
  commentAdd: (packet: string, revision: string, quote: string, occurrence: number, body: string, author: string) =>
    withKey(author, () => commands.commentAdd(packet, revision, quote, occurrence, body, author)),
  commentReply: (thread: string, body: string, author: string) =>
    withKey(author, () => commands.commentReply(thread, body, author)),
  commentResolve: (thread: string, by: string) => withKey(by, () => commands.commentResolve(thread, by)),
  commentList: (packet: string, revision: string | null) => run(() => commands.commentList(packet, revision)),
  objectionRaise: (
    packet: string,
    revision: string,
    quote: string,
    occurrence: number,
    body: string,
    author: string,
    blocking: boolean,
  ) => withKey(author, () => commands.objectionRaise(packet, revision, quote, occurrence, body, author, blocking)),
  objectionMove: (objection: string, action: LedgerAction, by: string, text: string | null) =>
    withKey(by, () => commands.objectionMove(objection, action, by, text)),
  objectionList: (packet: string, revision: string | null) => run(() => commands.objectionList(packet, revision)),
  evidenceList: (packet: string) => run(() => commands.evidenceList(packet)),
  policyShow: () => run(() => commands.policyShow()),
  manifestStatus: (packet: string, lane: string) => run(() => commands.manifestStatus(packet, lane)),
  manifestDraft: (packet: string, lane: string, expiresInDays: number, as: string) =>
    withKey(as, () => commands.manifestDraft(packet, lane, expiresInDays, as)),
  manifestShow: (manifest: string) => run(() => commands.manifestShow(manifest)),
  manifestApprove: (manifest: string, as: string, meaning: Meaning, reason: string | null) =>
    withKey(as, () => commands.manifestApprove(manifest, as, meaning, reason)),
  release: (packet: string, lane: string, as: string) => withKey(as, () => commands.release(packet, lane, as)),
  verifyBundleBytes: (bundle: FileContent, lane: string, policy: FileContent | null, content: FileContent | null) =>
    run(() => commands.verifyBundleBytes(bundle, lane, policy, content)),
  check: () => run(() => commands.check()),
  changesSince: (seq: number, limit: number) => run(() => commands.changesSince(seq, limit)),
  lastChange: () => run(() => commands.lastChange()),
  runList: () => run(() => commands.runList()),
  runShow: (runId: string) => run(() => commands.runShow(runId)),
  runApprove: (approval: string, as: string, note: string | null) =>
    withKey(as, () => commands.runApprove(approval, as, note)),
  runReject: (approval: string, as: string, reason: string) =>
    withKey(as, () => commands.runReject(approval, as, reason)),
  runLineage: (runId: string, item: string) => run(() => commands.runLineage(runId, item)),
  syncStatus: () => run(() => commands.syncStatus()),
  syncKeysNeeded: (target: TargetInput) => run(() => commands.syncKeysNeeded(target)),
  /** One pass; asks for every locked key it needs, one after the other (see `withKeys`). */
  syncNow: (target: TargetInput, ask?: PassphraseAsker) => withKeys(() => commands.syncNow(target), ask),
};
