import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRedisFeed } from '../../src/admin/stream/redis-feed.js';
import type { LiveMessage } from '../../src/admin/stream/feed.js';
import { systemClock } from '../../src/shared/clock.js';
import { deleteRedisKeys, ownRedis, runRedis, TEST_REDIS_URL, uniqueRedisPrefix } from '../support/redis.js';
import { makeTestApp, type TestApp } from '../support/services.js';
import { eventually, within } from '../support/wait.js';
import { listen, messagesOf, openStream, type Frame, type StreamClient } from './stream-client.js';

const ADMIN_KEY = 'admin-key-for-stream-redis-tests-0123456789';
const failLogin = (t: TestApp, i: number) =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: `198.18.1.${i + 1}`, payload: { email: `redis-${i}@example.com`, password: 'wrong-password-123' } });
const emailOf = (f: Frame) => (f.data?.details as { email?: string } | undefined)?.email;
const silentLogger = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

async function ready(base: string, cursor: string | null = null): Promise<StreamClient> {
  const c = await openStream(base);
  c.auth({ api_key: ADMIN_KEY, cursor });
  await c.next((f) => f.type === 'ready');
  return c;
}

describe.runIf(runRedis)('admin live stream across two instances through Redis', () => {
  const prefix = uniqueRedisPrefix('stream');
  let one: TestApp;
  let two: TestApp;
  let base1: string;
  let base2: string;
  const clients: StreamClient[] = [];

  beforeAll(async () => {
    const env = { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix, ADMIN_API_KEY: ADMIN_KEY };
    one = await makeTestApp(env);
    two = await makeTestApp(env);
    base1 = await listen(one.app);
    base2 = await listen(two.app);
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await one?.close();
    await two?.close();
    await deleteRedisKeys(prefix);
  });

  it('an event on instance 1 reaches the clients of both instances, with the same cursor, in the Redis Stream', async () => {
    const [c1, c2] = [await ready(base1), await ready(base2)];
    clients.push(c1, c2);
    await failLogin(one, 0);
    const [m1, m2] = await Promise.all([c1, c2].map((c) => c.next((f) => emailOf(f) === 'redis-0@example.com')));
    expect(m2).toEqual(m1);
    expect(m2!.cursor).toMatch(/^\d+-\d+$/);
    const raw = new Redis(TEST_REDIS_URL);
    try {
      const entries = await raw.xrange(`${prefix}live`, m1!.cursor!, m1!.cursor!);
      expect(JSON.parse(entries[0]![1][1]!)).toMatchObject({ kind: 'security_event', data: { type: 'LOGIN_FAILED' } });
    } finally {
      raw.disconnect();
    }
  });

  it('a client resumes on instance 2 with a cursor from instance 1: the missed events, in order, once', async () => {
    const first = await ready(base1);
    await failLogin(one, 1);
    const seen = await first.next((f) => emailOf(f) === 'redis-1@example.com');
    await first.close();
    for (let i = 2; i < 6; i++) await failLogin(i % 2 === 0 ? one : two, i);
    const again = await ready(base2, seen.cursor!);
    clients.push(again);
    const emails = () => messagesOf(again, 'security_event').map(emailOf);
    await eventually(() => expect(emails()).toEqual(['redis-2@example.com', 'redis-3@example.com', 'redis-4@example.com', 'redis-5@example.com']), 3000);
    await failLogin(one, 6);
    await eventually(() => expect(emails().at(-1)).toBe('redis-6@example.com'), 3000);
    const cursors = messagesOf(again).map((f) => f.cursor);
    expect(new Set(cursors).size).toBe(cursors.length);
  });

  it('a cursor the stream never had (or an in-memory one) gets a reset', async () => {
    for (const cursor of ['99999999999999-0', 'abc.1']) {
      const c = await ready(base2, cursor);
      clients.push(c);
      await c.next((f) => f.type === 'reset');
    }
  });
});

describe.runIf(runRedis)('Redis live feed', () => {
  const prefix = uniqueRedisPrefix('stream-feed');
  let client: Redis;
  beforeAll(async () => {
    client = new Redis(TEST_REDIS_URL, { lazyConnect: true });
    await client.connect();
  });
  afterAll(async () => {
    client.disconnect();
    await deleteRedisKeys(prefix);
  });

  it('a cursor whose successors were trimmed gets a reset; a retained one replays exactly what follows', async () => {
    const feed = createRedisFeed({ client, key: `${prefix}trim`, clock: systemClock, logger: silentLogger, retain: 10 });
    const got: LiveMessage[] = [];
    feed.subscribe((m) => got.push(m));
    try {
      // The reader has found where the stream ends (until then the head is the local buffer's).
      await within(2000, async () => /^\d+-\d+$/.test(await feed.head()));
      // In small batches: with a tiny MAXLEN, entries the reader has not read yet could be trimmed.
      for (let batch = 0; batch < 100; batch++) {
        for (let i = batch * 5; i < (batch + 1) * 5; i++) feed.publish('health', { i });
        await within(3000, () => got.length === (batch + 1) * 5);
      }
      expect(got.map((m) => (m.data as { i: number }).i)).toEqual([...Array(500).keys()]);
      expect(await client.xlen(`${prefix}trim`)).toBeLessThan(500);
      expect(await feed.replay(got[0]!.cursor)).toBe('reset');
      const tail = await feed.replay(got[497]!.cursor);
      expect(tail).not.toBe('reset');
      expect((tail as LiveMessage[]).map((m) => m.data)).toEqual([{ i: 498 }, { i: 499 }]);
      expect(await feed.replay(got[499]!.cursor)).toEqual([]);
      expect(await feed.head()).toBe(got[499]!.cursor);
    } finally {
      await feed.close();
    }
  });
});

describe.runIf(runRedis)('admin live stream when Redis goes away and comes back', () => {
  let t: TestApp | undefined;
  let redis: Awaited<ReturnType<typeof ownRedis>>;
  beforeAll(async () => {
    redis = await ownRedis();
  });
  afterEach(async () => {
    await t?.close();
    await redis.stop();
  });

  it('Redis down at start: ready still has a cursor, and events reach this instance’s clients', async () => {
    t = await makeTestApp({ REDIS_URL: redis.url, ADMIN_API_KEY: ADMIN_KEY });
    const c = await ready(await listen(t.app));
    expect(c.frames[0]!.cursor).toMatch(/^[\w-]{8}\.0$/);
    await failLogin(t, 50);
    await c.next((f) => emailOf(f) === 'redis-50@example.com');
    await c.close();
  }, 20_000);

  it('health changes are sent, events still reach this instance’s clients, and the stream resumes on Redis', async () => {
    await redis.start();
    t = await makeTestApp({ REDIS_URL: redis.url, ADMIN_API_KEY: ADMIN_KEY });
    const c = await ready(await listen(t.app));
    const instance = t.services.maintenance.instanceId;

    await redis.stop();
    const down = await c.next((f) => f.kind === 'health' && f.data?.status === 'degraded', 10_000);
    expect(down.data).toMatchObject({ instance, status: 'degraded', services: { redis: { status: 'disconnected' } } });
    await failLogin(t, 40);
    const local = await c.next((f) => emailOf(f) === 'redis-40@example.com');
    expect(local.cursor).not.toMatch(/^\d+-\d+$/);

    await redis.start();
    const up = await c.next((f) => f.kind === 'health' && f.data?.status === 'healthy', 10_000);
    expect(up.data).toMatchObject({ instance, services: { redis: { status: 'connected' } } });
    // Publishing goes to the stream again once the command connection is back.
    let n = 41;
    await eventually(async () => {
      const i = n++;
      await failLogin(t!, i);
      const m = await c.next((f) => emailOf(f) === `redis-${i}@example.com`);
      expect(m.cursor).toMatch(/^\d+-\d+$/);
    }, 8000);
    await c.close();
  }, 40_000);
});
