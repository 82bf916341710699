import { useState } from 'preact/hooks';
import { admin, get } from '../api';
import { Chart } from '../chart';
import { useLive, useLoad, useThrottled } from '../hooks';
import { Badge, ErrorNote, Loading, Panel, fmt } from '../ui';

interface Detailed {
  status: string;
  version: string;
  environment: string;
  dependencies: Record<string, { status: string; latency_ms?: number; error?: string }>;
  process: { uptime_seconds: number };
}
interface Kpi {
  name: string;
  description: string;
  objective: '>=' | '<=';
  target: number;
  actual: number | null;
  compliant: boolean | null;
  error_budget_remaining: number;
}
interface Slo {
  window_seconds: number;
  minutes_recorded: number;
  kpis: Kpi[];
}
interface Point {
  t: string;
  requests: number;
  errors_5xx: number;
  error_rate: number | null;
  p95_ms: number | null;
  login_failures: number;
}
interface Series {
  bucket_seconds: number;
  buckets: Point[];
}
interface Stats {
  users: { total: number; admins: number; disabled: number; locked: number; new_today: number };
  logins_today: { success: number; failure: number };
  blocked_ips: number;
  active_sessions: number;
}

/** Every KPI is a percentage of requests, logins or validations (src/incidents/slo.ts). */
const pctValue = (x: number | null) => (x === null ? '—' : `${Math.round(x * 1000) / 1000} %`);

const CHARTS: { key: keyof Point; label: string; unit: string; color: string; scale?: number }[] = [
  { key: 'requests', label: 'Requests', unit: 'per bucket', color: '#2f6fdf' },
  { key: 'error_rate', label: 'Error rate (5xx)', unit: '%', color: '#d2452c', scale: 100 },
  { key: 'p95_ms', label: 'p95 latency', unit: 'ms', color: '#8a56d6' },
  { key: 'login_failures', label: 'Failed logins', unit: 'per bucket', color: '#d38b00' },
];

export function OverviewPage() {
  const [window, setWindow] = useState<'1h' | '24h'>('1h');
  const health = useLoad(() => get<Detailed>('/health/detailed'));
  const slo = useLoad(() => get<Slo>(admin('/slo')));
  const stats = useLoad(() => get<Stats>(admin('/stats')));
  const series = useLoad(() => get<Series>(admin(`/timeseries?window=${window}`)), [window]);
  const reloadHealth = useThrottled(health.reload, 1000);
  useLive('health', reloadHealth);

  const times = series.data?.buckets.map((b) => Date.parse(b.t) / 1000) ?? [];
  return (
    <div class="grid">
      <Panel title="Service health" actions={<button type="button" onClick={health.reload}>Refresh</button>}>
        <ErrorNote error={health.error} />
        {!health.data && !health.error && <Loading what="health" />}
        {health.data && (
          <>
            <p>
              Overall <Badge value={health.data.status} /> · version {health.data.version} · {health.data.environment} · up {Math.round(health.data.process.uptime_seconds / 60)} min
            </p>
            <table>
              <thead>
                <tr><th scope="col">Dependency</th><th scope="col">Status</th><th scope="col">Latency</th></tr>
              </thead>
              <tbody>
                {Object.entries(health.data.dependencies).map(([name, d]) => (
                  <tr key={name}>
                    <th scope="row">{name}</th>
                    <td><Badge value={d.status} />{d.error ? <span class="muted"> {d.error}</span> : null}</td>
                    <td>{d.latency_ms === undefined ? '—' : `${d.latency_ms} ms`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </Panel>

      <Panel title="Today">
        <ErrorNote error={stats.error} />
        {stats.data && (
          <dl class="tiles">
            <div><dt>Users</dt><dd>{fmt.num(stats.data.users.total)}</dd></div>
            <div><dt>Logins today</dt><dd>{fmt.num(stats.data.logins_today.success)}</dd></div>
            <div><dt>Failed logins today</dt><dd>{fmt.num(stats.data.logins_today.failure)}</dd></div>
            <div><dt>Blocked IPs</dt><dd>{fmt.num(stats.data.blocked_ips)}</dd></div>
            <div><dt>Locked accounts</dt><dd>{fmt.num(stats.data.users.locked)}</dd></div>
            <div><dt>Active sessions</dt><dd>{fmt.num(stats.data.active_sessions)}</dd></div>
          </dl>
        )}
      </Panel>

      <Panel title="SLOs and KPIs" actions={slo.data && <span class="muted">over {Math.round(slo.data.window_seconds / 86400)} d, {fmt.num(slo.data.minutes_recorded)} min recorded</span>}>
        <ErrorNote error={slo.error} />
        {slo.data && (
          <div class="scroll">
            <table>
              <thead>
                <tr><th scope="col">KPI</th><th scope="col">Target</th><th scope="col">Actual</th><th scope="col">Status</th><th scope="col">Budget left</th></tr>
              </thead>
              <tbody>
                {slo.data.kpis.map((k) => (
                  <tr key={k.name}>
                    <th scope="row">{k.name.replace(/_/g, ' ')}<span class="sub">{k.description}</span></th>
                    <td>{k.objective} {pctValue(k.target)}</td>
                    <td>{pctValue(k.actual)}</td>
                    <td>{k.compliant === null ? <span class="muted">no data</span> : <Badge value={k.compliant ? 'met' : 'missed'} />}</td>
                    <td>{fmt.pct(k.error_budget_remaining, 0)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Panel>

      <Panel
        title="Traffic"
        actions={
          <div role="group" aria-label="Chart window" class="segmented">
            {(['1h', '24h'] as const).map((w) => (
              <button key={w} type="button" aria-pressed={window === w} onClick={() => setWindow(w)}>
                {w === '1h' ? 'Last hour' : 'Last day'}
              </button>
            ))}
          </div>
        }
      >
        <ErrorNote error={series.error} />
        {series.data && (
          <div class="charts">
            {CHARTS.map((c) => {
              const values = series.data!.buckets.map((b) => {
                const v = b[c.key] as number | null;
                return v === null ? null : c.scale ? v * c.scale : v;
              });
              const total = c.key === 'requests' || c.key === 'login_failures' ? values.reduce<number>((a, v) => a + (v ?? 0), 0) : undefined;
              return (
                <figure key={`${c.key}-${window}`}>
                  <figcaption>
                    {c.label} <span class="muted">({c.unit}{c.unit.startsWith('per') ? ` of ${series.data!.bucket_seconds / 60} min` : ''}{total !== undefined ? `, ${fmt.num(total)} in all` : ''})</span>
                  </figcaption>
                  <Chart label={c.label} unit={c.unit} times={times} values={values} color={c.color} />
                </figure>
              );
            })}
          </div>
        )}
      </Panel>
    </div>
  );
}
