import { InvalidArgumentError, type Command } from 'commander';
import type { Config } from '../config/index.js';
import { parseDuration } from '../shared/duration.js';
import { CliError, EXIT, loadCliConfig, printJson, table, type CliIo, type GlobalOptions } from './context.js';

/** One endpoint checked: healthy or not, how fast, and what it said. */
export interface EndpointCheck {
  status: 'healthy' | 'unhealthy' | 'error';
  url: string;
  http_status?: number;
  response_time_ms?: number;
  /** Why it is not healthy. */
  detail?: string;
  /** The JSON body, for liveness and readiness. */
  data?: unknown;
}

export interface HealthReport {
  checks: { liveness: EndpointCheck; readiness: EndpointCheck; auth: EndpointCheck };
  overall: { status: 'healthy' | 'unhealthy'; timestamp: string; summary: string };
}

/** The endpoints `vigil health` calls, relative to the base URL. */
export const HEALTH_ENDPOINTS = {
  liveness: '/health',
  readiness: '/health/ready',
  /** The public auth policy: answered by the auth routes, so it proves they are up. */
  auth: '/api/v1/auth/security-info',
} as const;

function parseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidArgumentError('expected an http(s) URL such as http://127.0.0.1:8000.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('expected an http(s) URL such as http://127.0.0.1:8000.');
  if (url.username || url.password) throw new InvalidArgumentError('the URL must not carry credentials.');
  return url.origin + url.pathname.replace(/\/+$/, '');
}

function parseTimeout(raw: string): number {
  const ms = parseDuration(raw);
  if (ms === undefined || ms > 300_000) throw new InvalidArgumentError('expected a duration up to 5m, such as 10s or 500ms.');
  return ms;
}

/** The server's own address from API_HOST/API_PORT (a wildcard host is reached on loopback). */
export function defaultBaseUrl(config: Pick<Config, 'http'>): string {
  const { host, port } = config.http;
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

async function check(base: string, path: string, timeoutMs: number, judge: (status: number, body: unknown) => string | undefined): Promise<EndpointCheck> {
  const url = base + path;
  const begin = performance.now();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' }, redirect: 'manual' });
    const text = await res.text();
    const response_time_ms = Math.round((performance.now() - begin) * 10) / 10;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const problem = judge(res.status, body);
    return { status: problem ? 'unhealthy' : 'healthy', url, http_status: res.status, response_time_ms, ...(problem ? { detail: problem } : {}), ...(body !== undefined && path !== HEALTH_ENDPOINTS.auth ? { data: body } : {}) };
  } catch (e) {
    const reason = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError') ? `no answer within ${timeoutMs} ms` : connectionError(e);
    return { status: 'error', url, response_time_ms: Math.round((performance.now() - begin) * 10) / 10, detail: reason };
  }
}

function connectionError(e: unknown): string {
  const cause = e instanceof Error ? (e.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
}

const field = (body: unknown, key: string): unknown => (body && typeof body === 'object' ? (body as Record<string, unknown>)[key] : undefined);

/** Checks liveness, readiness and the auth routes of the Vigil at `base`. */
export async function runHealthChecks(base: string, timeoutMs: number, now: () => Date = () => new Date()): Promise<HealthReport> {
  const [liveness, readiness, auth] = await Promise.all([
    check(base, HEALTH_ENDPOINTS.liveness, timeoutMs, (status, body) => {
      if (status !== 200) return `HTTP ${status}`;
      const state = field(body, 'status');
      return state === 'healthy' ? undefined : `status ${String(state)}`;
    }),
    check(base, HEALTH_ENDPOINTS.readiness, timeoutMs, (status, body) => {
      if (status === 200) return undefined;
      const checks = field(body, 'checks');
      const failing = checks && typeof checks === 'object' ? Object.entries(checks as Record<string, { status?: string }>).filter(([, c]) => c?.status !== 'ok').map(([n, c]) => `${n} (${c?.status ?? '?'})`) : [];
      return failing.length > 0 ? `HTTP ${status}: ${failing.join(', ')}` : `HTTP ${status}`;
    }),
    check(base, HEALTH_ENDPOINTS.auth, timeoutMs, (status) => (status === 200 ? undefined : `HTTP ${status}`)),
  ]);
  const checks = { liveness, readiness, auth };
  const healthy = Object.values(checks).filter((c) => c.status === 'healthy').length;
  const total = Object.keys(checks).length;
  return {
    checks,
    overall: { status: healthy === total ? 'healthy' : 'unhealthy', timestamp: now().toISOString(), summary: `${healthy}/${total} services healthy` },
  };
}

/** `vigil health`: the seed's health_monitor.py as a command, for cron and uptime monitors. */
export function registerHealth(program: Command, io: CliIo): void {
  program
    .command('health')
    .description('Check a running Vigil: liveness (/health), readiness (/health/ready) and auth (/api/v1/auth/security-info); exit 1 unless all are healthy')
    .option('--url <url>', 'base URL of the instance (default: http://API_HOST:API_PORT from the configuration)', parseUrl)
    .option('--timeout <duration>', 'how long to wait for each answer', parseTimeout, 10_000)
    .option('--json', 'print the report as JSON')
    .action(async (opts: { url?: string; timeout: number; json?: boolean }, cmd: Command) => {
      const base = opts.url ?? defaultBaseUrl(loadCliConfig(io, cmd.optsWithGlobals<GlobalOptions>()));
      const report = await runHealthChecks(base, opts.timeout);
      if (opts.json) {
        printJson(io.stdout, report);
      } else {
        const rows = Object.entries(report.checks).map(([name, c]) => [name, c.status, c.response_time_ms === undefined ? '-' : `${c.response_time_ms} ms`, c.detail ?? c.url]);
        io.stdout.write(table([['CHECK', 'STATUS', 'TIME', 'DETAIL'], ...rows]));
        io.stdout.write(`${report.overall.summary}\n`);
      }
      // The report is the output; only the exit status says more.
      if (report.overall.status !== 'healthy') throw new CliError(undefined, EXIT.failure);
    });
}
