import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ApiKeyService } from '../auth/api-keys.js';
import { AppError } from '../errors/index.js';
import type { Guards } from '../http/auth-guard.js';
import { errorResponses } from '../http/openapi.js';
import type { SecurityEvents } from '../security-monitoring/events.js';
import type { Clock } from '../shared/clock.js';
import { parseDuration } from '../shared/duration.js';
import { actingOf, apiKeyView, ApiKeyView, invalidField, security, tags } from './schemas.js';

/** `/api/v1/admin/api-keys…`: what `vigil apikey` does, over HTTP. Keys are shown once, at creation. */
export const apiKeyAdminRoutes: FastifyPluginAsyncTypebox<{ apiKeys: ApiKeyService; events: SecurityEvents; clock: Clock; guards: Guards }> = async (app, { apiKeys, events, clock, guards }) => {
  app.addHook('onRequest', guards.admin);

  app.get('/api-keys', {
    schema: { tags, summary: 'API keys, newest first (never the keys or their hashes)', security, response: { 200: Type.Object({ api_keys: Type.Array(ApiKeyView) }), ...errorResponses(401, 403) } },
  }, async () => {
    const now = clock.now();
    return { api_keys: (await apiKeys.list()).map((k) => apiKeyView(k, now)) };
  });

  app.post('/api-keys', {
    schema: {
      tags, summary: 'Create an API key; the key is in this answer only', security,
      body: Type.Object({
        name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f]*$', description: 'what the key is for' }),
        scope: Type.Union([Type.Literal('public'), Type.Literal('admin')]),
        expires_in: Type.Optional(Type.String({ maxLength: 16, description: 'lifetime such as 90d or 12h; omitted: no expiry' })),
      }, { additionalProperties: false }),
      response: { 201: Type.Object({ key: Type.String({ description: 'the key itself: store it now, it cannot be shown again' }), api_key: ApiKeyView }), ...errorResponses(400, 401, 403) },
    },
  }, async (request, reply) => {
    const { name, scope, expires_in } = request.body;
    const expiresInMs = expires_in === undefined ? undefined : parseDuration(expires_in);
    if (expires_in !== undefined && expiresInMs === undefined) throw invalidField('expires_in', 'must be a duration such as 90d, 12h or 2w');
    const by = actingOf(request);
    const { key, record } = await apiKeys.create({ name, scope, ...(expiresInMs === undefined ? {} : { expiresInMs }), createdBy: by.actor }, by.ctx);
    events.emit('ADMIN_ACTION', by.ctx, { action: 'api_key_create', target: record.id, actor: by.actor });
    return reply.status(201).send({ key, api_key: apiKeyView(record, clock.now()) });
  });

  app.delete('/api-keys/:id', {
    schema: {
      tags, summary: 'Revoke an API key (by id, or by its prefix)', security,
      params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
      response: { 200: ApiKeyView, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => {
    const by = actingOf(request);
    const record = await apiKeys.revoke(request.params.id, by.ctx);
    if (!record) throw new AppError('not_found', 'No active API key with this id or prefix');
    events.emit('ADMIN_ACTION', by.ctx, { action: 'api_key_revoke', target: record.id, actor: by.actor });
    return apiKeyView(record, clock.now());
  });
};
