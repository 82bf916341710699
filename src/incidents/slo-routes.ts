import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppError } from '../errors/index.js';
import type { Guards } from '../http/auth-guard.js';
import { errorResponses } from '../http/openapi.js';
import { parseDuration } from '../shared/duration.js';
import type { SloService } from './slo.js';

/**
 * Reports reach back 90 days (the status page's uptime): the minutes of the last
 * METRIC_AGGREGATE_RETENTION_DAYS, and before them the daily totals (kept SLO_DAILY_RETENTION_DAYS).
 */
export const MAX_SLO_WINDOW_MS = 90 * 86_400_000;

/** `--window` / `?window=`: a duration from 1 h to 90 d; a message otherwise. */
export function sloWindow(text: string | undefined, fallbackMs: number): number | string {
  if (text === undefined) return Math.min(fallbackMs, MAX_SLO_WINDOW_MS);
  const ms = parseDuration(text);
  if (ms === undefined || ms < 3_600_000 || ms > MAX_SLO_WINDOW_MS) return 'window must be a duration from 1h to 90d, such as 7d or 30d';
  return ms;
}

const Kpi = Type.Object({
  name: Type.String(), description: Type.String(), objective: Type.Union([Type.Literal('>='), Type.Literal('<=')]), target: Type.Number(),
  actual: Type.Union([Type.Number(), Type.Null()]), good: Type.Number(), total: Type.Number(), compliant: Type.Union([Type.Boolean(), Type.Null()]), error_budget_remaining: Type.Number(),
});

const Point = Type.Object({
  t: Type.String(), requests: Type.Number(), errors_5xx: Type.Number(), error_rate: Type.Union([Type.Number(), Type.Null()]),
  p95_ms: Type.Union([Type.Number(), Type.Null()]), login_failures: Type.Number(),
});

/**
 * `GET /api/v1/admin/slo`: every KPI with its target, the measured value, compliance and error budget left.
 * `GET /api/v1/admin/timeseries`: the console's Overview charts (requests, 5xx, p95, failed logins per bucket).
 */
export const sloRoutes: FastifyPluginAsyncTypebox<{ slo: SloService; defaultWindowMs: number; guards: Guards }> = async (app, { slo, defaultWindowMs, guards }) => {
  app.addHook('onRequest', guards.admin);
  app.get('/slo', {
    schema: {
      tags: ['incidents'], summary: 'SLOs and KPIs over a window (default SLO_WINDOW), from the per-minute aggregates and, past their retention, the daily totals', security: [{ bearerAuth: [] }, { apiKey: [] }],
      querystring: Type.Object({ window: Type.Optional(Type.String({ maxLength: 16, description: 'e.g. 7d; 1h to 90d' })) }, { additionalProperties: false }),
      response: { 200: Type.Object({ from: Type.String(), to: Type.String(), window_seconds: Type.Number(), minutes_recorded: Type.Integer(), kpis: Type.Array(Kpi) }), ...errorResponses(400, 401, 403) },
    },
  }, async (request) => {
    const windowMs = sloWindow(request.query.window, defaultWindowMs);
    if (typeof windowMs === 'string') throw new AppError('validation_failed', windowMs, { errors: [{ pointer: '/window', detail: windowMs }] });
    return slo.report(windowMs);
  });
  app.get('/timeseries', {
    schema: {
      tags: ['incidents'], summary: 'Requests, 5xx, error rate, p95 latency and failed logins per minute (1h) or per 15 minutes (24h), all instances summed', security: [{ bearerAuth: [] }, { apiKey: [] }],
      querystring: Type.Object({ window: Type.Optional(Type.Union([Type.Literal('1h'), Type.Literal('24h')], { default: '1h' })) }, { additionalProperties: false }),
      response: { 200: Type.Object({ window: Type.String(), bucket_seconds: Type.Integer(), from: Type.String(), to: Type.String(), buckets: Type.Array(Point) }), ...errorResponses(400, 401, 403) },
    },
  }, async (request) => slo.timeseries(request.query.window ?? '1h'));
};
