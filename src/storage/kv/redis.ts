import { Redis } from 'ioredis';
import { redactUrl } from '../../config/redact.js';
import type { Logger } from '../../observability/logger.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import { checkIncrement, checkTtl, createMemoryKv } from './memory.js';
import type { KeyValueStore, KvStatus } from './ports.js';

/** The Redis adapter; `client` is its command connection, shared with the rate limits' counters. */
export interface RedisKv extends KeyValueStore {
  readonly kind: 'redis';
  readonly client: Redis;
}

export interface RedisKvOptions {
  /** `redis://[user:pass@]host:port[/db]` or `rediss://…` (TLS). */
  url: string;
  /** Put before every key and channel, so several deployments can share one Redis. Default `vigil:`. */
  keyPrefix?: string;
  logger: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
  /** The fallback store's clock (Redis expires its own keys). */
  clock?: Clock;
  /** A command not answered within this is answered locally, and the connection is renewed. Default 1000. */
  commandTimeoutMs?: number;
  /** Default 2000. */
  connectTimeoutMs?: number;
  /** Cap on the reconnection backoff: how late at most Redis is noticed again once it is back. Default 2000. */
  maxReconnectDelayMs?: number;
  /** How long the start waits for the first connection before starting degraded. Default 3000. */
  startupTimeoutMs?: number;
}

/**
 * Atomic fixed-window counter: the increment that creates the key (or finds it without an expiry)
 * sets the expiry; later ones keep it. Returns {count, pttl}.
 */
const INCREMENT_LUA = `
local count = redis.call('INCRBY', KEYS[1], ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`;

/** Adds a member, resets the set's expiry, returns its size. */
const ADD_TO_SET_LUA = `
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return redis.call('SCARD', KEYS[1])
`;

interface Scripts {
  vigilIncrement(key: string, ttlMs: number, by: number): Promise<[number, number]>;
  vigilAddToSet(key: string, member: string, ttlMs: number): Promise<number>;
}

const COMMAND_TIMED_OUT = 'Command timed out';
/** Redis answered with an error (WRONGTYPE, OOM, READONLY…), as opposed to not answering. */
const isReplyError = (err: unknown) => err instanceof Error && err.name === 'ReplyError';

/**
 * Shared state on Redis, for many instances. Two connections: one for commands (it fails fast
 * instead of queueing while Redis is away) and one for subscriptions (ioredis resubscribes it on
 * reconnect). `up` means both are connected: without the subscriber, revocations and blocks
 * published by other instances would be missed.
 *
 * When Redis does not answer, nothing throws: every operation is answered by an in-process store
 * (counters per instance, publishes reach this instance only), `status()` is `degraded`, and the
 * transition is logged once. Reconnection goes on in the background with a capped backoff; on
 * `ready` Redis is used again and the local fallback state is dropped (what was written only
 * locally during the outage is not copied to Redis: durable state lives in the database).
 */
export async function createRedisKv(options: RedisKvOptions): Promise<RedisKv> {
  const prefix = options.keyPrefix ?? 'vigil:';
  const log = options.logger;
  const where = redactUrl(options.url);
  const commandTimeoutMs = options.commandTimeoutMs ?? 1000;
  const maxDelay = options.maxReconnectDelayMs ?? 2000;
  const fallback = createMemoryKv(options.clock ?? systemClock, {
    onHandlerError: (err, channel) => log.error({ err, channel }, 'a subscriber failed to handle a message'),
  });

  const client = new Redis(options.url, {
    connectionName: 'vigil',
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // A command in flight when the connection drops is answered locally rather than sent twice.
    autoResendUnfulfilledCommands: false,
    commandTimeout: commandTimeoutMs,
    // Commands issued in the same tick (a request's global, per-IP and per-route limits) go out in one write.
    enableAutoPipelining: true,
    connectTimeout: options.connectTimeoutMs ?? 2000,
    // Never give up; back off exponentially from 100 ms to the cap, with jitter so instances spread out.
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times - 1, 16), maxDelay) + Math.floor(Math.random() * 100),
  });
  client.defineCommand('vigilIncrement', { numberOfKeys: 1, lua: INCREMENT_LUA });
  client.defineCommand('vigilAddToSet', { numberOfKeys: 1, lua: ADD_TO_SET_LUA });
  const scripts = client as unknown as Scripts;

  // Subscriptions may be made while Redis is away: queue them until it is back, never fail them.
  const subscriber = client.duplicate({
    connectionName: 'vigil-sub',
    enableAutoPipelining: false,
    enableOfflineQueue: true,
    maxRetriesPerRequest: null,
    autoResendUnfulfilledCommands: true,
    commandTimeout: undefined,
    autoResubscribe: true,
  });

  let status: KvStatus = 'degraded';
  let started = false;
  let closing = false;
  let lastError: Error | undefined;
  const listeners: ((status: KvStatus) => void)[] = [];
  const loggedReplyErrors = new Set<string>();

  const setStatus = (next: KvStatus) => {
    if (!started || closing || next === status) return;
    status = next;
    if (next === 'degraded') {
      log.warn({ redis: where, err: lastError }, 'Redis unreachable: counters and pub/sub fall back to this instance until it returns');
    } else {
      // State written locally during the outage is per-instance and stale now.
      fallback.clear();
      loggedReplyErrors.clear();
      lastError = undefined;
      log.info({ redis: where }, 'Redis reachable again: shared state is back on Redis');
    }
    for (const listener of listeners) {
      try {
        listener(next);
      } catch (err) {
        log.error({ err }, 'a Redis status listener failed');
      }
    }
  };

  // `up` needs both connections: without the subscriber, other instances' publishes are missed.
  let commandUp = false;
  let subscriberUp = false;
  let subscriberGeneration = 0;
  const recompute = () => setStatus(commandUp && subscriberUp ? 'up' : 'degraded');
  client.on('ready', () => {
    commandUp = true;
    recompute();
  });
  client.on('close', () => {
    commandUp = false;
    recompute();
  });
  client.on('error', (err: Error) => {
    lastError = err;
    log.debug({ err, redis: where }, 'Redis connection error');
  });
  subscriber.on('ready', () => {
    // ioredis has re-sent the SUBSCRIBEs (and queued ones) by now; the PONG comes after their
    // replies on this connection, so once it is back every subscription is in place again.
    const generation = ++subscriberGeneration;
    subscriber.ping().then(
      () => {
        if (generation !== subscriberGeneration || subscriber.status !== 'ready') return;
        subscriberUp = true;
        recompute();
      },
      () => undefined,
    );
  });
  subscriber.on('close', () => {
    subscriberGeneration++;
    subscriberUp = false;
    recompute();
  });
  subscriber.on('error', (err: Error) => {
    lastError = err;
    log.debug({ err, redis: where }, 'Redis subscriber connection error');
  });
  subscriber.on('message', (channel: string, message: string) => {
    if (channel.startsWith(prefix)) void fallback.publish(channel.slice(prefix.length), message);
  });

  /** Runs on Redis when it is connected; otherwise, or when it does not answer, on the local store. */
  async function run<T>(op: string, onRedis: () => Promise<T>, onLocal: () => Promise<T>): Promise<T> {
    if (client.status !== 'ready') return onLocal();
    try {
      return await onRedis();
    } catch (err) {
      if (isReplyError(err)) {
        // Redis is there but refused: not an outage. Logged once per distinct error until the next recovery.
        const message = (err as Error).message;
        if (loggedReplyErrors.size < 100 && !loggedReplyErrors.has(message)) {
          loggedReplyErrors.add(message);
          log.error({ err, op }, 'Redis refused a command; answered from local state');
        }
      } else if (err instanceof Error && err.message === COMMAND_TIMED_OUT && client.status === 'ready') {
        // Connected but not answering (overloaded, paused): renew the connection; until it is
        // ready again every operation is answered locally without waiting.
        lastError = err;
        commandUp = false;
        recompute();
        client.disconnect(true);
      }
      return onLocal();
    }
  }

  // Channel → the Redis SUBSCRIBE that serves its local subscribers (shared by all of them).
  const redisSubscriptions = new Map<string, { count: number; ready: Promise<void> }>();

  const kv: RedisKv = {
    kind: 'redis',
    client,

    async increment(key, ttlMs, by = 1) {
      checkIncrement(ttlMs, by);
      return run(
        'increment',
        async () => {
          const [count, ttl] = await scripts.vigilIncrement(prefix + key, Math.ceil(ttlMs), by);
          return { count: Number(count), ttlMs: Number(ttl) };
        },
        () => fallback.increment(key, ttlMs, by),
      );
    },

    get: (key) =>
      run(
        'get',
        async () => (await client.get(prefix + key)) ?? undefined,
        () => fallback.get(key),
      ),

    async set(key, value, ttlMs) {
      if (ttlMs !== undefined) checkTtl(ttlMs);
      return run(
        'set',
        async () => {
          if (ttlMs === undefined) await client.set(prefix + key, value);
          else await client.set(prefix + key, value, 'PX', Math.ceil(ttlMs));
        },
        () => fallback.set(key, value, ttlMs),
      );
    },

    delete: (key) =>
      run(
        'delete',
        async () => {
          await client.del(prefix + key);
        },
        () => fallback.delete(key),
      ),

    async addToSet(key, member, ttlMs) {
      checkTtl(ttlMs);
      return run(
        'addToSet',
        async () => Number(await scripts.vigilAddToSet(prefix + key, member, Math.ceil(ttlMs))),
        () => fallback.addToSet(key, member, ttlMs),
      );
    },

    publish: (channel, message) =>
      run(
        'publish',
        async () => {
          // Comes back to this instance through the subscriber connection, like to every other;
          // while that connection is down, delivered here directly.
          await client.publish(prefix + channel, message);
          if (!subscriberUp) await fallback.publish(channel, message);
        },
        () => fallback.publish(channel, message),
      ),

    async subscribe(channel, handler) {
      const unsubscribeLocal = await fallback.subscribe(channel, handler);
      let entry = redisSubscriptions.get(channel);
      if (entry) {
        entry.count++;
      } else {
        const pending = subscriber.subscribe(prefix + channel);
        // Queued while Redis is away (ioredis sends it on reconnect); never rejects here.
        const ready = pending.then(
          () => undefined,
          (err: unknown) => log.debug({ err, channel }, 'Redis SUBSCRIBE failed'),
        );
        entry = { count: 1, ready };
        redisSubscriptions.set(channel, entry);
      }
      // Connected: return once Redis confirms, so a publish right after reaches this subscriber.
      if (subscriber.status === 'ready') await withTimeout(entry.ready, commandTimeoutMs);

      let done = false;
      return async () => {
        if (done) return;
        done = true;
        await unsubscribeLocal();
        const current = redisSubscriptions.get(channel);
        if (current && --current.count === 0) {
          redisSubscriptions.delete(channel);
          const pending = subscriber.unsubscribe(prefix + channel).catch((err: unknown) => log.debug({ err, channel }, 'Redis UNSUBSCRIBE failed'));
          // While Redis is away it stays queued (sent on reconnect): never wait for it then.
          if (subscriber.status === 'ready') await withTimeout(pending, commandTimeoutMs);
        }
      };
    },

    status: () => status,
    async ping() {
      if (client.status !== 'ready') throw new Error(`Redis is not connected (${client.status})`);
      await client.ping();
    },
    onStatusChange(listener) {
      listeners.push(listener);
    },

    async close() {
      if (closing) return;
      closing = true;
      await fallback.close();
      await Promise.all([quit(client), quit(subscriber)]);
    },
  };

  // Start: wait for the first connection (or its first failure) so the first requests do not
  // needlessly run on local state; then report where we stand, once.
  await withTimeout(
    Promise.all([
      client.connect().catch(() => undefined),
      subscriber.connect().catch(() => undefined),
    ]),
    options.startupTimeoutMs ?? 3000,
  );
  started = true;
  commandUp = client.status === 'ready';
  subscriberUp = subscriber.status === 'ready';
  status = commandUp && subscriberUp ? 'up' : 'degraded';
  if (status === 'up') log.info({ redis: where }, 'connected to Redis');
  else log.warn({ redis: where, err: lastError }, 'Redis unreachable at start: counters and pub/sub fall back to this instance until it answers');
  return kv;
}

/** Resolves when `promise` settles or after `ms`, whichever comes first; never rejects. */
async function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise.then(
      () => undefined,
      () => undefined,
    ),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
}

async function quit(connection: Redis): Promise<void> {
  if (connection.status === 'ready') {
    let quitted = false;
    await withTimeout(
      connection.quit().then(() => {
        quitted = true;
      }),
      1000,
    );
    if (quitted) return;
  }
  connection.disconnect();
}
