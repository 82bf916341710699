import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { manualClock } from '../../src/shared/clock.js';
import { PROTECTED_ENV } from '../support/config.js';
import { scrape } from '../support/metrics.js';
import { makeTestApp, type TestApp } from '../support/services.js';
import { eventually, sleep } from '../support/wait.js';
import { accessToken, listen, messagesOf, openStream, type Frame, type StreamClient } from './stream-client.js';

const ADMIN_KEY = 'admin-key-for-stream-tests-0123456789';
const PUBLIC_KEY = 'public-key-for-stream-tests-0123456789';
// A different address each time: repeated failures from one address get it blocked (no more LOGIN_FAILED).
const failLogin = (t: TestApp, i: number, ip = `198.18.0.${i + 1}`) =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: ip, payload: { email: `nobody-${i}@example.com`, password: 'wrong-password-123' } });
const isEvent = (f: Frame) => f.type === 'message' && f.kind === 'security_event';

describe('admin live stream (in memory)', () => {
  let t: TestApp;
  let base: string;
  let admin: string;
  const clients: StreamClient[] = [];
  const open = async (headers?: Record<string, string>) => {
    const c = await openStream(base, headers);
    clients.push(c);
    return c;
  };
  const ready = async (auth: Record<string, unknown> = { token: admin }) => {
    const c = await open();
    c.auth(auth);
    await c.next((f) => f.type === 'ready');
    return c;
  };

  beforeAll(async () => {
    t = await makeTestApp({ ADMIN_API_KEY: ADMIN_KEY, PUBLIC_API_KEY: PUBLIC_KEY, API_CORS_ORIGINS: 'https://console.example.com' });
    base = await listen(t.app);
    admin = await accessToken(t.services, 'admin');
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await t.close();
  });

  it('a plain GET is an admin route answering problem+json: 401 anonymous, 403 a user, 426 an admin', async () => {
    const get = (headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url: '/api/v1/admin/stream', headers });
    const anonymous = await get();
    expect([anonymous.statusCode, anonymous.headers['content-type'], anonymous.json().code]).toEqual([401, 'application/problem+json; charset=utf-8', 'unauthenticated']);
    const user = await get({ authorization: `Bearer ${await accessToken(t.services, 'user')}` });
    expect([user.statusCode, user.json().code]).toEqual([403, 'forbidden']);
    expect((await get({ 'x-api-key': PUBLIC_KEY })).statusCode).toBe(403);
    const asAdmin = await get({ authorization: `Bearer ${admin}` });
    expect([asAdmin.statusCode, asAdmin.json().code]).toEqual([426, 'upgrade_required']);
    const spec = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(spec.paths['/api/v1/admin/stream'].get.security).toEqual([{ bearerAuth: [] }, { apiKey: [] }]);
  });

  it('refuses bad credentials with 4401 and non-admins with 4403, sending nothing before', async () => {
    const cases: [Record<string, unknown> | string, number][] = [
      ['not json', 4401],
      [{ token: null }, 4401],
      [{ token: 'not-a-jwt' }, 4401],
      [{ token: `${admin}x` }, 4401],
      [{ api_key: 'vk_unknown_key_0123456789' }, 4401],
      [{ token: await accessToken(t.services, 'user') }, 4403],
      [{ api_key: PUBLIC_KEY }, 4403],
    ];
    for (const [auth, code] of cases) {
      const c = await open();
      if (typeof auth === 'string') c.ws.send(auth);
      else c.auth(auth);
      await failLogin(t, 0);
      expect((await c.closed).code, JSON.stringify(auth)).toBe(code);
      expect(c.frames).toEqual([]);
    }
  });

  it('sends nothing before the auth message and closes 4401 after 5 s without one', async () => {
    const c = await open();
    await failLogin(t, 1);
    const started = Date.now();
    const { code } = await c.closed;
    expect(code).toBe(4401);
    expect(Date.now() - started).toBeGreaterThan(4000);
    expect(c.frames).toEqual([]);
  }, 10_000);

  it('an admin token or an admin API key gets ready, then every security event live with the events API shape', async () => {
    const byToken = await ready();
    const byKey = await ready({ api_key: ADMIN_KEY, cursor: null });
    expect(byToken.frames[0]).toEqual({ type: 'ready', cursor: expect.any(String) });
    await failLogin(t, 2, '198.51.100.9');
    for (const c of [byToken, byKey]) {
      const m = await c.next((f) => isEvent(f) && f.data?.ip === '198.51.100.9');
      expect(m).toEqual({
        type: 'message', cursor: expect.any(String), kind: 'security_event', at: expect.any(String),
        data: { type: 'LOGIN_FAILED', severity: 'low', time: expect.any(String), ip: '198.51.100.9', user_id: null, request_id: expect.any(String), details: { email: 'nobody-2@example.com', reason: 'unknown_email' } },
      });
    }
  });

  it('resumes after a disconnect with its cursor: what was missed, in order, once, then live', async () => {
    const first = await ready();
    await failLogin(t, 10);
    const seen = await first.next((f) => isEvent(f) && (f.data?.details as { email?: string })?.email === 'nobody-10@example.com');
    await first.close();
    for (let i = 11; i < 16; i++) await failLogin(t, i);
    const again = await ready({ token: admin, cursor: seen.cursor });
    const emails = () => messagesOf(again, 'security_event').map((f) => (f.data!.details as { email: string }).email);
    await eventually(() => expect(emails()).toEqual(['nobody-11@example.com', 'nobody-12@example.com', 'nobody-13@example.com', 'nobody-14@example.com', 'nobody-15@example.com']));
    await failLogin(t, 16);
    await eventually(() => expect(emails().at(-1)).toBe('nobody-16@example.com'));
    const cursors = messagesOf(again).map((f) => f.cursor);
    expect(new Set(cursors).size).toBe(cursors.length);
    expect(again.frames.filter((f) => f.type === 'reset')).toEqual([]);
  });

  it('an unknown cursor gets ready then reset, then live messages', async () => {
    const c = await ready({ token: admin, cursor: 'not-a-cursor-of-this-instance' });
    await c.next((f) => f.type === 'reset');
    expect(c.frames.map((f) => f.type)).toEqual(['ready', 'reset']);
    await failLogin(t, 20);
    await c.next(isEvent);
  });

  it('closes with 4401 when the access token expires', async () => {
    const c = await ready({ token: await accessToken(t.services, 'admin', 1500) });
    const { code, reason } = await c.closed;
    expect([code, reason]).toEqual([4401, 'access token expired']);
  });

  it('refuses a cross-site Origin; the own origin and API_CORS_ORIGINS are accepted', async () => {
    await expect(openStream(base, { origin: 'https://evil.example.net' })).rejects.toThrow(/403/);
    const own = await open({ origin: base.replace(/^ws/, 'http') });
    const listed = await open({ origin: 'https://console.example.com' });
    for (const c of [own, listed]) {
      c.auth({ token: admin });
      await c.next((f) => f.type === 'ready');
    }
  });

  it('counts connected clients and messages sent in /metrics', async () => {
    for (const c of clients) await c.close();
    const c = await ready();
    await failLogin(t, 30);
    await c.next((f) => isEvent(f) && (f.data?.details as { email?: string })?.email === 'nobody-30@example.com');
    const text = await scrape(t.app);
    expect(text).toMatch(/^vigil_admin_stream_clients 1$/m);
    expect(Number(/^vigil_admin_stream_messages_sent_total\{kind="security_event"\} (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
    await c.close();
    await eventually(async () => expect(await scrape(t.app)).toMatch(/^vigil_admin_stream_clients 0$/m));
  });
});

describe('admin live stream: alerts, incidents, shutdown', () => {
  it('an alert firing and its incident through open, acknowledge, note, resolve and close reach the console', async () => {
    const clock = manualClock(Date.now());
    const t = await makeTestApp({ ...PROTECTED_ENV, RATE_LIMIT_ENABLED: 'false', ADMIN_API_KEY: ADMIN_KEY, ALERT_GROUP_WAIT: '0' }, { clock });
    try {
      const c = await openStream(await listen(t.app));
      c.auth({ api_key: ADMIN_KEY });
      await c.next((f) => f.type === 'ready');
      for (let i = 0; i < 60; i++) await failLogin(t, i, '203.0.113.66');
      clock.advance(15_000);
      await t.services.alerting!.tick();
      const alert = await c.next((f) => f.kind === 'alert' && f.data?.name === 'BruteForceAttackDetected');
      expect(alert.data).toMatchObject({ state: 'firing', severity: 'critical', fingerprint: expect.any(String), labels: { ip: '203.0.113.66' }, summary: 'Brute-force attack from 203.0.113.66', instance: t.services.maintenance.instanceId });
      const opened = await c.next((f) => f.kind === 'incident');
      const id = opened.data!.id as string;
      expect(opened.data).toEqual({ id, title: 'Brute-force attack from 203.0.113.66', severity: 'P1', status: 'open', change: 'opened' });
      const incidents = t.services.incidents!;
      expect(await incidents.escalate(clock.now() + 3_600_000)).toEqual([id]);
      await incidents.recordAction('IP 203.0.113.66 blocked');
      await incidents.acknowledge(id, 'ops');
      await incidents.note(id, 'ops', 'looking');
      await incidents.resolve(id, 'ops');
      await incidents.close(id, 'ops');
      await eventually(() => expect(messagesOf(c, 'incident').map((f) => [f.data!.change, f.data!.status])).toEqual([
        ['opened', 'open'], ['escalated', 'open'], ['action', 'open'], ['acknowledged', 'acknowledged'], ['note', 'acknowledged'], ['resolved', 'resolved'], ['closed', 'closed'],
      ]));
      await c.close();
    } finally {
      await t.close();
    }
  });

  it('closing the server closes every console connection with 1001', async () => {
    const t = await makeTestApp({ ADMIN_API_KEY: ADMIN_KEY });
    const base = await listen(t.app);
    const c = await openStream(base);
    c.auth({ api_key: ADMIN_KEY });
    await c.next((f) => f.type === 'ready');
    const unauthenticated = await openStream(base);
    await t.close();
    expect((await c.closed).code).toBe(1001);
    expect((await unauthenticated.closed).code).toBe(1001);
    expect(c.ws.readyState).toBe(WebSocket.CLOSED);
    await sleep(0);
  });
});
