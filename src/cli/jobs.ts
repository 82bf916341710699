import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { JOB_NAMES } from '../config/schema.js';
import type { JobRun, RunOutcome } from '../jobs/index.js';
import { CliError, EXIT, formatTime, isoOrNull, loadCliConfig, printJson, table, withServices, type CliIo, type GlobalOptions } from './context.js';
import { cliProgress } from './progress.js';

function jobArg(raw: string): string {
  if (!(JOB_NAMES as readonly string[]).includes(raw)) throw new InvalidArgumentError(`expected one of: ${JOB_NAMES.join(', ')}.`);
  return raw;
}

function limitArg(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('expected a whole number from 1 to 1000.');
  return n;
}

export const runJson = (r: JobRun) => ({ ...r, started_at: isoOrNull(r.started_at), finished_at: isoOrNull(r.finished_at), tick: isoOrNull(r.tick) });

/** The outcome of a run asked for by hand; a job held by another instance is an error. */
export function checkOutcome(name: string, outcome: RunOutcome): JobRun {
  if (outcome.status === 'skipped') throw new CliError(`error: ${name} is running on another instance right now (its lease is held); try again when it has finished`, EXIT.failure);
  return outcome.run;
}

/** `vigil jobs list|run|history`. */
export function registerJobs(program: Command, io: CliIo): void {
  const jobs = program.command('jobs').description('Maintenance jobs: schedules, runs by hand, history');

  jobs
    .command('list')
    .description('Every job with its schedule, last run and next run')
    .option('--json', 'print machine-readable JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const config = loadCliConfig(io, globals);
      await withServices(io, config, globals, async (services) => {
        const list = await services.maintenance.list();
        if (opts.json) {
          printJson(io.stdout, list.map((j) => ({ ...j, next_run: isoOrNull(j.next_run), last_run: j.last_run && runJson(j.last_run), last_success_at: isoOrNull(j.last_success_at) })));
          return;
        }
        io.stdout.write(
          table([
            ['JOB', 'SCHEDULE', 'LAST RUN', 'STATUS', 'LAST SUCCESS', 'NEXT RUN'],
            ...list.map((j) => [j.name, j.schedule ?? 'off', formatTime(j.last_run?.started_at ?? null), j.last_run?.status ?? '-', formatTime(j.last_success_at), formatTime(j.next_run)]),
          ]),
        );
        io.stdout.write(`Schedules are in ${config.jobs.timezone}; the scheduler runs in \`vigil serve\`${config.jobs.enabled ? '' : ' (off: JOBS_ENABLED=false)'}.\n`);
      });
    });

  jobs
    .command('run')
    .description('Run a job now (recorded in its history; waits if another instance holds it)')
    .argument('<name>', `the job: ${JOB_NAMES.join(', ')}`, jobArg)
    .option('--dry-run', 'report what it would do, change nothing')
    .option('--json', 'print the run as JSON')
    .action(async (name: string, opts: { dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const config = loadCliConfig(io, globals);
      await withServices(io, config, globals, async (services) => {
        const progress = cliProgress(io.stderr);
        const run = checkOutcome(name, await services.maintenance.run(name, { dryRun: opts.dryRun === true, progress: progress.update }));
        progress.end();
        if (opts.json) printJson(io.stdout, runJson(run));
        else {
          io.stdout.write(`${name}: ${run.status} in ${(((run.finished_at ?? run.started_at) - run.started_at) / 1000).toFixed(1)} s\n`);
          if (run.stats) for (const [k, v] of Object.entries(run.stats)) io.stdout.write(`  ${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}\n`);
          if (run.error) io.stdout.write(`  error: ${run.error}\n`);
        }
        if (run.status === 'failed') throw new CliError(undefined, EXIT.failure);
      });
    });

  jobs
    .command('history')
    .description('The latest runs of a job')
    .argument('<name>', 'the job', jobArg)
    .option('--limit <n>', 'how many runs (default 20)', limitArg)
    .option('--json', 'print machine-readable JSON')
    .action(async (name: string, opts: { limit?: number; json?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const config = loadCliConfig(io, globals);
      await withServices(io, config, globals, async (services) => {
        const runs = await services.maintenance.runs.history(name, opts.limit ?? 20);
        if (opts.json) {
          printJson(io.stdout, runs.map(runJson));
          return;
        }
        if (runs.length === 0) {
          io.stdout.write(`${name} has not run yet.\n`);
          return;
        }
        io.stdout.write(
          table([
            ['STARTED', 'TRIGGER', 'STATUS', 'SECONDS', 'INSTANCE', 'RESULT'],
            ...runs.map((r) => [formatTime(r.started_at), r.trigger, r.status, r.finished_at === null ? '-' : ((r.finished_at - r.started_at) / 1000).toFixed(1), r.instance, r.error ?? (r.stats ? JSON.stringify(r.stats) : '')]),
          ]),
        );
      });
    });
}
