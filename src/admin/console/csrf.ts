import type { FastifyRequest } from 'fastify';
import { AppError } from '../../errors/index.js';

/** The header the console sends on its session calls. */
export const CONSOLE_HEADER = 'x-vigil-console';

/**
 * CSRF defence of the console's cookie-authenticated calls (session, refresh, logout).
 *
 * 1. `X-Vigil-Console: 1` must be present. A cross-site page cannot add a custom header without a
 *    CORS preflight, and Vigil answers preflights only for the origins in API_CORS_ORIGINS.
 * 2. When the browser says where the request comes from, it must be this origin: an `Origin`
 *    header must equal the request's own scheme://host (TRUST_PROXY decides the scheme behind a
 *    proxy), and `Sec-Fetch-Site`, when sent, must be `same-origin`.
 *
 * The cookie itself is SameSite=Strict, so (1) and (2) are the second and third lines of defence.
 */
export function checkConsoleCsrf(request: FastifyRequest): void {
  if (request.headers[CONSOLE_HEADER] !== '1') throw rejected('The console sends X-Vigil-Console: 1 on this call; this request did not');
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== `${request.protocol}://${request.host}`) throw rejected('The request comes from another origin');
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') throw rejected('The request comes from another site');
}

const rejected = (detail: string) => new AppError('csrf_rejected', detail);
