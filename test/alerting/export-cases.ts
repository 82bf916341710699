/**
 * Input series for `promtool test rules` over the exported default pack: for every exported rule,
 * series that make it fire (with the labels and `$value` Prometheus gives the alert) and series
 * that do not (below the threshold, or filtered out). Series are written as Prometheus stores them
 * after scraping Vigil (target labels job and instance; the maintenance job in exported_job).
 * Values are chosen so `$value` is exact (ratios of 0.5, quantiles at a bucket bound).
 */

export interface FiringCase {
  /** promtool's expanding notation per series, e.g. '0+60x20' (one sample per `interval`). */
  series: Record<string, string>;
  evalTime: string;
  interval?: string;
  /** The alert's labels besides alertname and the rule's own (severity, category). */
  labels: Record<string, string>;
  /** `{{ $value }}` as Prometheus prints it (descriptions quote it). */
  value: string;
}

export type QuietCase = Omit<FiringCase, 'labels' | 'value'>;

const I = 'job="vigil",instance="vigil-1:8000"';
const I2 = 'job="vigil",instance="vigil-2:8000"';
const JOB = { job: 'vigil' };
const INSTANCE = { job: 'vigil', instance: 'vigil-1:8000' };
const requests = (status: string, values: string, route = '/api/v1/auth/me') => ({ [`vigil_http_requests_total{${I},method="GET",route="${route}",status="${status}"}`]: values });
const buckets = (values: Record<string, string>) =>
  Object.fromEntries(Object.entries(values).map(([le, v]) => [`vigil_http_request_duration_seconds_bucket{${I},method="GET",route="/api/v1/auth/me",le="${le}"}`, v]));
const blacklist = (active: string, expired: string) => ({ [`vigil_token_blacklist_entries{${I},state="active"}`]: active, [`vigil_token_blacklist_entries{${I},state="expired"}`]: expired });
const lastSuccess = (job: string, values: string) => ({ [`vigil_job_last_success_timestamp_seconds{${I},exported_job="${job}"}`]: values });

/** Half the requests fail: 5xx ratio 0.5, burn rate 500 at 99.9%. */
const halfFail = (n: number, step: number) => ({ ...requests('200', `0+${step}x${n}`), ...requests('500', `0+${step}x${n}`) });
/** One request in 2000 fails: 5xx ratio 0.0005, burn rate 0.5. */
const rareFail = (n: number, step: number) => ({ ...requests('200', `0+${step * 1999}x${n}`), ...requests('500', `0+${step}x${n}`) });

export const EXPORT_CASES: Record<string, { fires: FiringCase; quiet: QuietCase }> = {
  HealthCheckDown: {
    fires: { series: { [`vigil_db_up{${I}}`]: '1x10', [`vigil_redis_up{${I}}`]: '0x10' }, evalTime: '5m', labels: INSTANCE, value: '0' },
    quiet: { series: { [`vigil_db_up{${I}}`]: '1x10', [`vigil_redis_up{${I}}`]: '1x10' }, evalTime: '5m' },
  },
  DatabaseConnectionFailure: {
    fires: { series: { [`vigil_db_up{${I}}`]: '0x10' }, evalTime: '5m', labels: INSTANCE, value: '0' },
    quiet: { series: { [`vigil_db_up{${I}}`]: '1x10' }, evalTime: '5m' },
  },
  RedisUnavailable: {
    fires: { series: { [`vigil_redis_up{${I}}`]: '0x10' }, evalTime: '5m', labels: INSTANCE, value: '0' },
    quiet: { series: { [`vigil_redis_up{${I}}`]: '1x10' }, evalTime: '5m' },
  },
  HighErrorRate: {
    fires: { series: halfFail(20, 60), evalTime: '15m', labels: JOB, value: '0.5' },
    // 1 in 64 fails: above the warning's 1%, below the critical 5%.
    quiet: { series: { ...requests('200', '0+63x20'), ...requests('500', '0+1x20') }, evalTime: '15m' },
  },
  HighErrorRateWarning: {
    fires: { series: halfFail(20, 60), evalTime: '15m', labels: JOB, value: '0.5' },
    quiet: { series: { ...requests('200', '0+199x20'), ...requests('500', '0+1x20') }, evalTime: '15m' },
  },
  HighClientErrorRate: {
    fires: { series: { ...requests('200', '0+60x40'), ...requests('404', '0+60x40', 'unmatched') }, evalTime: '35m', labels: JOB, value: '0.5' },
    quiet: { series: { ...requests('200', '0+7x40'), ...requests('404', '0+1x40', 'unmatched') }, evalTime: '35m' },
  },
  SlowResponseTimes: {
    // Every request slower than the last finite bucket: histogram_quantile answers that bound, 5.
    fires: { series: buckets({ '0.5': '0x20', '1': '0x20', '2.5': '0x20', '5': '0x20', '+Inf': '0+60x20' }), evalTime: '15m', labels: JOB, value: '5' },
    quiet: { series: buckets({ '0.5': '0+60x20', '1': '0+60x20', '2.5': '0+60x20', '5': '0+60x20', '+Inf': '0+60x20' }), evalTime: '15m' },
  },
  DiskSpaceLow: {
    fires: { series: { [`vigil_data_disk_free_ratio{${I}}`]: '0.0625x20' }, evalTime: '10m', labels: INSTANCE, value: '6.25' },
    quiet: { series: { [`vigil_data_disk_free_ratio{${I}}`]: '0.5x20' }, evalTime: '10m' },
  },
  HighRateLimitViolations: {
    fires: { series: { [`vigil_rate_limit_exceeded_total{${I},limit_type="ip"}`]: '0+2x60' }, evalTime: '60m', labels: JOB, value: '120' },
    quiet: { series: { [`vigil_rate_limit_exceeded_total{${I},limit_type="ip"}`]: '0+1x60' }, evalTime: '60m' },
  },
  HighRateLimitViolationsBurst: {
    fires: { series: { [`vigil_rate_limit_exceeded_total{${I},limit_type="route"}`]: '0+1200x20' }, evalTime: '15m', labels: JOB, value: '20' },
    quiet: { series: { [`vigil_rate_limit_exceeded_total{${I},limit_type="route"}`]: '0+300x20' }, evalTime: '15m' },
  },
  AuthFailureSpike: {
    fires: { series: { [`vigil_security_events_total{${I},type="LOGIN_FAILED"}`]: '0+6000x20' }, evalTime: '15m', labels: JOB, value: '100' },
    // Many successful logins do not count.
    quiet: { series: { [`vigil_security_events_total{${I},type="LOGIN_FAILED"}`]: '0+600x20', [`vigil_security_events_total{${I},type="LOGIN_SUCCEEDED"}`]: '0+60000x20' }, evalTime: '15m' },
  },
  ManyBlockedIPs: {
    // Two instances see the same blocks: one alert for the job.
    fires: { series: { [`vigil_blocked_ips{${I}}`]: '25x20', [`vigil_blocked_ips{${I2}}`]: '25x20' }, evalTime: '10m', labels: JOB, value: '25' },
    quiet: { series: { [`vigil_blocked_ips{${I}}`]: '20x20' }, evalTime: '10m' },
  },
  TokenBlacklistLarge: {
    fires: { series: blacklist('8000x30', '4000x30'), evalTime: '20m', labels: JOB, value: '12000' },
    quiet: { series: blacklist('6000x30', '3000x30'), evalTime: '20m' },
  },
  TokenBlacklistLargeCritical: {
    fires: { series: blacklist('40000x30', '20000x30'), evalTime: '20m', labels: JOB, value: '60000' },
    quiet: { series: blacklist('30000x30', '15000x30'), evalTime: '20m' },
  },
  TokenCleanupNotRunning: {
    fires: { series: blacklist('100x80', '900x80'), evalTime: '70m', labels: JOB, value: '0.9' },
    quiet: { series: blacklist('500x80', '500x80'), evalTime: '70m' },
  },
  MaintenanceJobStale: {
    // Last success 200 000 s before the test's time 0; evaluated at 60 s.
    fires: { series: lastSuccess('cleanup-tokens', '-200000x5'), evalTime: '1m', labels: { job: 'cleanup-tokens' }, value: '200060' },
    quiet: { series: lastSuccess('cleanup-tokens', '0x5'), evalTime: '1m' },
  },
  BackupTooOld: {
    fires: { series: lastSuccess('backup', '-100000x5'), evalTime: '1m', labels: { job: 'backup' }, value: '100060' },
    // A stale job that is not a backup does not count.
    quiet: { series: { ...lastSuccess('backup', '0x5'), ...lastSuccess('cleanup-tokens', '-200000x5') }, evalTime: '1m' },
  },
  SLOBurnRateFast: {
    fires: { series: halfFail(60, 60), evalTime: '60m', labels: JOB, value: '500' },
    quiet: { series: rareFail(60, 60), evalTime: '60m' },
  },
  SLOBurnRateMedium: {
    fires: { series: halfFail(72, 300), interval: '5m', evalTime: '6h', labels: JOB, value: '500' },
    quiet: { series: rareFail(72, 300), interval: '5m', evalTime: '6h' },
  },
  SLOBurnRateSlow: {
    fires: { series: halfFail(72, 300), interval: '5m', evalTime: '6h', labels: JOB, value: '500' },
    quiet: { series: rareFail(72, 300), interval: '5m', evalTime: '6h' },
  },
};
