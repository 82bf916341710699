import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { createRateLimits, RateLimitExceeded, type Counted, type RateLimits } from '../../src/protection/rate-limits.js';
import { testConfig } from '../support/config.js';
import { deleteRedisKeys, runRedis, TEST_REDIS_URL, uniqueRedisPrefix } from '../support/redis.js';

const config = testConfig({ RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_GLOBAL: '5', RATE_LIMIT_IP: '2' });
const logger = createLogger(config);

/** Three requests from one address against the global (5) and per-IP (2) layers. */
async function threeRequests(limits: RateLimits): Promise<Counted[]> {
  const out: Counted[] = [];
  for (let i = 0; i < 3; i++) out.push(await limits.consume([['global', 'all'], ['ip', '198.51.100.7']], Date.now()));
  return out;
}

function expectCounted([first, second, third]: Counted[]) {
  expect(first!.states.map((s) => [s.policy, s.limit, s.remaining, s.windowSeconds])).toEqual([['global', 5, 4, 60], ['ip', 2, 1, 60]]);
  expect(first!.refused).toBeUndefined();
  expect(second!.states.map((s) => s.remaining)).toEqual([3, 0]);
  expect(second!.refused).toBeUndefined();
  // Over the per-IP limit: refused, and the global layer is still charged.
  expect(third!.states.map((s) => s.remaining)).toEqual([2, 0]);
  expect(third!.refused).toBeInstanceOf(RateLimitExceeded);
  expect(third!.refused!.state.policy).toBe('ip');
  expect(third!.refused!.state.resetAt - Date.now()).toBeGreaterThan(58_000);
}

describe('rate limit counters', () => {
  it('in memory: count every layer, refuse past the limit, and answer without a promise', async () => {
    const limits = createRateLimits({ config: config.protection.rateLimits, keyPrefix: '', logger });
    const sync = limits.consume([['user', 'u1']], Date.now());
    expect(sync).not.toBeInstanceOf(Promise);
    expectCounted(await threeRequests(limits));
  });

  describe.skipIf(!runRedis)('over Redis', () => {
    const prefix = uniqueRedisPrefix('rl-counter');
    const redis = new Redis(TEST_REDIS_URL, { enableOfflineQueue: false });
    afterAll(async () => {
      redis.disconnect();
      await deleteRedisKeys(prefix);
    });

    it('count every layer in Redis, shared by two instances', async () => {
      await new Promise<void>((ready) => (redis.status === 'ready' ? ready() : redis.once('ready', () => ready())));
      const a = createRateLimits({ config: config.protection.rateLimits, redis, keyPrefix: prefix, logger });
      const b = createRateLimits({ config: config.protection.rateLimits, redis, keyPrefix: prefix, logger });
      const first = await a.consume([['global', 'all'], ['ip', '198.51.100.7']], Date.now());
      expect(first.states.map((s) => s.remaining)).toEqual([4, 1]);
      const rest = [await b.consume([['global', 'all'], ['ip', '198.51.100.7']], Date.now()), await a.consume([['global', 'all'], ['ip', '198.51.100.7']], Date.now())];
      expectCounted([first, ...rest]);
      expect(await redis.keys(`${prefix}rl:*`)).toHaveLength(2);
      // The window is the key's TTL, set by its first point.
      const ttl = await redis.pttl(`${prefix}rl:ip:198.51.100.7`);
      expect(ttl).toBeGreaterThan(58_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    });

    it('count in this process while the client is not connected, with the same policies', async () => {
      const offline = new Redis(TEST_REDIS_URL, { lazyConnect: true, enableOfflineQueue: false });
      const warnings: unknown[] = [];
      const limits = createRateLimits({ config: config.protection.rateLimits, redis: offline, keyPrefix: `${prefix}offline:`, logger: { ...logger, warn: (...args: unknown[]) => void warnings.push(args) } as typeof logger });
      expectCounted(await threeRequests(limits));
      expect(warnings).toHaveLength(1); // once, not per request
      expect(await redis.keys(`${prefix}offline:*`)).toEqual([]);
      offline.disconnect();
    });
  });
});
