import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../../src/security-monitoring/events.js';
import { STRONG_PASSWORD } from '../support/config.js';
import { makeTestApp, type TestApp } from '../support/services.js';

const ADMIN_KEY = 'admin-api-key-for-tests-0123456789abcdef';
const PUBLIC_KEY = 'public-api-key-for-tests-0123456789abcdef';
const URL_ = '/api/v1/admin/security-events';

// Seeded events live in 2030 (every request's own events are "now"), 3 to a millisecond.
const T0 = Date.UTC(2030, 0, 1);
const IP = '198.51.100.9';
const seeded: SecurityEvent[] = Array.from({ length: 53 }, (_, i): SecurityEvent => {
  const base = { time: T0 + Math.floor(i / 3) * 1000, ip: i % 2 === 0 ? IP : '198.51.100.10', user_id: `user-${i % 4}`, request_id: `seed-${i}` };
  if (i % 5 === 0) return { ...base, type: 'ACCOUNT_LOCKED', severity: 'high', details: { email: `u${i}@example.com`, failures: 5, until: T0 + 3_600_000 } };
  if (i % 5 === 1) return { ...base, type: 'SUSPICIOUS_ACTIVITY', severity: 'high', details: { kind: 'brute_force_ip', evidence: { failures: 11, window: '5m' }, response: 'block_ip' } };
  return { ...base, type: 'LOGIN_FAILED', severity: 'low', details: { email: `u${i}@example.com`, reason: 'wrong_password' } };
});

type View = { id: number; time: string; type: string; severity: string; ip: string | null; user_id: string | null; request_id: string | null; details: Record<string, unknown> };
type Page = { events: View[]; next_cursor: string | null };

describe('GET /api/v1/admin/security-events', () => {
  let t: TestApp;
  let userToken: string;

  const get = (query: string, headers: Record<string, string> = { 'x-api-key': ADMIN_KEY }) => t.app.inject({ method: 'GET', url: `${URL_}${query}`, headers });
  const page = async (query: string): Promise<Page> => {
    const res = await get(query);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as Page;
  };
  /** Walks every page of `query` with `limit`, following next_cursor. */
  const walk = async (query: string, limit: number, between?: (n: number) => Promise<void>): Promise<Page[]> => {
    const pages: Page[] = [];
    let cursor: string | null = null;
    do {
      const sep = query.includes('?') ? '&' : '?';
      const p = await page(`${query}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      pages.push(p);
      cursor = p.next_cursor;
      await between?.(pages.length);
    } while (cursor !== null);
    return pages;
  };
  const requestIds = (p: Page | Page[]) => (Array.isArray(p) ? p.flatMap((x) => x.events) : p.events).map((e) => e.request_id);

  beforeAll(async () => {
    t = await makeTestApp({ ADMIN_API_KEY: ADMIN_KEY, PUBLIC_API_KEY: PUBLIC_KEY });
    const creds = { email: 'ada@example.com', password: STRONG_PASSWORD };
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: creds })).statusCode).toBe(201);
    userToken = (await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: creds })).json().access_token;
    for (const e of seeded) t.services.securityEvents.store.record(e);
    await t.services.securityEvents.store.flush();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is for admins only: anonymous and bad keys 401, a user or a public key 403', async () => {
    expect((await get('', {})).statusCode).toBe(401);
    expect((await get('', { 'x-api-key': 'wrong-key' })).statusCode).toBe(401);
    expect((await get('', { authorization: 'Bearer not.a.token' })).statusCode).toBe(401);
    const user = await get('', { authorization: `Bearer ${userToken}` });
    expect(user.statusCode).toBe(403);
    expect(user.headers['content-type']).toContain('application/problem+json');
    expect((await get('', { 'x-api-key': PUBLIC_KEY })).statusCode).toBe(403);
  });

  it('lists events newest first, every field, times in ISO 8601, with the events of real requests too', async () => {
    await t.services.securityEvents.store.flush();
    const all = await page('?limit=500');
    expect(all.next_cursor).toBeNull();
    // The 2030 seeds first, then the register/login of this suite.
    expect(all.events.slice(0, 53).map((e) => e.request_id)).toEqual([...seeded].reverse().map((e) => e.request_id));
    expect(all.events.map((e) => e.type)).toEqual(expect.arrayContaining(['REGISTERED', 'LOGIN_SUCCEEDED']));
    const first = all.events[0]!;
    const last = seeded[52]!;
    expect(first).toEqual({
      id: expect.any(Number),
      time: new Date(last.time).toISOString(),
      type: last.type,
      severity: last.severity,
      ip: last.ip,
      user_id: last.user_id,
      request_id: last.request_id,
      details: last.details,
    });
    const suspicious = all.events.find((e) => e.type === 'SUSPICIOUS_ACTIVITY');
    expect(suspicious?.details).toEqual({ kind: 'brute_force_ip', evidence: { failures: 11, window: '5m' }, response: 'block_ip' });
    const login = all.events.find((e) => e.type === 'LOGIN_SUCCEEDED');
    expect(login).toMatchObject({ ip: '127.0.0.1', user_id: expect.any(String), request_id: expect.any(String), details: { email: 'ada@example.com' } });
    // Default limit: 100.
    expect((await page('')).events.length).toBe(all.events.length);
  });

  it('filters by type (one or a comma list), ip, user_id, since and until, combined', async () => {
    const expected = (f: (e: SecurityEvent) => boolean) => seeded.filter(f).map((e) => e.request_id).reverse();
    expect(requestIds(await page('?type=ACCOUNT_LOCKED'))).toEqual(expected((e) => e.type === 'ACCOUNT_LOCKED'));
    expect(requestIds(await page('?type=ACCOUNT_LOCKED,SUSPICIOUS_ACTIVITY&limit=500'))).toEqual(expected((e) => e.type !== 'LOGIN_FAILED'));
    expect(requestIds(await page('?type=%20ACCOUNT_LOCKED%20,%20ACCOUNT_LOCKED'))).toEqual(expected((e) => e.type === 'ACCOUNT_LOCKED'));
    expect(requestIds(await page(`?ip=${IP}&limit=500`))).toEqual(expected((e) => e.ip === IP));
    expect(requestIds(await page('?user_id=user-3&limit=500'))).toEqual(expected((e) => e.user_id === 'user-3'));
    const from = T0 + 4000;
    const to = T0 + 10_000;
    const inWindow = expected((e) => e.time >= from && e.time < to);
    expect(inWindow).toHaveLength(18);
    expect(requestIds(await page(`?since=${from}&until=${to}`))).toEqual(inWindow);
    expect(requestIds(await page(`?since=${new Date(from).toISOString()}&until=${encodeURIComponent('2030-01-01T02:00:10+02:00')}`))).toEqual(inWindow);
    expect(requestIds(await page(`?since=2030-01-01T00:00:04Z&until=2030-01-01T00:00:10.000Z`))).toEqual(inWindow);
    expect(requestIds(await page(`?type=LOGIN_FAILED&ip=${IP}&user_id=user-2&since=${from}`))).toEqual(
      expected((e) => e.type === 'LOGIN_FAILED' && e.ip === IP && e.user_id === 'user-2' && e.time >= from),
    );
    expect((await page('?ip=203.0.113.250')).events).toEqual([]);
    expect((await page('?type=EMERGENCY_MODE_CHANGED')).next_cursor).toBeNull();
  });

  it('pages through every event once, none missing, with next_cursor null on the last page', async () => {
    const pages = await walk(`?ip=${IP}`, 4);
    const ids = requestIds(pages);
    const expected = seeded.filter((e) => e.ip === IP).map((e) => e.request_id).reverse();
    expect(ids).toEqual(expected);
    expect(pages).toHaveLength(Math.ceil(expected.length / 4));
    expect(pages.slice(0, -1).every((p) => p.events.length === 4 && typeof p.next_cursor === 'string')).toBe(true);
    expect(pages.at(-1)!.next_cursor).toBeNull();

    // An exact multiple of the page size: the last full page already says there is no more.
    const locked = await walk('?type=ACCOUNT_LOCKED', 11);
    expect(locked.map((p) => p.events.length)).toEqual([11]);
  });

  it('events stored while paging neither shift nor repeat a page', async () => {
    const filter = '?type=LOGIN_FAILED,ACCOUNT_LOCKED&until=' + (T0 + 3_600_000);
    const pages = await walk(filter, 5, async (n) => {
      // Newer events arrive between pages; they sort before every cursor, so no page moves.
      t.services.securityEvents.store.record({ type: 'LOGIN_FAILED', time: T0 + 60_000 + n, severity: 'low', ip: IP, request_id: `late-${n}`, details: { email: 'x@example.com', reason: 'unknown_email' } });
      await t.services.securityEvents.store.flush();
    });
    const ids = requestIds(pages);
    expect(new Set(ids).size).toBe(ids.length);
    const original = seeded.filter((e) => e.type !== 'SUSPICIOUS_ACTIVITY').map((e) => e.request_id).reverse();
    expect(ids.filter((id) => id?.startsWith('seed-'))).toEqual(original);
  });

  it('answers 400 problem+json for an unknown type, a bad cursor, a bad date or limit, an unknown parameter', async () => {
    const cases: [string, string][] = [
      ['?type=NOPE', '/type'],
      ['?type=LOGIN_FAILED,NOPE', '/type'],
      ['?type=login_failed', '/type'],
      ['?type=,', '/type'],
      ['?cursor=garbage!', '/cursor'],
      ['?cursor=Z2FyYmFnZQ', '/cursor'], // base64url of "garbage"
      [`?cursor=${Buffer.from('v1.123.-4').toString('base64url')}`, '/cursor'],
      ['?since=yesterday', '/since'],
      ['?since=2030-02-30T00:00:00Z', '/since'],
      ['?since=2030-01-01T24:00:00Z', '/since'],
      ['?until=2030-01-01', '/until'],
      ['?until=2030-01-01T00:00:00', '/until'],
      ['?until=-5', '/until'],
      ['?limit=0', '/limit'],
      ['?limit=501', '/limit'],
      ['?limit=ten', '/limit'],
      ['?types=LOGIN_FAILED', '/types'],
    ];
    for (const [query, pointer] of cases) {
      const res = await get(query);
      expect(res.statusCode, query).toBe(400);
      expect(res.headers['content-type'], query).toContain('application/problem+json');
      const body = res.json();
      expect(body.code, query).toBe('validation_failed');
      expect(body.errors.map((e: { pointer: string }) => e.pointer), query).toContain(pointer);
    }
    // A cursor stays valid: reading a page again gives the same page.
    const first = await page('?limit=2');
    expect(first.next_cursor).not.toBeNull();
    const second = await page(`?limit=2&cursor=${first.next_cursor}`);
    expect(await page(`?limit=2&cursor=${first.next_cursor}`)).toEqual(second);
    expect(second.events).toHaveLength(2);
  });

  it('is described in the OpenAPI document, with its filters and admin security', async () => {
    const spec = t.app.swagger() as { paths: Record<string, { get?: { parameters?: { name: string }[]; security?: unknown[] } }> };
    const op = spec.paths[URL_]?.get;
    expect(op?.parameters?.map((p) => p.name).sort()).toEqual(['cursor', 'ip', 'limit', 'since', 'type', 'until', 'user_id']);
    expect(op?.security).toEqual([{ bearerAuth: [] }, { apiKey: [] }]);
  });
});
