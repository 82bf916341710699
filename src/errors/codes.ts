/**
 * The closed set of error codes Vigil answers with. Each maps once to an HTTP status and a
 * title; domain code raises `AppError` with a code and never picks a status itself.
 * Every code is documented in docs/errors.md (a test keeps the two in step).
 */
export const ERROR_CODES = {
  validation_failed: { status: 400, title: 'Request validation failed' },
  malformed_request: { status: 400, title: 'Malformed request' },
  untrusted_host: { status: 400, title: 'Untrusted host' },
  weak_password: { status: 400, title: 'Password does not meet the policy' },
  invalid_credentials: { status: 401, title: 'Invalid credentials' },
  unauthenticated: { status: 401, title: 'Authentication required' },
  invalid_token: { status: 401, title: 'Invalid or expired token' },
  invalid_refresh_token: { status: 401, title: 'Invalid refresh token' },
  invalid_api_key: { status: 401, title: 'Invalid API key' },
  invalid_current_password: { status: 400, title: 'Current password is incorrect' },
  forbidden: { status: 403, title: 'Forbidden' },
  csrf_rejected: { status: 403, title: 'Cross-site request refused' },
  ip_blocked: { status: 403, title: 'Client address blocked' },
  registration_closed: { status: 403, title: 'Registration is closed' },
  emergency_mode: { status: 403, title: 'Emergency mode: administrators only' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  email_taken: { status: 409, title: 'Email already registered' },
  conflict: { status: 409, title: 'Conflict' },
  job_busy: { status: 409, title: 'Job is running' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  upgrade_required: { status: 426, title: 'Upgrade required' },
  request_timeout: { status: 408, title: 'Request timeout' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal_error: { status: 500, title: 'Internal server error' },
  service_unavailable: { status: 503, title: 'Service unavailable' },
  not_ready: { status: 503, title: 'Not ready' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The problem `type` URI for a code (RFC 9457 §3.1.1). */
export const problemType = (code: ErrorCode): string => `urn:vigil:problem:${code}`;
