import type { Command } from 'commander';
import type { Config } from '../config/index.js';
import type { PublicKeyInfo } from '../tokens/index.js';
import { CliError, EXIT, formatTime, isoOrNull, loadCliConfig, printJson, table, withServices, type CliIo, type GlobalOptions } from './context.js';

type KeyStatus = 'active' | 'retired' | 'verify-only';

interface KeyRow {
  kid: string;
  alg: string;
  status: KeyStatus;
  created_at: string;
  retired_at: string | null;
  expires_at: string | null;
}

/**
 * The signer is the newest unretired key of the configured algorithm (as the key store picks it);
 * retired keys verify until they expire; an unretired key of another algorithm (after a change of
 * JWT_ALGORITHM) only verifies.
 */
function rows(keys: PublicKeyInfo[], alg: string): KeyRow[] {
  const signer = keys.filter((k) => k.retired_at === null && k.alg === alg).sort((a, b) => b.created_at - a.created_at)[0];
  return [...keys]
    .sort((a, b) => b.created_at - a.created_at)
    .map((k) => ({
      kid: k.kid,
      alg: k.alg,
      status: k === signer ? 'active' : k.retired_at !== null ? 'retired' : 'verify-only',
      created_at: new Date(k.created_at).toISOString(),
      retired_at: isoOrNull(k.retired_at),
      expires_at: isoOrNull(k.expires_at),
    }));
}

function requireManagedKeys(config: Config): void {
  if (config.jwt.algorithm === 'HS256') {
    throw new CliError('error: JWT_ALGORITHM=HS256 signs with JWT_SECRET: there are no managed signing keys (use JWT_ALGORITHM=EdDSA or ES256 for key pairs, rotation and JWKS)', EXIT.failure);
  }
}

const human = (t: string | null) => (t === null ? '-' : formatTime(Date.parse(t)));

/** `vigil keys rotate|list`: the asymmetric signing keys published in JWKS. */
export function registerKeys(program: Command, io: CliIo): void {
  const keys = program.command('keys').description('Manage the token signing keys (EdDSA/ES256)');

  keys
    .command('rotate')
    .description('Add a new signing key; previous keys keep verifying until their tokens expire')
    .option('--json', 'print machine-readable JSON')
    .addHelpText(
      'after',
      '\nRunning instances start signing with the new key within a minute; the old public keys stay in\n' +
        'JWKS for one access-token lifetime (plus a minute), so no issued token stops verifying.\n' +
        'Exit status: 1 with JWT_ALGORITHM=HS256 (no managed keys).',
    )
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const config = loadCliConfig(io, globals);
      requireManagedKeys(config);
      await withServices(io, config, globals, async (services) => {
        const created = await services.tokens.rotateKeys();
        const all = rows(services.tokens.listKeys(), config.jwt.algorithm);
        const key = all.find((k) => k.kid === created.kid);
        const previous = all.filter((k) => k.kid !== created.kid);
        if (opts.json) {
          printJson(io.stdout, { key, previous });
          return;
        }
        io.stdout.write(`New signing key ${created.kid} (${created.alg}) is active.\n`);
        for (const k of previous) io.stdout.write(`  ${k.status.padEnd(11)} ${k.kid}  verifies until ${human(k.expires_at)}\n`);
      });
    });

  keys
    .command('list')
    .description('List the signing keys whose public part is still published')
    .option('--json', 'print machine-readable JSON')
    .addHelpText('after', '\nExit status: 1 with JWT_ALGORITHM=HS256 (no managed keys).')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const config = loadCliConfig(io, globals);
      requireManagedKeys(config);
      await withServices(io, config, globals, async (services) => {
        const all = rows(services.tokens.listKeys(), config.jwt.algorithm);
        if (opts.json) {
          printJson(io.stdout, all);
          return;
        }
        io.stdout.write(table([['KID', 'ALG', 'STATUS', 'CREATED', 'EXPIRES'], ...all.map((k) => [k.kid, k.alg, k.status, human(k.created_at), k.expires_at === null ? 'never' : human(k.expires_at)])]));
      });
    });
}
