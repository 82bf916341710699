import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/index.js';

/**
 * CSP of every API response: JSON loads nothing and may not be framed (OWASP REST cheat sheet).
 * Pages Vigil serves (Swagger UI at /docs) set their own, relaxed policy.
 */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/**
 * CSP of the Swagger UI at /docs: its scripts, styles and the OpenAPI document come from this
 * origin, its icons are data: URIs, and Swagger UI sets inline styles. No inline scripts (the
 * page has none), no framing, nothing from other origins (the spec validator badge is off).
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "base-uri 'none'",
  "connect-src 'self'",
  "font-src 'self' data:",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
].join('; ');

/** One year, as the seeds' nginx config sends it. */
const HSTS_MAX_AGE = 365 * 24 * 60 * 60;

/**
 * Helmet's options for every response (see `registerSecurityHeaders` for why each is chosen).
 * - HSTS (1 year, includeSubDomains) only with ENVIRONMENT=production: a development server on
 *   http://localhost must not pin browsers to https for a year.
 * - `X-Frame-Options: DENY` and `frame-ancestors 'none'`: nothing of Vigil is meant to be framed.
 * - `Referrer-Policy: strict-origin-when-cross-origin`: other sites see at most our origin, never a
 *   path; `no-referrer` would also make browsers send `Origin: null` on same-origin POSTs, which
 *   breaks Origin checks of the admin console.
 * - `X-XSS-Protection: 0` (helmet's choice, not the seeds' `1; mode=block`): the legacy filter is
 *   gone from browsers and could itself be abused to leak data where it remained.
 * - COOP and CORP `same-origin`; CORS requests are not affected by CORP.
 */
function helmetOptions(config: Config): HelmetOptions {
  return {
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    strictTransportSecurity: config.environment === 'production' ? { maxAge: HSTS_MAX_AGE, includeSubDomains: true, preload: false } : false,
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    // require-corp would only matter for HTML embedding cross-origin resources; /docs embeds none.
    crossOriginEmbedderPolicy: false,
  };
}

/**
 * The headers helmet sets with Vigil's options. They depend on the configuration only, so helmet
 * runs once, at start, against a response that records them; every request then gets the same
 * object (running helmet's middleware per request was a tenth of a simple request's CPU).
 */
export function securityHeaders(config: Config): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: unknown) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  helmet(helmetOptions(config))({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error;
  });
  return headers;
}

/** Wraps Fastify's `frameworkErrors` handler so those answers carry the security headers too. */
export function withSecurityHeaders(config: Config, handler: FrameworkErrorHandler): FrameworkErrorHandler {
  const headers = securityHeaders(config);
  return (error, request, reply) => handler(error, request, reply.headers(headers));
}

type FrameworkErrorHandler = (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void;

/**
 * Security headers on every response, errors and 404s included: set in the first onRequest hook,
 * so register this before anything that may reject a request. Pages with their own policy
 * (Swagger UI at /docs) replace the CSP in their handlers. Fastify sends no `X-Powered-By`.
 */
export function registerSecurityHeaders(app: FastifyInstance, config: Config): void {
  const headers = securityHeaders(config);
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers);
    done();
  });
}
