import type { AliasNode, FromNode, LogEvent, OperationNode, TableNode } from 'kysely';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { histogramSeries, type HistogramSeries } from './series.js';

/** The table label of a query that names none (raw SQL such as the health probe, DDL). */
export const NO_TABLE = 'none';

export type QueryOperation = 'select' | 'insert' | 'update' | 'delete' | 'other';

function tableOf(node: OperationNode | undefined): string {
  if (node?.kind === 'AliasNode') return tableOf((node as AliasNode).node);
  if (node?.kind === 'TableNode') return (node as TableNode).table.identifier.name;
  return NO_TABLE;
}

const firstTable = (from: FromNode | undefined) => tableOf(from?.froms[0]);
const RAW_VERB = /^\s*(select|insert|update|delete)\b/i;

/**
 * The operation and main table of a query, from Kysely's operation tree (no SQL parsing on
 * the hot path). Raw SQL gets its verb from the text and no table. Both come from the code's
 * own queries, never from request data, so the label sets stay small.
 */
export function describeQuery(query: LogEvent['query']): { operation: QueryOperation; table: string } {
  const node = query.query as OperationNode & Record<string, unknown>;
  switch (node.kind) {
    case 'SelectQueryNode':
      return { operation: 'select', table: firstTable(node.from as FromNode | undefined) };
    case 'InsertQueryNode':
      return { operation: 'insert', table: tableOf(node.into as OperationNode | undefined) };
    case 'UpdateQueryNode':
      return { operation: 'update', table: tableOf(node.table as OperationNode | undefined) };
    case 'DeleteQueryNode':
      return { operation: 'delete', table: firstTable(node.from as FromNode | undefined) };
    case 'RawNode':
      return { operation: (RAW_VERB.exec(query.sql)?.[1]?.toLowerCase() as QueryOperation | undefined) ?? 'other', table: NO_TABLE };
    default:
      return { operation: 'other', table: tableOf(node.table as OperationNode | undefined) };
  }
}

/**
 * The database monitor, as Kysely's `log` hook: every query's duration into
 * `vigil_db_query_duration_seconds{operation,table}`, and queries slower than `slowQueryMs`
 * logged by the `db` logger with their operation, table and duration; never the SQL text or
 * its parameters (they hold emails, token hashes, addresses).
 */
export function createQueryMonitor(deps: { metrics: Metrics | undefined; logger: Logger; slowQueryMs: number }): (event: LogEvent) => void {
  const { metrics, logger, slowQueryMs } = deps;
  const byLabels = new Map<string, HistogramSeries>();
  // A precompiled query (src/storage/precompiled.ts) passes the same operation tree every time.
  const byTree = new WeakMap<object, HistogramSeries>();
  const seriesOf = (query: LogEvent['query']): HistogramSeries => {
    let series = byTree.get(query.query);
    if (series) return series;
    const { operation, table } = describeQuery(query);
    const key = `${operation} ${table}`;
    series = byLabels.get(key);
    if (!series) byLabels.set(key, (series = histogramSeries(metrics!.dbQueryDuration, { operation, table })));
    byTree.set(query.query, series);
    return series;
  };
  return (event) => {
    const ms = event.queryDurationMillis;
    const slow = ms > slowQueryMs;
    if (metrics) seriesOf(event.query).observe(ms / 1000);
    if (!slow) return;
    const { operation, table } = describeQuery(event.query);
    logger.warn({ operation, table, duration_ms: Math.round(ms * 100) / 100, failed: event.level === 'error' }, 'slow query');
  };
}
