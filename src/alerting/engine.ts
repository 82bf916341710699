import type { Clock } from '../shared/clock.js';
import { fingerprint } from './fingerprint.js';
import type { SignalSet } from './signals/index.js';
import { compare, type Alert, type AlertRule, type AlertState, type Labels, type Series } from './types.js';

/** A state change the engine reports: pending, firing or resolved. */
export type AlertChange = { alert: Alert; from: AlertState };

export interface RuleEngine {
  /** Reads every rule's signals and moves each alert along inactive → pending → firing → resolved. */
  evaluate(now?: number): AlertChange[];
  /** Alerts pending or firing now. */
  active(): Alert[];
  rules(): readonly AlertRule[];
}

const formatValue = (v: number) => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4))));

/** `{{ $value }}` and `{{ $labels.name }}`, as in Prometheus rule annotations. */
export function expandTemplate(text: string, labels: Labels, value: number): string {
  return text.replace(/\{\{\s*\$value\s*\}\}/g, formatValue(value)).replace(/\{\{\s*\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, (_m, name: string) => labels[name] ?? '');
}

const matches = (sub: Labels, labels: Labels) => Object.entries(sub).every(([k, v]) => labels[k] === v);

/** The series of a rule that satisfy every clause (joined on labels; a series without labels joins any). */
function holding(rule: AlertRule, signals: SignalSet): Series[] {
  const [first, ...rest] = rule.conditions;
  if (!first) return [];
  const read = (c: AlertRule['conditions'][number]) => signals.get(c.signal)?.read(c.windowMs ?? 0) ?? [];
  const others = rest.map((c) => ({ c, series: read(c) }));
  return read(first).filter((s) => {
    if (!compare(s.value, first.op, first.value)) return false;
    return others.every(({ c, series }) => series.some((o) => (matches(o.labels, s.labels) || matches(s.labels, o.labels)) && compare(o.value, c.op, c.value)));
  });
}

/**
 * Evaluates rules over in-memory signals (no I/O: cheap enough for 50 rules every 15 s).
 * `restore` brings back alerts that were firing before a restart, so they are not announced twice.
 */
export function createRuleEngine(deps: { rules: readonly AlertRule[]; signals: SignalSet; clock: Clock; externalUrl: string; restore?: Alert[] }): RuleEngine {
  const { rules, signals } = deps;
  const alerts = new Map<string, Alert>();
  for (const a of deps.restore ?? []) alerts.set(a.fingerprint, a);
  for (const rule of rules) for (const c of rule.conditions) signals.get(c.signal)?.prepare?.(c.windowMs ?? 0);

  const runbook = (url: string) => (url.startsWith('/') ? `${deps.externalUrl}${url}` : url);

  return {
    rules: () => rules,
    active: () => [...alerts.values()],
    evaluate(now = deps.clock.now()) {
      const changes: AlertChange[] = [];
      const seen = new Set<string>();
      for (const rule of rules) {
        for (const s of holding(rule, signals)) {
          const labels: Labels = { alertname: rule.name, severity: rule.severity, category: rule.category, ...rule.labels, ...s.labels };
          const fp = fingerprint(labels);
          seen.add(fp);
          const annotations = {
            summary: expandTemplate(rule.annotations.summary, labels, s.value),
            description: expandTemplate(rule.annotations.description, labels, s.value),
            runbook_url: runbook(rule.annotations.runbook_url),
          };
          let alert = alerts.get(fp);
          if (!alert) {
            alert = { fingerprint: fp, rule: rule.name, state: 'pending', severity: rule.severity, category: rule.category, labels, annotations, value: s.value, activeAt: now, firedAt: undefined, resolvedAt: undefined };
            alerts.set(fp, alert);
            // With `for: 0s` it fires in this evaluation: one change, inactive → firing.
            if (rule.forMs > 0) changes.push({ alert: { ...alert }, from: 'inactive' });
          } else {
            alert.value = s.value;
            alert.annotations = annotations;
          }
          if (alert.state === 'pending' && now - alert.activeAt >= rule.forMs) {
            const from = rule.forMs > 0 ? 'pending' : 'inactive';
            alert.state = 'firing';
            alert.firedAt = now;
            changes.push({ alert: { ...alert }, from });
          }
        }
      }
      for (const [fp, alert] of alerts) {
        if (seen.has(fp)) continue;
        alerts.delete(fp);
        if (alert.state === 'firing') {
          changes.push({ alert: { ...alert, state: 'resolved', resolvedAt: now }, from: 'firing' });
        } else {
          changes.push({ alert: { ...alert, state: 'inactive' }, from: alert.state });
        }
      }
      return changes;
    },
  };
}
