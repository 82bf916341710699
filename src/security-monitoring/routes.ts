import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppError } from '../errors/index.js';
import type { Guards } from '../http/auth-guard.js';
import { errorResponses } from '../http/openapi.js';
import { SECURITY_EVENT_TYPES, type SecurityEventType } from './events.js';
import { eventView, parseEventTypes, type SecurityEventLog } from './service.js';

const TIME_DOC = 'ISO 8601 date-time with a zone (`2026-01-01T00:00:00Z`, `2026-01-01T02:00:00.5+02:00`) or epoch milliseconds (`1767225600000`)';

const Query = Type.Object(
  {
    type: Type.Optional(Type.String({ maxLength: 1000, description: `One event type, or a comma list matching any of them (\`LOGIN_FAILED,ACCOUNT_LOCKED\`). Types: ${SECURITY_EVENT_TYPES.join(', ')}` })),
    ip: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Client IP, exactly as recorded' })),
    user_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'User id' })),
    since: Type.Optional(Type.String({ minLength: 1, maxLength: 40, description: `Events at or after this time (inclusive): ${TIME_DOC}` })),
    until: Type.Optional(Type.String({ minLength: 1, maxLength: 40, description: `Events before this time (exclusive): ${TIME_DOC}` })),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100, description: 'Events per page' }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'The `next_cursor` of the previous page' })),
  },
  { additionalProperties: false },
);

const nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const EventView = Type.Object({
  id: Type.Integer({ description: 'Increases in the order events were stored' }),
  time: Type.String({ format: 'date-time', description: 'When the decision was made' }),
  type: Type.String({ description: 'See docs/security-events.md' }),
  severity: Type.String({ enum: ['info', 'low', 'medium', 'high', 'critical'] }),
  ip: nullable(Type.String()),
  user_id: nullable(Type.String()),
  request_id: nullable(Type.String()),
  details: Type.Object({}, { additionalProperties: true, description: "The type's typed details (docs/security-events.md)" }),
});
const Page = Type.Object({
  events: Type.Array(EventView, { description: 'Newest first' }),
  next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next (older) page; null on the last page' }),
});

const invalid = (field: string, detail: string) => new AppError('validation_failed', `/${field} ${detail}`, { errors: [{ pointer: `/${field}`, detail }] });

function parseTypes(raw: string): SecurityEventType[] {
  const parsed = parseEventTypes(raw);
  if (parsed.ok) return parsed.types;
  const unknown = parsed.unknown.length > 0 ? `; unknown: ${parsed.unknown.slice(0, 5).join(', ')}` : '';
  throw invalid('type', `must be one or more of ${SECURITY_EVENT_TYPES.join(', ')}${unknown}`);
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/i;

/** Epoch ms from `raw` (see TIME_DOC), or undefined. Calendar checks are ours: Date.parse accepts Feb 30. */
export function parseTime(raw: string): number | undefined {
  if (/^\d{1,15}$/.test(raw)) return Number(raw);
  const m = DATE_TIME.exec(raw);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second, offH, offM] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59 || offH > 23 || offM > 59) return undefined;
  const ms = Date.parse(raw.toUpperCase());
  return Number.isFinite(ms) ? ms : undefined;
}

function timeParam(field: 'since' | 'until', raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const ms = parseTime(raw);
  if (ms === undefined) throw invalid(field, `must be ${TIME_DOC.replace(/`/g, '')}`);
  return ms;
}

/** `GET /api/v1/admin/security-events`: the stored security event log, admins only. */
export const securityEventRoutes: FastifyPluginAsyncTypebox<{ securityEvents: SecurityEventLog; guards: Guards }> = async (app, { securityEvents, guards }) => {
  app.addHook('onRequest', guards.admin);
  const security: Record<string, string[]>[] = [{ bearerAuth: [] }, { apiKey: [] }];

  app.get('/security-events', {
    schema: {
      tags: ['admin'],
      summary: 'Stored security events, newest first, with filters and cursor pagination',
      description: 'Filters combine (all must match). Pages are walked with `cursor` = the previous `next_cursor`; events stored meanwhile never shift a page.',
      security,
      querystring: Query,
      response: { 200: Page, ...errorResponses(400, 401, 403) },
    },
  }, async (request) => {
    const q = request.query;
    const since = timeParam('since', q.since);
    const until = timeParam('until', q.until);
    const page = await securityEvents.list({
      types: q.type === undefined ? undefined : parseTypes(q.type),
      ip: q.ip,
      user_id: q.user_id,
      since,
      until,
      cursor: q.cursor,
      limit: q.limit,
    });
    if (!page.ok) throw invalid('cursor', 'is not a cursor this endpoint returned');
    return { events: page.events.map(eventView), next_cursor: page.next_cursor };
  });
};
