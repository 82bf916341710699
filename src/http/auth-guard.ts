import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { ApiKeyService } from '../auth/api-keys.js';
import { isAdmin, type Principal } from '../auth/principal.js';
import { AppError } from '../errors/index.js';
import type { TokenService } from '../tokens/index.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
  interface FastifyContextConfig {
    /** Set on routes behind one of the guards (`markGuardedRoutes`). */
    guarded?: boolean;
  }
}

export type UserPrincipal = Extract<Principal, { kind: 'user' }>;

const BEARER = /^Bearer ([A-Za-z0-9\-_.~+/]+=*)$/i;

export interface Guards {
  /** An access token of a signed-in user. */
  user: preHandlerAsyncHookHandler;
  /** An admin user or an admin API key. */
  admin: preHandlerAsyncHookHandler;
  /** Any valid API key, or an admin user (introspection by resource servers). */
  apiKeyOrAdmin: preHandlerAsyncHookHandler;
}

/** The token of an `Authorization: Bearer` header; undefined when there is none or it is malformed. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  return authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
}

/** The signed-in user of a request guarded by `guards.user`. */
export function userOf(request: FastifyRequest): UserPrincipal {
  const p = request.principal;
  if (p?.kind !== 'user') throw new AppError('unauthenticated');
  return p;
}

export function createGuards(deps: {
  tokens: TokenService;
  apiKeys: ApiKeyService;
  /** Runs once the caller is known (per-user rate limits). */
  afterAuthentication?: (request: FastifyRequest, principal: Principal) => void | Promise<void>;
}): Guards {
  const challenge = (reply: FastifyReply, error?: string) =>
    reply.header('www-authenticate', error ? `Bearer realm="vigil", error="${error}"` : 'Bearer realm="vigil"');

  async function authenticate(request: FastifyRequest, reply: FastifyReply, allowApiKey: boolean): Promise<Principal> {
    if (request.headers.authorization !== undefined) {
      const token = bearerToken(request);
      const check = token === undefined ? undefined : await deps.tokens.verifyAccess(token);
      if (!check?.ok) {
        challenge(reply, 'invalid_token');
        throw new AppError('invalid_token', 'The access token is invalid, expired or revoked');
      }
      const c = check.claims;
      return { kind: 'user', userId: c.sub, roles: c.roles, sid: c.sid, jti: c.jti, exp: c.exp };
    }
    const key = request.headers['x-api-key'];
    if (allowApiKey && typeof key === 'string') {
      const check = await deps.apiKeys.authenticate(key, { ip: request.ip, request_id: request.id });
      if (!check.ok) throw new AppError('invalid_api_key', 'The API key is invalid, expired or revoked');
      return check.principal;
    }
    challenge(reply);
    throw new AppError('unauthenticated', allowApiKey ? 'Send an access token (Authorization: Bearer) or an API key (X-API-Key)' : 'Send an access token: Authorization: Bearer <token>');
  }

  return {
    async user(request, reply) {
      request.principal = await authenticate(request, reply, false);
      await deps.afterAuthentication?.(request, request.principal);
    },
    async admin(request, reply) {
      request.principal = await authenticate(request, reply, true);
      await deps.afterAuthentication?.(request, request.principal);
      if (!isAdmin(request.principal)) throw new AppError('forbidden', 'This needs the admin role or an admin API key');
    },
    async apiKeyOrAdmin(request, reply) {
      request.principal = await authenticate(request, reply, true);
      await deps.afterAuthentication?.(request, request.principal);
      if (request.principal.kind === 'user' && !isAdmin(request.principal)) throw new AppError('forbidden', 'Introspection needs an API key or the admin role');
    },
  };
}

/**
 * Marks every route registered from now on whose preHandler is one of the guards with
 * `config.guarded`, so hooks that run before the guard (the rate limits) know a caller will be
 * authenticated there. Call before registering the routes.
 */
export function markGuardedRoutes(app: FastifyInstance, guards: Guards): void {
  const guardHooks = new Set<unknown>([guards.user, guards.admin, guards.apiKeyOrAdmin]);
  app.addHook('onRoute', (route) => {
    const hooks = Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler];
    if (hooks.some((h) => guardHooks.has(h))) route.config = { ...route.config, guarded: true };
  });
}
