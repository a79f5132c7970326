// Captures the demo workspace, as the CLI prints it, into demo/fixture.json for the browser
// preview (`npm run preview:demo`). Run from ui/: node demo/capture.mjs [path/to/countersign]
// It builds a fresh demo workspace in a temporary directory; nothing else is touched.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = process.argv[2] ?? '../target/debug/countersign';
const ws = mkdtempSync(join(tmpdir(), 'countersign-demo-'));
const env = { ...process.env, COUNTERSIGN_WORKSPACE: ws, COUNTERSIGN_PASSPHRASE: 'demo' };
const run = (...args) => execFileSync(bin, args, { env, encoding: 'utf8' });
const json = (...args) => JSON.parse(run(...args, '--json'));

run('demo');
const identities = json('identity', 'list');
const packets = json('packet', 'list');
const policy = json('policy', 'show');
const out = { workspace: { dir: '/home/priya/packets/meridian', id: 'demo' }, identities, packets, policy, perPacket: {} };
for (const p of packets) {
  const log = json('packet', 'log', p.id);
  const revisions = {};
  for (const r of log) {
    revisions[r.id] = {
      markdown: run('packet', 'show', p.id, '--revision', r.id),
      html: run('packet', 'show', p.id, '--revision', r.id, '--format', 'html'),
      comments: json('comment', 'list', p.id, '--revision', r.id),
      objections: json('objection', 'list', p.id, '--revision', r.id),
    };
  }
  const status = {};
  for (const lane of policy.policy.lanes) status[lane.id] = json('manifest', 'status', p.id, '--lane', lane.id);
  out.perPacket[p.id] = { log, revisions, status, evidence: json('evidence', 'list', p.id) };
}
const runs = json('run', 'list');
out.runs = { list: runs, views: {}, lineage: {} };
for (const r of runs) {
  const v = json('run', 'show', r.id);
  out.runs.views[r.id] = v;
  out.runs.lineage[r.id] = {};
  for (const item of [...v.files, ...v.outputs]) out.runs.lineage[r.id][item.id] = json('run', 'lineage', r.id, item.id);
}
writeFileSync(new URL('./fixture.json', import.meta.url), JSON.stringify(out, null, 1) + '\n');
console.log(`captured ${packets.length} packet(s) from ${ws}`);
