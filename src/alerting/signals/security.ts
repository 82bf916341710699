import type { SecurityEvent } from '../../security-monitoring/events.js';
import { KeyedWindow, Ring, slotsFor } from './ring.js';
import { scalar, type Signal, type SignalSource } from './types.js';

/** Detector kinds that mean someone is guessing passwords. */
const BRUTE_FORCE_KINDS = new Set(['brute_force_ip', 'brute_force_user', 'credential_stuffing']);

/** Counts kept per interval from the security event stream. */
function counter(name: string, help: string, intervalMs: number, capacity: number) {
  const ring = new Ring(capacity);
  let current = 0;
  const perSecond: Signal = {
    name: `${name}_per_second`,
    help: `${help} per second over the window.`,
    windowed: true,
    read: (w) => (ring.filled > 0 ? scalar(ring.sum(slotsFor(w, intervalMs)) / (w / 1000)) : []),
  };
  const count: Signal = { name, help: `${help} within the window.`, windowed: true, read: (w) => (ring.filled > 0 ? scalar(ring.sum(slotsFor(w, intervalMs))) : []) };
  return {
    signals: [count, perSecond],
    add: () => void current++,
    close: () => {
      ring.push(current);
      current = 0;
    },
  };
}

/** Counts per key (ip, user_id) over each window a rule asks for. */
function keyed(name: string, help: string, key: string, intervalMs: number) {
  const windows = new Map<number, KeyedWindow>();
  let current = new Map<string, number>();
  const signal: Signal = {
    name,
    help,
    windowed: true,
    key,
    prepare(windowMs) {
      if (!windows.has(windowMs)) windows.set(windowMs, new KeyedWindow(slotsFor(windowMs, intervalMs)));
    },
    read(windowMs) {
      const window = windows.get(windowMs);
      if (!window) return [];
      return [...window.totals].map(([k, value]) => ({ labels: { [key]: k }, value }));
    },
  };
  return {
    signal,
    add: (k: string) => void current.set(k, (current.get(k) ?? 0) + 1),
    close: () => {
      for (const w of windows.values()) w.push(current);
      current = new Map();
    },
  };
}

/**
 * Failed logins (total, per IP, per account), rate-limit violations, brute-force detections and
 * blocked IPs: from the typed security events (never log lines) and protection's in-memory list.
 */
export function securitySignals(deps: { intervalMs: number; maxWindowMs: number; blockedIps: () => number }): SignalSource {
  const { intervalMs } = deps;
  const capacity = slotsFor(deps.maxWindowMs, intervalMs);
  const failed = counter('failed_logins', 'Failed logins', intervalMs, capacity);
  const limited = counter('rate_limit_violations', 'Requests refused by a rate limit', intervalMs, capacity);
  const perIp = keyed('failed_logins_per_ip', 'Failed logins from each client IP within the window (label ip).', 'ip', intervalMs);
  const perUser = keyed('failed_logins_per_user', 'Failed logins against each existing account within the window (label user_id).', 'user_id', intervalMs);
  const bruteForce = keyed('brute_force_detections', 'Brute-force and credential-stuffing detections per client IP within the window (label ip).', 'ip', intervalMs);
  const parts = [failed, limited, perIp, perUser, bruteForce];
  return {
    signals: [
      ...failed.signals,
      ...limited.signals,
      perIp.signal,
      perUser.signal,
      bruteForce.signal,
      { name: 'blocked_ips', help: 'IP addresses and ranges blocked now.', windowed: false, read: () => scalar(deps.blockedIps()) },
    ],
    observe(e: SecurityEvent) {
      if (e.type === 'LOGIN_FAILED') {
        failed.add();
        if (e.ip) perIp.add(e.ip);
        if (e.user_id) perUser.add(e.user_id);
      } else if (e.type === 'RATE_LIMITED') {
        limited.add();
      } else if (e.type === 'SUSPICIOUS_ACTIVITY' && BRUTE_FORCE_KINDS.has(e.details.kind)) {
        bruteForce.add(e.ip ?? 'unknown');
      }
    },
    sample() {
      for (const p of parts) p.close();
    },
  };
}
