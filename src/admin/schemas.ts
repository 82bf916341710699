import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { ApiKeyRecord } from '../auth/ports.js';
import { AppError } from '../errors/index.js';
import { Nullable } from '../http/nullable.js';
import { actorOf } from '../protection/routes.js';
import type { ActiveSession } from '../tokens/ports.js';
import type { Acting, UserWithSessions } from './users.js';

/** Schemas and views shared by the admin API's account, session and API-key routes. */

export const security: Record<string, string[]>[] = [{ bearerAuth: [] }, { apiKey: [] }];
export const tags = ['admin'];

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const Time = Type.String({ format: 'date-time' });
const MaybeTime = Nullable(Type.String({ format: 'date-time' }));

/** Who is acting, for ADMIN_ACTION: the principal the admin guard found, and the request. */
export function actingOf(request: FastifyRequest): Acting {
  const p = request.principal;
  const selfId = p?.kind === 'user' ? p.userId : undefined;
  return { actor: actorOf(p), selfId, ctx: { ip: request.ip, request_id: request.id, user_id: selfId } };
}

export const invalidField = (field: string, detail: string) => new AppError('validation_failed', `/${field} ${detail}`, { errors: [{ pointer: `/${field}`, detail }] });

export const UserId = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, description: 'user id' }) });

export const UserView = Type.Object({
  id: Type.String(), email: Type.String(), name: Nullable(Type.String()), role: Type.String({ enum: ['user', 'admin'] }),
  created_at: Time, last_login_at: MaybeTime, disabled_at: MaybeTime,
  locked_until: Nullable(Type.String({ format: 'date-time', description: 'end of a lock in force; null when not locked' })),
  active_sessions: Type.Integer({ description: 'sessions with a live refresh token' }),
});

export const userView = (u: UserWithSessions, now: number) => ({
  id: u.id, email: u.email, name: u.name, role: u.role, created_at: iso(u.created_at)!, last_login_at: iso(u.last_login_at),
  disabled_at: iso(u.disabled_at), locked_until: u.locked_until !== null && u.locked_until > now ? iso(u.locked_until) : null, active_sessions: u.active_sessions,
});

export const SessionView = Type.Object({
  sid: Type.String({ description: 'the session (refresh token family) id; access tokens carry it as `sid`' }),
  user_id: Type.String(),
  created_at: Type.String({ format: 'date-time', description: 'sign-in time' }),
  last_rotated_at: Nullable(Type.String({ format: 'date-time', description: 'last refresh; null before the first' })),
  expires_at: Time,
  ip: Nullable(Type.String({ description: 'client of the latest sign-in or refresh' })),
  user_agent: Nullable(Type.String()),
});

export const sessionView = (s: ActiveSession) => ({
  sid: s.sid, user_id: s.user_id, created_at: iso(s.created_at)!, last_rotated_at: iso(s.last_rotated_at), expires_at: iso(s.expires_at)!, ip: s.ip, user_agent: s.user_agent,
});

export const ApiKeyView = Type.Object({
  id: Type.String(), name: Type.String(), prefix: Type.String({ description: 'the first 12 characters of the key, to recognise it' }),
  scope: Type.String({ enum: ['public', 'admin'] }), status: Type.String({ enum: ['active', 'expired', 'revoked'] }),
  created_at: Time, expires_at: MaybeTime, last_used_at: MaybeTime, revoked_at: MaybeTime,
  created_by: Nullable(Type.String({ description: '`user:<id>` or `api_key:<name>` for keys made through the API; null from the CLI' })),
});

export const apiKeyView = (k: ApiKeyRecord, now: number) => ({
  id: k.id, name: k.name, prefix: k.prefix, scope: k.scope,
  status: k.revoked_at !== null ? 'revoked' : k.expires_at !== null && k.expires_at <= now ? 'expired' : 'active',
  created_at: iso(k.created_at)!, expires_at: iso(k.expires_at), last_used_at: iso(k.last_used_at), revoked_at: iso(k.revoked_at), created_by: k.created_by,
});
