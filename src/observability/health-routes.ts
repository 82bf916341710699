import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppError } from '../errors/index.js';
import type { Guards } from '../http/auth-guard.js';
import { errorResponses } from '../http/openapi.js';
import type { DetailedHealth } from './health-detailed.js';
import type { HealthService } from './health.js';

const Dependency = Type.Object({ status: Type.String() });
const Check = Type.Object({ status: Type.String(), latency_ms: Type.Number() });
const NoQuery = Type.Object({}, { additionalProperties: false });
const Section = Type.Object({ status: Type.String({ description: 'ok, error or timeout' }), error: Type.Optional(Type.String()) }, { additionalProperties: true });

/**
 * `GET /health` (liveness, from memory), `GET /health/ready` (readiness, checks each dependency
 * now) and `GET /health/detailed` (admin: dependencies, pool, blacklist, locks, blocks, resources).
 */
export const healthRoutes: FastifyPluginAsyncTypebox<{ health: HealthService; detailed: () => Promise<DetailedHealth>; guards: Guards }> = async (
  app,
  { health, detailed, guards },
) => {
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
          services: Type.Object({ database: Dependency, redis: Dependency }),
          features: Type.Record(Type.String(), Type.Boolean(), {
            description: 'rate_limiting, security_headers, request_id_tracking, emergency_mode, metrics, error_tracking',
          }),
        }),
      },
    },
  }, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return health.snapshot();
  });

  app.get('/health/ready', {
    config: { rateLimit: false },
    schema: {
      tags: ['health'],
      summary: 'Readiness: the database answers within HEALTH_CHECK_TIMEOUT, migrations are current, Redis answers when configured',
      response: {
        200: Type.Object({ status: Type.Literal('ready'), checks: Type.Record(Type.String(), Check) }),
        ...errorResponses(503),
      },
    },
  }, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    const { ready, checks } = await health.readiness();
    if (!ready) {
      const failing = Object.entries(checks).filter(([, c]) => c.status !== 'ok').map(([name, c]) => `${name} (${c.status})`);
      throw new AppError('not_ready', `Failing checks: ${failing.join(', ')}`, { extensions: { checks } });
    }
    return { status: 'ready' as const, checks };
  });

  app.get('/health/detailed', {
    preHandler: guards.admin,
    schema: {
      tags: ['health'],
      summary: 'Every dependency with its latency, pool usage, token blacklist, locked accounts, blocked IPs, resource usage (admin)',
      security: [{ bearerAuth: [] }, { apiKey: [] }],
      querystring: NoQuery,
      response: {
        200: Type.Object({
          status: Type.String(),
          version: Type.String(),
          environment: Type.String(),
          checked_at: Type.String(),
          dependencies: Type.Record(Type.String(), Type.Object({ status: Type.String(), latency_ms: Type.Optional(Type.Number()), error: Type.Optional(Type.String()) })),
          database_pool: Type.Union([Type.Object({ total: Type.Integer(), idle: Type.Integer(), waiting: Type.Integer(), max: Type.Integer() }), Type.Null()]),
          token_blacklist: Section,
          locked_accounts: Section,
          blocked_ips: Section,
          resources: Section,
          process: Type.Object({ uptime_seconds: Type.Integer(), pid: Type.Integer(), node_version: Type.String() }),
        }),
        ...errorResponses(401, 403),
      },
    },
  }, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return detailed();
  });
};
