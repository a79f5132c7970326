import { describe, expect, it } from 'vitest';
import {
  absoluteDate,
  absoluteTime,
  bytes,
  clip,
  exactUtc,
  holdKindLabel,
  humanize,
  isPast,
  meaningLabel,
  objectionStatusLabel,
  ordinal,
  plural,
  relativeTime,
  roleLabel,
  shortDigest,
  shortId,
  stateExplanation,
  stateLabel,
} from './format';

const NOW = Date.parse('2026-11-21T12:00:00.000Z');

describe('times', () => {
  it('says relative times in words', () => {
    expect(relativeTime('2026-11-21T11:59:40.000Z', NOW)).toBe('just now');
    expect(relativeTime('2026-11-21T11:55:00.000Z', NOW)).toBe('5 minutes ago');
    expect(relativeTime('2026-11-21T11:00:00.000Z', NOW)).toBe('1 hour ago');
    expect(relativeTime('2026-11-19T12:00:00.000Z', NOW)).toBe('2 days ago');
    expect(relativeTime('2026-12-03T12:00:00.000Z', NOW)).toBe('in 12 days');
    expect(relativeTime('2026-11-21T12:01:00.000Z', NOW)).toBe('in 1 minute');
  });

  it('gives the date past a month, and never guesses', () => {
    expect(relativeTime('2026-01-02T10:00:00.000Z', NOW, 'UTC')).toBe('2 Jan 2026');
    expect(relativeTime('not a time', NOW)).toBe('unknown time');
    expect(relativeTime(null, NOW)).toBe('unknown time');
  });

  it('gives absolute times in a time zone', () => {
    expect(absoluteTime('2026-11-19T17:02:00.028Z', 'UTC')).toBe('19 Nov 2026, 17:02');
    expect(absoluteTime('2026-11-19T17:02:00.028Z', 'Europe/Berlin')).toBe('19 Nov 2026, 18:02');
    expect(absoluteDate('2026-11-19T23:30:00.000Z', 'UTC')).toBe('19 Nov 2026');
    expect(absoluteTime(undefined)).toBe('unknown time');
  });

  it('gives the exact recorded time in UTC', () => {
    expect(exactUtc('2026-11-19T17:02:00.028Z')).toBe('2026-11-19 17:02:00.028 UTC');
  });

  it('knows what is past', () => {
    expect(isPast('2026-11-21T11:00:00Z', NOW)).toBe(true);
    expect(isPast('2026-11-22T11:00:00Z', NOW)).toBe(false);
    expect(isPast('garbage', NOW)).toBe(false);
  });
});

describe('digests and ids', () => {
  const d = 'sha256:f16bc09b943ce59411bbeefcdb5aa090ea7ff0cda762c32b354dd55c9419affd';

  it('shortens like the CLI so a prefix can be pasted', () => {
    expect(shortId(d)).toBe('f16bc09b943c');
    expect(shortId('932ae49ad48f5b77dad4f31040d78ba4')).toBe('932ae49ad48f');
    expect(shortId('abc')).toBe('abc');
    expect(shortId(null)).toBe('');
  });

  it('keeps the algorithm when shortening a digest', () => {
    expect(shortDigest(d)).toBe('sha256:f16bc09b943c…');
    expect(shortDigest('sha256:abcd')).toBe('sha256:abcd');
    expect(shortDigest(d, 8)).toBe('sha256:f16bc09b…');
    expect(shortDigest('')).toBe('');
  });
});

describe('labels', () => {
  it('names packet and release states', () => {
    expect(stateLabel('drafting')).toBe('Drafting');
    expect(stateLabel('in_review')).toBe('In review');
    expect(stateLabel('awaiting_approval')).toBe('Awaiting approval');
    expect(stateLabel('held')).toBe('Held');
    expect(stateLabel('approved')).toBe('Approved');
    expect(stateLabel('released')).toBe('Released');
    expect(stateLabel('something_new')).toBe('Something new');
    expect(stateExplanation('held')).toMatch(/Draft a new manifest/);
    expect(stateExplanation('unknown')).toBe('');
  });

  it('names objection statuses, roles, meanings and hold kinds', () => {
    expect(objectionStatusLabel('accepted_residual')).toBe('Accepted as residual disagreement');
    expect(objectionStatusLabel('withdrawn')).toBe('Withdrawn');
    expect(roleLabel('release-owner')).toBe('Release owner');
    expect(roleLabel('legal')).toBe('Legal');
    expect(meaningLabel('approve')).toBe('Approved');
    expect(meaningLabel('reject')).toBe('Rejected');
    expect(meaningLabel('reviewed')).toBe('Reviewed');
    expect(holdKindLabel('new_revision')).toBe('New revision');
    expect(holdKindLabel('blocking_objection_opened')).toBe('Blocking objection opened');
    expect(holdKindLabel('odd_kind')).toBe('Odd kind');
    expect(humanize('')).toBe('');
  });

  it('counts and orders in words', () => {
    expect(plural(1, 'revision')).toBe('1 revision');
    expect(plural(3, 'revision')).toBe('3 revisions');
    expect(plural(2, 'reply', 'replies')).toBe('2 replies');
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 103].map(ordinal)).toEqual([
      '1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '103rd',
    ]);
  });

  it('clips quotes onto one line', () => {
    expect(clip('no customer\ndata  was lost')).toBe('no customer data was lost');
    expect(clip('abcdefghij', 5)).toBe('abcd…');
  });

  it('says sizes', () => {
    expect(bytes(342)).toBe('342 B');
    expect(bytes(2048)).toBe('2.0 KiB');
    expect(bytes(3 * 1024 * 1024)).toBe('3.0 MiB');
  });
});
