import { registerUnlock } from './protection.js';
import { InvalidArgumentError, type Command } from 'commander';
import { normaliseEmail } from '../auth/service.js';
import { userView } from '../auth/views.js';
import { isAppError } from '../errors/index.js';
import { CliError, EXIT, loadCliConfig, printJson, withServices, type CliIo, type GlobalOptions } from './context.js';
import { canPrompt, promptHidden, readSecretFromStdin } from './prompt.js';

interface CreateAdminOptions {
  email: string;
  name?: string;
  passwordStdin?: boolean;
  json?: boolean;
}

// The `email` format the HTTP API validates with (ajv-formats, full mode), so the CLI accepts
// exactly the addresses registration does.
const EMAIL = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function parseEmail(raw: string): string {
  const email = raw.trim();
  if (email.length > 254 || !EMAIL.test(email)) throw new InvalidArgumentError('expected an email address.');
  return email;
}

function parseName(raw: string): string {
  const name = raw.trim();
  if (name.length < 1 || name.length > 200 || CONTROL.test(name)) throw new InvalidArgumentError('expected 1 to 200 characters without control characters.');
  return name;
}

/** `vigil user create-admin`: the supported way to create the first administrator. */
export function registerUser(program: Command, io: CliIo): void {
  const user = program.command('user').description('Manage user accounts');
  registerUnlock(user, io);

  user
    .command('create-admin')
    .description('Create a user with the admin role')
    .requiredOption('--email <email>', 'email address (login name)', parseEmail)
    .option('--name <name>', 'display name', parseName)
    .option('--password-stdin', 'read the password from stdin instead of prompting')
    .option('--json', 'print the created user as JSON')
    .addHelpText(
      'after',
      '\nOn a terminal the password is asked twice and not echoed. Otherwise pipe it with\n' +
        '--password-stdin (one line; a trailing newline is dropped). It must meet the password policy\n' +
        '(PASSWORD_MIN_LENGTH, PASSWORD_MIN_STRENGTH).\n\n' +
        'Exit status: 0 created, 1 weak password, email taken or another failure, 2 usage error\n' +
        '(including: no terminal to prompt on and no --password-stdin).',
    )
    .action(async (opts: CreateAdminOptions, cmd: Command) => {
      if (!opts.passwordStdin && !canPrompt(io)) {
        throw new CliError('error: stdin is not a terminal: pass the password with --password-stdin', EXIT.usage);
      }
      const config = loadCliConfig(io, cmd.optsWithGlobals<GlobalOptions>());
      await withServices(io, config, cmd.optsWithGlobals<GlobalOptions>(), async (services) => {
        const weak = (password: string) => services.policy.check(password, { email: normaliseEmail(opts.email), name: opts.name ?? null }, '/password')[0];
        let password: string;
        if (opts.passwordStdin) {
          password = await readSecretFromStdin(io);
        } else {
          password = await promptHidden(io, `Password for ${opts.email}: `);
          // Say so before asking again: retyping a password the policy rejects is wasted effort.
          const problem = weak(password);
          if (problem) throw new CliError(`error: password ${problem.detail}`, EXIT.failure);
          if ((await promptHidden(io, 'Repeat the password: ')) !== password) throw new CliError('error: the passwords do not match', EXIT.failure);
        }
        try {
          const created = await services.auth.createUser({ email: opts.email, password, name: opts.name ?? null, role: 'admin' }, {});
          if (opts.json) printJson(io.stdout, userView(created));
          else io.stdout.write(`Created admin ${created.email} (id ${created.id}).\n`);
        } catch (e) {
          if (isAppError(e) && e.code === 'weak_password') throw new CliError(`error: password ${e.detail}`, EXIT.failure);
          if (isAppError(e) && e.code === 'email_taken') throw new CliError(`error: a user with email ${normaliseEmail(opts.email)} already exists`, EXIT.failure);
          throw e;
        }
      });
    });
}
