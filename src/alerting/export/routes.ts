import type { Matcher } from '../matchers.js';
import type { Route } from '../routing.js';

/** One Alertmanager child route: matchers (all must hold) and one receiver. */
export interface FlatRoute {
  receiver: string;
  matchers: Matcher[];
}

const NEGATED: Record<Matcher['op'], Matcher['op']> = { '=': '!=', '!=': '=', '=~': '!~', '!~': '=~' };
const negate = (m: Matcher): Matcher => ({ ...m, op: NEGATED[m.op] });

/**
 * Vigil's routes as Alertmanager child routes (each with `continue: true`). Vigil sends an alert
 * once to each receiver of every matching route (the union); Alertmanager would notify a receiver
 * once per matching route. So a receiver's route also excludes the alerts of the earlier routes
 * that name it: "this route and not an earlier one", written in disjunctive normal form
 * (not (a and b) = not a, or a and not b), each conjunction one child route. At most one route
 * per receiver matches any alert.
 */
export function flattenRoutes(routes: readonly Route[], exported: (receiver: string) => boolean): FlatRoute[] {
  const out: FlatRoute[] = [];
  routes.forEach((route, i) => {
    for (const receiver of route.receivers) {
      if (!exported(receiver)) continue;
      let conjunctions: Matcher[][] = [route.matchers];
      for (const earlier of routes.slice(0, i)) {
        if (!earlier.receivers.includes(receiver)) continue;
        // not (m0 and m1 and …) = not m0, or m0 and not m1, or …; an earlier catch-all leaves nothing.
        conjunctions = conjunctions.flatMap((c) => earlier.matchers.map((m, k) => [...c, ...earlier.matchers.slice(0, k), negate(m)]));
      }
      for (const matchers of conjunctions) out.push({ receiver, matchers });
    }
  });
  return out;
}

/** Alertmanager's matcher syntax: `name="value"`, `name=~"regex"` (quotes and backslashes escaped). */
export const formatMatcher = (m: Matcher): string => `${m.name}${m.op}"${m.value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
