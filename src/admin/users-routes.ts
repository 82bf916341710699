import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Guards } from '../http/auth-guard.js';
import { errorResponses } from '../http/openapi.js';
import type { Clock } from '../shared/clock.js';
import type { UserAdmin } from './users.js';
import { actingOf, invalidField, security, sessionView, SessionView, tags, UserId, userView, UserView } from './schemas.js';

const CURSOR = /^[A-Za-z0-9_-]{1,700}$/;
/** Keyset paging by email, opaque to clients. */
const encodeCursor = (email: string) => Buffer.from(`u1:${email}`, 'utf8').toString('base64url');
function decodeCursor(cursor: string): string | undefined {
  if (!CURSOR.test(cursor)) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  return text.startsWith('u1:') && encodeCursor(text.slice(3)) === cursor ? text.slice(3) : undefined;
}

const Changed = Type.Object({ user: UserView, sessions_revoked: Type.Integer() });

/**
 * `/api/v1/admin/users…`: search, one user with its sessions, disable/enable, unlock, revoke
 * sessions, change role, delete with erasure. Every change is an ADMIN_ACTION naming the actor.
 */
export const userAdminRoutes: FastifyPluginAsyncTypebox<{ users: UserAdmin; clock: Clock; guards: Guards }> = async (app, { users, clock, guards }) => {
  app.addHook('onRequest', guards.admin);
  // A POST without a body is an empty one; a JSON `null` or anything else is refused by the schema.
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined && request.method === 'POST') request.body = {};
  });
  const NoBody = Type.Object({}, { additionalProperties: false });

  app.get('/users', {
    schema: {
      tags, summary: 'Search users by email or name, ordered by email, a page at a time', security,
      querystring: Type.Object({
        q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'part of the email or name, case-insensitive' })),
        role: Type.Optional(Type.Union([Type.Literal('user'), Type.Literal('admin')])),
        status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('disabled'), Type.Literal('locked')], { description: 'active: neither disabled nor locked' })),
        limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
        cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 700, description: 'the `next_cursor` of the previous page' })),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ users: Type.Array(UserView), next_cursor: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses(400, 401, 403) },
    },
  }, async (request) => {
    const { q, role, status, limit, cursor } = request.query;
    const afterEmail = cursor === undefined ? undefined : decodeCursor(cursor);
    if (cursor !== undefined && afterEmail === undefined) throw invalidField('cursor', 'is not a cursor this API handed out');
    const page = await users.search({ q, role, status, afterEmail, limit: limit + 1 });
    const shown = page.slice(0, limit);
    const now = clock.now();
    return { users: shown.map((u) => userView(u, now)), next_cursor: page.length > limit ? encodeCursor(shown[shown.length - 1]!.email) : null };
  });

  app.get('/users/:id', {
    schema: { tags, summary: 'A user with its active sessions', security, params: UserId, response: { 200: Type.Object({ ...UserView.properties, sessions: Type.Array(SessionView) }), ...errorResponses(400, 401, 403, 404) } },
  }, async (request) => {
    const { user, sessions } = await users.get(request.params.id);
    return { ...userView(user, clock.now()), sessions: sessions.map(sessionView) };
  });

  app.post('/users/:id/disable', {
    schema: {
      tags, summary: 'Disable an account: sign-in and refresh refused, every session revoked', security, params: UserId, body: NoBody,
      description: '409 for the caller\'s own account and for the last active administrator.',
      response: { 200: Changed, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (request) => {
    const { user, sessions_revoked } = await users.disable(request.params.id, actingOf(request));
    return { user: userView(user, clock.now()), sessions_revoked };
  });

  app.post('/users/:id/enable', {
    schema: { tags, summary: 'Enable a disabled account', security, params: UserId, body: NoBody, response: { 200: UserView, ...errorResponses(400, 401, 403, 404) } },
  }, async (request) => userView(await users.enable(request.params.id, actingOf(request)), clock.now()));

  app.post('/users/:id/unlock', {
    schema: {
      tags, summary: 'End a lockout and clear the failure count', security, params: UserId, body: NoBody,
      response: { 200: Type.Object({ unlocked: Type.Boolean({ description: 'false when the account was not locked (nothing recorded)' }) }), ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => ({ unlocked: await users.unlock(request.params.id, actingOf(request)) }));

  app.post('/users/:id/revoke-sessions', {
    schema: { tags, summary: 'Revoke every session of a user (its access tokens stop working within about a second)', security, params: UserId, body: NoBody, response: { 200: Type.Object({ revoked: Type.Integer() }), ...errorResponses(400, 401, 403, 404) } },
  }, async (request) => ({ revoked: await users.revokeSessions(request.params.id, actingOf(request)) }));

  app.put('/users/:id/role', {
    schema: {
      tags, summary: 'Change a user\'s role; a demotion revokes its sessions (access tokens carry the role)', security, params: UserId,
      description: '409 for demoting the caller\'s own account and for the last active administrator.',
      body: Type.Object({ role: Type.Union([Type.Literal('user'), Type.Literal('admin')]) }, { additionalProperties: false }),
      response: { 200: Changed, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (request) => {
    const { user, sessions_revoked } = await users.setRole(request.params.id, request.body.role, actingOf(request));
    return { user: userView(user, clock.now()), sessions_revoked };
  });

  app.delete('/users/:id', {
    schema: {
      tags, summary: 'Delete a user and erase its personal data from the security events', security, params: UserId,
      description: 'The account and its tokens go; its security events stay (type, time, severity) with the user id replaced by a pseudonym, the IP removed and email, name and other personal fields stripped from the details (docs/operations.md, "Deleting a user"). 409 for the caller\'s own account and for the last active administrator.',
      response: { 200: Type.Object({ deleted: Type.Literal(true), events_erased: Type.Integer(), pseudonym: Type.String({ description: 'what the erased events now carry as user id' }) }), ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (request) => {
    const { events_erased, pseudonym } = await users.delete(request.params.id, actingOf(request));
    return { deleted: true as const, events_erased, pseudonym };
  });

};
