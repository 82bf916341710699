import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Guards } from '../http/auth-guard.js';
import { errorResponses } from '../http/openapi.js';
import type { SessionAdmin } from './sessions.js';
import { actingOf, security, sessionView, SessionView, tags } from './schemas.js';

/** `/api/v1/admin/sessions…`: the active sessions (refresh token families), and revoking one. */
export const sessionAdminRoutes: FastifyPluginAsyncTypebox<{ sessions: SessionAdmin; guards: Guards }> = async (app, { sessions, guards }) => {
  app.addHook('onRequest', guards.admin);

  app.get('/sessions', {
    schema: {
      tags, summary: 'Active sessions, the most recently refreshed first', security,
      querystring: Type.Object({
        user_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'only this user\'s sessions' })),
        limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ sessions: Type.Array(SessionView) }), ...errorResponses(400, 401, 403) },
    },
  }, async (request) => ({ sessions: (await sessions.list({ userId: request.query.user_id, limit: request.query.limit })).map(sessionView) }));

  app.delete('/sessions/:sid', {
    schema: {
      tags, summary: 'Revoke a session: its refresh token, and its access tokens within about a second on every instance', security,
      params: Type.Object({ sid: Type.String({ minLength: 1, maxLength: 64 }) }),
      response: { 200: Type.Object({ revoked: Type.Literal(true), session: SessionView }), ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => ({ revoked: true as const, session: sessionView(await sessions.revoke(request.params.sid, actingOf(request))) }));
};
