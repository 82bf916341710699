import { refresh, session } from './api';

/**
 * The live stream (`/api/v1/admin/stream`): security events, alert and incident changes and
 * health changes, pushed by Vigil. The first message authenticates with the in-memory access
 * token (browsers cannot set headers on a WebSocket) and the cursor of the last message seen, so
 * a reconnection resumes where it left off. Closed with 4401 (token expired): refresh, reconnect
 * at once. Anything else: reconnect with exponential backoff (0.5 s … 15 s, with jitter).
 * Messages are de-duplicated by cursor; `reset` (the cursor is older than Vigil keeps) tells the
 * pages to reload their lists.
 */

export type LiveKind = 'security_event' | 'alert' | 'incident' | 'health';
export interface LiveMessage<T = Record<string, unknown>> {
  cursor: string;
  kind: LiveKind;
  at: string;
  data: T;
}
export type StreamState = 'offline' | 'connecting' | 'live';

type Listener = (m: LiveMessage) => void;

const MIN_DELAY = 500;
const MAX_DELAY = 15_000;
const SEEN_MAX = 2000;

let socket: WebSocket | null = null;
let state: StreamState = 'offline';
let cursor: string | null = null;
let attempt = 0;
let timer: ReturnType<typeof setTimeout> | undefined;
let wanted = false;
const seen = new Set<string>();
const listeners = new Map<LiveKind, Set<Listener>>();
const resetListeners = new Set<() => void>();
const stateListeners = new Set<(s: StreamState) => void>();

function setState(next: StreamState): void {
  state = next;
  for (const fn of stateListeners) fn(next);
}

function schedule(delay: number): void {
  clearTimeout(timer);
  timer = setTimeout(connect, delay);
}

function backoff(): number {
  const base = Math.min(MAX_DELAY, MIN_DELAY * 2 ** attempt);
  attempt++;
  return base / 2 + Math.random() * (base / 2);
}

function deliver(m: LiveMessage): void {
  if (seen.has(m.cursor)) return;
  seen.add(m.cursor);
  if (seen.size > SEEN_MAX) seen.delete(seen.values().next().value as string);
  cursor = m.cursor;
  for (const fn of listeners.get(m.kind) ?? []) fn(m);
}

function connect(): void {
  if (!wanted || socket) return;
  const token = session.token();
  if (!token) return;
  setState('connecting');
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/admin/stream`);
  socket = ws;
  ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', token: session.token(), cursor }));
  ws.onmessage = (event) => {
    let msg: { type?: string; cursor?: string } & Partial<LiveMessage>;
    try {
      msg = JSON.parse(String(event.data)) as typeof msg;
    } catch {
      return;
    }
    if (msg.type === 'ready') {
      attempt = 0;
      if (msg.cursor) cursor ??= msg.cursor;
      setState('live');
    } else if (msg.type === 'message' && msg.cursor && msg.kind) {
      deliver(msg as LiveMessage);
    } else if (msg.type === 'reset') {
      seen.clear();
      for (const fn of resetListeners) fn();
    }
  };
  ws.onclose = (event) => {
    if (socket === ws) socket = null;
    if (!wanted) return setState('offline');
    setState('connecting');
    if (event.code === 4403) {
      // No longer an admin: the next API call will find out and sign out.
      wanted = false;
      return setState('offline');
    }
    if (event.code === 4401) {
      void refresh().then((ok) => (ok ? schedule(0) : setState('offline')));
      return;
    }
    schedule(backoff());
  };
  // Errors are followed by close, which reconnects.
  ws.onerror = () => undefined;
}

export const stream = {
  start(): void {
    wanted = true;
    attempt = 0;
    connect();
  },
  stop(): void {
    wanted = false;
    clearTimeout(timer);
    cursor = null;
    seen.clear();
    socket?.close(1000);
    socket = null;
    setState('offline');
  },
  state: () => state,
  on(kind: LiveKind, fn: Listener): () => void {
    let set = listeners.get(kind);
    if (!set) listeners.set(kind, (set = new Set()));
    set.add(fn);
    return () => set.delete(fn);
  },
  onReset(fn: () => void): () => void {
    resetListeners.add(fn);
    return () => resetListeners.delete(fn);
  },
  onState(fn: (s: StreamState) => void): () => void {
    stateListeners.add(fn);
    return () => stateListeners.delete(fn);
  },
};
