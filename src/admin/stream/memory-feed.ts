import { randomBytes } from 'node:crypto';
import type { Clock } from '../../shared/clock.js';
import { fanOut, LIVE_RETAIN, type LiveFeed, type LiveKind, type LiveMessage } from './feed.js';

export interface MemoryFeed extends LiveFeed {
  readonly kind: 'memory';
  /** Whether `cursor` is one of this feed's (the Redis feed falls back to one). */
  owns(cursor: string): boolean;
}

/**
 * The live feed of a single instance: a ring buffer of the last `capacity` messages. Cursors are
 * `<epoch>.<seq>` where the epoch is random per process, so a cursor from another process or a
 * previous run is unknown here (the client gets a reset, never someone else's sequence).
 * Publishing stores the message and returns; subscribers get it on the next turn of the event
 * loop (setImmediate), off the publisher's path, in batches.
 */
export function createMemoryFeed(deps: { clock: Clock; capacity?: number; onError: (err: unknown, what: string) => void }): MemoryFeed {
  const capacity = deps.capacity ?? LIVE_RETAIN;
  const epoch = randomBytes(6).toString('base64url');
  const ring: (LiveMessage | undefined)[] = new Array<LiveMessage | undefined>(capacity);
  const handlers = new Set<(m: LiveMessage) => void>();
  let lastSeq = 0;
  let deliveredSeq = 0;
  let scheduled: NodeJS.Immediate | undefined;
  let closed = false;

  const cursorOf = (seq: number) => `${epoch}.${seq}`;
  const seqOf = (cursor: string): number | undefined => {
    const dot = cursor.indexOf('.');
    if (dot < 0 || cursor.slice(0, dot) !== epoch) return undefined;
    const text = cursor.slice(dot + 1);
    if (!/^(0|[1-9]\d{0,15})$/.test(text)) return undefined;
    return Number(text);
  };
  const firstRetained = () => Math.max(1, lastSeq - capacity + 1);
  const onHandlerError = (err: unknown) => deps.onError(err, 'a live stream subscriber failed');

  function deliver() {
    scheduled = undefined;
    // Everything published since the last turn; a batch larger than the ring lost its oldest part.
    const from = Math.max(deliveredSeq + 1, firstRetained());
    const to = lastSeq;
    deliveredSeq = to;
    for (let seq = from; seq <= to; seq++) fanOut(handlers, ring[seq % capacity]!, onHandlerError);
  }

  return {
    kind: 'memory',
    publish(kind: LiveKind, data: unknown) {
      if (closed) return;
      const seq = ++lastSeq;
      ring[seq % capacity] = { cursor: cursorOf(seq), kind, at: new Date(deps.clock.now()).toISOString(), data };
      scheduled ??= setImmediate(deliver);
    },
    head: async () => cursorOf(deliveredSeq),
    async replay(cursor) {
      const seq = seqOf(cursor);
      if (seq === undefined || seq > lastSeq || seq < firstRetained() - 1) return 'reset';
      const out: LiveMessage[] = [];
      for (let s = seq + 1; s <= lastSeq; s++) out.push(ring[s % capacity]!);
      return out;
    },
    subscribe(handler) {
      const own = (m: LiveMessage) => handler(m);
      handlers.add(own);
      return () => void handlers.delete(own);
    },
    owns: (cursor) => seqOf(cursor) !== undefined,
    async close() {
      closed = true;
      if (scheduled) clearImmediate(scheduled);
      handlers.clear();
    },
  };
}
