import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/shared/clock.js';
import { createMemoryKv } from '../../src/storage/kv/memory.js';
import type { KeyValueStore } from '../../src/storage/kv/ports.js';
import { createRedisKv } from '../../src/storage/kv/redis.js';
import { deleteRedisKeys, runRedis, TEST_REDIS_URL, uniqueRedisPrefix } from '../support/redis.js';
import { eventually, sleep } from '../support/wait.js';

/**
 * One contract for the key-value port, run against the in-memory store (frozen clock) and real
 * Redis (real time, short expiries; two adapters on one Redis stand for two Vigil instances).
 */
interface Instance {
  kv: KeyValueStore;
  /** Another instance sharing this store (memory: the same process, so the same store). */
  other: KeyValueStore;
  /** Lets `ms` pass for the store's expiries. */
  advance(ms: number): Promise<void>;
  /** Slack on returned TTLs (Redis runs on a real clock). */
  slackMs: number;
  close(): Promise<void>;
}

interface Backend {
  name: string;
  enabled: boolean;
  open(): Promise<Instance>;
}

const silent = pino({ level: 'silent' });

const backends: Backend[] = [
  {
    name: 'memory',
    enabled: true,
    async open() {
      const clock = manualClock();
      const kv = createMemoryKv(clock);
      return {
        kv,
        other: kv,
        slackMs: 0,
        async advance(ms) {
          clock.advance(ms);
        },
        close: () => kv.close(),
      };
    },
  },
  {
    name: 'redis',
    enabled: runRedis,
    async open() {
      const keyPrefix = uniqueRedisPrefix('contract');
      const kv = await createRedisKv({ url: TEST_REDIS_URL, keyPrefix, logger: silent });
      const other = await createRedisKv({ url: TEST_REDIS_URL, keyPrefix, logger: silent });
      return {
        kv,
        other,
        slackMs: 50,
        advance: async (ms) => {
          await sleep(ms);
        },
        async close() {
          await Promise.all([kv.close(), other.close()]);
          await deleteRedisKeys(keyPrefix);
        },
      };
    },
  },
];

let seq = 0;
const key = (p: string) => `${p}:${++seq}`;

for (const backend of backends) {
  describe.skipIf(!backend.enabled)(`KeyValueStore contract: ${backend.name}`, () => {
    let s: Instance;
    beforeAll(async () => {
      s = await backend.open();
    });
    afterAll(async () => {
      await s?.close();
    });

    it('reports its kind and is up', async () => {
      expect(s.kv.kind).toBe(backend.name);
      expect(s.kv.status()).toBe('up');
      await expect(s.kv.ping()).resolves.toBeUndefined();
    });

    describe('increment', () => {
      it('counts, and the increment that creates the counter sets its expiry; later ones keep it', async () => {
        const k = key('count');
        const first = await s.kv.increment(k, 1000);
        expect(first.count).toBe(1);
        expect(first.ttlMs).toBeLessThanOrEqual(1000);
        expect(first.ttlMs).toBeGreaterThan(1000 - s.slackMs - 1);

        await s.advance(300);
        const second = await s.kv.increment(k, 1000);
        expect(second.count).toBe(2);
        // Not reset to 1000: a fixed window from the first hit.
        expect(second.ttlMs).toBeLessThanOrEqual(700);
        expect(second.ttlMs).toBeGreaterThan(700 - s.slackMs - 1);

        expect((await s.kv.increment(k, 1000, 5)).count).toBe(7);
        expect(await s.kv.get(k)).toBe('7');
      });

      it('is shared by every instance', async () => {
        const k = key('shared');
        await s.kv.increment(k, 5000);
        expect((await s.other.increment(k, 5000)).count).toBe(2);
      });

      it('200 concurrent increments on one key count exactly 200, each seeing a distinct count', async () => {
        const k = key('race');
        const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? s.kv : s.other).increment(k, 10_000)));
        const counts = results.map((r) => r.count).sort((a, b) => a - b);
        expect(counts).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
        expect(await s.kv.get(k)).toBe('200');
      });

      it('expires after its ttl and then starts again from 1 with a new window', async () => {
        const k = key('expire');
        await s.kv.increment(k, 150);
        await s.kv.increment(k, 150);
        await s.advance(250);
        expect(await s.kv.get(k)).toBeUndefined();
        const again = await s.kv.increment(k, 150);
        expect(again.count).toBe(1);
        expect(again.ttlMs).toBeGreaterThan(150 - s.slackMs - 1);
      });

      it('gives a counter found without an expiry (a plain set) one', async () => {
        const k = key('noexpiry');
        await s.kv.set(k, '10');
        const r = await s.kv.increment(k, 150);
        expect(r.count).toBe(11);
        expect(r.ttlMs).toBeLessThanOrEqual(150);
        await s.advance(250);
        expect(await s.kv.get(k)).toBeUndefined();
      });

      it('rejects a non-positive ttl and a fractional step', async () => {
        await expect(s.kv.increment(key('bad'), 0)).rejects.toThrow(RangeError);
        await expect(s.kv.increment(key('bad'), 1000, 1.5)).rejects.toThrow(RangeError);
      });
    });

    describe('get, set, delete', () => {
      it('a missing key is undefined', async () => {
        expect(await s.kv.get(key('missing'))).toBeUndefined();
      });

      it('a value without ttl stays; one with ttl expires', async () => {
        const forever = key('forever');
        const brief = key('brief');
        await s.kv.set(forever, 'a');
        await s.kv.set(brief, 'b', 150);
        expect(await s.other.get(forever)).toBe('a');
        expect(await s.other.get(brief)).toBe('b');
        await s.advance(250);
        expect(await s.kv.get(forever)).toBe('a');
        expect(await s.kv.get(brief)).toBeUndefined();
      });

      it('set replaces the value and its expiry (no ttl = none)', async () => {
        const k = key('replace');
        await s.kv.set(k, 'old', 150);
        await s.kv.set(k, 'new');
        await s.advance(250);
        expect(await s.kv.get(k)).toBe('new');
        await s.kv.set(k, 'short', 150);
        await s.advance(250);
        expect(await s.kv.get(k)).toBeUndefined();
      });

      it('delete removes (any kind of key), and deleting a missing key is fine', async () => {
        const k = key('del');
        const set = key('delset');
        await s.kv.set(k, 'x');
        await s.kv.addToSet(set, 'm', 10_000);
        await s.other.delete(k);
        await s.other.delete(set);
        await s.kv.delete(key('never-existed'));
        expect(await s.kv.get(k)).toBeUndefined();
        expect(await s.kv.addToSet(set, 'n', 10_000)).toBe(1);
      });
    });

    describe('addToSet', () => {
      it('returns the number of distinct members', async () => {
        const k = key('set');
        expect(await s.kv.addToSet(k, 'a', 10_000)).toBe(1);
        expect(await s.other.addToSet(k, 'b', 10_000)).toBe(2);
        expect(await s.kv.addToSet(k, 'a', 10_000)).toBe(2);
        expect(await s.kv.addToSet(k, 'c', 10_000)).toBe(3);
      });

      it('each add resets the expiry; the set expires ttl after the last add', async () => {
        const k = key('setexp');
        await s.kv.addToSet(k, 'a', 200);
        await s.advance(120);
        await s.kv.addToSet(k, 'b', 200);
        await s.advance(120);
        // 240 ms after the first add but 120 after the last: still there.
        expect(await s.kv.addToSet(k, 'c', 200)).toBe(3);
        await s.advance(300);
        expect(await s.kv.addToSet(k, 'd', 200)).toBe(1);
      });

      it('200 concurrent adds of distinct members end with 200', async () => {
        const k = key('setrace');
        const sizes = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? s.kv : s.other).addToSet(k, `m${i}`, 10_000)));
        expect(Math.max(...sizes)).toBe(200);
        expect(new Set(sizes).size).toBe(200);
      });
    });

    describe('publish / subscribe', () => {
      const unsubscribers: (() => Promise<void>)[] = [];
      afterEach(async () => {
        await Promise.all(unsubscribers.splice(0).map((u) => u()));
      });

      it('delivers to subscribers on every instance, the publishing one included, and not synchronously', async () => {
        const channel = key('chan');
        const here: string[] = [];
        const there: string[] = [];
        unsubscribers.push(await s.kv.subscribe(channel, (m) => here.push(m)));
        unsubscribers.push(await s.other.subscribe(channel, (m) => there.push(m)));
        await s.kv.publish(channel, 'one');
        expect(here).toEqual([]);
        await s.other.publish(channel, 'two');
        await eventually(() => {
          expect(here).toEqual(['one', 'two']);
          expect(there).toEqual(['one', 'two']);
        });
      });

      it('keeps channels apart and tolerates a publish nobody listens to', async () => {
        const a = key('chan-a');
        const b = key('chan-b');
        const got: string[] = [];
        unsubscribers.push(await s.other.subscribe(a, (m) => got.push(`a:${m}`)));
        await s.kv.publish(key('nobody'), 'lost');
        await s.kv.publish(b, 'not for a');
        await s.kv.publish(a, 'for a');
        await eventually(() => expect(got).toEqual(['a:for a']));
        await sleep(50);
        expect(got).toEqual(['a:for a']);
      });

      it('unsubscribe stops delivery to that subscriber only, and is idempotent', async () => {
        const channel = key('unsub');
        const first: string[] = [];
        const second: string[] = [];
        const stopFirst = await s.other.subscribe(channel, (m) => first.push(m));
        unsubscribers.push(await s.other.subscribe(channel, (m) => second.push(m)));
        await s.kv.publish(channel, 'before');
        await eventually(() => expect(first).toEqual(['before']));
        await stopFirst();
        await stopFirst();
        await s.kv.publish(channel, 'after');
        await eventually(() => expect(second).toEqual(['before', 'after']));
        await sleep(50);
        expect(first).toEqual(['before']);

        // The last subscriber leaving ends delivery altogether; subscribing again resumes it.
        await unsubscribers.pop()?.();
        await s.kv.publish(channel, 'nobody');
        const third: string[] = [];
        unsubscribers.push(await s.other.subscribe(channel, (m) => third.push(m)));
        await s.kv.publish(channel, 'again');
        await eventually(() => expect(third).toEqual(['again']));
        expect(second).toEqual(['before', 'after']);
      });

      it('a subscriber that throws does not stop delivery to the others', async () => {
        const channel = key('throws');
        const got: string[] = [];
        unsubscribers.push(
          await s.other.subscribe(channel, () => {
            throw new Error('handler bug');
          }),
        );
        unsubscribers.push(await s.other.subscribe(channel, (m) => got.push(m)));
        await s.kv.publish(channel, 'x');
        await eventually(() => expect(got).toEqual(['x']));
      });
    });
  });
}

describe.skipIf(!runRedis)('Redis adapter specifics', () => {
  const keyPrefix = uniqueRedisPrefix('specifics');
  afterAll(() => deleteRedisKeys(keyPrefix));

  it('prefixes keys and channels, and exposes its command connection for rate-limiter-flexible', async () => {
    const kv = await createRedisKv({ url: TEST_REDIS_URL, keyPrefix, logger: silent });
    try {
      await kv.set('plain', 'v');
      await kv.increment('counter', 10_000);
      expect(await kv.client.get(`${keyPrefix}plain`)).toBe('v');
      expect(await kv.client.get(`${keyPrefix}counter`)).toBe('1');
      expect(await kv.client.get('plain')).toBeNull();

      const got: string[] = [];
      const stop = await kv.subscribe('news', (m) => got.push(m));
      // A raw PUBLISH on the prefixed channel is what another instance sends.
      await kv.client.publish(`${keyPrefix}news`, 'raw');
      await kv.client.publish('news', 'unprefixed: not ours');
      await eventually(() => expect(got).toEqual(['raw']));
      await stop();
    } finally {
      await kv.close();
    }
  });

  it('a Redis error reply (wrong type) is answered locally, not thrown, and logged once', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'debug' }, { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) });
    const kv = await createRedisKv({ url: TEST_REDIS_URL, keyPrefix, logger });
    try {
      await kv.addToSet('a-set', 'm', 10_000);
      expect((await kv.increment('a-set', 10_000)).count).toBe(1);
      expect((await kv.increment('a-set', 10_000)).count).toBe(2);
      expect(kv.status()).toBe('up');
      expect(lines.filter((l) => l.level === 50 && String(l.msg).includes('refused'))).toHaveLength(1);
    } finally {
      await kv.close();
    }
  });
});
