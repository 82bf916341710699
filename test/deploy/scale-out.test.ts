import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOB_NAMES } from '../../src/config/schema.js';
import { openDatabase } from '../../src/storage/index.js';
import { STRONG_PASSWORD } from '../support/config.js';
import { runNginx, nginxPrefix, scaleOutConf, startNginx, type Nginx } from '../support/nginx.js';
import { freshPostgresSchema, runPostgres } from '../support/postgres.js';
import { deleteRedisKeys, freePort, runRedis, TEST_REDIS_URL, uniqueRedisPrefix } from '../support/redis.js';
import { startVigilProcess, type VigilProcess } from '../support/vigil-process.js';
import { sleep, within } from '../support/wait.js';

/**
 * The scale-out story, proven with real processes: three Vigil instances (`node src/main.ts`) on
 * one PostgreSQL schema and one Redis key prefix, behind nginx running deploy/nginx's proxy
 * snippet, behave as one service. nginx takes the X-Forwarded-For this test sends as the client
 * address (set_real_ip_from 127.0.0.1), as it takes a real client's socket address, and passes
 * it on; the instances trust it (TRUST_PROXY=loopback).
 */
const ADMIN_KEY = `admin-${randomBytes(16).toString('hex')}`;
const LIMIT = 5;
/** Addresses exempt from the per-address limit (IP_ALLOWLIST): setup calls and the load. */
const OPS = '10.200.0.1';

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function call(base: string, path: string, opts: { method?: string; ip?: string; token?: string; body?: unknown; adminKey?: boolean } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (opts.ip) headers['x-forwarded-for'] = opts.ip;
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.adminKey) headers['x-api-key'] = ADMIN_KEY;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method: opts.method ?? 'GET', headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await res.text();
  return { status: res.status, body: text && res.headers.get('content-type')?.includes('json') ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Requests an instance answered on `route` so far, from its own /metrics. */
async function answered(node: VigilProcess, route: string): Promise<number> {
  const res = await fetch(`${node.url}/metrics`, { headers: { 'x-forwarded-for': OPS } });
  if (res.status !== 200) throw new Error(`GET ${node.url}/metrics: ${res.status}`);
  const text = await res.text();
  let n = 0;
  for (const line of text.split('\n')) if (line.startsWith('vigil_http_requests_total{') && line.includes(`route="${route}"`)) n += Number(line.split(' ').at(-1));
  return n;
}

/** GET /me through nginx from `concurrency` loops until stopped: every status and network error. */
function load(base: string, token: string, concurrency = 6) {
  let running = true;
  const statuses: Record<number, number> = {};
  const errors: string[] = [];
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      try {
        const res = await fetch(`${base}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': OPS } });
        await res.arrayBuffer();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      } catch (e) {
        errors.push(String((e as Error).cause ?? e));
      }
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return { statuses, errors, total: Object.values(statuses).reduce((a, b) => a + b, 0) };
    },
  };
}

describe.skipIf(!(runPostgres && runRedis && runNginx))('three Vigil processes behind nginx, one PostgreSQL, one Redis', () => {
  let schema: Awaited<ReturnType<typeof freshPostgresSchema>> | undefined;
  const prefix = uniqueRedisPrefix('nginx-scale');
  const nodes: VigilProcess[] = [];
  let nginx: Nginx;
  let base: string;

  beforeAll(async () => {
    schema = await freshPostgresSchema();
    const env = {
      API_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      // The start-up line carries the port; the jobs logger says when a run starts.
      LOG_LEVELS: 'vigil=info,jobs=info',
      DATABASE_URL: schema.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      TRUST_PROXY: 'loopback',
      // Every instance must decrypt the signing keys the first one creates.
      SIGNING_KEY_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      ADMIN_API_KEY: ADMIN_KEY,
      RATE_LIMIT_IP: String(LIMIT),
      RATE_LIMIT_GLOBAL: '100000000',
      RATE_LIMIT_USER: '10000000',
      RATE_LIMIT_ROUTES: 'login=1000/1m,register=1000/1h',
      IP_ALLOWLIST: '10.200.0.0/16',
      // A login takes a while, so some are surely in flight when SIGTERM lands.
      PASSWORD_HASH_ITERATIONS: '6',
      // Every job off but cleanup-tokens, scheduled by all three every 2 s.
      ...Object.fromEntries(JOB_NAMES.map((n) => [`JOB_${n.toUpperCase().replace(/-/g, '_')}_CRON`, 'off'])),
      JOB_CLEANUP_TOKENS_CRON: '*/2 * * * * *',
      CLEANUP_BATCH_PAUSE: '0',
    };
    const ports = [await freePort(), await freePort(), await freePort()];
    // The first applies the migrations and creates the signing key; the others find them.
    nodes.push(await startVigilProcess({ ...env, API_PORT: String(ports[0]) }));
    // The third hashes the passwords of accounts registered through it slowly (a verify takes the
    // cost stored in the hash), so its in-flight logins are surely still running when SIGTERM lands.
    nodes.push(...(await Promise.all(ports.slice(1).map((p, i) => startVigilProcess({ ...env, API_PORT: String(p), ...(i === 1 ? { PASSWORD_HASH_ITERATIONS: '32' } : {}) })))));
    const port = await freePort();
    nginx = await startNginx(nginxPrefix(scaleOutConf(ports, port)), port);
    base = nginx.url;
  }, 90_000);

  afterAll(async () => {
    for (const n of nodes) n.child.kill('SIGKILL');
    await nginx?.stop();
    await schema?.drop();
    await deleteRedisKeys(prefix);
  });

  const register = async (email: string) => expect((await call(base, '/api/v1/auth/register', { method: 'POST', ip: OPS, body: { email, password: STRONG_PASSWORD } })).status).toBe(201);
  const login = (at: string, email: string, ip = OPS, password = STRONG_PASSWORD) => call(at, '/api/v1/auth/login', { method: 'POST', ip, body: { email, password } });

  it(`a per-IP limit of ${LIMIT} admits exactly ${LIMIT} across the three (by the X-Forwarded-For nginx passes)`, async () => {
    const route = '/api/v1/auth/security-info';
    const before = await Promise.all(nodes.map((n) => answered(n, route)));
    const codes: number[] = [];
    for (let i = 0; i < 3 * LIMIT; i++) codes.push((await call(base, route, { ip: '198.51.100.7' })).status);
    expect(codes).toEqual([...Array<number>(LIMIT).fill(200), ...Array<number>(2 * LIMIT).fill(429)]);
    // nginx spread them: every instance answered some, so no single instance counted them all.
    const after = await Promise.all(nodes.map((n) => answered(n, route)));
    const deltas = after.map((a, i) => a - before[i]!);
    expect(deltas.every((d) => d > 0 && d < 3 * LIMIT), `answered per instance: ${deltas.join(", ")}`).toBe(true);
    // Another address has its own budget.
    expect((await call(base, route, { ip: '198.51.100.8' })).status).toBe(200);
  });

  it('a token revoked through one instance is rejected by the other two within 1 s', async () => {
    await register('revoke@example.com');
    const token = (await login(base, 'revoke@example.com')).body.access_token as string;
    for (const n of nodes) expect((await call(n.url, '/api/v1/auth/me', { token, ip: OPS })).status).toBe(200);
    expect((await call(nodes[0]!.url, '/api/v1/auth/logout', { method: 'POST', token, ip: OPS })).status).toBe(204);
    await Promise.all(nodes.slice(1).map((n) => within(1000, async () => (await call(n.url, '/api/v1/auth/me', { token, ip: OPS })).status === 401)));
    expect((await call(base, '/api/v1/auth/me', { token, ip: OPS })).status).toBe(401);
  });

  it('an IP blocked on one instance is blocked on all within 1 s', async () => {
    const target = '198.51.100.9';
    expect((await call(base, '/api/v1/auth/security-info', { ip: target })).status).toBe(200);
    expect((await call(nodes[1]!.url, '/api/v1/admin/ip-blocks', { method: 'POST', adminKey: true, ip: OPS, body: { target, reason: 'scale-out test' } })).status).toBe(201);
    await Promise.all([nodes[0]!, nodes[2]!].map((n) => within(1000, async () => (await call(n.url, '/api/v1/auth/security-info', { ip: target })).status === 403)));
    for (let i = 0; i < 3; i++) expect((await call(base, '/api/v1/auth/security-info', { ip: target })).status).toBe(403);
    expect((await call(nodes[2]!.url, `/api/v1/admin/ip-blocks/${target}`, { method: 'DELETE', adminKey: true, ip: OPS })).status).toBeLessThan(300);
    await within(1000, async () => (await call(nodes[0]!.url, '/api/v1/auth/security-info', { ip: target })).status === 200);
  });

  it('an account lockout counts the failures made on all three (no instance saw the threshold)', async () => {
    await register('lock@example.com');
    // Five wrong passwords (ACCOUNT_LOCKOUT_THRESHOLD), two, two and one per instance, each from another address.
    const spread = [0, 1, 2, 0, 1];
    for (const [i, n] of spread.entries()) expect((await login(nodes[n]!.url, 'lock@example.com', `203.0.113.${i + 1}`, `${STRONG_PASSWORD}-wrong`)).status).toBe(401);
    // The right password is refused now, on the instance that saw one failure and on the others.
    for (const n of [2, 0, 1]) expect((await login(nodes[n]!.url, 'lock@example.com', '203.0.113.50')).status).toBe(401);
    expect((await login(base, 'lock@example.com', OPS)).status).toBe(401);
  });

  it('a job all three schedule every 2 s runs exactly once per tick, recorded once', async () => {
    const database = openDatabase({ kind: 'postgres', url: schema!.url, poolMax: 1, ssl: false, autoMigrate: false, allowSqliteInProduction: false });
    try {
      await sleep(7000);
      // Read between two ticks (they fall on even seconds), so no run is half recorded.
      await sleep(3000 - (Date.now() % 2000));
      const rows = (await sql<{ tick: string | number; status: string }>`select tick, status from job_runs where job = 'cleanup-tokens' order by tick`.execute(database.db)).rows;
      const ticks = rows.map((r) => Number(r.tick));
      expect(ticks.length).toBeGreaterThanOrEqual(3);
      expect(new Set(ticks).size).toBe(ticks.length);
      for (let i = 1; i < ticks.length; i++) expect(ticks[i]! - ticks[i - 1]!).toBe(2000);
      expect(rows.every((r) => r.status === 'succeeded')).toBe(true);
      // Each recorded run ran the job body on one instance only.
      const started = nodes.reduce((n, node) => n + (node.output().match(/"msg":"job cleanup-tokens started"/g) ?? []).length, 0);
      expect(started).toBe(rows.length);
    } finally {
      await database.close();
    }
  }, 30_000);

  it('SIGTERM to one instance under load: no request fails, in-flight logins finish, the others carry on', async () => {
    await register('load@example.com');
    const token = (await login(base, 'load@example.com')).body.access_token as string;
    const traffic = load(base, token);
    await sleep(1000);
    const victim = nodes[2]!;
    expect((await call(victim.url, '/api/v1/auth/register', { method: 'POST', ip: OPS, body: { email: 'slow@example.com', password: STRONG_PASSWORD } })).status).toBe(201);
    const inflight = Array.from({ length: 4 }, () => login(victim.url, 'slow@example.com').then((r) => r.status));
    const viaNginx = Array.from({ length: 6 }, () => login(base, 'load@example.com').then((r) => r.status));
    // Connected and hashing (a verify at this cost takes longer than this).
    await sleep(250);
    victim.child.kill('SIGTERM');
    expect(await Promise.all(inflight)).toEqual([200, 200, 200, 200]);
    expect(await Promise.all(viaNginx)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(await victim.exited, victim.output().slice(-2000)).toBe(0);
    await sleep(1500);
    const { statuses, errors, total } = await traffic.stop();
    expect(errors).toEqual([]);
    expect(statuses).toEqual({ 200: total });
    expect(total).toBeGreaterThan(100);
  }, 40_000);

  it('SIGKILL of one instance: nothing it committed is lost, no idempotent request fails, the last one carries on', async () => {
    const survivor = nodes[0]!;
    const victim = nodes[1]!;
    // Data written through the victim just before it dies: an account, a session, a block.
    expect((await call(victim.url, '/api/v1/auth/register', { method: 'POST', ip: OPS, body: { email: 'kept@example.com', password: STRONG_PASSWORD } })).status).toBe(201);
    const session = (await login(victim.url, 'kept@example.com')).body;
    expect((await call(victim.url, '/api/v1/admin/ip-blocks', { method: 'POST', adminKey: true, ip: OPS, body: { target: '198.51.100.66', reason: 'before SIGKILL' } })).status).toBe(201);

    const token = (await login(base, 'load@example.com')).body.access_token as string;
    const traffic = load(base, token);
    await sleep(1000);
    victim.child.kill('SIGKILL');
    await victim.exited;
    await sleep(1500);
    const { statuses, errors, total } = await traffic.stop();
    expect(errors).toEqual([]);
    expect(statuses).toEqual({ 200: total });

    expect((await call(survivor.url, '/api/v1/auth/me', { token: session.access_token as string, ip: OPS })).status).toBe(200);
    const refreshed = await call(base, '/api/v1/auth/refresh', { method: 'POST', ip: OPS, body: { refresh_token: session.refresh_token } });
    expect(refreshed.status).toBe(200);
    expect((await login(base, 'kept@example.com')).status).toBe(200);
    expect((await call(base, '/api/v1/auth/security-info', { ip: '198.51.100.66' })).status).toBe(403);
    expect((await call(base, '/health/ready')).status).toBe(200);
  }, 40_000);
});
