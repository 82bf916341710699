/** What the admin console's live stream carries (docs/operations.md#live-stream). */
export const LIVE_KINDS = ['security_event', 'alert', 'incident', 'health'] as const;
export type LiveKind = (typeof LIVE_KINDS)[number];

/** Messages kept for resuming: a client further behind than this gets a reset. */
export const LIVE_RETAIN = 10_000;

/** One message of the feed, as every client receives it. */
export interface LiveMessage {
  /** Opaque position: resuming after it replays what came later. */
  cursor: string;
  kind: LiveKind;
  /** When it was published (ISO 8601). */
  at: string;
  data: unknown;
}

/**
 * The live feed: what happened on any instance, in order, with a cursor to resume from.
 * In memory (one instance) or on a Redis Stream (every instance sharing one Redis).
 */
export interface LiveFeed {
  readonly kind: 'memory' | 'redis';
  /**
   * Fire and forget: never throws, never waits; delivery happens after the caller returns.
   * When the feed cannot keep up (its queue is full) the message is dropped and logged.
   */
  publish(kind: LiveKind, data: unknown): void;
  /** The cursor of the newest message delivered to this instance's subscribers (before any, where the history starts). */
  head(): Promise<string>;
  /**
   * The retained messages after `cursor`, oldest first; `reset` when the cursor is unknown or
   * older than the retained history (messages after it may be lost).
   */
  replay(cursor: string): Promise<LiveMessage[] | 'reset'>;
  /** Every message from now on, on this instance, in order. Returns the unsubscribe function. */
  subscribe(handler: (message: LiveMessage) => void): () => void;
  close(): Promise<void>;
}

/** Delivers to each handler; one failing handler neither stops the others nor reaches the publisher. */
export function fanOut(handlers: Iterable<(m: LiveMessage) => void>, message: LiveMessage, onError: (err: unknown) => void): void {
  for (const handler of handlers) {
    try {
      handler(message);
    } catch (err) {
      onError(err);
    }
  }
}
