import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { STATUS_CSP, statusHtml } from './html.js';
import type { StatusPage } from './service.js';

const Status = Type.Union([Type.Literal('operational'), Type.Literal('degraded'), Type.Literal('major_outage')]);
const Nullable = <T extends ReturnType<typeof Type.Number>>(t: T) => Type.Union([t, Type.Null()]);
const StatusJson = Type.Object({
  status: Status,
  updated_at: Type.String(),
  components: Type.Array(Type.Object({ name: Type.String(), status: Status })),
  incidents: Type.Array(Type.Object({
    public_title: Type.String(), severity: Type.String(), status: Type.String(), started_at: Type.String(),
    updates: Type.Array(Type.Object({ at: Type.String(), text: Type.String() })),
  })),
  uptime: Type.Object({ days: Type.Array(Type.Object({ date: Type.String(), availability: Nullable(Type.Number()) })), ninety_day: Nullable(Type.Number()) }),
});

/** Browsers and proxies may keep it as long as the server does. */
const CACHE_CONTROL = 'public, max-age=30';

/**
 * `GET /status` (HTML) and `GET /status.json`: the public status page, no sign-in. The response
 * schema lists every field, so nothing else could be serialized into the JSON by mistake.
 * Rate limits and IP blocks apply as to any public route.
 */
export const statusRoutes: FastifyPluginAsyncTypebox<{ status: StatusPage }> = async (app, { status }) => {
  const tags = ['status'];
  app.get('/status.json', {
    schema: { tags, summary: 'Public status: overall, components, open incidents (public titles and updates), 90-day uptime', response: { 200: StatusJson } },
  }, async (_request, reply) => {
    reply.header('cache-control', CACHE_CONTROL);
    return status.view();
  });

  app.get('/status', {
    schema: { tags, summary: 'The public status page (HTML, no script)', produces: ['text/html'], response: { 200: Type.String() } },
  }, async (_request, reply) => {
    const html = statusHtml(await status.view());
    return reply.header('content-security-policy', STATUS_CSP).header('cache-control', CACHE_CONTROL).type('text/html; charset=utf-8').send(html);
  });
};
