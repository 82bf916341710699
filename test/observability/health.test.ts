import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/shared/clock.js';
import { createMemoryKv } from '../../src/storage/kv/index.js';
import { PROTECTED_ENV, STRONG_PASSWORD } from '../support/config.js';
import { makeTestApp, type TestApp } from '../support/services.js';

const ADMIN_KEY = 'admin-key-for-health-tests-0123456789';
const PUBLIC_KEY = 'public-key-for-health-tests-0123456789';
const ENV = { ADMIN_API_KEY: ADMIN_KEY, PUBLIC_API_KEY: PUBLIC_KEY };

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const get = (url: string, headers: Record<string, string> = {}) => t!.app.inject({ method: 'GET', url, headers });
const admin = { 'x-api-key': ADMIN_KEY };

describe('GET /health (liveness)', () => {
  it('has the seed shape with Redis not configured, and metrics and error tracking among the features', async () => {
    t = await makeTestApp({ ...ENV, PROMETHEUS_METRICS: 'false' });
    const res = await get('/health');
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json()).toEqual({
      status: 'healthy',
      version: expect.any(String),
      environment: 'development',
      uptime: expect.any(Number),
      services: { database: { status: 'connected' }, redis: { status: 'not_configured' } },
      features: { rate_limiting: false, security_headers: true, request_id_tracking: true, emergency_mode: false, metrics: false, error_tracking: false },
    });
  });

  it('shows Redis from the kv adapter state: disconnected makes the status degraded', async () => {
    const kv = createMemoryKv(manualClock());
    let status: 'up' | 'degraded' = 'up';
    t = await makeTestApp(ENV, { kv: Object.assign(kv, { kind: 'redis' as const, status: () => status }) as never });
    expect((await get('/health')).json().services.redis).toEqual({ status: 'connected' });
    status = 'degraded';
    const body = (await get('/health')).json();
    expect(body.services.redis).toEqual({ status: 'disconnected' });
    expect(body.status).toBe('degraded');
  });
});

describe('GET /health/ready (readiness)', () => {
  it('200 with each check when the database answers and the schema is current', async () => {
    t = await makeTestApp(ENV);
    const res = await get('/health/ready');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      status: 'ready',
      checks: { database: { status: 'ok', latency_ms: expect.any(Number) }, migrations: { status: 'ok', latency_ms: expect.any(Number) } },
    });
  });

  it('503 not_ready problem naming the failing check: pending migrations', async () => {
    t = await makeTestApp(ENV);
    const names = await sql<{ name: string }>`select name from vigil_migrations order by name desc`.execute(t.services.database.db);
    await sql`delete from vigil_migrations where name = ${names.rows[0]!.name}`.execute(t.services.database.db);
    const res = await get('/health/ready', { 'x-request-id': 'ready-check-1' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toEqual({
      type: 'urn:vigil:problem:not_ready',
      title: 'Not ready',
      status: 503,
      code: 'not_ready',
      detail: 'Failing checks: migrations (error)',
      request_id: 'ready-check-1',
      checks: { database: { status: 'ok', latency_ms: expect.any(Number) }, migrations: { status: 'error', latency_ms: expect.any(Number) } },
    });
  });

  it('503 when Redis is configured and does not answer; the database alone is fine', async () => {
    const kv = createMemoryKv(manualClock());
    t = await makeTestApp(ENV, {
      kv: Object.assign(kv, { kind: 'redis' as const, status: () => 'degraded' as const, ping: () => Promise.reject(new Error('Redis is not connected (reconnecting)')) }) as never,
    });
    const res = await get('/health/ready');
    expect(res.statusCode).toBe(503);
    expect(res.json().detail).toBe('Failing checks: redis (error)');
    expect(res.json().checks.database.status).toBe('ok');
  });

  it('is never rate limited or blocked, and answers any Host', async () => {
    t = await makeTestApp({ ...ENV, ...PROTECTED_ENV, RATE_LIMIT_IP: '3', API_TRUSTED_HOSTS: 'api.example.com' });
    for (let i = 0; i < 10; i++) {
      const res = await t.app.inject({ method: 'GET', url: '/health/ready', remoteAddress: '203.0.113.9', headers: { host: 'elsewhere.internal' } });
      expect(res.statusCode).toBe(200);
    }
    await t.services.protection.ipBlocks.block({ target: '203.0.113.9', reason: 'test', source: 'manual', durationMs: 60_000 }, {});
    expect((await t.app.inject({ method: 'GET', url: '/health/ready', remoteAddress: '203.0.113.9' })).statusCode).toBe(200);
    // The detailed report is not a probe: a blocked address is refused (on a trusted host).
    const detailed = await t.app.inject({ method: 'GET', url: '/health/detailed', remoteAddress: '203.0.113.9', headers: { ...admin, host: 'api.example.com' } });
    expect(detailed.statusCode).toBe(403);
    expect(detailed.json().code).toBe('ip_blocked');
  });
});

describe('GET /health/detailed (admin)', () => {
  it('refuses anonymous callers (401) and public keys (403) with problem documents; unknown query parameters are a 400', async () => {
    t = await makeTestApp(ENV);
    const anonymous = await get('/health/detailed');
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(anonymous.json().code).toBe('unauthenticated');
    const publicKey = await get('/health/detailed', { 'x-api-key': PUBLIC_KEY });
    expect(publicKey.statusCode).toBe(403);
    expect(publicKey.json().code).toBe('forbidden');
    const bad = await get('/health/detailed?verbose=1', admin);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('validation_failed');
    const post = await t.app.inject({ method: 'POST', url: '/health/detailed', headers: admin });
    expect(post.statusCode).toBe(404);
    expect(post.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('reports every dependency, the pool, blacklist statistics, locks, blocks, resources and uptime', async () => {
    const clock = manualClock(Date.UTC(2026, 0, 1));
    t = await makeTestApp({ ...ENV, JWT_ACCESS_TTL: '15m' }, { clock });
    // Two revoked access tokens (logout); one expires 15 minutes later.
    for (const email of ['a@example.com', 'b@example.com']) {
      await t.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email, password: STRONG_PASSWORD } });
      const login = (await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: STRONG_PASSWORD } })).json();
      expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { authorization: `Bearer ${login.access_token}` } })).statusCode).toBe(204);
      clock.advance(10 * 60_000);
    }
    // The first token expired at 00:15, the second expires at 00:25: at 00:20 one of each.
    const user = await t.services.users.findByEmail('a@example.com');
    await t.services.protection.lockout.lock({ id: user!.id, email: 'a@example.com' }, 'test', {});
    await t.services.protection.ipBlocks.block({ target: '198.51.100.7', reason: 'test', source: 'manual', durationMs: 3_600_000 }, {});
    await t.services.resources.sample();

    const res = await get('/health/detailed', admin);
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body).toMatchObject({
      status: 'healthy',
      environment: 'development',
      checked_at: '2026-01-01T00:20:00.000Z',
      dependencies: {
        database: { status: 'ok', latency_ms: expect.any(Number) },
        migrations: { status: 'ok', latency_ms: expect.any(Number) },
        redis: { status: 'not_configured' },
      },
      database_pool: null,
      token_blacklist: { status: 'ok', total: 2, active: 1, expired: 1, expired_percent: 50, oldest_expired: '2026-01-01T00:15:00.000Z' },
      locked_accounts: { status: 'ok', count: 1 },
      blocked_ips: { status: 'ok', count: 1 },
      process: { uptime_seconds: expect.any(Number), pid: process.pid, node_version: process.version },
    });
    const r = body.resources;
    expect(r.status).toBe('ok');
    expect(r.rss_bytes).toBeGreaterThan(1024 * 1024);
    expect(r.heap_used_bytes).toBeGreaterThan(0);
    expect(r.heap_total_bytes).toBeGreaterThanOrEqual(r.heap_used_bytes);
    expect(r.cpu_percent).toBeGreaterThanOrEqual(0);
    expect(r.event_loop_lag_p99_ms).toBeGreaterThanOrEqual(0);
    expect(r.disk_free_percent === null || (r.disk_free_percent >= 0 && r.disk_free_percent <= 100)).toBe(true);
  });

  it('a section whose query fails reports its error; the rest still answers (never a 500)', async () => {
    t = await makeTestApp(ENV);
    const tokens = t.services.tokens as { blacklistStats: () => Promise<unknown> };
    tokens.blacklistStats = () => Promise.reject(new Error('connect ECONNREFUSED postgres://vigil:hunter2@db:5432/vigil'));
    const res = await get('/health/detailed', admin);
    expect(res.statusCode).toBe(200);
    expect(res.json().token_blacklist).toEqual({ status: 'error', error: 'connect ECONNREFUSED postgres://vigil:******@db:5432/vigil' });
    expect(res.body).not.toContain('hunter2');
    expect(res.json().locked_accounts.status).toBe('ok');
  });
});

describe('docs/operations.md health examples', () => {
  const ops = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
  const example = (name: string) => {
    const m = new RegExp(`<!-- example:${name} -->\\s*\`\`\`json\\n([\\s\\S]*?)\\n\`\`\``).exec(ops);
    if (!m) throw new Error(`missing example ${name}`);
    return JSON.parse(m[1]!) as Record<string, unknown>;
  };
  /** Keys, recursively, and primitive types. */
  const shape = (v: unknown): unknown =>
    v === null ? 'null' : typeof v === 'object' ? Object.fromEntries(Object.entries(v as object).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, shape(x)])) : typeof v;

  it('the readiness, not-ready and detailed examples have the real shape', async () => {
    t = await makeTestApp(ENV);
    const ready = (await get('/health/ready')).json();
    expect(shape({ ...example('ready'), checks: { ...(example('ready').checks as object), redis: undefined } })).toEqual(shape({ ...ready, checks: { ...ready.checks, redis: undefined } }));
    const detailed = (await get('/health/detailed', admin)).json();
    // Null here where the example has values: SQLite has no pool, nothing is blacklisted, ./data may not exist.
    const documented = example('detailed') as Record<string, Record<string, unknown>>;
    const comparable = {
      ...documented,
      database_pool: null,
      token_blacklist: { ...documented.token_blacklist, oldest_expired: null },
      resources: { ...documented.resources, disk_free_percent: detailed.resources.disk_free_percent },
    };
    expect(shape(comparable)).toEqual(shape(detailed));
    await sql`delete from vigil_migrations`.execute(t.services.database.db);
    const notReady = (await get('/health/ready')).json();
    expect(Object.keys(example('not-ready')).sort()).toEqual(Object.keys(notReady).sort());
  });
});
