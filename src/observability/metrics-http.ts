import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config/index.js';
import { AppError } from '../errors/index.js';
import { registerErrorHandling } from '../http/error-handler.js';
import { requestIdFor } from '../http/request-id.js';
import { constantTimeEqual } from '../shared/crypto.js';
import type { Logger } from './logger.js';
import type { AuthMethod, Metrics } from './metrics.js';
import { counterSeries, histogramSeries, type CounterSeries, type HistogramSeries } from './series.js';

/** The route label of a request no route matched (404s, malformed URLs): never the raw path. */
export const UNMATCHED_ROUTE = 'unmatched';

/** The series of one route and method: its duration, and its count per status code. */
interface RouteSeries {
  duration: HistogramSeries;
  byStatus: Map<number, CounterSeries>;
}

/** Which credential a refused request was about to present, if it was an authentication attempt. */
function authMethodOf(request: FastifyRequest): AuthMethod | undefined {
  const route = request.routeOptions.config?.rateLimit;
  if (route === 'login') return 'password';
  if (route === 'refresh') return 'refresh';
  if (typeof request.headers['x-api-key'] === 'string') return 'api_key';
  return undefined;
}

/**
 * The HTTP metrics, as hooks (never in handlers): one count and one duration per answered
 * request, labelled with the route template; and authentication attempts refused before their
 * credentials were looked at (blocked address, rate limit) as `result="blocked"`. Attempts that
 * reach the credential check are counted where it happens (see metrics-auth.ts, metrics-events.ts).
 */
export function metricsHooks(metrics: Metrics) {
  // route → method → series: two lookups and no key string per request.
  const routes = new Map<string, Map<string, RouteSeries>>();
  const seriesOf = (method: string, route: string): RouteSeries => {
    let byMethod = routes.get(route);
    if (!byMethod) routes.set(route, (byMethod = new Map()));
    let series = byMethod.get(method);
    if (!series) byMethod.set(method, (series = { duration: histogramSeries(metrics.httpDuration, { method, route }), byStatus: new Map() }));
    return series;
  };

  return fp(
    async (app: FastifyInstance) => {
      app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
        const { method } = request;
        const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
        const series = seriesOf(method, route);
        const status = reply.statusCode;
        let count = series.byStatus.get(status);
        if (!count) series.byStatus.set(status, (count = counterSeries(metrics.httpRequests, { method, route, status: String(status) })));
        count.inc();
        series.duration.observe(reply.elapsedTime / 1000);
        done();
      });
      app.addHook('onError', (request: FastifyRequest, _reply: FastifyReply, error: Error, done: () => void) => {
        // Refused before authentication: nobody has been identified yet.
        const refused = error instanceof AppError && (error.code === 'ip_blocked' || error.code === 'rate_limited') && request.principal === undefined;
        const method = refused ? authMethodOf(request) : undefined;
        if (method) metrics.authAttempts.inc({ method, result: 'blocked' });
        done();
      });
    },
    { name: 'vigil-metrics-hooks' },
  );
}

const BEARER = /^Bearer (\S+)$/i;

/** `Authorization: Bearer <METRICS_TOKEN>`, compared in constant time; a problem+json 401 otherwise. */
function requireToken(token: string): onRequestAsyncHookHandler {
  return async (request, reply) => {
    const given = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (given !== undefined && constantTimeEqual(given, token)) return;
    reply.header('www-authenticate', given === undefined ? 'Bearer realm="vigil-metrics"' : 'Bearer realm="vigil-metrics", error="invalid_token"');
    throw given === undefined
      ? new AppError('unauthenticated', 'Send the metrics token: Authorization: Bearer <METRICS_TOKEN>')
      : new AppError('invalid_token', 'The metrics token is wrong');
  };
}

/** `GET /metrics`: the Prometheus exposition, behind METRICS_TOKEN when it is set. */
export function metricsRoute(metrics: Metrics, token: string | undefined) {
  return async (app: FastifyInstance) => {
    app.get(
      '/metrics',
      {
        schema: {
          tags: ['metrics'],
          summary: 'Prometheus metrics (text exposition format)',
          // The token is optional: `{}` is the unauthenticated alternative when METRICS_TOKEN is unset.
          security: token === undefined ? [{ metricsToken: [] }, {}] : [{ metricsToken: [] }],
        },
        onRequest: token === undefined ? [] : [requireToken(token)],
      },
      async (_request, reply) => {
        reply.header('cache-control', 'no-store').type(metrics.contentType);
        return metrics.scrape();
      },
    );
  };
}

/**
 * METRICS_PORT: `/metrics` alone on a listener of its own (same host as the API), outside the
 * API's rate limits and blocks, for a monitoring network. Answers problem+json like the API.
 */
export async function startMetricsServer(deps: { metrics: Metrics; config: Config; logger: Logger }): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    genReqId: requestIdFor,
    requestTimeout: config.http.requestTimeoutMs,
    connectionTimeout: config.http.requestTimeoutMs,
  });
  registerErrorHandling(app);
  await app.register(metricsRoute(deps.metrics, config.metrics.token));
  await app.listen({ host: config.http.host, port: config.metrics.port ?? 0 });
  return app;
}
