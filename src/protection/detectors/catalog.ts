import type { Config, DetectorAction, DetectorKind } from '../../config/index.js';
import type { SecurityEvent } from '../../security-monitoring/events.js';

/** What detectors observe: security events, and 401/403 answers (not events of their own). */
export type Signal = SecurityEvent | { type: 'AUTH_ERROR'; ip?: string | undefined; status: number };
type SignalType = Signal['type'];

/** One sliding-window detector: a signal, the subject it counts per, and its threshold. */
export interface Detector {
  kind: DetectorKind | 'ip_failures' | 'rate_limit_abuse';
  on: SignalType;
  /** Counts per subject: an IP, a user, a session, or 'all'. undefined: the signal does not count. */
  subject(signal: Signal, ipKey: (ip: string) => string): string | undefined;
  /** Counts distinct members (accounts per IP) instead of occurrences. */
  member?(signal: Signal): string | undefined;
  /** Fires when the count within the window exceeds this. */
  above: number;
  windowMs: number;
  action: DetectorAction;
}

const ipOf = (s: Signal, key: (ip: string) => string) => (s.ip ? key(s.ip) : undefined);
const emailOf = (s: Signal) => (s.type === 'LOGIN_FAILED' ? s.details.email : undefined);

/**
 * The detectors, from configuration (defaults from seeds 000, 001 and 003). They are data, so
 * they live in one list; the engine (engine.ts) runs them.
 */
export function detectorsFrom(config: Config['protection']): Detector[] {
  const d = config.detectors;
  const spec = (kind: DetectorKind, fallback: DetectorAction) => ({ above: d[kind].points, windowMs: d[kind].windowMs, action: d[kind].action ?? fallback });
  return [
    { kind: 'brute_force_ip', on: 'LOGIN_FAILED', subject: ipOf, ...spec('brute_force_ip', 'block_ip') },
    // IP_BLOCK_THRESHOLD failures in an hour block (reaching it, so "above threshold − 1").
    { kind: 'ip_failures', on: 'LOGIN_FAILED', subject: ipOf, above: config.ipBlocks.hourlyThreshold - 1, windowMs: 3_600_000, action: 'block_ip' },
    { kind: 'rate_limit_abuse', on: 'RATE_LIMITED', subject: ipOf, above: config.ipBlocks.rateLimitThreshold - 1, windowMs: 3_600_000, action: 'block_ip' },
    { kind: 'brute_force_user', on: 'LOGIN_FAILED', subject: (s) => s.type === 'LOGIN_FAILED' ? (s.user_id ?? `email:${s.details.email}`) : undefined, ...spec('brute_force_user', 'notify') },
    { kind: 'failure_spike', on: 'LOGIN_FAILED', subject: () => 'all', ...spec('failure_spike', 'notify') },
    { kind: 'credential_stuffing', on: 'LOGIN_FAILED', subject: ipOf, member: emailOf, ...spec('credential_stuffing', 'block_ip') },
    { kind: 'registration_burst', on: 'REGISTERED', subject: ipOf, ...spec('registration_burst', 'notify') },
    { kind: 'rapid_refresh', on: 'TOKEN_REFRESHED', subject: (s) => (s.type === 'TOKEN_REFRESHED' ? s.details.family_id : undefined), ...spec('rapid_refresh', 'notify') },
    { kind: 'auth_error_spike', on: 'AUTH_ERROR', subject: ipOf, ...spec('auth_error_spike', 'notify') },
  ];
}
