import type { SecurityEventDetails, SecurityEventType } from '../../src/security-monitoring/events.js';

/** One of each event's details, with every optional field: the type makes a new required field fail `npm run typecheck`. */
export const SAMPLE_EVENT_DETAILS: { [T in SecurityEventType]: SecurityEventDetails[T] } = {
  LOGIN_SUCCEEDED: { email: 'ada@example.com' },
  LOGIN_FAILED: { email: 'ada@example.com', reason: 'wrong_password' },
  REGISTERED: { email: 'ada@example.com' },
  TOKEN_REFRESHED: { family_id: 'f-1', graced: false },
  REFRESH_REUSE_DETECTED: { family_id: 'f-1' },
  TOKEN_REVOKED: { reason: 'logout', jti: 'j-1', family_id: 'f-1', sessions: 1 },
  LOGOUT: { all: false, sessions: 1 },
  PASSWORD_CHANGED: { sessions_revoked: 0 },
  RATE_LIMITED: { policy: 'login_ip', limit: 5, window_seconds: 60, route: '/api/v1/auth/login' },
  IP_BLOCKED: { target: '203.0.113.7', reason: 'brute force', until: null, source: 'auto', offence: 1 },
  IP_UNBLOCKED: { target: '203.0.113.7', source: 'manual' },
  ACCOUNT_LOCKED: { email: 'ada@example.com', failures: 5, until: 0 },
  ACCOUNT_UNLOCKED: { email: 'ada@example.com', source: 'expired' },
  API_KEY_REJECTED: { prefix: 'vgl_abcdefgh', reason: 'unknown' },
  API_KEY_CREATED: { key_id: 'k-1', name: 'ci', scope: 'admin' },
  API_KEY_REVOKED: { key_id: 'k-1', name: 'ci' },
  SUSPICIOUS_ACTIVITY: { kind: 'credential_stuffing', evidence: { accounts: 12, window: '10m', blocked: true, note: null }, response: 'notify' },
  EMERGENCY_MODE_CHANGED: { enabled: true, source: 'cli', sessions_revoked: 3 },
  ADMIN_ACTION: { action: 'config.read', target: 'config', actor: 'u-1' },
};
