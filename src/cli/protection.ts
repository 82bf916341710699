import { InvalidArgumentError, type Command } from 'commander';
import { normaliseEmail } from '../auth/service.js';
import { parseDuration } from '../shared/duration.js';
import { parseTarget } from '../shared/ip.js';
import { CliError, EXIT, formatTime, isoOrNull, loadCliConfig, printJson, table, withServices, type CliIo, type GlobalOptions } from './context.js';

const CLI_ACTOR = 'cli';

function parseTargetArg(raw: string): string {
  const target = parseTarget(raw);
  if (!target) throw new InvalidArgumentError('expected an IP address or CIDR range, e.g. 203.0.113.7 or 10.0.0.0/8.');
  return target.text;
}

function parseFor(raw: string): number | 'forever' {
  if (raw === 'forever') return 'forever';
  const ms = parseDuration(raw);
  if (ms === undefined) throw new InvalidArgumentError('expected a duration such as 30m, 24h or 7d, or "forever".');
  return ms;
}

/** `vigil ip block|unblock|list`: the same blocks as /api/v1/admin/ip-blocks. */
export function registerIp(program: Command, io: CliIo): void {
  const ip = program.command('ip').description('Block and unblock IP addresses and ranges');

  ip.command('block')
    .description('Block an IP address or CIDR range (every instance enforces it within a second)')
    .argument('<target>', 'IP address or CIDR range', parseTargetArg)
    .option('--for <duration>', 'how long, e.g. 24h or 7d, or "forever" (default: IP_BLOCK_DURATION)', parseFor)
    .requiredOption('--reason <text>', 'why (kept with the block and in the IP_BLOCKED event)')
    .option('--json', 'print the block as JSON')
    .action(async (target: string, opts: { for?: number | 'forever'; reason: string; json?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const config = loadCliConfig(io, globals);
      await withServices(io, config, globals, async (services) => {
        const durationMs = opts.for === undefined ? config.protection.ipBlocks.durationMs : opts.for === 'forever' ? null : opts.for;
        const block = await services.protection.ipBlocks.block({ target, durationMs, reason: opts.reason, source: 'manual', actor: CLI_ACTOR }, {});
        if (opts.json) printJson(io.stdout, { ...block, created_at: isoOrNull(block.created_at), expires_at: isoOrNull(block.expires_at) });
        else io.stdout.write(`Blocked ${block.target} ${block.expires_at === null ? 'until unblocked' : `until ${formatTime(block.expires_at)}`}.\n`);
      });
    });

  ip.command('unblock')
    .description('Lift the blocks of an IP address or CIDR range')
    .argument('<target>', 'IP address or CIDR range', parseTargetArg)
    .action(async (target: string, _opts: object, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const config = loadCliConfig(io, globals);
      await withServices(io, config, globals, async (services) => {
        const lifted = await services.protection.ipBlocks.unblock(target, {}, CLI_ACTOR);
        if (lifted === 0) throw new CliError(`error: no active block for ${target}`, EXIT.failure);
        await services.protection.detectors.forget(services.protection.ipKey(target.split('/')[0]!));
        io.stdout.write(`Unblocked ${target}.\n`);
      });
    });

  ip.command('list')
    .description('List the blocks in force')
    .option('--json', 'print machine-readable JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const config = loadCliConfig(io, globals);
      await withServices(io, config, globals, async (services) => {
        const blocks = await services.protection.ipBlocks.listActive();
        if (opts.json) {
          printJson(io.stdout, blocks.map((b) => ({ ...b, created_at: isoOrNull(b.created_at), expires_at: isoOrNull(b.expires_at) })));
          return;
        }
        if (blocks.length === 0) io.stdout.write('No IP blocks in force.\n');
        else io.stdout.write(table([['TARGET', 'SOURCE', 'OFFENCE', 'UNTIL', 'REASON'], ...blocks.map((b) => [b.target, b.source, String(b.offence), b.expires_at === null ? 'unblocked by hand' : formatTime(b.expires_at), b.reason])]));
      });
    });
}

/** `vigil user unlock <email>`. */
export function registerUnlock(user: Command, io: CliIo): void {
  user
    .command('unlock')
    .description('End the lock of an account locked after failed logins')
    .argument('<email>', 'the account')
    .action(async (email: string, _opts: object, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const config = loadCliConfig(io, globals);
      await withServices(io, config, globals, async (services) => {
        const account = await services.users.findByEmail(normaliseEmail(email));
        if (!account) throw new CliError(`error: no account with email ${email}`, EXIT.failure);
        const was = await services.protection.lockout.unlock(account, {}, CLI_ACTOR);
        io.stdout.write(was ? `Unlocked ${account.email}.\n` : `${account.email} was not locked.\n`);
      });
    });
}

/** `vigil emergency on|off|status`. */
export function registerEmergency(program: Command, io: CliIo): void {
  const emergency = program.command('emergency').description('Emergency auth mode: registration closed, only admins sign in, short access tokens');

  const show = (s: { enabled: boolean; source: string | null; since: number | null; by: string | null; access_token_ttl_seconds: number }) =>
    `Emergency mode is ${s.enabled ? 'ON' : 'off'}${s.since === null ? '' : ` (since ${formatTime(s.since)}${s.by ? ` by ${s.by}` : ''}, via ${s.source})`}.\n`;

  emergency
    .command('on')
    .description('Switch it on for every instance')
    .option('--revoke-sessions', 'also revoke every refresh token (everyone signs in again)')
    .action(async (opts: { revokeSessions?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const config = loadCliConfig(io, globals);
      await withServices(io, config, globals, async (services) => {
        const sessionsRevoked = opts.revokeSessions ? await services.tokens.revokeAllSessions('emergency_mode') : undefined;
        const state = await services.protection.emergency.set(true, { source: 'cli', actor: CLI_ACTOR, ...(sessionsRevoked === undefined ? {} : { sessionsRevoked }) }, {});
        io.stdout.write(show(state));
        if (sessionsRevoked !== undefined) io.stdout.write(`Revoked ${sessionsRevoked} session(s).\n`);
      });
    });

  emergency
    .command('off')
    .description('Switch it off for every instance')
    .action(async (_opts: object, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const config = loadCliConfig(io, globals);
      await withServices(io, config, globals, async (services) => io.stdout.write(show(await services.protection.emergency.set(false, { source: 'cli', actor: CLI_ACTOR }, {}))));
    });

  emergency
    .command('status')
    .description('Show whether it is on')
    .option('--json', 'print machine-readable JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const config = loadCliConfig(io, globals);
      await withServices(io, config, globals, async (services) => {
        const state = services.protection.emergency.state();
        if (opts.json) printJson(io.stdout, { ...state, since: isoOrNull(state.since) });
        else io.stdout.write(show(state));
      });
    });
}
