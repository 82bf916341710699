import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { CliInput, CliIo } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/program.js';
import { loadConfig, type Env } from '../../src/config/index.js';
import { createServices, type Services } from '../../src/services.js';
import { TEST_ENV } from '../support/config.js';
import { freshPostgresSchema, runPostgres } from '../support/postgres.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Text piped on stdin (ended), or a stream the test drives. */
  stdin?: string | CliInput;
  /** Called with every stderr write (prompts arrive here). */
  onStderr?: (chunk: string) => void;
}

/** A temp directory with a SQLite file path in it, and the env that points the CLI there. */
export function tempWorkspace() {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-cli-'));
  const env: Env = { ...TEST_ENV, DATABASE_URL: `sqlite:${join(dir, 'vigil.db')}` };
  return {
    dir,
    env,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Where a CLI suite runs: a workspace on SQLite, and one on a fresh PostgreSQL schema when reachable. */
export interface CliBackend {
  name: string;
  enabled: boolean;
  open(): Promise<{ env: Env; cwd: string; drop(): Promise<void> }>;
}

/** Both backends; `extraEnv` adds settings that depend on the workspace directory. */
export function cliBackends(extraEnv: (dir: string) => Env = () => ({})): CliBackend[] {
  return [
    {
      name: 'sqlite',
      enabled: true,
      async open() {
        const ws = tempWorkspace();
        return { env: { ...ws.env, ...extraEnv(ws.dir) }, cwd: ws.dir, drop: async () => ws.remove() };
      },
    },
    {
      name: 'postgres',
      enabled: runPostgres,
      async open() {
        const ws = tempWorkspace();
        const schema = await freshPostgresSchema();
        return {
          env: { ...ws.env, DATABASE_URL: schema.url, ...extraEnv(ws.dir) },
          cwd: ws.dir,
          drop: async () => {
            await schema.drop();
            ws.remove();
          },
        };
      },
    },
  ];
}

/** Runs one `vigil …` command line in-process with captured streams; cwd is the workspace (no stray .env). */
export async function vigil(args: string[], env: Env, cwd: string, options: RunOptions = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  let stdin: CliInput;
  if (typeof options.stdin === 'string' || options.stdin === undefined) {
    const piped = new PassThrough();
    piped.end(options.stdin ?? '');
    stdin = piped;
  } else {
    stdin = options.stdin;
  }
  const io: CliIo = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: {
      write: (s: string) => {
        stderr += s;
        options.onStderr?.(s);
        return true;
      },
    },
    stdin,
    env,
    cwd,
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

/** Services over the same database, to check what a command did (no migrations: the CLI ran them). */
export async function servicesFor(env: Env): Promise<Services> {
  return createServices(loadConfig(env), { migrate: false });
}

export const json = <T = unknown>(r: CliResult): T => JSON.parse(r.stdout) as T;
