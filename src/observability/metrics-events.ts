import type { SecurityEvent } from '../security-monitoring/events.js';
import type { AuthResult, LimitType, Metrics } from './metrics.js';

const LAYERS: ReadonlySet<string> = new Set(['global', 'ip', 'user']);

/** `locked` and `blocked` are refusals that never looked at the password; the rest are failures. */
function loginResult(reason: Extract<SecurityEvent, { type: 'LOGIN_FAILED' }>['details']['reason']): AuthResult {
  if (reason === 'locked') return 'locked';
  if (reason === 'emergency_mode') return 'blocked';
  return 'failure';
}

/**
 * A security-event listener that counts: every event by type, password logins by result,
 * registrations, and rate-limit refusals by layer. It reads only the type and closed-set
 * details, never an email, an address or a user id.
 */
export function countSecurityEvents(metrics: Metrics): (event: SecurityEvent) => void {
  return (event) => {
    metrics.securityEvents.inc({ type: event.type });
    switch (event.type) {
      case 'LOGIN_SUCCEEDED':
        metrics.authAttempts.inc({ method: 'password', result: 'success' });
        break;
      case 'LOGIN_FAILED':
        metrics.authAttempts.inc({ method: 'password', result: loginResult(event.details.reason) });
        break;
      case 'REGISTERED':
        metrics.registrations.inc();
        break;
      case 'RATE_LIMITED': {
        // Policies are the layers or a route limit's name (login, register, …).
        const limitType: LimitType = LAYERS.has(event.details.policy) ? (event.details.policy as LimitType) : 'route';
        metrics.rateLimitExceeded.inc({ limit_type: limitType });
        break;
      }
      default:
        break;
    }
  };
}
