import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Principal } from '../auth/principal.js';
import type { RouteLimitName } from '../config/index.js';
import { AppError } from '../errors/index.js';
import type { SecurityEvents } from '../security-monitoring/events.js';
import type { Clock } from '../shared/clock.js';
import type { Protection } from './index.js';
import { RateLimitExceeded, rateLimitHeaders, type Layer, type LimitState } from './rate-limits.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's own stricter limit, or false for routes outside protection (health probes). */
    rateLimit?: RouteLimitName | false;
  }
  interface FastifyRequest {
    rateLimits: LimitState[] | undefined;
  }
}

/** Route limits keyed by the signed-in user rather than the client address. */
const PER_USER_ROUTES: ReadonlySet<RouteLimitName> = new Set(['password']);

/**
 * The protection edge: refuses blocked addresses, counts each request against the global, per-IP
 * and per-route limits (per-user ones once the guard knows the user), writes the limit headers on
 * every limited response, and feeds 401/403 answers to the detectors.
 */
export function protectionHooks(deps: { protection: Protection; events: SecurityEvents; clock: Clock }) {
  const { protection, events, clock } = deps;
  const enabled = protection.config.rateLimits.enabled;

  async function count(request: FastifyRequest, layer: Layer, key: string): Promise<void> {
    const now = clock.now();
    try {
      (request.rateLimits ??= []).push(await protection.rateLimits.consume(layer, key, now));
    } catch (e) {
      if (e instanceof RateLimitExceeded) {
        (request.rateLimits ??= []).push(e.state);
        events.emit('RATE_LIMITED', { ip: request.ip, request_id: request.id, user_id: userIdOf(request.principal) }, {
          policy: e.state.policy,
          limit: e.state.limit,
          window_seconds: e.state.windowSeconds,
          route: request.routeOptions.url ?? 'unmatched',
        });
      }
      throw e;
    }
  }

  const plugin = fp(async (app: FastifyInstance) => {
    app.decorateRequest('rateLimits', undefined);

    app.addHook('onRequest', async (request) => {
      const route = request.routeOptions.config?.rateLimit;
      if (route === false) return;
      const block = protection.ipBlocks.blockFor(request.ip);
      if (block) {
        const until = block.expires_at === null ? 'until lifted by an administrator' : `until ${new Date(block.expires_at).toISOString()}`;
        throw new AppError('ip_blocked', `Requests from this address are blocked ${until}`);
      }
      if (!enabled) return;
      await count(request, 'global', 'all');
      // Allowlisted addresses (monitoring, an office NAT) are not limited per address at all.
      if (protection.ipBlocks.isAllowlisted(request.ip)) return;
      await count(request, 'ip', protection.ipKey(request.ip));
      if (route && !PER_USER_ROUTES.has(route)) await count(request, route, protection.ipKey(request.ip));
    });

    app.addHook('onSend', async (request, reply) => {
      if (request.rateLimits) reply.headers(rateLimitHeaders(request.rateLimits, clock.now()));
    });

    app.addHook('onResponse', async (request, reply: FastifyReply) => {
      if (reply.statusCode === 401 || reply.statusCode === 403) protection.observe({ type: 'AUTH_ERROR', ip: request.ip, status: reply.statusCode });
    });
  });

  /** Runs after a guard authenticated the caller: the per-user layer and per-user route limits. */
  async function afterAuthentication(request: FastifyRequest, principal: Principal): Promise<void> {
    if (!enabled || request.routeOptions.config?.rateLimit === false) return;
    const who = principal.kind === 'user' ? principal.userId : `key:${principal.keyId ?? principal.name}`;
    await count(request, 'user', who);
    const route = request.routeOptions.config?.rateLimit;
    if (route && PER_USER_ROUTES.has(route)) await count(request, route, who);
  }

  return { plugin, afterAuthentication };
}

const userIdOf = (p: Principal | undefined) => (p?.kind === 'user' ? p.userId : undefined);
