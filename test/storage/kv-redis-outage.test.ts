import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisKv, type RedisKv } from '../../src/storage/kv/redis.js';
import type { KvStatus } from '../../src/storage/kv/ports.js';
import { ownRedis, runRedis, uniqueRedisPrefix, type OwnRedis } from '../support/redis.js';
import { eventually, sleep } from '../support/wait.js';

/**
 * Redis going away and coming back, on a redis-server of this suite's own (the shared one other
 * suites use is never stopped). Two adapters stand for two Vigil instances.
 */
function capture() {
  const records: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => records.push(JSON.parse(line) as { level: number; msg: string }) });
  return { logger, records, at: (level: number) => records.filter((r) => r.level === level) };
}

describe.skipIf(!runRedis)('Redis adapter: outage and recovery', () => {
  let server: OwnRedis;
  let a: RedisKv;
  let b: RedisKv;
  const logA = capture();
  const logB = capture();
  const statusesA: KvStatus[] = [];
  const keyPrefix = uniqueRedisPrefix('outage');

  beforeAll(async () => {
    server = await ownRedis();
    await server.start();
    a = await createRedisKv({ url: server.url, keyPrefix, logger: logA.logger });
    b = await createRedisKv({ url: server.url, keyPrefix, logger: logB.logger });
    a.onStatusChange((s) => statusesA.push(s));
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await server?.stop();
  });

  it('works on Redis while it is up', async () => {
    expect(a.status()).toBe('up');
    expect((await a.increment('hits', 60_000)).count).toBe(1);
    expect((await b.increment('hits', 60_000)).count).toBe(2);
    expect(logA.at(40)).toHaveLength(0);
  });

  it('Redis killed: every operation still answers, from local state, quickly; degraded; one warning', async () => {
    const gotA: string[] = [];
    const gotB: string[] = [];
    await a.subscribe('news', (m) => gotA.push(m));
    await b.subscribe('news', (m) => gotB.push(m));
    await a.publish('news', 'before');
    await eventually(() => expect([gotA, gotB]).toEqual([['before'], ['before']]), 1000);

    await server.stop();
    await eventually(() => expect([a.status(), b.status()]).toEqual(['degraded', 'degraded']), 3000);
    expect(statusesA).toEqual(['degraded']);
    // A health check sees the outage: ping never answers from local state.
    await expect(a.ping()).rejects.toThrow();

    const started = Date.now();
    // Local counters start from scratch: each instance counts on its own meanwhile.
    expect((await a.increment('hits', 60_000)).count).toBe(1);
    expect((await a.increment('hits', 60_000)).count).toBe(2);
    expect((await b.increment('hits', 60_000)).count).toBe(1);
    await a.set('k', 'v', 60_000);
    expect(await a.get('k')).toBe('v');
    await a.delete('k');
    expect(await a.get('k')).toBeUndefined();
    expect(await a.addToSet('s', 'x', 60_000)).toBe(1);
    // A publish reaches this instance's subscribers only.
    await a.publish('news', 'during');
    // Subscribing while Redis is away works too (and is sent to Redis when it returns).
    const lateA: string[] = [];
    await a.subscribe('late', (m) => lateA.push(m));
    expect(Date.now() - started).toBeLessThan(500);
    await eventually(() => expect(gotA).toEqual(['before', 'during']), 1000);
    expect(gotB).toEqual(['before']);

    // Reconnection attempts go on in the background without logging again.
    await sleep(1500);
    expect(logA.at(40)).toHaveLength(1);
    expect(logA.at(40)[0]?.msg).toMatch(/Redis unreachable/);
    expect(logB.at(40)).toHaveLength(1);
    expect(logA.at(50)).toHaveLength(0);
    expect(statusesA).toEqual(['degraded']);

    // Redis back on the same address: used again without a restart, subscriptions restored.
    await server.start();
    const back = Date.now();
    await eventually(() => expect([a.status(), b.status()]).toEqual(['up', 'up']), 5000);
    expect(Date.now() - back).toBeLessThan(5000);
    expect(statusesA).toEqual(['degraded', 'up']);
    expect(logA.at(30).filter((r) => /reachable again/.test(r.msg))).toHaveLength(1);
    expect(logA.at(40)).toHaveLength(1);

    // Counters are shared through Redis again (this Redis lost its data when killed).
    expect((await a.increment('hits', 60_000)).count).toBe(1);
    expect((await b.increment('hits', 60_000)).count).toBe(2);
    expect(await a.client.get(`${keyPrefix}hits`)).toBe('2');

    // ioredis resubscribed `news`, and the SUBSCRIBE queued during the outage was sent.
    await b.publish('news', 'after');
    await b.publish('late', 'after');
    await eventually(() => {
      expect(gotA).toEqual(['before', 'during', 'after']);
      expect(gotB).toEqual(['before', 'after']);
      expect(lateA).toEqual(['after']);
    }, 1000);
  });

  it('an adapter started while Redis is away starts degraded, answers locally, and picks Redis up when it appears', async () => {
    const other = await ownRedis();
    const log = capture();
    const started = Date.now();
    const kv = await createRedisKv({ url: other.url, keyPrefix, logger: log.logger });
    try {
      expect(Date.now() - started).toBeLessThan(2000);
      expect(kv.status()).toBe('degraded');
      expect(log.at(40)).toHaveLength(1);
      expect((await kv.increment('c', 60_000)).count).toBe(1);

      await other.start();
      await eventually(() => expect(kv.status()).toBe('up'), 5000);
      expect((await kv.increment('c', 60_000)).count).toBe(1);
      expect(await kv.client.get(`${keyPrefix}c`)).toBe('1');
      expect(log.at(40)).toHaveLength(1);
    } finally {
      await kv.close();
      await other.stop();
    }
  });

  it('a Redis that stops answering (paused) is treated as down after the command timeout, then recovers', async () => {
    const log = capture();
    const kv = await createRedisKv({ url: server.url, keyPrefix, logger: log.logger, commandTimeoutMs: 200 });
    try {
      expect(kv.status()).toBe('up');
      const pid = Number((await kv.client.info('server')).match(/process_id:(\d+)/)?.[1]);
      process.kill(pid, 'SIGSTOP');
      try {
        const t0 = Date.now();
        expect((await kv.increment('paused', 60_000)).count).toBe(1);
        expect(Date.now() - t0).toBeLessThan(1000);
        expect(kv.status()).toBe('degraded');
        // No more waiting on the timeout while it stays paused.
        const t1 = Date.now();
        expect((await kv.increment('paused', 60_000)).count).toBe(2);
        expect(Date.now() - t1).toBeLessThan(50);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      await eventually(() => expect(kv.status()).toBe('up'), 5000);
      expect(log.at(40)).toHaveLength(1);
    } finally {
      await kv.close();
    }
  });
});
