import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import { auditServices } from '../audit/index.js';
import { CliError, EXIT, loadCliConfig, printJson, withServices, type CliIo, type GlobalOptions } from './context.js';

/** `vigil audit [--json]`: seed 003's security_audit and seed 004's hardening list. Exit 1 on a high finding. */
export function registerAudit(program: Command, io: CliIo): void {
  program
    .command('audit')
    .description('Security audit: production config, file permissions, key ages, admins, default users, emergency mode, backups, cleanup (exit 1 on a high-severity finding)')
    .option('--json', 'print machine-readable JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const config = loadCliConfig(io, globals);
      const cwd = io.cwd ?? process.cwd();
      const envFile = globals.envFile ? (isAbsolute(globals.envFile) ? globals.envFile : resolve(cwd, globals.envFile)) : existsSync(resolve(cwd, '.env')) ? resolve(cwd, '.env') : undefined;
      await withServices(io, config, globals, async (services) => {
        const { findings, counts } = await auditServices(services, envFile);
        if (opts.json) printJson(io.stdout, { findings, counts, passed: counts.high === 0 });
        else {
          if (findings.length === 0) io.stdout.write('No findings.\n');
          for (const f of findings) {
            io.stdout.write(`[${f.severity.toUpperCase()}] ${f.title}\n  ${f.detail}\n`);
            if (f.fix) io.stdout.write(`  fix: ${f.fix}\n`);
          }
          io.stdout.write(`\n${counts.high} high, ${counts.medium} medium, ${counts.low} low.\n`);
        }
        if (counts.high > 0) throw new CliError(undefined, EXIT.failure);
      });
    });
}
