import { sql, type Kysely } from 'kysely';
import type { AlertHistoryRepository, OutboxRecord, OutboxRepository, SilenceRepository, SloBucket, SloRepository } from '../../alerting/ports.js';
import type { DB } from '../schema.js';
import { LATENCY_COLUMNS, SLO_COUNTERS, SLO_SUMMED, type AlertingTables, type SloMinutesTable } from '../schema-alerting.js';
import { DAY_MS, addTotals, mergeSeries, sloDaySeries, sloDayTotals } from './slo-days.js';

const tables = (db: Kysely<DB>) => db.withTables<AlertingTables>();

export function createAlertHistoryRepository(base: Kysely<DB>): AlertHistoryRepository {
  const db = tables(base);
  return {
    async insert(record) {
      await db.insertInto('alert_history').values(record).execute();
    },
    async resolve(fingerprint, at) {
      const r = await db.updateTable('alert_history').set({ resolved_at: at }).where('fingerprint', '=', fingerprint).where('resolved_at', 'is', null).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    listOpen: () => db.selectFrom('alert_history').selectAll().where('resolved_at', 'is', null).orderBy('fired_at').execute(),
    list: ({ since, limit }) => {
      let q = db.selectFrom('alert_history').selectAll();
      if (since !== undefined) q = q.where('fired_at', '>=', since);
      return q.orderBy('fired_at', 'desc').orderBy('id').limit(limit).execute();
    },
  };
}

export function createSilenceRepository(base: Kysely<DB>): SilenceRepository {
  const db = tables(base);
  return {
    async insert(record) {
      await db.insertInto('alert_silences').values(record).execute();
    },
    listCurrent: (now) => db.selectFrom('alert_silences').selectAll().where('ends_at', '>', now).orderBy('created_at').execute(),
    async expire(id, now) {
      const r = await db.updateTable('alert_silences').set({ ends_at: now }).where('id', '=', id).where('ends_at', '>', now).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
  };
}

export function createOutboxRepository(base: Kysely<DB>): OutboxRepository {
  const db = tables(base);
  return {
    async enqueue(record) {
      const r = await db
        .insertInto('alert_outbox')
        .values({ ...record, status: 'pending', attempts: 0, locked_until: null, last_error: null, delivered_at: null })
        .onConflict((oc) => oc.column('idempotency_key').doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
    },
    async claimDue(now, leaseMs, limit) {
      // The head of each (receiver, group) queue, if it is due and nobody holds it.
      const heads = await db
        .selectFrom('alert_outbox as o')
        .select('o.id')
        .where('o.status', '=', 'pending')
        .where('o.next_attempt_at', '<=', now)
        .where((eb) => eb.or([eb('o.locked_until', 'is', null), eb('o.locked_until', '<=', now)]))
        .where('o.id', '=', (eb) =>
          eb.selectFrom('alert_outbox as p').select((e) => e.fn.min('p.id').as('m')).whereRef('p.receiver', '=', 'o.receiver').whereRef('p.group_key', '=', 'o.group_key').where('p.status', '=', 'pending'),
        )
        .orderBy('o.id')
        .limit(limit)
        .execute();
      const claimed: OutboxRecord[] = [];
      for (const { id } of heads) {
        const r = await db
          .updateTable('alert_outbox')
          .set({ locked_until: now + leaseMs })
          .where('id', '=', id)
          .where('status', '=', 'pending')
          .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) === 0) continue;
        const row = await db.selectFrom('alert_outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
        claimed.push(row as OutboxRecord);
      }
      return claimed;
    },
    async markSent(id, attempts, now) {
      await db.updateTable('alert_outbox').set({ status: 'sent', attempts, delivered_at: now, locked_until: null, last_error: null }).where('id', '=', id).execute();
    },
    async reschedule(id, attempts, nextAttemptAt, error) {
      await db.updateTable('alert_outbox').set({ attempts, next_attempt_at: nextAttemptAt, locked_until: null, last_error: error }).where('id', '=', id).execute();
    },
    async markDead(id, attempts, error) {
      await db.updateTable('alert_outbox').set({ status: 'dead', attempts, locked_until: null, last_error: error }).where('id', '=', id).execute();
    },
    async list({ status, limit }) {
      let q = db.selectFrom('alert_outbox').selectAll();
      if (status) q = q.where('status', '=', status);
      return (await q.orderBy('id', 'desc').limit(limit).execute()) as OutboxRecord[];
    },
    async counts() {
      const rows = await db.selectFrom('alert_outbox').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
      const out = { pending: 0, sent: 0, dead: 0 };
      for (const r of rows) out[r.status] = Number(r.n);
      return out;
    },
    async pruneSent(before) {
      const r = await db.deleteFrom('alert_outbox').where('status', '=', 'sent').where('delivered_at', '<', before).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}

const numbers = <T>(row: object) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)])) as T;

export function createSloRepository(base: Kysely<DB>): SloRepository {
  const db = tables(base);
  return {
    async add(row) {
      await db
        .insertInto('slo_minutes')
        .values({ ...row, ...Object.fromEntries(LATENCY_COLUMNS.map((c) => [c, row[c] ?? 0])) } as SloMinutesTable)
        .onConflict((oc) =>
          oc.columns(['minute', 'instance']).doUpdateSet(Object.fromEntries(SLO_SUMMED.map((c) => [c, sql`slo_minutes.${sql.ref(c)} + excluded.${sql.ref(c)}`]))),
        )
        .execute();
    },
    async totals(since, until) {
      // Minutes still kept, plus the days already moved into slo_days (disjoint: see slo-days.ts).
      const row = await db
        .selectFrom('slo_minutes')
        .select((eb) => [eb.fn.count<number>('minute').distinct().as('minutes'), ...SLO_COUNTERS.map((c) => eb.fn.coalesce(eb.fn.sum<number>(c), eb.lit(0)).as(c))])
        .where('minute', '>=', since)
        .where('minute', '<', until)
        .executeTakeFirstOrThrow();
      return addTotals(numbers(row), await sloDayTotals(base, since, until));
    },
    async series(since, until, bucketMs) {
      // A literal, not a parameter: PostgreSQL must see the same expression in SELECT and GROUP BY.
      if (!Number.isSafeInteger(bucketMs) || bucketMs <= 0) throw new RangeError('bucketMs must be a positive integer');
      const t = sql<number>`minute - minute % ${sql.lit(bucketMs)}`;
      const rows = await db
        .selectFrom('slo_minutes')
        .select((eb) => [t.as('t'), ...SLO_SUMMED.map((c) => eb.fn.sum<number>(c).as(c))])
        .where('minute', '>=', since)
        .where('minute', '<', until)
        .groupBy(t)
        .orderBy(t)
        .execute();
      const minutes = rows.map((r) => numbers<SloBucket>(r));
      // Days moved into slo_days only fit buckets of whole days; finer buckets show the minutes kept.
      return bucketMs % DAY_MS === 0 ? mergeSeries(minutes, await sloDaySeries(base, since, until, bucketMs)) : minutes;
    },
  };
}
