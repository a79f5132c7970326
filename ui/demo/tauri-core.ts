// Browser-preview stand-in for @tauri-apps/api/core (used only by `npm run preview:demo`, never
// in a build). It answers the app's commands from demo/fixture.json, a capture of the demo
// workspace made with the real CLI (demo/capture.mjs). Unlocking takes the passphrase "demo";
// a few ledger and signing moves are kept in memory so that the screens can be tried; anything
// else that writes is refused with an honest message.

import fixture from './fixture.json';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const data: Json = structuredClone(fixture);
const unlocked = new Set<string>();
const NOW = Date.parse('2026-11-20T09:30:00Z');
let seq = 120;

function fail(code: string, message: string, cls = 'refused'): never {
  throw { code, class: cls, message };
}

function identity(id: string): Json {
  const i = data.identities.find((x: Json) => x.id === id || x.id.startsWith(id));
  if (!i) fail('not_found', `no identity ${id}`, 'bad_input');
  return i;
}

function needKey(id: string) {
  const i = identity(id);
  if (!unlocked.has(i.id)) {
    fail(
      'passphrase_unavailable',
      `a passphrase is needed for ${i.name} (${i.id.slice(0, 12)}); set COUNTERSIGN_PASSPHRASE or run in a terminal`,
      'bad_input',
    );
  }
  return i;
}

function packet(id: string): Json {
  const p = data.packets.find((x: Json) => x.id === id || x.id.startsWith(id));
  if (!p) fail('not_found', `no packet ${id}`, 'bad_input');
  return p;
}

function per(id: string): Json {
  return data.perPacket[packet(id).id];
}

function rev(p: string, r: string | null): Json {
  const pp = per(p);
  const id = r ?? pp.log[0].id;
  const x = pp.revisions[id];
  if (!x) fail('not_found', `no revision ${r}`, 'bad_input');
  return { id, ...x, view: pp.log.find((l: Json) => l.id === id) };
}

function readOnly(): never {
  fail('demo_read_only', 'This browser preview shows a captured demo workspace and keeps no changes. Run the desktop app to change anything.');
}

function tokens(s: string): string[] {
  return s.split(/(\s+)/).filter((t) => t.length > 0);
}

function diff(a: string, b: string): Json[] {
  const x = tokens(a);
  const y = tokens(b);
  const n = x.length;
  const m = y.length;
  const L: number[][] = Array.from({ length: n + 1 }, () => new Array(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) L[i][j] = x[i] === y[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
  const out: Json[] = [];
  const push = (kind: string, text: string) => {
    const last = out[out.length - 1];
    if (last && last.kind === kind) last.text += text;
    else out.push({ kind, text });
  };
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) {
      push('equal', x[i]);
      i++;
      j++;
    } else if (L[i + 1][j] >= L[i][j + 1]) push('delete', x[i++]);
    else push('insert', y[j++]);
  }
  while (i < n) push('delete', x[i++]);
  while (j < m) push('insert', y[j++]);
  return out;
}

function stamp(): string {
  return new Date(NOW + seq * 1000).toISOString();
}

const handlers: Record<string, (a: Json) => Json> = {
  workspace_info: () => ({ ...data.workspace, unlocked: [...unlocked].sort() }),
  identity_list: () => data.identities,
  identity_unlock: (a) => {
    const i = identity(a.identity);
    if (!a.passphrase) fail('empty_passphrase', 'the passphrase is empty', 'bad_input');
    if (a.passphrase !== 'demo') fail('wrong_passphrase', 'wrong passphrase, or the key is damaged', 'bad_input');
    unlocked.add(i.id);
    return null;
  },
  lock_all: () => {
    unlocked.clear();
    return null;
  },
  packet_states: () =>
    data.packets.map((p: Json) => {
      const st = Object.entries(per(p.id).status as Record<string, Json>).find(([, s]) => s.state !== 'drafting');
      return { packet: p, state: st ? st[1].state : p.open_objections ? 'in_review' : 'drafting', lane: st ? st[0] : null };
    }),
  packet_new: () => readOnly(),
  packet_show: (a) => {
    const r = rev(a.packet, a.revision);
    return { packet: packet(a.packet).id, revision: r.view, markdown: r.markdown };
  },
  packet_render_html: (a) => rev(a.packet, a.revision).html,
  packet_log: (a) => per(a.packet).log,
  packet_revise: (a) => {
    needKey(a.author);
    return readOnly();
  },
  packet_compare: (a) => {
    const x = rev(a.packet, a.from);
    const y = rev(a.packet, a.to);
    const segs = diff(x.markdown, y.markdown);
    const strip = (s: string) => s.replace(/[\s\p{P}]+/gu, '');
    return { from: x.view, to: y.view, change: strip(x.markdown) === strip(y.markdown) ? 'trivial' : 'material', segments: segs };
  },
  comment_add: (a) => {
    needKey(a.author);
    return readOnly();
  },
  comment_reply: (a) => {
    needKey(a.author);
    return readOnly();
  },
  comment_resolve: (a) => {
    needKey(a.by);
    return readOnly();
  },
  comment_list: (a) => rev(a.packet, a.revision).comments,
  objection_raise: (a) => {
    needKey(a.author);
    return readOnly();
  },
  objection_move: (a) => {
    const who = identity(a.by);
    let found: Json = null;
    for (const pid of Object.keys(data.perPacket)) {
      for (const r of Object.values(data.perPacket[pid].revisions) as Json[]) {
        for (const o of r.objections) if (o.id === a.objection || o.id.startsWith(a.objection)) found = { o, pid };
      }
    }
    if (!found) fail('not_found', `no objection ${a.objection}`, 'bad_input');
    const owner = packet(found.pid).owner;
    const o = found.o;
    const text = (a.text ?? '').trim();
    if (a.action === 'accept') {
      if (who.kind === 'agent') fail('agent_refused', 'an agent cannot accept residual disagreement');
      if (who.id !== owner) fail('not_owner', 'only the packet owner can accept residual disagreement');
      if (o.status !== 'open') fail('illegal_transition', `cannot accept an objection that is ${o.status}`);
      if (!text) fail('missing_rationale', 'accepting residual disagreement needs a rationale (--rationale)', 'refused');
    }
    if (a.action === 'reopen' && !text) fail('missing_reason', 'reopening needs a reason (--reason)');
    needKey(who.id);
    const to = { resolve: 'resolved', withdraw: 'withdrawn', accept: 'accepted_residual', reopen: 'open' }[a.action as string] as string;
    const at = stamp();
    seq++;
    for (const r of Object.values(data.perPacket[found.pid].revisions) as Json[]) {
      for (const x of r.objections) {
        if (x.id !== o.id) continue;
        x.history = [...x.history, { action: a.action, from: x.status, to, actor: who.id, actor_name: who.name, at, text: text || null }];
        x.status = to;
        x.residual = to === 'accepted_residual' ? { accepted_by: who.id, accepted_by_name: who.name, at, rationale: text } : null;
      }
    }
    return to;
  },
  objection_list: (a) => rev(a.packet, a.revision).objections,
  evidence_list: (a) => per(a.packet).evidence,
  policy_show: () => data.policy,
  manifest_status: (a) => {
    const s = per(a.packet).status[a.lane];
    if (!s) fail('unknown_lane', `lane \`${a.lane}\` is not in the trust policy`, 'bad_input');
    return s;
  },
  manifest_draft: (a) => {
    needKey(a.as ?? packet(a.packet).owner);
    return readOnly();
  },
  manifest_show: (a) => {
    for (const pid of Object.keys(data.perPacket)) {
      for (const s of Object.values(data.perPacket[pid].status) as Json[]) if (s.manifest?.digest.includes(a.manifest)) return s.manifest;
    }
    return fail('not_found', `no manifest ${a.manifest}`, 'bad_input');
  },
  manifest_approve: (a) => {
    const who = identity(a.as);
    if (who.kind === 'agent') fail('agent_refused', 'an agent cannot approve');
    for (const pid of Object.keys(data.perPacket)) {
      for (const s of Object.values(data.perPacket[pid].status) as Json[]) {
        if (s.manifest?.digest !== a.manifest) continue;
        if (a.meaning === 'reject' && !a.reason) fail('reason_required', 'a reason is required to reject (--reason)', 'bad_input');
        if (s.approvals.some((x: Json) => x.signer === who.id)) fail('manifest_state', `${who.name} has already signed this manifest`);
        const pi = data.policy.policy.identities.find((x: Json) => x.id === who.id);
        const laneDef = data.policy.policy.lanes.find((l: Json) => l.id === s.lane);
        const role = laneDef.required_roles.find((r: string) => pi?.roles.includes(r)) ?? (laneDef.owner === who.id ? 'release-owner' : null);
        if (!role) fail('not_permitted', `${who.name} holds none of the roles lane \`${s.lane}\` requires and does not own it`);
        needKey(who.id);
        const ap = { signer: who.id, name: who.name, role, meaning: a.meaning, reason: a.reason, signed_at: stamp(), manifest: a.manifest, manifest_version: s.manifest.manifest.version };
        seq++;
        s.approvals.push(ap);
        if (s.missing) {
          if (laneDef.owner === who.id && a.meaning === 'approve') s.missing.owner = null;
          if (a.meaning === 'approve') s.missing.more_approvals = Math.max(0, s.missing.more_approvals - 1);
          s.missing.eligible = s.missing.eligible.filter((n: string) => n !== who.name);
          if (!s.missing.owner && s.missing.more_approvals === 0 && !s.approvals.some((x: Json) => x.meaning === 'reject')) s.state = 'approved';
        }
        return ap;
      }
    }
    return fail('not_found', `no manifest ${a.manifest}`, 'bad_input');
  },
  release: (a) => {
    needKey(a.as);
    return readOnly();
  },
  verify_bundle_bytes: () =>
    fail('policy_mismatch', 'verification failed (policy_mismatch): the browser preview cannot verify bundles; run the desktop app'),
  check: () => ({ ok: true, events_verified: seq, first_bad_event: null, first_bad_seq: null, problems: [] }),
  changes_since: () => [],
  last_change: () => seq,
  // Sync: the captured workspace was never synced (a pass would write, so it is refused).
  sync_status: () => ({
    workspace: data.workspace.id,
    replica: '5f0c2d9e8b7a41c3a2e1f0d9c8b7a6e5',
    replicas: {},
    local_ops: seq,
    targets: [],
    diverged: [],
    conflicts: [],
    state_digest: 'sha256:0000000000000000000000000000000000000000000000000000000000000000',
  }),
  sync_now: () => readOnly(),
  packet_heads: (a) => per(a.packet).log.filter((r: Json) => r.head),
  packet_merge: (a) => {
    needKey(a.author);
    return readOnly();
  },
  // Run records, as captured (read only: deciding asks for the key, then is refused).
  run_list: () => data.runs?.list ?? [],
  run_show: (a) => {
    const v = (data.runs?.list ?? []).find((r: Json) => r.id === a.run || r.id.startsWith(a.run));
    if (!v) fail('not_found', `no run ${a.run}`, 'bad_input');
    return data.runs.views[v.id];
  },
  run_lineage: (a) => {
    const t = data.runs?.lineage?.[a.run]?.[a.item];
    if (!t) fail('not_found', `no item ${a.item} on run ${a.run}`, 'bad_input');
    return t;
  },
  run_approve: (a) => {
    needKey(a.asIdentity);
    return readOnly();
  },
  run_reject: (a) => {
    needKey(a.asIdentity);
    return readOnly();
  },
};

export async function invoke<T>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
  const h = handlers[cmd];
  if (!h) throw { code: 'ipc', class: 'internal', message: `the preview does not know the command ${cmd}` };
  await new Promise((r) => setTimeout(r, 60));
  return structuredClone(h(args)) as T;
}

export class Channel<T = unknown> {
  onmessage: (m: T) => void = () => {};
}
