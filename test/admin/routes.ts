import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';

export interface AppRoute {
  method: string;
  /** The route template as Fastify has it: `/api/v1/admin/users/:id`. */
  path: string;
}

/** Every route the app serves, read from its router tree (`printRoutes`), HEAD included. */
export function appRoutes(app: FastifyInstance): AppRoute[] {
  const routes: AppRoute[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:[│ ] {3})*)(?:├── |└── )(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const path = (stack[depth - 1] ?? '') + m[2]!;
    stack[depth] = path;
    stack.length = depth + 1;
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim()).filter(Boolean)) routes.push({ method, path });
  }
  return routes;
}

export const ADMIN_PREFIX = '/api/v1/admin';

/** The admin API's routes, read from the app (new routes are covered without editing a list). */
export function adminRoutesOf(app: FastifyInstance): AppRoute[] {
  const admin = (path: string) => path === ADMIN_PREFIX || path.startsWith(`${ADMIN_PREFIX}/`);
  const routes = appRoutes(app).filter((r) => admin(r.path));
  // The tree was read right if the router knows every route read from it, and every admin route
  // the OpenAPI document lists was read.
  for (const r of routes) expect(app.hasRoute({ method: r.method as 'GET', url: r.path }), `parsed route ${r.method} ${r.path}`).toBe(true);
  const spec = app.swagger() as { paths: Record<string, Record<string, unknown>> };
  for (const [path, methods] of Object.entries(spec.paths).filter(([p]) => admin(p))) {
    const template = path.replace(/\{(\w+)\}/g, ':$1');
    for (const method of Object.keys(methods)) expect(routes, `${method} ${path} read from the router`).toContainEqual({ method: method.toUpperCase(), path: template });
  }
  return routes;
}

export const isMutating = (r: AppRoute) => !['GET', 'HEAD', 'OPTIONS'].includes(r.method);
