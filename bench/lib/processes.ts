/**
 * Child processes for the benchmark: every server runs in its own process so the load generator
 * (autocannon, in the parent) never shares the server's event loop. Every child is registered
 * and killed at the end, even when the run fails or is interrupted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT_DIR = resolve(BENCH_DIR, '..');

const children = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL if the child has not exited after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((c) => stopChild(c)));
}

// Last resort (uncaught error, process.exit): synchronous SIGKILL of whatever is left.
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** Environment for a child: only what a server needs, so the caller's shell (DATABASE_URL, …) does not leak in. */
export function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'production' };
  if (process.env.UV_THREADPOOL_SIZE) env.UV_THREADPOOL_SIZE = process.env.UV_THREADPOOL_SIZE;
  return { ...env, ...extra };
}

function waitForMessage<T>(child: ChildProcess, type: string, timeoutMs: number, what: string): Promise<T> {
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`${what}: no '${type}' message within ${timeoutMs} ms`)), timeoutMs);
    const onExit = (code: number | null, signal: string | null) => {
      clearTimeout(timer);
      fail(new Error(`${what} exited (code ${code}, signal ${signal}) before '${type}'`));
    };
    child.on('message', (m: { type?: string }) => {
      if (m?.type !== type) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      done(m as T);
    });
    child.once('exit', onExit);
  });
}

/** A TypeScript script of bench/ run with tsx's loader in a child node process, talking over IPC. */
function forkTs(script: string, args: string[] = []): ChildProcess {
  return track(
    spawn(process.execPath, ['--import', 'tsx', join(BENCH_DIR, script), ...args], {
      cwd: ROOT_DIR,
      env: baseEnv(),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
}

export interface Server {
  child: ChildProcess;
  pid: number;
  url: string;
}

/** The baseline: bench/bare-server.ts. */
export async function startBare(): Promise<Server> {
  const child = forkTs('bare-server.ts');
  const { address } = await waitForMessage<{ address: string }>(child, 'listening', 30_000, 'bare server');
  return { child, pid: child.pid!, url: address };
}

export interface Argon2RawResult {
  count: number;
  elapsedS: number;
  latenciesMs: number[];
  cpuS: number;
  /** CPU used by every other process (the idle parent included) during the run, in cores. */
  otherCpuCores: number;
}

/** The login baseline: bench/argon2-verify.ts in its own process. */
export async function runArgon2Raw(params: { memoryCost: number; timeCost: number; parallelism: number; concurrency: number; durationS: number; warmupS: number }): Promise<Argon2RawResult> {
  const child = forkTs('argon2-verify.ts', [JSON.stringify(params)]);
  try {
    return await waitForMessage<Argon2RawResult>(child, 'result', (params.durationS + params.warmupS + 60) * 1000, 'argon2 verify');
  } finally {
    await stopChild(child);
  }
}

/** bench/security-events.ts in its own process; its figures are what it wrote to `resultsFile`. */
export async function runSecurityEvents<T>(resultsFile: string, timeoutMs = 600_000): Promise<T> {
  rmSync(resultsFile, { force: true });
  const child = forkTs('security-events.ts');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((done) => child.once('exit', (c) => done(c)));
  clearTimeout(timer);
  if (code !== 0 && code !== 1) throw new Error(`security events benchmark failed (exit ${code})`);
  return JSON.parse(readFileSync(resultsFile, 'utf8')) as T;
}

export interface VigilServer extends Server {
  logFile: string;
}

/**
 * The Node.js flags `npm start` runs Vigil with (package.json's start script, e.g. the young
 * generation's size), so the benchmark measures the process as shipped.
 */
export function startFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT_DIR, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const words = pkg.scripts.start.trim().split(/\s+/);
  if (words[0] !== 'node' || words.at(-1) !== 'dist/main.js') throw new Error(`unexpected start script: ${pkg.scripts.start}`);
  return words.slice(1, -1);
}

/**
 * Vigil itself: the shipped entry point `node dist/main.js` with `npm start`'s flags, configured by environment
 * (API_PORT=0). Its stdout (the JSON log) goes to `logFile`; the port is read from the
 * "Vigil listening on" line, which is why the `vigil` component logger stays at info.
 */
export async function startVigil(opts: { dir: string; logFile: string; env: Record<string, string>; nodeArgs?: string[] }): Promise<VigilServer> {
  const fd = openSync(opts.logFile, 'a');
  let stderr = '';
  const child = track(
    spawn(process.execPath, [...startFlags(), ...(opts.nodeArgs ?? []), join(ROOT_DIR, 'dist', 'main.js')], {
      cwd: opts.dir, // no .env is read from the repository
      env: baseEnv(opts.env),
      stdio: ['ignore', fd, 'pipe'],
    }),
  );
  closeSync(fd);
  child.stderr?.on('data', (b: Buffer) => {
    stderr += b.toString();
    process.stderr.write(`[vigil ${child.pid}] ${b.toString()}`);
  });

  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`Vigil exited during start (code ${child.exitCode}): ${stderr.trim()}`);
    const address = listeningAddress(opts.logFile);
    if (address) return { child, pid: child.pid!, url: address, logFile: opts.logFile };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Vigil did not report listening within 60 s: ${stderr.trim()}`);
}

function listeningAddress(logFile: string): string | undefined {
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes('Vigil listening on')) continue;
    try {
      const entry = JSON.parse(line) as { address?: string };
      if (entry.address) return entry.address;
    } catch {
      // a partly written line: read again on the next poll
    }
  }
  return undefined;
}

/** Resident set size (VmRSS) and its peak (VmHWM) of a process, in MiB, from /proc. */
export function memoryOf(pid: number): { rssMiB: number; peakRssMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kib('VmRSS') / 1024, peakRssMiB: kib('VmHWM') / 1024 };
}

/** CPU time (user + system) a process has used, in seconds, from /proc/<pid>/stat. */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / CLOCK_TICKS;
}

/** CPU time the whole machine has been busy (every state but idle and iowait), in seconds, from /proc/stat. */
export function machineBusySeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS;
}

// USER_HZ: 100 on every Linux build Node supports.
const CLOCK_TICKS = 100;
