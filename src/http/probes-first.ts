import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/**
 * The liveness and readiness probes: what a load balancer, Docker or Kubernetes asks, also while
 * the API is busy and whatever Host it sends. Answered first here, exempt from the Host check.
 */
export const PROBE_ROUTES: ReadonlySet<string> = new Set(['/health', '/health/ready']);

export function isProbe(url: string | undefined): boolean {
  if (url === undefined) return false;
  const query = url.indexOf('?');
  return PROBE_ROUTES.has(query === -1 ? url : url.slice(0, query));
}

/**
 * Other requests handled per event-loop turn, at most: a probe waits for at most this many. Each
 * turn costs a poll, and responses sent one per turn wake the client once each, which on this
 * project's VMs cost +9% CPU per request at one per turn; at eight none was measurable.
 */
const REQUESTS_PER_TURN = 8;

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * Health probes are answered ahead of queued work. Requests that arrive together (one poll of
 * the event loop) are otherwise handled one after the other, each to its end, so a probe waited
 * for all of them. Here a probe is handled as soon as it is read; every other request joins a
 * queue that is worked off in order, at most `perTurn` requests per event-loop turn, and each
 * turn polls the sockets first.
 */
export function probesFirst(handler: Handler, perTurn = REQUESTS_PER_TURN): Handler {
  const queue: [IncomingMessage, ServerResponse][] = [];
  let head = 0;
  /** Turns scheduled (setImmediate), at most `perTurn`: each handles one request. */
  let scheduled = 0;
  const next = () => {
    scheduled--;
    const [request, response] = queue[head]!;
    queue[head++] = undefined!;
    if (head === queue.length) {
      queue.length = 0;
      head = 0;
    } else if (queue.length - head > scheduled) {
      // Scheduled from the check phase, it runs in the next turn, after the next poll.
      scheduled++;
      setImmediate(next);
    }
    handler(request, response);
  };
  return (request, response) => {
    if (isProbe(request.url)) return handler(request, response);
    queue.push([request, response]);
    if (scheduled < perTurn) {
      scheduled++;
      setImmediate(next);
    }
  };
}

/**
 * Puts `probesFirst` in front of the handler Fastify gave its HTTP server. Wrapping the listener
 * rather than passing a `serverFactory` keeps the server Fastify makes: its timeouts, and the
 * second address it binds when listening on `localhost` (which it skips for a server factory's;
 * that second server calls Fastify's handler directly, without the priority).
 */
export function answerProbesFirst(server: Server): void {
  const listeners = server.listeners('request');
  if (listeners.length !== 1) throw new Error(`expected Fastify's one request listener, found ${listeners.length}`);
  const handler = listeners[0] as Handler;
  server.removeListener('request', handler);
  server.on('request', probesFirst(handler));
}
