import { SECURITY_EVENT_TYPES, type SecurityEventType } from './events.js';
import type { SecurityEventStore } from './event-store.js';
import type { SecurityEventFilter, SecurityEventPosition, SecurityEventRepository, StoredSecurityEvent } from './ports.js';

export type SecurityEventPage = { ok: true; events: StoredSecurityEvent[]; next_cursor: string | null } | { ok: false; reason: 'invalid_cursor' };

/** The security event log: its batching writer, and reading it back (admin API, `vigil events tail`). */
export interface SecurityEventLog {
  store: SecurityEventStore;
  /** One page, newest first. `cursor` is a previous page's `next_cursor`; null there means no more. */
  list(query: SecurityEventFilter & { cursor?: string | undefined; limit: number }): Promise<SecurityEventPage>;
  /** Events stored after `afterId`, oldest first (for following the log). */
  after(afterId: number, filter: { types?: readonly SecurityEventType[] | undefined; limit: number }): Promise<StoredSecurityEvent[]>;
  /** The highest id stored so far (0 when the log is empty). */
  latestId(): Promise<number>;
}

const KNOWN_TYPES = new Set<string>(SECURITY_EVENT_TYPES);

/** `LOGIN_FAILED, ACCOUNT_LOCKED` → the types (deduplicated), or the names that are not event types. */
export function parseEventTypes(raw: string): { ok: true; types: SecurityEventType[] } | { ok: false; unknown: string[] } {
  const names = raw.split(',').map((t) => t.trim()).filter(Boolean);
  const unknown = names.filter((t) => !KNOWN_TYPES.has(t));
  if (names.length === 0 || unknown.length > 0) return { ok: false, unknown };
  return { ok: true, types: [...new Set(names)] as SecurityEventType[] };
}

/** How the admin API and the CLI show a stored event: times in ISO 8601. */
export function eventView(e: StoredSecurityEvent) {
  return { id: e.id, time: new Date(e.time).toISOString(), type: e.type, severity: e.severity, ip: e.ip, user_id: e.user_id, request_id: e.request_id, details: e.details };
}

const CURSOR = /^v1\.(\d{1,16})\.(\d{1,16})$/;

/** The position after which the next page starts, opaque to clients. */
export function encodeCursor(p: SecurityEventPosition): string {
  return Buffer.from(`v1.${p.time}.${p.id}`).toString('base64url');
}

/** The position in a cursor, or undefined for anything this service did not hand out. */
export function decodeCursor(cursor: string): SecurityEventPosition | undefined {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) return undefined;
  const m = CURSOR.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  if (!m) return undefined;
  const p = { time: Number(m[1]), id: Number(m[2]) };
  if (!Number.isSafeInteger(p.time) || !Number.isSafeInteger(p.id) || encodeCursor(p) !== cursor) return undefined;
  return p;
}

export function createSecurityEventLog(deps: { repo: SecurityEventRepository; store: SecurityEventStore }): SecurityEventLog {
  const { repo } = deps;
  return {
    store: deps.store,
    async list({ cursor, limit, ...filter }) {
      const before = cursor === undefined ? undefined : decodeCursor(cursor);
      if (cursor !== undefined && before === undefined) return { ok: false, reason: 'invalid_cursor' };
      // One more than asked tells whether another page exists, so the last page says so.
      const rows = await repo.query({ ...filter, before, limit: limit + 1 });
      const events = rows.slice(0, limit);
      const last = events[events.length - 1];
      return { ok: true, events, next_cursor: rows.length > limit && last ? encodeCursor(last) : null };
    },
    after: (afterId, filter) => repo.after(afterId, filter),
    latestId: () => repo.maxId(),
  };
}
