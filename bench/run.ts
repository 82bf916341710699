/**
 * `npm run bench`: Vigil's load benchmarks, in one run, as ratios against baselines measured in
 * the same run (absolute numbers drift on a shared 2-core machine; ratios much less).
 *
 * Servers run in child processes; autocannon runs here. Prints a table and writes
 * bench/results/latest.json. See BENCHMARKS.md for the method and the latest figures.
 *
 * Settings (environment):
 *   BENCH_DURATION           seconds per measured run (default 10)
 *   BENCH_ROUNDS             runs of each compared load, interleaved; figures are their medians (default 3)
 *   BENCH_WARMUP             seconds of warm-up before each run, discarded (default 2)
 *   BENCH_CONNECTIONS        connections for hello, me and refresh (default 10)
 *   BENCH_HELLO_WORK_US      busy work added to the hello route for the calibration row (default 25)
 *   BENCH_LOGIN_CONNECTIONS  connections for login, and concurrent verifies for the argon2 baseline (default 8)
 *   BENCH_HEALTH_RATE        /health requests per second on one connection (default 50)
 *   BENCH_RSS_REQUESTS       `me` requests before reading the server's RSS (default 100000)
 *   BENCH_METRICS_SCRAPES    sequential /metrics scrapes timed after the observability runs (default 20)
 *   BENCH_REDIS_URL          Redis for the shared-store run (default redis://127.0.0.1:6379/14; the
 *                            database is flushed before the run)
 *   BENCH_CPU_PROF           a directory: run the Vigil servers with --cpu-prof into it
 *                            (summarise one with `npx tsx bench/profile-summary.ts FILE`)
 *
 * Runs, in this order; loads compared with each other run in turn, once per round, BENCH_ROUNDS
 * times (a slow spell of the machine then hits every side of a comparison), and each figure is
 * the median of the rounds:
 *   bare Fastify hello (bench/bare-server.ts), the same route after BENCH_HELLO_WORK_US of busy
 *     work (a calibration: what adding only CPU work to hello scores), GET /api/v1/auth/me on
 *     Vigil with EdDSA tokens at LOG_LEVEL=warn (the target), at info with the access log going
 *     to a file, with HS256 tokens, and GET /health at full speed (Vigil's per-request hooks
 *     without auth or database)
 *   GET /api/v1/auth/me with rate limiting off, with it on (in-memory store, the same server as the
 *     first target) and with it on over Redis (BENCH_REDIS_URL)
 *   GET /api/v1/auth/me with metrics and file logging off and on (info to LOG_FILE); then /health
 *     at a low rate during that load; then timed scrapes of /metrics of the warmed process
 *   raw argon2id verify (bench/argon2-verify.ts, own process) and POST /api/v1/auth/login
 *   GET /health (then GET /auth/me) at a low rate on one connection, alone and during a login load
 *   POST /api/v1/auth/refresh with rotation (a pool of live refresh tokens), once
 *   fresh Vigils, one per round: RSS after BENCH_RSS_REQUESTS `me` requests
 *   security events into SQLite (bench/security-events.ts, own process, writes its own JSON)
 * Vigil is `node dist/main.js` itself, configured by environment (temp SQLite file, argon2id
 * defaults m=19456 t=2 p=1, rate limits on but out of reach). Exit status: 0 all targets met,
 * 1 a target missed, 2 the run itself failed.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import type autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config/index.js';
import { measure, median, medianOf, percentile, type LoadFigures, type LoadOptions, type RoundsFigures } from './lib/load.js';
import { BENCH_DIR, ROOT_DIR, memoryOf, runArgon2Raw, runSecurityEvents, startBare, startVigil, stopAll, stopChild, type VigilServer } from './lib/processes.js';
import { table, writeJson, type Row } from './lib/report.js';
import { BENCH_PASSWORD, expectMe, login, register, sessions, type Tokens } from './lib/vigil-api.js';

const envNumber = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got ${JSON.stringify(raw)}`);
  return n;
};

const S = {
  durationS: envNumber('BENCH_DURATION', 10),
  rounds: Math.max(1, Math.round(envNumber('BENCH_ROUNDS', 3))),
  warmupS: envNumber('BENCH_WARMUP', 2),
  connections: envNumber('BENCH_CONNECTIONS', 10),
  helloWorkUs: envNumber('BENCH_HELLO_WORK_US', 25),
  loginConnections: envNumber('BENCH_LOGIN_CONNECTIONS', 8),
  healthRate: envNumber('BENCH_HEALTH_RATE', 50),
  rssRequests: envNumber('BENCH_RSS_REQUESTS', 100_000),
  metricsScrapes: envNumber('BENCH_METRICS_SCRAPES', 20),
  redisUrl: process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379/14',
  cpuProfDir: process.env.BENCH_CPU_PROF ? resolve(process.env.BENCH_CPU_PROF) : undefined,
};

const TARGETS = { meVsBare: 0.5, loginVsArgon2: 0.85, healthP99Ms: 20, rssMiB: 150, protectedVsOff: 0.9, redisVsOff: 0.6, eventsPerS: 10_000, observedVsOff: 0.85, healthUnderMeP99Ms: 5, metricsScrapeMs: 50 };

// Vigil's own defaults (production argon2id parameters: m=19456 KiB, t=2, p=1), read from its config schema.
const ARGON2 = loadConfig({}).passwords.argon2;

const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const fmt = (f: LoadFigures) =>
  `${f.rps.toFixed(1)} req/s, p50 ${f.p50Ms} ms, p99 ${f.p99Ms} ms, 2xx ${f.ok}, non-2xx ${f.non2xx}, errors ${f.errors}` +
  (f.serverCpuCores !== undefined ? `, server CPU ${f.serverCpuCores.toFixed(2)} cores (${f.serverCpuUsPerRequest?.toFixed(0)} µs/req)` : '') +
  `, other CPU ${f.otherCpuCores.toFixed(2)} cores`;

/** A run where anything but 2xx happened is a broken setup, not a result. */
function expectClean(name: string, f: LoadFigures): void {
  if (f.non2xx > 0 || f.errors > 0 || f.timeouts > 0) {
    throw new Error(`${name}: ${f.non2xx} non-2xx (${JSON.stringify(f.statusCodes)}), ${f.errors} errors, ${f.timeouts} timeouts`);
  }
}

/**
 * Protection stays on (its cost is part of every request) but with limits no single-IP load
 * generator can reach: the runs measure throughput, not the limiter saying no. The rapid-refresh
 * detector would otherwise flag the refresh run's sessions, which rotate hundreds of times a minute.
 */
const BENCH_PROTECTION_ENV: Record<string, string> = {
  RATE_LIMIT_GLOBAL: '100000000',
  RATE_LIMIT_IP: '10000000',
  RATE_LIMIT_USER: '10000000',
  RATE_LIMIT_ROUTES: 'login=10000000/1m,register=10000000/1h,refresh=10000000/1m',
  DETECT_RAPID_REFRESH: '10000000/1m:notify',
};

const workDir = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
let vigilCount = 0;

/** A fresh Vigil (`node dist/main.js`) on its own SQLite file in the temp directory. */
function vigil(label: string, logLevel: 'warn' | 'info', extraEnv: Record<string, string> = {}): Promise<VigilServer> {
  const n = ++vigilCount;
  const dir = join(workDir, `vigil-${n}-${label}`);
  rmSync(dir, { recursive: true, force: true });
  const nodeArgs = S.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${S.cpuProfDir}`, `--cpu-prof-name=vigil-${n}-${label}.cpuprofile`] : [];
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
      ...BENCH_PROTECTION_ENV,
      ...extraEnv,
    },
  }).then((s) => {
    log(`vigil #${n} ${label} (LOG_LEVEL=${logLevel}) pid ${s.pid} at ${s.url}`);
    return s;
  });
}

const meOptions = (base: string, accessToken: string): LoadOptions => ({
  url: `${base}/api/v1/auth/me`,
  connections: S.connections,
  duration: S.durationS,
  headers: { authorization: `Bearer ${accessToken}` },
});

/**
 * Logins spread over many accounts, round robin, as real traffic is: Vigil's lockout lets only
 * ACCOUNT_LOCKOUT_THRESHOLD (5) password checks of one account run at once, and a burst of
 * parallel logins to a single account measures that queue rather than login throughput.
 */
function loginOptions(base: string, emails: string[]): LoadOptions {
  let next = 0;
  const bodies = emails.map((email) => JSON.stringify({ email, password: BENCH_PASSWORD }));
  const request: autocannon.Request = {
    method: 'POST',
    path: '/api/v1/auth/login',
    headers: { 'content-type': 'application/json' },
    setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length]! }),
  };
  return { url: base, connections: S.loginConnections, duration: S.durationS, requests: [request] };
}

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

/** Sequential GET /metrics, each timed from request to the last byte of the body. */
async function scrapeTimes(url: string, count: number): Promise<{ ms: number[]; bytes: number }> {
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const begin = performance.now();
    const res = await fetch(url);
    const body = await res.text();
    ms.push(performance.now() - begin);
    if (res.status !== 200 || !body.includes('vigil_http_requests_total')) throw new Error(`/metrics answered ${res.status}: ${body.slice(0, 200)}`);
    bytes = body.length;
  }
  return { ms, bytes };
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadStart = loadavg();
  log(`settings ${JSON.stringify(S)}; argon2id ${JSON.stringify(ARGON2)}; loadavg ${loadStart.map((l) => l.toFixed(2)).join(' ')}`);
  if (loadStart[0]! > 0.5) log(`warning: 1-minute load average is ${loadStart[0]!.toFixed(2)} before the run; other work may disturb the figures`);
  const warm = { warmupS: S.warmupS };
  const step = async (name: string, options: LoadOptions, serverPid: number | undefined, clean = true): Promise<LoadFigures> => {
    log(name);
    const f = await measure(options, { ...warm, serverPid });
    log(`  ${fmt(f)}`);
    if (clean) expectClean(name, f);
    return f;
  };
  /**
   * Each load once per round, in turn, BENCH_ROUNDS times: a slow spell of this shared machine
   * then falls on every side of a comparison rather than on one. Figures are the rounds' medians.
   */
  const interleaved = async <K extends string>(loads: Record<K, [name: string, options: LoadOptions, serverPid: number | undefined]>): Promise<Record<K, RoundsFigures>> => {
    const runs = Object.fromEntries(Object.keys(loads).map((k) => [k, [] as LoadFigures[]])) as Record<K, LoadFigures[]>;
    for (let round = 1; round <= S.rounds; round++) {
      for (const [key, [name, options, pid]] of Object.entries(loads) as [K, [string, LoadOptions, number | undefined]][]) {
        runs[key].push(await step(`${name} (round ${round}/${S.rounds})`, options, pid));
      }
    }
    return Object.fromEntries(Object.entries(runs).map(([k, r]) => [k, medianOf(r as LoadFigures[])])) as Record<K, RoundsFigures>;
  };
  /** Two loads at once (a probe during a saturating load), BENCH_ROUNDS times. */
  const together = async (name: string, load: [LoadOptions, number], probe: [LoadOptions, number]): Promise<{ load: RoundsFigures; probe: RoundsFigures }> => {
    const loads: LoadFigures[] = [];
    const probes: LoadFigures[] = [];
    for (let round = 1; round <= S.rounds; round++) {
      log(`${name} (round ${round}/${S.rounds})`);
      const [l, p] = await Promise.all([measure(load[0], { ...warm, serverPid: load[1] }), measure(probe[0], { ...warm, serverPid: probe[1] })]);
      log(`  load: ${fmt(l)}`);
      log(`  probe: ${fmt(p)}`);
      expectClean(`${name}: load`, l);
      expectClean(`${name}: probe`, p);
      loads.push(l);
      probes.push(p);
    }
    return { load: medianOf(loads), probe: medianOf(probes) };
  };

  // --- Throughput of an authenticated read against a bare Fastify hello ----------------------
  const bare = await startBare();
  log(`bare server pid ${bare.pid} at ${bare.url}`);
  const quiet = await vigil('eddsa-warn', 'warn');
  const loud = await vigil('eddsa-info', 'info');
  const hmac = await vigil('hs256-warn', 'warn', { JWT_ALGORITHM: 'HS256', JWT_SECRET: 'bench-only-hmac-secret-0123456789abcdef' });
  const unlimited = await vigil('no-rate-limits-warn', 'warn', { RATE_LIMIT_ENABLED: 'false' });
  const redis = new Redis(S.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  await redis.flushdb();
  const shared = await vigil('redis-warn', 'warn', { REDIS_URL: S.redisUrl });

  const email = 'bench@example.com';
  const tokens = new Map<VigilServer, Tokens>();
  for (const server of [quiet, loud, hmac, unlimited, shared]) {
    await register(server.url, email);
    const t = await login(server.url, email);
    await expectMe(server.url, t.access_token);
    tokens.set(server, t);
  }
  const access = (server: VigilServer) => tokens.get(server)!.access_token;

  const helloOptions: LoadOptions = { url: `${bare.url}/hello`, connections: S.connections, duration: S.durationS };
  const reads = await interleaved({
    hello: ['bare hello', helloOptions, bare.pid],
    helloWork: [`bare hello + ${S.helloWorkUs} µs of busy work`, { ...helloOptions, url: `${bare.url}/hello/work/${S.helloWorkUs}` }, bare.pid],
    meWarn: ['me, EdDSA, LOG_LEVEL=warn', meOptions(quiet.url, access(quiet)), quiet.pid],
    meInfo: ['me, EdDSA, LOG_LEVEL=info (access log to a file)', meOptions(loud.url, access(loud)), loud.pid],
    meHs256: ['me, HS256, LOG_LEVEL=warn', meOptions(hmac.url, access(hmac)), hmac.pid],
    health: ['/health at full speed (Vigil hooks, no auth, no DB)', { ...healthOptions(quiet.url), overallRate: undefined, connections: S.connections, ignoreCoordinatedOmission: false }, quiet.pid],
  });
  const { hello, helloWork, meWarn, meInfo, meHs256, health: healthStack } = reads;
  const logBytesPerRequest = statSync(loud.logFile).size / (meInfo.ok * (1 + S.warmupS / Math.max(1, S.durationS)));
  // Protection's cost: rate limiting off, on (in memory: the `quiet` server), on over Redis.
  const redisCommands = async () => Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))?.[1]);
  const commandsBefore = await redisCommands();
  const protection = await interleaved({
    off: ['me, EdDSA, LOG_LEVEL=warn, RATE_LIMIT_ENABLED=false', meOptions(unlimited.url, access(unlimited)), unlimited.pid],
    on: ['me, EdDSA, LOG_LEVEL=warn, protections on, in-memory store', meOptions(quiet.url, access(quiet)), quiet.pid],
    redis: [`me, EdDSA, LOG_LEVEL=warn, protections on, REDIS_URL=${S.redisUrl}`, meOptions(shared.url, access(shared)), shared.pid],
  });
  const { off: meOff, on: meOn, redis: meRedis } = protection;
  // Vigil falls back to memory when Redis is unreachable: a run whose requests did not reach Redis measured nothing.
  // (Warm-up requests count too: commands per answered request, warm-ups included.)
  const redisCommandsPerRequest = ((await redisCommands()) - commandsBefore) / (meRedis.ok * (1 + S.warmupS / Math.max(1, S.durationS)));
  log(`  Redis commands per request: ${redisCommandsPerRequest.toFixed(2)}`);
  if (!(redisCommandsPerRequest >= 1)) throw new Error(`the Redis run sent ${redisCommandsPerRequest} commands per request to ${S.redisUrl}: Vigil did not use Redis`);
  await redis.quit();
  await Promise.all([bare, loud, hmac, unlimited, shared].map((server) => stopChild(server.child)));

  const helloRps = hello.rps;
  const spread = (f: RoundsFigures) => `runs ${f.runs.map((r) => r.rps.toFixed(0)).join(' / ')}`;

  // --- Observability's cost: metrics and file logging on against both off ----------------------
  // "On" is how an operator runs it: metrics collected, the access line of every request at info
  // (the default level), to stdout and to a rotated LOG_FILE. "Off", the issue's "both off": no
  // metrics, no LOG_FILE, the same level (the access line still goes to stdout). Also measured, as
  // information: no log line at all (LOG_LEVEL=warn), the comparison runs before 2026-12-07 used.
  mkdirSync(join(workDir, 'obs-on-file'), { recursive: true });
  const obsOff = await vigil('obs-off-info', 'info', { PROMETHEUS_METRICS: 'false' });
  const obsSilent = await vigil('obs-off-warn', 'warn', { PROMETHEUS_METRICS: 'false' });
  const obsOn = await vigil('obs-on-info', 'info', { PROMETHEUS_METRICS: 'true', LOG_FILE: join(workDir, 'obs-on-file', 'vigil.log') });
  for (const server of [obsOff, obsSilent, obsOn]) {
    await register(server.url, email);
    tokens.set(server, await login(server.url, email));
  }
  const observability = await interleaved({
    off: ['me, metrics off, no LOG_FILE, LOG_LEVEL=info (stdout)', meOptions(obsOff.url, access(obsOff)), obsOff.pid],
    silent: ['me, metrics off, no LOG_FILE, LOG_LEVEL=warn', meOptions(obsSilent.url, access(obsSilent)), obsSilent.pid],
    on: ['me, metrics on, LOG_LEVEL=info, LOG_FILE', meOptions(obsOn.url, access(obsOn)), obsOn.pid],
  });
  const { off: obsOffRun, silent: obsSilentRun, on: obsOnRun } = observability;
  const underMe = await together('/health during the me load (metrics and file logging on)', [meOptions(obsOn.url, access(obsOn)), obsOn.pid], [healthOptions(obsOn.url), obsOn.pid]);
  const { load: meUnderProbe, probe: healthUnderMe } = underMe;
  const scrapes = await scrapeTimes(`${obsOn.url}/metrics`, S.metricsScrapes);
  log(`/metrics scrapes of the warmed process: p50 ${percentile(scrapes.ms, 50).toFixed(1)} ms, max ${Math.max(...scrapes.ms).toFixed(1)} ms, ${(scrapes.bytes / 1024).toFixed(1)} KiB`);
  await Promise.all([obsOff, obsSilent, obsOn].map((server) => stopChild(server.child)));

  // --- Login against raw argon2id verify ------------------------------------------------------
  const loginEmails = Array.from({ length: S.loginConnections * 4 }, (_, i) => `login-${i}@example.com`);
  log(`registering ${loginEmails.length} accounts for the login runs`);
  for (let i = 0; i < loginEmails.length; i += 4) await Promise.all(loginEmails.slice(i, i + 4).map((e) => register(quiet.url, e)));
  // Raw verifies and logins in turn, BENCH_ROUNDS times; the ratio compares their medians.
  const rawRounds: { rps: number; p50Ms: number; p99Ms: number; cpuUsPerVerify: number; otherCpuCores: number; cpuCores: number }[] = [];
  const loginRuns: LoadFigures[] = [];
  for (let round = 1; round <= S.rounds; round++) {
    log(`argon2id verify, ${S.loginConnections} in flight, own process (round ${round}/${S.rounds})`);
    const raw = await runArgon2Raw({ ...ARGON2, concurrency: S.loginConnections, durationS: S.durationS, warmupS: S.warmupS });
    const r = { rps: raw.count / raw.elapsedS, p50Ms: percentile(raw.latenciesMs, 50), p99Ms: percentile(raw.latenciesMs, 99), cpuUsPerVerify: (raw.cpuS * 1e6) / raw.count, otherCpuCores: raw.otherCpuCores, cpuCores: raw.cpuS / raw.elapsedS };
    log(`  ${r.rps.toFixed(1)} verifies/s, p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, CPU ${r.cpuCores.toFixed(2)} cores, other CPU ${r.otherCpuCores.toFixed(2)} cores`);
    rawRounds.push(r);
    loginRuns.push(await step(`login (${loginEmails.length} accounts, round robin) (round ${round}/${S.rounds})`, loginOptions(quiet.url, loginEmails), quiet.pid));
  }
  const rawMedian = (pick: (r: (typeof rawRounds)[number]) => number) => median(rawRounds.map(pick));
  const rawRps = rawMedian((r) => r.rps);
  const loginRun = medianOf(loginRuns);

  // --- /health (and an authenticated read) while logins saturate the CPU ----------------------
  const healthIdle = await step(`/health alone, ${S.healthRate}/s on one connection`, healthOptions(quiet.url), quiet.pid);
  const duringLogin = await together('/health during login load', [loginOptions(quiet.url, loginEmails), quiet.pid], [healthOptions(quiet.url), quiet.pid]);
  const { load: loginUnderProbe, probe: healthBusy } = duringLogin;
  const meProbe: LoadOptions = { ...healthOptions(quiet.url), url: `${quiet.url}/api/v1/auth/me`, headers: { authorization: `Bearer ${access(quiet)}` } };
  const meDuringLogin = await together(`me at ${S.healthRate}/s during login load`, [loginOptions(quiet.url, loginEmails), quiet.pid], [meProbe, quiet.pid]);
  const { load: loginUnderMe, probe: meBusy } = meDuringLogin;

  // --- Refresh with rotation -----------------------------------------------------------------
  const poolSize = S.connections * 3;
  const pool = (await sessions(quiet.url, email, poolSize)).map((t) => t.refresh_token);
  const counters = { starved: 0 };
  const refreshRun = await step(`refresh (pool of ${poolSize} sessions)`, refreshOptions(quiet.url, pool, counters), quiet.pid);
  if (counters.starved > 0) throw new Error(`refresh: the token pool ran dry ${counters.starved} times`);
  await stopChild(quiet.child);

  // --- Memory after 100k authenticated reads, on fresh servers (one per round) ----------------
  const rssRounds: { start: ReturnType<typeof memoryOf>; after: ReturnType<typeof memoryOf>; run: LoadFigures }[] = [];
  for (let round = 1; round <= S.rounds; round++) {
    log(`RSS after ${S.rssRequests} me requests (fresh server, round ${round}/${S.rounds})`);
    const fresh = await vigil('rss-warn', 'warn');
    await register(fresh.url, email);
    const freshTokens = await login(fresh.url, email);
    await expectMe(fresh.url, freshTokens.access_token);
    const start = memoryOf(fresh.pid);
    const { duration: _unused, ...meFixed } = meOptions(fresh.url, freshTokens.access_token);
    const run = await measure({ ...meFixed, amount: S.rssRequests }, { warmupS: 0, serverPid: fresh.pid });
    expectClean('me (RSS)', run);
    const after = memoryOf(fresh.pid);
    log(`  ${fmt(run)}; RSS ${start.rssMiB.toFixed(1)} → ${after.rssMiB.toFixed(1)} MiB (peak ${after.peakRssMiB.toFixed(1)})`);
    await stopChild(fresh.child);
    rssRounds.push({ start, after, run });
  }
  const rssRun = medianOf(rssRounds.map((r) => r.run));
  const rssAfterMiB = median(rssRounds.map((r) => r.after.rssMiB));
  const rssStartMiB = median(rssRounds.map((r) => r.start.rssMiB));

  // --- Security events into SQLite -----------------------------------------------------------
  log('security events into SQLite (bench/security-events.ts)');
  const eventsResult = await runSecurityEvents<{ figures: { events: number; rows: number; dropped: number; events_per_s: number; elapsed_ms: number; event_loop_delay_ms: { p99: number } } }>(join(BENCH_DIR, 'results', 'security-events.json'));
  const ev = eventsResult.figures;

  // --- Report --------------------------------------------------------------------------------
  const vsHello = (f: LoadFigures) => f.rps / helloRps;
  const cols = (f: LoadFigures) => ({ rps: f.rps, p50Ms: f.p50Ms, p99Ms: f.p99Ms, cpuUsPerRequest: f.serverCpuUsPerRequest, otherCpuCores: f.otherCpuCores });
  const meRatio = vsHello(meWarn);
  const meInfoRatio = vsHello(meInfo);
  const loginRatio = loginRun.rps / rawRps;
  const rssRow = `RSS after ${S.rssRequests >= 1000 ? `${S.rssRequests / 1000}k` : S.rssRequests} me`;
  const rows: Row[] = [
    { name: 'bare Fastify hello', kind: 'baseline', ...cols(hello), measured: spread(hello), target: '' },
    {
      name: `bare hello + ${S.helloWorkUs} µs of work per request`, kind: 'info', ...cols(helloWork),
      measured: `${vsHello(helloWork).toFixed(2)} × hello (+${((helloWork.serverCpuUsPerRequest ?? NaN) - (hello.serverCpuUsPerRequest ?? NaN)).toFixed(0)} µs of server CPU per request)`, ratio: vsHello(helloWork), target: '',
    },
    { name: 'GET /health, full speed', kind: 'info', ...cols(healthStack), measured: `${vsHello(healthStack).toFixed(2)} × hello`, ratio: vsHello(healthStack), target: '' },
    { name: 'GET /auth/me (EdDSA, LOG_LEVEL=warn)', kind: 'target', ...cols(meWarn), measured: `${meRatio.toFixed(2)} × hello; ${spread(meWarn)}`, ratio: meRatio, target: `≥ ${TARGETS.meVsBare} × hello`, pass: meRatio >= TARGETS.meVsBare },
    { name: 'GET /auth/me (EdDSA, LOG_LEVEL=info → file)', kind: 'target', ...cols(meInfo), measured: `${meInfoRatio.toFixed(2)} × hello`, ratio: meInfoRatio, target: `≥ ${TARGETS.meVsBare} × hello`, pass: meInfoRatio >= TARGETS.meVsBare },
    { name: 'GET /auth/me (HS256, LOG_LEVEL=warn)', kind: 'info', ...cols(meHs256), measured: `${vsHello(meHs256).toFixed(2)} × hello`, ratio: vsHello(meHs256), target: '' },
    { name: 'GET /auth/me, protections off', kind: 'baseline', ...cols(meOff), measured: `${spread(meOff)}; ${vsHello(meOff).toFixed(2)} × hello`, target: '' },
    { name: 'GET /auth/me, protections on (in-memory)', kind: 'target', ...cols(meOn), measured: `${(meOn.rps / meOff.rps).toFixed(2)} × off`, ratio: meOn.rps / meOff.rps, target: `≥ ${TARGETS.protectedVsOff} × off`, pass: meOn.rps / meOff.rps >= TARGETS.protectedVsOff },
    { name: 'GET /auth/me, protections on (Redis)', kind: 'target', ...cols(meRedis), measured: `${(meRedis.rps / meOff.rps).toFixed(2)} × off`, ratio: meRedis.rps / meOff.rps, target: `≥ ${TARGETS.redisVsOff} × off`, pass: meRedis.rps / meOff.rps >= TARGETS.redisVsOff },
    { name: 'GET /auth/me, metrics and LOG_FILE off (info to stdout)', kind: 'baseline', ...cols(obsOffRun), measured: spread(obsOffRun), target: '' },
    { name: 'GET /auth/me, metrics on, info to LOG_FILE', kind: 'target', ...cols(obsOnRun), measured: `${(obsOnRun.rps / obsOffRun.rps).toFixed(2)} × off`, ratio: obsOnRun.rps / obsOffRun.rps, target: `≥ ${TARGETS.observedVsOff} × off`, pass: obsOnRun.rps / obsOffRun.rps >= TARGETS.observedVsOff },
    { name: 'GET /auth/me, metrics off, no log line (warn)', kind: 'info', ...cols(obsSilentRun), measured: `${spread(obsSilentRun)}; on = ${(obsOnRun.rps / obsSilentRun.rps).toFixed(2)} × this`, ratio: obsOnRun.rps / obsSilentRun.rps, target: '' },
    { name: `GET /health ${S.healthRate}/s during the me load`, kind: 'target', ...cols(healthUnderMe), cpuUsPerRequest: undefined, measured: `p99 ${healthUnderMe.p99Ms} ms (runs ${healthUnderMe.runs.map((r) => r.p99Ms).join(' / ')}; me ${meUnderProbe.rps.toFixed(0)}/s)`, ratio: healthUnderMe.p99Ms / TARGETS.healthUnderMeP99Ms, target: `p99 < ${TARGETS.healthUnderMeP99Ms} ms`, pass: healthUnderMe.p99Ms < TARGETS.healthUnderMeP99Ms },
    { name: `GET /metrics, warmed (${S.metricsScrapes} scrapes)`, kind: 'target', p50Ms: percentile(scrapes.ms, 50), p99Ms: Math.max(...scrapes.ms), measured: `max ${Math.max(...scrapes.ms).toFixed(1)} ms, ${(scrapes.bytes / 1024).toFixed(0)} KiB`, ratio: Math.max(...scrapes.ms) / TARGETS.metricsScrapeMs, target: `< ${TARGETS.metricsScrapeMs} ms`, pass: Math.max(...scrapes.ms) < TARGETS.metricsScrapeMs },
    { name: 'argon2id verify, raw', kind: 'baseline', rps: rawRps, p50Ms: rawMedian((r) => r.p50Ms), p99Ms: rawMedian((r) => r.p99Ms), cpuUsPerRequest: rawMedian((r) => r.cpuUsPerVerify), otherCpuCores: rawMedian((r) => r.otherCpuCores), measured: `${S.loginConnections} in flight; runs ${rawRounds.map((r) => r.rps.toFixed(1)).join(' / ')}`, target: '' },
    { name: 'POST /auth/login', kind: 'target', ...cols(loginRun), measured: `${loginRatio.toFixed(2)} × verify; ${spread(loginRun)}`, ratio: loginRatio, target: `≥ ${TARGETS.loginVsArgon2} × verify`, pass: loginRatio >= TARGETS.loginVsArgon2 },
    { name: 'POST /auth/refresh (rotation)', kind: 'info', ...cols(refreshRun), measured: `${vsHello(refreshRun).toFixed(2)} × hello`, ratio: vsHello(refreshRun), target: 'report' },
    { name: `GET /health ${S.healthRate}/s, idle server`, kind: 'baseline', ...cols(healthIdle), cpuUsPerRequest: undefined, measured: '1 connection', target: '' },
    { name: `GET /health ${S.healthRate}/s during login load`, kind: 'target', ...cols(healthBusy), cpuUsPerRequest: undefined, measured: `p99 ${healthBusy.p99Ms} ms (runs ${healthBusy.runs.map((r) => r.p99Ms).join(' / ')}; login ${loginUnderProbe.rps.toFixed(1)}/s)`, ratio: healthBusy.p99Ms / TARGETS.healthP99Ms, target: `p99 < ${TARGETS.healthP99Ms} ms`, pass: healthBusy.p99Ms < TARGETS.healthP99Ms },
    { name: `GET /auth/me ${S.healthRate}/s during login load`, kind: 'info', ...cols(meBusy), cpuUsPerRequest: undefined, measured: `p99 ${meBusy.p99Ms} ms (login ${loginUnderMe.rps.toFixed(1)}/s)`, target: '' },
    { name: 'security events into SQLite', kind: 'target', measured: `${ev.events_per_s} events/s; ${ev.rows}/${ev.events} stored, ${ev.dropped} dropped; loop p99 ${ev.event_loop_delay_ms.p99.toFixed(1)} ms`, ratio: ev.events_per_s / TARGETS.eventsPerS, target: `≥ ${TARGETS.eventsPerS} /s, none lost`, pass: ev.events_per_s >= TARGETS.eventsPerS && ev.rows === ev.events && ev.dropped === 0 },
    { name: rssRow, kind: 'target', ...cols(rssRun), measured: `${rssAfterMiB.toFixed(1)} MiB (start ${rssStartMiB.toFixed(1)}; runs ${rssRounds.map((r) => r.after.rssMiB.toFixed(1)).join(' / ')})`, ratio: rssAfterMiB / TARGETS.rssMiB, target: `< ${TARGETS.rssMiB} MiB`, pass: rssAfterMiB < TARGETS.rssMiB },
  ];

  const loadEnd = loadavg();
  process.stdout.write(`\n${table(rows)}\n\n`);
  const failed = rows.filter((r) => r.pass === false);
  process.stdout.write(failed.length === 0 ? 'All targets met.\n' : `Targets missed: ${failed.map((r) => r.name).join('; ')}\n`);
  const disturbed = rows.filter((r) => (r.otherCpuCores ?? 0) > 0.25);
  if (disturbed.length > 0) process.stdout.write(`Other processes used more than 0.25 cores during: ${disturbed.map((r) => r.name).join('; ')}. Consider running again.\n`);

  const resultsFile = join(BENCH_DIR, 'results', 'latest.json');
  writeJson(resultsFile, {
    date: startedAt.toISOString(),
    finished: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, totalMemGiB: totalmem() / 2 ** 30, loadavgStart: loadStart, loadavgEnd: loadEnd },
    node: process.version,
    source: gitState(),
    settings: { ...S, uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? 'default (4)', argon2: ARGON2 },
    targets: TARGETS,
    rows,
    runs: {
      reads,
      meInfoLogBytesPerRequest: logBytesPerRequest,
      protection: { ...protection, redisUrl: S.redisUrl, redisCommandsPerRequest },
      securityEvents: eventsResult,
      observability: { ...observability, healthDuringMe: underMe, metricsScrapesMs: scrapes.ms, metricsBytes: scrapes.bytes },
      argon2Raw: rawRounds,
      login: loginRun,
      healthIdle,
      healthDuringLogin: duringLogin,
      meDuringLogin,
      refresh: { ...refreshRun, poolSize },
      rss: rssRounds,
    },
  });
  log(`results written to ${resultsFile}`);
  if (failed.length > 0) process.exitCode = 1;
}

/** The commit measured, and whether src/ had uncommitted changes (the build is of the working tree). */
function gitState(): { commit: string; dirtySrc: string[] } | undefined {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { commit: git('rev-parse', 'HEAD'), dirtySrc: git('status', '--porcelain', '--', 'src').split('\n').filter(Boolean) };
  } catch {
    return undefined;
  }
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
