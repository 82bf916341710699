import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../storage/index.js';
import { countWhere, deleteInBatches } from './batch-delete.js';
import type { Job } from './types.js';

const DAY = 86_400_000;

/**
 * `cleanup-refresh-tokens`: refresh tokens that can no longer be used. Expired ones go as soon as
 * they expire; revoked ones `REFRESH_TOKEN_REVOKED_RETENTION_DAYS` after their revocation (kept
 * that long so a reused token is still recognised as a revoked one of its family). A family is
 * gone when its last token is.
 */
export function cleanupRefreshTokensJob(deps: { db: Kysely<unknown>; dialect: Dialect; batchSize: number; pauseMs: number; revokedRetentionDays: number }): Job {
  return {
    name: 'cleanup-refresh-tokens',
    description: 'Delete expired and long-revoked refresh tokens (and so their families)',
    timeoutMs: 30 * 60_000,
    async run(ctx) {
      const revokedBefore = ctx.now - deps.revokedRetentionDays * DAY;
      const where = sql`(expires_at <= ${ctx.now} or (revoked_at is not null and revoked_at <= ${revokedBefore}))`;
      const { rows } = await sql<{ total: number | string; families: number | string }>`select count(*) as total, count(distinct family_id) as families from refresh_tokens`.execute(deps.db);
      const total = Number(rows[0]?.total ?? 0);
      const familiesBefore = Number(rows[0]?.families ?? 0);
      const matching = await countWhere(deps.db, 'refresh_tokens', where);
      if (ctx.dryRun) return { total, families: familiesBefore, would_delete: matching, deleted: 0, dry_run: true };
      const deleted = await deleteInBatches({ db: deps.db, dialect: deps.dialect, table: 'refresh_tokens', where, batchSize: deps.batchSize, pauseMs: deps.pauseMs, signal: ctx.signal, onBatch: (n) => ctx.progress(n, matching, 'refresh tokens deleted') });
      const after = await sql<{ families: number | string }>`select count(distinct family_id) as families from refresh_tokens`.execute(deps.db);
      return { total, families: familiesBefore, deleted, families_deleted: familiesBefore - Number(after.rows[0]?.families ?? 0) };
    },
  };
}
