import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRONG_PASSWORD } from '../support/config.js';
import { freshPostgresSchema, runPostgres } from '../support/postgres.js';
import { deleteRedisKeys, ownRedis, runRedis, TEST_REDIS_URL, uniqueRedisPrefix, type OwnRedis } from '../support/redis.js';
import { makeTestApp, type TestApp } from '../support/services.js';
import { sleep, within } from '../support/wait.js';

/**
 * Two Vigil instances sharing one PostgreSQL schema and one Redis, as a scaled-out deployment
 * runs: a revocation made on one is enforced by the other within a second, without a restart
 * (pub/sub, not the database: instance B only reads the blacklist at start).
 */

describe.skipIf(!runPostgres || !runRedis)('revocations across instances (PostgreSQL + Redis)', () => {
  let schema: Awaited<ReturnType<typeof freshPostgresSchema>>;
  let a: TestApp;
  let b: TestApp;
  const keyPrefix = uniqueRedisPrefix('revocation-sync');

  const post = (t: TestApp, url: string, payload?: object, token?: string) =>
    t.app.inject({ method: 'POST', url, ...(payload ? { payload } : {}), headers: token ? { authorization: `Bearer ${token}` } : {} });
  const me = (t: TestApp, token: string) => t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } });
  const login = async (t: TestApp, email: string) => {
    const res = await post(t, '/api/v1/auth/login', { email, password: STRONG_PASSWORD });
    expect(res.statusCode).toBe(200);
    return res.json() as { access_token: string; refresh_token: string };
  };

  /** How long until `token` is rejected on `t`, or Infinity after `limitMs`. */
  const rejectedWithin = (t: TestApp, token: string, limitMs = 1000) =>
    within(limitMs, async () => (await me(t, token)).statusCode === 401).catch(() => Infinity);

  beforeAll(async () => {
    schema = await freshPostgresSchema();
    const env = { DATABASE_URL: schema.url, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: keyPrefix };
    a = await makeTestApp(env);
    // Started after A: it finds A's signing keys in the database.
    b = await makeTestApp(env);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await schema?.drop();
    await deleteRedisKeys(keyPrefix);
  });

  it('both instances run on Redis', () => {
    expect(a.services.kv.kind).toBe('redis');
    expect(b.services.kv.status()).toBe('up');
  });

  it('logout on A: the same access token is rejected on B within 1 s', async () => {
    expect((await post(a, '/api/v1/auth/register', { email: 'sync@example.com', password: STRONG_PASSWORD })).statusCode).toBe(201);
    const tokens = await login(a, 'sync@example.com');
    expect((await me(b, tokens.access_token)).statusCode).toBe(200);

    expect((await post(a, '/api/v1/auth/logout', undefined, tokens.access_token)).statusCode).toBe(204);
    expect((await me(a, tokens.access_token)).statusCode).toBe(401);
    expect(await rejectedWithin(b, tokens.access_token)).toBeLessThanOrEqual(1000);
    expect((await post(b, '/api/v1/auth/refresh', { refresh_token: tokens.refresh_token })).statusCode).toBe(401);
  });

  it('logout-all on B: every session of the user, including ones opened on A, is rejected on A within 1 s', async () => {
    const onA = await login(a, 'sync@example.com');
    const onB = await login(b, 'sync@example.com');
    expect((await me(a, onA.access_token)).statusCode).toBe(200);
    expect((await me(a, onB.access_token)).statusCode).toBe(200);

    const res = await post(b, '/api/v1/auth/logout-all', undefined, onB.access_token);
    expect(res.statusCode).toBe(200);
    expect(await rejectedWithin(a, onA.access_token)).toBeLessThanOrEqual(1000);
    expect(await rejectedWithin(a, onB.access_token)).toBeLessThanOrEqual(1000);
  });

  it('a malformed message on the channel is ignored; revocations keep flowing', async () => {
    await a.services.kv.publish('revocations', 'not json');
    await a.services.kv.publish('revocations', JSON.stringify({ jti: 42, until: 'soon' }));
    const tokens = await login(b, 'sync@example.com');
    expect((await post(b, '/api/v1/auth/logout', undefined, tokens.access_token)).statusCode).toBe(204);
    expect(await rejectedWithin(a, tokens.access_token)).toBeLessThanOrEqual(1000);
  });
});

describe.skipIf(!runPostgres || !runRedis)('revocations across instances when Redis goes away and returns', () => {
  let schema: Awaited<ReturnType<typeof freshPostgresSchema>>;
  let redis: OwnRedis;
  let a: TestApp;
  let b: TestApp;
  const me = (t: TestApp, token: string) => t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    schema = await freshPostgresSchema();
    redis = await ownRedis();
    await redis.start();
    const env = { DATABASE_URL: schema.url, REDIS_URL: redis.url };
    a = await makeTestApp(env);
    b = await makeTestApp(env);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
    await schema?.drop();
  });

  it('a logout made during the outage reaches the other instance once Redis is back (reloaded from the database)', async () => {
    const creds = { email: 'outage@example.com', password: STRONG_PASSWORD };
    expect((await a.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: creds })).statusCode).toBe(201);
    const tokens = (await a.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: creds })).json() as { access_token: string };

    await redis.stop();
    const deadline = Date.now() + 3000;
    while ([a, b].some((t) => t.services.kv.status() !== 'degraded') && Date.now() < deadline) await sleep(20);
    expect(b.services.kv.status()).toBe('degraded');

    const out = await a.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(out.statusCode).toBe(204);
    expect((await me(a, tokens.access_token)).statusCode).toBe(401);
    // The message could not travel: B does not know yet (the documented gap while Redis is away).
    await sleep(200);
    expect((await me(b, tokens.access_token)).statusCode).toBe(200);

    await redis.start();
    const started = Date.now();
    while ((await me(b, tokens.access_token)).statusCode !== 401 && Date.now() - started < 6000) await sleep(20);
    expect((await me(b, tokens.access_token)).statusCode).toBe(401);
    expect(b.services.kv.status()).toBe('up');
  });
});
