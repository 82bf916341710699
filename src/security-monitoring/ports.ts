import type { SecurityEvent, SecurityEventDetails, SecurityEventType, Severity } from './events.js';

/** A security event as stored: the event plus the id the database gave it. */
export type StoredSecurityEvent = {
  [T in SecurityEventType]: {
    id: number;
    time: number;
    type: T;
    severity: Severity;
    ip: string | null;
    user_id: string | null;
    request_id: string | null;
    details: SecurityEventDetails[T];
  };
}[SecurityEventType];

/** Which events: every given field must match; an empty filter matches all. */
export interface SecurityEventFilter {
  /** Any of these types. */
  types?: readonly SecurityEventType[] | undefined;
  ip?: string | undefined;
  user_id?: string | undefined;
  /** Epoch ms, inclusive. */
  since?: number | undefined;
  /** Epoch ms, exclusive. */
  until?: number | undefined;
}

/** Where a page of a newest-first listing ends: the next page holds events strictly older. */
export interface SecurityEventPosition {
  time: number;
  id: number;
}

/** The storage the security event log needs (one Kysely implementation for SQLite and PostgreSQL). */
export interface SecurityEventRepository {
  /** Stores events in one transaction: either all of them are stored or none is. */
  insertMany(events: readonly SecurityEvent[]): Promise<void>;
  /** Newest first by (time, id); with `before`, only events after it in that order. */
  query(filter: SecurityEventFilter & { before?: SecurityEventPosition | undefined; limit: number }): Promise<StoredSecurityEvent[]>;
  /** Events stored after `afterId`, oldest first (id order: how `events tail --follow` reads new ones). */
  after(afterId: number, filter: { types?: readonly SecurityEventType[] | undefined; limit: number }): Promise<StoredSecurityEvent[]>;
  /** The highest id stored so far (0 when there is none). */
  maxId(): Promise<number>;
  count(filter?: SecurityEventFilter): Promise<number>;
}
