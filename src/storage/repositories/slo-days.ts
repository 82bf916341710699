import { sql, type Kysely } from 'kysely';
import type { SloBucket, SloTotals } from '../../alerting/ports.js';
import type { DB } from '../schema.js';
import { SLO_COUNTERS, SLO_SUMMED, type AlertingTables, type SloDaysTable } from '../schema-alerting.js';

/**
 * Daily totals (`slo_days`, migration 008): a UTC day of one instance's minutes, summed. A minute
 * row is either still in `slo_minutes` or already added to its day here, never both, so readers
 * add the two tables up; nothing is counted twice at the day where one ends and the other begins.
 */
export const DAY_MS = 86_400_000;

const tables = (db: Kysely<DB>) => db.withTables<AlertingTables>();
const asNumbers = <T>(row: object) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)])) as T;

/** The (UTC day, instance) pairs that still have minutes before `before`, oldest first. */
export async function sloDaysWithMinutes(base: Kysely<DB>, before: number): Promise<{ day: number; instance: string }[]> {
  // A literal, not a parameter: PostgreSQL must see the same expression in SELECT and GROUP BY.
  const day = sql<number>`minute - minute % ${sql.lit(DAY_MS)}`;
  const rows = await tables(base).selectFrom('slo_minutes').select([day.as('day'), 'instance']).where('minute', '<', before).groupBy([day, 'instance']).orderBy(day).orderBy('instance').execute();
  return rows.map((r) => ({ day: Number(r.day), instance: r.instance }));
}

/**
 * Moves one instance's minutes of one UTC day into its daily row and returns how many moved. In
 * one transaction the minutes are deleted, returning exactly the rows deleted, and their sums are
 * added to the day: each minute is added by the transaction that deletes it. So a re-run adds
 * nothing, a minute written meanwhile (or late, for a day already moved) is added once when it is
 * moved in turn, and a failure leaves both tables as they were.
 */
export async function rollUpSloDay(base: Kysely<DB>, day: number, instance: string): Promise<number> {
  if (day % DAY_MS !== 0) throw new RangeError('day must be a UTC midnight');
  return tables(base).transaction().execute(async (trx) => {
    const moved = await trx.deleteFrom('slo_minutes').where('instance', '=', instance).where('minute', '>=', day).where('minute', '<', day + DAY_MS).returningAll().execute();
    if (moved.length === 0) return 0;
    const sums = Object.fromEntries(SLO_SUMMED.map((c) => [c, moved.reduce((n, r) => n + Number(r[c]), 0)]));
    await trx
      .insertInto('slo_days')
      .values({ day, instance, minutes: moved.length, ...sums } as SloDaysTable)
      .onConflict((oc) => oc.columns(['day', 'instance']).doUpdateSet(Object.fromEntries(['minutes', ...SLO_SUMMED].map((c) => [c, sql`slo_days.${sql.ref(c)} + excluded.${sql.ref(c)}`]))))
      .execute();
    return moved.length;
  });
}

/**
 * The daily rows' counters over the days that start in [since, until) (a day counts whole or not
 * at all). `minutes`: per day the count of its busiest instance (the minutes of different
 * instances are not told apart once summed).
 */
export async function sloDayTotals(base: Kysely<DB>, since: number, until: number): Promise<SloTotals> {
  const db = tables(base);
  const inRange = db.selectFrom('slo_days').where('day', '>=', since).where('day', '<', until);
  const counters = await inRange.select((eb) => SLO_COUNTERS.map((c) => eb.fn.coalesce(eb.fn.sum<number>(c), eb.lit(0)).as(c))).executeTakeFirstOrThrow();
  const perDay = inRange.select((eb) => eb.fn.max('minutes').as('m')).groupBy('day').as('per_day');
  const { minutes } = await db.selectFrom(perDay).select((eb) => eb.fn.coalesce(eb.fn.sum<number>('per_day.m'), eb.lit(0)).as('minutes')).executeTakeFirstOrThrow();
  return asNumbers<SloTotals>({ ...counters, minutes });
}

/** The daily rows summed per bucket of `bucketMs` (a whole number of days, aligned to the epoch) over the days that start in [since, until). */
export async function sloDaySeries(base: Kysely<DB>, since: number, until: number, bucketMs: number): Promise<SloBucket[]> {
  if (!Number.isSafeInteger(bucketMs) || bucketMs <= 0 || bucketMs % DAY_MS !== 0) throw new RangeError('bucketMs must be a whole number of days');
  const t = sql<number>`day - day % ${sql.lit(bucketMs)}`;
  const rows = await tables(base)
    .selectFrom('slo_days')
    .select((eb) => [t.as('t'), ...SLO_SUMMED.map((c) => eb.fn.sum<number>(c).as(c))])
    .where('day', '>=', since)
    .where('day', '<', until)
    .groupBy(t)
    .orderBy(t)
    .execute();
  return rows.map((r) => asNumbers<SloBucket>(r));
}

/** Two sets of totals added up (minutes and days). */
export function addTotals(a: SloTotals, b: SloTotals): SloTotals {
  return Object.fromEntries(Object.keys(a).map((k) => [k, a[k as keyof SloTotals] + b[k as keyof SloTotals]])) as SloTotals;
}

/** Two series merged: buckets with the same start are added up; ordered by start. */
export function mergeSeries(a: SloBucket[], b: SloBucket[]): SloBucket[] {
  const byT = new Map(a.map((r) => [r.t, { ...r }]));
  for (const r of b) {
    const into = byT.get(r.t);
    if (!into) byT.set(r.t, { ...r });
    else for (const c of SLO_SUMMED) into[c] += r[c];
  }
  return [...byT.values()].sort((x, y) => x.t - y.t);
}
