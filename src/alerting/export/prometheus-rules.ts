import { stringify } from 'yaml';
import { formatDuration } from '../../shared/duration.js';
import { ALERT_CATEGORIES, type AlertRule, type Condition } from '../types.js';
import { isMissing, SIGNAL_PROMQL, type Scope } from './promql.js';

/** A rule of the active pack that the export leaves out, and why. */
export interface SkippedRule {
  name: string;
  signal: string;
  reason: string;
}

export interface RulesExport {
  /** The rule file (YAML), with the rules left out listed in a comment at its top. */
  text: string;
  exported: string[];
  skipped: SkippedRule[];
}

export interface RulesExportOptions {
  /** Where `/runbooks/<name>` is served (ALERT_EXTERNAL_URL), to make runbook URLs absolute. */
  externalUrl: string;
  /** ALERT_EVAL_INTERVAL: the groups' evaluation interval. */
  evalIntervalMs: number;
  /** 1 − the availability target (0.001 for 99.9%): what a burn rate of 1 spends. */
  errorBudget: number;
  version: string;
}

/** One clause as PromQL, or why it cannot be. */
function clause(c: Condition, errorBudget: number): { expr: string; scope: Scope } | { reason: string } {
  const t = SIGNAL_PROMQL[c.signal];
  if (t === undefined) return { reason: `the signal ${c.signal} has no PromQL translation yet` };
  if (isMissing(t)) return { reason: t.missing };
  const window = c.windowMs === undefined ? '' : formatDuration(c.windowMs);
  return { expr: `${t.expr(window, { errorBudget })} ${c.op} ${c.value}`, scope: t.scope };
}

/**
 * The rule's conditions as one PromQL expression. Clauses over the same labels join on all of
 * them; otherwise on `job`, the label every translated series keeps (Vigil joins a clause's
 * series with another's when one's labels are a subset of the other's).
 */
export function ruleExpr(rule: AlertRule, errorBudget: number): { expr: string } | SkippedRule {
  const parts: { expr: string; scope: Scope }[] = [];
  for (const c of rule.conditions) {
    const p = clause(c, errorBudget);
    if ('reason' in p) return { name: rule.name, signal: c.signal, reason: p.reason };
    parts.push(p);
  }
  const join = new Set(parts.map((p) => p.scope)).size === 1 ? ' and ' : ' and on (job) ';
  return { expr: parts.map((p) => p.expr).join(join) };
}

const absolute = (url: string, base: string) => (url.startsWith('/') ? `${base}${url}` : url);

/**
 * Prometheus alerting rules equivalent to `rules`, one group per category, with the same names,
 * `for`, severity and category labels (and the rule's own labels) and annotations.
 */
export function exportPrometheusRules(rules: readonly AlertRule[], options: RulesExportOptions): RulesExport {
  const skipped: SkippedRule[] = [];
  const groups = ALERT_CATEGORIES.map((category) => ({
    name: `vigil-${category}`,
    interval: formatDuration(options.evalIntervalMs),
    rules: rules
      .filter((r) => r.category === category)
      .flatMap((rule) => {
        const e = ruleExpr(rule, options.errorBudget);
        if (!('expr' in e)) {
          skipped.push(e);
          return [];
        }
        return [
          {
            alert: rule.name,
            expr: e.expr,
            ...(rule.forMs > 0 ? { for: formatDuration(rule.forMs) } : {}),
            labels: { severity: rule.severity, category: rule.category, ...rule.labels },
            annotations: { summary: rule.annotations.summary, description: rule.annotations.description, runbook_url: absolute(rule.annotations.runbook_url, options.externalUrl) },
          },
        ];
      }),
  })).filter((g) => g.rules.length > 0);
  // Listed in the pack's order, not the groups'.
  skipped.sort((a, b) => rules.findIndex((r) => r.name === a.name) - rules.findIndex((r) => r.name === b.name));
  const header = [
    `Prometheus alerting rules written by \`vigil alerts export\` (Vigil ${options.version}) from the active rule pack`,
    '(the default pack and ALERT_RULES_FILE), over the metrics Vigil serves at /metrics. Series are read as',
    'scraped with honor_labels: false (the default): the maintenance job of',
    'vigil_job_last_success_timestamp_seconds is then in exported_job. See docs/operations.md#export.',
    '',
    skipped.length === 0 ? 'Every rule of the pack is exported.' : `Not exported (${skipped.length}): no equivalent over Vigil's metrics:`,
    ...skipped.map((s) => `- ${s.name} (${s.signal}): ${s.reason}`),
  ];
  const text = `${header.map((l) => (l ? `# ${l}` : '#')).join('\n')}\n${stringify({ groups }, { lineWidth: 0 })}`;
  return { text, exported: groups.flatMap((g) => g.rules.map((r) => r.alert)), skipped };
}
