import type { Logger } from '../../observability/logger.js';
import type { SecurityEvents } from '../../security-monitoring/events.js';
import type { Clock } from '../../shared/clock.js';
import type { KeyValueStore } from '../../storage/kv/ports.js';
import type { Detector, Signal } from './catalog.js';

/** What a firing detector may do besides reporting SUSPICIOUS_ACTIVITY. */
export interface Responses {
  blockIp(ip: string, reason: string): Promise<boolean>;
  lockAccount(account: { id: string; email: string }, reason: string): Promise<boolean>;
}

/**
 * Runs the detectors over the signal stream, off the request path. Counters live in the shared
 * key-value store, so with Redis the windows span every instance. A window is estimated from two
 * fixed buckets (the current one, plus the previous weighted by how much of it still overlaps),
 * which is exact for bursts and never more than one bucket's worth off.
 */
export interface DetectorEngine {
  observe(signal: Signal): void;
  /** Resolves once every signal observed so far has been processed (tests, shutdown). */
  idle(): Promise<void>;
  /** Clears the counters of a subject (after a manual unblock, so it is not re-blocked at once). */
  forget(subject: string): Promise<void>;
  detectors(): readonly Detector[];
}

export function createDetectorEngine(deps: {
  detectors: Detector[];
  kv: KeyValueStore;
  clock: Clock;
  events: SecurityEvents;
  responses: Responses;
  ipKey: (ip: string) => string;
  logger: Logger;
}): DetectorEngine {
  const { kv, clock, events, responses } = deps;
  const byType = new Map<string, Detector[]>();
  for (const d of deps.detectors) byType.set(d.on, [...(byType.get(d.on) ?? []), d]);
  const pending = new Set<Promise<void>>();
  let failing = false;

  async function count(d: Detector, subject: string, member: string | undefined, now: number): Promise<number> {
    const base = `det:${d.kind}:${subject}`;
    if (member !== undefined) return kv.addToSet(base, member, d.windowMs);
    const bucket = Math.floor(now / d.windowMs);
    const { count: current } = await kv.increment(`${base}:${bucket}`, d.windowMs * 2);
    const previous = Number((await kv.get(`${base}:${bucket - 1}`)) ?? 0);
    const overlap = 1 - (now - bucket * d.windowMs) / d.windowMs;
    return current + Math.floor(previous * overlap);
  }

  async function run(d: Detector, signal: Signal): Promise<void> {
    const subject = d.subject(signal, deps.ipKey);
    if (subject === undefined) return;
    const member = d.member?.(signal);
    if (d.member && member === undefined) return;
    const now = clock.now();
    const n = await count(d, subject, member, now);
    if (n <= d.above) return;
    // Once per window per subject, however many instances see the burst.
    const { count: firing } = await kv.increment(`det:fired:${d.kind}:${subject}`, d.windowMs);
    if (firing !== 1) return;
    let response = d.action;
    if (response === 'block_ip') {
      if (!signal.ip || !(await responses.blockIp(signal.ip, d.kind))) response = 'notify';
    } else if (response === 'lock_account') {
      const account = signal.type === 'LOGIN_FAILED' && signal.user_id ? { id: signal.user_id, email: signal.details.email } : undefined;
      if (!account || !(await responses.lockAccount(account, d.kind))) response = 'notify';
    }
    const context = 'request_id' in signal ? { ip: signal.ip, user_id: signal.user_id, request_id: signal.request_id } : { ip: signal.ip };
    events.emit('SUSPICIOUS_ACTIVITY', context, {
      kind: d.kind,
      evidence: { subject, count: n, threshold: d.above, window_seconds: Math.round(d.windowMs / 1000) },
      response,
    });
  }

  return {
    observe(signal) {
      for (const d of byType.get(signal.type) ?? []) {
        const job = run(d, signal)
          .then(() => {
            failing = false;
          })
          .catch((e: unknown) => {
            if (!failing) deps.logger.error({ err: e, detector: d.kind }, 'detector failed');
            failing = true;
          })
          .finally(() => pending.delete(job));
        pending.add(job);
      }
    },
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    async forget(subject) {
      const now = clock.now();
      for (const d of deps.detectors) {
        const base = `det:${d.kind}:${subject}`;
        const bucket = Math.floor(now / d.windowMs);
        await Promise.all([kv.delete(base), kv.delete(`${base}:${bucket}`), kv.delete(`${base}:${bucket - 1}`), kv.delete(`det:fired:${d.kind}:${subject}`)]);
      }
    },
    detectors: () => deps.detectors,
  };
}
