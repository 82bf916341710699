import { randomUUID } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorCode } from '../errors/index.js';
import { problem, type Problem } from './problem.js';
import { fieldErrors } from './validation.js';

const BY_STATUS: Record<number, ErrorCode> = {
  400: 'malformed_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'request_timeout',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'service_unavailable',
};

function send(reply: FastifyReply, body: Problem, headers?: Record<string, string>) {
  if (headers) reply.headers(headers);
  return reply.status(body.status).type('application/problem+json').send(body);
}

/**
 * Errors Fastify raises before routing (a malformed URL): no hook has run, so the request id
 * header is set here too.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-request-id', request.id);
  void send(reply, problem('malformed_request', error.message, request.id));
}

/**
 * Maps every error to RFC 9457 problem+json, once, at the edge. Client errors say what was
 * wrong; anything else is a generic 500 with an error id, its details kept in the log.
 */
export function registerErrorHandling(app: FastifyInstance, hooks: { onServerError?: (error: unknown, request: FastifyRequest) => void } = {}): void {
  app.setErrorHandler((error: FastifyError | AppError | Error, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof AppError) {
      // A typed 5xx is reported too, but not a readiness answer: a probe failing during an outage is not a bug.
      if (error.status >= 500 && error.code !== 'not_ready') hooks.onServerError?.(error, request);
      return send(reply, problem(error.code, error.detail, request.id, { ...error.extensions, ...(error.errors ? { errors: error.errors } : {}) }), error.headers);
    }
    const fe = error as FastifyError;
    if (fe.validation) {
      const errors = fieldErrors(fe.validation).map((e) => ({ ...e, in: fe.validationContext ?? 'body' }));
      const detail = errors.map((e) => `${e.pointer} ${e.detail}`).join('; ');
      return send(reply, problem('validation_failed', detail, request.id, { errors }));
    }
    const status = fe.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Fastify's own client errors (bad JSON, body too large, bad media type) carry safe messages.
      const code = BY_STATUS[status] ?? 'malformed_request';
      const detail = fe.code?.startsWith('FST_') || error instanceof SyntaxError ? error.message : problem(code, '', request.id).title;
      return send(reply, problem(code, detail, request.id));
    }
    const errorId = randomUUID();
    const p = request.principal;
    request.log.error({ err: error, error_id: errorId, ip: request.ip, user_id: p?.kind === 'user' ? p.userId : undefined }, 'unhandled error');
    hooks.onServerError?.(error, request);
    return send(reply, problem('internal_error', `An internal error occurred; quote error id ${errorId}`, request.id, { error_id: errorId }));
  });

  app.setNotFoundHandler((request, reply) => send(reply, problem('not_found', `No route ${request.method} ${request.url.split('?')[0]}`, request.id)));
}
