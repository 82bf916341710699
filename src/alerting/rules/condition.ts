import { formatDuration, parseDuration } from '../../shared/duration.js';
import { COMPARISONS, type Comparison, type Condition } from '../types.js';

const CLAUSE = /^([a-z][a-z0-9_]*)(?:\[([0-9a-z]+)\])?\s*(>=|<=|==|!=|>|<)\s*(-?[0-9]+(?:\.[0-9]+)?(?:e-?[0-9]+)?)$/i;

/**
 * Parses `signal[window] op number`, clauses joined by ` and `: `http_5xx_ratio[5m] > 0.05`,
 * `slo_burn_rate[1h] > 14.4 and slo_burn_rate[5m] > 14.4`. Returns a message on failure.
 */
export function parseCondition(text: string): Condition[] | string {
  const clauses = text.split(/\s+and\s+/i).map((s) => s.trim());
  const out: Condition[] = [];
  for (const clause of clauses) {
    const m = CLAUSE.exec(clause);
    if (!m) return `"${clause}" is not "signal[window] op number" (op: ${COMPARISONS.join(' ')})`;
    const windowMs = m[2] === undefined ? undefined : parseDuration(m[2]);
    if (m[2] !== undefined && windowMs === undefined) return `"${m[2]}" is not a duration such as 5m or 1h`;
    out.push({ signal: m[1]!, windowMs, op: m[3] as Comparison, value: Number(m[4]) });
  }
  return out;
}

/** The condition written back as text (docs, exports, the API). */
export const formatCondition = (conditions: Condition[]): string =>
  conditions.map((c) => `${c.signal}${c.windowMs === undefined ? '' : `[${formatDuration(c.windowMs)}]`} ${c.op} ${c.value}`).join(' and ');
