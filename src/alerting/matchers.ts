import type { Labels } from './types.js';

/** An Alertmanager label matcher: `name=value`, `name!=value`, `name=~regex`, `name!~regex`. */
export interface Matcher {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

const MATCHER = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$/;

/** Parses one matcher; returns a message when it is not one. */
export function parseMatcher(text: string): Matcher | string {
  const m = MATCHER.exec(text);
  if (!m) return `"${text}" is not a matcher such as alertname=HighErrorRate, severity!=info or instance=~"api-.*"`;
  const matcher = { name: m[1]!, op: m[2] as Matcher['op'], value: m[3]! };
  if (matcher.op === '=~' || matcher.op === '!~') {
    try {
      new RegExp(`^(?:${matcher.value})$`);
    } catch {
      return `"${matcher.value}" is not a valid regular expression`;
    }
  }
  return matcher;
}

/** True when the labels satisfy the matcher (a missing label reads as ""). Regexes are anchored. */
export function matches(m: Matcher, labels: Labels): boolean {
  const v = labels[m.name] ?? '';
  switch (m.op) {
    case '=': return v === m.value;
    case '!=': return v !== m.value;
    case '=~': return new RegExp(`^(?:${m.value})$`).test(v);
    case '!~': return !new RegExp(`^(?:${m.value})$`).test(v);
  }
}

export const matchesAll = (matchers: Matcher[], labels: Labels): boolean => matchers.every((m) => matches(m, labels));
