import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { registerApiKey } from './apikey.js';
import { registerAudit } from './audit.js';
import { registerBackup } from './backup.js';
import { registerCleanup } from './cleanup.js';
import { registerConfig } from './config.js';
import { CliError, EXIT, loadCliConfig, safeMessage, toCliError, type CliIo, type GlobalOptions } from './context.js';
import { registerEvents } from './events.js';
import { registerHealth } from './health.js';
import { registerJobs } from './jobs.js';
import { registerKeys } from './keys.js';
import { registerMigrate } from './migrate.js';
import { registerEmergency, registerIp } from './protection.js';
import { registerAlerts } from './alerts.js';
import { registerAlertsExport } from './alerts-export.js';
import { registerIncident } from './incident.js';
import { registerSlo } from './slo.js';
import { registerUser } from './user.js';

export { EXIT, type CliIo } from './context.js';

const FOOTER = `
Every command reads its configuration as the server does (the environment over .env), or from
--env-file. Data goes to stdout (--json for machines); messages, prompts and logs go to stderr.

Exit status: 0 success, 1 failure (or a failing check), 2 usage error.`;

/**
 * The `vigil` command tree over `io`. Commander never exits the process or writes to the real
 * streams: its errors are thrown (see runCli) and its output goes to io.stdout / io.stderr.
 */
export function buildProgram(io: CliIo): Command {
  const program = new Command('vigil');
  // Settings first: subcommands copy them when they are created.
  program
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
      outputError: (s, write) => write(s),
    })
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ showGlobalOptions: true })
    .description('Vigil: self-hosted authentication and security service')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .option('--env-file <path>', 'read the configuration from this dotenv file (over the environment; .env is then not read)')
    .option('--verbose', 'log at LOG_LEVEL to stderr (default: warnings and errors only)')
    .addHelpText('after', FOOTER);

  program
    .command('serve')
    .description('Start the HTTP server (what `node dist/main.js` does)')
    .action(async (_opts: object, cmd: Command) => {
      const config = loadCliConfig(io, cmd.optsWithGlobals<GlobalOptions>());
      // Loaded here so the other commands do not pay for Fastify and its plugins.
      const { serve } = await import('../main.js');
      try {
        await serve(config);
      } catch (e) {
        throw new CliError(`Vigil failed to start: ${safeMessage(e, config)}`, EXIT.failure);
      }
    });

  registerMigrate(program, io);
  registerConfig(program, io);
  registerUser(program, io);
  registerApiKey(program, io);
  registerKeys(program, io);
  registerEvents(program, io);
  registerIp(program, io);
  registerEmergency(program, io);
  registerHealth(program, io);
  registerJobs(program, io);
  registerCleanup(program, io);
  registerBackup(program, io);
  registerAudit(program, io);
  registerAlertsExport(registerAlerts(program, io), io);
  registerIncident(program, io);
  registerSlo(program, io);
  return program;
}

/**
 * Runs one command line (without `node` and the script) and returns its exit code. Never throws
 * and never prints a stack: every failure becomes one message on stderr.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    await buildProgram(io).parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (e) {
    // Commander has already printed its message (or the help); map its codes to ours.
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const error = toCliError(e);
    if (!error.reported) io.stderr.write(`${error.message}\n`);
    return error.exitCode;
  }
}
