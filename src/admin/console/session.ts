import cookie from '@fastify/cookie';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { UserRepository } from '../../auth/ports.js';
import { contextOf } from '../../auth/routes.js';
import type { AuthService } from '../../auth/service.js';
import type { Config } from '../../config/index.js';
import { AppError } from '../../errors/index.js';
import { errorResponses } from '../../http/openapi.js';
import type { SecurityEvents } from '../../security-monitoring/events.js';
import type { IssuedTokens, TokenService } from '../../tokens/index.js';
import { checkConsoleCsrf } from './csrf.js';

/** The console's refresh-token cookie. */
export const CONSOLE_COOKIE = 'vigil_console_refresh';
/** The only path the browser sends the cookie to. */
export const CONSOLE_SESSION_PREFIX = '/api/v1/console';

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };
const BEARER = /^Bearer ([A-Za-z0-9\-_.~+/]+=*)$/i;

const ConsoleUser = Type.Object({ id: Type.String(), email: Type.String(), name: Type.Union([Type.String(), Type.Null()]), role: Type.String() });
const SessionResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'Seconds until the access token expires' }),
  user: ConsoleUser,
});
const ConsoleHeaders = Type.Object({ 'x-vigil-console': Type.Optional(Type.String({ description: 'Must be 1 (CSRF defence)' })) });

export interface ConsoleSessionDeps {
  auth: AuthService;
  tokens: TokenService;
  users: Pick<UserRepository, 'findById'>;
  events: SecurityEvents;
  config: Pick<Config, 'environment'> & { jwt: Pick<Config['jwt'], 'refreshTtlMs'> };
}

/**
 * `/api/v1/console`: the admin console's session. Same login and refresh paths as
 * `/api/v1/auth` (rate limits, lockout, security events), admins only, with the refresh token
 * kept in an httpOnly, SameSite=Strict cookie scoped to this prefix (Secure in production): the
 * console's JavaScript never sees it, and it never appears in a response body.
 */
export const consoleSessionRoutes: FastifyPluginAsyncTypebox<ConsoleSessionDeps> = async (app, deps) => {
  const { auth, tokens, users, events, config } = deps;
  // Encapsulated here: only these routes parse or set cookies.
  await app.register(cookie);
  // Before the body is parsed or validated: a forged request learns nothing but the refusal.
  app.addHook('onRequest', async (request) => checkConsoleCsrf(request));

  const cookieOptions = {
    path: CONSOLE_SESSION_PREFIX,
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: config.environment === 'production',
  };
  const setRefreshCookie = (reply: FastifyReply, token: string) =>
    reply.setCookie(CONSOLE_COOKIE, token, { ...cookieOptions, maxAge: Math.floor(config.jwt.refreshTtlMs / 1000) });
  const clearRefreshCookie = (reply: FastifyReply) => reply.clearCookie(CONSOLE_COOKIE, cookieOptions);

  /** The user behind freshly issued tokens; a non-admin's new session is revoked at once. */
  async function adminOf(issued: IssuedTokens) {
    const check = await tokens.verifyAccess(issued.access_token);
    if (!check.ok) throw new AppError('internal_error', `An access token just issued does not verify (${check.reason})`);
    const { claims } = check;
    const user = await users.findById(claims.sub);
    if (!user || !claims.roles.includes('admin') || user.role !== 'admin') {
      await tokens.revokeAccessToken(claims, 'console_not_admin');
      await tokens.revokeSession(claims.sid, 'console_not_admin');
      return undefined;
    }
    return { id: user.id, email: user.email, name: user.name, role: user.role };
  }

  async function answer(reply: FastifyReply, issued: IssuedTokens) {
    reply.headers(NO_STORE);
    const user = await adminOf(issued);
    if (!user) {
      clearRefreshCookie(reply);
      throw new AppError('forbidden', 'The console is for administrators only');
    }
    setRefreshCookie(reply, issued.refresh_token);
    return { access_token: issued.access_token, token_type: 'Bearer' as const, expires_in: issued.expires_in, user };
  }

  const tags = ['console'];

  app.post('/session', {
    config: { rateLimit: 'login' },
    schema: {
      tags, summary: 'Console sign-in (admins only): access token in the body, refresh token in an httpOnly cookie',
      headers: ConsoleHeaders,
      body: Type.Object({ email: Type.String({ minLength: 1, maxLength: 254 }), password: Type.String({ minLength: 1, maxLength: 1024 }) }, { additionalProperties: false }),
      response: { 200: SessionResponse, ...errorResponses(400, 401, 403, 429) },
    },
  }, async (request, reply) => answer(reply, await auth.login(request.body, contextOf(request))));

  app.post('/refresh', {
    config: { rateLimit: 'refresh' },
    schema: {
      tags, summary: 'New access token from the console cookie; the cookie is rotated', security: [{ consoleCookie: [] }],
      headers: ConsoleHeaders,
      response: { 200: SessionResponse, ...errorResponses(401, 403, 429) },
    },
  }, async (request, reply) => {
    reply.headers(NO_STORE);
    const token = request.cookies[CONSOLE_COOKIE];
    if (!token) throw new AppError('invalid_refresh_token', 'No console session: sign in');
    let issued: IssuedTokens;
    try {
      issued = await auth.refresh(token, contextOf(request));
    } catch (e) {
      // A spent, revoked or expired cookie is of no further use: the browser drops it.
      clearRefreshCookie(reply);
      throw e;
    }
    return answer(reply, issued);
  });

  app.post('/logout', {
    schema: {
      tags, summary: 'End the console session: revokes it (and the access token, when sent) and clears the cookie',
      security: [{ consoleCookie: [] }, { bearerAuth: [] }],
      headers: ConsoleHeaders,
      response: { 204: Type.Null(), ...errorResponses(403) },
    },
  }, async (request, reply) => {
    reply.headers(NO_STORE);
    clearRefreshCookie(reply);
    await logout(request);
    return reply.status(204).send(null);
  });

  /**
   * Revokes what the request carries: the access token's session (through AuthService.logout,
   * which records LOGOUT) and the cookie's session, when it is another one or the only proof.
   */
  async function logout(request: FastifyRequest): Promise<void> {
    let sid: string | undefined;
    const match = BEARER.exec(request.headers.authorization ?? '');
    const check = match ? await tokens.verifyAccess(match[1]!) : undefined;
    if (check?.ok) {
      const c = check.claims;
      await auth.logout({ kind: 'user', userId: c.sub, roles: c.roles, sid: c.sid, jti: c.jti, exp: c.exp }, contextOf(request));
      sid = c.sid;
    }
    const token = request.cookies[CONSOLE_COOKIE];
    const record = token ? await tokens.refresh.find(token) : undefined;
    if (record && record.family_id !== sid && record.revoked_at === null) {
      await tokens.revokeSession(record.family_id, 'logout');
      events.emit('LOGOUT', { ...contextOf(request), user_id: record.user_id }, { all: false, sessions: 1 });
    }
  }
};
