import { matchesAll, parseMatcher, type Matcher } from './matchers.js';
import type { Labels } from './types.js';

/** Alerts whose labels satisfy `matchers` go to each of `receivers`. Every matching route applies. */
export interface Route {
  matchers: Matcher[];
  receivers: string[];
}

/** Alertmanager's inhibition: a firing source alert mutes target alerts with the same `equal` labels. */
export interface InhibitRule {
  source: Matcher[];
  target: Matcher[];
  equal: string[];
}

/** The receivers of an alert: the union of every matching route's, in route order. */
export function receiversFor(routes: readonly Route[], labels: Labels): string[] {
  const out: string[] = [];
  for (const r of routes) if (matchesAll(r.matchers, labels)) for (const name of r.receivers) if (!out.includes(name)) out.push(name);
  return out;
}

/** True when a firing alert other than the target inhibits it. */
export function inhibited(rules: readonly InhibitRule[], target: Labels, firing: readonly Labels[]): boolean {
  return rules.some(
    (rule) =>
      matchesAll(rule.target, target) &&
      firing.some((source) => source !== target && source.alertname !== target.alertname && matchesAll(rule.source, source) && rule.equal.every((l) => (source[l] ?? '') === (target[l] ?? ''))),
  );
}

function matchersOf(text: string, issue: (m: string) => void): Matcher[] {
  if (text.trim() === '*') return [];
  return text.split('&').map((part) => {
    const m = parseMatcher(part);
    if (typeof m === 'string') {
      issue(m);
      return { name: '_', op: '=', value: '' } as Matcher;
    }
    return m;
  });
}

/**
 * Parses ALERT_ROUTES: `;`-separated `matchers:receivers`, matchers joined by `&` (`*` for every
 * alert), receivers by `,`. E.g. `severity=critical:pagerduty,slack;category=security:slack-security`.
 */
export function parseRoutes(raw: string): Route[] {
  const issues: string[] = [];
  const routes = raw
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((item) => {
      const at = item.lastIndexOf(':');
      if (at <= 0) {
        issues.push(`"${item}" is not matchers:receivers`);
        return { matchers: [], receivers: [] };
      }
      const receivers = item.slice(at + 1).split(',').map((s) => s.trim()).filter(Boolean);
      if (receivers.length === 0) issues.push(`"${item}" names no receiver`);
      return { matchers: matchersOf(item.slice(0, at), (m) => issues.push(m)), receivers };
    });
  if (issues.length > 0) throw new Error(issues.join('; '));
  return routes;
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const equalsMatchers = (map: Record<string, unknown>): Matcher[] => Object.entries(map).map(([name, value]) => ({ name, op: '=', value: String(value) }));

/** The rules file's `routes` (`- match: {…}` / `receivers: […]`) and `inhibit_rules` (`source_match`, `target_match`, `equal`). */
export function routingFromFile(routes: unknown, inhibit: unknown, known: Set<string>): { routes?: Route[]; inhibit?: InhibitRule[]; issues: string[] } {
  const issues: string[] = [];
  const out: { routes?: Route[]; inhibit?: InhibitRule[]; issues: string[] } = { issues };
  if (routes !== undefined) {
    if (!Array.isArray(routes)) issues.push('routes: must be a list');
    else
      out.routes = routes.map((r: unknown, i) => {
        const route = isMap(r) ? r : {};
        const match = route.match ?? {};
        const receivers = route.receivers;
        if (!isMap(match)) issues.push(`routes[${i}]: field "match": must be a map of label to value`);
        if (!Array.isArray(receivers) || receivers.length === 0) issues.push(`routes[${i}]: field "receivers": must be a list of receiver names`);
        for (const name of Array.isArray(receivers) ? receivers : []) if (!known.has(String(name))) issues.push(`routes[${i}]: field "receivers": unknown receiver "${name}" (configured: ${[...known].join(', ') || 'none'})`);
        return { matchers: isMap(match) ? equalsMatchers(match) : [], receivers: Array.isArray(receivers) ? receivers.map(String) : [] };
      });
  }
  if (inhibit !== undefined) {
    if (!Array.isArray(inhibit)) issues.push('inhibit_rules: must be a list');
    else
      out.inhibit = inhibit.map((r: unknown, i) => {
        const rule = isMap(r) ? r : {};
        if (!isMap(rule.source_match) || !isMap(rule.target_match)) issues.push(`inhibit_rules[${i}]: fields "source_match" and "target_match" must be maps of label to value`);
        return {
          source: isMap(rule.source_match) ? equalsMatchers(rule.source_match) : [],
          target: isMap(rule.target_match) ? equalsMatchers(rule.target_match) : [],
          equal: Array.isArray(rule.equal) ? rule.equal.map(String) : [],
        };
      });
  }
  return out;
}
