import { sql, type Kysely } from 'kysely';
import type { JobName } from '../config/index.js';
import type { Dialect } from '../storage/index.js';
import { countWhere, deleteInBatches } from './batch-delete.js';
import type { Job } from './types.js';

const DAY = 86_400_000;

/** A table whose rows expire by age: its time column (epoch ms) and how many days rows stay. */
export interface RetentionTarget {
  table: string;
  column: string;
  days: number;
  /** The table may not exist (it belongs to a feature that is not installed): then nothing is done. */
  optional?: boolean;
}

/** Whether a table exists in the database (the current schema on PostgreSQL). */
export async function tableExists(db: Kysely<unknown>, dialect: Dialect, table: string): Promise<boolean> {
  const { rows } =
    dialect === 'sqlite'
      ? await sql<{ n: number }>`select count(*) as n from sqlite_master where type = 'table' and name = ${table}`.execute(db)
      : await sql<{ n: number | string }>`select count(*) as n from information_schema.tables where table_schema = current_schema() and table_name = ${table}`.execute(db);
  return Number(rows[0]?.n ?? 0) > 0;
}

/**
 * A retention job over a list of targets: rows older than each target's days are deleted in
 * batches. Optional targets are checked at run time and skipped (`missing`) when their table does
 * not exist.
 */
export function retentionJob(deps: { name: JobName; description: string; db: Kysely<unknown>; dialect: Dialect; batchSize: number; pauseMs: number; targets: RetentionTarget[] }): Job {
  return {
    name: deps.name,
    description: deps.description,
    timeoutMs: 60 * 60_000,
    async run(ctx) {
      const tables: Record<string, unknown>[] = [];
      for (const t of deps.targets) {
        if (t.optional && !(await tableExists(deps.db, deps.dialect, t.table))) {
          tables.push({ table: t.table, missing: true, deleted: 0 });
          continue;
        }
        const before = ctx.now - t.days * DAY;
        const where = sql`${sql.ref(t.column)} < ${before}`;
        const matching = await countWhere(deps.db, t.table, where);
        if (ctx.dryRun) {
          tables.push({ table: t.table, retention_days: t.days, older_than: new Date(before).toISOString(), would_delete: matching, deleted: 0 });
          continue;
        }
        const deleted = await deleteInBatches({ db: deps.db, dialect: deps.dialect, table: t.table, where, batchSize: deps.batchSize, pauseMs: deps.pauseMs, signal: ctx.signal, onBatch: (n) => ctx.progress(n, matching, `${t.table} rows deleted`) });
        tables.push({ table: t.table, retention_days: t.days, older_than: new Date(before).toISOString(), deleted });
      }
      return { tables, deleted: tables.reduce((sum, t) => sum + Number(t.deleted ?? 0), 0), ...(ctx.dryRun ? { dry_run: true } : {}) };
    },
  };
}
