/**
 * `npm run bench:maintenance` (issue 6): the maintenance jobs under load.
 *
 * 1. cleanup-tokens over BENCH_CLEANUP_ROWS (1 000 000) expired blacklist rows, on SQLite and on
 *    PostgreSQL: total time, and /health latency measured during it by a separate process that
 *    asks every 10 ms (target p99 < 50 ms). The job runs inside the serving process, as the
 *    scheduler runs it, with the default batches (CLEANUP_BATCH_SIZE 5000, CLEANUP_BATCH_PAUSE 20 ms).
 * 2. backup create and verify of a database with BENCH_BACKUP_USERS (100 000) users, on both.
 *
 * PostgreSQL: TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test), in a schema of
 * its own dropped afterwards; skipped when unreachable. Writes bench/results/maintenance.json.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/index.js';
import { createServices, type Services } from '../src/services.js';
import { BENCH_DIR } from './lib/processes.js';
import { writeJson } from './lib/report.js';

const envInt = (name: string, fallback: number): number => {
  const n = Number(process.env[name] ?? fallback);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number`);
  return n;
};
const ROWS = envInt('BENCH_CLEANUP_ROWS', 1_000_000);
const USERS = envInt('BENCH_BACKUP_USERS', 100_000);
const PG_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TARGET_P99_MS = 50;
const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

/** A separate process asking GET /health every 10 ms until SIGTERM; prints the latencies. */
const PROBE = `
const url = process.argv[1];
const lat = [];
let stop = false;
let warm = 5; // the first requests set up the client's connection: not counted
process.on('SIGTERM', () => { stop = true; });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
while (!stop) {
  const t = performance.now();
  try { const r = await fetch(url); await r.arrayBuffer(); if (r.status === 200 && warm-- <= 0) lat.push(performance.now() - t); } catch {}
  await sleep(10);
}
process.stdout.write(JSON.stringify(lat));
`;

interface Latency {
  requests: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

function startProbe(url: string): { stop: () => Promise<Latency> } {
  const child = spawn(process.execPath, ['--input-type=module', '-e', PROBE, url], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    async stop() {
      child.kill('SIGTERM');
      await exited;
      const lat = (JSON.parse(out || '[]') as number[]).sort((a, b) => a - b);
      const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
      return { requests: lat.length, p50_ms: q(0.5), p99_ms: q(0.99), max_ms: lat[lat.length - 1] ?? NaN };
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Target {
  name: 'sqlite' | 'postgres';
  env: Record<string, string>;
  drop(): Promise<void>;
}

async function sqliteTarget(): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-maint-'));
  return { name: 'sqlite', env: { DATABASE_URL: `sqlite:${join(dir, 'vigil.db')}`, BACKUP_DIR: join(dir, 'backups'), SIGNING_KEY_FILE: join(dir, 'vigil.key') }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

async function postgresTarget(): Promise<Target | undefined> {
  const admin = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
  } catch {
    log('PostgreSQL unreachable: skipped');
    return undefined;
  }
  const schema = `vigil_bench_${randomBytes(4).toString('hex')}`;
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-maint-'));
  const url = new URL(PG_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    name: 'postgres',
    env: { DATABASE_URL: url.toString(), BACKUP_DIR: join(dir, 'backups'), SIGNING_KEY_FILE: join(dir, 'vigil.key') },
    async drop() {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function open(target: Target): Promise<Services> {
  const config = loadConfig({
    ENVIRONMENT: 'development',
    ...target.env,
    SIGNING_KEY_ENCRYPTION_KEY: 'bench-key-encryption-key-0123456789abcdef',
    LOG_LEVEL: 'warn',
    JOBS_ENABLED: 'false',
    ALERTING_ENABLED: 'false',
    RATE_LIMIT_ENABLED: 'false',
    API_HOST: '127.0.0.1',
    API_PORT: '0',
  });
  return createServices(config, { migrate: true });
}

/** Inserts `n` rows fast: one transaction of prepared inserts (SQLite) or generate_series (PostgreSQL). */
async function fill(services: Services, table: 'token_blacklist' | 'users', n: number): Promise<void> {
  const past = Date.now() - 86_400_000;
  if (services.database.sqlite) {
    const db = services.database.sqlite;
    const insert =
      table === 'token_blacklist'
        ? db.prepare("insert into token_blacklist (jti, user_id, expires_at, reason, created_at) values (?, null, ?, 'bench', 0)")
        : db.prepare("insert into users (id, email, name, password_hash, role, created_at, updated_at, password_changed_at) values (?, ?, 'Bench User', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g', 'user', ?, ?, ?)");
    db.transaction(() => {
      for (let i = 0; i < n; i++) {
        if (table === 'token_blacklist') insert.run(`jti-${i}`, past - i);
        else insert.run(`u-${i}`, `user${i}@bench.example`, past, past, past);
      }
    })();
    return;
  }
  const db = services.database.db as unknown as Kysely<unknown>;
  if (table === 'token_blacklist') await sql`insert into token_blacklist (jti, user_id, expires_at, reason, created_at) select 'jti-' || g, null, ${past}::bigint - g, 'bench', 0 from generate_series(1, ${n}) g`.execute(db);
  else await sql`insert into users (id, email, name, password_hash, role, created_at, updated_at, password_changed_at) select 'u-' || g, 'user' || g || '@bench.example', 'Bench User', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g', 'user', ${past}::bigint, ${past}::bigint, ${past}::bigint from generate_series(1, ${n}) g`.execute(db);
  await sql`analyze`.execute(db);
}

async function cleanupBench(target: Target) {
  const services = await open(target);
  const app = await buildApp(services);
  try {
    log(`${target.name}: inserting ${ROWS} expired blacklist rows`);
    await fill(services, 'token_blacklist', ROWS);
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const health = `${address}/health`;
    log(`${target.name}: /health while idle (3 s)`);
    const idleProbe = startProbe(health);
    await sleep(3000);
    const idle = await idleProbe.stop();
    log(`${target.name}: cleanup-tokens`);
    const probe = startProbe(health);
    await sleep(500);
    const t0 = performance.now();
    const outcome = await services.maintenance.run('cleanup-tokens', {});
    const seconds = (performance.now() - t0) / 1000;
    const during = await probe.stop();
    if (outcome.status !== 'succeeded') throw new Error(`cleanup-tokens ${outcome.status}: ${outcome.status === 'skipped' ? outcome.reason : outcome.run.error}`);
    const deleted = Number(outcome.run.stats?.deleted);
    log(`${target.name}: deleted ${deleted} in ${seconds.toFixed(1)} s; /health p99 ${during.p99_ms.toFixed(1)} ms`);
    return { database: target.name, rows: ROWS, deleted, seconds, rows_per_s: Math.round(deleted / seconds), health_idle: idle, health_during: during, pass: deleted === ROWS && during.p99_ms < TARGET_P99_MS };
  } finally {
    await app.close();
    await services.close();
  }
}

async function backupBench(target: Target) {
  const services = await open(target);
  try {
    log(`${target.name}: inserting ${USERS} users`);
    await fill(services, 'users', USERS);
    const backups = services.maintenance.backups;
    let t0 = performance.now();
    const made = await backups.create({ label: 'bench' });
    const createS = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const verified = await backups.verify(made.path);
    const verifyS = (performance.now() - t0) / 1000;
    log(`${target.name}: backup ${createS.toFixed(1)} s (${(made.size / 1_048_576).toFixed(1)} MiB), verify ${verifyS.toFixed(1)} s, ok=${verified.ok}`);
    return { database: target.name, users: made.row_counts.users, create_s: createS, verify_s: verifyS, size_mib: made.size / 1_048_576, verified: verified.ok };
  } finally {
    await services.close();
  }
}

async function main(): Promise<number> {
  const load = loadavg();
  const cleanup: Awaited<ReturnType<typeof cleanupBench>>[] = [];
  const backup: Awaited<ReturnType<typeof backupBench>>[] = [];
  for (const make of [sqliteTarget, postgresTarget]) {
    for (const bench of ['cleanup', 'backup'] as const) {
      const target = await make();
      if (!target) continue;
      try {
        if (bench === 'cleanup') cleanup.push(await cleanupBench(target));
        else backup.push(await backupBench(target));
      } finally {
        await target.drop();
      }
    }
  }
  const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '–');
  const lines = [
    '| benchmark | database | rows | time s | rows/s | /health p50 ms | /health p99 ms (idle) | /health max ms | target | result |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |',
    ...cleanup.map((c) => `| cleanup-tokens | ${c.database} | ${c.deleted} | ${f(c.seconds)} | ${c.rows_per_s} | ${f(c.health_during.p50_ms)} | ${f(c.health_during.p99_ms)} (${f(c.health_idle.p99_ms)}) | ${f(c.health_during.max_ms)} | p99 < ${TARGET_P99_MS} ms | ${c.pass ? 'PASS' : 'FAIL'} |`),
    '',
    '| benchmark | database | users | backup s | verify s | size MiB | verified |',
    '| --- | --- | ---: | ---: | ---: | ---: | --- |',
    ...backup.map((b) => `| backup + verify | ${b.database} | ${b.users} | ${f(b.create_s)} | ${f(b.verify_s)} | ${f(b.size_mib)} | ${b.verified} |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n\nload average before the run: ${load.map((l) => l.toFixed(2)).join(' ')} (${cpus().length} cores)\n`);
  writeJson(join(BENCH_DIR, 'results', 'maintenance.json'), { at: new Date().toISOString(), load_average_before: load, after: loadavg(), cores: cpus().length, cleanup, backup });
  return cleanup.every((c) => c.pass) && backup.every((b) => b.verified) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
