import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { appRoutes, type AppRoute } from '../support/routes.js';

export type { AppRoute };

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
