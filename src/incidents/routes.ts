import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors/index.js';
import type { Guards } from '../http/auth-guard.js';
import { errorResponses } from '../http/openapi.js';
import { actorOf } from '../protection/routes.js';
import type { SecurityEvents } from '../security-monitoring/events.js';
import type { IncidentRecord } from './ports.js';
import { postmortemMarkdown } from './postmortem.js';
import type { IncidentResult, Incidents } from './service.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const N = Type.Union([Type.String(), Type.Null()]);
const IncidentView = Type.Object({ id: Type.String(), title: Type.String(), severity: Type.String(), status: Type.String(), created_at: Type.String(), acknowledged_at: N, acknowledged_by: N, resolved_at: N, closed_at: N, escalations: Type.Integer(), public_title: N });
const view = (i: IncidentRecord) => ({ id: i.id, title: i.title, severity: i.severity, status: i.status, created_at: iso(i.created_at)!, acknowledged_at: iso(i.acknowledged_at), acknowledged_by: i.acknowledged_by, resolved_at: iso(i.resolved_at), closed_at: iso(i.closed_at), escalations: i.escalations, public_title: i.public_title });
const Text = Type.String({ minLength: 1, maxLength: 5000 });

function unwrap(result: IncidentResult, action: string) {
  if (result.ok) return view(result.incident);
  if (result.reason === 'not_found') throw new AppError('not_found', 'No such incident');
  throw new AppError('conflict', `The incident's status does not allow ${action}`);
}

/** `/api/v1/admin/incidents…`: list, show (with timeline), ack, note, resolve, close with postmortem, report, stats, public title and updates. */
export const incidentRoutes: FastifyPluginAsyncTypebox<{ incidents: Incidents; events: SecurityEvents; guards: Guards }> = async (app, { incidents, events, guards }) => {
  app.addHook('onRequest', guards.admin);
  // Every mutation that succeeded is an ADMIN_ACTION naming the actor (route config.audit).
  app.addHook('onResponse', (request: FastifyRequest<{ Params: { id?: string } }>, reply, done) => {
    const action = request.routeOptions.config.audit;
    if (action && reply.statusCode < 300) {
      events.emit('ADMIN_ACTION', { ip: request.ip, request_id: request.id, user_id: request.principal?.kind === 'user' ? request.principal.userId : undefined }, { action, target: request.params.id, actor: actorOf(request.principal) });
    }
    done();
  });
  const tags = ['incidents'];
  const security: Record<string, string[]>[] = [{ bearerAuth: [] }, { apiKey: [] }];
  const Params = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
  const one = { 200: IncidentView, ...errorResponses(400, 401, 403, 404, 409) };

  app.get('/incidents', {
    schema: {
      tags, summary: 'Incidents, newest first', security,
      querystring: Type.Object({ status: Type.Optional(Type.Union(['open', 'acknowledged', 'resolved', 'closed'].map((s) => Type.Literal(s)))), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) }, { additionalProperties: false }),
      response: { 200: Type.Object({ incidents: Type.Array(IncidentView) }), ...errorResponses(400, 401, 403) },
    },
  }, async (request) => ({ incidents: (await incidents.list({ status: request.query.status as never, limit: request.query.limit ?? 100 })).map(view) }));

  app.get('/incidents/stats', {
    schema: { tags, summary: 'MTTA and MTTR per severity over the last 30 days', security, response: { 200: Type.Object({ severities: Type.Array(Type.Object({ severity: Type.String(), count: Type.Integer(), mtta_seconds: Type.Union([Type.Number(), Type.Null()]), mttr_seconds: Type.Union([Type.Number(), Type.Null()]) })) }), ...errorResponses(401, 403) } },
  }, async () => ({ severities: await incidents.stats(Date.now() - 30 * 86_400_000) }));

  app.get('/incidents/:id', {
    schema: { tags, summary: 'An incident with its timeline', security, params: Params, response: { 200: Type.Object({ ...IncidentView.properties, timeline: Type.Array(Type.Object({ at: Type.String(), kind: Type.String(), actor: N, text: Type.String() })) }), ...errorResponses(400, 401, 403, 404) } },
  }, async (request) => {
    const found = await incidents.get(request.params.id);
    if (!found) throw new AppError('not_found', 'No such incident');
    return { ...view(found.incident), timeline: found.timeline.map((t) => ({ at: iso(t.at)!, kind: t.kind, actor: t.actor, text: t.text })) };
  });

  app.get('/incidents/:id/report', {
    schema: { tags, summary: 'The postmortem as Markdown', security, params: Params, produces: ['text/markdown'], response: { 200: Type.String(), ...errorResponses(400, 401, 403, 404) } },
  }, async (request, reply) => {
    const found = await incidents.get(request.params.id);
    if (!found) throw new AppError('not_found', 'No such incident');
    return reply.type('text/markdown; charset=utf-8').send(postmortemMarkdown(found.incident, found.timeline));
  });

  app.post('/incidents/:id/ack', { config: { audit: 'incident_ack' }, schema: { tags, summary: 'Acknowledge (stops escalation)', security, params: Params, response: one } },
    async (request) => unwrap(await incidents.acknowledge(request.params.id, actorOf(request.principal)), 'acknowledging'));

  app.post('/incidents/:id/notes', {
    config: { audit: 'incident_note' },
    schema: { tags, summary: 'Add a note to the timeline', security, params: Params, body: Type.Object({ text: Text }, { additionalProperties: false }), response: one },
  }, async (request) => unwrap(await incidents.note(request.params.id, actorOf(request.principal), request.body.text), 'notes'));

  app.post('/incidents/:id/resolve', {
    config: { audit: 'incident_resolve' },
    schema: { tags, summary: 'Resolve', security, params: Params, body: Type.Object({ text: Type.Optional(Text) }, { additionalProperties: false }), response: one },
  }, async (request) => unwrap(await incidents.resolve(request.params.id, actorOf(request.principal), request.body.text), 'resolving'));

  app.put('/incidents/:id/public', {
    config: { audit: 'incident_public_title' },
    schema: {
      tags, summary: 'Set (or clear with null) the title the public status page shows', security, params: Params,
      body: Type.Object({ public_title: Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()]) }, { additionalProperties: false }),
      response: one,
    },
  }, async (request) => unwrap(await incidents.setPublicTitle(request.params.id, actorOf(request.principal), request.body.public_title), 'a public title'));

  app.post('/incidents/:id/public-updates', {
    config: { audit: 'incident_public_update' },
    schema: { tags, summary: 'Post an update on the public status page', security, params: Params, body: Type.Object({ text: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false }), response: one },
  }, async (request) => unwrap(await incidents.publicUpdate(request.params.id, actorOf(request.principal), request.body.text), 'public updates'));

  app.post('/incidents/:id/close', {
    config: { audit: 'incident_close' },
    schema: {
      tags, summary: 'Close a resolved incident, with its postmortem', security, params: Params,
      body: Type.Object({ postmortem: Type.Optional(Type.Object({ summary: Text, impact: Text, root_cause: Text, contributing_factors: Type.Array(Text, { maxItems: 50 }), resolution: Text, action_items: Type.Array(Text, { maxItems: 50 }) }, { additionalProperties: false })) }, { additionalProperties: false }),
      response: one,
    },
  }, async (request) => unwrap(await incidents.close(request.params.id, actorOf(request.principal), request.body.postmortem), 'closing'));
};
