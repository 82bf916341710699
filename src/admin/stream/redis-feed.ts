import type { Redis } from 'ioredis';
import type { Logger } from '../../observability/logger.js';
import type { Clock } from '../../shared/clock.js';
import { fanOut, LIVE_KINDS, LIVE_RETAIN, type LiveFeed, type LiveKind, type LiveMessage } from './feed.js';
import { createMemoryFeed } from './memory-feed.js';

export interface RedisFeedOptions {
  /** The shared command connection (the key-value store's): XADD and XRANGE go through it. */
  client: Redis;
  /** The stream's key, `<REDIS_KEY_PREFIX>live`. */
  key: string;
  clock: Clock;
  logger: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
  /** Approximate length the stream is trimmed to (XADD MAXLEN ~). Default 10 000. */
  retain?: number;
  /** XADDs in flight at most; beyond it a publish is dropped (and logged). Default 1000. */
  maxInFlight?: number;
  /** How long one XREAD blocks (ms). Default 5000. */
  blockMs?: number;
}

const STREAM_ID = /^(\d{1,20})-(\d{1,20})$/;
const isKind = (k: unknown): k is LiveKind => typeof k === 'string' && (LIVE_KINDS as readonly string[]).includes(k);

/** Stream ids compare as (milliseconds, sequence). */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  return am === bm ? (as === bs ? 0 : as < bs ? -1 : 1) : am < bm ? -1 : 1;
}

/**
 * The live feed of many instances: a Redis Stream at `key`. Publishing is an XADD (trimmed to
 * about `retain` entries) on the shared command connection; one dedicated connection per instance
 * blocks in XREAD after the last id it delivered and hands each entry to this instance's
 * subscribers, so every instance delivers every message, in the stream's order, and a cursor (the
 * entry id) from one instance resumes on any other.
 *
 * While Redis is unreachable, publishes are delivered on this instance only, with cursors of a
 * local ring buffer (a client resuming with one after Redis is back gets a reset); the reader
 * retries every second and, once back, delivers what the stream received in the meantime.
 */
export function createRedisFeed(options: RedisFeedOptions): LiveFeed {
  const { client, key, logger } = options;
  const retain = options.retain ?? LIVE_RETAIN;
  const maxInFlight = options.maxInFlight ?? 1000;
  const blockMs = options.blockMs ?? 5000;
  const local = createMemoryFeed({ clock: options.clock, capacity: retain, onError: (err, what) => logger.error({ err }, what) });
  const handlers = new Set<(m: LiveMessage) => void>();
  const onHandlerError = (err: unknown) => logger.error({ err }, 'a live stream subscriber failed');
  const deliver = (m: LiveMessage) => {
    head = m.cursor;
    fanOut(handlers, m, onHandlerError);
  };
  local.subscribe(deliver);

  // The blocking reader: its own connection (a blocked XREAD holds it), queueing while Redis is away.
  const reader = client.duplicate({
    connectionName: 'vigil-live',
    enableAutoPipelining: false,
    enableOfflineQueue: true,
    maxRetriesPerRequest: null,
    // The XREAD in flight when the connection drops is sent again on reconnect (the key-value
    // store's connection sets this off; with no retry limit the command would then hang forever).
    autoResendUnfulfilledCommands: true,
    commandTimeout: undefined,
  });
  reader.on('error', (err: Error) => logger.debug({ err }, 'live stream reader connection error'));

  let head = '';
  let lastId: string | undefined;
  let inFlight = 0;
  let closed = false;
  let readerDown = false;
  let publishDown = false;
  let dropped = 0;
  // A command queued while Redis is away never settles after disconnect(): the loop races this.
  let stop: () => void = () => undefined;
  const stopped = new Promise<undefined>((resolve) => {
    stop = () => resolve(undefined);
  });
  const untilStopped = <T>(command: Promise<T>) => Promise.race([command, stopped]);

  const parse = (id: string, fields: string[]): LiveMessage | undefined => {
    const i = fields.indexOf('m');
    try {
      const body = JSON.parse(fields[i + 1] ?? '') as { kind?: unknown; at?: unknown; data?: unknown };
      if (i < 0 || !isKind(body.kind) || typeof body.at !== 'string') return undefined;
      return { cursor: id, kind: body.kind, at: body.at, data: body.data };
    } catch {
      return undefined;
    }
  };

  async function readLoop(): Promise<void> {
    while (!closed) {
      try {
        if (lastId === undefined) {
          // Start after the newest entry: what is already there was published before this instance.
          const newestEntries = await untilStopped(reader.xrevrange(key, '+', '-', 'COUNT', 1));
          if (closed || !newestEntries) return;
          const [newest] = newestEntries;
          lastId = newest?.[0] ?? '0-0';
          if (head === '') head = lastId;
        }
        const result = await untilStopped(reader.xread('COUNT', 1000, 'BLOCK', blockMs, 'STREAMS', key, lastId));
        if (closed) return;
        if (readerDown) {
          readerDown = false;
          logger.info('live stream reader reconnected to Redis: delivering from the stream again');
        }
        for (const [, entries] of result ?? []) {
          for (const [id, fields] of entries) {
            lastId = id;
            const message = parse(id, fields);
            if (message) deliver(message);
          }
        }
      } catch (err) {
        if (closed) return;
        if (!readerDown) {
          readerDown = true;
          logger.warn({ err }, 'live stream reader lost Redis: messages published elsewhere are delayed until it returns');
        }
        await untilStopped(new Promise((r) => setTimeout(r, 1000).unref()));
      }
    }
  }
  reader.connect().catch(() => undefined);
  const loop = readLoop();

  function publishLocally(kind: LiveKind, data: unknown, err?: unknown) {
    if (!publishDown) {
      publishDown = true;
      logger.warn({ err }, 'live stream cannot publish to Redis: messages reach this instance’s clients only until it returns');
    }
    local.publish(kind, data);
  }

  return {
    kind: 'redis',
    publish(kind, data) {
      if (closed) return;
      if (client.status !== 'ready') return publishLocally(kind, data);
      if (inFlight >= maxInFlight) {
        // Redis is slower than the publishers: drop rather than queue without bound.
        if (dropped++ % 1000 === 0) logger.error({ dropped }, 'live stream publish queue full: messages dropped');
        return;
      }
      inFlight++;
      const body = JSON.stringify({ kind, at: new Date(options.clock.now()).toISOString(), data });
      client.xadd(key, 'MAXLEN', '~', retain, '*', 'm', body).then(
        () => {
          if (publishDown) {
            publishDown = false;
            logger.info('live stream publishes to Redis again');
          }
        },
        (err: unknown) => publishLocally(kind, data, err),
      ).finally(() => inFlight--);
    },
    // Before the reader first reached Redis (it was down at start): the local buffer's start.
    head: async () => head || local.head(),
    async replay(cursor) {
      if (local.owns(cursor)) return readerDown || publishDown ? local.replay(cursor) : 'reset';
      if (!STREAM_ID.test(cursor) || client.status !== 'ready') return 'reset';
      try {
        // One transaction: nothing is trimmed between the check and the read.
        const replies = await client.multi().xinfo('STREAM', key).xrange(key, `(${cursor}`, '+', 'COUNT', retain * 2).exec();
        const [infoReply, rangeReply] = replies ?? [];
        if (infoReply?.[0]) return cursor === '0-0' ? [] : 'reset'; // no stream yet
        const info = infoReply?.[1] as unknown[];
        const field = (name: string) => info[info.indexOf(name) + 1];
        const last = String(field('last-generated-id') ?? '0-0');
        const first = (field('first-entry') as [string] | null)?.[0] ?? last;
        // Trimming does not move max-deleted-entry-id; what was added and what is left tells.
        const added = info.includes('entries-added') ? Number(field('entries-added')) : Number.POSITIVE_INFINITY;
        const trimmed = added > Number(field('length'));
        if (compareIds(cursor, last) > 0) return 'reset'; // not from this stream
        // Entries between the cursor and the oldest one kept may have been trimmed: the client must reload.
        if (trimmed && compareIds(cursor, first) < 0) return 'reset';
        if (rangeReply?.[0]) throw rangeReply[0];
        return ((rangeReply?.[1] ?? []) as [string, string[]][]).flatMap(([id, fields]) => parse(id, fields) ?? []);
      } catch (err) {
        logger.warn({ err }, 'live stream replay from Redis failed: the client gets a reset');
        return 'reset';
      }
    },
    subscribe(handler) {
      const own = (m: LiveMessage) => handler(m);
      handlers.add(own);
      return () => void handlers.delete(own);
    },
    async close() {
      closed = true;
      stop();
      reader.disconnect();
      await loop;
      await local.close();
      handlers.clear();
    },
  };
}
