import type { Command } from 'commander';
import { ConfigError, loadConfig, productionReadiness, type ReadinessItem } from '../config/index.js';
import { CliError, cliEnvironment, EXIT, printJson, type CliIo, type GlobalOptions } from './context.js';

interface CheckOptions {
  json?: boolean;
}

const LABEL = { pass: 'PASS', warn: 'WARN', fail: 'FAIL' } as const;

/** `vigil config check`: the production-readiness report, without touching the database. */
export function registerConfig(program: Command, io: CliIo): void {
  const config = program.command('config').description('Inspect the configuration');

  config
    .command('check')
    .description('Validate the configuration and print the production-readiness report')
    .option('--json', 'print machine-readable JSON')
    .addHelpText(
      'after',
      '\nReads the environment over .env, as the server does; with --env-file F, the values in F over the\n' +
        'environment (.env is then not read). Every check is evaluated whatever ENVIRONMENT says: it\n' +
        'answers "is this configuration fit for production?". Secrets are never printed.\n\n' +
        'Exit status: 0 when no check fails (warnings allowed), 1 when a check fails or the\n' +
        'configuration is invalid, 2 on a usage error (e.g. --env-file names no file).',
    )
    .action((opts: CheckOptions, cmd: Command) => {
      const env = cliEnvironment(io, cmd.optsWithGlobals<GlobalOptions>().envFile);
      let items: ReadinessItem[];
      let environment: string;
      try {
        const loaded = loadConfig(env);
        items = productionReadiness(loaded);
        environment = loaded.environment;
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        // ConfigError masks secret values, so its issues are safe to print.
        if (opts.json) printJson(io.stdout, { ok: false, valid: false, issues: e.issues, items: [] });
        throw new CliError(e.message, EXIT.failure);
      }

      const count = (s: ReadinessItem['status']) => items.filter((i) => i.status === s).length;
      const summary = { pass: count('pass'), warn: count('warn'), fail: count('fail') };
      const ok = summary.fail === 0;
      if (opts.json) {
        printJson(io.stdout, { ok, valid: true, environment, summary, items });
      } else {
        const lines = [`Production readiness (ENVIRONMENT=${environment})`, ''];
        for (const item of items) {
          lines.push(`  ${LABEL[item.status]}  ${item.message}`);
          if (item.status !== 'pass' && item.fix) lines.push(`        fix: ${item.fix}`);
        }
        lines.push('', `${summary.pass} passed, ${summary.warn} warning${summary.warn === 1 ? '' : 's'}, ${summary.fail} failed`);
        if (!ok && environment !== 'production') lines.push(`A production start refuses these failures; ENVIRONMENT=${environment} does not.`);
        io.stdout.write(`${lines.join('\n')}\n`);
      }
      if (!ok) throw new CliError(undefined, EXIT.failure);
    });
}
