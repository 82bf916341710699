import type { AlertCategory, AlertSeverity } from '../types.js';

/** A rule as written in the default pack and in ALERT_RULES_FILE (condition as text). */
export interface RuleSpec {
  name: string;
  condition: string;
  for: string;
  severity: AlertSeverity;
  category: AlertCategory;
  summary: string;
  description: string;
  runbook: string;
  /** Open an incident (default: critical only). */
  incident?: boolean;
  labels?: Record<string, string>;
}

/**
 * The default pack: the seeds' rules (001 alert-rules.yml, 003 Alert Configuration) with their
 * thresholds, over Vigil's signals. `runbook` names a file of docs/runbooks/ (served at /runbooks/<name>).
 */
export const DEFAULT_RULES: RuleSpec[] = [
  { name: 'HealthCheckDown', condition: 'health_up == 0', for: '1m', severity: 'critical', category: 'availability', summary: 'Vigil reports itself unhealthy', description: '/health has reported degraded for over a minute.', runbook: 'health-check-failure' },
  { name: 'DatabaseConnectionFailure', condition: 'database_up == 0', for: '30s', severity: 'critical', category: 'database', summary: 'The database does not answer', description: 'The periodic database probe has failed for 30 seconds.', runbook: 'database-connection-failure' },
  { name: 'RedisUnavailable', condition: 'redis_up == 0', for: '1m', severity: 'warning', category: 'availability', summary: 'Redis is unreachable', description: 'Redis has been unreachable for a minute; each instance works on its own local state (limits and blocks are not shared).', runbook: 'redis-unavailable' },
  { name: 'HighErrorRate', condition: 'http_5xx_ratio[5m] > 0.05', for: '2m', severity: 'critical', category: 'availability', summary: 'More than 5% of requests fail', description: '{{ $value }} of requests answered 5xx over 5 minutes.', runbook: 'high-error-rate' },
  { name: 'HighErrorRateWarning', condition: 'http_5xx_ratio[5m] > 0.01', for: '5m', severity: 'warning', category: 'availability', summary: 'More than 1% of requests fail', description: '{{ $value }} of requests answered 5xx over 5 minutes.', runbook: 'high-error-rate' },
  { name: 'HighClientErrorRate', condition: 'http_4xx_ratio[15m] > 0.25', for: '15m', severity: 'info', category: 'security', summary: 'Many requests are refused (4xx)', description: '{{ $value }} of requests answered 4xx over 15 minutes.', runbook: 'suspicious-activity' },
  { name: 'SlowResponseTimes', condition: 'http_latency_p95_seconds[5m] > 1', for: '5m', severity: 'warning', category: 'performance', summary: 'p95 response time above 1 s', description: 'p95 is {{ $value }} s over 5 minutes.', runbook: 'performance-degradation' },
  { name: 'HighMemoryUsage', condition: 'memory_usage_percent > 80', for: '10m', severity: 'warning', category: 'performance', summary: 'Memory usage above 80%', description: 'Resident memory is {{ $value }}% of the limit.', runbook: 'memory-usage' },
  { name: 'DiskSpaceLow', condition: 'disk_free_percent < 10', for: '5m', severity: 'critical', category: 'database', summary: 'Less than 10% disk free', description: "{{ $value }}% free on the data directory's file system.", runbook: 'disk-space-low' },
  { name: 'HighRateLimitViolations', condition: 'rate_limit_violations[1h] > 100', for: '0s', severity: 'warning', category: 'security', summary: 'More than 100 rate-limit violations in an hour', description: '{{ $value }} requests refused by rate limits in the last hour.', runbook: 'rate-limit-violations' },
  { name: 'HighRateLimitViolationsBurst', condition: 'rate_limit_violations_per_second[5m] > 10', for: '2m', severity: 'warning', category: 'security', summary: 'More than 10 rate-limit violations per second', description: '{{ $value }} refusals per second over 5 minutes.', runbook: 'rate-limit-violations' },
  { name: 'SuspiciousLoginActivity', condition: 'failed_logins_per_ip[1h] > 50', for: '0s', severity: 'info', category: 'security', summary: 'More than 50 failed logins in an hour from {{ $labels.ip }}', description: '{{ $value }} failed logins from {{ $labels.ip }} in the last hour.', runbook: 'suspicious-activity' },
  { name: 'AuthFailureSpike', condition: 'failed_logins_per_second[5m] > 50', for: '2m', severity: 'warning', category: 'security', summary: 'Spike in failed logins', description: '{{ $value }} failed logins per second over 5 minutes.', runbook: 'suspicious-activity' },
  { name: 'BruteForceAttackDetected', condition: 'brute_force_detections[5m] > 0', for: '0s', severity: 'critical', category: 'security', summary: 'Brute-force attack from {{ $labels.ip }}', description: 'The brute-force detectors fired {{ $value }} time(s) for {{ $labels.ip }} in 5 minutes (the address is blocked when DETECT_BRUTE_FORCE_IP says block_ip).', runbook: 'brute-force-attack' },
  { name: 'ManyBlockedIPs', condition: 'blocked_ips > 20', for: '5m', severity: 'warning', category: 'security', summary: 'More than 20 IPs blocked', description: '{{ $value }} addresses or ranges are blocked.', runbook: 'blocked-ips' },
  { name: 'TokenBlacklistLarge', condition: 'token_blacklist_size > 10000', for: '15m', severity: 'warning', category: 'maintenance', summary: 'Token blacklist above 10k entries', description: '{{ $value }} blacklist entries.', runbook: 'token-cleanup' },
  { name: 'TokenBlacklistLargeCritical', condition: 'token_blacklist_size > 50000', for: '15m', severity: 'critical', category: 'maintenance', summary: 'Token blacklist above 50k entries', description: '{{ $value }} blacklist entries.', runbook: 'token-cleanup' },
  { name: 'TokenCleanupNotRunning', condition: 'token_blacklist_expired_ratio > 0.8', for: '1h', severity: 'warning', category: 'maintenance', summary: 'Most blacklist entries are expired', description: '{{ $value }} of the blacklist has expired and was not cleaned up.', runbook: 'token-cleanup' },
  { name: 'MaintenanceJobStale', condition: 'job_staleness_seconds > 172800', for: '0s', severity: 'warning', category: 'maintenance', summary: 'Job {{ $labels.job }} has not succeeded for 2 days', description: 'Last success {{ $value }} s ago.', runbook: 'maintenance-jobs' },
  { name: 'BackupTooOld', condition: 'backup_age_seconds > 93600', for: '0s', severity: 'critical', category: 'maintenance', summary: 'No successful backup for 26 hours', description: 'Last successful {{ $labels.job }} {{ $value }} s ago.', runbook: 'data-recovery' },
  { name: 'SLOBurnRateFast', condition: 'slo_burn_rate[1h] > 14.4 and slo_burn_rate[5m] > 14.4', for: '0s', severity: 'critical', category: 'availability', summary: 'Error budget burning 14.4× too fast', description: 'At this rate 2% of the 30-day budget goes in an hour.', runbook: 'slo-burn-rate' },
  { name: 'SLOBurnRateMedium', condition: 'slo_burn_rate[6h] > 6 and slo_burn_rate[30m] > 6', for: '0s', severity: 'critical', category: 'availability', summary: 'Error budget burning 6× too fast', description: 'At this rate 5% of the 30-day budget goes in 6 hours.', runbook: 'slo-burn-rate' },
  { name: 'SLOBurnRateSlow', condition: 'slo_burn_rate[3d] > 1 and slo_burn_rate[6h] > 1', for: '0s', severity: 'warning', category: 'availability', summary: 'Error budget burning faster than it refills', description: 'Over 3 days the budget is spent faster than the SLO allows (a ticket, not a page).', runbook: 'slo-burn-rate' },
  { name: 'NotificationsDeadLettered', condition: 'notifications_dead_lettered[1h] > 0', for: '0s', severity: 'warning', category: 'availability', summary: 'Alert notifications were given up', description: '{{ $value }} notification(s) dead-lettered in the last hour.', runbook: 'notification-delivery' },
];

/** Alertmanager's inhibition for the pack: a database outage explains the errors it causes. */
export const DEFAULT_INHIBIT_RULES = [
  { source: { alertname: 'DatabaseConnectionFailure' }, target: { alertname: 'HighErrorRate' }, equal: [] as string[] },
  { source: { alertname: 'DatabaseConnectionFailure' }, target: { alertname: 'HighErrorRateWarning' }, equal: [] as string[] },
  { source: { alertname: 'DatabaseConnectionFailure' }, target: { alertname: 'HealthCheckDown' }, equal: [] as string[] },
  { source: { alertname: 'HighErrorRate' }, target: { alertname: 'HighErrorRateWarning' }, equal: [] as string[] },
  { source: { alertname: 'TokenBlacklistLargeCritical' }, target: { alertname: 'TokenBlacklistLarge' }, equal: [] as string[] },
];
