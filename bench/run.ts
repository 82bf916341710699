/**
 * `npm run bench`: Vigil's load benchmarks, in one run, as ratios against baselines measured in
 * the same run (absolute numbers drift on a shared 2-core machine; ratios much less).
 *
 * Servers run in child processes; autocannon runs here. Prints a table and writes
 * bench/results/latest.json. See BENCHMARKS.md for the method and the latest figures.
 *
 * Settings (environment):
 *   BENCH_DURATION           seconds per measured run (default 10)
 *   BENCH_WARMUP             seconds of warm-up before each run, discarded (default 2)
 *   BENCH_CONNECTIONS        connections for hello, me and refresh (default 10)
 *   BENCH_LOGIN_CONNECTIONS  connections for login, and concurrent verifies for the argon2 baseline (default 8)
 *   BENCH_HEALTH_RATE        /health requests per second on one connection (default 50)
 *   BENCH_RSS_REQUESTS       `me` requests before reading the server's RSS (default 100000)
 *   BENCH_CPU_PROF           a directory: run the Vigil servers with --cpu-prof into it
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import type autocannon from 'autocannon';
import { loadConfig } from '../src/config/index.js';
import { measure, percentile, type LoadFigures, type LoadOptions } from './lib/load.js';
import { BENCH_DIR, memoryOf, runArgon2Raw, startBare, startVigil, stopAll, stopChild, type VigilServer } from './lib/processes.js';
import { table, writeJson, type Row } from './lib/report.js';
import { BENCH_PASSWORD, expectMe, login, register, sessions } from './lib/vigil-api.js';

const envNumber = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got ${JSON.stringify(raw)}`);
  return n;
};

const S = {
  durationS: envNumber('BENCH_DURATION', 10),
  warmupS: envNumber('BENCH_WARMUP', 2),
  connections: envNumber('BENCH_CONNECTIONS', 10),
  loginConnections: envNumber('BENCH_LOGIN_CONNECTIONS', 8),
  healthRate: envNumber('BENCH_HEALTH_RATE', 50),
  rssRequests: envNumber('BENCH_RSS_REQUESTS', 100_000),
  cpuProfDir: process.env.BENCH_CPU_PROF ? resolve(process.env.BENCH_CPU_PROF) : undefined,
};

const TARGETS = { meVsBare: 0.5, loginVsArgon2: 0.85, healthP99Ms: 20, rssMiB: 150 };

// Vigil's own defaults (production argon2id parameters: m=19456 KiB, t=2, p=1), read from its config schema.
const ARGON2 = loadConfig({}).passwords.argon2;

const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const fmt = (f: LoadFigures) =>
  `${f.rps.toFixed(1)} req/s, p50 ${f.p50Ms} ms, p99 ${f.p99Ms} ms, 2xx ${f.ok}, non-2xx ${f.non2xx}, errors ${f.errors}` +
  (f.serverCpuCores !== undefined ? `, server CPU ${f.serverCpuCores.toFixed(2)} cores` : '');

/** A run where anything but 2xx happened is a broken setup, not a result. */
function expectClean(name: string, f: LoadFigures): void {
  if (f.non2xx > 0 || f.errors > 0 || f.timeouts > 0) {
    throw new Error(`${name}: ${f.non2xx} non-2xx (${JSON.stringify(f.statusCodes)}), ${f.errors} errors, ${f.timeouts} timeouts`);
  }
}

const workDir = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
let vigilCount = 0;

/** A fresh Vigil (`node dist/main.js`) on its own SQLite file in the temp directory. */
function vigil(logLevel: 'warn' | 'info'): Promise<VigilServer> {
  const n = ++vigilCount;
  const dir = join(workDir, `vigil-${n}`);
  rmSync(dir, { recursive: true, force: true });
  const nodeArgs = S.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${S.cpuProfDir}`, `--cpu-prof-name=vigil-${n}-${logLevel}.cpuprofile`] : [];
  mkdirSync(dir, { recursive: true });
  return startVigil({
    dir,
    logFile: join(dir, 'vigil.log'),
    nodeArgs,
    env: {
      ENVIRONMENT: 'development',
      API_HOST: '127.0.0.1',
      API_PORT: '0',
      DATABASE_URL: `sqlite:${join(dir, 'vigil.db')}`,
      SIGNING_KEY_FILE: join(dir, 'vigil.key'),
      LOG_LEVEL: logLevel,
      // The start-up line carries the port; it is the only line at info when LOG_LEVEL=warn.
      LOG_LEVELS: 'vigil=info',
      // Password hashing: Vigil's defaults (not set here on purpose).
    },
  }).then((s) => {
    log(`vigil #${n} (LOG_LEVEL=${logLevel}) pid ${s.pid} at ${s.url}`);
    return s;
  });
}

const meOptions = (base: string, accessToken: string): LoadOptions => ({
  url: `${base}/api/v1/auth/me`,
  connections: S.connections,
  duration: S.durationS,
  headers: { authorization: `Bearer ${accessToken}` },
});

const loginOptions = (base: string, email: string): LoadOptions => ({
  url: `${base}/api/v1/auth/login`,
  connections: S.loginConnections,
  duration: S.durationS,
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ email, password: BENCH_PASSWORD }),
});

const healthOptions = (base: string): LoadOptions => ({
  url: `${base}/health`,
  connections: 1,
  overallRate: S.healthRate,
  duration: S.durationS,
  // autocannon's correction assumes a 1 ms interval at low rates; plain latencies are what we want.
  ignoreCoordinatedOmission: true,
});

/**
 * Refresh with rotation: every request needs a token nobody has used. A pool of live tokens
 * (one session each) is shared by the connections: a request takes one, its response puts the
 * rotated one back. Tokens in flight when a run stops are lost, so the pool starts with spares.
 */
function refreshOptions(base: string, pool: string[], counters: { starved: number }): LoadOptions {
  const request: autocannon.Request = {
    method: 'POST',
    path: '/api/v1/auth/refresh',
    headers: { 'content-type': 'application/json' },
    setupRequest(req) {
      const token = pool.shift();
      if (token === undefined) counters.starved++;
      return { ...req, body: JSON.stringify({ refresh_token: token ?? 'pool-empty' }) };
    },
    onResponse(status, body) {
      if (status === 200) pool.push((JSON.parse(body) as { refresh_token: string }).refresh_token);
    },
  };
  return { url: base, connections: S.connections, duration: S.durationS, requests: [request] };
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadStart = loadavg();
  log(`settings ${JSON.stringify(S)}; argon2id ${JSON.stringify(ARGON2)}; loadavg ${loadStart.map((l) => l.toFixed(2)).join(' ')}`);
  if (loadStart[0]! > 0.5) log(`warning: 1-minute load average is ${loadStart[0]!.toFixed(2)} before the run; other work may disturb the figures`);
  const warm = { warmupS: S.warmupS };

  // --- Throughput of an authenticated read against a bare Fastify hello ----------------------
  const bare = await startBare();
  log(`bare server pid ${bare.pid} at ${bare.url}`);
  const quiet = await vigil('warn');
  const loud = await vigil('info');

  const email = 'bench@example.com';
  await register(quiet.url, email);
  await register(loud.url, email);
  const quietTokens = await login(quiet.url, email);
  const loudTokens = await login(loud.url, email);
  await expectMe(quiet.url, quietTokens.access_token);
  await expectMe(loud.url, loudTokens.access_token);

  const helloOptions: LoadOptions = { url: `${bare.url}/hello`, connections: S.connections, duration: S.durationS };
  log('bare hello (1/2)');
  const hello1 = await measure(helloOptions, { ...warm, serverPid: bare.pid });
  expectClean('bare hello', hello1);
  log(`  ${fmt(hello1)}`);

  log('me, LOG_LEVEL=warn');
  const meWarn = await measure(meOptions(quiet.url, quietTokens.access_token), { ...warm, serverPid: quiet.pid });
  expectClean('me (warn)', meWarn);
  log(`  ${fmt(meWarn)}`);

  log('me, LOG_LEVEL=info (access log to a file)');
  const logBytesBefore = statSync(loud.logFile).size;
  const meInfo = await measure(meOptions(loud.url, loudTokens.access_token), { ...warm, serverPid: loud.pid });
  expectClean('me (info)', meInfo);
  log(`  ${fmt(meInfo)}`);
  const logBytesPerRequest = (statSync(loud.logFile).size - logBytesBefore) / (meInfo.ok * (1 + (S.warmupS > 0 ? S.warmupS / S.durationS : 0)));

  log('bare hello (2/2)');
  const hello2 = await measure(helloOptions, { ...warm, serverPid: bare.pid });
  expectClean('bare hello', hello2);
  log(`  ${fmt(hello2)}`);
  await stopChild(bare.child);
  await stopChild(loud.child);

  const helloRps = (hello1.rps + hello2.rps) / 2;
  const helloDrift = Math.abs(hello1.rps - hello2.rps) / helloRps;

  // --- Login against raw argon2id verify ------------------------------------------------------
  log(`argon2id verify, ${S.loginConnections} in flight, own process`);
  const raw = await runArgon2Raw({ ...ARGON2, concurrency: S.loginConnections, durationS: S.durationS, warmupS: S.warmupS });
  const rawRps = raw.count / raw.elapsedS;
  const rawP50 = percentile(raw.latenciesMs, 50);
  const rawP99 = percentile(raw.latenciesMs, 99);
  log(`  ${rawRps.toFixed(1)} verifies/s, p50 ${rawP50.toFixed(1)} ms, p99 ${rawP99.toFixed(1)} ms, CPU ${(raw.cpuS / raw.elapsedS).toFixed(2)} cores`);

  log('login');
  const loginRun = await measure(loginOptions(quiet.url, email), { ...warm, serverPid: quiet.pid });
  expectClean('login', loginRun);
  log(`  ${fmt(loginRun)}`);

  // --- /health while logins saturate the CPU --------------------------------------------------
  log(`/health alone, ${S.healthRate}/s on one connection`);
  const healthIdle = await measure(healthOptions(quiet.url), { ...warm, serverPid: quiet.pid });
  expectClean('health (idle)', healthIdle);
  log(`  ${fmt(healthIdle)}`);

  log('/health during login load');
  const [loginUnderProbe, healthBusy] = await Promise.all([
    measure(loginOptions(quiet.url, email), { ...warm, serverPid: quiet.pid }),
    measure(healthOptions(quiet.url), warm),
  ]);
  expectClean('login (with /health)', loginUnderProbe);
  expectClean('health (during login)', healthBusy);
  log(`  login: ${fmt(loginUnderProbe)}`);
  log(`  health: ${fmt(healthBusy)}`);

  // --- Refresh with rotation -----------------------------------------------------------------
  const poolSize = S.connections * 3;
  log(`refresh (pool of ${poolSize} sessions)`);
  const pool = (await sessions(quiet.url, email, poolSize)).map((t) => t.refresh_token);
  const counters = { starved: 0 };
  const refreshRun = await measure(refreshOptions(quiet.url, pool, counters), { ...warm, serverPid: quiet.pid });
  expectClean('refresh', refreshRun);
  if (counters.starved > 0) throw new Error(`refresh: the token pool ran dry ${counters.starved} times`);
  log(`  ${fmt(refreshRun)}`);
  await stopChild(quiet.child);

  // --- Memory after 100k authenticated reads, on a fresh server -------------------------------
  log(`RSS after ${S.rssRequests} me requests (fresh server)`);
  const fresh = await vigil('warn');
  await register(fresh.url, email);
  const freshTokens = await login(fresh.url, email);
  await expectMe(fresh.url, freshTokens.access_token);
  const rssStart = memoryOf(fresh.pid);
  const { duration: _d, ...meFixed } = meOptions(fresh.url, freshTokens.access_token);
  const rssRun = await measure({ ...meFixed, amount: S.rssRequests }, { warmupS: 0, serverPid: fresh.pid });
  expectClean('me (RSS)', rssRun);
  const rssAfter = memoryOf(fresh.pid);
  log(`  ${fmt(rssRun)}; RSS ${rssStart.rssMiB.toFixed(1)} → ${rssAfter.rssMiB.toFixed(1)} MiB (peak ${rssAfter.peakRssMiB.toFixed(1)})`);
  await stopChild(fresh.child);

  // --- Report --------------------------------------------------------------------------------
  const meRatio = meWarn.rps / helloRps;
  const meInfoRatio = meInfo.rps / helloRps;
  const loginRatio = loginRun.rps / rawRps;
  const rows: Row[] = [
    { name: 'bare Fastify hello (mean of 2)', kind: 'baseline', rps: helloRps, p50Ms: hello1.p50Ms, p99Ms: Math.max(hello1.p99Ms, hello2.p99Ms), measured: `runs ${hello1.rps.toFixed(0)} / ${hello2.rps.toFixed(0)} (drift ${(helloDrift * 100).toFixed(1)}%)`, target: '', },
    { name: 'GET /auth/me (LOG_LEVEL=warn)', kind: 'target', rps: meWarn.rps, p50Ms: meWarn.p50Ms, p99Ms: meWarn.p99Ms, measured: `${meRatio.toFixed(2)} × hello`, ratio: meRatio, target: `≥ ${TARGETS.meVsBare} × hello`, pass: meRatio >= TARGETS.meVsBare },
    { name: 'GET /auth/me (LOG_LEVEL=info → file)', kind: 'target', rps: meInfo.rps, p50Ms: meInfo.p50Ms, p99Ms: meInfo.p99Ms, measured: `${meInfoRatio.toFixed(2)} × hello`, ratio: meInfoRatio, target: `≥ ${TARGETS.meVsBare} × hello`, pass: meInfoRatio >= TARGETS.meVsBare },
    { name: 'argon2id verify, raw', kind: 'baseline', rps: rawRps, p50Ms: rawP50, p99Ms: rawP99, measured: `${S.loginConnections} in flight`, target: '' },
    { name: 'POST /auth/login', kind: 'target', rps: loginRun.rps, p50Ms: loginRun.p50Ms, p99Ms: loginRun.p99Ms, measured: `${loginRatio.toFixed(2)} × verify`, ratio: loginRatio, target: `≥ ${TARGETS.loginVsArgon2} × verify`, pass: loginRatio >= TARGETS.loginVsArgon2 },
    { name: 'POST /auth/refresh (rotation)', kind: 'info', rps: refreshRun.rps, p50Ms: refreshRun.p50Ms, p99Ms: refreshRun.p99Ms, measured: `${(refreshRun.rps / helloRps).toFixed(2)} × hello`, ratio: refreshRun.rps / helloRps, target: 'report' },
    { name: 'GET /health, idle', kind: 'baseline', rps: healthIdle.rps, p50Ms: healthIdle.p50Ms, p99Ms: healthIdle.p99Ms, measured: `${S.healthRate}/s, 1 conn`, target: '' },
    { name: 'GET /health during login load', kind: 'target', rps: healthBusy.rps, p50Ms: healthBusy.p50Ms, p99Ms: healthBusy.p99Ms, measured: `p99 ${healthBusy.p99Ms} ms (login ${loginUnderProbe.rps.toFixed(1)}/s)`, ratio: healthBusy.p99Ms / Math.max(1, healthIdle.p99Ms), target: `p99 < ${TARGETS.healthP99Ms} ms`, pass: healthBusy.p99Ms < TARGETS.healthP99Ms },
    { name: `RSS after ${S.rssRequests / 1000}k me`, kind: 'target', rps: rssRun.rps, p50Ms: rssRun.p50Ms, p99Ms: rssRun.p99Ms, measured: `${rssAfter.rssMiB.toFixed(1)} MiB (start ${rssStart.rssMiB.toFixed(1)})`, ratio: rssAfter.rssMiB / TARGETS.rssMiB, target: `< ${TARGETS.rssMiB} MiB`, pass: rssAfter.rssMiB < TARGETS.rssMiB },
  ];

  const loadEnd = loadavg();
  const out = table(rows);
  process.stdout.write(`\n${out}\n\n`);
  const failed = rows.filter((r) => r.pass === false);
  process.stdout.write(failed.length === 0 ? 'All targets met.\n' : `Targets missed: ${failed.map((r) => r.name).join('; ')}\n`);

  const resultsFile = join(BENCH_DIR, 'results', 'latest.json');
  writeJson(resultsFile, {
    date: startedAt.toISOString(),
    finished: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, totalMemGiB: totalmem() / 2 ** 30, loadavgStart: loadStart, loadavgEnd: loadEnd },
    node: process.version,
    settings: { ...S, uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? 'default (4)', argon2: ARGON2 },
    targets: TARGETS,
    rows,
    runs: {
      hello: [hello1, hello2],
      meWarn,
      meInfo: { ...meInfo, logBytesPerRequest },
      argon2Raw: { count: raw.count, elapsedS: raw.elapsedS, rps: rawRps, p50Ms: rawP50, p99Ms: rawP99, cpuCores: raw.cpuS / raw.elapsedS },
      login: loginRun,
      healthIdle,
      healthDuringLogin: { health: healthBusy, login: loginUnderProbe },
      refresh: { ...refreshRun, poolSize },
      rss: { ...rssRun, start: rssStart, after: rssAfter },
    },
  });
  log(`results written to ${resultsFile}`);
  if (failed.length > 0) process.exitCode = 1;
}

const interrupted = (signal: NodeJS.Signals) => {
  log(`${signal}: stopping servers`);
  void stopAll().finally(() => process.exit(130));
};
process.once('SIGINT', interrupted);
process.once('SIGTERM', interrupted);

try {
  await main();
} catch (e) {
  log(`failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exitCode = 2;
} finally {
  await stopAll();
  rmSync(workDir, { recursive: true, force: true });
}
