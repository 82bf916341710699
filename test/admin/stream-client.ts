import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { WebSocket } from 'ws';
import type { Services } from '../../src/services.js';

/** A frame the live stream sends. */
export interface Frame {
  type: 'ready' | 'message' | 'reset';
  cursor?: string;
  kind?: string;
  at?: string;
  data?: Record<string, unknown>;
}

/** A console-like client of `/api/v1/admin/stream` over a real socket (the `ws` library). */
export interface StreamClient {
  ws: WebSocket;
  frames: Frame[];
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
  auth(body: Record<string, unknown>): void;
  /** Waits for a frame matching `match` (already received or to come). */
  next(match: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  close(): Promise<void>;
}

/** The base URL of a listening app (ws://127.0.0.1:port). */
export async function listen(app: FastifyInstance): Promise<string> {
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return address.replace(/^http/, 'ws');
}

export async function openStream(base: string, headers: Record<string, string> = {}): Promise<StreamClient> {
  const ws = new WebSocket(`${base}/api/v1/admin/stream`, { headers });
  const frames: Frame[] = [];
  const waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  ws.on('message', (data) => {
    const frame = JSON.parse(String(data)) as Frame;
    frames.push(frame);
    for (const w of [...waiters]) if (w.match(frame)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(frame);
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    frames,
    closed,
    auth: (body) => ws.send(JSON.stringify({ type: 'auth', ...body })),
    next(match, timeoutMs = 5000) {
      const found = frames.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(frames.map((f) => [f.type, f.kind, f.cursor, f.data?.status ?? f.data?.type])).slice(0, 2000)}`)), timeoutMs);
        waiters.push({ match, resolve: (f) => (clearTimeout(timer), resolve(f)) });
      });
    },
    async close() {
      if (ws.readyState === WebSocket.CLOSED) return;
      ws.close();
      await closed;
    },
  };
}

/** An access token of a fresh user with `role` (a short `ttlMs` for expiry tests). */
export async function accessToken(services: Services, role: 'admin' | 'user', ttlMs?: number): Promise<string> {
  const user = await services.auth.createUser({ email: `${role}-${randomUUID()}@example.com`, password: 'correct-Horse-battery-staple-42', role }, {});
  return (await services.tokens.issueAccess({ id: user.id, role }, randomUUID(), ttlMs)).token;
}

/** The live messages a client got, by kind. */
export const messagesOf = (c: StreamClient, kind?: string) => c.frames.filter((f) => f.type === 'message' && (kind === undefined || f.kind === kind));
