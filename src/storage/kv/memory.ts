import type { Clock } from '../../shared/clock.js';
import type { KeyValueStore, KvStatus } from './ports.js';

/** How often expired keys are swept (they are also dropped lazily when read). */
const DEFAULT_SWEEP_INTERVAL_MS = 30_000;

type Entry =
  | { kind: 'string'; value: string; expiresAt: number | undefined }
  | { kind: 'set'; members: Set<string>; expiresAt: number | undefined };

/** The in-process store: the default for one instance, and the Redis adapter's fallback. */
export interface MemoryKv extends KeyValueStore {
  readonly kind: 'memory';
  /** Forgets every key (the Redis adapter drops its fallback state once Redis is back). */
  clear(): void;
}

/**
 * A key-value store in this process's memory. Expiries are computed from the injected clock (so
 * tests can freeze and move time): expired keys are dropped when touched and by a periodic sweep.
 * Publish delivers asynchronously (as Redis does), to the subscribers present when it was called.
 * Its status is always `up`.
 */
export function createMemoryKv(
  clock: Clock,
  options: { sweepIntervalMs?: number; onHandlerError?: (err: unknown, channel: string) => void } = {},
): MemoryKv {
  const entries = new Map<string, Entry>();
  const channels = new Map<string, Set<(message: string) => void>>();
  let closed = false;

  const sweep = () => {
    const now = clock.now();
    for (const [key, e] of entries) if (e.expiresAt !== undefined && e.expiresAt <= now) entries.delete(key);
  };
  const timer = setInterval(sweep, options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS);
  timer.unref();

  /** The entry if it exists and has not expired (an expired one is removed). */
  const live = (key: string, now: number): Entry | undefined => {
    const e = entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt !== undefined && e.expiresAt <= now) {
      entries.delete(key);
      return undefined;
    }
    return e;
  };

  return {
    kind: 'memory',

    async increment(key, ttlMs, by = 1) {
      checkIncrement(ttlMs, by);
      const now = clock.now();
      const e = live(key, now);
      if (e && e.kind !== 'string') throw wrongType();
      const current = e ? Number(e.value) : 0;
      if (!Number.isSafeInteger(current)) throw new Error('ERR value is not an integer or out of range');
      const count = current + by;
      // The increment that creates the counter (or finds it without an expiry) starts the window.
      const expiresAt = e?.expiresAt ?? now + Math.ceil(ttlMs);
      entries.set(key, { kind: 'string', value: String(count), expiresAt });
      return { count, ttlMs: expiresAt - now };
    },

    async get(key) {
      const e = live(key, clock.now());
      if (e && e.kind !== 'string') throw wrongType();
      return e?.value;
    },

    async set(key, value, ttlMs) {
      if (ttlMs !== undefined) checkTtl(ttlMs);
      entries.set(key, { kind: 'string', value, expiresAt: ttlMs === undefined ? undefined : clock.now() + Math.ceil(ttlMs) });
    },

    async delete(key) {
      entries.delete(key);
    },

    async addToSet(key, member, ttlMs) {
      checkTtl(ttlMs);
      const now = clock.now();
      let e = live(key, now);
      if (e && e.kind !== 'set') throw wrongType();
      if (!e) {
        e = { kind: 'set', members: new Set(), expiresAt: undefined };
        entries.set(key, e);
      }
      e.members.add(member);
      e.expiresAt = now + Math.ceil(ttlMs);
      return e.members.size;
    },

    async publish(channel, message) {
      const handlers = channels.get(channel);
      if (!handlers || handlers.size === 0) return;
      // Snapshot: a subscriber added after the publish does not get it; one removed before delivery does not either.
      for (const handler of [...handlers]) {
        setImmediate(() => {
          if (!channels.get(channel)?.has(handler)) return;
          try {
            handler(message);
          } catch (err) {
            options.onHandlerError?.(err, channel);
          }
        });
      }
    },

    async subscribe(channel, handler) {
      // A wrapper per subscription: the same function subscribed twice is two subscriptions.
      const subscription = (message: string) => handler(message);
      let handlers = channels.get(channel);
      if (!handlers) {
        handlers = new Set();
        channels.set(channel, handlers);
      }
      handlers.add(subscription);
      return async () => {
        const current = channels.get(channel);
        current?.delete(subscription);
        if (current?.size === 0) channels.delete(channel);
      };
    },

    status: (): KvStatus => 'up',
    async ping() {},
    onStatusChange() {
      // Never changes.
    },

    clear() {
      entries.clear();
    },

    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      entries.clear();
      channels.clear();
    },
  };
}

const wrongType = () => new Error('WRONGTYPE Operation against a key holding the wrong kind of value');

/** Expiries are positive milliseconds (fractions are rounded up). */
export function checkTtl(ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`ttlMs must be a positive number of milliseconds, got ${ttlMs}`);
}

/** Shared by both adapters: Redis would reject these with a less helpful error. */
export function checkIncrement(ttlMs: number, by: number): void {
  checkTtl(ttlMs);
  if (!Number.isSafeInteger(by)) throw new RangeError(`by must be an integer, got ${by}`);
}
