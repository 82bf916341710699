import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { problem } from '../../http/problem.js';

/**
 * Where `npm run build` puts the console (vite build → dist/web). The same path from
 * src/admin/console (tsx) and dist/admin/console (the build): the package root's dist/web.
 */
export const CONSOLE_DIST = fileURLToPath(new URL('../../../dist/web/', import.meta.url));

/** Hashed build assets never change under one name: cached for a year. */
const IMMUTABLE = 365 * 24 * 3600 * 1000;
const HOST = /^[A-Za-z0-9.\-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/;

/**
 * The console's Content-Security-Policy: its own scripts and styles only (no inline code),
 * API calls and the live stream to this origin only (ws: / wss: spelled out for browsers whose
 * 'self' does not cover them), no forms posted anywhere (sign-in is a fetch), never framed.
 */
export function consoleCsp(request: Pick<FastifyRequest, 'protocol' | 'host'>): string {
  const ws = HOST.test(request.host) ? ` ${request.protocol === 'https' ? 'wss' : 'ws'}://${request.host}` : '';
  return [
    "default-src 'none'",
    "base-uri 'none'",
    `connect-src 'self'${ws}`,
    "font-src 'self'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "img-src 'self' data:",
    "manifest-src 'self'",
    "object-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
  ].join('; ');
}

/** Every file under `root`, as URL paths relative to it (`assets/index-3f9a.js`); undefined when there is no index.html. */
function builtFiles(root: string): Set<string> | undefined {
  if (!existsSync(join(root, 'index.html'))) return undefined;
  const files = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) files.add(relative(root, path).split(sep).join('/'));
    }
  };
  walk(root);
  return files;
}

/**
 * `/admin` and `/admin/*`: the built console. Files are listed once at start (a request can only
 * reach a file the build produced, never a path it made up); any other path under /admin is a
 * client route and gets index.html (the app routes in the browser), except under assets/ or with
 * a file extension, which 404. Without a build, a 503 problem saying how to make one.
 */
export const consoleStaticRoutes: FastifyPluginAsync<{ root?: string }> = async (app, opts) => {
  const root = opts.root ?? CONSOLE_DIST;
  const files = builtFiles(root);
  // Replaces the API's CSP (set on every response first) for everything under /admin.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('content-security-policy', consoleCsp(request));
    done();
  });

  if (!files) {
    const unavailable = (request: FastifyRequest, reply: FastifyReply) =>
      reply.status(503).type('application/problem+json').header('cache-control', 'no-store')
        .send(problem('service_unavailable', `The admin console is not built (no ${join(root, 'index.html')}): run npm run build`, request.id));
    app.get('/admin', { schema: { hide: true } }, unavailable);
    app.get('/admin/*', { schema: { hide: true } }, unavailable);
    return;
  }

  // preCompressed: the build wrote .br and .gz beside each file; a browser that accepts one gets it.
  await app.register(fastifyStatic, { root, serve: false, preCompressed: true });
  const index = (reply: FastifyReply) => reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });

  app.get('/admin', { schema: { hide: true } }, (_request, reply) => index(reply));
  app.get<{ Params: { '*': string } }>('/admin/*', { schema: { hide: true } }, (request, reply) => {
    const path = request.params['*'];
    if (path === '' || path === 'index.html') return index(reply);
    if (files.has(path)) {
      const hashed = path.startsWith('assets/');
      return reply.sendFile(path, hashed ? { maxAge: IMMUTABLE, immutable: true } : { maxAge: 3600 * 1000 });
    }
    if (path.startsWith('assets/') || /\.[A-Za-z0-9]+$/.test(path)) return reply.callNotFound();
    return index(reply);
  });
};
