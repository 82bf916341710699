/** Alert severities, Alertmanager's usual three. */
export const ALERT_SEVERITIES = ['critical', 'warning', 'info'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** What an alert is about; routes match on it. */
export const ALERT_CATEGORIES = ['availability', 'security', 'performance', 'database', 'maintenance'] as const;
export type AlertCategory = (typeof ALERT_CATEGORIES)[number];

export const COMPARISONS = ['>', '>=', '<', '<=', '==', '!='] as const;
export type Comparison = (typeof COMPARISONS)[number];

export type Labels = Record<string, string>;

/** One clause of a rule: a signal over a window compared with a threshold. */
export interface Condition {
  signal: string;
  /** The window a windowed signal is read over (ms); ignored by instant signals. */
  windowMs?: number | undefined;
  op: Comparison;
  value: number;
}

/** An alert rule. Every clause must hold (SLO burn-rate pairs have two). */
export interface AlertRule {
  name: string;
  conditions: Condition[];
  /** How long the conditions must hold before the alert fires. */
  forMs: number;
  severity: AlertSeverity;
  category: AlertCategory;
  labels: Labels;
  annotations: { summary: string; description: string; runbook_url: string };
  /** Open an incident when it fires (default: critical only). */
  incident: boolean;
}

export type AlertState = 'inactive' | 'pending' | 'firing' | 'resolved';

/** One alert instance: a rule over one label set. */
export interface Alert {
  fingerprint: string;
  rule: string;
  state: AlertState;
  severity: AlertSeverity;
  category: AlertCategory;
  labels: Labels;
  annotations: Labels;
  value: number;
  /** When the conditions started to hold. */
  activeAt: number;
  /** When it went from pending to firing. */
  firedAt: number | undefined;
  resolvedAt: number | undefined;
}

/** A labelled number a signal reads. An empty list: no data (the rule stays inactive). */
export interface Series {
  labels: Labels;
  value: number;
}

export const compare = (a: number, op: Comparison, b: number): boolean => {
  switch (op) {
    case '>': return a > b;
    case '>=': return a >= b;
    case '<': return a < b;
    case '<=': return a <= b;
    case '==': return a === b;
    case '!=': return a !== b;
  }
};
