import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { redactConfig, type Config } from '../config/index.js';
import type { Guards } from '../http/auth-guard.js';
import { errorResponses } from '../http/openapi.js';

/** `/api/v1/admin`: admin role or an admin API key only. */
export const adminRoutes: FastifyPluginAsyncTypebox<{ config: Config; guards: Guards }> = async (app, { config, guards }) => {
  app.addHook('onRequest', guards.admin);
  const security: Record<string, string[]>[] = [{ bearerAuth: [] }, { apiKey: [] }];

  app.get('/config', {
    schema: {
      tags: ['admin'], summary: 'The effective configuration, every secret redacted', security,
      response: { 200: Type.Object({}, { additionalProperties: true }), ...errorResponses(401, 403) },
    },
  }, async () => redactConfig(config));
};
