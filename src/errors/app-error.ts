import { ERROR_CODES, type ErrorCode } from './codes.js';

/** One invalid field of a request, located by a JSON pointer (RFC 6901). */
export interface FieldError {
  pointer: string;
  detail: string;
}

/** The extension members a problem may carry; each is listed in the Problem schema. */
export interface ProblemExtensions {
  policy?: string;
  retry_after?: number;
  /** `not_ready`: every readiness check with its outcome. */
  checks?: Record<string, { status: string; latency_ms: number }>;
}

/** A typed, expected failure. The HTTP edge turns it into problem+json; nothing else picks a status. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly detail: string;
  readonly errors: FieldError[] | undefined;
  /** Extra response headers, e.g. Retry-After. */
  readonly headers: Record<string, string> | undefined;
  /** Extension members of the problem document (RFC 9457 §3.2), e.g. the violated rate-limit policy. */
  readonly extensions: ProblemExtensions | undefined;

  constructor(
    code: ErrorCode,
    detail?: string,
    options: { errors?: FieldError[]; headers?: Record<string, string>; extensions?: ProblemExtensions; cause?: unknown } = {},
  ) {
    super(detail ?? ERROR_CODES[code].title, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.detail = detail ?? ERROR_CODES[code].title;
    this.errors = options.errors;
    this.headers = options.headers;
    this.extensions = options.extensions;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
