import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseDuration } from '../../shared/duration.js';
import { ALERT_CATEGORIES, ALERT_SEVERITIES, type AlertCategory, type AlertRule, type AlertSeverity } from '../types.js';
import { parseCondition } from './condition.js';
import { DEFAULT_RULES, type RuleSpec } from './default-pack.js';

/** What the rules know of a signal: whether it takes a window. */
export type SignalInfo = { name: string; windowed: boolean };

/** Every problem of ALERT_RULES_FILE, each naming the rule and the field. */
export class RulesFileError extends Error {
  constructor(
    readonly file: string,
    readonly issues: string[],
  ) {
    super(`Invalid alert rules in ${file} (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${issues.map((i) => `  ${i}`).join('\n')}`);
    this.name = 'RulesFileError';
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FIELDS = new Set(['name', 'condition', 'for', 'severity', 'category', 'summary', 'description', 'runbook', 'runbook_url', 'incident', 'labels', 'enabled']);

/** The rules file's own sections besides `rules` (routing), passed on to the pipeline as written. */
export interface RulesFile {
  rules: AlertRule[];
  /** Raw `routes` and `inhibit_rules` sections, validated by the routing module. */
  routes: unknown;
  inhibitRules: unknown;
}

function toRule(spec: RuleSpec & { runbook_url?: string }, signals: Map<string, SignalInfo>, issue: (field: string, msg: string) => void): AlertRule | undefined {
  const conditions = parseCondition(String(spec.condition ?? ''));
  if (typeof conditions === 'string') {
    issue('condition', conditions);
    return undefined;
  }
  for (const c of conditions) {
    const info = signals.get(c.signal);
    if (!info) issue('condition', `unknown signal "${c.signal}" (known: ${[...signals.keys()].join(', ')})`);
    else if (info.windowed && c.windowMs === undefined) issue('condition', `signal "${c.signal}" needs a window, e.g. ${c.signal}[5m]`);
    else if (!info.windowed && c.windowMs !== undefined) issue('condition', `signal "${c.signal}" is an instant value and takes no window`);
  }
  const forMs = spec.for === undefined || String(spec.for).trim() === '0s' || String(spec.for).trim() === '0' ? 0 : parseDuration(String(spec.for));
  if (forMs === undefined) issue('for', `"${spec.for}" is not a duration such as 0s, 2m or 1h`);
  if (!ALERT_SEVERITIES.includes(spec.severity)) issue('severity', `"${spec.severity}" is not one of ${ALERT_SEVERITIES.join(', ')}`);
  if (!ALERT_CATEGORIES.includes(spec.category)) issue('category', `"${spec.category}" is not one of ${ALERT_CATEGORIES.join(', ')}`);
  if (typeof spec.summary !== 'string' || spec.summary.length === 0) issue('summary', 'is required (text)');
  const labels = spec.labels ?? {};
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) issue('labels', 'must be a map of label names to strings');
  else for (const [k, v] of Object.entries(labels)) if (!LABEL.test(k) || typeof v !== 'string') issue(`labels.${k}`, 'label names are [a-zA-Z_][a-zA-Z0-9_]* and values strings');
  if (spec.incident !== undefined && typeof spec.incident !== 'boolean') issue('incident', 'must be true or false');
  if (forMs === undefined || !ALERT_SEVERITIES.includes(spec.severity) || !ALERT_CATEGORIES.includes(spec.category)) return undefined;
  return {
    name: spec.name,
    conditions,
    forMs,
    severity: spec.severity as AlertSeverity,
    category: spec.category as AlertCategory,
    labels: { ...labels },
    annotations: { summary: spec.summary, description: spec.description ?? '', runbook_url: spec.runbook_url ?? (spec.runbook ? `/runbooks/${spec.runbook}` : '') },
    incident: spec.incident ?? spec.severity === 'critical',
  };
}

/**
 * The active rules: the default pack, then ALERT_RULES_FILE's `rules` (a name of the pack
 * overrides the fields it gives, `enabled: false` drops it; a new name adds a rule). Throws
 * RulesFileError listing every problem, each with the rule and the field.
 */
/** yaml is loaded only with an ALERT_RULES_FILE: 3 MiB of every other process's memory (loadRules is synchronous, hence require). */
const parseYaml = (text: string): unknown => (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text);

export function loadRules(signals: SignalInfo[], file?: string, text?: string): RulesFile {
  const known = new Map(signals.map((s) => [s.name, s]));
  const issues: string[] = [];
  const specs = new Map<string, RuleSpec & { runbook_url?: string }>(DEFAULT_RULES.map((r) => [r.name, { ...r }]));
  let routes: unknown;
  let inhibitRules: unknown;
  if (file !== undefined) {
    let doc: unknown;
    try {
      doc = parseYaml(text ?? readFileSync(file, 'utf8'));
    } catch (e) {
      throw new RulesFileError(file, [`cannot read it: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message.split('\n')[0]}`]);
    }
    const top = (doc ?? {}) as Record<string, unknown>;
    if (typeof top !== 'object' || Array.isArray(top)) throw new RulesFileError(file, ['the file must be a map with `rules`, `routes` and `inhibit_rules`']);
    for (const key of Object.keys(top)) if (!['rules', 'routes', 'inhibit_rules'].includes(key)) issues.push(`unknown section "${key}" (expected rules, routes, inhibit_rules)`);
    routes = top.routes;
    inhibitRules = top.inhibit_rules;
    const list = top.rules ?? [];
    if (!Array.isArray(list)) issues.push('`rules` must be a list');
    else
      list.forEach((raw: unknown, i: number) => {
        const entry = (raw ?? {}) as Record<string, unknown>;
        const name = entry.name;
        if (typeof name !== 'string' || !NAME.test(name)) {
          issues.push(`rules[${i}]: field "name": must be a name like HighErrorRate`);
          return;
        }
        for (const key of Object.keys(entry)) if (!FIELDS.has(key)) issues.push(`rule "${name}": field "${key}": unknown field`);
        if (entry.enabled === false) {
          specs.delete(name);
          return;
        }
        const base = specs.get(name);
        if (!base && entry.condition === undefined) issues.push(`rule "${name}": field "condition": is required for a new rule`);
        specs.set(name, { ...(base ?? ({ for: '0s' } as RuleSpec)), ...(entry as Partial<RuleSpec>), name } as RuleSpec);
      });
  }
  const rules: AlertRule[] = [];
  for (const spec of specs.values()) {
    const rule = toRule(spec, known, (field, msg) => issues.push(`rule "${spec.name}": field "${field}": ${msg}`));
    if (rule) rules.push(rule);
  }
  if (issues.length > 0) throw new RulesFileError(file ?? 'the default pack', issues);
  return { rules, routes, inhibitRules };
}
