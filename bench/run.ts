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
 *   BENCH_METRICS_SCRAPES    sequential /metrics scrapes timed after the observability runs (default 20)
 *   BENCH_REDIS_URL          Redis for the shared-store run (default redis://127.0.0.1:6379/14; the
 *                            database is flushed before the run)
 *   BENCH_CPU_PROF           a directory: run the Vigil servers with --cpu-prof into it
 *                            (summarise one with `npx tsx bench/profile-summary.ts FILE`)
 *
 * Runs, in this order (baselines next to what is compared with them):
 *   bare Fastify hello (bench/bare-server.ts), twice: before and after the Vigil read runs
 *   GET /api/v1/auth/me on Vigil with EdDSA tokens at LOG_LEVEL=warn (the target), at info with
 *     the access log going to a file, with HS256 tokens; and GET /health at full speed (Vigil's
 *     per-request hooks without auth or database)
 *   GET /api/v1/auth/me with rate limiting off (twice: before and after), with it on (in-memory
 *     store, the same server as the first target) and with it on over Redis (BENCH_REDIS_URL)
 *   GET /api/v1/auth/me with metrics and file logging off (twice) and on (info to LOG_FILE); /health
 *     at a low rate during that load; then timed scrapes of /metrics of the warmed process
 *   raw argon2id verify (bench/argon2-verify.ts, own process) then POST /api/v1/auth/login
 *   GET /health (then GET /auth/me) at a low rate on one connection, alone and during a login load
 *   POST /api/v1/auth/refresh with rotation (a pool of live refresh tokens)
 *   a fresh Vigil: RSS after BENCH_RSS_REQUESTS `me` requests
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
import { measure, percentile, type LoadFigures, type LoadOptions } from './lib/load.js';
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
  warmupS: envNumber('BENCH_WARMUP', 2),
  connections: envNumber('BENCH_CONNECTIONS', 10),
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
  const hello1 = await step('bare hello (1/2)', helloOptions, bare.pid);
  const meWarn = await step('me, EdDSA, LOG_LEVEL=warn', meOptions(quiet.url, access(quiet)), quiet.pid);
  const logBytesBefore = statSync(loud.logFile).size;
  const meInfo = await step('me, EdDSA, LOG_LEVEL=info (access log to a file)', meOptions(loud.url, access(loud)), loud.pid);
  const logBytesPerRequest = (statSync(loud.logFile).size - logBytesBefore) / (meInfo.ok * (1 + S.warmupS / Math.max(1, S.durationS)));
  const meHs256 = await step('me, HS256, LOG_LEVEL=warn', meOptions(hmac.url, access(hmac)), hmac.pid);
  // Protection's cost: rate limiting off, on (in memory: the `quiet` server), on over Redis, off again.
  const meOff1 = await step('me, EdDSA, LOG_LEVEL=warn, RATE_LIMIT_ENABLED=false (1/2)', meOptions(unlimited.url, access(unlimited)), unlimited.pid);
  const meOn = await step('me, EdDSA, LOG_LEVEL=warn, protections on, in-memory store', meOptions(quiet.url, access(quiet)), quiet.pid);
  const redisCommands = async () => Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))?.[1]);
  const commandsBefore = await redisCommands();
  const meRedis = await step(`me, EdDSA, LOG_LEVEL=warn, protections on, REDIS_URL=${S.redisUrl}`, meOptions(shared.url, access(shared)), shared.pid);
  // Vigil falls back to memory when Redis is unreachable: a run whose requests did not reach Redis measured nothing.
  const redisCommandsPerRequest = ((await redisCommands()) - commandsBefore) / meRedis.ok;
  log(`  Redis commands per request: ${redisCommandsPerRequest.toFixed(2)}`);
  if (!(redisCommandsPerRequest >= 1)) throw new Error(`the Redis run sent ${redisCommandsPerRequest} commands per request to ${S.redisUrl}: Vigil did not use Redis`);
  await redis.quit();
  const meOff2 = await step('me, EdDSA, LOG_LEVEL=warn, RATE_LIMIT_ENABLED=false (2/2)', meOptions(unlimited.url, access(unlimited)), unlimited.pid);
  const offRps = (meOff1.rps + meOff2.rps) / 2;
  const healthStack = await step('/health at full speed (Vigil hooks, no auth, no DB)', { ...healthOptions(quiet.url), overallRate: undefined, connections: S.connections, ignoreCoordinatedOmission: false }, quiet.pid);
  const hello2 = await step('bare hello (2/2)', helloOptions, bare.pid);
  await Promise.all([bare, loud, hmac, unlimited, shared].map((server) => stopChild(server.child)));

  const helloRps = (hello1.rps + hello2.rps) / 2;
  const helloDrift = Math.abs(hello1.rps - hello2.rps) / helloRps;

  // --- Observability's cost: metrics and file logging on against both off ----------------------
  // "On" is how an operator runs it: metrics collected, the access line of every request at info,
  // to stdout and to a rotated LOG_FILE. "Off": no metrics, LOG_LEVEL=warn, no file.
  mkdirSync(join(workDir, 'obs-on-file'), { recursive: true });
  const obsOff = await vigil('obs-off-warn', 'warn', { PROMETHEUS_METRICS: 'false' });
  const obsOn = await vigil('obs-on-info', 'info', { PROMETHEUS_METRICS: 'true', LOG_FILE: join(workDir, 'obs-on-file', 'vigil.log') });
  for (const server of [obsOff, obsOn]) {
    await register(server.url, email);
    tokens.set(server, await login(server.url, email));
  }
  const obsOff1 = await step('me, metrics off, LOG_LEVEL=warn, no LOG_FILE (1/2)', meOptions(obsOff.url, access(obsOff)), obsOff.pid);
  const obsOnRun = await step('me, metrics on, LOG_LEVEL=info, LOG_FILE', meOptions(obsOn.url, access(obsOn)), obsOn.pid);
  const obsOff2 = await step('me, metrics off, LOG_LEVEL=warn, no LOG_FILE (2/2)', meOptions(obsOff.url, access(obsOff)), obsOff.pid);
  const obsOffRps = (obsOff1.rps + obsOff2.rps) / 2;
  log('/health during the me load (metrics and file logging on)');
  const [meUnderProbe, healthUnderMe] = await Promise.all([
    measure(meOptions(obsOn.url, access(obsOn)), { ...warm, serverPid: obsOn.pid }),
    measure(healthOptions(obsOn.url), { ...warm, serverPid: obsOn.pid }),
  ]);
  log(`  me: ${fmt(meUnderProbe)}`);
  log(`  health: ${fmt(healthUnderMe)}`);
  expectClean('me (with /health)', meUnderProbe);
  expectClean('health (during me)', healthUnderMe);
  const scrapes = await scrapeTimes(`${obsOn.url}/metrics`, S.metricsScrapes);
  log(`/metrics scrapes of the warmed process: p50 ${percentile(scrapes.ms, 50).toFixed(1)} ms, max ${Math.max(...scrapes.ms).toFixed(1)} ms, ${(scrapes.bytes / 1024).toFixed(1)} KiB`);
  await Promise.all([obsOff, obsOn].map((server) => stopChild(server.child)));

  // --- Login against raw argon2id verify ------------------------------------------------------
  log(`argon2id verify, ${S.loginConnections} in flight, own process`);
  const raw = await runArgon2Raw({ ...ARGON2, concurrency: S.loginConnections, durationS: S.durationS, warmupS: S.warmupS });
  const rawRps = raw.count / raw.elapsedS;
  const rawP50 = percentile(raw.latenciesMs, 50);
  const rawP99 = percentile(raw.latenciesMs, 99);
  log(`  ${rawRps.toFixed(1)} verifies/s, p50 ${rawP50.toFixed(1)} ms, p99 ${rawP99.toFixed(1)} ms, CPU ${(raw.cpuS / raw.elapsedS).toFixed(2)} cores, other CPU ${raw.otherCpuCores.toFixed(2)} cores`);

  const loginEmails = Array.from({ length: S.loginConnections * 4 }, (_, i) => `login-${i}@example.com`);
  log(`registering ${loginEmails.length} accounts for the login runs`);
  for (let i = 0; i < loginEmails.length; i += 4) await Promise.all(loginEmails.slice(i, i + 4).map((e) => register(quiet.url, e)));
  const loginRun = await step(`login (${loginEmails.length} accounts, round robin)`, loginOptions(quiet.url, loginEmails), quiet.pid);

  // --- /health (and an authenticated read) while logins saturate the CPU ----------------------
  const healthIdle = await step(`/health alone, ${S.healthRate}/s on one connection`, healthOptions(quiet.url), quiet.pid);
  log('/health during login load');
  const [loginUnderProbe, healthBusy] = await Promise.all([
    measure(loginOptions(quiet.url, loginEmails), { ...warm, serverPid: quiet.pid }),
    measure(healthOptions(quiet.url), { ...warm, serverPid: quiet.pid }),
  ]);
  log(`  login: ${fmt(loginUnderProbe)}`);
  log(`  health: ${fmt(healthBusy)}`);
  expectClean('login (with /health)', loginUnderProbe);
  expectClean('health (during login)', healthBusy);

  log(`me at ${S.healthRate}/s during login load`);
  const meProbe: LoadOptions = { ...healthOptions(quiet.url), url: `${quiet.url}/api/v1/auth/me`, headers: { authorization: `Bearer ${access(quiet)}` } };
  const [loginUnderMe, meBusy] = await Promise.all([
    measure(loginOptions(quiet.url, loginEmails), { ...warm, serverPid: quiet.pid }),
    measure(meProbe, { ...warm, serverPid: quiet.pid }),
  ]);
  log(`  login: ${fmt(loginUnderMe)}`);
  log(`  me: ${fmt(meBusy)}`);
  expectClean('login (with me)', loginUnderMe);
  expectClean('me (during login)', meBusy);

  // --- Refresh with rotation -----------------------------------------------------------------
  const poolSize = S.connections * 3;
  const pool = (await sessions(quiet.url, email, poolSize)).map((t) => t.refresh_token);
  const counters = { starved: 0 };
  const refreshRun = await step(`refresh (pool of ${poolSize} sessions)`, refreshOptions(quiet.url, pool, counters), quiet.pid);
  if (counters.starved > 0) throw new Error(`refresh: the token pool ran dry ${counters.starved} times`);
  await stopChild(quiet.child);

  // --- Memory after 100k authenticated reads, on a fresh server -------------------------------
  log(`RSS after ${S.rssRequests} me requests (fresh server)`);
  const fresh = await vigil('rss-warn', 'warn');
  await register(fresh.url, email);
  const freshTokens = await login(fresh.url, email);
  await expectMe(fresh.url, freshTokens.access_token);
  const rssStart = memoryOf(fresh.pid);
  const { duration: _unused, ...meFixed } = meOptions(fresh.url, freshTokens.access_token);
  const rssRun = await measure({ ...meFixed, amount: S.rssRequests }, { warmupS: 0, serverPid: fresh.pid });
  expectClean('me (RSS)', rssRun);
  const rssAfter = memoryOf(fresh.pid);
  log(`  ${fmt(rssRun)}; RSS ${rssStart.rssMiB.toFixed(1)} → ${rssAfter.rssMiB.toFixed(1)} MiB (peak ${rssAfter.peakRssMiB.toFixed(1)})`);
  await stopChild(fresh.child);

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
    { name: 'bare Fastify hello (mean of 2)', kind: 'baseline', rps: helloRps, p50Ms: Math.max(hello1.p50Ms, hello2.p50Ms), p99Ms: Math.max(hello1.p99Ms, hello2.p99Ms), cpuUsPerRequest: ((hello1.serverCpuUsPerRequest ?? NaN) + (hello2.serverCpuUsPerRequest ?? NaN)) / 2, otherCpuCores: Math.max(hello1.otherCpuCores, hello2.otherCpuCores), measured: `runs ${hello1.rps.toFixed(0)} / ${hello2.rps.toFixed(0)} (drift ${(helloDrift * 100).toFixed(1)}%)`, target: '' },
    { name: 'GET /health, full speed', kind: 'info', ...cols(healthStack), measured: `${vsHello(healthStack).toFixed(2)} × hello`, ratio: vsHello(healthStack), target: '' },
    { name: 'GET /auth/me (EdDSA, LOG_LEVEL=warn)', kind: 'target', ...cols(meWarn), measured: `${meRatio.toFixed(2)} × hello`, ratio: meRatio, target: `≥ ${TARGETS.meVsBare} × hello`, pass: meRatio >= TARGETS.meVsBare },
    { name: 'GET /auth/me (EdDSA, LOG_LEVEL=info → file)', kind: 'target', ...cols(meInfo), measured: `${meInfoRatio.toFixed(2)} × hello`, ratio: meInfoRatio, target: `≥ ${TARGETS.meVsBare} × hello`, pass: meInfoRatio >= TARGETS.meVsBare },
    { name: 'GET /auth/me (HS256, LOG_LEVEL=warn)', kind: 'info', ...cols(meHs256), measured: `${vsHello(meHs256).toFixed(2)} × hello`, ratio: vsHello(meHs256), target: '' },
    { name: 'GET /auth/me, protections off (mean of 2)', kind: 'baseline', ...cols(meOff1), rps: offRps, p99Ms: Math.max(meOff1.p99Ms, meOff2.p99Ms), measured: `runs ${meOff1.rps.toFixed(0)} / ${meOff2.rps.toFixed(0)}; ${(offRps / helloRps).toFixed(2)} × hello`, target: '' },
    { name: 'GET /auth/me, protections on (in-memory)', kind: 'target', ...cols(meOn), measured: `${(meOn.rps / offRps).toFixed(2)} × off`, ratio: meOn.rps / offRps, target: `≥ ${TARGETS.protectedVsOff} × off`, pass: meOn.rps / offRps >= TARGETS.protectedVsOff },
    { name: 'GET /auth/me, protections on (Redis)', kind: 'target', ...cols(meRedis), measured: `${(meRedis.rps / offRps).toFixed(2)} × off`, ratio: meRedis.rps / offRps, target: `≥ ${TARGETS.redisVsOff} × off`, pass: meRedis.rps / offRps >= TARGETS.redisVsOff },
    { name: 'GET /auth/me, metrics and file logging off (mean of 2)', kind: 'baseline', ...cols(obsOff1), rps: obsOffRps, p99Ms: Math.max(obsOff1.p99Ms, obsOff2.p99Ms), measured: `runs ${obsOff1.rps.toFixed(0)} / ${obsOff2.rps.toFixed(0)}`, target: '' },
    { name: 'GET /auth/me, metrics on, info to LOG_FILE', kind: 'target', ...cols(obsOnRun), measured: `${(obsOnRun.rps / obsOffRps).toFixed(2)} × off`, ratio: obsOnRun.rps / obsOffRps, target: `≥ ${TARGETS.observedVsOff} × off`, pass: obsOnRun.rps / obsOffRps >= TARGETS.observedVsOff },
    { name: `GET /health ${S.healthRate}/s during the me load`, kind: 'target', ...cols(healthUnderMe), cpuUsPerRequest: undefined, measured: `p99 ${healthUnderMe.p99Ms} ms (me ${meUnderProbe.rps.toFixed(0)}/s)`, ratio: healthUnderMe.p99Ms / TARGETS.healthUnderMeP99Ms, target: `p99 < ${TARGETS.healthUnderMeP99Ms} ms`, pass: healthUnderMe.p99Ms < TARGETS.healthUnderMeP99Ms },
    { name: `GET /metrics, warmed (${S.metricsScrapes} scrapes)`, kind: 'target', p50Ms: percentile(scrapes.ms, 50), p99Ms: Math.max(...scrapes.ms), measured: `max ${Math.max(...scrapes.ms).toFixed(1)} ms, ${(scrapes.bytes / 1024).toFixed(0)} KiB`, ratio: Math.max(...scrapes.ms) / TARGETS.metricsScrapeMs, target: `< ${TARGETS.metricsScrapeMs} ms`, pass: Math.max(...scrapes.ms) < TARGETS.metricsScrapeMs },
    { name: 'argon2id verify, raw', kind: 'baseline', rps: rawRps, p50Ms: rawP50, p99Ms: rawP99, cpuUsPerRequest: (raw.cpuS * 1e6) / raw.count, otherCpuCores: raw.otherCpuCores, measured: `${S.loginConnections} in flight`, target: '' },
    { name: 'POST /auth/login', kind: 'target', ...cols(loginRun), measured: `${loginRatio.toFixed(2)} × verify`, ratio: loginRatio, target: `≥ ${TARGETS.loginVsArgon2} × verify`, pass: loginRatio >= TARGETS.loginVsArgon2 },
    { name: 'POST /auth/refresh (rotation)', kind: 'info', ...cols(refreshRun), measured: `${vsHello(refreshRun).toFixed(2)} × hello`, ratio: vsHello(refreshRun), target: 'report' },
    { name: `GET /health ${S.healthRate}/s, idle server`, kind: 'baseline', ...cols(healthIdle), cpuUsPerRequest: undefined, measured: '1 connection', target: '' },
    { name: `GET /health ${S.healthRate}/s during login load`, kind: 'target', ...cols(healthBusy), cpuUsPerRequest: undefined, measured: `p99 ${healthBusy.p99Ms} ms (login ${loginUnderProbe.rps.toFixed(1)}/s)`, ratio: healthBusy.p99Ms / TARGETS.healthP99Ms, target: `p99 < ${TARGETS.healthP99Ms} ms`, pass: healthBusy.p99Ms < TARGETS.healthP99Ms },
    { name: `GET /auth/me ${S.healthRate}/s during login load`, kind: 'info', ...cols(meBusy), cpuUsPerRequest: undefined, measured: `p99 ${meBusy.p99Ms} ms (login ${loginUnderMe.rps.toFixed(1)}/s)`, target: '' },
    { name: 'security events into SQLite', kind: 'target', measured: `${ev.events_per_s} events/s; ${ev.rows}/${ev.events} stored, ${ev.dropped} dropped; loop p99 ${ev.event_loop_delay_ms.p99.toFixed(1)} ms`, ratio: ev.events_per_s / TARGETS.eventsPerS, target: `≥ ${TARGETS.eventsPerS} /s, none lost`, pass: ev.events_per_s >= TARGETS.eventsPerS && ev.rows === ev.events && ev.dropped === 0 },
    { name: rssRow, kind: 'target', ...cols(rssRun), measured: `${rssAfter.rssMiB.toFixed(1)} MiB (start ${rssStart.rssMiB.toFixed(1)})`, ratio: rssAfter.rssMiB / TARGETS.rssMiB, target: `< ${TARGETS.rssMiB} MiB`, pass: rssAfter.rssMiB < TARGETS.rssMiB },
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
      hello: [hello1, hello2],
      healthFullSpeed: healthStack,
      meWarn,
      meInfo: { ...meInfo, logBytesPerRequest },
      meHs256,
      meProtection: { off: [meOff1, meOff2], on: meOn, redis: { ...meRedis, redisUrl: S.redisUrl, redisCommandsPerRequest } },
      securityEvents: eventsResult,
      observability: { off: [obsOff1, obsOff2], on: obsOnRun, healthDuringMe: { health: healthUnderMe, me: meUnderProbe }, metricsScrapesMs: scrapes.ms, metricsBytes: scrapes.bytes },
      argon2Raw: { count: raw.count, elapsedS: raw.elapsedS, rps: rawRps, p50Ms: rawP50, p99Ms: rawP99, cpuCores: raw.cpuS / raw.elapsedS, otherCpuCores: raw.otherCpuCores },
      login: loginRun,
      healthIdle,
      healthDuringLogin: { health: healthBusy, login: loginUnderProbe },
      meDuringLogin: { me: meBusy, login: loginUnderMe },
      refresh: { ...refreshRun, poolSize },
      rss: { ...rssRun, start: rssStart, after: rssAfter },
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
