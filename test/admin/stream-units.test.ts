import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { LiveFeed, LiveKind, LiveMessage } from '../../src/admin/stream/feed.js';
import { createMemoryFeed } from '../../src/admin/stream/memory-feed.js';
import { messageFrame, parseAuth } from '../../src/admin/stream/protocol.js';
import { createSession, type Session } from '../../src/admin/stream/session.js';
import { connectLiveSources } from '../../src/admin/stream/sources.js';
import type { HealthSnapshot } from '../../src/observability/health.js';
import { systemClock } from '../../src/shared/clock.js';
import { sleep, within } from '../support/wait.js';

const failOnError = (err: unknown) => {
  throw err;
};

describe('in-memory live feed', () => {
  it('keeps the last `capacity` messages: an older cursor, another feed’s or garbage gets a reset', async () => {
    const feed = createMemoryFeed({ clock: systemClock, capacity: 5, onError: failOnError });
    const start = await feed.head();
    for (let i = 0; i < 3; i++) feed.publish('health', { i });
    expect(((await feed.replay(start)) as LiveMessage[]).map((m) => m.data)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
    for (let i = 3; i < 8; i++) feed.publish('health', { i });
    expect(await feed.replay(start)).toBe('reset');
    const all = (await feed.replay(start.replace(/\.0$/, '.3'))) as LiveMessage[];
    expect(all.map((m) => m.data)).toEqual([{ i: 3 }, { i: 4 }, { i: 5 }, { i: 6 }, { i: 7 }]);
    expect(await feed.replay(all[4]!.cursor)).toEqual([]);
    const other = createMemoryFeed({ clock: systemClock, onError: failOnError });
    for (const cursor of [await other.head(), 'garbage', start.replace(/\.0$/, '.2'), start.replace(/\.0$/, '.99'), start.replace(/\.0$/, '.01')]) expect(await feed.replay(cursor), cursor).toBe('reset');
  });

  it('delivers after the publisher returns, in order; the head moves with delivery', async () => {
    const feed = createMemoryFeed({ clock: systemClock, onError: failOnError });
    const got: unknown[] = [];
    feed.subscribe((m) => got.push(m.data));
    const before = await feed.head();
    feed.publish('alert', 1);
    feed.publish('alert', 2);
    expect(got).toEqual([]);
    expect(await feed.head()).toBe(before);
    await sleep(0);
    expect(got).toEqual([1, 2]);
    expect(await feed.head()).not.toBe(before);
  });

  it('a failing subscriber neither stops the others nor reaches the publisher', async () => {
    const errors: unknown[] = [];
    const feed = createMemoryFeed({ clock: systemClock, onError: (err) => errors.push(err) });
    const got: unknown[] = [];
    feed.subscribe(() => {
      throw new Error('boom');
    });
    feed.subscribe((m) => got.push(m.data));
    expect(() => feed.publish('health', 1)).not.toThrow();
    await sleep(0);
    expect([got, errors.length]).toEqual([[1], 1]);
  });
});

describe('auth message', () => {
  it('accepts the documented shape only', () => {
    expect(parseAuth('{"type":"auth","token":"t","cursor":null}')).toEqual({ token: 't', api_key: undefined, cursor: null });
    expect(parseAuth('{"type":"auth","api_key":"k"}')).toEqual({ token: undefined, api_key: 'k', cursor: undefined });
    for (const raw of ['', 'null', '[]', '{"type":"hello"}', '{"type":"auth","token":5}', '{"type":"auth","api_key":null}', `{"type":"auth","cursor":"${'x'.repeat(200)}"}`]) expect(parseAuth(raw), raw).toBeUndefined();
  });
});

/** A socket whose unsent byte count the test sets. */
class FakeSocket extends EventEmitter {
  bufferedAmount = 0;
  readyState = 1;
  sent: string[] = [];
  closedWith: [number, string] | undefined;
  terminated = false;
  send(data: string) {
    this.sent.push(data);
  }
  close(code: number, reason: string) {
    this.closedWith = [code, reason];
  }
  terminate() {
    this.terminated = true;
  }
  ping() {}
}

function liveSession(ws: FakeSocket, feed: LiveFeed, slowGraceMs: number, slow: number[]) {
  let live: Session | undefined;
  const session = createSession(ws, {
    feed,
    tokens: { verifyAccess: async () => ({ ok: false, reason: 'invalid' }) as never },
    apiKeys: { authenticate: async () => ({ ok: true, principal: { kind: 'api_key', keyId: null, name: 'ADMIN_API_KEY', scope: 'admin' } }) },
    clock: systemClock,
    context: { ip: '127.0.0.1', request_id: 'r' },
    authTimeoutMs: 5000,
    maxBufferedBytes: 1000,
    slowGraceMs,
    onLive: (s) => void (live = s),
    onGone: () => undefined,
    onSent: () => undefined,
    onSlow: (b) => void slow.push(b),
  });
  ws.emit('message', Buffer.from(JSON.stringify({ type: 'auth', api_key: 'k' })), false);
  return { session, live: () => live };
}

describe('a slow client', () => {
  const message = (i: number, kind: LiveKind = 'security_event'): LiveMessage => ({ cursor: `c.${i}`, kind, at: new Date().toISOString(), data: { i } });
  const push = (s: Session, i: number) => s.push(message(i), messageFrame(message(i)));

  it('is closed with 1013 when its unsent data stays above the bound for the grace period, not before', async () => {
    const ws = new FakeSocket();
    const slow: number[] = [];
    const { session, live } = liveSession(ws, createMemoryFeed({ clock: systemClock, onError: failOnError }), 200, slow);
    await within(1000, () => live() !== undefined && ws.sent.length === 1);
    ws.bufferedAmount = 2000;
    push(session, 1);
    await sleep(50);
    push(session, 2);
    expect(ws.closedWith).toBeUndefined();
    ws.bufferedAmount = 10;
    push(session, 3);
    ws.bufferedAmount = 2000;
    push(session, 4); // the time over the bound starts again here
    await sleep(100);
    push(session, 5);
    expect(ws.closedWith).toBeUndefined();
    await sleep(150);
    push(session, 6);
    expect(ws.closedWith).toEqual([1013, 'too slow: reconnect with your cursor']);
    expect(slow).toEqual([2000]);
    push(session, 7);
    expect(ws.sent.map((f) => (JSON.parse(f) as { data?: { i: number } }).data?.i)).toEqual([undefined, 1, 2, 3, 4, 5, 6]);
  });

  it('is closed at once when its unsent data exceeds four times the bound', async () => {
    const ws = new FakeSocket();
    const slow: number[] = [];
    const { session, live } = liveSession(ws, createMemoryFeed({ clock: systemClock, onError: failOnError }), 60_000, slow);
    await within(1000, () => live() !== undefined);
    ws.bufferedAmount = 4001;
    push(session, 1);
    expect(ws.closedWith?.[0]).toBe(1013);
  });
});

describe('heartbeat', () => {
  it('terminates a client that did not answer the last ping; one that answers stays', async () => {
    const ws = new FakeSocket();
    const { session, live } = liveSession(ws, createMemoryFeed({ clock: systemClock, onError: failOnError }), 60_000, []);
    await within(1000, () => live() !== undefined);
    await session.heartbeat();
    ws.emit('pong');
    await session.heartbeat();
    expect(ws.terminated).toBe(false);
    await session.heartbeat();
    expect(ws.terminated).toBe(true);
  });

  it('closes with 4401 once the credentials stop holding (a revoked key or session)', async () => {
    const ws = new FakeSocket();
    let valid = true;
    createSession(ws, {
      feed: createMemoryFeed({ clock: systemClock, onError: failOnError }),
      tokens: { verifyAccess: async () => ({ ok: false, reason: 'invalid' }) as never },
      apiKeys: { authenticate: async () => (valid ? { ok: true, principal: { kind: 'api_key', keyId: 'k1', name: 'ops', scope: 'admin' } } : { ok: false, reason: 'revoked' }) as never },
      clock: systemClock, context: { ip: '127.0.0.1', request_id: 'r' }, authTimeoutMs: 5000, maxBufferedBytes: 1000, slowGraceMs: 1000,
      onLive: (s) => void setImmediate(() => void (live = s)), onGone: () => undefined, onSent: () => undefined, onSlow: () => undefined,
    });
    let live: Session | undefined;
    ws.emit('message', Buffer.from(JSON.stringify({ type: 'auth', api_key: 'k' })), false);
    await within(1000, () => live !== undefined && ws.sent.length === 1);
    await live!.heartbeat();
    expect(ws.closedWith).toBeUndefined();
    valid = false;
    ws.emit('pong');
    await live!.heartbeat();
    expect(ws.closedWith).toEqual([4401, 'credentials no longer valid']);
  });
});

describe('live sources', () => {
  it('publishes health only when the status or a service status changes, with the instance id', async () => {
    const published: [LiveKind, unknown][] = [];
    const feed = { publish: (kind: LiveKind, data: unknown) => void published.push([kind, data]) } as LiveFeed;
    let snapshot: HealthSnapshot = { status: 'healthy', version: '1', environment: 'test', uptime: 1, services: { database: { status: 'connected' }, redis: { status: 'connected' } }, features: {} };
    const sources = connectLiveSources({ feed, instanceId: 'i-1', alerting: undefined, incidents: undefined, health: () => snapshot, healthIntervalMs: 20 });
    try {
      await sleep(60);
      snapshot = { ...snapshot, uptime: 5 };
      await sleep(60);
      expect(published).toEqual([]);
      snapshot = { ...snapshot, services: { ...snapshot.services, redis: { status: 'disconnected' } } };
      await within(500, () => published.length === 1);
      snapshot = { ...snapshot, status: 'degraded' };
      await within(500, () => published.length === 2);
      await sleep(60);
      expect(published).toEqual([
        ['health', expect.objectContaining({ instance: 'i-1', status: 'healthy', services: { database: { status: 'connected' }, redis: { status: 'disconnected' } } })],
        ['health', expect.objectContaining({ instance: 'i-1', status: 'degraded' })],
      ]);
    } finally {
      sources.stop();
    }
  });
});
