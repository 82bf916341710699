import { createRequire } from 'node:module';
import type * as Rlf from 'rate-limiter-flexible';
import type { Config, RouteLimitName } from '../config/index.js';
import type { Rate } from '../config/parsers.js';
import { AppError } from '../errors/index.js';
import type { Logger } from '../observability/logger.js';

// The three classes used, not the package index: it loads every store it supports (Mongo, MySQL,
// DynamoDB, etcd, …), 3 MiB of every process's memory for nothing. Typed by the package's own types.
const requireLib = createRequire(import.meta.url);
const RateLimiterMemory = requireLib('rate-limiter-flexible/lib/RateLimiterMemory.js') as typeof Rlf.RateLimiterMemory;
const RateLimiterRedis = requireLib('rate-limiter-flexible/lib/RateLimiterRedis.js') as typeof Rlf.RateLimiterRedis;
const RateLimiterRes = requireLib('rate-limiter-flexible/lib/RateLimiterRes.js') as typeof Rlf.RateLimiterRes;
type RateLimiterRes = Rlf.RateLimiterRes;
type RateLimiterAbstract = Rlf.RateLimiterAbstract;

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
 * The layered limits (global, per IP, per user, per route), on rate-limiter-flexible. With Redis
 * every instance shares each counter; when Redis does not answer, an in-memory insurance limiter
 * with the same policy takes over (per instance), and Redis is used again once it is back.
 */
export interface RateLimits {
  /** Counts one request against a layer; throws `rate_limited` (with Retry-After) when over. */
  consume(layer: Layer, key: string, now: number): Promise<LimitState>;
  policies(): Record<Layer, Rate>;
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
  const rate = (layer: Layer): Rate => rates[layer];
  let insuranceInUse = false;

  const make = (layer: Layer, rate: Rate): RateLimiterAbstract => {
    const options = { keyPrefix: `rl:${layer}`, points: rate.points, duration: Math.max(1, Math.round(rate.windowMs / 1000)) };
    if (!deps.redis) return new RateLimiterMemory(options);
    return new RateLimiterRedis({
      ...options,
      keyPrefix: `${deps.keyPrefix}rl:${layer}`,
      storeClient: deps.redis,
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory(options),
    });
  };
  const limiters = new Map<Layer, RateLimiterAbstract>(Object.entries(rates).map(([layer, r]) => [layer as Layer, make(layer as Layer, r)]));
  const limiter = (layer: Layer) => limiters.get(layer)!;

  const stateOf = (layer: Layer, res: RateLimiterRes, now: number): LimitState => ({
    policy: layer,
    limit: rate(layer).points,
    windowSeconds: Math.max(1, Math.round(rate(layer).windowMs / 1000)),
    remaining: Math.max(0, res.remainingPoints),
    resetAt: now + res.msBeforeNext,
  });

  return {
    async consume(layer, key, now) {
      try {
        return stateOf(layer, await limiter(layer).consume(key), now);
      } catch (e) {
        if (e instanceof RateLimiterRes) throw new RateLimitExceeded(stateOf(layer, e, now), now);
        // Only without an insurance limiter can the store's error reach here; fail open, once logged.
        if (!insuranceInUse) deps.logger.error({ err: e, layer }, 'rate limiter store failed; request let through');
        insuranceInUse = true;
        const { points, windowMs } = rate(layer);
        return { policy: layer, limit: points, windowSeconds: Math.max(1, Math.round(windowMs / 1000)), remaining: points, resetAt: now + windowMs };
      }
    },
    policies: () => rates,
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
