import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors/index.js';
import type { Guards } from '../http/auth-guard.js';
import { errorResponses } from '../http/openapi.js';
import { actorOf } from '../protection/routes.js';
import type { SecurityEvents } from '../security-monitoring/events.js';
import { parseDuration } from '../shared/duration.js';
import { parseMatcher, type Matcher } from './matchers.js';
import { formatCondition } from './rules/condition.js';
import type { Alerting } from './service.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** An admin action to record as ADMIN_ACTION once the route answers 2xx. */
    audit?: string;
  }
}

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
const Str = Type.String();
const NullableStr = Type.Union([Type.String(), Type.Null()]);
const LabelMap = Type.Record(Type.String(), Type.String());

const parseMatchers = (list: string[]): Matcher[] =>
  list.map((text, i) => {
    const m = parseMatcher(text);
    if (typeof m === 'string') throw new AppError('validation_failed', m, { errors: [{ pointer: `/matchers/${i}`, detail: m }] });
    return m;
  });

/**
 * `/api/v1/admin/alerts…`: active alerts, history, rules, silences, the outbox, test notifications.
 * Mutations are recorded as ADMIN_ACTION by an onResponse hook (route `config.audit`).
 */
export const alertingRoutes: FastifyPluginAsyncTypebox<{ alerting: Alerting; events: SecurityEvents; guards: Guards }> = async (app, { alerting, events, guards }) => {
  app.addHook('onRequest', guards.admin);
  const targets = new WeakMap<FastifyRequest, string>();
  app.addHook('onResponse', (request, reply, done) => {
    const action = request.routeOptions.config.audit;
    if (action && reply.statusCode < 300) {
      events.emit('ADMIN_ACTION', { ip: request.ip, request_id: request.id, user_id: request.principal?.kind === 'user' ? request.principal.userId : undefined }, { action, target: targets.get(request), actor: actorOf(request.principal) });
    }
    done();
  });
  const tags = ['alerting'];
  const security: Record<string, string[]>[] = [{ bearerAuth: [] }, { apiKey: [] }];

  app.get('/alerts', {
    schema: {
      tags, summary: 'Alerts pending or firing now (muted: why one is not notified)', security,
      response: { 200: Type.Object({ alerts: Type.Array(Type.Object({ fingerprint: Str, rule: Str, state: Str, severity: Str, category: Str, labels: LabelMap, annotations: LabelMap, value: Type.Number(), active_at: Str, fired_at: NullableStr, muted: NullableStr })) }), ...errorResponses(401, 403) },
    },
  }, async () => ({
    alerts: alerting.active().map((a) => ({
      fingerprint: a.fingerprint, rule: a.rule, state: a.state, severity: a.severity, category: a.category, labels: a.labels, annotations: a.annotations, value: a.value,
      active_at: iso(a.activeAt)!, fired_at: iso(a.firedAt), muted: alerting.dispatcher.muted(a)?.by ?? null,
    })),
  }));

  app.get('/alerts/history', {
    schema: {
      tags, summary: 'Alerts that fired, newest first', security,
      querystring: Type.Object({ since: Type.Optional(Type.String({ format: 'date-time' })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) }, { additionalProperties: false }),
      response: { 200: Type.Object({ alerts: Type.Array(Type.Object({ fingerprint: Str, rule: Str, severity: Str, category: Str, labels: LabelMap, value: Type.Number(), fired_at: Str, resolved_at: NullableStr })) }), ...errorResponses(400, 401, 403) },
    },
  }, async (request) => {
    const rows = await alerting.history({ since: request.query.since ? Date.parse(request.query.since) : undefined, limit: request.query.limit ?? 100 });
    return { alerts: rows.map((r) => ({ fingerprint: r.fingerprint, rule: r.rule, severity: r.severity, category: r.category, labels: JSON.parse(r.labels) as Record<string, string>, value: r.value, fired_at: iso(r.fired_at)!, resolved_at: iso(r.resolved_at) })) };
  });

  app.get('/alerts/rules', {
    schema: { tags, summary: 'The active rules (default pack and ALERT_RULES_FILE)', security, response: { 200: Type.Object({ rules: Type.Array(Type.Object({ name: Str, condition: Str, for_seconds: Type.Number(), severity: Str, category: Str, incident: Type.Boolean(), summary: Str, runbook_url: Str })) }), ...errorResponses(401, 403) } },
  }, async () => ({
    rules: alerting.rules().map((r) => ({ name: r.name, condition: formatCondition(r.conditions), for_seconds: r.forMs / 1000, severity: r.severity, category: r.category, incident: r.incident, summary: r.annotations.summary, runbook_url: r.annotations.runbook_url })),
  }));

  const SilenceView = Type.Object({ id: Str, matchers: Type.Array(Str), starts_at: Str, ends_at: Str, created_by: Str, comment: Str });
  const silenceView = (s: ReturnType<Alerting['silences']['list']>[number]) => ({
    id: s.id, matchers: s.matchers.map((m) => `${m.name}${m.op}${m.value}`), starts_at: iso(s.startsAt)!, ends_at: iso(s.endsAt)!, created_by: s.createdBy, comment: s.comment,
  });

  app.get('/alerts/silences', {
    schema: { tags, summary: 'Silences in force or scheduled', security, response: { 200: Type.Object({ silences: Type.Array(SilenceView) }), ...errorResponses(401, 403) } },
  }, async () => {
    await alerting.silences.refresh();
    return { silences: alerting.silences.list().map(silenceView) };
  });

  app.post('/alerts/silences', {
    config: { audit: 'alert_silence' },
    schema: {
      tags, summary: 'Silence alerts matching every matcher for a duration', security,
      body: Type.Object({
        matchers: Type.Array(Type.String({ minLength: 3, maxLength: 200 }), { minItems: 1, maxItems: 20, description: 'e.g. alertname=HighErrorRate, severity!=critical, ip=~"10\\..*"' }),
        duration: Type.String({ maxLength: 16, description: 'e.g. 2h' }),
        comment: Type.String({ minLength: 1, maxLength: 500, pattern: '^[^\\u0000-\\u001f\\u007f]*$' }),
      }, { additionalProperties: false }),
      response: { 201: SilenceView, ...errorResponses(400, 401, 403) },
    },
  }, async (request, reply) => {
    const durationMs = parseDuration(request.body.duration);
    if (durationMs === undefined) throw new AppError('validation_failed', 'duration must look like 30m, 2h or 1d', { errors: [{ pointer: '/duration', detail: 'must be a duration such as 30m, 2h or 1d' }] });
    const matchers = parseMatchers(request.body.matchers);
    const silence = await alerting.silences.create({ matchers, durationMs, createdBy: actorOf(request.principal), comment: request.body.comment });
    targets.set(request, silence.id);
    return reply.status(201).send(silenceView(silence));
  });

  app.delete('/alerts/silences/:id', {
    config: { audit: 'alert_unsilence' },
    schema: { tags, summary: 'End a silence now', security, params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }), response: { 200: Type.Object({ expired: Type.Boolean() }), ...errorResponses(401, 403, 404) } },
  }, async (request) => {
    if (!(await alerting.silences.expire(request.params.id))) throw new AppError('not_found', 'No silence in force with this id');
    targets.set(request, request.params.id);
    return { expired: true };
  });

  app.get('/alerts/outbox', {
    schema: {
      tags, summary: 'Notifications in the outbox (pending, sent, dead-lettered), newest first', security,
      querystring: Type.Object({ status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('sent'), Type.Literal('dead')])), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) }, { additionalProperties: false }),
      response: { 200: Type.Object({ notifications: Type.Array(Type.Object({ id: Type.Integer(), receiver: Str, group_key: Str, kind: Str, status: Str, attempts: Type.Integer(), next_attempt_at: Str, last_error: NullableStr, created_at: Str, delivered_at: NullableStr })) }), ...errorResponses(400, 401, 403) },
    },
  }, async (request) => ({
    notifications: (await alerting.outboxList({ status: request.query.status, limit: request.query.limit ?? 100 })).map((r) => ({
      id: r.id, receiver: r.receiver, group_key: r.group_key, kind: r.kind, status: r.status, attempts: r.attempts, next_attempt_at: iso(r.next_attempt_at)!, last_error: r.last_error, created_at: iso(r.created_at)!, delivered_at: iso(r.delivered_at),
    })),
  }));

  app.post('/alerts/test', {
    config: { audit: 'alert_test' },
    schema: {
      tags, summary: 'Send a test notification to a receiver through the outbox', security,
      body: Type.Object({ receiver: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
      response: { 202: Type.Object({ idempotency_key: Str }), ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request, reply) => {
    const { receiver } = request.body;
    if (!alerting.receivers.has(receiver)) throw new AppError('not_found', `No receiver "${receiver}" (configured: ${[...alerting.receivers.keys()].join(', ') || 'none'})`);
    const key = await testNotification(alerting, receiver, actorOf(request.principal));
    targets.set(request, receiver);
    return reply.status(202).send({ idempotency_key: key });
  });
};

/** A test notification (a firing alert named VigilTestNotification) through the outbox. */
export function testNotification(alerting: Alerting, receiver: string, actor: string): Promise<string> {
  const now = new Date().toISOString();
  const labels = { alertname: 'VigilTestNotification', severity: 'info', category: 'availability' };
  const annotations = { summary: `Test notification from Vigil (sent by ${actor})`, description: 'If you can read this, the receiver works.' };
  return alerting.notify({
    kind: 'test', receiver, status: 'firing', groupLabels: { alertname: labels.alertname }, commonLabels: labels, commonAnnotations: annotations,
    alerts: [{ status: 'firing', labels, annotations, startsAt: now, endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: 'test' }],
  });
}
