import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import type { FastifyServerFactory } from 'fastify';

/** The liveness and readiness probes: what a load balancer or Kubernetes asks while the API is busy. */
const PROBE_PATHS: ReadonlySet<string> = new Set(['/health', '/health/ready']);

export function isProbe(url: string | undefined): boolean {
  if (url === undefined) return false;
  const query = url.indexOf('?');
  return PROBE_PATHS.has(query === -1 ? url : url.slice(0, query));
}

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * Health probes are answered ahead of queued work. Requests that arrive together (one poll of
 * the event loop) are otherwise handled one after the other, each to its end; here a probe is
 * handled as it is read, and every other request one event-loop phase later (`setImmediate`), so
 * a probe never waits for the requests that arrived with it, only for the work already running.
 */
export function probesFirst(handler: Handler): Handler {
  return (request, response) => {
    if (isProbe(request.url)) handler(request, response);
    else setImmediate(handler, request, response);
  };
}

/**
 * Fastify's HTTP/1 server with `probesFirst` in front of its handler. Fastify applies its timeouts
 * only to servers it creates itself, so they are set here from the same options.
 */
export const probesFirstServer: FastifyServerFactory<Server> = (handler, options) => {
  const server = createServer((options.http ?? {}) as ServerOptions, probesFirst(handler));
  server.keepAliveTimeout = options.keepAliveTimeout as number;
  server.requestTimeout = options.requestTimeout as number;
  server.setTimeout(options.connectionTimeout as number);
  if ((options.maxRequestsPerSocket as number) > 0) server.maxRequestsPerSocket = options.maxRequestsPerSocket as number;
  return server;
};
