import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/index.js';
import { registerCors } from './cors.js';
import { registerSecurityHeaders } from './security-headers.js';
import { registerTrustedHosts } from './trusted-hosts.js';

export { DOCS_CSP, withSecurityHeaders } from './security-headers.js';

/**
 * HTTP hardening on the root scope, in this order of onRequest hooks: security headers first (so
 * every answer, rejections included, carries them), then the Host check (an untrusted Host gets
 * nothing else, not even a CORS preflight answer), then CORS (preflights answered before any
 * guard). Register before the routes and before other onRequest work such as rate limits.
 */
export async function registerHttpHardening(app: FastifyInstance, config: Config): Promise<void> {
  registerSecurityHeaders(app, config);
  registerTrustedHosts(app, config.http.trustedHosts);
  await registerCors(app, config.http.corsOrigins);
}
