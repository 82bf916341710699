import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/**
 * The console's live stream client (web/src/stream.ts) against a scripted WebSocket: the auth
 * message with the last cursor, de-duplication, reconnection with exponential backoff, resume
 * from the cursor, `reset`, and the close codes 4401 (refresh, then reconnect at once) and 4403.
 */

interface LiveMessage {
  cursor: string;
  kind: string;
  data: Record<string, unknown>;
}
interface StreamModule {
  stream: {
    start(): void;
    stop(): void;
    state(): string;
    on(kind: string, fn: (m: LiveMessage) => void): () => void;
    onReset(fn: () => void): () => void;
  };
}
interface ApiModule {
  signIn(email: string, password: string): Promise<unknown>;
}

/** Loaded by path at run time: the console is built for the browser (DOM types), not this project's Node types. */
const STREAM = join(process.cwd(), 'web/src/stream.ts');
const API = join(process.cwd(), 'web/src/api.ts');

class FakeSocket {
  static all: FakeSocket[] = [];
  sent: Record<string, unknown>[] = [];
  closedWith: number | undefined;
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: ((e: { code: number }) => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(text: string) {
    this.sent.push(JSON.parse(text) as Record<string, unknown>);
  }
  close(code = 1000) {
    this.closedWith = code;
  }
  // The server's side:
  open() {
    this.onopen?.();
  }
  frame(value: object) {
    this.onmessage?.({ data: JSON.stringify(value) });
  }
  drop(code: number) {
    this.onclose?.({ code });
  }
}

const last = () => FakeSocket.all[FakeSocket.all.length - 1]!;
const message = (cursor: string, data: Record<string, unknown> = { type: 'LOGIN_FAILED' }) => ({ type: 'message', cursor, kind: 'security_event', at: new Date().toISOString(), data });

describe('console live stream client', () => {
  let stream: StreamModule['stream'];
  let tokens: string[];
  const received: string[] = [];

  beforeEach(async () => {
    vi.useFakeTimers();
    vi.resetModules();
    FakeSocket.all = [];
    received.length = 0;
    tokens = ['token-1', 'token-2', 'token-3'];
    const store = new Map<string, string>();
    vi.stubGlobal('WebSocket', FakeSocket);
    vi.stubGlobal('location', { protocol: 'https:', host: 'vigil.example:8443' });
    vi.stubGlobal('localStorage', { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v), removeItem: (k: string) => void store.delete(k) });
    // Random jitter at its top: each delay is exactly the backoff's base.
    vi.spyOn(Math, 'random').mockReturnValue(1);
    // Sign-in and refresh each answer the next access token.
    vi.stubGlobal('fetch', vi.fn(async () => ({ ok: true, status: 200, json: async () => ({ access_token: tokens.shift(), expires_in: 900, user: { id: 'u1', email: 'a@example.com', name: null, role: 'admin' } }) })));
    const api = (await import(API)) as ApiModule;
    await api.signIn('a@example.com', 'pw');
    stream = ((await import(STREAM)) as StreamModule).stream;
    stream.on('security_event', (m) => void received.push(m.cursor));
  });
  afterEach(() => {
    stream.stop();
    vi.useRealTimers();
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it('authenticates with its first message, goes live on ready, and delivers each message once', () => {
    stream.start();
    const ws = last();
    expect(ws.url).toBe('wss://vigil.example:8443/api/v1/admin/stream');
    expect(stream.state()).toBe('connecting');
    ws.open();
    expect(ws.sent).toEqual([{ type: 'auth', token: 'token-1', cursor: null }]);
    ws.frame({ type: 'ready', cursor: 'c0' });
    expect(stream.state()).toBe('live');
    ws.frame(message('c1'));
    ws.frame(message('c1'));
    ws.frame(message('c2'));
    expect(received).toEqual(['c1', 'c2']);
  });

  it('reconnects with exponential backoff (0.5 s doubling, capped at 15 s) and resumes from the last cursor', async () => {
    stream.start();
    last().open();
    last().frame({ type: 'ready', cursor: 'c0' });
    last().frame(message('c1'));
    last().frame(message('c2'));

    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      const before = FakeSocket.all.length;
      last().drop(1006);
      expect(stream.state()).toBe('connecting');
      let waited = 0;
      while (FakeSocket.all.length === before) {
        await vi.advanceTimersByTimeAsync(100);
        waited += 100;
        expect(waited, 'no reconnection within 20 s').toBeLessThan(20_000);
      }
      delays.push(waited);
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 15_000, 15_000]);

    // Back: the auth message carries the cursor of the last message received, and a replayed
    // message already seen is not delivered twice.
    last().open();
    expect(last().sent).toEqual([{ type: 'auth', token: 'token-1', cursor: 'c2' }]);
    // Ready names the newest message the server knows, but the replay has not arrived: a drop
    // now must resume from the client's own cursor, not from the server's newest.
    last().frame({ type: 'ready', cursor: 'c5' });
    last().drop(1006);
    await vi.advanceTimersByTimeAsync(500);
    last().open();
    expect(last().sent).toEqual([{ type: 'auth', token: 'token-1', cursor: 'c2' }]);
    last().frame({ type: 'ready', cursor: 'c5' });
    last().frame(message('c2'));
    last().frame(message('c3'));
    expect(received).toEqual(['c1', 'c2', 'c3']);
    // A successful connection resets the backoff.
    last().drop(1006);
    await vi.advanceTimersByTimeAsync(500);
    expect(last().sent).toEqual([]);
    last().open();
    expect(last().sent[0]).toMatchObject({ cursor: 'c3' });
  });

  it('reset: the pages are told to reload their lists', () => {
    let resets = 0;
    stream.onReset(() => void resets++);
    stream.start();
    last().open();
    last().frame({ type: 'ready', cursor: 'c9' });
    last().frame({ type: 'reset' });
    expect(resets).toBe(1);
  });

  it('4401 (the access token expired): refreshes the session and reconnects at once with the new token', async () => {
    stream.start();
    last().open();
    last().frame({ type: 'ready', cursor: 'c0' });
    last().frame(message('c1'));
    last().drop(4401);
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.mocked(fetch).mock.calls.at(-1)![0]).toBe('/api/v1/console/refresh');
    expect(FakeSocket.all).toHaveLength(2);
    last().open();
    expect(last().sent).toEqual([{ type: 'auth', token: 'token-2', cursor: 'c1' }]);
  });

  it('4403 (no longer an admin): stops, no reconnection', async () => {
    stream.start();
    last().open();
    last().drop(4403);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.all).toHaveLength(1);
    expect(stream.state()).toBe('offline');
  });

  it('stop closes the socket normally and does not reconnect', async () => {
    stream.start();
    const ws = last();
    ws.open();
    stream.stop();
    expect(ws.closedWith).toBe(1000);
    ws.drop(1000);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.all).toHaveLength(1);
    expect(stream.state()).toBe('offline');
  });
});
