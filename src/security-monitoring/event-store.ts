import type { Logger } from '../observability/logger.js';
import { systemClock, type Clock } from '../shared/clock.js';
import type { SecurityEvent } from './events.js';
import type { SecurityEventRepository } from './ports.js';

/** The batching writer of the security event log: a listener of the event stream. */
export interface SecurityEventStore {
  /**
   * Queues an event for the next batch. Never waits and never throws: it is called on the request
   * path, inside `events.emit`. A full queue drops the event, counts it and logs it (see dropped()).
   */
  readonly record: (event: SecurityEvent) => void;
  /** Stores every event queued before the call; rejects (keeping them queued) if the database fails. */
  flush(): Promise<void>;
  /**
   * Stops the timers and stores everything queued, retrying a failing database until
   * `closeTimeoutMs`; what is still unstored then is counted as dropped and logged.
   */
  close(): Promise<void>;
  /** Events lost so far: queue full, refused by the database, or unstored at close. */
  dropped(): number;
  /** Events waiting to be stored. */
  pending(): number;
}

export interface SecurityEventStoreDeps {
  repo: Pick<SecurityEventRepository, 'insertMany'>;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Most events held in memory (SECURITY_EVENT_QUEUE_MAX). */
  queueMax: number;
  clock?: Clock;
  /** A partial batch waits at most this long (default 200 ms). */
  flushIntervalMs?: number;
  /** This many queued events start a write at once (default 1000). */
  batchSize?: number;
  /**
   * Most events per write, in one transaction (default 5000). A backlog is written in large
   * transactions: on SQLite a transaction costs roughly its dirtied index pages, so five
   * thousand rows cost far less than five writes of a thousand.
   */
  maxBatch?: number;
  /** First retry after a failed write; doubles per failure up to retryMaxMs (defaults 1 s, 30 s). */
  retryDelayMs?: number;
  retryMaxMs?: number;
  /** How long close() keeps retrying a failing database (default 5 s). */
  closeTimeoutMs?: number;
}

/** Consecutive failed writes after which rows are written one by one, to find one the database refuses. */
const ISOLATE_AFTER = 3;
/** Rows written one by one in such a pass. */
const ISOLATE_ROWS = 1000;
/** An ongoing drop or failure streak is logged again after this long. */
const REMIND_MS = 60_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Writes security events off the request path: `record` appends to a bounded in-memory queue; a
 * single writer stores batches every `flushIntervalMs`, or at once when `batchSize` are waiting,
 * one write at a time. A failed write keeps its events and is retried with backoff; the failure is
 * logged once per streak (and again every minute while it lasts).
 */
export function createSecurityEventStore(deps: SecurityEventStoreDeps): SecurityEventStore {
  const { repo, logger: log, queueMax } = deps;
  const clock = deps.clock ?? systemClock;
  const flushIntervalMs = deps.flushIntervalMs ?? 200;
  const batchSize = deps.batchSize ?? 1000;
  const maxBatch = Math.max(batchSize, deps.maxBatch ?? 5000);
  const retryDelayMs = deps.retryDelayMs ?? 1000;
  const retryMaxMs = deps.retryMaxMs ?? 30_000;
  const closeTimeoutMs = deps.closeTimeoutMs ?? 5000;

  // Events leave the queue from the front, only in the writer, and only once stored (or refused).
  const queue: SecurityEvent[] = [];
  let accepted = 0; // events ever queued
  let settled = 0; // events ever taken off the queue (stored or refused)
  let droppedTotal = 0;

  let writing: Promise<boolean> | undefined;
  let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  let timerKind: 'tick' | 'now' | 'retry' | undefined;
  let closed = false;
  let closing: Promise<void> | undefined;

  let failures = 0;
  let lastError: unknown;
  let failureLoggedAt = 0;
  let dropStreak = 0;
  let dropLoggedAt = 0;

  function endDropStreak(): void {
    if (dropStreak === 0) return;
    log.warn({ dropped: dropStreak, dropped_total: droppedTotal, queue_max: queueMax }, `dropped ${dropStreak} security event(s) while the event queue was full`);
    dropStreak = 0;
  }

  function drop(count: number, why: string): void {
    droppedTotal += count;
    const first = dropStreak === 0;
    dropStreak += count;
    const now = clock.now();
    if (first || now - dropLoggedAt >= REMIND_MS) {
      dropLoggedAt = now;
      log.warn({ dropped: dropStreak, dropped_total: droppedTotal, queue_max: queueMax, pending: queue.length }, why);
    }
  }

  function cancelTimer(): void {
    if (timer === undefined) return;
    if (timerKind === 'now') clearImmediate(timer as NodeJS.Immediate);
    else clearTimeout(timer as NodeJS.Timeout);
    timer = undefined;
    timerKind = undefined;
  }

  function fire(): void {
    timer = undefined;
    timerKind = undefined;
    void write();
  }

  /** Schedules the next write: at once for a full batch, after a tick for a partial one, after a backoff when failing. */
  function arm(): void {
    if (closed || writing !== undefined || queue.length === 0) return;
    const kind = failures > 0 ? 'retry' : queue.length >= batchSize ? 'now' : 'tick';
    if (timer !== undefined) {
      if (!(kind === 'now' && timerKind === 'tick')) return;
      cancelTimer();
    }
    timerKind = kind;
    if (kind === 'now') timer = setImmediate(fire).unref();
    else timer = setTimeout(fire, kind === 'tick' ? flushIntervalMs : backoff()).unref();
  }

  const backoff = () => Math.min(retryMaxMs, retryDelayMs * 2 ** Math.max(0, failures - 1));

  async function writeBatch(): Promise<void> {
    const n = Math.min(queue.length, maxBatch);
    await repo.insertMany(queue.slice(0, n));
    queue.splice(0, n);
    settled += n;
  }

  /**
   * Row by row, to tell one row the database refuses (dropped, so it cannot block the log forever)
   * from a database that refuses everything (every row kept).
   */
  async function isolate(): Promise<void> {
    for (let i = 0; i < ISOLATE_ROWS && queue.length > 0; i++) {
      try {
        await repo.insertMany([queue[0]!]);
        queue.shift();
        settled++;
      } catch (e) {
        const next = queue[1];
        if (next === undefined) throw e;
        await repo.insertMany([next]); // throws when the database is what fails
        const [refused] = queue.splice(0, 2);
        settled += 2;
        log.error({ err: e, event: refused?.type, time: refused?.time }, 'the database refused a security event; dropping that event');
        drop(1, 'a security event was refused by the database and dropped');
        endDropStreak();
      }
    }
  }

  /** One write (never two at once). Resolves true when it stored something or there was nothing to store. */
  function write(): Promise<boolean> {
    if (writing !== undefined) return writing;
    cancelTimer();
    writing = (async () => {
      if (queue.length === 0) return true;
      try {
        await (failures >= ISOLATE_AFTER ? isolate() : writeBatch());
        if (failures > 0) log.info({ failed_attempts: failures, pending: queue.length }, 'storing security events works again');
        failures = 0;
        if (dropStreak > 0 && queue.length < queueMax / 2) endDropStreak();
        return true;
      } catch (e) {
        failures++;
        lastError = e;
        const now = clock.now();
        if (failures === 1 || now - failureLoggedAt >= REMIND_MS) {
          failureLoggedAt = now;
          log.error({ err: e, failed_attempts: failures, pending: queue.length }, 'storing security events failed; they are kept and retried');
        }
        return false;
      }
    })().finally(() => {
      writing = undefined;
      arm();
    });
    return writing;
  }

  const record = (event: SecurityEvent): void => {
    if (closed) {
      drop(1, 'security event recorded after the event store closed; dropped');
      return;
    }
    if (queue.length >= queueMax) {
      drop(1, 'security event queue full: dropping events until it drains');
      return;
    }
    queue.push(event);
    accepted++;
    if (timer === undefined ? writing === undefined : timerKind === 'tick' && queue.length >= batchSize) arm();
  };

  return {
    record,

    async flush() {
      const target = accepted;
      while (settled < target) {
        if (!(await write())) throw lastError;
      }
    },

    close() {
      closing ??= (async () => {
        closed = true;
        cancelTimer();
        // Wall time, not the injected clock: a frozen test clock must not make close() wait forever.
        const deadline = performance.now() + closeTimeoutMs;
        while (queue.length > 0) {
          if (await write()) continue;
          const left = deadline - performance.now();
          if (left <= 0) break;
          await sleep(Math.min(backoff(), left));
        }
        if (queue.length > 0) {
          const lost = queue.length;
          queue.length = 0;
          settled += lost;
          log.error({ err: lastError, lost }, `${lost} security event(s) could not be stored before shutdown`);
          droppedTotal += lost;
        }
        endDropStreak();
      })();
      return closing;
    },

    dropped: () => droppedTotal,
    pending: () => queue.length,
  };
}
