import { InvalidArgumentError, type Command } from 'commander';
import type { Alerting } from '../alerting/service.js';
import { parseMatcher } from '../alerting/matchers.js';
import { testNotification } from '../alerting/routes.js';
import type { Services } from '../services.js';
import { parseDuration } from '../shared/duration.js';
import { CliError, EXIT, formatTime, isoOrNull, loadCliConfig, printJson, table, withServices, type CliIo, type GlobalOptions } from './context.js';

const CLI_ACTOR = 'cli';

const duration = (v: string) => {
  const ms = parseDuration(v);
  if (ms === undefined) throw new InvalidArgumentError('must be a duration such as 30m, 2h or 1d');
  return ms;
};
const positive = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('must be a whole number from 1 to 1000');
  return n;
};

/** The alerting service, or a failure naming the switch when ALERTING_ENABLED=false. */
export function alertingOf(services: Services): Alerting {
  if (!services.alerting) throw new CliError('error: alerting is off (ALERTING_ENABLED=false)', EXIT.failure);
  return services.alerting;
}

/** Records a CLI mutation as the admin API does (ADMIN_ACTION, actor cli). */
export function recordAction(services: Services, action: string, target: string): void {
  services.events.emit('ADMIN_ACTION', {}, { action, target, actor: CLI_ACTOR });
}

/** `vigil alerts list|history|silence|unsilence|test` (export: alerts-export.ts). Returns the `alerts` command. */
export function registerAlerts(program: Command, io: CliIo): Command {
  const alerts = program.command('alerts').description('Alerts firing, their history, silences, test notifications and the export for Prometheus');
  const run = <T>(cmd: Command, fn: (services: Services, alerting: Alerting) => Promise<T>) => {
    const globals = cmd.optsWithGlobals<GlobalOptions>();
    return withServices(io, loadCliConfig(io, globals), globals, (services) => fn(services, alertingOf(services)));
  };

  alerts
    .command('list')
    .description('Alerts firing now (as last recorded by the servers), with the silence that mutes one')
    .option('--json', 'print machine-readable JSON')
    .action((opts: { json?: boolean }, cmd: Command) =>
      run(cmd, async (_s, alerting) => {
        await alerting.silences.refresh();
        const list = alerting.active().map((a) => ({ fingerprint: a.fingerprint, rule: a.rule, severity: a.severity, category: a.category, labels: a.labels, value: a.value, fired_at: isoOrNull(a.firedAt ?? null), muted: alerting.dispatcher.muted(a)?.by ?? null }));
        if (opts.json) return printJson(io.stdout, { alerts: list });
        if (list.length === 0) return void io.stdout.write('No alert is firing.\n');
        io.stdout.write(table([['RULE', 'SEVERITY', 'LABELS', 'VALUE', 'FIRED', 'MUTED'], ...list.map((a) => [a.rule, a.severity, Object.entries(a.labels).filter(([k]) => !['alertname', 'severity', 'category'].includes(k)).map(([k, v]) => `${k}=${v}`).join(',') || '-', String(a.value), a.fired_at ?? '-', a.muted ?? '-'])]));
      }));

  alerts
    .command('history')
    .description('Alerts that fired, newest first')
    .option('--since <duration>', 'only those fired in this past period, e.g. 1d', duration)
    .option('--limit <n>', 'at most this many (1–1000)', positive, 50)
    .option('--json', 'print machine-readable JSON')
    .action((opts: { since?: number; limit: number; json?: boolean }, cmd: Command) =>
      run(cmd, async (services, alerting) => {
        const rows = await alerting.history({ since: opts.since === undefined ? undefined : services.clock.now() - opts.since, limit: opts.limit });
        const list = rows.map((r) => ({ fingerprint: r.fingerprint, rule: r.rule, severity: r.severity, labels: JSON.parse(r.labels) as Record<string, string>, value: r.value, fired_at: isoOrNull(r.fired_at)!, resolved_at: isoOrNull(r.resolved_at) }));
        if (opts.json) return printJson(io.stdout, { alerts: list });
        io.stdout.write(table([['FIRED', 'RESOLVED', 'RULE', 'SEVERITY', 'VALUE'], ...rows.map((r) => [formatTime(r.fired_at), formatTime(r.resolved_at), r.rule, r.severity, String(r.value)])]));
      }));

  alerts
    .command('silence')
    .description('Silence alerts matching every matcher, e.g. alertname=HighErrorRate ip=~"10\\..*"')
    .argument('<matchers...>', 'label matchers: name=value, name!=value, name=~regex, name!~regex')
    .requiredOption('--duration <duration>', 'how long, e.g. 2h', duration)
    .requiredOption('--comment <text>', 'why (shown with the silence)')
    .option('--json', 'print machine-readable JSON')
    .action((texts: string[], opts: { duration: number; comment: string; json?: boolean }, cmd: Command) => {
      const matchers = texts.map((t) => {
        const m = parseMatcher(t);
        if (typeof m === 'string') throw new CliError(`error: ${m}`, EXIT.usage);
        return m;
      });
      return run(cmd, async (services, alerting) => {
        const s = await alerting.silences.create({ matchers, durationMs: opts.duration, createdBy: CLI_ACTOR, comment: opts.comment });
        recordAction(services, 'alert_silence', s.id);
        const view = { id: s.id, matchers: s.matchers.map((m) => `${m.name}${m.op}${m.value}`), starts_at: isoOrNull(s.startsAt), ends_at: isoOrNull(s.endsAt), comment: s.comment };
        if (opts.json) return printJson(io.stdout, view);
        io.stdout.write(`Silence ${s.id} until ${formatTime(s.endsAt)}: ${view.matchers.join(', ')}\n`);
      });
    });

  alerts
    .command('unsilence')
    .description('End a silence now')
    .argument('<id>', 'the silence id (vigil alerts silence printed it)')
    .action((id: string, _opts: object, cmd: Command) =>
      run(cmd, async (services, alerting) => {
        if (!(await alerting.silences.expire(id))) throw new CliError(`error: no silence in force with id ${id}`, EXIT.failure);
        recordAction(services, 'alert_unsilence', id);
        io.stdout.write(`Silence ${id} ended.\n`);
      }));

  alerts
    .command('test')
    .description('Send a test notification to a receiver now, through the outbox; exit 1 unless it was delivered')
    .argument('<receiver>', 'a configured receiver: webhook, slack, email, pagerduty, alertmanager')
    .option('--json', 'print machine-readable JSON')
    .action((receiver: string, opts: { json?: boolean }, cmd: Command) =>
      run(cmd, async (services, alerting) => {
        if (!alerting.receivers.has(receiver)) throw new CliError(`error: no receiver "${receiver}" (configured: ${[...alerting.receivers.keys()].join(', ') || 'none'})`, EXIT.failure);
        const key = await testNotification(alerting, receiver, CLI_ACTOR);
        recordAction(services, 'alert_test', receiver);
        await alerting.outbox.drain();
        const row = (await alerting.outboxList({ limit: 1000 })).find((r) => r.idempotency_key === key);
        const result = { receiver, idempotency_key: key, status: row?.status ?? 'unknown', attempts: row?.attempts ?? 0, last_error: row?.last_error ?? null };
        if (opts.json) printJson(io.stdout, result);
        else io.stdout.write(result.status === 'sent' ? `Test notification delivered to ${receiver}.\n` : `Test notification to ${receiver} not delivered yet (${result.status}${result.last_error ? `: ${result.last_error}` : ''}); the outbox keeps retrying.\n`);
        if (result.status !== 'sent') throw new CliError(undefined, EXIT.failure);
      }));
  return alerts;
}
