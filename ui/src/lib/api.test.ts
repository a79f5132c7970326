import { beforeEach, describe, expect, it, vi } from 'vitest';

// The generated bindings, mocked: each command is a vi.fn returning the generator's Result shape.
vi.mock('../bindings', () => {
  const fn = () => vi.fn();
  return {
    commands: {
      packetRevise: fn(),
      identityUnlock: fn(),
      objectionMove: fn(),
      packetStates: fn(),
      manifestApprove: fn(),
      syncNow: fn(),
    },
    events: {},
  };
});

import { commands } from '../bindings';
import {
  ApiFailure,
  api,
  asFailure,
  identityNeeded,
  run,
  setKnownIdentities,
  setPassphraseAsker,
  withKey,
  withKeys,
} from './api';

const mocked = commands as unknown as Record<string, ReturnType<typeof vi.fn>>;
const ok = <T>(data: T) => ({ status: 'ok' as const, data });
const err = (code: string, message = code, cls = 'refused') => ({ status: 'error' as const, error: { code, class: cls, message } });
const PRIYA = 'f7b87a666dc457ca9cc1fb9ca9ab106b54b307e1fdfddab7d82dc55f56a317bf';
const HELEN = 'efdc46d6d1cffe253ab450d771e27fe4607bbbbce7f346d7ab469931e7df8efa';
const locked = (who = 'Priya Raman (f7b87a666dc4)') =>
  err('passphrase_unavailable', `a passphrase is needed for ${who}; set COUNTERSIGN_PASSPHRASE or run in a terminal`, 'bad_input');

beforeEach(() => {
  for (const f of Object.values(mocked)) f.mockReset();
  setKnownIdentities([{ id: PRIYA }, { id: HELEN }]);
});

describe('withKey: the passphrase flow', () => {
  it('returns the value when no key is needed, and asks nothing', async () => {
    const ask = vi.fn();
    const op = vi.fn().mockResolvedValue(ok(42));
    await expect(withKey(PRIYA, op, ask)).resolves.toBe(42);
    expect(op).toHaveBeenCalledTimes(1);
    expect(ask).not.toHaveBeenCalled();
  });

  it('asks for the passphrase once and retries the command once', async () => {
    const ask = vi.fn().mockResolvedValue(true);
    const op = vi.fn().mockResolvedValueOnce(locked()).mockResolvedValueOnce(ok('done'));
    await expect(withKey(PRIYA, op, ask)).resolves.toBe('done');
    expect(ask).toHaveBeenCalledExactlyOnceWith(PRIYA);
    expect(op).toHaveBeenCalledTimes(2);
  });

  it('asks for the identity the core names, not only the actor', async () => {
    const ask = vi.fn().mockResolvedValue(true);
    const op = vi.fn().mockResolvedValueOnce(locked('Helen Sato (efdc46d6d1cf)')).mockResolvedValueOnce(ok(1));
    await withKey(PRIYA, op, ask);
    expect(ask).toHaveBeenCalledWith(HELEN);
  });

  it('does not retry a second time: a second refusal is thrown', async () => {
    const ask = vi.fn().mockResolvedValue(true);
    const op = vi.fn().mockResolvedValue(locked());
    await expect(withKey(PRIYA, op, ask)).rejects.toMatchObject({ code: 'passphrase_unavailable' });
    expect(ask).toHaveBeenCalledTimes(1);
    expect(op).toHaveBeenCalledTimes(2);
  });

  it('fails with passphrase_cancelled and does not retry when the person cancels', async () => {
    const ask = vi.fn().mockResolvedValue(false);
    const op = vi.fn().mockResolvedValue(locked());
    await expect(withKey(PRIYA, op, ask)).rejects.toMatchObject({ code: 'passphrase_cancelled' });
    expect(op).toHaveBeenCalledTimes(1);
  });

  it('passes other failures through untouched, without asking', async () => {
    const ask = vi.fn();
    const op = vi.fn().mockResolvedValue(err('not_owner', 'only the packet owner can accept residual disagreement'));
    const e = (await withKey(PRIYA, op, ask).catch((x: unknown) => x)) as ApiFailure;
    expect(e).toBeInstanceOf(ApiFailure);
    expect(e.code).toBe('not_owner');
    expect(e.class).toBe('refused');
    expect(e.readable).toMatch(/Only the packet owner/);
    expect(ask).not.toHaveBeenCalled();
  });

  it('turns an IPC exception into a failure with code ipc', async () => {
    const op = vi.fn().mockRejectedValue(new Error('command packet_revise not found'));
    await expect(withKey(PRIYA, op, vi.fn())).rejects.toMatchObject({ code: 'ipc', message: 'command packet_revise not found' });
  });
});

describe('withKeys: a command that needs several keys', () => {
  it('asks for each identity the core names, in turn, and retries after each', async () => {
    const ask = vi.fn().mockResolvedValue(true);
    const op = vi
      .fn()
      .mockResolvedValueOnce(locked())
      .mockResolvedValueOnce(locked('Helen Sato (efdc46d6d1cf)'))
      .mockResolvedValueOnce(ok('synced'));
    await expect(withKeys(op, ask)).resolves.toBe('synced');
    expect(ask.mock.calls).toEqual([[PRIYA], [HELEN]]);
    expect(op).toHaveBeenCalledTimes(3);
  });

  it('stops when an identity is named a second time (its key did not help)', async () => {
    const ask = vi.fn().mockResolvedValue(true);
    const op = vi.fn().mockResolvedValue(locked());
    await expect(withKeys(op, ask)).rejects.toMatchObject({ code: 'passphrase_unavailable' });
    expect(ask).toHaveBeenCalledTimes(1);
    expect(op).toHaveBeenCalledTimes(2);
  });

  it('stops on a cancelled dialog, and when no known identity is named', async () => {
    const cancel = vi.fn().mockResolvedValue(false);
    await expect(withKeys(vi.fn().mockResolvedValue(locked()), cancel)).rejects.toMatchObject({ code: 'passphrase_cancelled' });
    const ask = vi.fn();
    await expect(withKeys(vi.fn().mockResolvedValue(locked('Nobody (abcdef123456)')), ask)).rejects.toMatchObject({
      code: 'passphrase_unavailable',
    });
    expect(ask).not.toHaveBeenCalled();
  });

  it('passes other failures through; api.syncNow uses it', async () => {
    const ask = vi.fn().mockResolvedValue(true);
    await expect(withKeys(vi.fn().mockResolvedValue(err('target_offline')), ask)).rejects.toMatchObject({ code: 'target_offline' });
    mocked.syncNow.mockResolvedValueOnce(locked()).mockResolvedValueOnce(ok({ pending_ops: 0 }));
    const target = { kind: 'folder' as const, path: '/srv/share' };
    await expect(api.syncNow(target, ask)).resolves.toMatchObject({ pending_ops: 0 });
    expect(mocked.syncNow).toHaveBeenCalledWith(target);
    expect(ask).toHaveBeenCalledWith(PRIYA);
  });
});

describe('the api wrappers', () => {
  it('signing calls go through the passphrase flow installed by the app', async () => {
    const ask = vi.fn().mockResolvedValue(true);
    setPassphraseAsker(ask);
    mocked.packetRevise.mockResolvedValueOnce(locked()).mockResolvedValueOnce(ok({ id: 'sha256:1', number: 4 }));
    await expect(api.packetRevise('p', 'text', PRIYA, 'msg')).resolves.toMatchObject({ number: 4 });
    expect(mocked.packetRevise).toHaveBeenNthCalledWith(2, 'p', 'text', PRIYA, 'msg');
    expect(ask).toHaveBeenCalledWith(PRIYA);
  });

  it('a wrong passphrase is reported by identityUnlock and nothing is retried', async () => {
    mocked.identityUnlock.mockResolvedValue(err('wrong_passphrase', 'wrong passphrase', 'bad_input'));
    await expect(api.identityUnlock(PRIYA, 'nope')).rejects.toMatchObject({ code: 'wrong_passphrase' });
    expect(mocked.identityUnlock).toHaveBeenCalledTimes(1);
  });

  it('reads never ask for a passphrase', async () => {
    mocked.packetStates.mockResolvedValue(locked());
    const ask = vi.fn();
    setPassphraseAsker(ask);
    await expect(api.packetStates()).rejects.toMatchObject({ code: 'passphrase_unavailable' });
    expect(ask).not.toHaveBeenCalled();
  });

  it('approve passes the meaning and reason through', async () => {
    mocked.manifestApprove.mockResolvedValue(ok({ meaning: 'reject' }));
    await api.manifestApprove('sha256:m', HELEN, 'reject', 'Scope is wrong');
    expect(mocked.manifestApprove).toHaveBeenCalledWith('sha256:m', HELEN, 'reject', 'Scope is wrong');
  });
});

describe('failures', () => {
  it('reads the identity named in the core message', () => {
    const known = [{ id: PRIYA }, { id: HELEN }];
    expect(identityNeeded('a passphrase is needed for Helen Sato (efdc46d6d1cf); …', PRIYA, known)).toBe(HELEN);
    expect(identityNeeded('a passphrase is needed for someone', PRIYA, known)).toBe(PRIYA);
    expect(identityNeeded('needed for X (abcdef123456)', PRIYA, known)).toBe(PRIYA);
  });

  it('wraps anything thrown', () => {
    expect(asFailure({ code: 'held', class: 'refused', message: 'the release is held' }).code).toBe('held');
    expect(asFailure('boom')).toMatchObject({ code: 'ipc', message: 'boom' });
    const f = new ApiFailure({ code: 'x', class: 'internal', message: 'y' });
    expect(asFailure(f)).toBe(f);
  });

  it('run unwraps values and throws failures', async () => {
    await expect(run(async () => ok(3))).resolves.toBe(3);
    await expect(run(async () => err('no_change'))).rejects.toBeInstanceOf(ApiFailure);
  });

  it('cleans command-line advice out of messages', () => {
    const f = new ApiFailure({ code: 'reason_required', class: 'bad_input', message: 'a reason is required to reject (--reason)' });
    expect(f.detail).toBe('a reason is required to reject');
    expect(f.headline).toBe('A rejection needs a reason.');
  });
});
