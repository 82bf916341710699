import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createServices, type Services } from '../../src/services.js';
import { createSecurityEventStore, type SecurityEventStoreDeps } from '../../src/security-monitoring/event-store.js';
import { SECURITY_EVENT_TYPES, type SecurityEvent } from '../../src/security-monitoring/events.js';
import { manualClock } from '../../src/shared/clock.js';
import { migrateToLatest, openDatabase } from '../../src/storage/index.js';
import { testConfig } from '../support/config.js';
import { SAMPLE_EVENT_DETAILS } from '../support/events.js';
import { logCapture } from '../support/services.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function event(i: number): SecurityEvent {
  return { type: 'ADMIN_ACTION', time: 1_800_000_000_000 + i, severity: 'medium', ip: '198.51.100.1', request_id: `r-${i}`, details: { action: `a-${i}` } };
}
const actions = (events: readonly SecurityEvent[]) => events.map((e) => (e.details as { action: string }).action);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `a-${from + i}`);

/** A logger that keeps what it was given, by level. */
function memoryLogger() {
  const lines: { level: 'info' | 'warn' | 'error'; obj: Record<string, unknown>; msg: string }[] = [];
  const at = (level: 'info' | 'warn' | 'error') => (obj: Record<string, unknown>, msg: string) => void lines.push({ level, obj, msg });
  return { lines, logger: { info: at('info'), warn: at('warn'), error: at('error') } as unknown as SecurityEventStoreDeps['logger'] };
}

/** A repository double: records batches, and fails or blocks when told to. */
function stubRepo() {
  const stored: SecurityEvent[] = [];
  const batches: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const state = {
    stored,
    batches,
    maxInFlight: () => maxInFlight,
    /** Fail this many more calls. */
    failNext: 0,
    /** Fail every call. */
    down: false,
    /** Refuse any batch holding an event with this action. */
    poison: undefined as string | undefined,
    /** Calls wait for this before doing anything. */
    gate: undefined as Promise<void> | undefined,
    delayMs: 0,
    async insertMany(events: readonly SecurityEvent[]) {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        if (state.gate) await state.gate;
        if (state.delayMs) await sleep(state.delayMs);
        if (state.down) throw new Error('database is down');
        if (state.failNext > 0) {
          state.failNext--;
          throw new Error('transient failure');
        }
        if (state.poison !== undefined && actions(events).includes(state.poison)) throw new Error('row refused');
        stored.push(...events);
        batches.push(events.length);
      } finally {
        inFlight--;
      }
    },
  };
  return state;
}

describe('event store (unit, repository double)', () => {
  it('record() returns at once even while the database hangs', () => {
    const repo = stubRepo();
    repo.gate = new Promise(() => undefined);
    const store = createSecurityEventStore({ repo, logger: memoryLogger().logger, queueMax: 1000, batchSize: 5 });
    for (let i = 0; i < 20; i++) expect(store.record(event(i))).toBeUndefined();
    expect(store.pending()).toBe(20);
  });

  it('writes full batches at once and a partial batch after the interval, in order, one write at a time', async () => {
    const repo = stubRepo();
    repo.delayMs = 5;
    const store = createSecurityEventStore({ repo, logger: memoryLogger().logger, queueMax: 10_000, batchSize: 100, maxBatch: 100, flushIntervalMs: 30 });
    for (let i = 0; i < 250; i++) store.record(event(i));
    await vi.waitFor(() => expect(repo.stored).toHaveLength(200), { timeout: 2000, interval: 5 });
    // The remaining 50 wait for the interval.
    await vi.waitFor(() => expect(repo.stored).toHaveLength(250), { timeout: 2000, interval: 5 });
    expect(actions(repo.stored)).toEqual(range(0, 250));
    expect(repo.batches).toEqual([100, 100, 50]);
    expect(repo.maxInFlight()).toBe(1);
    expect(store.pending()).toBe(0);
  });

  it('a backlog is written in batches of up to maxBatch', async () => {
    const repo = stubRepo();
    const store = createSecurityEventStore({ repo, logger: memoryLogger().logger, queueMax: 100_000, batchSize: 1000, maxBatch: 5000 });
    for (let i = 0; i < 12_000; i++) store.record(event(i));
    await store.flush();
    expect(repo.batches).toEqual([5000, 5000, 2000]);
    expect(actions(repo.stored)).toEqual(range(0, 12_000));
  });

  it('flush() stores everything recorded before it, and overlapping flushes never write twice', async () => {
    const repo = stubRepo();
    repo.delayMs = 2;
    const store = createSecurityEventStore({ repo, logger: memoryLogger().logger, queueMax: 10_000, batchSize: 10, maxBatch: 10, flushIntervalMs: 10_000 });
    for (let i = 0; i < 95; i++) store.record(event(i));
    await Promise.all([store.flush(), store.flush(), store.flush()]);
    expect(actions(repo.stored)).toEqual(range(0, 95));
    expect(repo.maxInFlight()).toBe(1);
  });

  it('a failed write keeps its events and retries them later; the failure is logged once per streak', async () => {
    const repo = stubRepo();
    const { lines, logger } = memoryLogger();
    const store = createSecurityEventStore({ repo, logger, queueMax: 10_000, batchSize: 10, flushIntervalMs: 5, retryDelayMs: 10 });
    repo.failNext = 2;
    for (let i = 0; i < 25; i++) store.record(event(i));
    await vi.waitFor(() => expect(repo.stored).toHaveLength(25), { timeout: 3000, interval: 5 });
    expect(actions(repo.stored)).toEqual(range(0, 25));
    expect(lines.filter((l) => l.level === 'error')).toHaveLength(1);
    expect(lines.filter((l) => l.level === 'error')[0]!.msg).toMatch(/failed; they are kept and retried/);
    expect(lines.filter((l) => l.level === 'info' && /works again/.test(l.msg))).toHaveLength(1);
    expect(store.dropped()).toBe(0);

    // A second streak is logged again.
    repo.failNext = 1;
    store.record(event(25));
    await vi.waitFor(() => expect(repo.stored).toHaveLength(26), { timeout: 3000, interval: 5 });
    expect(lines.filter((l) => l.level === 'error')).toHaveLength(2);
  });

  it('flush() rejects while the database fails and keeps every event; it succeeds once the database is back', async () => {
    const repo = stubRepo();
    const store = createSecurityEventStore({ repo, logger: memoryLogger().logger, queueMax: 10_000, retryDelayMs: 10_000 });
    repo.down = true;
    for (let i = 0; i < 30; i++) store.record(event(i));
    await expect(store.flush()).rejects.toThrow('database is down');
    await expect(store.flush()).rejects.toThrow('database is down');
    expect(store.pending()).toBe(30);
    repo.down = false;
    await store.flush();
    expect(actions(repo.stored)).toEqual(range(0, 30));
    expect(store.dropped()).toBe(0);
  });

  it('a row the database keeps refusing is dropped (counted, logged) instead of blocking the log', async () => {
    const repo = stubRepo();
    const { lines, logger } = memoryLogger();
    const store = createSecurityEventStore({ repo, logger, queueMax: 10_000, batchSize: 1000, flushIntervalMs: 5, retryDelayMs: 5 });
    repo.poison = 'a-7';
    for (let i = 0; i < 20; i++) store.record(event(i));
    await vi.waitFor(() => expect(store.pending()).toBe(0), { timeout: 3000, interval: 5 });
    expect(actions(repo.stored)).toEqual(range(0, 20).filter((a) => a !== 'a-7'));
    expect(store.dropped()).toBe(1);
    expect(lines.some((l) => l.level === 'error' && /refused a security event/.test(l.msg))).toBe(true);
  });

  it('a database that refuses everything loses nothing while it is retried', async () => {
    const repo = stubRepo();
    const store = createSecurityEventStore({ repo, logger: memoryLogger().logger, queueMax: 10_000, flushIntervalMs: 5, retryDelayMs: 2, retryMaxMs: 5 });
    repo.down = true;
    for (let i = 0; i < 20; i++) store.record(event(i));
    await sleep(150); // many retries, past the row-by-row pass
    expect(store.pending()).toBe(20);
    expect(store.dropped()).toBe(0);
    repo.down = false;
    await vi.waitFor(() => expect(store.pending()).toBe(0), { timeout: 3000, interval: 5 });
    expect(actions(repo.stored)).toEqual(range(0, 20));
  });

  it('a full queue drops and counts; the warning is logged once per streak, with the count at its end', async () => {
    const repo = stubRepo();
    let open!: () => void;
    repo.gate = new Promise((resolve) => (open = resolve));
    const { lines, logger } = memoryLogger();
    const store = createSecurityEventStore({ repo, logger, queueMax: 100, batchSize: 1000, flushIntervalMs: 5 });
    for (let i = 0; i < 150; i++) store.record(event(i));
    expect(store.pending()).toBe(100);
    expect(store.dropped()).toBe(50);
    const warnings = () => lines.filter((l) => l.level === 'warn');
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]!.msg).toMatch(/queue full/);
    open();
    repo.gate = undefined;
    await store.flush();
    expect(actions(repo.stored)).toEqual(range(0, 100));
    // The streak ended when the queue drained: its summary says how many were lost.
    store.record(event(1000));
    const summary = warnings().find((l) => /dropped 50 security event/.test(l.msg));
    expect(summary?.obj).toMatchObject({ dropped: 50, dropped_total: 50, queue_max: 100 });
    expect(warnings()).toHaveLength(2);
    await store.close();
    expect(store.dropped()).toBe(50);
  });

  it('close() drains everything, then counts later events as dropped', async () => {
    const repo = stubRepo();
    repo.delayMs = 1;
    const store = createSecurityEventStore({ repo, logger: memoryLogger().logger, queueMax: 100_000, batchSize: 1000, flushIntervalMs: 60_000 });
    for (let i = 0; i < 7_500; i++) store.record(event(i));
    await store.close();
    expect(actions(repo.stored)).toEqual(range(0, 7_500));
    expect(store.pending()).toBe(0);
    store.record(event(9));
    expect(store.dropped()).toBe(1);
    await store.close(); // idempotent
  });

  it('close() gives up on a dead database after closeTimeoutMs, counting and logging what is lost', async () => {
    const repo = stubRepo();
    repo.down = true;
    const { lines, logger } = memoryLogger();
    const clock = manualClock(); // frozen: close() must not depend on it
    const store = createSecurityEventStore({ repo, logger, clock, queueMax: 1000, retryDelayMs: 5, closeTimeoutMs: 60 });
    for (let i = 0; i < 10; i++) store.record(event(i));
    await store.close();
    expect(store.dropped()).toBe(10);
    expect(store.pending()).toBe(0);
    expect(lines.some((l) => l.level === 'error' && /10 security event\(s\) could not be stored/.test(l.msg))).toBe(true);
  });
});


describe('event store in the services (SQLite)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-events-'));
  let services: Services | undefined;
  afterEach(async () => {
    await services?.close();
    services = undefined;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('every event emitted through services.events ends in the table with all its fields', async () => {
    const seen: SecurityEvent[] = [];
    const clock = manualClock(Date.UTC(2026, 2, 1));
    services = await createServices(testConfig(), { migrate: true, clock, securityListeners: [(e) => seen.push(e)] });
    SECURITY_EVENT_TYPES.forEach((type, i) => {
      clock.advance(1000);
      services!.events.emit(type, { ip: `203.0.113.${i}`, user_id: `u-${i}`, request_id: `req-${i}` }, SAMPLE_EVENT_DETAILS[type] as never);
    });
    services.events.emit('ADMIN_ACTION', {}, { action: 'no context' }, 'critical');
    await services.securityEvents.store.flush();

    const rows = await services.securityEvents.after(0, { limit: 1000 });
    // Whatever the detectors added is in the table too: the table is exactly the stream.
    expect(rows.map(({ id: _id, ...e }) => e)).toEqual(
      seen.map((e) => ({ time: e.time, type: e.type, severity: e.severity, ip: e.ip ?? null, user_id: e.user_id ?? null, request_id: e.request_id ?? null, details: e.details })),
    );
    expect(new Set(rows.map((r) => r.type))).toEqual(new Set(SECURITY_EVENT_TYPES));
    const last = rows[rows.length - 1]!;
    expect(last).toMatchObject({ type: 'ADMIN_ACTION', severity: 'critical', ip: null, user_id: null, request_id: null, details: { action: 'no context' } });
  });

  it('a burst of 50 000 events emitted synchronously loses none (SQLite file)', async () => {
    services = await createServices(testConfig({ DATABASE_URL: `sqlite:${join(dir, 'burst.db')}` }), { migrate: true });
    const store = services.securityEvents.store;
    const started = performance.now();
    for (let i = 0; i < 50_000; i++) services.events.emit('ADMIN_ACTION', { ip: '198.51.100.7', request_id: `r-${i}` }, { action: `burst-${i}` });
    const emitMs = performance.now() - started;
    expect(store.dropped()).toBe(0);
    await store.flush();
    const stored = await services.database.db
      .selectFrom('security_events')
      .where('type', '=', 'ADMIN_ACTION')
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.count<number>('request_id').distinct().as('distinct')])
      .executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBe(50_000);
    expect(Number(stored.distinct)).toBe(50_000);
    expect(store.dropped()).toBe(0);
    expect(store.pending()).toBe(0);
    // Emitting is only a push onto the queue (plus the log sink), never a write.
    expect(emitMs).toBeLessThan(5_000);
  });

  it('SECURITY_EVENT_QUEUE_MAX bounds the queue: the overflow is dropped, counted and logged once', async () => {
    const logs = logCapture();
    services = await createServices(testConfig({ SECURITY_EVENT_QUEUE_MAX: '100', LOG_LEVEL: 'warn' }), { migrate: true, logDestination: logs.stream });
    for (let i = 0; i < 1000; i++) services.events.emit('ADMIN_ACTION', {}, { action: `flood-${i}` });
    const store = services.securityEvents.store;
    expect(store.dropped()).toBe(900);
    await store.flush();
    expect(await services.database.db.selectFrom('security_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).toEqual({ n: 100 });
    // One warning when the streak starts, one with its count once the queue has drained.
    const warnings = logs.records().filter((r) => r.logger === 'security-events' && r.level === 'warn');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatchObject({ msg: expect.stringMatching(/queue full/), queue_max: 100 });
    expect(warnings[1]).toMatchObject({ msg: expect.stringMatching(/dropped 900 security event/), dropped: 900, dropped_total: 900 });
  });

  it('services.close() stores every queued event before the database closes', async () => {
    const file = join(dir, 'close.db');
    services = await createServices(testConfig({ DATABASE_URL: `sqlite:${file}` }), { migrate: true });
    for (let i = 0; i < 3_000; i++) services.events.emit('ADMIN_ACTION', {}, { action: `close-${i}` });
    expect(services.securityEvents.store.pending()).toBe(3_000);
    await services.close();
    services = undefined;
    const database = openDatabase({ kind: 'sqlite', url: `sqlite:${file}`, path: file, poolMax: 1, ssl: false, autoMigrate: true, allowSqliteInProduction: false });
    try {
      await migrateToLatest(database.db);
      const row = await database.db.selectFrom('security_events').where('type', '=', 'ADMIN_ACTION').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      expect(Number(row.n)).toBe(3_000);
    } finally {
      await database.close();
    }
  });

  it('a write failing on the real database keeps the events and stores them once the table is back', async () => {
    const logs = logCapture();
    services = await createServices(testConfig({ LOG_LEVEL: 'error' }), { migrate: true, logDestination: logs.stream });
    const sqlite = services.database.sqlite!;
    sqlite.exec('ALTER TABLE security_events RENAME TO security_events_away');
    for (let i = 0; i < 10; i++) services.events.emit('ADMIN_ACTION', {}, { action: `retry-${i}` });
    await expect(services.securityEvents.store.flush()).rejects.toThrow(/no such table/);
    expect(services.securityEvents.store.pending()).toBe(10);
    sqlite.exec('ALTER TABLE security_events_away RENAME TO security_events');
    // The store's own retry (1 s backoff) stores them, without a flush() from here.
    await vi.waitFor(() => expect(services!.securityEvents.store.pending()).toBe(0), { timeout: 5000, interval: 50 });
    const rows = await services.securityEvents.after(0, { types: ['ADMIN_ACTION'], limit: 100 });
    expect(rows.map((r) => (r.details as { action: string }).action)).toEqual(Array.from({ length: 10 }, (_, i) => `retry-${i}`));
    expect(services.securityEvents.store.dropped()).toBe(0);
    expect(logs.records().filter((r) => r.logger === 'security-events' && r.level === 'error')).toHaveLength(1);
  });
});
