/**
 * Shared state between instances: counters, keys with expiry, sets, and publish/subscribe.
 * In-memory by default (one instance); Redis when `REDIS_URL` is set (many instances).
 * Every operation is atomic in the store: counters never lose an increment under concurrency.
 */
export interface KeyValueStore {
  readonly kind: 'memory' | 'redis';
  /**
   * Adds `by` (default 1) to a counter and returns the new count and the milliseconds until it
   * expires. The increment that creates the counter sets its expiry to `ttlMs`; later ones keep it
   * (a fixed window that starts at the first hit).
   */
  increment(key: string, ttlMs: number, by?: number): Promise<{ count: number; ttlMs: number }>;
  get(key: string): Promise<string | undefined>;
  /** Sets a value, with an expiry when `ttlMs` is given. */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Adds a member to a set (its expiry is reset to `ttlMs`) and returns the set's size. */
  addToSet(key: string, member: string, ttlMs: number): Promise<number>;
  /** Delivers to every subscriber of the channel on every instance (this one included). */
  publish(channel: string, message: string): Promise<void>;
  /** Returns a function that unsubscribes. */
  subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>>;
  /**
   * `up`: the store answers. `degraded`: Redis is unreachable and this instance works on local
   * state until it returns (counters are per instance meanwhile, publishes reach this instance only).
   */
  status(): KvStatus;
  /**
   * One round trip to the store, for health checks: Redis answers PING (within its command
   * timeout), or this rejects; it never falls back to local state. In memory it always resolves.
   */
  ping(): Promise<void>;
  /** Called on each transition between `up` and `degraded`. */
  onStatusChange(listener: (status: KvStatus) => void): void;
  close(): Promise<void>;
}

export type KvStatus = 'up' | 'degraded';
