import type { ExpressionBuilder, Kysely, SelectQueryBuilder } from 'kysely';
import type { SecurityEvent } from '../../security-monitoring/events.js';
import type { SecurityEventFilter, SecurityEventRepository, StoredSecurityEvent } from '../../security-monitoring/ports.js';
import type { DB, SecurityEventsTable } from '../schema.js';

/**
 * Rows per INSERT statement: 7 parameters a row keeps one statement at 7000 parameters, under
 * SQLite's limit (32766) and PostgreSQL's (65535). A larger batch is several statements in one
 * transaction, so a retried batch is never stored twice.
 */
export const ROWS_PER_STATEMENT = 1000;

// PostgreSQL text refuses NUL; a client can put one in an email or a header. Details are JSON
// text, where JSON.stringify has already escaped it.
const clean = (s: string | undefined): string | null => (s === undefined ? null : s.includes('\0') ? s.replaceAll('\0', '\uFFFD') : s);

function toRow(e: SecurityEvent): Omit<SecurityEventsTable, 'id'> {
  return {
    time: e.time,
    type: e.type,
    severity: e.severity,
    ip: clean(e.ip),
    user_id: clean(e.user_id),
    request_id: clean(e.request_id),
    details: JSON.stringify(e.details),
  };
}

type Row = { id: number; time: number; type: string; severity: string; ip: string | null; user_id: string | null; request_id: string | null; details: string };

function fromRow(r: Row): StoredSecurityEvent {
  return {
    id: Number(r.id),
    time: Number(r.time),
    type: r.type,
    severity: r.severity,
    ip: r.ip,
    user_id: r.user_id,
    request_id: r.request_id,
    details: JSON.parse(r.details) as unknown,
  } as StoredSecurityEvent;
}

type Query<O> = SelectQueryBuilder<DB, 'security_events', O>;

function filtered<O>(q: Query<O>, f: SecurityEventFilter): Query<O> {
  if (f.types !== undefined) q = q.where('type', 'in', [...f.types]);
  if (f.ip !== undefined) q = q.where('ip', '=', f.ip);
  if (f.user_id !== undefined) q = q.where('user_id', '=', f.user_id);
  if (f.since !== undefined) q = q.where('time', '>=', f.since);
  if (f.until !== undefined) q = q.where('time', '<', f.until);
  return q;
}

export function createSecurityEventRepository(db: Kysely<DB>): SecurityEventRepository {
  const insert = (trx: Kysely<DB>, rows: Omit<SecurityEventsTable, 'id'>[]) => trx.insertInto('security_events').values(rows).execute();

  return {
    async insertMany(events) {
      if (events.length === 0) return;
      const rows = events.map(toRow);
      if (rows.length <= ROWS_PER_STATEMENT) {
        await insert(db, rows);
        return;
      }
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) await insert(trx, rows.slice(i, i + ROWS_PER_STATEMENT));
      });
    },

    async query(f) {
      // An empty type list matches nothing (and `IN ()` is not valid SQL everywhere).
      if (f.types?.length === 0 || f.limit <= 0) return [];
      let q = filtered(db.selectFrom('security_events').selectAll(), f);
      const before = f.before;
      // A row-value comparison: both dialects walk the (…, time, id) indexes with it.
      if (before) q = q.where((eb: ExpressionBuilder<DB, 'security_events'>) => eb(eb.refTuple('time', 'id'), '<', eb.tuple(before.time, before.id)));
      const rows = await q.orderBy('time', 'desc').orderBy('id', 'desc').limit(f.limit).execute();
      return rows.map(fromRow);
    },

    async after(afterId, f) {
      if (f.types?.length === 0 || f.limit <= 0) return [];
      let q = db.selectFrom('security_events').selectAll().where('id', '>', afterId);
      if (f.types !== undefined) q = q.where('type', 'in', [...f.types]);
      const rows = await q.orderBy('id', 'asc').limit(f.limit).execute();
      return rows.map(fromRow);
    },

    async maxId() {
      const row = await db.selectFrom('security_events').select((eb) => eb.fn.max('id').as('max')).executeTakeFirst();
      return row?.max == null ? 0 : Number(row.max);
    },

    async count(f = {}) {
      if (f.types?.length === 0) return 0;
      const row = await filtered(db.selectFrom('security_events'), f)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}
