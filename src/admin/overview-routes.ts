import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Config } from '../config/index.js';
import type { Guards } from '../http/auth-guard.js';
import { errorResponses } from '../http/openapi.js';
import type { AdminStatsSnapshot } from './stats.js';
import { security, tags } from './schemas.js';

const Count = Type.Integer({ minimum: 0 });

/** `/api/v1/admin/stats` (the overview's figures) and `/api/v1/admin/ip-allowlist` (read-only: it is configuration). */
export const overviewRoutes: FastifyPluginAsyncTypebox<{ stats: { snapshot(): Promise<AdminStatsSnapshot> }; config: Config; guards: Guards }> = async (app, { stats, config, guards }) => {
  app.addHook('onRequest', guards.admin);

  app.get('/stats', {
    schema: {
      tags, summary: 'Users, today\'s logins and failures (since midnight UTC), blocked IPs, active sessions, the last 24 h of events by type', security,
      response: {
        200: Type.Object({
          users: Type.Object({ total: Count, admins: Count, disabled: Count, locked: Count, new_today: Count }),
          logins_today: Type.Object({ success: Count, failure: Count }),
          blocked_ips: Count,
          active_sessions: Count,
          events_by_type: Type.Record(Type.String(), Count, { description: 'security event type → count, last 24 hours' }),
          generated_at: Type.String({ format: 'date-time' }),
        }),
        ...errorResponses(401, 403),
      },
    },
  }, () => stats.snapshot());

  app.get('/ip-allowlist', {
    schema: {
      tags, summary: 'IP_ALLOWLIST: addresses and ranges never blocked nor limited per IP (read-only; change it in the configuration and restart)', security,
      response: { 200: Type.Object({ entries: Type.Array(Type.Object({ target: Type.String(), kind: Type.String({ enum: ['ipv4', 'ipv6'] }) })), source: Type.Literal('IP_ALLOWLIST') }), ...errorResponses(401, 403) },
    },
  }, async () => ({ entries: config.protection.ipBlocks.allowlist.map((t) => ({ target: t.text, kind: t.kind })), source: 'IP_ALLOWLIST' as const }));
};
