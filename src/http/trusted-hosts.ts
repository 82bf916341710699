import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors/index.js';
import { PROBE_ROUTES } from './probes-first.js';

const HOSTNAME = /^(?:\[[0-9a-f:.]+\]|[a-z0-9.-]+)$/;

/**
 * Whether a host name (the Host header without its port) is one of `patterns`: exact names, or
 * `*.example.com` for any subdomain at any depth but not `example.com` itself.
 */
export function hostMatcher(patterns: readonly string[]): (hostname: string) => boolean {
  const exact = new Set(patterns.filter((p) => !p.startsWith('*.')));
  const suffixes = patterns.filter((p) => p.startsWith('*.')).map((p) => p.slice(1)); // '.example.com'
  return (hostname) => {
    const h = hostname.toLowerCase().replace(/\.$/, '');
    if (!HOSTNAME.test(h) || h.includes('..')) return false;
    return exact.has(h) || suffixes.some((s) => h.length > s.length && h.endsWith(s));
  };
}

/**
 * `API_TRUSTED_HOSTS`: a request whose Host (or, from a trusted proxy, X-Forwarded-Host) is not
 * listed gets 400 `untrusted_host` before anything else runs. It defends against Host header
 * injection (links and redirects built from Host, cache poisoning) and DNS rebinding.
 * Register after the security headers, so the 400 carries them too.
 */
export function registerTrustedHosts(app: FastifyInstance, trustedHosts: readonly string[]): void {
  if (trustedHosts.length === 0) return;
  const trusted = hostMatcher(trustedHosts);
  app.addHook('onRequest', async (request) => {
    if (trusted(request.hostname)) return;
    // Probes send the pod IP or `localhost`, and one failing here would take every instance out of
    // service; they build no URLs from the Host and reveal nothing a Host check protects.
    if ((request.method === 'GET' || request.method === 'HEAD') && PROBE_ROUTES.has(request.routeOptions.url ?? '')) return;
    request.log.info({ host: request.host.slice(0, 256) }, 'request for an untrusted host refused');
    throw new AppError('untrusted_host', 'The Host header names a host this service does not answer to');
  });
}
