/**
 * `npx tsx bench/security-events.ts`: sustained security events per second into a SQLite file,
 * through the whole path a request uses (`services.events.emit` → log sink → event store → batched
 * inserts), with none lost. Target (issue 3): ≥ 10 000 events/s, rows == events, dropped == 0.
 *
 * N events are emitted in chunks as fast as the event loop allows (each chunk yields, so the
 * writer runs between them as it would between requests); the clock stops when services.close()
 * has stored the last one. Events are API_KEY_REJECTED from random IPs, the worst case for the
 * (ip, time) index; no detector reacts to them, so the table holds exactly what was emitted.
 *
 * Settings (environment):
 *   BENCH_EVENTS        events to emit (default 200000)
 *   BENCH_EVENT_CHUNK   events emitted per event-loop turn (default 2000)
 *   BENCH_EVENT_IPS     distinct client IPs (default 50000)
 *
 * Writes bench/results/security-events.json. Exit status 1 when the target is missed.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadConfig } from '../src/config/index.js';
import { createServices } from '../src/services.js';
import { openDatabase } from '../src/storage/index.js';
import { BENCH_DIR } from './lib/processes.js';
import { writeJson } from './lib/report.js';

const envInt = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number, got ${JSON.stringify(raw)}`);
  return n;
};

const S = { events: envInt('BENCH_EVENTS', 200_000), chunk: envInt('BENCH_EVENT_CHUNK', 2000), ips: envInt('BENCH_EVENT_IPS', 50_000) };
const TARGET_EVENTS_PER_S = 10_000;
const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A small deterministic PRNG (mulberry32): the same IP sequence every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-events-'));
  const file = join(dir, 'vigil.db');
  try {
    const config = loadConfig({
      ENVIRONMENT: 'development',
      DATABASE_URL: `sqlite:${file}`,
      SIGNING_KEY_FILE: join(dir, 'vigil.key'),
      // The security logger writes these events at info; the benchmark measures the store, not pino.
      LOG_LEVEL: 'warn',
    });
    const services = await createServices(config, { migrate: true });
    const store = services.securityEvents.store;
    const next = random(42);
    const ips = Array.from({ length: S.ips }, () => `10.${Math.floor(next() * 256)}.${Math.floor(next() * 256)}.${Math.floor(next() * 256)}`);

    log(`emitting ${S.events} events in chunks of ${S.chunk} into ${file}; loadavg ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    let maxPending = 0;
    const started = performance.now();
    for (let i = 0; i < S.events; ) {
      const end = Math.min(S.events, i + S.chunk);
      for (; i < end; i++) {
        services.events.emit('API_KEY_REJECTED', { ip: ips[Math.floor(next() * ips.length)]!, request_id: `bench-${i}` }, { prefix: 'vgl_deadbeef', reason: 'unknown' });
      }
      maxPending = Math.max(maxPending, store.pending());
      await turn();
    }
    const emitted = performance.now() - started;
    const pendingAtEnd = store.pending();
    await services.close();
    const elapsedMs = performance.now() - started;
    delay.disable();
    const dropped = store.dropped();

    const database = openDatabase(config.database);
    let rows: number;
    try {
      const row = await database.db.selectFrom('security_events').where('type', '=', 'API_KEY_REJECTED').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      rows = Number(row.n);
    } finally {
      await database.close();
    }

    const eventsPerS = (rows / elapsedMs) * 1000;
    const pass = eventsPerS >= TARGET_EVENTS_PER_S && rows === S.events && dropped === 0;
    const figures = {
      events: S.events,
      rows,
      dropped,
      elapsed_ms: Math.round(elapsedMs),
      events_per_s: Math.round(eventsPerS),
      offered_per_s: Math.round((S.events / emitted) * 1000),
      max_pending: maxPending,
      pending_when_emitting_ended: pendingAtEnd,
      event_loop_delay_ms: { p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 },
      db_file_mib: Math.round((statSync(file).size / 2 ** 20) * 10) / 10,
    };
    log(`emitting took ${emitted.toFixed(0)} ms (${figures.offered_per_s} events/s offered); ${pendingAtEnd} still queued, drained by close()`);
    process.stdout.write(
      `\nsecurity events into SQLite: ${figures.events_per_s} events/s sustained (${rows}/${S.events} stored, ${dropped} dropped) in ${figures.elapsed_ms} ms\n` +
        `event-loop delay p50 ${figures.event_loop_delay_ms.p50.toFixed(1)} ms, p99 ${figures.event_loop_delay_ms.p99.toFixed(1)} ms, max ${figures.event_loop_delay_ms.max.toFixed(1)} ms; queue peak ${maxPending}\n` +
        `target ≥ ${TARGET_EVENTS_PER_S} events/s with none lost: ${pass ? 'PASS' : 'FAIL'}\n`,
    );
    const resultsFile = join(BENCH_DIR, 'results', 'security-events.json');
    writeJson(resultsFile, {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, loadavg: loadavg() },
      node: process.version,
      settings: S,
      target: { events_per_s: TARGET_EVENTS_PER_S, lost: 0 },
      figures,
      pass,
    });
    log(`results written to ${resultsFile}`);
    return pass ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

try {
  process.exitCode = await main();
} catch (e) {
  log(`failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exitCode = 2;
}
