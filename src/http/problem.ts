import { Type } from '@sinclair/typebox';
import { ERROR_CODES, problemType, type ErrorCode, type FieldError } from '../errors/index.js';

/** RFC 9457 problem details, with Vigil's `code` and `request_id` extensions. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  request_id: string;
  errors?: (FieldError & { in?: string })[];
  error_id?: string;
  policy?: string;
  retry_after?: number;
  checks?: Record<string, { status: string; latency_ms: number }>;
}

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'URI identifying the problem type' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String({ description: 'Stable error code; see docs/errors.md' }),
    request_id: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ pointer: Type.String(), detail: Type.String(), in: Type.Optional(Type.String()) }))),
    error_id: Type.Optional(Type.String({ description: 'Reference of an internal error in the logs' })),
    policy: Type.Optional(Type.String({ description: 'The rate-limit policy that was exceeded (429)' })),
    retry_after: Type.Optional(Type.Integer({ description: 'Seconds until the request may be retried (429)' })),
    checks: Type.Optional(
      Type.Record(Type.String(), Type.Object({ status: Type.String(), latency_ms: Type.Number() }), { description: 'Each readiness check and its outcome: ok, error or timeout (not_ready)' }),
    ),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details' },
);

export function problem(code: ErrorCode, detail: string, requestId: string, extra: Partial<Problem> = {}): Problem {
  const { status, title } = ERROR_CODES[code];
  return { type: problemType(code), title, status, detail, code, request_id: requestId, ...extra };
}
