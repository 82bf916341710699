/** autocannon (programmatic API) runs and the figures the report needs from them. */
import autocannon from 'autocannon';
import { cpuSecondsOf, machineBusySeconds } from './processes.js';

export interface LoadFigures {
  /** Successful (2xx) responses per second over the measured run. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationS: number;
  /** Server CPU over the run, in cores (1.0 = one core busy the whole time). */
  serverCpuCores?: number;
  /** Server CPU time per successful response, in microseconds (all its threads). */
  serverCpuUsPerRequest?: number;
  /** CPU used by everything else on the machine (not the server, not this process) during the run, in cores. */
  otherCpuCores: number;
  statusCodes: Record<string, number>;
}

export type LoadOptions = Omit<autocannon.Options, 'url'> & { url: string };

/** One autocannon run, without the progress bar. */
export function fire(options: LoadOptions): Promise<autocannon.Result> {
  return new Promise((done, fail) => {
    autocannon(options, (err, result) => (err ? fail(err) : done(result)));
  });
}

/** A warm-up run (results discarded), then the measured run, with the server's CPU use over it. */
export async function measure(options: LoadOptions, opts: { warmupS: number; serverPid?: number }): Promise<LoadFigures> {
  if (opts.warmupS > 0 && options.amount === undefined) await fire({ ...options, duration: opts.warmupS });
  const server0 = opts.serverPid ? cpuSecondsOf(opts.serverPid) : 0;
  const self0 = process.cpuUsage();
  const machine0 = machineBusySeconds();
  const t0 = performance.now();
  const result = await fire(options);
  const wallS = (performance.now() - t0) / 1000;
  const server = opts.serverPid ? cpuSecondsOf(opts.serverPid) - server0 : 0;
  const self = process.cpuUsage(self0);
  const figures = figuresOf(result);
  figures.otherCpuCores = Math.max(0, machineBusySeconds() - machine0 - server - (self.user + self.system) / 1e6) / wallS;
  if (opts.serverPid) {
    figures.serverCpuCores = server / wallS;
    figures.serverCpuUsPerRequest = figures.ok > 0 ? (server * 1e6) / figures.ok : NaN;
  }
  return figures;
}

export function figuresOf(r: autocannon.Result): LoadFigures {
  const durationS = r.duration;
  const statusCodes: Record<string, number> = {};
  for (const [code, s] of Object.entries(r.statusCodeStats ?? {})) statusCodes[code] = s.count ?? 0;
  return {
    rps: r['2xx'] / durationS,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    durationS,
    otherCpuCores: NaN,
    statusCodes,
  };
}

/** Percentile (nearest rank) of an unsorted sample. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Several runs of one load: each figure is the median over the runs (counts are summed), and every run is kept. */
export interface RoundsFigures extends LoadFigures {
  runs: LoadFigures[];
}

/** Median of the values that are numbers (the mean of the middle two for an even count); NaN when none is. */
export function median(values: number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function medianOf(runs: LoadFigures[]): RoundsFigures {
  const m = (pick: (f: LoadFigures) => number | undefined) => median(runs.map((f) => pick(f) ?? NaN));
  const sum = (pick: (f: LoadFigures) => number) => runs.reduce((total, f) => total + pick(f), 0);
  const statusCodes: Record<string, number> = {};
  for (const f of runs) for (const [code, n] of Object.entries(f.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
  return {
    rps: m((f) => f.rps),
    p50Ms: m((f) => f.p50Ms),
    p99Ms: m((f) => f.p99Ms),
    maxMs: Math.max(...runs.map((f) => f.maxMs)),
    ok: sum((f) => f.ok),
    non2xx: sum((f) => f.non2xx),
    errors: sum((f) => f.errors),
    timeouts: sum((f) => f.timeouts),
    durationS: sum((f) => f.durationS),
    serverCpuCores: runs[0]?.serverCpuCores === undefined ? undefined : m((f) => f.serverCpuCores),
    serverCpuUsPerRequest: runs[0]?.serverCpuUsPerRequest === undefined ? undefined : m((f) => f.serverCpuUsPerRequest),
    otherCpuCores: m((f) => f.otherCpuCores),
    statusCodes,
    runs,
  };
}
