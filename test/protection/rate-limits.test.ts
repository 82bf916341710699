import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Env } from '../../src/config/index.js';
import { PROTECTED_ENV, STRONG_PASSWORD } from '../support/config.js';
import { deleteRedisKeys, runRedis, TEST_REDIS_URL, uniqueRedisPrefix } from '../support/redis.js';
import { makeTestApp, type TestApp } from '../support/services.js';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const open = async (env: Env) => {
  t = await makeTestApp({ ...PROTECTED_ENV, ...env });
  return t;
};
const get = (url: string, remoteAddress = '198.51.100.1', headers: Record<string, string> = {}) => t!.app.inject({ method: 'GET', url, remoteAddress, headers });

describe('rate limits', () => {
  it('answer exact X-RateLimit-* and IETF RateLimit headers across a window, then 429 with Retry-After and the policy', async () => {
    await open({ RATE_LIMIT_IP: '5' });
    const before = Date.now();
    const resets = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const res = await get('/api/v1/auth/security-info');
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBe('5');
      expect(res.headers['x-ratelimit-remaining']).toBe(String(4 - i));
      resets.add(res.headers['x-ratelimit-reset'] as string);
      expect(res.headers['ratelimit-policy']).toBe('"global";q=10000;w=60, "ip";q=5;w=60');
      expect(res.headers.ratelimit).toMatch(new RegExp(`^"ip";r=${4 - i};t=(59|60)$`));
    }
    // One window: the reset time is the same epoch second for every request in it.
    expect(resets.size).toBe(1);
    const reset = Number([...resets][0]);
    expect(reset).toBeGreaterThanOrEqual(Math.floor(before / 1000) + 59);
    expect(reset).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 60);

    const over = await get('/api/v1/auth/security-info');
    expect(over.statusCode).toBe(429);
    expect(over.headers['content-type']).toContain('application/problem+json');
    expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(59);
    expect(Number(over.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(over.headers['x-ratelimit-remaining']).toBe('0');
    expect(over.json()).toMatchObject({ status: 429, code: 'rate_limited', policy: 'ip', retry_after: Number(over.headers['retry-after']) });
    const limited = t!.events.filter((e) => e.type === 'RATE_LIMITED');
    expect(limited).toHaveLength(1);
    expect(limited[0]).toMatchObject({ ip: '198.51.100.1', details: { policy: 'ip', limit: 5, window_seconds: 60, route: '/api/v1/auth/security-info' } });

    // Another client has its own budget.
    expect((await get('/api/v1/auth/security-info', '198.51.100.2')).statusCode).toBe(200);
  });

  it('limit IPv6 clients per /64 by default', async () => {
    await open({ RATE_LIMIT_IP: '2' });
    expect((await get('/api/v1/auth/security-info', '2001:db8:1:2::1')).statusCode).toBe(200);
    expect((await get('/api/v1/auth/security-info', '2001:db8:1:2:ffff::9')).statusCode).toBe(200);
    expect((await get('/api/v1/auth/security-info', '2001:db8:1:2::abcd')).statusCode).toBe(429);
    expect((await get('/api/v1/auth/security-info', '2001:db8:1:3::1')).statusCode).toBe(200);
  });

  it('ignore a spoofed X-Forwarded-For without TRUST_PROXY, and honour it from a trusted proxy', async () => {
    await open({ RATE_LIMIT_IP: '2' });
    for (const spoof of ['1.1.1.1', '2.2.2.2']) expect((await get('/api/v1/auth/security-info', '198.51.100.7', { 'x-forwarded-for': spoof })).statusCode).toBe(200);
    expect((await get('/api/v1/auth/security-info', '198.51.100.7', { 'x-forwarded-for': '3.3.3.3' })).statusCode).toBe(429);
    await t!.close();

    await open({ RATE_LIMIT_IP: '2', TRUST_PROXY: '127.0.0.1' });
    for (let i = 0; i < 4; i++) {
      const res = await get('/api/v1/auth/security-info', '127.0.0.1', { 'x-forwarded-for': `203.0.113.${i}` });
      expect(res.statusCode).toBe(200);
    }
  });

  it('exempt allowlisted addresses from the per-IP layer', async () => {
    await open({ RATE_LIMIT_IP: '1', IP_ALLOWLIST: '10.0.0.0/8', RATE_LIMIT_ROUTES: 'login=1/1m' });
    for (let i = 0; i < 3; i++) expect((await get('/api/v1/auth/security-info', '10.1.2.3')).statusCode).toBe(200);
    for (let i = 0; i < 3; i++) {
      const res = await t!.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '10.1.2.3', payload: { email: 'x@example.com', password: 'whatever-password' } });
      expect(res.statusCode).toBe(401);
    }
    expect((await get('/api/v1/auth/security-info', '11.0.0.1')).statusCode).toBe(200);
    expect((await get('/api/v1/auth/security-info', '11.0.0.1')).statusCode).toBe(429);
  });

  it('apply the stricter login limit per IP', async () => {
    await open({ RATE_LIMIT_ROUTES: 'login=3/1m' });
    const login = () => t!.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '198.51.100.3', payload: { email: 'x@example.com', password: 'whatever-password' } });
    for (let i = 0; i < 3; i++) {
      const res = await login();
      expect(res.statusCode).toBe(401);
      expect(res.headers['x-ratelimit-limit']).toBe('3');
    }
    const over = await login();
    expect(over.statusCode).toBe(429);
    expect(over.json().policy).toBe('login');
    // Other routes keep their own budget.
    expect((await get('/api/v1/auth/security-info', '198.51.100.3')).statusCode).toBe(200);
  });

  it('limit each authenticated user, and 401s with that user\'s (forged) token do not consume it', async () => {
    await open({ RATE_LIMIT_USER: '3', RATE_LIMIT_IP: '1000' });
    await t!.services.auth.createUser({ email: 'quota@example.com', password: STRONG_PASSWORD, role: 'user' }, {});
    const { access_token } = (await t!.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'quota@example.com', password: STRONG_PASSWORD } })).json();
    const [h, p] = access_token.split('.');
    for (let i = 0; i < 10; i++) {
      const forged = await get('/api/v1/auth/me', '198.51.100.66', { authorization: `Bearer ${h}.${p}.AAAA${i}` });
      expect(forged.statusCode).toBe(401);
    }
    for (let i = 0; i < 3; i++) {
      const res = await get('/api/v1/auth/me', '198.51.100.4', { authorization: `Bearer ${access_token}` });
      expect(res.statusCode).toBe(200);
      expect(res.headers['ratelimit-policy']).toContain('"user";q=3;w=60');
    }
    const over = await get('/api/v1/auth/me', '198.51.100.5', { authorization: `Bearer ${access_token}` });
    expect(over.statusCode).toBe(429);
    expect(over.json().policy).toBe('user');
  });

  /**
   * GET /me with one access token until its user's layer refuses, then with a revoked token.
   * `together`: a known token's user layer is counted with the other layers (a shared store).
   */
  async function userLayerCounts(env: Env, together: boolean) {
    await open({ ...env, RATE_LIMIT_USER: '4', RATE_LIMIT_IP: '1000' });
    const user = await t!.services.auth.createUser({ email: 'known@example.com', password: STRONG_PASSWORD, role: 'user' }, {});
    const login = async () => (await t!.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '198.51.100.7', payload: { email: 'known@example.com', password: STRONG_PASSWORD } })).json().access_token as string;
    const token = await login();
    const consume = vi.spyOn(t!.services.protection.rateLimits, 'consume');
    const me = async (bearer: string) => {
      consume.mockClear();
      const res = await get('/api/v1/auth/me', '198.51.100.8', { authorization: `Bearer ${bearer}` });
      return { res, calls: consume.mock.calls.map(([layers]) => layers.map(([layer]) => layer)) };
    };

    // First sight of the token: the guard verifies it, then counts the user's layer on its own.
    const first = await me(token);
    expect(first.res.statusCode).toBe(200);
    expect(first.calls).toEqual([['global', 'ip'], ['user']]);
    // Known now; either way the user's budget goes down by exactly one per request.
    for (const remaining of [2, 1, 0]) {
      const { res, calls } = await me(token);
      expect(res.statusCode).toBe(200);
      expect(calls).toEqual(together ? [['global', 'ip', 'user']] : [['global', 'ip'], ['user']]);
      expect(res.headers['x-ratelimit-remaining']).toBe(String(remaining));
      expect(res.headers.ratelimit).toMatch(new RegExp(`^"user";r=${remaining};t=`));
    }
    const over = await me(token);
    expect(over.res.statusCode).toBe(429);
    expect(over.res.json().policy).toBe('user');
    expect(t!.events.filter((e) => e.type === 'RATE_LIMITED').at(-1)).toMatchObject({ user_id: user.id, details: { policy: 'user' } });

    // A revoked token is not known: its requests are refused by the guard and never charge the user.
    const other = await login();
    const check = await t!.services.tokens.verifyAccess(other);
    if (!check.ok) throw new Error('the new token should verify');
    await t!.services.tokens.revokeAccessToken(check.claims, 'test');
    const revoked = await me(other);
    expect(revoked.res.statusCode).toBe(401);
    expect(revoked.calls).toEqual([['global', 'ip']]);
  }

  it('count each request once against its user, in memory in a second count after the guard', () => userLayerCounts({}, false));

  it.skipIf(!runRedis)('count a known access token\'s user with the other layers over Redis (one round trip), once per request, never a revoked token\'s', async () => {
    const prefix = uniqueRedisPrefix('known-user');
    try {
      await userLayerCounts({ REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix }, true);
    } finally {
      await deleteRedisKeys(prefix);
    }
  });

  it('leave health probes alone', async () => {
    await open({ RATE_LIMIT_IP: '1' });
    for (let i = 0; i < 5; i++) {
      const res = await get('/health');
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
    }
  });

  it('are off with RATE_LIMIT_ENABLED=false', async () => {
    await open({ RATE_LIMIT_ENABLED: 'false', RATE_LIMIT_IP: '1' });
    for (let i = 0; i < 3; i++) expect((await get('/api/v1/auth/security-info')).statusCode).toBe(200);
  });
});
