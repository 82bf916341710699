import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError, environmentWithDotenv, loadConfig, readEnvFile, type Config, type Env } from '../config/index.js';
import { createLogger } from '../observability/logger.js';
import { createServices, SchemaNotCurrentError, type Services } from '../services.js';
import { openDatabase, type Database } from '../storage/index.js';

/** Exit codes scripts can rely on. */
export const EXIT = {
  ok: 0,
  /** The command failed, or a check it ran failed. */
  failure: 1,
  /** The command was called wrongly: unknown command or option, missing or invalid argument. */
  usage: 2,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A stream the CLI writes text to. */
export interface CliOutput {
  write(chunk: string): unknown;
  isTTY?: boolean | undefined;
}

/** What the CLI reads passwords from: process.stdin, or a PassThrough in tests. */
export interface CliInput extends NodeJS.ReadableStream {
  isTTY?: boolean | undefined;
  setRawMode?: ((mode: boolean) => unknown) | undefined;
}

/**
 * Everything the CLI touches outside itself. `index.ts` wires the process's streams and
 * environment; tests pass captured streams and a chosen environment.
 */
export interface CliIo {
  stdout: CliOutput;
  stderr: CliOutput;
  stdin: CliInput;
  env: Env;
  /** Where `.env` and a relative `--env-file` are looked up (default: the process's cwd). */
  cwd?: string | undefined;
}

/** Options every command accepts (defined on the program, usable before or after the command). */
export interface GlobalOptions {
  envFile?: string | undefined;
  verbose?: boolean | undefined;
}

/**
 * An expected failure with its exit code. `message` is written to stderr as is; undefined when the
 * command has already reported (e.g. a failing check whose report is the output).
 */
export class CliError extends Error {
  /** True when there is nothing more to print. */
  readonly reported: boolean;

  constructor(
    message: string | undefined,
    readonly exitCode: ExitCode = EXIT.failure,
  ) {
    super(message ?? '');
    this.name = 'CliError';
    this.reported = message === undefined;
  }
}

/** Writes `value` as indented JSON and a newline. */
export function printJson(out: CliOutput, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** `2026-01-01T00:00:00Z`: ISO 8601 in UTC without milliseconds, for people. */
export function formatTime(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** Left-aligned columns separated by two spaces; the first row is the header. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')).join('\n') + '\n';
}

/**
 * The environment the config is read from. Without `--env-file`: the real environment over `.env`
 * (as the server reads it). With `--env-file F`: F's values over the real environment, and `.env`
 * is not read, so a check of F reports on F whatever this shell exports.
 */
export function cliEnvironment(io: CliIo, envFile: string | undefined): Env {
  const cwd = io.cwd ?? process.cwd();
  if (envFile === undefined) return environmentWithDotenv(io.env, resolve(cwd, '.env'));
  const path = isAbsolute(envFile) ? envFile : resolve(cwd, envFile);
  if (!existsSync(path)) throw new CliError(`error: env file ${envFile} does not exist`, EXIT.usage);
  let fromFile: Env;
  try {
    fromFile = readEnvFile(path);
  } catch (e) {
    throw new CliError(`error: cannot read env file ${envFile}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`, EXIT.failure);
  }
  return { ...io.env, ...fromFile };
}

/** Loads and validates the config; an invalid one is a failure listing every problem (secrets masked). */
export function loadCliConfig(io: CliIo, globals: GlobalOptions): Config {
  const env = cliEnvironment(io, globals.envFile);
  try {
    return loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message, EXIT.failure);
    throw e;
  }
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
const atLeastWarn = (level: string) => (LEVELS.indexOf(level) < LEVELS.indexOf('warn') ? 'warn' : level);

/**
 * The config the CLI builds services with: unless `--verbose`, logs below `warn` are dropped so a
 * command's own output is what the operator sees. Logs always go to stderr (see openServices).
 */
function cliConfig(config: Config, verbose: boolean): Config {
  if (verbose) return config;
  const levels = Object.fromEntries(Object.entries(config.log.levels).map(([k, v]) => [k, atLeastWarn(v)]));
  return Object.freeze({ ...config, log: Object.freeze({ ...config.log, level: atLeastWarn(config.log.level), levels: Object.freeze(levels) }) });
}

/** Every secret in the config, to keep them out of error messages that echo a driver's text. */
function secretsOf(config: Config): string[] {
  const secrets = [config.jwt.secret, config.jwt.keyEncryptionKey, config.apiKeys.public, config.apiKeys.admin, config.sentry.dsn];
  const receivers = config.alerting.receivers;
  secrets.push(receivers.webhookUrl, receivers.slackWebhookUrl, receivers.pagerduty.routingKey, receivers.email?.password);
  if (config.database.kind === 'postgres') {
    secrets.push(config.database.url);
    try {
      const url = new URL(config.database.url);
      if (url.password) secrets.push(url.password, decodeURIComponent(url.password));
    } catch {
      // Validated at load; nothing more to hide.
    }
  }
  return secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4).sort((a, b) => b.length - a.length);
}

/** One line, with any secret from the config replaced. */
export function safeMessage(e: unknown, config?: Config): string {
  let text = e instanceof Error ? e.message : String(e);
  if (config) for (const secret of secretsOf(config)) text = text.split(secret).join('******');
  return text.replace(/\s*\n\s*/g, ' ').trim() || (e instanceof Error ? e.name : 'unknown error');
}

/** Turns what a command threw into the CliError it reports; known failures keep their own words. */
export function toCliError(e: unknown, config?: Config): CliError {
  if (e instanceof CliError) return e;
  if (e instanceof SchemaNotCurrentError) return new CliError(`error: ${e.message}`, EXIT.failure);
  return new CliError(`error: ${safeMessage(e, config)}`, EXIT.failure);
}

/**
 * Builds the services for one command, runs it, and closes them so the process can exit.
 * Migrations are applied only when DATABASE_AUTO_MIGRATE says so, as the server does; otherwise
 * a schema that is not current is an error pointing at `vigil migrate`.
 */
export async function withServices<T>(io: CliIo, config: Config, globals: GlobalOptions, run: (services: Services) => Promise<T>): Promise<T> {
  let services: Services;
  const effective = cliConfig(config, globals.verbose === true);
  try {
    services = await createServices(effective, { logger: createLogger(effective, { write: (line: string) => void io.stderr.write(line) }) });
  } catch (e) {
    throw toCliError(e, config);
  }
  try {
    return await run(services);
  } catch (e) {
    throw toCliError(e, config);
  } finally {
    await services.close();
  }
}

/** The database alone (for `vigil migrate`, which must work on a schema that is not current). */
export async function withDatabase<T>(config: Config, run: (database: Database) => Promise<T>): Promise<T> {
  let database: Database;
  try {
    database = openDatabase(config.database);
  } catch (e) {
    throw toCliError(e, config);
  }
  try {
    return await run(database);
  } catch (e) {
    throw toCliError(e, config);
  } finally {
    await database.close();
  }
}
