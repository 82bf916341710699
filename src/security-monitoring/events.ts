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
  API_KEY_REJECTED: { prefix: string | null; reason: 'unknown' | 'revoked' | 'expired' };
  API_KEY_CREATED: { key_id: string; name: string; scope: string };
  API_KEY_REVOKED: { key_id: string; name: string };
  ADMIN_ACTION: { action: string; target?: string };
}

export type SecurityEventType = keyof SecurityEventDetails;
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
  API_KEY_REJECTED: 'low',
  API_KEY_CREATED: 'medium',
  API_KEY_REVOKED: 'medium',
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
