import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { exportAlertmanager } from '../alerting/export/alertmanager.js';
import { exportPrometheusRules } from '../alerting/export/prometheus-rules.js';
import { WEBHOOK_PLACEHOLDER } from '../alerting/export/receivers.js';
import { VERSION } from '../version.js';
import { alertingOf } from './alerts.js';
import { loadCliConfig, printJson, withServices, type CliIo, type GlobalOptions } from './context.js';

/** Where the exported Alertmanager config expects its secret files by default. */
export const DEFAULT_SECRETS_DIR = '/etc/alertmanager/secrets';
export const RULES_FILE = 'vigil-rules.yml';
export const ALERTMANAGER_FILE = 'alertmanager.yml';

/** 1 − the availability target, as a short decimal (99.9 → 0.001). */
const errorBudget = (availabilityPercent: number) => Number(((100 - availabilityPercent) / 100).toPrecision(12));

/** `vigil alerts export --dir D`: Prometheus rules and an Alertmanager config for the active pack. */
export function registerAlertsExport(alerts: Command, io: CliIo): void {
  alerts
    .command('export')
    .description(`Write Prometheus alerting rules (${RULES_FILE}) and an Alertmanager config (${ALERTMANAGER_FILE}) equivalent to the active rules and routing`)
    .requiredOption('--dir <path>', 'directory to write into (created when missing; existing files are replaced)')
    .option('--secrets-dir <path>', "where Alertmanager's *_file settings point", DEFAULT_SECRETS_DIR)
    .option('--json', 'print machine-readable JSON')
    .action((opts: { dir: string; secretsDir: string; json?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const config = loadCliConfig(io, globals);
      return withServices(io, config, globals, async (services) => {
        const alerting = alertingOf(services);
        const rules = exportPrometheusRules(alerting.rules(), {
          externalUrl: config.alerting.externalUrl,
          evalIntervalMs: config.alerting.evalIntervalMs,
          errorBudget: errorBudget(config.slo.targets.availability),
          version: VERSION,
        });
        const am = exportAlertmanager({ config: config.alerting, routes: alerting.routes, inhibitRules: alerting.inhibitRules, receivers: [...alerting.receivers.keys()], secretsDir: opts.secretsDir, version: VERSION });
        const dir = resolve(io.cwd ?? process.cwd(), opts.dir);
        mkdirSync(dir, { recursive: true });
        const files = { rules: join(dir, RULES_FILE), alertmanager: join(dir, ALERTMANAGER_FILE) };
        writeFileSync(files.rules, rules.text, { mode: 0o644 });
        writeFileSync(files.alertmanager, am.text, { mode: 0o644 });
        const result = {
          files,
          exported: rules.exported,
          skipped: rules.skipped,
          receivers: am.receivers.map((r) => r.name as string),
          secret_files: am.secretFiles,
          webhook_url: am.webhook ?? null,
          not_exported_receivers: am.notExported,
        };
        if (opts.json) return printJson(io.stdout, result);
        const lines = [`Wrote ${files.rules}: ${rules.exported.length} of ${rules.exported.length + rules.skipped.length} rules.`];
        if (rules.skipped.length > 0) lines.push("Not exported (no equivalent over Vigil's metrics):", ...rules.skipped.map((s) => `  ${s.name} (${s.signal}): ${s.reason}`));
        lines.push(`Wrote ${files.alertmanager}: receivers ${result.receivers.join(', ')}.`);
        if (am.secretFiles.length > 0) lines.push('Create these files for Alertmanager (mode 0600), each holding one secret:', ...am.secretFiles.map((f) => `  ${f.path}: the value of ${f.from}`));
        if (am.webhook === 'written') lines.push('Webhook: ALERT_WEBHOOK_URL carries no credential and is written as is.');
        if (am.webhook === 'placeholder') lines.push(`Webhook: ALERT_WEBHOOK_URL carries a credential, so the config holds the placeholder ${WEBHOOK_PLACEHOLDER}: replace it with the URL (Alertmanager 0.25 has no url_file).`);
        for (const n of am.notExported) lines.push(`Receiver ${n.receiver} is not exported: ${n.reason}.`);
        io.stdout.write(`${lines.join('\n')}\n`);
      });
    });
}
