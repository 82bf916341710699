import type { Redis } from 'ioredis';
import type { Config } from '../../config/index.js';
import type { Logger } from '../../observability/logger.js';
import type { Clock } from '../../shared/clock.js';
import { createMemoryKv } from './memory.js';
import type { KeyValueStore } from './ports.js';

export type { KeyValueStore, KvStatus } from './ports.js';
export { createMemoryKv, type MemoryKv } from './memory.js';
export type { RedisKv, RedisKvOptions } from './redis.js';

/**
 * The shared-state store the config asks for: Redis when `REDIS_URL` is set (it waits briefly for
 * the first connection and starts degraded, never fails, when Redis is away), else in-process.
 */
export async function openKv(config: Pick<Config, 'redis'>, deps: { logger: Logger; clock: Clock }): Promise<KeyValueStore> {
  if (config.redis.url === undefined) {
    return createMemoryKv(deps.clock, { onHandlerError: (err, channel) => deps.logger.error({ err, channel }, 'a subscriber failed to handle a message') });
  }
  // Loaded only when configured: ioredis is a tenth of the process's memory at start.
  const { createRedisKv } = await import('./redis.js');
  return createRedisKv({ url: config.redis.url, keyPrefix: config.redis.keyPrefix, logger: deps.logger, clock: deps.clock });
}

/** The ioredis connection behind a store, for what counts in Redis itself (the rate limits); undefined in memory. */
export function redisClientOf(kv: KeyValueStore): Redis | undefined {
  return kv.kind === 'redis' && 'client' in kv ? (kv as { client: Redis }).client : undefined;
}
