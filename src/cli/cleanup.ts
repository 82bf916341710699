import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import { blacklistStatistics, type BlacklistStats } from '../jobs/cleanup-tokens.js';
import { CliError, EXIT, formatTime, loadCliConfig, printJson, withServices, type CliIo, type CliOutput, type GlobalOptions } from './context.js';
import { checkOutcome, runJson } from './jobs.js';
import { cliProgress } from './progress.js';

/** The statistics block of seed 000's cleanup script. */
export function statsLines(s: BlacklistStats): string {
  return [
    'Token Blacklist Statistics:',
    `  Total tokens: ${s.total}`,
    `  Active (not expired): ${s.active}`,
    `  Expired: ${s.expired}`,
    `  Expired percentage: ${s.expired_percent.toFixed(1)}%`,
    `  Oldest expired: ${s.oldest_expired === null ? '-' : formatTime(s.oldest_expired)}`,
    '',
  ].join('\n');
}

function say(out: CliOutput, json: boolean | undefined, text: string) {
  if (!json) out.write(text);
}

/** `vigil cleanup tokens [--dry-run] [--stats-only]`: seed 000 §1's script, as the cleanup-tokens job. */
export function registerCleanup(program: Command, io: CliIo): void {
  const cleanup = program.command('cleanup').description('Clean up expired data now (what the cleanup jobs do on schedule)');

  cleanup
    .command('tokens')
    .description('Delete expired token-blacklist entries in batches, with statistics (the cleanup-tokens job)')
    .option('--dry-run', 'show what would be deleted, delete nothing')
    .option('--stats-only', 'only print the statistics')
    .option('--json', 'print machine-readable JSON')
    .action(async (opts: { dryRun?: boolean; statsOnly?: boolean; json?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const config = loadCliConfig(io, globals);
      await withServices(io, config, globals, async (services) => {
        if (opts.statsOnly) {
          const stats = await blacklistStatistics(services.database.db as unknown as Kysely<unknown>, services.clock.now());
          if (opts.json) printJson(io.stdout, stats);
          else io.stdout.write(statsLines(stats));
          return;
        }
        say(io.stdout, opts.json, 'Starting token blacklist cleanup...\n');
        const progress = cliProgress(io.stderr);
        const run = checkOutcome('cleanup-tokens', await services.maintenance.run('cleanup-tokens', { dryRun: opts.dryRun === true, progress: progress.update }));
        progress.end();
        if (opts.json) printJson(io.stdout, runJson(run));
        if (run.status === 'failed') throw new CliError(`error: cleanup failed: ${run.error}`, EXIT.failure);
        const stats = run.stats as unknown as BlacklistStats & { deleted: number; would_delete?: number };
        say(io.stdout, opts.json, statsLines(stats));
        if (opts.dryRun) say(io.stdout, opts.json, `Dry run: would delete ${stats.would_delete ?? stats.expired} expired tokens (nothing deleted).\n`);
        else say(io.stdout, opts.json, `Successfully deleted ${stats.deleted} expired tokens from blacklist\nCleanup complete. Removed ${stats.deleted} expired tokens.\n`);
      });
    });
}
