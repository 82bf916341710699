import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKeyService } from '../../auth/api-keys.js';
import type { CorsOrigins } from '../../config/parsers.js';
import { AppError } from '../../errors/index.js';
import type { Guards } from '../../http/auth-guard.js';
import { errorResponses } from '../../http/openapi.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import type { Clock } from '../../shared/clock.js';
import type { TokenService } from '../../tokens/index.js';
import { LIVE_KINDS, type LiveFeed, type LiveKind } from './feed.js';
import { CLOSE, messageFrame } from './protocol.js';
import { createSession, type Session } from './session.js';

export interface LiveStreamOptions {
  /** The admin prefix the route goes under (`/api/v1/admin`). */
  prefix: string;
  feed: LiveFeed;
  tokens: TokenService;
  apiKeys: ApiKeyService;
  guards: Guards;
  clock: Clock;
  /** API_CORS_ORIGINS: browser origins besides the request's own that may open the stream. */
  corsOrigins: CorsOrigins;
  metrics: Metrics | undefined;
  logger: Logger;
  authTimeoutMs?: number;
  heartbeatMs?: number;
  maxBufferedBytes?: number;
  slowGraceMs?: number;
}

const DESCRIPTION = [
  'A WebSocket: connect with `Upgrade: websocket`, then send `{"type":"auth","token":"<access token>","cursor":"<last cursor>"|null}`',
  '(or `"api_key"` for an admin API key) within 5 s. The server answers `{"type":"ready","cursor"}`, replays what came after the cursor',
  '(or `{"type":"reset"}`), then sends `{"type":"message","cursor","kind","at","data"}` for security events, alert and incident changes and',
  'health changes. Close codes: 4401 unauthenticated or token expired, 4403 not admin, 1013 too slow, 1001 shutting down.',
  'A plain HTTP GET answers 401/403 like every admin route and 426 `upgrade_required` to an admin (docs/operations.md#live-stream).',
].join(' ');

/**
 * `GET <prefix>/stream`: the admin console's live stream over WebSocket (@fastify/websocket,
 * registered here on the root instance so every upgrade request is answered and its socket closed).
 * Browsers cannot send headers on a WebSocket, so authentication is the first message (see
 * session.ts); the HTTP guard cannot run, and a plain GET gets the admin guard and then a 426.
 */
export async function registerLiveStream(app: FastifyInstance, options: LiveStreamOptions): Promise<void> {
  const sessions = new Set<Session>();
  const heartbeatMs = options.heartbeatMs ?? 30_000;
  const metrics = options.metrics;
  const log = options.logger;
  const maxPayload = 16 * 1024;
  // One child counter per kind, looked up once: a send is then a plain increment.
  const sentBy = metrics && (Object.fromEntries(LIVE_KINDS.map((kind) => [kind, metrics.streamMessages.labels({ kind })])) as Record<LiveKind, { inc(): void }>);

  await app.register(websocket, {
    options: { maxPayload },
    // Every console connection is told the server is going away (the console reconnects elsewhere).
    preClose(done) {
      for (const session of sessions) session.close(CLOSE.goingAway, 'server shutting down');
      for (const client of app.websocketServer.clients) client.close(CLOSE.goingAway, 'server shutting down');
      app.websocketServer.close();
      done();
    },
  });

  // One subscription per instance: each message is serialised once for every connection.
  const unsubscribe = options.feed.subscribe((message) => {
    if (sessions.size === 0) return;
    const frame = messageFrame(message);
    for (const session of sessions) session.push(message, frame);
  });
  // Connections still authenticating (their own deadline closes them; the heartbeat pings them too).
  const pending = new Set<Session>();
  const heartbeat = setInterval(() => {
    for (const session of [...sessions, ...pending]) session.heartbeat().catch((err: unknown) => log.error({ err }, 'live stream heartbeat failed'));
  }, heartbeatMs);
  heartbeat.unref();
  app.addHook('onClose', async () => {
    clearInterval(heartbeat);
    unsubscribe();
  });

  const sameOrigin = (request: FastifyRequest, origin: string) => {
    const cors = options.corsOrigins;
    return origin === `${request.protocol}://${request.host}` || cors === '*' || cors.includes(origin);
  };

  await app.register(
    async (scope) => {
      scope.route({
        method: 'GET',
        url: '/stream',
        schema: {
          tags: ['admin'], summary: 'Live stream of security events, alerts, incidents and health (WebSocket)', description: DESCRIPTION,
          security: [{ bearerAuth: [] }, { apiKey: [] }],
          response: errorResponses(401, 403, 426),
        },
        // Cross-site pages may not open the stream: only the request's own origin or API_CORS_ORIGINS.
        preHandler: async (request: FastifyRequest) => {
          const origin = request.headers.origin;
          if (request.ws && origin !== undefined && !sameOrigin(request, origin)) throw new AppError('forbidden', 'This origin may not open the live stream (API_CORS_ORIGINS)');
        },
        handler: async (request: FastifyRequest, reply: FastifyReply) => {
          await options.guards.admin.call(scope, request, reply);
          throw new AppError('upgrade_required', 'The live stream is a WebSocket: connect with Upgrade: websocket');
        },
        wsHandler: (socket, request) => {
          const session = createSession(socket, {
            feed: options.feed,
            tokens: options.tokens,
            apiKeys: options.apiKeys,
            clock: options.clock,
            context: { ip: request.ip, request_id: request.id },
            authTimeoutMs: options.authTimeoutMs ?? 5000,
            maxBufferedBytes: options.maxBufferedBytes ?? 1024 * 1024,
            slowGraceMs: options.slowGraceMs ?? 10_000,
            onLive(s) {
              pending.delete(s);
              sessions.add(s);
              metrics?.streamClients.set(sessions.size);
            },
            onGone(s) {
              pending.delete(s);
              if (sessions.delete(s)) metrics?.streamClients.set(sessions.size);
            },
            onSent: (kind) => sentBy?.[kind].inc(),
            onSlow: (buffered) => log.warn({ request_id: request.id, buffered_bytes: buffered }, 'live stream client too slow: closed with 1013'),
          });
          pending.add(session);
          socket.on('close', () => pending.delete(session));
        },
      });
    },
    { prefix: options.prefix },
  );
}
