import { InvalidArgumentError, type Command } from 'commander';
import { sloWindow } from '../incidents/slo-routes.js';
import type { SloKpi } from '../incidents/slo.js';
import { loadCliConfig, printJson, table, withServices, type CliIo, type GlobalOptions } from './context.js';

const percent = (n: number | null) => (n === null ? '-' : `${n}%`);
const status = (k: SloKpi) => (k.compliant === null ? 'no data' : k.compliant ? 'ok' : 'VIOLATED');

/** `vigil slo report [--window 30d] [--json]`: the KPIs from the per-minute aggregates in the database. */
export function registerSlo(program: Command, io: CliIo): void {
  const slo = program.command('slo').description('Service-level objectives and KPIs');
  slo
    .command('report')
    .description('Each KPI over a window: target, actual, compliance, error budget remaining')
    .option('--window <duration>', 'the period to report on, 1h to 90d (default: SLO_WINDOW)', (v: string) => {
      const ms = sloWindow(v, 0);
      if (typeof ms === 'string') throw new InvalidArgumentError(ms);
      return ms;
    })
    .option('--json', 'print machine-readable JSON')
    .action(async (opts: { window?: number; json?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const config = loadCliConfig(io, globals);
      await withServices(io, config, globals, async (services) => {
        const windowMs = opts.window ?? (sloWindow(undefined, config.slo.windowMs) as number);
        const report = await services.slo.report(windowMs);
        if (opts.json) return printJson(io.stdout, report);
        io.stdout.write(`SLO report ${report.from} – ${report.to} (${report.minutes_recorded} minutes with traffic)\n\n`);
        io.stdout.write(table([
          ['KPI', 'TARGET', 'ACTUAL', 'STATUS', 'BUDGET LEFT', 'GOOD/TOTAL'],
          ...report.kpis.map((k) => [k.name, `${k.objective} ${k.target}%`, percent(k.actual), status(k), `${Math.round(k.error_budget_remaining * 1000) / 10}%`, `${k.good}/${k.total}`]),
        ]));
      });
    });
}
