/**
 * Every alert signal (src/alerting/signals/) as PromQL over Vigil's own metrics, or why it has no
 * equivalent there. `vigil alerts export` translates rules clause by clause with this table; a
 * rule with a clause that has no equivalent is left out of the export with the reason.
 *
 * Series are as Prometheus stores them after a scrape with `honor_labels: false` (the default, as
 * in deploy/prometheus/prometheus.yml): every series carries the target's `job` and `instance`,
 * and a metric's own `job` label (the maintenance job of vigil_job_last_success_timestamp_seconds)
 * is renamed `exported_job`.
 */

/**
 * Which labels a translated clause keeps: `instance` (one series per Vigil process, as the
 * process evaluates it), `job` (summed or maxed over the instances of a Prometheus job), `key`
 * (one series per maintenance job, in the label `job` as Vigil's own alerts have it).
 */
export type Scope = 'instance' | 'job' | 'key';

export interface Translation {
  scope: Scope;
  /** The PromQL whose value the clause compares; `window` is a PromQL duration (windowed signals only). */
  expr(window: string, ctx: { errorBudget: number }): string;
}

/** A signal with no equivalent over the metrics: why (docs/operations.md and the rules file quote it). */
export interface Missing {
  missing: string;
}

const requests = (selector: string, window: string) => `sum by (job) (rate(vigil_http_requests_total${selector}[${window}]))`;
const ratio5xx = (window: string) => `${requests('{status=~"5.."}', window)} / ${requests('', window)}`;
const quantile = (q: number, window: string) => `histogram_quantile(${q}, sum by (job, le) (rate(vigil_http_request_duration_seconds_bucket[${window}])))`;
/** Seconds since each maintenance job (filtered by `selector`) last succeeded, with its name in `job`. */
const sinceSuccess = (selector: string) =>
  `label_replace(label_replace(time() - max by (exported_job) (vigil_job_last_success_timestamp_seconds${selector}), "job", "$1", "exported_job", "(.*)"), "exported_job", "", "exported_job", ".*")`;
const loginFailures = (fn: 'increase' | 'rate', window: string) => `sum by (job) (${fn}(vigil_security_events_total{type="LOGIN_FAILED"}[${window}]))`;
const rateLimited = (fn: 'increase' | 'rate', window: string) => `sum by (job) (${fn}(vigil_rate_limit_exceeded_total[${window}]))`;
const blacklist = (selector: string) => `sum by (job, instance) (vigil_token_blacklist_entries${selector})`;

/** By signal name. A signal missing from this table cannot be exported (the export says so). */
export const SIGNAL_PROMQL: Record<string, Translation | Missing> = {
  // /health is degraded exactly when the database probe failed or Redis is unreachable, the
  // two gauges below (vigil_redis_up is 1 without REDIS_URL, where /health ignores Redis).
  health_up: { scope: 'instance', expr: () => 'min by (job, instance) ({__name__=~"vigil_db_up|vigil_redis_up"})' },
  database_up: { scope: 'instance', expr: () => 'vigil_db_up' },
  // Vigil's signal has no data without REDIS_URL where the gauge says 1: `redis_up == 0` is the same.
  redis_up: { scope: 'instance', expr: () => 'vigil_redis_up' },
  memory_usage_percent: {
    missing: "Vigil's metrics have the resident memory (process_resident_memory_bytes) but not the limit it is compared with (the cgroup's, else the machine's); use your container metrics, e.g. cAdvisor's container_memory_working_set_bytes / container_spec_memory_limit_bytes",
  },
  disk_free_percent: { scope: 'instance', expr: () => 'vigil_data_disk_free_ratio * 100' },
  // Both are monitorEventLoopDelay's p99 over the last interval (15 s sample, or since the last scrape).
  event_loop_lag_p99_ms: { scope: 'instance', expr: () => 'nodejs_eventloop_lag_p99_seconds * 1000' },
  http_5xx_ratio: { scope: 'job', expr: (w) => ratio5xx(w) },
  http_4xx_ratio: { scope: 'job', expr: (w) => `${requests('{status=~"4.."}', w)} / ${requests('', w)}` },
  http_requests_per_second: { scope: 'job', expr: (w) => requests('', w) },
  http_latency_p95_seconds: { scope: 'job', expr: (w) => quantile(0.95, w) },
  http_latency_p99_seconds: { scope: 'job', expr: (w) => quantile(0.99, w) },
  slo_burn_rate: { scope: 'job', expr: (w, ctx) => `(${ratio5xx(w)}) / ${ctx.errorBudget}` },
  // Every LOGIN_FAILED event, whatever its reason (as the signal counts them); the auth-attempts
  // counter splits them into failure, locked and blocked, and its blocked also counts refusals at the edge.
  failed_logins: { scope: 'job', expr: (w) => loginFailures('increase', w) },
  failed_logins_per_second: { scope: 'job', expr: (w) => loginFailures('rate', w) },
  rate_limit_violations: { scope: 'job', expr: (w) => rateLimited('increase', w) },
  rate_limit_violations_per_second: { scope: 'job', expr: (w) => rateLimited('rate', w) },
  failed_logins_per_ip: { missing: 'per client address: Vigil never puts an address in a metric label' },
  failed_logins_per_user: { missing: 'per account: Vigil never puts a user id in a metric label' },
  brute_force_detections: {
    missing: 'vigil_security_events_total{type="SUSPICIOUS_ACTIVITY"} counts every detector\'s findings without the detector kind or the address, so brute-force detections per address cannot be told apart',
  },
  // The gauges below read shared state (the database, or Redis for blocks): the same on every instance.
  blocked_ips: { scope: 'job', expr: () => 'max by (job) (vigil_blocked_ips)' },
  token_blacklist_size: { scope: 'job', expr: () => `max by (job) (${blacklist('')})` },
  token_blacklist_expired_ratio: { scope: 'job', expr: () => `max by (job) (${blacklist('{state="expired"}')} / ${blacklist('')})` },
  // Each instance sets the gauge when a job succeeds on it: the newest over the instances counts.
  job_staleness_seconds: { scope: 'key', expr: () => sinceSuccess('') },
  backup_age_seconds: { scope: 'key', expr: () => sinceSuccess('{exported_job=~".*backup.*"}') },
  notifications_dead_lettered: {
    missing: "no metric counts Vigil's notification outbox; with Prometheus, Alertmanager delivers (see its alertmanager_notifications_failed_total)",
  },
};

export const isMissing = (t: Translation | Missing): t is Missing => 'missing' in t;
