import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openDatabase, migrateToLatest, type Database } from '../../src/storage/index.js';
import { JOB_NAMES } from '../../src/config/schema.js';
import { freshPostgresSchema, runPostgres } from '../support/postgres.js';
import { startVigilProcess, type VigilProcess } from '../support/vigil-process.js';

/** Every job off but cleanup-tokens, which runs every 2 seconds. */
function schedulerEnv(url: string, extra: Record<string, string> = {}): Record<string, string> {
  const off = Object.fromEntries(JOB_NAMES.map((n) => [`JOB_${n.toUpperCase().replace(/-/g, '_')}_CRON`, 'off']));
  return {
    DATABASE_URL: url,
    DATABASE_AUTO_MIGRATE: 'false',
    API_HOST: '127.0.0.1',
    API_PORT: '0',
    LOG_LEVEL: 'info',
    SIGNING_KEY_ENCRYPTION_KEY: 'test-key-encryption-key-0123456789abcdef',
    PASSWORD_HASH_MEMORY_KIB: '1024',
    PASSWORD_HASH_ITERATIONS: '1',
    ALERTING_ENABLED: 'false',
    ...off,
    JOB_CLEANUP_TOKENS_CRON: '*/2 * * * * *',
    JOB_LEASE_TTL: '2s',
    CLEANUP_BATCH_PAUSE: '0',
    ...extra,
  };
}

const started = (p: VigilProcess) => (p.output().match(/"msg":"job cleanup-tokens started"/g) ?? []).length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function prepare(): Promise<{ url: string; database: Database; drop: () => Promise<void> }> {
  const schema = await freshPostgresSchema();
  const database = openDatabase({ kind: 'postgres', url: schema.url, poolMax: 2, ssl: false, autoMigrate: true, allowSqliteInProduction: false });
  await migrateToLatest(database.db);
  return { url: schema.url, database, drop: schema.drop };
}

interface RunRow {
  instance: string;
  tick: number | null;
  status: string;
  started_at: number;
}
const runs = async (database: Database) =>
  (await sql<RunRow>`select instance, tick, status, started_at from job_runs where job = 'cleanup-tokens' order by started_at`.execute(database.db)).rows.map((r) => ({ ...r, tick: r.tick === null ? null : Number(r.tick), started_at: Number(r.started_at) }));

describe.skipIf(!runPostgres)('two instances on one PostgreSQL scheduling cleanup-tokens every 2 s', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  const stop = async (p: VigilProcess) => {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
    await p.exited;
  };

  it('runs each tick exactly once, on one instance, recorded once', async () => {
    const { url, database, drop } = await prepare();
    cleanups.push(drop, () => database.close());
    await database.db.insertInto('token_blacklist').values(Array.from({ length: 50 }, (_, i) => ({ jti: `e-${i}`, user_id: null, expires_at: Date.now() - 1000, reason: 'x', created_at: 0 }))).execute();
    const [a, b] = await Promise.all([startVigilProcess(schedulerEnv(url)), startVigilProcess(schedulerEnv(url))]);
    cleanups.push(() => stop(a), () => stop(b));
    await sleep(9_000);
    await Promise.all([stop(a), stop(b)]);

    const rows = await runs(database);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    const ticks = rows.map((r) => r.tick!);
    expect(new Set(ticks).size).toBe(ticks.length);
    // No tick between the first and the last was missed: both instances were up for all of them.
    const sorted = [...ticks].sort((x, y) => x - y);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 1]!).toBe(2000);
    expect(rows.every((r) => r.status === 'succeeded')).toBe(true);
    // Each recorded run ran the job body once, on one of the two: never both for a tick.
    expect(started(a) + started(b)).toBe(rows.length);
    expect(await database.db.selectFrom('token_blacklist').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).toEqual({ n: 0 });
  }, 60_000);

  it('a holder killed mid-run loses its lease when it expires, and the next tick runs on the other', async () => {
    const { url, database, drop } = await prepare();
    cleanups.push(drop, () => database.close());
    const total = 3000;
    await database.db.insertInto('token_blacklist').values(Array.from({ length: total }, (_, i) => ({ jti: `e-${i}`, user_id: null, expires_at: Date.now() - 1000, reason: 'x', created_at: 0 }))).execute();
    // 100 rows per batch, 200 ms apart: a whole run takes about 6 s.
    const env = schedulerEnv(url, { CLEANUP_BATCH_SIZE: '100', CLEANUP_BATCH_PAUSE: '200ms' });
    const [a, b] = await Promise.all([startVigilProcess(env), startVigilProcess(env)]);
    cleanups.push(() => stop(a), () => stop(b));

    const deadline = Date.now() + 20_000;
    while (started(a) + started(b) === 0 && Date.now() < deadline) await sleep(50);
    const holder = started(a) > 0 ? a : b;
    const other = holder === a ? b : a;
    await sleep(800);
    holder.child.kill('SIGKILL');
    await holder.exited;
    const left = Number((await database.db.selectFrom('token_blacklist').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(total);
    const killedAt = Date.now();

    let done: RunRow | undefined;
    while (!done && Date.now() < killedAt + 30_000) {
      done = (await runs(database)).find((r) => r.status === 'succeeded');
      if (!done) await sleep(200);
    }
    expect(done, other.output().slice(-2000)).toBeDefined();
    const rows = await runs(database);
    const killedRun = rows[0]!;
    expect(killedRun.instance).toContain(`:${holder.child.pid}:`);
    // The survivor found the run cut off and marked it when it took the lease.
    expect(killedRun.status).toBe('abandoned');
    expect(done!.instance).toContain(`:${other.child.pid}:`);
    expect(started(other)).toBeGreaterThanOrEqual(1);
    expect(Number((await database.db.selectFrom('token_blacklist').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)).toBe(0);
  }, 90_000);
});
