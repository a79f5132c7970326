import { describe, expect, it } from 'vitest';
import {
  conflictKindLabel,
  createOnlyLabel,
  describeTarget,
  folderHint,
  folderInput,
  formatMoved,
  heldBackLabel,
  mergeMessage,
  mergeRefusal,
  phaseLabel,
  progressFraction,
  progressText,
  recordedOn,
  reportLine,
  s3Input,
  targetHealth,
} from './sync';

const moved = (ops: number, batches: number, objects: number, bytes: number) => ({ ops, batches, objects, bytes });
const progress = (over: Partial<Parameters<typeof progressText>[0] & object> = {}) => ({
  target: 'folder:/srv/share',
  phase: 'uploading',
  done: 12,
  total: 40 as number | null,
  bytes: 1536,
  total_bytes: null as number | null,
  ...over,
});

describe('formatMoved', () => {
  it('says what moved, with units and plurals', () => {
    expect(formatMoved(moved(212, 9, 4, 1536))).toBe('212 operations in 9 batches · 4 objects · 1.5 KiB');
    expect(formatMoved(moved(1, 1, 0, 800))).toBe('1 operation in 1 batch · 800 B');
  });
  it('says nothing moved when nothing did', () => {
    expect(formatMoved(moved(0, 0, 0, 0))).toBe('nothing');
    expect(formatMoved(null)).toBe('nothing');
  });
});

describe('describeTarget', () => {
  it('reads folder and S3 names', () => {
    expect(describeTarget('folder:/srv/share')).toEqual({ kind: 'folder', title: 'Shared folder', where: '/srv/share', endpoint: null });
    expect(describeTarget('s3://team/meridian@http://127.0.0.1:8333')).toEqual({
      kind: 's3',
      title: 'S3 bucket',
      where: 's3://team/meridian',
      endpoint: 'http://127.0.0.1:8333',
    });
    expect(describeTarget('s3://team').endpoint).toBeNull();
    expect(describeTarget('elsewhere').kind).toBe('other');
  });
});

describe('targetHealth and createOnlyLabel', () => {
  it('tells never, failed and ok apart', () => {
    expect(targetHealth({ last_pass_at: null, last_error: null })).toBe('never');
    expect(targetHealth({ last_pass_at: '2026-11-21T10:00:00Z', last_error: 'offline' })).toBe('failed');
    expect(targetHealth({ last_pass_at: '2026-11-21T10:00:00Z', last_error: null })).toBe('ok');
  });
  it('says what create-only puts mean', () => {
    expect(createOnlyLabel(null)).toBe('not probed yet');
    expect(createOnlyLabel('honoured')).toMatch(/^honoured/);
    expect(createOnlyLabel('something_new')).toBe('Something new');
  });
});

describe('progress', () => {
  it('says the phase and the counts known', () => {
    expect(progressText(progress())).toBe('Uploading this replica’s changes: 12 of 40 objects (1.5 KiB)');
    expect(progressText(progress({ phase: 'listing', done: 0, total: null, bytes: 0 }))).toBe('Listing what the target holds…');
    expect(progressText(progress({ phase: 'downloading', done: 3, total: null, bytes: 2048, total_bytes: 4096 }))).toBe(
      'Downloading other replicas’ changes: 3 objects (2.0 KiB of 4.0 KiB)',
    );
    expect(progressText(null)).toBe('Connecting to the target…');
    expect(phaseLabel('rebasing')).toBe('Rebasing');
  });
  it('fills the bar by objects, else bytes, else not at all', () => {
    expect(progressFraction(progress())).toBeCloseTo(0.3);
    expect(progressFraction(progress({ total: null, bytes: 50, total_bytes: 200 }))).toBeCloseTo(0.25);
    expect(progressFraction(progress({ total: null }))).toBeNull();
    expect(progressFraction(progress({ done: 50 }))).toBe(1);
    expect(progressFraction(null)).toBeNull();
  });
});

describe('the add-target forms', () => {
  it('makes a folder target, or nothing while blank', () => {
    expect(folderInput('  /srv/share ')).toEqual({ kind: 'folder', path: '/srv/share' });
    expect(folderInput('   ')).toBeNull();
    expect(folderHint('shared')).toMatch(/full path/);
    expect(folderHint('/srv/share')).toBeNull();
    expect(folderHint('')).toBeNull();
  });
  it('makes an S3 target; blank endpoint and region are not given', () => {
    expect(s3Input(' s3://team/meridian ', ' ', '')).toEqual({ kind: 's3', url: 's3://team/meridian', endpoint: null, region: null });
    expect(s3Input('s3://team', 'http://127.0.0.1:8333', 'eu-1')).toEqual({
      kind: 's3',
      url: 's3://team',
      endpoint: 'http://127.0.0.1:8333',
      region: 'eu-1',
    });
    expect(s3Input('', 'x', 'y')).toBeNull();
  });
});

describe('divergences and conflicts', () => {
  const d = { owner: 'priya', owner_name: 'Priya Raman' };
  it('lets only the owner merge, and says who can', () => {
    expect(mergeRefusal(d, { id: 'priya', kind: 'human' })).toBeNull();
    expect(mergeRefusal(d, { id: 'marcus', kind: 'human' })).toMatch(/Only Priya Raman, the packet owner/);
    expect(mergeRefusal(d, null)).toMatch(/Only Priya Raman/);
  });
  it('names the merge after the heads', () => {
    expect(mergeMessage([{ number: 4 }, { number: 5 }])).toBe('Merge r4 and r5');
    expect(mergeMessage([])).toBe('Merge heads');
  });
  it('labels conflicts and held-back items', () => {
    expect(conflictKindLabel('ledger')).toBe('Ledger move');
    expect(conflictKindLabel('something_else')).toBe('Something else');
    const replica = '0123456789abcdef0123456789abcdef';
    expect(heldBackLabel({ object: `logs/${replica}/000000000003`, replica })).toBe('batch 3 of replica 0123456789ab');
    expect(heldBackLabel({ object: 'objects/9f8e7d6c5b4a39281706f5e4', replica: null })).toBe('object 9f8e7d6c5b4a');
    expect(heldBackLabel({ object: 'workspace.json', replica: null })).toBe('workspace.json');
  });
});

describe('reportLine', () => {
  it('sums a pass up', () => {
    const r = { pushed: moved(3, 1, 1, 2048), pulled: moved(0, 0, 0, 0), quarantined: [1], waiting: [], diverged: [1] };
    expect(reportLine(r)).toBe('Pushed 3 operations in 1 batch · 1 object · 2.0 KiB; pulled nothing; 1 quarantined; 1 packet diverged.');
  });
});

describe('recordedOn', () => {
  const t = (target: string, at: string | null, code: string | null = null) => ({ target, last_pass_at: at, last_error_code: code });
  it('finds the target whose last pass just failed with the code', () => {
    const before = { targets: [t('folder:/a', '2026-11-21T10:00:00Z')] };
    const after = { targets: [t('folder:/a', '2026-11-21T10:00:00Z'), t('folder:/b', '2026-11-21T10:05:00Z', 'target_offline')] };
    expect(recordedOn(before, after, 'target_offline')).toBe('folder:/b');
    const again = { targets: [t('folder:/a', '2026-11-21T10:06:00Z', 'target_offline')] };
    expect(recordedOn(before, again, 'target_offline')).toBe('folder:/a');
  });
  it('is null when no pass was recorded with that failure', () => {
    const before = { targets: [t('folder:/a', '2026-11-21T10:00:00Z', 'target_offline')] };
    expect(recordedOn(before, { targets: [t('folder:/a', '2026-11-21T10:00:00Z', 'target_offline')] }, 'target_offline')).toBeNull();
    expect(recordedOn(null, { targets: [] }, 'bad_target')).toBeNull();
    expect(recordedOn(null, { targets: [t('folder:/a', '2026-11-21T10:00:00Z', 'passphrase_unavailable')] }, 'passphrase_cancelled')).toBeNull();
  });
});
