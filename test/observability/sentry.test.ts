import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFatalErrorHandler } from '../../src/observability/process-errors.js';
import { scrubDeep, scrubText } from '../../src/observability/scrub.js';
import { createErrorTracker } from '../../src/observability/sentry.js';
import { STRONG_PASSWORD, testConfig } from '../support/config.js';
import { makeTestApp, type TestApp } from '../support/services.js';
import { eventually, sleep } from '../support/wait.js';

/** A stand-in for Sentry's ingestion: keeps every envelope POSTed to /api/1/envelope/. */
function fakeSentry() {
  const envelopes: { path: string; text: string }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const text = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
      envelopes.push({ path: req.url ?? '', text });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  return {
    envelopes,
    /** The event items (type "event") of every envelope received. */
    events: () =>
      envelopes.flatMap(({ text }) => {
        const lines = text.split('\n').filter(Boolean);
        const out: Record<string, any>[] = [];
        for (let i = 1; i + 1 < lines.length; i += 2) {
          const header = JSON.parse(lines[i]!) as { type: string };
          if (header.type === 'event') out.push(JSON.parse(lines[i + 1]!) as Record<string, any>);
        }
        return out;
      }),
    async start() {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://public@127.0.0.1:${(server.address() as AddressInfo).port}/1`;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const EMAIL = 'alice.smith@example.com';
const ADMIN_KEY = 'admin-key-for-sentry-tests-0123456789';

describe('error tracking (Sentry) on a local ingestion server', () => {
  const sentry = fakeSentry();
  let dsn: string;
  let t: TestApp | undefined;

  beforeAll(async () => {
    dsn = await sentry.start();
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
    sentry.envelopes.length = 0;
  });
  afterAll(async () => {
    await sentry.stop();
  });

  it('an internal error sends exactly one event, tagged with the request id, without password, token or email', async () => {
    t = await makeTestApp({ SENTRY_DSN: dsn, ADMIN_API_KEY: ADMIN_KEY });
    expect(t.services.errorTracking.enabled).toBe(true);
    expect((await t.app.inject({ method: 'GET', url: '/health' })).json().features.error_tracking).toBe(true);

    const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
    const auth = t.services.auth as { login: (...args: unknown[]) => Promise<unknown> };
    auth.login = async () => {
      const e = new Error(`storage failed for ${EMAIL} with password=${STRONG_PASSWORD} and Bearer ${token}`);
      Object.assign(e, { password: STRONG_PASSWORD, email: EMAIL });
      throw e;
    };
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'x-request-id': 'sentry-test-request-1', authorization: `Bearer ${token}`, cookie: 'session=abc123secret' },
      payload: { email: EMAIL, password: STRONG_PASSWORD },
    });
    expect(res.statusCode).toBe(500);
    expect(res.json().code).toBe('internal_error');
    // A 4xx is not reported.
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/me' })).statusCode).toBe(401);

    await eventually(() => expect(sentry.events()).toHaveLength(1), 3000);
    await sleep(200);
    expect(sentry.events()).toHaveLength(1);
    expect(new URL(sentry.envelopes[0]!.path, 'http://x').pathname).toBe('/api/1/envelope/');
    const event = sentry.events()[0]!;
    expect(event.tags).toMatchObject({ request_id: 'sentry-test-request-1', method: 'POST', route: '/api/v1/auth/login' });
    expect(event.environment).toBe('development');
    expect(event.release).toMatch(/^vigil@\d+\.\d+\.\d+/);
    expect(event.exception.values[0].type).toBe('Error');
    expect(event.exception.values[0].stacktrace.frames.length).toBeGreaterThan(0);
    expect(event.request).toBeUndefined();
    expect(event.user).toBeUndefined();
    const text = sentry.envelopes.map((e) => e.text).join('\n');
    for (const secret of [STRONG_PASSWORD, EMAIL, token, 'abc123secret', 'eyJ']) expect(text).not.toContain(secret);
    expect(event.exception.values[0].value).toBe('storage failed for [email] with password=[REDACTED] and Bearer [REDACTED]');
  });

  it('a readiness 503 is not reported; SENTRY_DSN is redacted in the admin config', async () => {
    t = await makeTestApp({ SENTRY_DSN: dsn, ADMIN_API_KEY: ADMIN_KEY });
    const kv = t.services.kv as { kind: string; ping: () => Promise<void> };
    Object.assign(kv, { kind: 'redis', ping: () => Promise.reject(new Error('down')) });
    expect((await t.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(503);
    const config = await t.app.inject({ method: 'GET', url: '/api/v1/admin/config', headers: { 'x-api-key': ADMIN_KEY } });
    expect(config.json().sentry).toEqual({ dsn: '[REDACTED]', tracesSampleRate: 0.1 });
    expect(config.body).not.toContain(dsn);
    await t.services.errorTracking.close();
    expect(sentry.events()).toHaveLength(0);
  });

  it('is off without SENTRY_DSN and with DEBUG=true', async () => {
    const logger = pino({ level: 'silent' });
    expect((await createErrorTracker(testConfig({}), logger)).enabled).toBe(false);
    expect((await createErrorTracker(testConfig({ SENTRY_DSN: dsn, DEBUG: 'true' }), logger)).enabled).toBe(false);
  });

  it('an unhandled rejection is logged with its stack, reported and flushed before the process exits 1', async () => {
    const tracker = await createErrorTracker(testConfig({ SENTRY_DSN: dsn }), pino({ level: 'silent' }));
    const lines: Record<string, any>[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, any>) });
    const exits: number[] = [];
    const handle = createFatalErrorHandler({ logger, errorTracking: tracker, exit: (code) => exits.push(code) });
    await handle(new RangeError(`lost the token for ${EMAIL}`), 'unhandledRejection');
    expect(exits).toEqual([1]);
    expect(lines[0]).toMatchObject({ level: 60, msg: 'unhandled promise rejection', source: 'unhandledRejection', err: { type: 'RangeError' } });
    expect(lines[0]!.err.stack).toContain('sentry.test.ts');
    // close() has waited for the event to be sent.
    const events = sentry.events();
    expect(events).toHaveLength(1);
    expect(events[0]!.tags).toMatchObject({ source: 'unhandledRejection' });
    expect(JSON.stringify(events[0])).not.toContain(EMAIL);
  });

  it('the scrubber replaces secret-named fields and secrets inside strings, at any depth', () => {
    expect(scrubDeep({ a: { password: 'p', api_key: 'k', Authorization: 'Bearer x', email: 'e@x.io', count: 3 }, list: ['token=abc', 'vgl_abcdefghijkl'] })).toEqual({
      a: { password: '[REDACTED]', api_key: '[REDACTED]', Authorization: '[REDACTED]', email: '[REDACTED]', count: 3 },
      list: ['token=[REDACTED]', '[REDACTED]'],
    });
    expect(scrubText('postgres://vigil:hunter2@db/vigil')).toBe('postgres://vigil:[REDACTED]@db/vigil');
  });
});
