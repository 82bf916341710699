import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/shared/duration.js';
import { createRevocationList } from '../../src/tokens/revocation.js';

describe('revocation list', () => {
  const T = 1_000_000;

  it('revokes a jti until its expiry, then forgets it', () => {
    const list = createRevocationList();
    list.revokeToken('a', T + 100);
    expect(list.isRevoked('a', undefined, T)).toBe(true);
    expect(list.isRevoked('b', undefined, T)).toBe(false);
    expect(list.isRevoked('a', undefined, T + 100)).toBe(false);
    expect(list.size().tokens).toBe(0);
  });

  it('revokes every token of a session by sid', () => {
    const list = createRevocationList();
    list.revokeSession('s1', T + 50);
    expect(list.isRevoked('any-jti', 's1', T)).toBe(true);
    expect(list.isRevoked('any-jti', 's2', T)).toBe(false);
  });

  it('keeps the later expiry when revoked twice, and prunes expired entries', () => {
    const list = createRevocationList();
    list.revokeToken('a', T + 100);
    list.revokeToken('a', T + 10);
    list.revokeSession('s', T + 5);
    expect(list.isRevoked('a', undefined, T + 50)).toBe(true);
    list.prune(T + 20);
    expect(list.size()).toEqual({ tokens: 1, sessions: 0 });
  });
});

describe('durations', () => {
  it('parses the forms the config accepts', () => {
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('45')).toBe(45_000);
    expect(parseDuration(' 2W ')).toBe(2 * 604_800_000);
  });

  it('rejects zero, negatives, fractions and junk', () => {
    for (const bad of ['', '0', '0s', '-5m', '1.5h', 'm', '10 minutes', '1e3', '99999999999999999999d']) expect(parseDuration(bad), bad).toBeUndefined();
  });

  it('formats as the shortest exact string', () => {
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(86_400_000)).toBe('1d');
    expect(formatDuration(1500)).toBe('1s500ms');
    expect(parseDuration(formatDuration(123_456_789))).toBe(123_456_789);
  });
});
