import type { AlertHistoryTable, AlertOutboxTable, AlertSilencesTable, LatencyColumn, SloMinutesTable } from '../storage/schema-alerting.js';

export type AlertHistoryRecord = AlertHistoryTable;
export type SilenceRecord = AlertSilencesTable;
export type OutboxRecord = Omit<AlertOutboxTable, 'id'> & { id: number };
export type NewOutboxRecord = Pick<OutboxRecord, 'idempotency_key' | 'receiver' | 'group_key' | 'kind' | 'payload' | 'created_at' | 'next_attempt_at'>;
/** One minute of one instance; the latency buckets are 0 when not given (no metrics). */
export type SloMinute = Omit<SloMinutesTable, LatencyColumn> & Partial<Pick<SloMinutesTable, LatencyColumn>>;
export type SloTotals = Omit<SloMinutesTable, 'minute' | 'instance' | LatencyColumn> & { minutes: number };
/** One bucket of a time series: the counters summed over its minutes and instances, latency buckets included. */
export type SloBucket = Omit<SloMinutesTable, 'minute' | 'instance'> & { t: number };

/** Alert instances as they fired and resolved. */
export interface AlertHistoryRepository {
  insert(record: AlertHistoryRecord): Promise<void>;
  /** Closes the open row of a fingerprint; false when none was open. */
  resolve(fingerprint: string, at: number): Promise<boolean>;
  listOpen(): Promise<AlertHistoryRecord[]>;
  /** Newest first, fired at or after `since`. */
  list(options: { since?: number; limit: number }): Promise<AlertHistoryRecord[]>;
}

export interface SilenceRepository {
  insert(record: SilenceRecord): Promise<void>;
  /** Silences not yet ended at `now` (also those that start later). */
  listCurrent(now: number): Promise<SilenceRecord[]>;
  /** Ends a silence now; false when it does not exist or already ended. */
  expire(id: string, now: number): Promise<boolean>;
}

/** The durable notification outbox. */
export interface OutboxRepository {
  /** Stores a notification; false when its idempotency key is already there (nothing stored). */
  enqueue(record: NewOutboxRecord): Promise<boolean>;
  /**
   * Claims up to `limit` due notifications for `leaseMs`: for each receiver and group only the
   * oldest pending one, so a group's notifications go out in order. Atomic against other workers.
   */
  claimDue(now: number, leaseMs: number, limit: number): Promise<OutboxRecord[]>;
  markSent(id: number, attempts: number, now: number): Promise<void>;
  reschedule(id: number, attempts: number, nextAttemptAt: number, error: string): Promise<void>;
  markDead(id: number, attempts: number, error: string): Promise<void>;
  list(options: { status?: OutboxRecord['status']; limit: number }): Promise<OutboxRecord[]>;
  counts(): Promise<Record<OutboxRecord['status'], number>>;
  /** Deletes sent rows delivered before `before`; returns how many. */
  pruneSent(before: number): Promise<number>;
}

export interface SloRepository {
  /** Adds to a minute's counters of one instance (created when missing). */
  add(row: SloMinute): Promise<void>;
  /** Sums over [since, until): the minutes kept, plus the daily totals (`slo_days`) of the days that start in it. */
  totals(since: number, until: number): Promise<SloTotals>;
  /**
   * Sums per bucket of `bucketMs` (aligned to the epoch: UTC days for a day) over [since, until); buckets without rows are absent.
   * Buckets of whole days include the daily totals of days whose minutes have expired; finer buckets read minutes only.
   */
  series(since: number, until: number, bucketMs: number): Promise<SloBucket[]>;
}
