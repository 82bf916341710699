import helmet from '@fastify/helmet';
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
 * The headers helmet sets with the options below, for the few answers no hook runs for (Fastify's
 * framework errors, e.g. a malformed URL). A test keeps this equal to what helmet sends.
 */
export function securityHeaders(config: Config): Record<string, string> {
  return {
    'content-security-policy': "default-src 'none';frame-ancestors 'none'",
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'origin-agent-cluster': '?1',
    'referrer-policy': 'strict-origin-when-cross-origin',
    ...(config.environment === 'production' ? { 'strict-transport-security': `max-age=${HSTS_MAX_AGE}; includeSubDomains` } : {}),
    'x-content-type-options': 'nosniff',
    'x-dns-prefetch-control': 'off',
    'x-download-options': 'noopen',
    'x-frame-options': 'DENY',
    'x-permitted-cross-domain-policies': 'none',
    'x-xss-protection': '0',
  };
}

/** Wraps Fastify's `frameworkErrors` handler so those answers carry the security headers too. */
export function withSecurityHeaders(config: Config, handler: FrameworkErrorHandler): FrameworkErrorHandler {
  const headers = securityHeaders(config);
  return (error, request, reply) => handler(error, request, reply.headers(headers));
}

type FrameworkErrorHandler = (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void;

/**
 * Security headers on every response, errors and 404s included (@fastify/helmet sets them in an
 * onRequest hook, so register this before anything that may reject a request):
 * - HSTS (1 year, includeSubDomains) only with ENVIRONMENT=production: a development server on
 *   http://localhost must not pin browsers to https for a year.
 * - `X-Frame-Options: DENY` and `frame-ancestors 'none'`: nothing of Vigil is meant to be framed.
 * - `Referrer-Policy: strict-origin-when-cross-origin`: other sites see at most our origin, never a
 *   path; `no-referrer` would also make browsers send `Origin: null` on same-origin POSTs, which
 *   breaks Origin checks of the admin console.
 * - `X-XSS-Protection: 0` (helmet's choice, not the seeds' `1; mode=block`): the legacy filter is
 *   gone from browsers and could itself be abused to leak data where it remained.
 * - COOP and CORP `same-origin`; CORS requests are not affected by CORP.
 * Helmet also removes `X-Powered-By`.
 */
export async function registerSecurityHeaders(app: FastifyInstance, config: Config): Promise<void> {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    strictTransportSecurity: config.environment === 'production' ? { maxAge: HSTS_MAX_AGE, includeSubDomains: true, preload: false } : false,
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    // require-corp would only matter for HTML embedding cross-origin resources; /docs embeds none.
    crossOriginEmbedderPolicy: false,
  });
}
