import type { Config } from '../../config/index.js';
import type { Logger } from '../../observability/logger.js';
import type { Clock } from '../../shared/clock.js';
import { redisClientOf } from '../../storage/kv/index.js';
import type { KeyValueStore } from '../../storage/kv/ports.js';
import type { LiveFeed } from './feed.js';
import { createMemoryFeed } from './memory-feed.js';

export { LIVE_KINDS, LIVE_RETAIN, type LiveFeed, type LiveKind, type LiveMessage } from './feed.js';
export { connectLiveSources, type LiveSources } from './sources.js';
export { registerLiveStream, type LiveStreamOptions } from './routes.js';

/**
 * The admin console's live feed: a Redis Stream at `<REDIS_KEY_PREFIX>live` when the key-value
 * store is Redis (every instance delivers every message; cursors resume anywhere), else an
 * in-process ring buffer.
 */
export async function openLiveFeed(deps: { config: Pick<Config, 'redis'>; kv: KeyValueStore; clock: Clock; logger: Logger }): Promise<LiveFeed> {
  const client = redisClientOf(deps.kv);
  if (!client) return createMemoryFeed({ clock: deps.clock, onError: (err, what) => deps.logger.error({ err }, what) });
  const { createRedisFeed } = await import('./redis-feed.js');
  return createRedisFeed({ client, key: `${deps.config.redis.keyPrefix}live`, clock: deps.clock, logger: deps.logger });
}
