import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Env } from '../../src/config/index.js';
import { manualClock } from '../../src/shared/clock.js';
import { OTHER_STRONG_PASSWORD, PROTECTED_ENV, STRONG_PASSWORD } from '../support/config.js';
import { parseExposition, scrape, valueOf } from '../support/metrics.js';
import { makeTestApp, type TestApp } from '../support/services.js';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const open = async (env: Env = {}, clock = manualClock(Date.now())) => {
  t = await makeTestApp(env, { clock });
  return t;
};
const post = (url: string, payload: object, remoteAddress = '198.51.100.1', headers: Record<string, string> = {}) =>
  t!.app.inject({ method: 'POST', url, payload, remoteAddress, headers });
const attempts = (text: string, method: string, result: string) => valueOf(text, 'vigil_auth_attempts_total', { method, result });

async function user(email = 'metrics.user@example.com') {
  await t!.services.auth.createUser({ email, password: STRONG_PASSWORD, role: 'user' }, {});
  const login = await post('/api/v1/auth/login', { email, password: STRONG_PASSWORD });
  expect(login.statusCode).toBe(200);
  return login.json() as { access_token: string; refresh_token: string };
}

describe('GET /metrics', () => {
  it('serves the exposition: build info, default process metrics, every known series from 0', async () => {
    await open();
    const res = await t!.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    const text = res.body;
    expect(valueOf(text, 'vigil_build_info', { version: t!.services.config.version })).toBe(1);
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes']) {
      expect(text, name).toMatch(new RegExp(`^${name} `, 'm'));
    }
    for (const method of ['password', 'refresh', 'api_key']) {
      for (const result of ['success', 'failure', 'locked', 'blocked']) expect(attempts(text, method, result), `${method} ${result}`).toBe(0);
    }
    for (const limit_type of ['global', 'ip', 'user', 'route']) expect(valueOf(text, 'vigil_rate_limit_exceeded_total', { limit_type })).toBe(0);
    expect(valueOf(text, 'vigil_security_events_total', { type: 'LOGIN_FAILED' })).toBe(0);
    expect(valueOf(text, 'vigil_registrations_total')).toBe(0);
    expect(valueOf(text, 'vigil_db_up')).toBe(1);
    expect(valueOf(text, 'vigil_redis_up')).toBe(1);
    expect(valueOf(text, 'vigil_blocked_ips')).toBe(0);
    // The resource monitor's last sample of the data directory (NaN when it cannot be read).
    const percent = t!.services.resources.latest().disk_free_percent;
    expect(valueOf(text, 'vigil_data_disk_free_ratio')).toBe(percent === null ? Number.NaN : percent / 100);
    expect(valueOf(text, 'vigil_token_blacklist_entries', { state: 'active' })).toBe(0);
    expect(valueOf(text, 'vigil_locked_accounts')).toBe(0);
    expect(valueOf(text, 'vigil_active_sessions')).toBe(0);
    // SQLite has no pool.
    expect(text).not.toContain('vigil_db_pool_connections');
  });

  it('vigil_data_disk_free_ratio: free space of the data directory, from the resource monitor', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-disk-'));
    await open({ SIGNING_KEY_FILE: join(dir, 'vigil.key') });
    const ratio = valueOf(await scrape(t!.app), 'vigil_data_disk_free_ratio')!;
    expect(ratio).toBeGreaterThan(0);
    expect(ratio).toBeLessThanOrEqual(1);
  });

  it('counts requests and durations by route template, never the raw path; unmatched routes as one value', async () => {
    await open({ ADMIN_API_KEY: 'admin-key-for-metrics-0123456789abcdef' });
    const admin = { 'x-api-key': 'admin-key-for-metrics-0123456789abcdef' };
    const userId = '0197a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
    expect((await t!.app.inject({ method: 'DELETE', url: `/api/v1/admin/locked-accounts/${userId}`, headers: admin })).statusCode).toBe(404);
    expect((await t!.app.inject({ method: 'GET', url: '/no/such/path/secret-looking-token' })).statusCode).toBe(404);
    expect((await t!.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expect((await t!.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);

    const text = await scrape(t!.app);
    expect(valueOf(text, 'vigil_http_requests_total', { method: 'DELETE', route: '/api/v1/admin/locked-accounts/:user_id', status: '404' })).toBe(1);
    expect(valueOf(text, 'vigil_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(valueOf(text, 'vigil_http_requests_total', { method: 'GET', route: '/health', status: '200' })).toBe(2);
    expect(valueOf(text, 'vigil_http_request_duration_seconds_count', { method: 'GET', route: '/health' })).toBe(2);
    expect(valueOf(text, 'vigil_http_request_duration_seconds_bucket', { method: 'GET', route: '/health', le: '+Inf' })).toBe(2);
    // Buckets from 5 ms to 5 s.
    const les = parseExposition(text).filter((s) => s.name === 'vigil_http_request_duration_seconds_bucket' && s.labels.route === '/health').map((s) => s.labels.le);
    expect(les[0]).toBe('0.005');
    expect(les.at(-2)).toBe('5');
    expect(text).not.toContain(userId);
    expect(text).not.toContain('secret-looking-token');
  });

  it('counts password logins by result (success, failure, locked) and never puts an email or user id in a label', async () => {
    // Limits per address and IP blocking out of the way: this is about the account.
    await open({ ...PROTECTED_ENV, RATE_LIMIT_ROUTES: 'login=10000/1m', DETECT_BRUTE_FORCE_IP: '10000/5m', IP_BLOCK_THRESHOLD: '10000' });
    const email = 'count.me@example.com';
    const created = await t!.services.auth.createUser({ email, password: STRONG_PASSWORD, role: 'user' }, {});
    const login = (password: string, who = email) => post('/api/v1/auth/login', { email: who, password });

    expect((await login(STRONG_PASSWORD)).statusCode).toBe(200);
    expect((await login(OTHER_STRONG_PASSWORD)).statusCode).toBe(401);
    let text = await scrape(t!.app);
    expect(attempts(text, 'password', 'success')).toBe(1);
    expect(attempts(text, 'password', 'failure')).toBe(1);
    expect(valueOf(text, 'vigil_security_events_total', { type: 'LOGIN_FAILED' })).toBe(1);

    // An unknown email is a failure too; the fifth wrong password locks; the next attempt is `locked`.
    expect((await login(STRONG_PASSWORD, 'nobody@example.com')).statusCode).toBe(401);
    for (let i = 0; i < 4; i++) expect((await login(OTHER_STRONG_PASSWORD)).statusCode).toBe(401);
    expect((await login(STRONG_PASSWORD)).statusCode).toBe(401);
    text = await scrape(t!.app);
    expect(attempts(text, 'password', 'failure')).toBe(6);
    expect(attempts(text, 'password', 'locked')).toBe(1);
    expect(valueOf(text, 'vigil_security_events_total', { type: 'ACCOUNT_LOCKED' })).toBe(1);
    expect(valueOf(text, 'vigil_registrations_total')).toBe(1);
    // argon2id was timed for the account creation and each verify (dummy ones included).
    expect(valueOf(text, 'vigil_password_hash_duration_seconds_count')).toBe(9);

    for (const s of parseExposition(text)) {
      for (const value of Object.values(s.labels)) {
        expect(value).not.toContain('@');
        expect(value).not.toContain(created.id);
      }
    }
  });

  it('counts 429s by layer, and an attempt refused by a limit or a blocked address as blocked', async () => {
    await open({ ...PROTECTED_ENV, RATE_LIMIT_IP: '3', RATE_LIMIT_ROUTES: 'login=2/1m' });
    const body = { email: 'nobody@example.com', password: STRONG_PASSWORD };
    // Per-route limit on login (2/min from one address): the third is refused before any check.
    for (const expected of [401, 401, 429]) expect((await post('/api/v1/auth/login', body, '198.51.100.7')).statusCode).toBe(expected);
    // Per-IP limit (3/min) from another address.
    for (const expected of [200, 200, 200, 429]) expect((await t!.app.inject({ method: 'GET', url: '/api/v1/auth/security-info', remoteAddress: '198.51.100.8' })).statusCode).toBe(expected);
    // A blocked address trying a refresh token.
    await t!.services.protection.ipBlocks.block({ target: '203.0.113.9', reason: 'test', source: 'manual' }, {});
    expect((await post('/api/v1/auth/refresh', { refresh_token: 'x'.repeat(43) }, '203.0.113.9')).statusCode).toBe(403);

    const text = await scrape(t!.app);
    expect(valueOf(text, 'vigil_rate_limit_exceeded_total', { limit_type: 'route' })).toBe(1);
    expect(valueOf(text, 'vigil_rate_limit_exceeded_total', { limit_type: 'ip' })).toBe(1);
    expect(valueOf(text, 'vigil_rate_limit_exceeded_total', { limit_type: 'global' })).toBe(0);
    expect(attempts(text, 'password', 'failure')).toBe(2);
    expect(attempts(text, 'password', 'blocked')).toBe(1);
    expect(attempts(text, 'refresh', 'blocked')).toBe(1);
    expect(attempts(text, 'refresh', 'failure')).toBe(0);
    expect(valueOf(text, 'vigil_http_requests_total', { method: 'POST', route: '/api/v1/auth/login', status: '429' })).toBe(1);
    expect(valueOf(text, 'vigil_blocked_ips')).toBe(1);
    expect(valueOf(text, 'vigil_security_events_total', { type: 'RATE_LIMITED' })).toBe(2);
  });

  it('counts refresh-token and API-key attempts', async () => {
    await open({ PUBLIC_API_KEY: 'public-key-for-metrics-0123456789abcdef' });
    const tokens = await user();
    expect((await post('/api/v1/auth/refresh', { refresh_token: tokens.refresh_token })).statusCode).toBe(200);
    expect((await post('/api/v1/auth/refresh', { refresh_token: 'y'.repeat(43) })).statusCode).toBe(401);
    const introspect = (key: string) => post('/api/v1/auth/introspect', { token: tokens.access_token }, '198.51.100.1', { 'x-api-key': key });
    expect((await introspect('public-key-for-metrics-0123456789abcdef')).statusCode).toBe(200);
    expect((await introspect('vgl_not-a-key')).statusCode).toBe(401);

    const text = await scrape(t!.app);
    expect(attempts(text, 'refresh', 'success')).toBe(1);
    expect(attempts(text, 'refresh', 'failure')).toBe(1);
    expect(attempts(text, 'api_key', 'success')).toBe(1);
    expect(attempts(text, 'api_key', 'failure')).toBe(1);
    expect(valueOf(text, 'vigil_security_events_total', { type: 'API_KEY_REJECTED' })).toBe(1);
  });

  it('times database queries by operation and table', async () => {
    await open();
    await user();
    const text = await scrape(t!.app);
    expect(valueOf(text, 'vigil_db_query_duration_seconds_count', { operation: 'select', table: 'users' })).toBeGreaterThan(0);
    expect(valueOf(text, 'vigil_db_query_duration_seconds_count', { operation: 'insert', table: 'users' })).toBe(1);
    expect(valueOf(text, 'vigil_db_query_duration_seconds_count', { operation: 'insert', table: 'refresh_tokens' })).toBe(1);
    expect(valueOf(text, 'vigil_db_query_duration_seconds_count', { operation: 'update', table: 'users' })).toBeGreaterThan(0);
    // The health probe's raw `select 1`.
    expect(valueOf(text, 'vigil_db_query_duration_seconds_count', { operation: 'select', table: 'none' })).toBeGreaterThan(0);
  });
});

describe('scheduled gauges', () => {
  it('blacklist, locked accounts and active sessions change at refresh(), not at scrape time', async () => {
    const clock = manualClock(Date.now());
    await open({ JWT_ACCESS_TTL: '15m' }, clock);
    const tokens = await user();
    const gauges = async () => {
      const text = await scrape(t!.app);
      return {
        active: valueOf(text, 'vigil_token_blacklist_entries', { state: 'active' }),
        expired: valueOf(text, 'vigil_token_blacklist_entries', { state: 'expired' }),
        sessions: valueOf(text, 'vigil_active_sessions'),
        locked: valueOf(text, 'vigil_locked_accounts'),
      };
    };
    // Computed at start: nothing yet. A scrape does not query.
    expect(await gauges()).toEqual({ active: 0, expired: 0, sessions: 0, locked: 0 });
    await t!.services.gauges!.refresh();
    expect(await gauges()).toEqual({ active: 0, expired: 0, sessions: 1, locked: 0 });

    // Logout blacklists the access token and ends the session; an account is locked.
    expect((await t!.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { authorization: `Bearer ${tokens.access_token}` } })).statusCode).toBe(204);
    const other = await t!.services.auth.createUser({ email: 'locked@example.com', password: STRONG_PASSWORD, role: 'user' }, {});
    await t!.services.protection.lockout.lock(other, 'test', {});
    expect(await gauges()).toEqual({ active: 0, expired: 0, sessions: 1, locked: 0 });
    await t!.services.gauges!.refresh();
    expect(await gauges()).toEqual({ active: 1, expired: 0, sessions: 0, locked: 1 });

    // Once the access token's lifetime has passed its blacklist entry is expired (awaiting cleanup).
    clock.advance(16 * 60_000);
    await t!.services.gauges!.refresh();
    expect(await gauges()).toMatchObject({ active: 0, expired: 1 });
  });
});
