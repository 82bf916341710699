import type { Command } from 'commander';
import { migrateToLatest, migrationStatus } from '../storage/index.js';
import { formatTime, loadCliConfig, printJson, table, withDatabase, type CliIo, type GlobalOptions } from './context.js';

interface MigrateOptions {
  status?: boolean;
  json?: boolean;
}

/** `vigil migrate [--status]`: the only command that changes the schema on its own. */
export function registerMigrate(program: Command, io: CliIo): void {
  program
    .command('migrate')
    .description('Apply pending database migrations and list them')
    .option('--status', 'list every migration as applied or pending, and change nothing')
    .option('--json', 'print machine-readable JSON')
    .addHelpText(
      'after',
      '\nExit status: 0 when the migrations were applied (or none was pending), 1 when one failed.\n' +
        'With --status the exit status is 0 whether or not migrations are pending: it reports and does\n' +
        'not judge. Scripts that need to know read "pending" from --status --json.',
    )
    .action(async (opts: MigrateOptions, cmd: Command) => {
      const config = loadCliConfig(io, cmd.optsWithGlobals<GlobalOptions>());
      await withDatabase(config, async ({ db }) => {
        if (opts.status) {
          const states = await migrationStatus(db);
          const pending = states.filter((m) => m.executedAt === undefined).length;
          if (opts.json) {
            printJson(io.stdout, {
              migrations: states.map((m) => ({ name: m.name, status: m.executedAt ? 'applied' : 'pending', applied_at: m.executedAt?.toISOString() ?? null })),
              applied: states.length - pending,
              pending,
            });
            return;
          }
          io.stdout.write(table([['STATUS', 'MIGRATION', 'APPLIED AT'], ...states.map((m) => [m.executedAt ? 'applied' : 'pending', m.name, m.executedAt ? formatTime(m.executedAt.getTime()) : '-'])]));
          io.stdout.write(
            pending === 0
              ? `\nSchema is current (${states.length} migration${states.length === 1 ? '' : 's'} applied).\n`
              : `\n${pending} pending: run \`vigil migrate\` to apply ${pending === 1 ? 'it' : 'them'}.\n`,
          );
          return;
        }
        const applied = await migrateToLatest(db);
        if (opts.json) {
          printJson(io.stdout, { applied });
          return;
        }
        if (applied.length === 0) io.stdout.write('Schema is current: no pending migrations.\n');
        for (const name of applied) io.stdout.write(`applied  ${name}\n`);
        if (applied.length > 0) io.stdout.write(`\n${applied.length} migration${applied.length === 1 ? '' : 's'} applied; schema is current.\n`);
      });
    });
}
