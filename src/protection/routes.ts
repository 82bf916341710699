import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal.js';
import type { UserRepository } from '../auth/ports.js';
import { AppError } from '../errors/index.js';
import type { Guards } from '../http/auth-guard.js';
import { errorResponses } from '../http/openapi.js';
import { parseDuration } from '../shared/duration.js';
import type { TokenService } from '../tokens/index.js';
import type { Protection } from './index.js';
import type { IpBlockRecord } from './ports.js';
import { Nullable } from '../http/nullable.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const blockView = (b: IpBlockRecord) => ({
  id: b.id, target: b.target, reason: b.reason, source: b.source, offence: b.offence,
  created_at: new Date(b.created_at).toISOString(), expires_at: iso(b.expires_at), created_by: b.created_by,
});
const BlockView = Type.Object({
  id: Type.String(), target: Type.String(), reason: Type.String(), source: Type.String(), offence: Type.Integer(),
  created_at: Type.String({ format: 'date-time' }), expires_at: Nullable(Type.String({ format: 'date-time' })), created_by: Nullable(Type.String()),
});
const EmergencyView = Type.Object({
  enabled: Type.Boolean(), source: Nullable(Type.String()), since: Nullable(Type.String({ format: 'date-time' })),
  by: Nullable(Type.String()), access_token_ttl_seconds: Type.Integer(),
});

/** Who did it, for ADMIN_ACTION events: the admin's user id or the API key's name. */
export const actorOf = (p: Principal | undefined): string => (p?.kind === 'user' ? `user:${p.userId}` : p ? `api_key:${p.name}` : 'unknown');
const ctxOf = (r: FastifyRequest) => ({ ip: r.ip, request_id: r.id, user_id: r.principal?.kind === 'user' ? r.principal.userId : undefined });

/** `/api/v1/admin`: IP blocks, locked accounts, emergency mode. Registered inside the admin scope. */
export const protectionAdminRoutes: FastifyPluginAsyncTypebox<{ protection: Protection; users: Pick<UserRepository, 'findById'>; tokens: TokenService; guards: Guards }> = async (
  app,
  { protection, users, tokens, guards },
) => {
  app.addHook('onRequest', guards.admin);
  const tags = ['admin'];
  const security: Record<string, string[]>[] = [{ bearerAuth: [] }, { apiKey: [] }];

  app.get('/ip-blocks', {
    schema: { tags, summary: 'IP blocks in force', security, response: { 200: Type.Object({ blocks: Type.Array(BlockView) }), ...errorResponses(401, 403) } },
  }, async () => ({ blocks: (await protection.ipBlocks.listActive()).map(blockView) }));

  app.post('/ip-blocks', {
    schema: {
      tags, summary: 'Block an IP address or CIDR range', security,
      body: Type.Object({
        target: Type.String({ minLength: 1, maxLength: 64, description: 'IP address or CIDR range' }),
        duration: Type.Optional(Type.Union([Type.String({ maxLength: 16, description: 'e.g. 24h, 7d' }), Type.Null()], { description: 'null: until lifted by hand; omitted: IP_BLOCK_DURATION' })),
        reason: Type.String({ minLength: 1, maxLength: 500, pattern: '^[^\\u0000-\\u001f\\u007f]*$' }),
      }, { additionalProperties: false }),
      response: { 201: BlockView, ...errorResponses(400, 401, 403, 409) },
    },
  }, async (request, reply) => {
    const { target, duration, reason } = request.body;
    // A manual block lasts what it says: a duration, null for "until lifted", or IP_BLOCK_DURATION.
    let durationMs: number | null | undefined = protection.config.ipBlocks.durationMs;
    if (duration === null) durationMs = null;
    else if (duration !== undefined) {
      durationMs = parseDuration(duration);
      if (durationMs === undefined) throw new AppError('validation_failed', 'duration must look like 30m, 24h or 7d', { errors: [{ pointer: '/duration', detail: 'must be a duration such as 30m, 24h or 7d' }] });
    }
    const block = await protection.ipBlocks.block({ target, durationMs, reason, source: 'manual', actor: actorOf(request.principal) }, ctxOf(request));
    return reply.status(201).send(blockView(block));
  });

  app.delete('/ip-blocks/:target', {
    schema: {
      tags, summary: 'Lift the blocks of an IP or range (URL-encode the slash of a CIDR: 10.0.0.0%2F8)', security,
      params: Type.Object({ target: Type.String({ minLength: 1, maxLength: 64 }) }),
      response: { 200: Type.Object({ lifted: Type.Integer() }), ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => {
    const lifted = await protection.ipBlocks.unblock(request.params.target, ctxOf(request), actorOf(request.principal));
    if (lifted === 0) throw new AppError('not_found', `No active block for ${request.params.target}`);
    await protection.detectors.forget(protection.ipKey(request.params.target.split('/')[0]!));
    return { lifted };
  });

  app.get('/locked-accounts', {
    schema: {
      tags, summary: 'Accounts locked after repeated failed logins', security,
      response: { 200: Type.Object({ accounts: Type.Array(Type.Object({ user_id: Type.String(), email: Type.String(), locked_until: Type.String({ format: 'date-time' }) })) }), ...errorResponses(401, 403) },
    },
  }, async () => ({
    accounts: (await protection.lockout.listLocked()).map((a) => ({ user_id: a.id, email: a.email, locked_until: new Date(a.locked_until!).toISOString() })),
  }));

  app.delete('/locked-accounts/:user_id', {
    schema: {
      tags, summary: 'Unlock an account', security,
      params: Type.Object({ user_id: Type.String({ minLength: 1, maxLength: 64 }) }),
      response: { 200: Type.Object({ unlocked: Type.Boolean() }), ...errorResponses(401, 403, 404) },
    },
  }, async (request) => {
    const user = await users.findById(request.params.user_id);
    if (!user) throw new AppError('not_found', 'No such user');
    return { unlocked: await protection.lockout.unlock(user, ctxOf(request), actorOf(request.principal)) };
  });

  app.get('/emergency', {
    schema: { tags, summary: 'Emergency auth mode state', security, response: { 200: EmergencyView, ...errorResponses(401, 403) } },
  }, async () => emergencyView(protection));

  app.put('/emergency', {
    schema: {
      tags, summary: 'Switch emergency auth mode (registration closed, admins only, short access tokens)', security,
      body: Type.Object({
        enabled: Type.Boolean(),
        revoke_sessions: Type.Optional(Type.Boolean({ description: 'Also revoke every refresh token but the caller\'s own session' })),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ ...EmergencyView.properties, sessions_revoked: Type.Integer() }), ...errorResponses(400, 401, 403, 409) },
    },
  }, async (request) => {
    const p = request.principal;
    const sessionsRevoked = request.body.enabled && request.body.revoke_sessions ? await tokens.revokeAllSessions('emergency_mode', p?.kind === 'user' ? p.sid : undefined) : 0;
    await protection.emergency.set(request.body.enabled, { source: 'admin_api', actor: actorOf(p), ...(request.body.revoke_sessions ? { sessionsRevoked } : {}) }, ctxOf(request));
    return { ...emergencyView(protection), sessions_revoked: sessionsRevoked };
  });
};

function emergencyView(protection: Protection) {
  const s = protection.emergency.state();
  return { enabled: s.enabled, source: s.source, since: iso(s.since), by: s.by, access_token_ttl_seconds: s.access_token_ttl_seconds };
}
