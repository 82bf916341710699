import { BrokenCircuitError, ConsecutiveBreaker, ExponentialBackoff, circuitBreaker, handleWhen, timeout, TimeoutStrategy, TaskCancelledError, wrap, type IPolicy } from 'cockatiel';
import type { Logger } from '../observability/logger.js';
import type { Clock } from '../shared/clock.js';
import type { NotificationMessage } from './message.js';
import type { OutboxRecord, OutboxRepository } from './ports.js';
import { DeliveryError, type Receiver } from './receivers/types.js';

export interface OutboxConfig {
  maxAttempts: number;
  /** First retry delay; doubles (with jitter) up to maxDelayMs. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** Per-attempt timeout. */
  timeoutMs: number;
  /** Consecutive failures that open a receiver's circuit, and how long it stays open. */
  breakerThreshold: number;
  breakerHalfOpenMs: number;
  /** How often due notifications are looked for. */
  pollMs: number;
}

/** The delay before attempt `attempt + 1`: cockatiel's exponential backoff with decorrelated jitter. */
export function retryDelay(attempt: number, config: Pick<OutboxConfig, 'initialDelayMs' | 'maxDelayMs'>): number {
  let backoff = new ExponentialBackoff({ initialDelay: config.initialDelayMs, maxDelay: config.maxDelayMs }).next();
  for (let i = 1; i < attempt; i++) backoff = backoff.next(undefined);
  return Math.min(config.maxDelayMs, Math.max(1, Math.round(backoff.duration)));
}

/**
 * The durable notification outbox: every notification is stored before it is sent, then
 * delivered at least once, in order per receiver and group, with retries (exponential backoff,
 * jitter, Retry-After), a per-receiver circuit breaker and a timeout per attempt. A claim is a
 * lease in the database, so a crash or restart leaves nothing behind: the row is taken up again.
 * After maxAttempts a notification is dead-lettered (kept, listed, and counted by an alert).
 */
export interface Outbox {
  enqueue(message: NotificationMessage, idempotencyKey: string): Promise<boolean>;
  /** Delivers everything due now; resolves when this pass is done. */
  drain(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

export function createOutbox(deps: {
  repo: OutboxRepository;
  receivers: ReadonlyMap<string, Receiver>;
  clock: Clock;
  config: OutboxConfig;
  logger: Logger;
  onDeadLetter?: (record: OutboxRecord) => void;
  onDelivered?: (record: OutboxRecord, attempts: number) => void;
}): Outbox {
  const { repo, clock, config, logger } = deps;
  const policies = new Map<string, IPolicy>();
  const policyFor = (name: string) => {
    let policy = policies.get(name);
    if (!policy) {
      const breaker = circuitBreaker(
        handleWhen((e) => !(e instanceof DeliveryError) || e.retryable),
        { halfOpenAfter: config.breakerHalfOpenMs, breaker: new ConsecutiveBreaker(config.breakerThreshold) },
      );
      policy = wrap(breaker, timeout(config.timeoutMs, TimeoutStrategy.Aggressive));
      policies.set(name, policy);
    }
    return policy;
  };
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let again = false;

  async function deliver(row: OutboxRecord): Promise<void> {
    const receiver = deps.receivers.get(row.receiver);
    const attempts = row.attempts + 1;
    if (!receiver) {
      await repo.markDead(row.id, attempts, `receiver "${row.receiver}" is not configured`);
      deps.onDeadLetter?.(row);
      return;
    }
    const message = JSON.parse(row.payload) as NotificationMessage;
    try {
      await policyFor(receiver.name).execute(({ signal }) => receiver.send(message, { idempotencyKey: row.idempotency_key, signal }));
      await repo.markSent(row.id, attempts, clock.now());
      deps.onDelivered?.(row, attempts);
    } catch (e) {
      const now = clock.now();
      if (e instanceof BrokenCircuitError) {
        // The receiver's circuit is open: not an attempt; look again when it half-opens.
        await repo.reschedule(row.id, row.attempts, now + config.breakerHalfOpenMs, `${receiver.name}: circuit open`);
        return;
      }
      const error = e instanceof DeliveryError ? e.message : e instanceof TaskCancelledError ? `${receiver.name}: timed out after ${config.timeoutMs} ms` : `${receiver.name}: ${(e as Error).name}`;
      const retryable = !(e instanceof DeliveryError) || e.retryable;
      if (!retryable || attempts >= config.maxAttempts) {
        await repo.markDead(row.id, attempts, error);
        logger.error({ receiver: receiver.name, outbox_id: row.id, attempts, error }, 'notification dead-lettered');
        deps.onDeadLetter?.(row);
        return;
      }
      const wait = Math.max(retryDelay(attempts, config), e instanceof DeliveryError ? (e.retryAfterMs ?? 0) : 0);
      await repo.reschedule(row.id, attempts, now + wait, error);
      logger.warn({ receiver: receiver.name, outbox_id: row.id, attempts, retry_in_ms: wait, error }, 'notification delivery failed; will retry');
    }
  }

  async function pass(): Promise<number> {
    let delivered = 0;
    for (;;) {
      const due = await repo.claimDue(clock.now(), config.timeoutMs * 2 + 5_000, 20);
      if (due.length === 0) return delivered;
      await Promise.all(due.map((row) => deliver(row)));
      delivered += due.length;
    }
  }

  async function drain(): Promise<number> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let n = 0;
      do {
        again = false;
        n += await pass();
      } while (again);
      return n;
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  const kick = () => void drain().catch((e: unknown) => logger.error({ err: e }, 'outbox pass failed'));

  return {
    async enqueue(message, idempotencyKey) {
      const now = clock.now();
      const stored = await repo.enqueue({ idempotency_key: idempotencyKey, receiver: message.receiver, group_key: message.groupKey, kind: message.kind, payload: JSON.stringify(message), created_at: now, next_attempt_at: now });
      if (stored && timer) kick();
      return stored;
    },
    drain,
    start() {
      timer = setInterval(kick, config.pollMs);
      timer.unref();
      kick();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running?.catch(() => undefined);
    },
  };
}
