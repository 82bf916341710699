import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** `node src/main.ts` through tsx's loader, from any working directory (the source under test, no build needed). */
export const TSX = pathToFileURL(join(process.cwd(), 'node_modules/tsx/dist/loader.mjs')).href;
export const MAIN = join(process.cwd(), 'src/main.ts');

/** A real Vigil process (its own event loop, sockets and signal handling). */
export interface VigilProcess {
  child: ChildProcess;
  url: string;
  port: number;
  output(): string;
  /** The exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/**
 * Starts Vigil with `env` only (plus PATH) in a fresh working directory, and resolves when it
 * logs "Vigil listening on …" (so LOG_LEVEL must leave the `vigil` logger at info).
 */
export function startVigilProcess(env: Record<string, string>, cwd = mkdtempSync(join(tmpdir(), 'vigil-proc-'))): Promise<VigilProcess> {
  const child = spawn(process.execPath, ['--import', TSX, MAIN], { cwd, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /Vigil listening on (http:\/\/[^"\s]+)/.exec(out);
      if (m) resolve({ child, url: m[1]!, port: Number(new URL(m[1]!).port), output: () => out, exited });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`Vigil exited ${code} before listening: ${out.slice(-3000)}`)));
  });
}
