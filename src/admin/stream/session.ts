import type { ApiKeyService } from '../../auth/api-keys.js';
import { isAdmin, type Principal } from '../../auth/principal.js';
import type { Clock } from '../../shared/clock.js';
import type { TokenService } from '../../tokens/index.js';
import { LIVE_RETAIN, type LiveFeed, type LiveKind, type LiveMessage } from './feed.js';
import { CLOSE, messageFrame, parseAuth, readyFrame, RESET_FRAME, type AuthMessage } from './protocol.js';

/** The part of a `ws` WebSocket a session uses (tests pass a fake). */
export interface StreamSocket {
  readonly bufferedAmount: number;
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  ping(): void;
  on(event: 'message', listener: (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void): unknown;
  on(event: 'pong' | 'close', listener: () => void): unknown;
}

export interface SessionDeps {
  feed: LiveFeed;
  tokens: Pick<TokenService, 'verifyAccess'>;
  apiKeys: Pick<ApiKeyService, 'authenticate'>;
  clock: Clock;
  context: { ip: string; request_id: string };
  /** Deadline for the auth message. Default 5000 ms. */
  authTimeoutMs: number;
  /** A client whose unsent data stays above this for `slowGraceMs` (or exceeds it 4×) is dropped. */
  maxBufferedBytes: number;
  slowGraceMs: number;
  /** The session is authenticated and wants live messages / is gone. */
  onLive(session: Session): void;
  onGone(session: Session): void;
  onSent(kind: LiveKind): void;
  onSlow(bufferedBytes: number): void;
}

export interface Session {
  /** A live message (its frame serialised once for every session). */
  push(message: LiveMessage, frame: string): void;
  /** Heartbeat: terminates a client that missed the last ping, checks the credentials still hold, pings. */
  heartbeat(): Promise<void>;
  close(code: number, reason: string): void;
}

const OPEN = 1;

/**
 * One console connection: waits for the auth message (nothing is sent before it succeeds), then
 * sends `ready`, the replay after the client's cursor (or `reset`), and live messages, in order
 * and without duplicates: live messages that arrive during the replay are held and those already
 * replayed are skipped. Closes with 4401 when the access token expires or stops being valid.
 */
export function createSession(ws: StreamSocket, deps: SessionDeps): Session {
  let state: 'auth' | 'starting' | 'live' | 'closed' = 'auth';
  let credentials: AuthMessage | undefined;
  let held: LiveMessage[] = [];
  let alive = true;
  let overSince: number | undefined;
  let expiryTimer: NodeJS.Timeout | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const authTimer = setTimeout(() => close(CLOSE.unauthenticated, 'authentication timeout'), deps.authTimeoutMs);

  function close(code: number, reason: string) {
    if (state === 'closed') return;
    state = 'closed';
    clearTimeout(authTimer);
    clearTimeout(expiryTimer);
    held = [];
    ws.close(code, reason);
    // A client that does not answer the close handshake (or reads nothing) is cut off.
    killTimer = setTimeout(() => ws.terminate(), 5000);
    killTimer.unref();
  }

  function send(frame: string, kind?: LiveKind) {
    if (state === 'closed' || ws.readyState !== OPEN) return;
    ws.send(frame);
    if (kind) deps.onSent(kind);
    checkBackpressure();
  }

  function checkBackpressure() {
    const buffered = ws.bufferedAmount;
    if (buffered <= deps.maxBufferedBytes) {
      overSince = undefined;
      return;
    }
    const now = Date.now();
    overSince ??= now;
    if (buffered > 4 * deps.maxBufferedBytes || now - overSince >= deps.slowGraceMs) {
      deps.onSlow(buffered);
      close(CLOSE.tryAgainLater, 'too slow: reconnect with your cursor');
    }
  }

  /** The principal the credentials give now, or the close code that refuses them. */
  async function authenticate(auth: AuthMessage): Promise<{ principal: Principal; expiresAt?: number } | 4401 | 4403> {
    if (typeof auth.token === 'string') {
      const check = await deps.tokens.verifyAccess(auth.token);
      if (!check.ok) return CLOSE.unauthenticated;
      const c = check.claims;
      const principal: Principal = { kind: 'user', userId: c.sub, roles: c.roles, sid: c.sid, jti: c.jti, exp: c.exp };
      return isAdmin(principal) ? { principal, expiresAt: c.exp * 1000 } : CLOSE.forbidden;
    }
    if (typeof auth.api_key === 'string') {
      const check = await deps.apiKeys.authenticate(auth.api_key, deps.context);
      if (!check.ok) return CLOSE.unauthenticated;
      return isAdmin(check.principal) ? { principal: check.principal } : CLOSE.forbidden;
    }
    return CLOSE.unauthenticated;
  }

  async function start(raw: string) {
    const auth = parseAuth(raw);
    if (!auth) return close(CLOSE.unauthenticated, 'the first message must be {"type":"auth",…}');
    const result = await authenticate(auth);
    if (state !== 'auth') return;
    if (result === CLOSE.unauthenticated) return close(result, 'invalid, expired or missing credentials');
    if (result === CLOSE.forbidden) return close(result, 'the admin role or an admin API key is needed');
    clearTimeout(authTimer);
    credentials = auth;
    state = 'starting';
    // Registered before the replay is read, so nothing published meanwhile is missed.
    deps.onLive(session);
    if (result.expiresAt !== undefined) {
      expiryTimer = setTimeout(() => close(CLOSE.unauthenticated, 'access token expired'), Math.min(Math.max(0, result.expiresAt - deps.clock.now()), 2 ** 31 - 1));
      expiryTimer.unref();
    }
    const replay = auth.cursor ? await deps.feed.replay(auth.cursor) : [];
    const head = await deps.feed.head();
    if (state !== 'starting') return;
    send(readyFrame(head));
    const seen = new Set<string>();
    if (replay === 'reset') send(RESET_FRAME);
    else for (const m of replay) {
      seen.add(m.cursor);
      send(messageFrame(m), m.kind);
    }
    const pending = held;
    held = [];
    state = 'live';
    for (const m of pending) if (!seen.has(m.cursor)) send(messageFrame(m), m.kind);
  }

  ws.on('message', (data) => {
    if (state !== 'auth' || credentials) return;
    credentials = {};
    const raw = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    start(raw.toString('utf8')).catch(() => close(CLOSE.unauthenticated, 'authentication failed'));
  });
  ws.on('pong', () => {
    alive = true;
  });
  ws.on('close', () => {
    const was = state;
    state = 'closed';
    clearTimeout(authTimer);
    clearTimeout(expiryTimer);
    clearTimeout(killTimer);
    if (was !== 'auth') deps.onGone(session);
  });

  const session: Session = {
    push(message, frame) {
      if (state === 'starting') {
        held.push(message);
        if (held.length > LIVE_RETAIN) close(CLOSE.tryAgainLater, 'too slow: reconnect with your cursor');
      } else if (state === 'live') {
        send(frame, message.kind);
      }
    },
    async heartbeat() {
      if (state === 'closed') return;
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
      if (state === 'auth') return;
      checkBackpressure();
      // Revoked sessions, disabled users, revoked keys: the stream stops with the credentials.
      const result = await authenticate(credentials!);
      if (typeof result === 'number') close(result, 'credentials no longer valid');
    },
    close,
  };
  return session;
}
