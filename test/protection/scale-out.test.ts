import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OTHER_STRONG_PASSWORD, PROTECTED_ENV, STRONG_PASSWORD } from '../support/config.js';
import { freshPostgresSchema, runPostgres } from '../support/postgres.js';
import { deleteRedisKeys, ownRedis, runRedis, TEST_REDIS_URL, uniqueRedisPrefix, type OwnRedis } from '../support/redis.js';
import { makeTestApp, type TestApp } from '../support/services.js';
import { within } from '../support/wait.js';

/**
 * Two Vigil instances on one PostgreSQL and one Redis behave as one service: limits are shared,
 * and blocks, revocations and emergency mode made on one are enforced by the other within 1 s.
 */
const ADMIN_KEY = 'admin-key-for-scale-out-tests-0123456789';
const probe = (t: TestApp, ip: string) => t.app.inject({ method: 'GET', url: '/api/v1/auth/security-info', remoteAddress: ip });

describe.skipIf(!(runRedis && runPostgres))('two instances sharing PostgreSQL and Redis', () => {
  let schema: Awaited<ReturnType<typeof freshPostgresSchema>>;
  let a: TestApp;
  let b: TestApp;
  const prefix = uniqueRedisPrefix('scale');

  beforeAll(async () => {
    schema = await freshPostgresSchema();
    const env = { ...PROTECTED_ENV, DATABASE_URL: schema.url, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix, RATE_LIMIT_IP: '6', ADMIN_API_KEY: ADMIN_KEY, RATE_LIMIT_ROUTES: 'login=1000/1m' };
    a = await makeTestApp(env);
    b = await makeTestApp(env);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await schema?.drop();
    await deleteRedisKeys(prefix);
  });

  it('a per-IP limit of N admits N in total across both instances', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 8; i++) codes.push((await probe(i % 2 === 0 ? a : b, '198.51.100.21')).statusCode);
    expect(codes).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
  });

  it('a block made on one instance is enforced by the other within 1 s', async () => {
    expect((await probe(b, '198.51.100.22')).statusCode).toBe(200);
    const res = await a.app.inject({ method: 'POST', url: '/api/v1/admin/ip-blocks', headers: { 'x-api-key': ADMIN_KEY }, payload: { target: '198.51.100.22', reason: 'scale-out test' } });
    expect(res.statusCode).toBe(201);
    await within(1000, async () => (await probe(b, '198.51.100.22')).statusCode === 403);
    await b.app.inject({ method: 'DELETE', url: '/api/v1/admin/ip-blocks/198.51.100.22', headers: { 'x-api-key': ADMIN_KEY } });
    await within(1000, async () => (await probe(a, '198.51.100.22')).statusCode === 200);
  });

  it('a revocation on one instance is enforced by the other within 1 s', async () => {
    const creds = { email: 'two@example.com', password: STRONG_PASSWORD };
    await a.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: creds, remoteAddress: '10.9.0.1' });
    const { access_token } = (await b.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: creds, remoteAddress: '10.9.0.1' })).json();
    const me = (t: TestApp) => t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${access_token}` }, remoteAddress: '10.9.0.2' });
    expect((await me(b)).statusCode).toBe(200);
    expect((await a.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { authorization: `Bearer ${access_token}` }, remoteAddress: '10.9.0.2' })).statusCode).toBe(204);
    await within(1000, async () => (await me(b)).statusCode === 401);
  });

  it('emergency mode switched on one instance holds on the other within 1 s', async () => {
    await a.app.inject({ method: 'PUT', url: '/api/v1/admin/emergency', headers: { 'x-api-key': ADMIN_KEY }, payload: { enabled: true } });
    await within(1000, async () => b.services.protection.emergency.enabled());
    await b.app.inject({ method: 'PUT', url: '/api/v1/admin/emergency', headers: { 'x-api-key': ADMIN_KEY }, payload: { enabled: false } });
    await within(1000, async () => !a.services.protection.emergency.enabled());
  });

  it('parallel wrong passwords spread over both instances still lock after the threshold', async () => {
    const creds = { email: 'race@example.com', password: STRONG_PASSWORD };
    await a.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: creds, remoteAddress: '10.9.1.1' });
    const verifiesA = countVerifies(a);
    const verifiesB = countVerifies(b);
    const attempts = Array.from({ length: 50 }, (_, i) =>
      (i % 2 === 0 ? a : b).app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { ...creds, password: OTHER_STRONG_PASSWORD }, remoteAddress: `10.9.2.${i}` }),
    );
    const results = await Promise.all(attempts);
    expect(results.every((r) => r.statusCode === 401)).toBe(true);
    expect(verifiesA() + verifiesB()).toBeLessThanOrEqual(5);
    expect((await b.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: creds, remoteAddress: '10.9.1.1' })).statusCode).toBe(401);
  });
});

function countVerifies(t: TestApp): () => number {
  let n = 0;
  const original = t.services.hasher.verify.bind(t.services.hasher);
  t.services.hasher.verify = async (hash, password) => {
    n++;
    return original(hash, password);
  };
  return () => n;
}

describe.skipIf(!runRedis)('Redis going away under a running instance', () => {
  let redis: OwnRedis;
  let t: TestApp | undefined;
  beforeAll(async () => {
    redis = await ownRedis();
    await redis.start();
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });
  afterAll(() => redis?.stop());

  it('no 5xx while Redis is down (local limits apply), shared again when it returns', async () => {
    t = await makeTestApp({ ...PROTECTED_ENV, REDIS_URL: redis.url, REDIS_KEY_PREFIX: uniqueRedisPrefix('down'), RATE_LIMIT_IP: '3' });
    expect(t.services.kv.status()).toBe('up');
    expect((await probe(t, '198.51.100.31')).statusCode).toBe(200);

    await redis.stop();
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await probe(t, '198.51.100.32')).statusCode);
    // The insurance limiter keeps the same policy in-process: 3 admitted, then 429; never a 5xx.
    expect(codes).toEqual([200, 200, 200, 429, 429]);
    // Logins, blocks and events work on local state meanwhile.
    const login = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '198.51.100.33', payload: { email: 'x@example.com', password: STRONG_PASSWORD } });
    expect(login.statusCode).toBe(401);
    await within(3000, async () => t!.services.kv.status() === 'degraded');

    await redis.start();
    await within(10_000, async () => t!.services.kv.status() === 'up');
    // Counting on Redis again: a fresh client's counter lives in Redis (visible to a second instance).
    const other = await makeTestApp({ ...PROTECTED_ENV, REDIS_URL: redis.url, REDIS_KEY_PREFIX: t.services.config.redis.keyPrefix, RATE_LIMIT_IP: '3' });
    try {
      expect((await probe(t, '198.51.100.34')).statusCode).toBe(200);
      expect((await probe(other, '198.51.100.34')).statusCode).toBe(200);
      expect((await probe(t, '198.51.100.34')).statusCode).toBe(200);
      expect((await probe(other, '198.51.100.34')).statusCode).toBe(429);
    } finally {
      await other.close();
    }
  });
});
