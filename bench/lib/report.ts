/** The results table (terminal, Markdown-compatible) and bench/results/latest.json. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface Row {
  name: string;
  /** baseline rows are what targets are measured against; info rows have no target. */
  kind: 'baseline' | 'target' | 'info';
  rps?: number | undefined;
  p50Ms?: number | undefined;
  p99Ms?: number | undefined;
  /** Server CPU time per successful response (all its threads), µs. */
  cpuUsPerRequest?: number | undefined;
  /** Cores used by processes outside the benchmark during the run: a measure of disturbance. */
  otherCpuCores?: number | undefined;
  /** What the target is about, in words: "0.62 × hello", "p99 7 ms", "98 MiB". */
  measured: string;
  ratio?: number | undefined;
  target: string;
  pass?: boolean | undefined;
}

const num = (v: number | undefined, digits = 0) => (v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits));
const adaptive = (v: number | undefined) => num(v, v !== undefined && v < 100 ? 1 : 0);

export function table(rows: Row[]): string {
  const header = ['name', 'req/s', 'p50 ms', 'p99 ms', 'server CPU µs/req', 'other CPU (cores)', 'measured', 'target', 'result'];
  const numeric = new Set([1, 2, 3, 4, 5]);
  const body = rows.map((r) => [
    r.name,
    adaptive(r.rps),
    num(r.p50Ms, 0),
    num(r.p99Ms, 0),
    num(r.cpuUsPerRequest, 0),
    num(r.otherCpuCores, 2),
    r.measured,
    r.target,
    r.pass === undefined ? (r.kind === 'baseline' ? 'baseline' : 'info') : r.pass ? 'PASS' : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (numeric.has(i) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...body.map(line)].join('\n');
}

export function writeJson(path: string, data: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(data, null, 2)}\n`);
}
