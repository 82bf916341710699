import { InvalidArgumentError, Option, type Command } from 'commander';
import type { ApiKeyRecord, ApiKeyScope } from '../auth/ports.js';
import { apiKeyView } from '../auth/views.js';
import { parseDuration } from '../shared/duration.js';
import { CliError, EXIT, formatTime, isoOrNull, loadCliConfig, printJson, table, withServices, type CliIo, type GlobalOptions } from './context.js';

interface CreateOptions {
  name: string;
  scope: ApiKeyScope;
  expires?: number;
  json?: boolean;
}

function parseExpiry(raw: string): number {
  const ms = parseDuration(raw);
  if (ms === undefined) throw new InvalidArgumentError('expected a duration such as 90d, 12h or 2w.');
  return ms;
}

function parseKeyName(raw: string): string {
  const name = raw.trim();
  // eslint-disable-next-line no-control-regex
  if (name.length < 1 || name.length > 100 || /[\u0000-\u001f\u007f]/.test(name)) throw new InvalidArgumentError('expected 1 to 100 characters without control characters.');
  return name;
}

const status = (k: ApiKeyRecord, now: number) => (k.revoked_at !== null ? 'revoked' : k.expires_at !== null && k.expires_at <= now ? 'expired' : 'active');

/** `vigil apikey create|list|revoke`. A key is printed once, at creation; only its hash is stored. */
export function registerApiKey(program: Command, io: CliIo): void {
  const apikey = program.command('apikey').description('Manage API keys');

  apikey
    .command('create')
    .description('Create an API key and print it once')
    .requiredOption('--name <name>', 'what the key is for (shown in lists and audit events)', parseKeyName)
    .addOption(new Option('--scope <scope>', 'what the key may do').choices(['public', 'admin']).makeOptionMandatory())
    .option('--expires <duration>', 'lifetime, e.g. 90d (default: no expiry)', parseExpiry)
    .option('--json', 'print {id, key, prefix, scope, name, expires_at} as JSON')
    .addHelpText(
      'after',
      '\nThe key is written to stdout alone (or in the JSON), and the notes about it to stderr, so\n' +
        '`KEY=$(vigil apikey create …)` captures just the key. It cannot be shown again.',
    )
    .action(async (opts: CreateOptions, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const config = loadCliConfig(io, globals);
      await withServices(io, config, globals, async (services) => {
        const { key, record } = await services.apiKeys.create({ name: opts.name, scope: opts.scope, ...(opts.expires === undefined ? {} : { expiresInMs: opts.expires }) }, {});
        if (opts.json) {
          printJson(io.stdout, { id: record.id, key, prefix: record.prefix, scope: record.scope, name: record.name, expires_at: isoOrNull(record.expires_at) });
          return;
        }
        io.stderr.write(
          `Created API key "${record.name}" (id ${record.id}, scope ${record.scope}, ` +
            `${record.expires_at === null ? 'no expiry' : `expires ${formatTime(record.expires_at)}`}).\n` +
            'Copy it now: it is not stored and cannot be shown again.\n',
        );
        io.stdout.write(`${key}\n`);
      });
    });

  apikey
    .command('list')
    .description('List API keys (never the keys themselves)')
    .option('--json', 'print machine-readable JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const config = loadCliConfig(io, globals);
      await withServices(io, config, globals, async (services) => {
        const keys = await services.apiKeys.list();
        const now = services.clock.now();
        if (opts.json) {
          printJson(io.stdout, keys.map((k) => ({ ...apiKeyView(k), status: status(k, now) })));
          return;
        }
        if (keys.length === 0) io.stdout.write('No API keys.\n');
        else {
          io.stdout.write(
            table([
              ['ID', 'NAME', 'SCOPE', 'PREFIX', 'STATUS', 'CREATED', 'EXPIRES', 'LAST USED'],
              ...keys.map((k) => [k.id, k.name, k.scope, k.prefix, status(k, now), formatTime(k.created_at), k.expires_at === null ? 'never' : formatTime(k.expires_at), formatTime(k.last_used_at)]),
            ]),
          );
        }
        const fromEnv = (['PUBLIC_API_KEY', 'ADMIN_API_KEY'] as const).filter((n) => (n === 'PUBLIC_API_KEY' ? config.apiKeys.public : config.apiKeys.admin) !== undefined);
        if (fromEnv.length > 0) io.stdout.write(`Also accepted, from the environment: ${fromEnv.join(', ')}.\n`);
      });
    });

  apikey
    .command('revoke')
    .description('Revoke an API key at once')
    .argument('<id>', 'the key id, or its prefix (vgl_…) as `apikey list` shows it')
    .option('--json', 'print the revoked key as JSON')
    .addHelpText('after', '\nExit status: 0 revoked, 1 when no active key has that id or prefix.')
    .action(async (idOrPrefix: string, opts: { json?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const config = loadCliConfig(io, globals);
      await withServices(io, config, globals, async (services) => {
        const revoked = await services.apiKeys.revoke(idOrPrefix.trim(), {});
        if (!revoked) throw new CliError(`error: no active API key with id or prefix ${idOrPrefix}`, EXIT.failure);
        if (opts.json) printJson(io.stdout, { ...apiKeyView(revoked), status: 'revoked' });
        else io.stdout.write(`Revoked API key "${revoked.name}" (id ${revoked.id}).\n`);
      });
    });
}
