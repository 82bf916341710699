import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { HealthService } from './health.js';

const Dependency = Type.Object({ status: Type.String() });

/** `GET /health`: liveness, answered from memory. */
export const healthRoutes: FastifyPluginAsyncTypebox<{ health: HealthService }> = async (app, { health }) => {
  app.get('/health', {
    // Probes are never rate limited or blocked.
    config: { rateLimit: false },
    schema: {
      tags: ['health'],
      summary: 'Liveness: version, environment, uptime and cached dependency status',
      response: {
        200: Type.Object({
          status: Type.String(),
          version: Type.String(),
          environment: Type.String(),
          uptime: Type.Integer({ description: 'Seconds since start' }),
          services: Type.Object({ database: Dependency }),
          features: Type.Record(Type.String(), Type.Boolean(), { description: 'rate_limiting, security_headers, request_id_tracking, emergency_mode' }),
        }),
      },
    },
  }, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return health.snapshot();
  });
};
