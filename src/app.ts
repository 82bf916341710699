import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { adminRoutes } from './admin/routes.js';
import { authRoutes } from './auth/routes.js';
import { createGuards } from './http/auth-guard.js';
import { frameworkErrorHandler, registerErrorHandling } from './http/error-handler.js';
import { OPENAPI_INFO } from './http/openapi.js';
import { ProblemSchema } from './http/problem.js';
import { requestIdFor } from './http/request-id.js';
import { validatorCompiler } from './http/validation.js';
import { healthRoutes } from './observability/health-routes.js';
import type { Services } from './services.js';
import { jwksRoutes } from './tokens/routes.js';

/** Builds the Fastify app over the services. Never listens: tests use `inject`, main.ts listens. */
export async function buildApp(services: Services): Promise<FastifyInstance> {
  const { config } = services;
  const httpLog = services.log('http');
  const app = Fastify({
    loggerInstance: httpLog as FastifyBaseLogger,
    // Our onResponse hook writes the one access line per request; Fastify's own lines are off.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    genReqId: requestIdFor,
    // A hop count is valid at run time (proxy-addr); Fastify's types omit it.
    trustProxy: config.http.trustProxy as boolean | string | string[],
    bodyLimit: config.http.maxRequestSize,
    requestTimeout: config.http.requestTimeoutMs,
    return503OnClosing: true,
    frameworkErrors: frameworkErrorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler());
  app.addSchema(ProblemSchema);
  app.decorateRequest('principal', undefined);
  registerErrorHandling(app);
  // The API speaks JSON and form bodies only; anything else is a 415, not a string to validate.
  app.removeContentTypeParser('text/plain');

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // Draining: once close() starts, each response closes its keep-alive connection, so in-flight
  // requests finish and the server stops without waiting for idle clients.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  // One access line per request, with the route template (never the raw path: it may hold tokens).
  app.addHook('onResponse', async (request, reply) => {
    const p = request.principal;
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: reply.statusCode,
        duration_ms: Math.round(reply.elapsedTime * 100) / 100,
        ip: request.ip,
        user_id: p?.kind === 'user' ? p.userId : undefined,
        api_key: p?.kind === 'api_key' ? p.name : undefined,
      },
      'request completed',
    );
  });

  await app.register(formbody, { bodyLimit: config.http.maxRequestSize });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { ...OPENAPI_INFO, version: config.version },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const guards = createGuards({ tokens: services.tokens, apiKeys: services.apiKeys });
  await app.register(healthRoutes, { health: services.health });
  await app.register(jwksRoutes, { tokens: services.tokens });
  await app.register(authRoutes, { prefix: '/api/v1/auth', auth: services.auth, guards });
  await app.register(adminRoutes, { prefix: '/api/v1/admin', config, guards });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.ready();
  return app;
}
