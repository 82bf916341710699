import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../storage/index.js';
import { countWhere, deleteInBatches } from './batch-delete.js';
import type { Job } from './types.js';

/** The seed's statistics of the blacklist (000 §1 and §5). */
export interface BlacklistStats {
  total: number;
  active: number;
  expired: number;
  /** 0–100, one decimal. */
  expired_percent: number;
  /** The oldest expiry among expired entries (epoch ms), or null. */
  oldest_expired: number | null;
}

export async function blacklistStatistics(db: Kysely<unknown>, now: number): Promise<BlacklistStats> {
  const { rows } = await sql<{ total: number | string; expired: number | string | null; oldest: number | string | null }>`
    select count(*) as total,
           sum(case when expires_at <= ${now} then 1 else 0 end) as expired,
           min(case when expires_at <= ${now} then expires_at end) as oldest
    from token_blacklist`.execute(db);
  const row = rows[0]!;
  const total = Number(row.total);
  const expired = Number(row.expired ?? 0);
  return { total, active: total - expired, expired, expired_percent: total === 0 ? 0 : Math.round((expired / total) * 1000) / 10, oldest_expired: row.oldest === null ? null : Number(row.oldest) };
}

/**
 * `cleanup-tokens`: the seed 000 cleanup script as a job. Statistics first, then the expired
 * blacklist entries are deleted in bounded batches. An entry is expired once its token is: the
 * token itself is then rejected for its `exp`, so the entry no longer protects anything.
 */
export function cleanupTokensJob(deps: { db: Kysely<unknown>; dialect: Dialect; batchSize: number; pauseMs: number }): Job {
  return {
    name: 'cleanup-tokens',
    description: 'Delete expired token-blacklist entries (in batches)',
    timeoutMs: 30 * 60_000,
    async run(ctx) {
      const before = await blacklistStatistics(deps.db, ctx.now);
      if (ctx.dryRun) return { ...before, deleted: 0, would_delete: before.expired, dry_run: true };
      const deleted = await deleteInBatches({
        db: deps.db,
        dialect: deps.dialect,
        table: 'token_blacklist',
        where: sql`expires_at <= ${ctx.now}`,
        batchSize: deps.batchSize,
        pauseMs: deps.pauseMs,
        signal: ctx.signal,
        onBatch: (n) => ctx.progress(n, before.expired, 'expired tokens deleted'),
      });
      return { ...before, deleted };
    },
  };
}

/** Rows `cleanup-tokens` would delete now (for the audit's "cleanup running" check). */
export const expiredBlacklistCount = (db: Kysely<unknown>, now: number) => countWhere(db, 'token_blacklist', sql`expires_at <= ${now}`);
