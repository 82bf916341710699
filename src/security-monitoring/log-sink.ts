import type { Clock } from '../shared/clock.js';
import { maskEmail, type Logger } from '../observability/logger.js';
import { DEFAULT_SEVERITY, type SecurityEvent, type SecurityEvents } from './events.js';

const LEVEL = { info: 'info', low: 'info', medium: 'warn', high: 'warn', critical: 'error' } as const;

/** The greppable marker the seeds' runbooks search for, e.g. `FAILED_LOGIN email=a***@x.io ip=… reason=…`. */
function marker(event: SecurityEvent, pii: boolean): string {
  const ip = event.ip ?? 'unknown';
  switch (event.type) {
    case 'LOGIN_FAILED':
      return `FAILED_LOGIN email=${maskEmail(event.details.email, pii)} ip=${ip} reason=${event.details.reason}`;
    case 'LOGIN_SUCCEEDED':
      return `LOGIN_SUCCESS email=${maskEmail(event.details.email, pii)} ip=${ip}`;
    case 'REFRESH_REUSE_DETECTED':
      return `REFRESH_TOKEN_REUSE family=${event.details.family_id} ip=${ip}`;
    case 'API_KEY_REJECTED':
      return `API_KEY_REJECTED prefix=${event.details.prefix ?? 'none'} ip=${ip} reason=${event.details.reason}`;
    case 'RATE_LIMITED':
      return `RATE_LIMIT_VIOLATION ip=${ip} endpoint=${event.details.route} policy=${event.details.policy}`;
    case 'IP_BLOCKED':
      return `IP_BLOCKED target=${event.details.target} reason=${event.details.reason} source=${event.details.source}`;
    case 'IP_UNBLOCKED':
      return `IP_UNBLOCKED target=${event.details.target} source=${event.details.source}`;
    case 'ACCOUNT_LOCKED':
      return `ACCOUNT_LOCKED email=${maskEmail(event.details.email, pii)} failures=${event.details.failures} ip=${ip}`;
    case 'ACCOUNT_UNLOCKED':
      return `ACCOUNT_UNLOCKED email=${maskEmail(event.details.email, pii)} source=${event.details.source}`;
    case 'SUSPICIOUS_ACTIVITY':
      return `SUSPICIOUS_ACTIVITY type=${event.details.kind} ip=${ip} response=${event.details.response}`;
    case 'EMERGENCY_MODE_CHANGED':
      return `EMERGENCY_MODE ${event.details.enabled ? 'ON' : 'OFF'} source=${event.details.source}`;
    default:
      return `${event.type} ip=${ip}`;
  }
}

/** Emits each event on the `security` logger. The security-event store (issue 3) adds persistence. */
export function createLogSecurityEvents(deps: { logger: Logger; clock: Clock; pii: boolean; listeners?: ((e: SecurityEvent) => void)[] }): SecurityEvents {
  return {
    emit(type, context, details, severity) {
      const event = { type, time: deps.clock.now(), severity: severity ?? DEFAULT_SEVERITY[type], ...context, details } as SecurityEvent;
      const logged = 'email' in event.details ? { ...event.details, email: maskEmail(event.details.email, deps.pii) } : event.details;
      deps.logger[LEVEL[event.severity]](
        { event: type, severity: event.severity, ip: event.ip, user_id: event.user_id, request_id: event.request_id, details: logged },
        marker(event, deps.pii),
      );
      for (const listener of deps.listeners ?? []) listener(event);
    },
  };
}
