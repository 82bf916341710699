import { createRequire } from 'node:module';
import type * as Rlf from 'rate-limiter-flexible';
import type { Config, RouteLimitName } from '../config/index.js';
import type { Rate } from '../config/parsers.js';
import { AppError } from '../errors/index.js';
import type { Logger } from '../observability/logger.js';

// The modules used, not the package index: it loads every store it supports (Mongo, MySQL,
// DynamoDB, etcd, …), 3 MiB of every process's memory for nothing. Typed by the package's own types.
const requireLib = createRequire(import.meta.url);
/**
 * The store RateLimiterMemory counts in (fixed windows, a key's window starting at its first
 * point), used directly: RateLimiterMemory wraps every call in a promise, and for counters that
 * are answered at once those promises made GET /me ~15% dearer. Not in the package's types, hence
 * the interface.
 */
const MemoryStorage = requireLib('rate-limiter-flexible/lib/component/MemoryStorage/MemoryStorage.js') as new () => {
  incrby(key: string, points: number, durationSec: number): RateLimiterRes;
};
type RateLimiterRes = Rlf.RateLimiterRes;

/** One limit a request was counted against, for the response headers. */
export interface LimitState {
  policy: string;
  limit: number;
  windowSeconds: number;
  remaining: number;
  /** Epoch ms when the window resets. */
  resetAt: number;
}

export type Layer = 'global' | 'ip' | 'user' | RouteLimitName;

/**
 * The layered limits (global, per IP, per user, per route), fixed windows. With Redis
 * every instance shares each counter; when Redis does not answer, in-memory insurance counters
 * with the same policy take over (per instance), and Redis is used again once it is back.
 */
export interface RateLimits {
  /**
   * Counts one request against each layer given. Every layer is charged even when another
   * refuses; the first refusal in the given order is the answer. In memory the count is made at
   * once (no promise); over Redis it is one script call, one round trip.
   */
  consume(layers: readonly LayerKey[], now: number): Counted | Promise<Counted>;
  policies(): Record<Layer, Rate>;
  /** True when the counters live in a store every instance shares (Redis): each `consume` is a round trip. */
  shared: boolean;
}

/** A layer and the key counted in it (the client address, the user, `all` for the global one). */
export type LayerKey = readonly [Layer, string];

/** Each layer's state after a count, and the refusal (`rate_limited`, with Retry-After) if one is over. */
export interface Counted {
  states: LimitState[];
  refused: RateLimitExceeded | undefined;
}

export class RateLimitExceeded extends AppError {
  constructor(readonly state: LimitState, now: number) {
    const retryAfter = Math.max(1, Math.ceil((state.resetAt - now) / 1000));
    super('rate_limited', `Rate limit "${state.policy}" of ${state.limit} requests per ${state.windowSeconds} s exceeded; retry in ${retryAfter} s`, {
      headers: { 'retry-after': String(retryAfter) },
      extensions: { policy: state.policy, retry_after: retryAfter },
    });
  }
}

export function createRateLimits(deps: { config: Config['protection']['rateLimits']; redis?: unknown; keyPrefix: string; logger: Logger }): RateLimits {
  const { config } = deps;
  const rates: Record<Layer, Rate> = { global: config.global, ip: config.ip, user: config.user, ...config.routes };
  const policies = new Map(
    (Object.entries(rates) as [Layer, Rate][]).map(([layer, rate]) => [layer, { points: rate.points, windowMs: rate.windowMs, seconds: Math.max(1, Math.round(rate.windowMs / 1000)) }]),
  );
  /** Adds one layer's count to a request's tally: its state, and a refusal if it is the first over its limit. */
  const tally = (into: Counted, layer: Layer, consumed: number, msBeforeNext: number, now: number): void => {
    const { points, seconds } = policies.get(layer)!;
    const state: LimitState = { policy: layer, limit: points, windowSeconds: seconds, remaining: Math.max(0, points - consumed), resetAt: now + msBeforeNext };
    into.states.push(state);
    if (consumed > points) into.refused ??= new RateLimitExceeded(state, now);
  };
  return {
    consume: deps.redis ? redisCounter(deps, policies, tally) : memoryCounter(policies, tally),
    policies: () => rates,
    shared: deps.redis !== undefined,
  };
}

interface Policy {
  points: number;
  windowMs: number;
  /** The window in whole seconds, as the limiters count it. */
  seconds: number;
}
type Tally = (into: Counted, layer: Layer, consumed: number, msBeforeNext: number, now: number) => void;

/** One process's counters, answered synchronously. */
function memoryCounter(policies: Map<Layer, Policy>, tally: Tally): (layers: readonly LayerKey[], now: number) => Counted {
  const stores = new Map([...policies.keys()].map((layer) => [layer, new MemoryStorage()]));
  return (counted, now) => {
    const into: Counted = { states: [], refused: undefined };
    for (const [layer, key] of counted) {
      const res = stores.get(layer)!.incrby(key, 1, policies.get(layer)!.seconds);
      tally(into, layer, res.consumedPoints, res.msBeforeNext, now);
    }
    return into;
  };
}

/**
 * Counts one point for each key in its window, all keys of a request in one script: for each,
 * the window starts with its first point (SET NX with the window's TTL), then INCRBY and PTTL;
 * a key that lost its TTL gets it back. The same steps as rate-limiter-flexible's RateLimiterRedis
 * script (so both count the same keys the same way), for every layer at once instead of one
 * script per layer. Answers consumed points and ms left, in pairs, in the order of the keys.
 */
const COUNT_LAYERS_LUA = `
local out = {}
for i, key in ipairs(KEYS) do
  local seconds = tonumber(ARGV[i])
  redis.call('set', key, 0, 'EX', seconds, 'NX')
  local consumed = redis.call('incrby', key, 1)
  local ttl = redis.call('pttl', key)
  if ttl == -1 then
    redis.call('expire', key, seconds)
    ttl = 1000 * seconds
  end
  out[2 * i - 1] = consumed
  out[2 * i] = ttl
end
return out
`;

/** The ioredis client with the script defined as a command (`defineCommand`: EVALSHA, EVAL if Redis lost the script). */
interface CountingClient {
  status: string;
  defineCommand(name: string, definition: { lua: string }): void;
  vigilCountLayers(keyCount: number, ...keysThenSeconds: (string | number)[]): Promise<number[]>;
}

/**
 * Counters shared by every instance through Redis: one script call per request, for all its
 * layers. While Redis is not connected, or a call fails, the request is counted in this process's
 * memory with the same policies (an insurance per instance), and Redis is used again by the next
 * request once it answers.
 */
function redisCounter(deps: { redis?: unknown; keyPrefix: string; logger: Logger }, policies: Map<Layer, Policy>, tally: Tally): RateLimits['consume'] {
  const redis = deps.redis as CountingClient;
  redis.defineCommand('vigilCountLayers', { lua: COUNT_LAYERS_LUA });
  const insurance = memoryCounter(policies, tally);
  let insured = false;
  const insure = (counted: readonly LayerKey[], now: number, error: unknown): Counted => {
    if (!insured) deps.logger.warn({ err: error }, 'rate limits counted in this process until Redis answers again');
    insured = true;
    return insurance(counted, now);
  };
  return async (counted, now) => {
    if (redis.status !== 'ready') return insure(counted, now, new Error(`Redis connection ${redis.status}`));
    let reply: number[];
    try {
      reply = await redis.vigilCountLayers(
        counted.length,
        ...counted.map(([layer, key]) => `${deps.keyPrefix}rl:${layer}:${key}`),
        ...counted.map(([layer]) => policies.get(layer)!.seconds),
      );
    } catch (e) {
      return insure(counted, now, e);
    }
    if (insured) deps.logger.info('rate limits counted in Redis again');
    insured = false;
    const into: Counted = { states: [], refused: undefined };
    counted.forEach(([layer], i) => tally(into, layer, reply[2 * i]!, reply[2 * i + 1]!, now));
    return into;
  };
}

/** The headers for the limits a request was counted against (seed 000's X-RateLimit-* and the IETF fields). */
export function rateLimitHeaders(states: LimitState[], now: number): Record<string, string> {
  // The binding limit is the one closest to running out.
  const binding = states.reduce((a, b) => (b.remaining < a.remaining || (b.remaining === a.remaining && b.limit < a.limit) ? b : a));
  const secondsLeft = (s: LimitState) => Math.max(0, Math.ceil((s.resetAt - now) / 1000));
  return {
    'x-ratelimit-limit': String(binding.limit),
    'x-ratelimit-remaining': String(binding.remaining),
    'x-ratelimit-reset': String(Math.ceil(binding.resetAt / 1000)),
    'ratelimit-policy': states.map((s) => `"${s.policy}";q=${s.limit};w=${s.windowSeconds}`).join(', '),
    ratelimit: `"${binding.policy}";r=${binding.remaining};t=${secondsLeft(binding)}`,
  };
}
