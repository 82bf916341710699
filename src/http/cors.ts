import cors, { type FastifyCorsOptions } from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import type { CorsOrigins } from '../config/parsers.js';

export const CORS_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export const CORS_ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'X-API-Key', 'X-Request-ID'] as const;
/** What a browser app may read: the request id and the rate-limit fields (seed 000 and IETF). */
export const CORS_EXPOSED_HEADERS = [
  'X-Request-ID', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'RateLimit', 'RateLimit-Policy', 'Retry-After',
] as const;
/** Seconds a browser may cache a preflight answer. */
export const CORS_MAX_AGE = 600;

const COMMON: FastifyCorsOptions = {
  methods: [...CORS_METHODS],
  allowedHeaders: [...CORS_ALLOWED_HEADERS],
  exposedHeaders: [...CORS_EXPOSED_HEADERS],
  maxAge: CORS_MAX_AGE,
  // A bare OPTIONS from a listed origin gets the preflight answer instead of a text/plain 400.
  strictPreflight: false,
};

/**
 * CORS from `API_CORS_ORIGINS`. Empty: the plugin is not registered and no response carries a
 * CORS header. Listed origins: an exact match is echoed with credentials; any other origin gets
 * no CORS header at all (not even Allow-Credentials or Expose-Headers) and its preflight a 404.
 * `*` (refused by the production check): any origin, never with credentials.
 * Every answer varies on Origin, so caches keep them apart.
 */
export async function registerCors(app: FastifyInstance, origins: CorsOrigins): Promise<void> {
  if (origins !== '*' && origins.length === 0) return;
  const listed = new Set(origins === '*' ? [] : origins);
  await app.register(cors, {
    hook: 'onRequest',
    delegator: (request, callback) => {
      const origin = request.headers.origin;
      if (origins === '*') callback(null, { ...COMMON, origin: '*', credentials: false });
      else if (origin !== undefined && listed.has(origin)) callback(null, { ...COMMON, origin, credentials: true });
      else callback(null, { origin: false });
    },
  });
}
