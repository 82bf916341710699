import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { adminRoutes } from './admin/routes.js';
import { apiKeyAdminRoutes } from './admin/api-key-routes.js';
import { overviewRoutes } from './admin/overview-routes.js';
import { sessionAdminRoutes } from './admin/sessions-routes.js';
import { userAdminRoutes } from './admin/users-routes.js';
import { registerLiveStream } from './admin/stream/index.js';
import { consoleSessionRoutes, consoleStaticRoutes } from './admin/console/index.js';
import { alertingRoutes } from './alerting/routes.js';
import { incidentRoutes } from './incidents/routes.js';
import { loadRunbooks, runbookRoutes } from './incidents/runbooks.js';
import { sloRoutes } from './incidents/slo-routes.js';
import { createStatusPage, statusRoutes } from './status/index.js';
import { backupAdminRoutes } from './backups/routes.js';
import { jobAdminRoutes } from './jobs/routes.js';
import { authRoutes } from './auth/routes.js';
import { protectionHooks } from './protection/http.js';
import { protectionAdminRoutes } from './protection/routes.js';
import { bearerToken, createGuards, markGuardedRoutes } from './http/auth-guard.js';
import { registerBodyTimeout } from './http/body-timeout.js';
import { frameworkErrorHandler, registerErrorHandling } from './http/error-handler.js';
import { DOCS_CSP, registerHttpHardening, withSecurityHeaders } from './http/hardening.js';
import { OPENAPI_INFO } from './http/openapi.js';
import { answerProbesFirst } from './http/probes-first.js';
import { ProblemSchema } from './http/problem.js';
import { requestIdFor } from './http/request-id.js';
import { securityEventRoutes } from './security-monitoring/routes.js';
import { validatorCompiler } from './http/validation.js';
import { lazyChildLoggerFactory } from './observability/request-logger.js';
import { healthRoutes } from './observability/health-routes.js';
import { metricsHooks, metricsRoute } from './observability/metrics-http.js';
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
    childLoggerFactory: lazyChildLoggerFactory,
    genReqId: requestIdFor,
    // A hop count is valid at run time (proxy-addr); Fastify's types omit it.
    trustProxy: config.http.trustProxy as boolean | string | string[],
    bodyLimit: config.http.maxRequestSize,
    requestTimeout: config.http.requestTimeoutMs,
    // Node 20 checks requestTimeout only every 30 s (and not at all for a stalled body); a socket
    // idle for as long is closed, so a client that stops sending cannot hold a connection.
    connectionTimeout: config.http.requestTimeoutMs,
    return503OnClosing: true,
    frameworkErrors: withSecurityHeaders(config, frameworkErrorHandler),
  }).withTypeProvider<TypeBoxTypeProvider>();

  // /health and /health/ready are answered before the requests that arrived with them.
  answerProbesFirst(app.server);
  app.setValidatorCompiler(validatorCompiler());
  app.addSchema(ProblemSchema);
  app.decorateRequest('principal', undefined);
  // Every unexpected 5xx also goes to error tracking (Sentry), tagged with the request id.
  registerErrorHandling(app, {
    onServerError: (error, request) =>
      services.errorTracking.capture(error, { request_id: request.id, method: request.method, route: request.routeOptions.url ?? 'unmatched' }),
  });
  // The API speaks JSON and form bodies only; anything else is a 415, not a string to validate.
  app.removeContentTypeParser('text/plain');

  // Hooks on every request take a callback, not a promise: one microtask less each.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  registerBodyTimeout(app, config.http.requestTimeoutMs);
  // Draining: once close() starts, each response closes its keep-alive connection, so in-flight
  // requests finish and the server stops without waiting for idle clients.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  // One access line per request, with the route template (never the raw path: it may hold tokens).
  const accessLog = httpLog.isLevelEnabled('info');
  app.addHook('onResponse', (request, reply, done) => {
    if (!accessLog) return done();
    const p = request.principal;
    httpLog.info(
      {
        request_id: request.id,
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: reply.statusCode,
        duration_ms: Math.round(reply.elapsedTime * 100) / 100,
        ip: request.ip,
        user_id: p?.kind === 'user' ? p.userId : undefined,
        api_key_name: p?.kind === 'api_key' ? p.name : undefined,
      },
      'request completed',
    );
    done();
  });
  // Request counts and durations by route template, for every answer (also 404s and refusals).
  if (services.metrics) await app.register(metricsHooks(services.metrics));

  // Security headers, the Host check and CORS: before anything else that may answer a request.
  await registerHttpHardening(app, config);
  await app.register(formbody, { bodyLimit: config.http.maxRequestSize });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { ...OPENAPI_INFO, version: config.version },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
          metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN (only /metrics, only when it is set)' },
          consoleCookie: { type: 'apiKey', in: 'cookie', name: 'vigil_console_refresh', description: 'The admin console\'s httpOnly refresh cookie (only /api/v1/console)' },
        },
      },
    },
  });
  // Swagger UI replaces the strict API CSP with one that lets it load its own scripts and styles.
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: DOCS_CSP });

  // Blocked addresses and rate limits, before any route runs; per-user limits once a guard knows the user.
  // A guarded request whose access token this instance already knows has its user's layer counted
  // with the others, before the guard: one round trip to Redis instead of two.
  const protection = protectionHooks({
    protection: services.protection,
    events: services.events,
    clock: services.clock,
    knownUser: (request) => {
      const token = bearerToken(request);
      return token === undefined ? undefined : services.tokens.knownAccess(token)?.sub;
    },
  });
  await app.register(protection.plugin);
  const guards = createGuards({ tokens: services.tokens, apiKeys: services.apiKeys, afterAuthentication: protection.afterAuthentication });
  markGuardedRoutes(app, guards);
  await app.register(healthRoutes, { health: services.health, detailed: services.detailedHealth, guards });
  // On the API port unless METRICS_PORT gives it a listener of its own (main.ts starts that one).
  if (services.metrics && config.metrics.port === undefined) await app.register(metricsRoute(services.metrics, config.metrics.token));
  await app.register(jwksRoutes, { tokens: services.tokens });
  await app.register(authRoutes, { prefix: '/api/v1/auth', auth: services.auth, guards });
  // The admin console: its cookie session and the built app (dist/web) at /admin.
  await app.register(consoleSessionRoutes, { prefix: '/api/v1/console', auth: services.auth, tokens: services.tokens, users: services.users, events: services.events, config });
  await app.register(consoleStaticRoutes);
  await app.register(adminRoutes, { prefix: '/api/v1/admin', config, guards });
  await app.register(userAdminRoutes, { prefix: '/api/v1/admin', users: services.admin.users, clock: services.clock, guards });
  await app.register(sessionAdminRoutes, { prefix: '/api/v1/admin', sessions: services.admin.sessions, guards });
  await app.register(apiKeyAdminRoutes, { prefix: '/api/v1/admin', apiKeys: services.apiKeys, events: services.events, clock: services.clock, guards });
  await app.register(overviewRoutes, { prefix: '/api/v1/admin', stats: services.admin.stats, config, guards });
  // The console's live stream (WebSocket, authenticated by its first message).
  await registerLiveStream(app, {
    prefix: '/api/v1/admin', feed: services.live, tokens: services.tokens, apiKeys: services.apiKeys, guards, clock: services.clock,
    corsOrigins: config.http.corsOrigins, metrics: services.metrics, logger: services.log('live'),
  });
  await app.register(securityEventRoutes, { prefix: '/api/v1/admin', securityEvents: services.securityEvents, guards });
  await app.register(protectionAdminRoutes, { prefix: '/api/v1/admin', protection: services.protection, users: services.users, tokens: services.tokens, guards });
  await app.register(jobAdminRoutes, { prefix: '/api/v1/admin', maintenance: services.maintenance, events: services.events, guards });
  await app.register(backupAdminRoutes, { prefix: '/api/v1/admin', backups: services.maintenance.backups, events: services.events, guards });

  if (services.alerting) await app.register(alertingRoutes, { prefix: '/api/v1/admin', alerting: services.alerting, events: services.events, guards });
  if (services.incidents) await app.register(incidentRoutes, { prefix: '/api/v1/admin', incidents: services.incidents, events: services.events, guards });
  await app.register(sloRoutes, { prefix: '/api/v1/admin', slo: services.slo, defaultWindowMs: config.slo.windowMs, guards });
  // docs/runbooks/, read once here: the alert rules' runbook_url points at these.
  await app.register(runbookRoutes, { runbooks: loadRunbooks() });
  // The public status page, computed at most every 30 s whatever the request rate; not exempt from rate limits.
  const ruleCategory = new Map(services.alerting?.rules().map((r) => [r.name, r.category]));
  const statusPage = createStatusPage({ clock: services.clock, logger: services.log('status'), health: () => services.health.snapshot(), incidents: services.incidents, slo: services.slo, categoryOf: (rule) => ruleCategory.get(rule) });
  await app.register(statusRoutes, { status: statusPage });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.ready();
  return app;
}
