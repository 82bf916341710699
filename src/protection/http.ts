import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Principal } from '../auth/principal.js';
import type { RouteLimitName } from '../config/index.js';
import { AppError } from '../errors/index.js';
import type { SecurityEvents } from '../security-monitoring/events.js';
import type { Clock } from '../shared/clock.js';
import type { Protection } from './index.js';
import { rateLimitHeaders, type Counted, type LayerKey, type LimitState } from './rate-limits.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's own stricter limit, or false for routes outside protection (health probes). */
    rateLimit?: RouteLimitName | false;
  }
  interface FastifyRequest {
    rateLimits: LimitState[] | undefined;
    /** The user whose layer was counted before authentication (a token known to this instance). */
    userCounted: string | undefined;
  }
}

/** Route limits keyed by the signed-in user rather than the client address. */
const PER_USER_ROUTES: ReadonlySet<RouteLimitName> = new Set(['password']);

/**
 * The protection edge: refuses blocked addresses, counts each request against the global, per-IP
 * and per-route limits (per-user ones once the guard knows the user), writes the limit headers on
 * every limited response, and feeds 401/403 answers to the detectors.
 */
export function protectionHooks(deps: {
  protection: Protection;
  events: SecurityEvents;
  clock: Clock;
  /**
   * The user a guarded request's credentials name, if that is known before the guard runs (an
   * access token this instance has verified before, unexpired and not revoked). With a shared
   * store (Redis) their layer is then counted with the others, in the same round trip, and the
   * guard's turn counts only what is left. In memory a second count costs nothing to save.
   */
  knownUser?: (request: FastifyRequest) => string | undefined;
}) {
  const { protection, events, clock } = deps;
  const knownUser = protection.rateLimits.shared ? deps.knownUser : undefined;
  const enabled = protection.config.rateLimits.enabled;

  /**
   * Counts the request against each layer, all at once (over Redis: one script call, one round trip),
   * and records the states for the headers. A refusal is thrown, and recorded as a RATE_LIMITED
   * event. In memory this returns at once, without a promise.
   */
  function count(request: FastifyRequest, layers: LayerKey[]): void | Promise<void> {
    const counted = protection.rateLimits.consume(layers, clock.now());
    return counted instanceof Promise ? counted.then((c) => settle(request, c)) : settle(request, counted);
  }

  function settle(request: FastifyRequest, { states, refused }: Counted): void {
    (request.rateLimits ??= []).push(...states);
    if (!refused) return;
    events.emit('RATE_LIMITED', { ip: request.ip, request_id: request.id, user_id: userIdOf(request.principal) ?? request.userCounted }, {
      policy: refused.state.policy,
      limit: refused.state.limit,
      window_seconds: refused.state.windowSeconds,
      route: request.routeOptions.url ?? 'unmatched',
    });
    throw refused;
  }

  /** The edge's checks of one request: the address's block, then the global, per-IP and route limits. */
  function check(request: FastifyRequest): void | Promise<void> {
    const route = request.routeOptions.config?.rateLimit;
    if (route === false) return;
    const block = protection.ipBlocks.blockFor(request.ip);
    if (block) {
      const until = block.expires_at === null ? 'until lifted by an administrator' : `until ${new Date(block.expires_at).toISOString()}`;
      throw new AppError('ip_blocked', `Requests from this address are blocked ${until}`);
    }
    if (!enabled) return;
    const layers: LayerKey[] = [['global', 'all']];
    // Allowlisted addresses (monitoring, an office NAT) are not limited per address at all.
    if (!protection.ipBlocks.isAllowlisted(request.ip)) {
      const ipKey = protection.ipKey(request.ip);
      layers.push(['ip', ipKey]);
      if (route && !PER_USER_ROUTES.has(route)) layers.push([route, ipKey]);
    }
    const user = knownUser && request.routeOptions.config?.guarded ? knownUser(request) : undefined;
    if (user !== undefined) {
      layers.push(['user', user]);
      request.userCounted = user;
    }
    return count(request, layers);
  }

  const plugin = fp(async (app: FastifyInstance) => {
    app.decorateRequest('rateLimits', undefined);
    app.decorateRequest('userCounted', undefined);

    // A callback hook: in memory the checks finish without a promise.
    app.addHook('onRequest', (request, _reply, done) => {
      let pending: void | Promise<void>;
      try {
        pending = check(request);
      } catch (e) {
        return done(e as Error);
      }
      if (pending) pending.then(() => done(), done);
      else done();
    });

    app.addHook('onSend', (request, reply, payload, done) => {
      if (request.rateLimits) reply.headers(rateLimitHeaders(request.rateLimits, clock.now()));
      done(null, payload);
    });

    app.addHook('onResponse', (request, reply: FastifyReply, done) => {
      if (reply.statusCode === 401 || reply.statusCode === 403) protection.observe({ type: 'AUTH_ERROR', ip: request.ip, status: reply.statusCode });
      done();
    });
  });

  /** Runs after a guard authenticated the caller: the per-user layer and per-user route limits. */
  function afterAuthentication(request: FastifyRequest, principal: Principal): void | Promise<void> {
    if (!enabled || request.routeOptions.config?.rateLimit === false) return;
    const who = principal.kind === 'user' ? principal.userId : `key:${principal.keyId ?? principal.name}`;
    const route = request.routeOptions.config?.rateLimit;
    const layers: LayerKey[] = request.userCounted === who ? [] : [['user', who]];
    if (route && PER_USER_ROUTES.has(route)) layers.push([route, who]);
    return layers.length > 0 ? count(request, layers) : undefined;
  }

  return { plugin, afterAuthentication };
}

const userIdOf = (p: Principal | undefined) => (p?.kind === 'user' ? p.userId : undefined);
