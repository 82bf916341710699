import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Dialect } from '../storage/index.js';
import { checkAborted, pause } from './types.js';

/** Where rows go and how fast: a table, the rows to delete, and the batch shape. */
export interface BatchDelete {
  db: Kysely<unknown>;
  dialect: Dialect;
  table: string;
  /** The condition, e.g. sql`expires_at <= ${now}`. */
  where: RawBuilder<unknown>;
  batchSize: number;
  pauseMs: number;
  signal: AbortSignal;
  /** After each batch: rows deleted so far. */
  onBatch?: (deleted: number) => void;
}

/** Rows matching the condition. */
export async function countWhere(db: Kysely<unknown>, table: string, where: RawBuilder<unknown>): Promise<number> {
  const { rows } = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)} where ${where}`.execute(db);
  return Number(rows[0]?.n ?? 0);
}

/**
 * Deletes the matching rows a batch at a time: each statement deletes at most `batchSize` rows by
 * their physical row id (rowid on SQLite, ctid on PostgreSQL), so no statement holds its locks
 * long and requests get the database between batches. Returns how many rows were deleted.
 * Stopping halfway (timeout, crash) leaves a consistent table; the next run deletes the rest.
 */
export async function deleteInBatches(o: BatchDelete): Promise<number> {
  const rowId = sql.raw(o.dialect === 'sqlite' ? 'rowid' : 'ctid');
  let deleted = 0;
  for (;;) {
    checkAborted(o.signal);
    const result = await sql`delete from ${sql.table(o.table)} where ${rowId} in (select ${rowId} from ${sql.table(o.table)} where ${o.where} limit ${o.batchSize})`.execute(o.db);
    const n = Number(result.numAffectedRows ?? 0);
    deleted += n;
    o.onBatch?.(deleted);
    if (n < o.batchSize) return deleted;
    await pause(o.pauseMs, o.signal);
  }
}
