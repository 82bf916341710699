/**
 * The closed vocabulary of security events. Each is emitted where the decision is made, with
 * typed details; detectors, alerts and the audit log consume these, never log strings.
 * Documented in docs/security-events.md.
 */
export interface SecurityEventDetails {
  LOGIN_SUCCEEDED: { email: string };
  LOGIN_FAILED: { email: string; reason: 'unknown_email' | 'wrong_password' | 'disabled' | 'locked' | 'emergency_mode' };
  REGISTERED: { email: string };
  TOKEN_REFRESHED: { family_id: string; graced: boolean };
  REFRESH_REUSE_DETECTED: { family_id: string };
  TOKEN_REVOKED: { reason: string; jti?: string; family_id?: string; sessions?: number };
  LOGOUT: { all: boolean; sessions: number };
  PASSWORD_CHANGED: { sessions_revoked: number };
  RATE_LIMITED: { policy: string; limit: number; window_seconds: number; route: string };
  IP_BLOCKED: { target: string; reason: string; until: number | null; source: 'auto' | 'manual'; offence: number };
  IP_UNBLOCKED: { target: string; source: 'expired' | 'manual' };
  ACCOUNT_LOCKED: { email: string; failures: number; until: number };
  ACCOUNT_UNLOCKED: { email: string; source: 'expired' | 'manual' | 'login' };
  API_KEY_REJECTED: { prefix: string | null; reason: 'unknown' | 'revoked' | 'expired' };
  API_KEY_CREATED: { key_id: string; name: string; scope: string };
  API_KEY_REVOKED: { key_id: string; name: string };
  SUSPICIOUS_ACTIVITY: { kind: string; evidence: Record<string, string | number | boolean | null>; response: 'block_ip' | 'lock_account' | 'notify' };
  EMERGENCY_MODE_CHANGED: { enabled: boolean; source: 'config' | 'cli' | 'admin_api'; sessions_revoked?: number };
  ADMIN_ACTION: { action: string; target?: string; actor?: string };
}

export type SecurityEventType = keyof SecurityEventDetails;

/** Every type, in documentation order (docs/security-events.md lists each). */
export const SECURITY_EVENT_TYPES = [
  'LOGIN_SUCCEEDED', 'LOGIN_FAILED', 'REGISTERED', 'TOKEN_REFRESHED', 'REFRESH_REUSE_DETECTED', 'TOKEN_REVOKED', 'LOGOUT',
  'PASSWORD_CHANGED', 'RATE_LIMITED', 'IP_BLOCKED', 'IP_UNBLOCKED', 'ACCOUNT_LOCKED', 'ACCOUNT_UNLOCKED', 'API_KEY_REJECTED',
  'API_KEY_CREATED', 'API_KEY_REVOKED', 'SUSPICIOUS_ACTIVITY', 'EMERGENCY_MODE_CHANGED', 'ADMIN_ACTION',
] as const satisfies readonly SecurityEventType[];
export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';

export const DEFAULT_SEVERITY: Record<SecurityEventType, Severity> = {
  LOGIN_SUCCEEDED: 'info',
  LOGIN_FAILED: 'low',
  REGISTERED: 'info',
  TOKEN_REFRESHED: 'info',
  REFRESH_REUSE_DETECTED: 'high',
  TOKEN_REVOKED: 'info',
  LOGOUT: 'info',
  PASSWORD_CHANGED: 'medium',
  RATE_LIMITED: 'low',
  IP_BLOCKED: 'high',
  IP_UNBLOCKED: 'medium',
  ACCOUNT_LOCKED: 'high',
  ACCOUNT_UNLOCKED: 'medium',
  API_KEY_REJECTED: 'low',
  API_KEY_CREATED: 'medium',
  API_KEY_REVOKED: 'medium',
  SUSPICIOUS_ACTIVITY: 'high',
  EMERGENCY_MODE_CHANGED: 'critical',
  ADMIN_ACTION: 'medium',
};

/** Who and where: the request context of a decision. */
export interface EventContext {
  ip?: string | undefined;
  user_id?: string | undefined;
  request_id?: string | undefined;
}

export type SecurityEvent = {
  [T in SecurityEventType]: EventContext & { type: T; time: number; severity: Severity; details: SecurityEventDetails[T] };
}[SecurityEventType];

/** Where decisions report their events. */
export interface SecurityEvents {
  emit<T extends SecurityEventType>(type: T, context: EventContext, details: SecurityEventDetails[T], severity?: Severity): void;
}
