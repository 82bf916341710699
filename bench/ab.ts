/**
 * `npm run bench:ab`: two Vigil servers compared on GET /api/v1/auth/me by server CPU per request,
 * the way BENCHMARKS.md's "pinned A/B" figures were taken. Each server runs pinned to core 0
 * (`taskset`, its worker threads included) while this process, pinned to core 1, alternates
 * fixed-size autocannon runs between them. Each run's CPU comes from /proc, per thread from
 * `schedstat`; the result is the median of the pairs' ratios (B / A), since this host drifts by
 * ±20% between consecutive runs.
 *
 * Settings (environment):
 *   AB_A_DIST, AB_B_DIST   build directories to run (default: dist for both; e.g. a copy of an
 *                          earlier build made with `npx tsc -p tsconfig.build.json --outDir dist-a`)
 *   AB_A_ENV, AB_B_ENV     JSON objects of extra environment for each server (e.g. '{"LOG_LEVEL":"info"}')
 *   AB_A_FLAGS, AB_B_FLAGS Node.js flags added to `npm start`'s for each server (e.g. '--single-threaded-gc')
 *   AB_REQUESTS            requests per run (default 40000); AB_RUNS pairs (default 8)
 *   AB_THREADS=1           also print each thread's CPU per request
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fire, median } from './lib/load.js';
import { baseEnv, cpuSecondsOf, ROOT_DIR, startFlags, stopChild } from './lib/processes.js';
import { login, register } from './lib/vigil-api.js';

const REQUESTS = Number(process.env.AB_REQUESTS ?? 40_000);
const RUNS = Number(process.env.AB_RUNS ?? 8);
/** Rate limits out of reach, as in `npm run bench`. */
const OUT_OF_REACH = {
  RATE_LIMIT_GLOBAL: '100000000',
  RATE_LIMIT_IP: '10000000',
  RATE_LIMIT_USER: '10000000',
  RATE_LIMIT_ROUTES: 'login=10000000/1m,register=10000000/1h,refresh=10000000/1m',
  DETECT_RAPID_REFRESH: '10000000/1m:notify',
};

interface Side {
  name: 'A' | 'B';
  child: ChildProcess;
  url: string;
  token: string;
}

/** CPU time of each thread of a process, in µs, from /proc/<pid>/task/<tid>/schedstat. */
function threadCpu(pid: number): Map<string, number> {
  return new Map(
    readdirSync(`/proc/${pid}/task`).map((tid) => {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = tid === String(pid) ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      return [`${name}:${tid}`, Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1000];
    }),
  );
}

async function start(name: 'A' | 'B', dist: string, env: Record<string, string>, flags: string[]): Promise<Side> {
  const dir = mkdtempSync(join(tmpdir(), `vigil-ab-${name}-`));
  const child = spawn('taskset', ['-c', '0', process.execPath, ...startFlags(), ...flags, join(resolve(ROOT_DIR, dist), 'main.js')], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: baseEnv({ DATABASE_URL: `sqlite:${join(dir, 'vigil.db')}`, SIGNING_KEY_FILE: join(dir, 'vigil.key'), API_HOST: '127.0.0.1', API_PORT: '0', LOG_LEVEL: 'warn', LOG_LEVELS: 'vigil=info', ...OUT_OF_REACH, ...env }),
  });
  const url = await new Promise<string>((done, fail) => {
    let seen = '';
    const timer = setTimeout(() => fail(new Error(`${name}: no "Vigil listening on" line within 60 s`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const line = seen.split('\n').find((l) => l.includes('Vigil listening on'));
      if (!line) return;
      clearTimeout(timer);
      child.stdout!.removeAllListeners('data');
      child.stdout!.resume(); // the rest of its log is not needed
      done((JSON.parse(line) as { address: string }).address);
    });
  });
  const email = `ab-${name.toLowerCase()}@example.com`;
  await register(url, email);
  return { name, child, url, token: (await login(url, email)).access_token };
}

const json = (v: string | undefined) => (v ? (JSON.parse(v) as Record<string, string>) : {});
const words = (v: string | undefined) => (v ?? '').split(/\s+/).filter(Boolean);
const sides = [
  await start('A', process.env.AB_A_DIST ?? 'dist', json(process.env.AB_A_ENV), words(process.env.AB_A_FLAGS)),
  await start('B', process.env.AB_B_DIST ?? 'dist', json(process.env.AB_B_ENV), words(process.env.AB_B_FLAGS)),
];
const load = (side: Side, amount: number) => fire({ url: `${side.url}/api/v1/auth/me`, connections: 10, amount, headers: { authorization: `Bearer ${side.token}` } });
const perRequest: Record<'A' | 'B', number[]> = { A: [], B: [] };
try {
  for (const side of sides) await load(side, REQUESTS / 2); // warm-up
  for (let run = 0; run < RUNS; run++) {
    for (const side of run % 2 ? [...sides].reverse() : sides) {
      const pid = side.child.pid!; // taskset execs node in place
      const cpu0 = cpuSecondsOf(pid);
      const threads0 = threadCpu(pid);
      const result = await load(side, REQUESTS);
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`${side.name}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
      const us = ((cpuSecondsOf(pid) - cpu0) * 1e6) / result['2xx'];
      perRequest[side.name].push(us);
      console.log(`${side.name} run ${run + 1}: ${us.toFixed(1)} µs/req, ${(result['2xx'] / result.duration).toFixed(0)} req/s`);
      if (process.env.AB_THREADS) {
        const threads = [...threadCpu(pid)].map(([t, v]) => [t, (v - (threads0.get(t) ?? 0)) / result['2xx']] as const).filter(([, v]) => v >= 0.5);
        console.log(`  threads (µs/req): ${threads.map(([t, v]) => `${t} ${v.toFixed(1)}`).join(', ')}`);
      }
    }
  }
} finally {
  await Promise.all(sides.map((side) => stopChild(side.child)));
}
const ratios = perRequest.A.map((a, i) => perRequest.B[i]! / a);
console.log(`pair ratios B/A: ${ratios.map((r) => r.toFixed(3)).join(' ')}`);
console.log(`median pair ratio ${median(ratios).toFixed(3)}; median µs/req A ${median(perRequest.A).toFixed(1)}, B ${median(perRequest.B).toFixed(1)}`);
