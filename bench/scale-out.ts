/**
 * Scale-out benchmark: GET /api/v1/auth/me and POST /api/v1/auth/login through nginx (deploy/nginx's
 * proxy snippet, as the scale-out test runs it) in front of 1, 2 and 3 Vigil instances on one
 * PostgreSQL and one Redis. On a 2-core machine the ratios show what sharing state costs, not a
 * speed-up. Needs PostgreSQL, Redis and nginx (as the tests do) and a build (`npm run bench:scale-out`
 * builds first).
 *
 * Settings: BENCH_DURATION (s, default 10), BENCH_WARMUP (s, default 3), BENCH_CONNECTIONS (GET /me,
 * default 20), BENCH_LOGIN_CONNECTIONS (default 8), TEST_POSTGRES_URL, TEST_REDIS_URL.
 * Writes bench/results/scale-out.json.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { measure, type LoadFigures } from './lib/load.js';
import { BENCH_DIR, startVigil, stopAll, type VigilServer } from './lib/processes.js';
import { writeJson } from './lib/report.js';
import { BENCH_PASSWORD, expectMe, login, register } from './lib/vigil-api.js';
import { nginxPrefix, scaleOutConf, startNginx } from '../test/support/nginx.js';
import { freePort } from '../test/support/redis.js';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const LOGIN_CONNECTIONS = Number(process.env.BENCH_LOGIN_CONNECTIONS ?? 8);
const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const EMAIL = 'scale-bench@example.com';
const CLIENT_IP = '198.51.100.200';

async function sql(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  await redis.quit();
}

interface Round {
  instances: number;
  me: LoadFigures;
  login: LoadFigures;
}

async function main(): Promise<void> {
  const schema = `vigil_bench_${randomBytes(5).toString('hex')}`;
  const prefix = `vigil-bench:${randomBytes(4).toString('hex')}:`;
  await sql(`create schema ${schema}`);
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const env = {
    API_HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    LOG_LEVELS: 'vigil=info',
    DATABASE_URL: url.toString(),
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    TRUST_PROXY: 'loopback',
    SIGNING_KEY_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    // Protection stays on, with limits no single load generator reaches.
    RATE_LIMIT_GLOBAL: '100000000',
    RATE_LIMIT_IP: '10000000',
    RATE_LIMIT_USER: '10000000',
    RATE_LIMIT_ROUTES: 'login=100000000/1m,register=1000/1h',
  };
  const load0 = loadavg();
  const rounds: Round[] = [];
  try {
    const ports = [await freePort(), await freePort(), await freePort()];
    const servers: VigilServer[] = [];
    for (const port of ports) {
      const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-scale-'));
      servers.push(await startVigil({ dir, logFile: join(dir, 'vigil.log'), env: { ...env, API_PORT: String(port) } }));
    }
    await register(servers[0]!.url, EMAIL);
    for (const n of [1, 2, 3]) {
      const nginxPort = await freePort();
      const nginx = await startNginx(nginxPrefix(scaleOutConf(ports.slice(0, n), nginxPort)), nginxPort);
      try {
        const token = (await login(nginx.url, EMAIL)).access_token;
        await expectMe(nginx.url, token);
        process.stderr.write(`${n} instance(s): GET /me…\n`);
        const me = await measure(
          { url: `${nginx.url}/api/v1/auth/me`, connections: CONNECTIONS, duration: DURATION, headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': CLIENT_IP } },
          { warmupS: WARMUP },
        );
        process.stderr.write(`${n} instance(s): POST /login…\n`);
        const loginFigures = await measure(
          {
            url: `${nginx.url}/api/v1/auth/login`,
            method: 'POST',
            connections: LOGIN_CONNECTIONS,
            duration: DURATION,
            headers: { 'content-type': 'application/json', 'x-forwarded-for': CLIENT_IP },
            body: JSON.stringify({ email: EMAIL, password: BENCH_PASSWORD }),
          },
          { warmupS: WARMUP },
        );
        rounds.push({ instances: n, me, login: loginFigures });
      } finally {
        await nginx.stop();
      }
    }
  } finally {
    await stopAll();
    await sql(`drop schema if exists ${schema} cascade`);
    await deleteKeys(prefix);
  }

  const base = rounds[0]!;
  const fmt = (v: number, d = 0) => v.toFixed(d);
  const lines = [
    '| instances | GET /me req/s | p99 ms | × 1 instance | login req/s | p99 ms | × 1 instance | non-2xx + errors |',
    '|----------:|--------------:|-------:|-------------:|------------:|-------:|-------------:|-----------------:|',
    ...rounds.map(
      (r) =>
        `| ${String(r.instances).padStart(9)} | ${fmt(r.me.rps).padStart(13)} | ${fmt(r.me.p99Ms).padStart(6)} | ${fmt(r.me.rps / base.me.rps, 2).padStart(12)} | ${fmt(r.login.rps, 1).padStart(11)} | ${fmt(r.login.p99Ms).padStart(6)} | ${fmt(r.login.rps / base.login.rps, 2).padStart(12)} | ${String(r.me.non2xx + r.me.errors + r.login.non2xx + r.login.errors).padStart(16)} |`,
    ),
  ];
  const load1 = loadavg();
  process.stdout.write(`\n${lines.join('\n')}\n\nload average before ${load0.map((l) => l.toFixed(2)).join(' ')}, after ${load1.map((l) => l.toFixed(2)).join(' ')}\n`);
  writeJson(join(BENCH_DIR, 'results', 'scale-out.json'), {
    date: new Date().toISOString(),
    settings: { durationS: DURATION, warmupS: WARMUP, connections: CONNECTIONS, loginConnections: LOGIN_CONNECTIONS },
    loadavgBefore: load0,
    loadavgAfter: load1,
    rounds: rounds.map((r) => ({ ...r, meRatio: r.me.rps / base.me.rps, loginRatio: r.login.rps / base.login.rps })),
  });
  const failed = rounds.some((r) => r.me.non2xx + r.me.errors + r.login.non2xx + r.login.errors > 0);
  if (failed) process.stderr.write('some requests failed: see bench/results/scale-out.json\n');
  process.exitCode = failed ? 1 : 0;
}

main().catch(async (e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  await stopAll();
  process.exit(1);
});
