/**
 * Alerting benchmark (npm run bench:alerting): one run, two figures.
 * 1. CPU of evaluating 50 rules (the default pack plus custom ones) every ALERT_EVAL_INTERVAL=15 s,
 *    as CPU time per evaluation × 4 per minute in % of one core (target < 1%).
 * 2. Threshold crossing → webhook request, with real timers: a rule `failed_logins[1m] > 5` for 2 s,
 *    evaluated every BENCH_ALERT_INTERVAL (1 s), group_wait 0; target ≤ for + one interval + 2 s.
 * Settings: BENCH_EVALUATIONS (default 400), BENCH_ALERT_INTERVAL (default 1s).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/index.js';
import { createServices } from '../src/services.js';
import { manualClock } from '../src/shared/clock.js';

const EVALUATIONS = Number(process.env.BENCH_EVALUATIONS ?? 400);
const INTERVAL = process.env.BENCH_ALERT_INTERVAL ?? '1s';
const BASE = { DATABASE_URL: 'sqlite::memory:', SIGNING_KEY_ENCRYPTION_KEY: 'bench-key-encryption-key-0123456789abcdef', PASSWORD_HASH_MEMORY_KIB: '1024', PASSWORD_HASH_ITERATIONS: '1', LOG_LEVEL: 'silent', RATE_LIMIT_ENABLED: 'false' };

function rulesFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
  const signals = ['http_5xx_ratio[5m] > 0.5', 'http_4xx_ratio[1h] > 0.9', 'http_latency_p99_seconds[5m] > 3', 'failed_logins_per_ip[1h] > 500', 'slo_burn_rate[3d] > 50', 'failed_logins_per_user[1h] > 100'];
  const custom = Array.from({ length: 26 }, (_, i) => `  - name: BenchRule${i}\n    condition: ${signals[i % signals.length]}\n    for: 5m\n    severity: warning\n    category: performance\n    summary: bench ${i}\n`).join('');
  const file = join(dir, 'rules.yml');
  writeFileSync(file, `rules:\n${custom}`);
  return file;
}

async function cpuOfEvaluation() {
  const clock = manualClock(Date.now());
  const services = await createServices(loadConfig({ ...BASE, ALERT_RULES_FILE: rulesFile() }), { migrate: true, clock });
  const app = await buildApp(services);
  // Realistic label sets in the registry: a few routes and statuses, and failed logins from many IPs.
  for (let i = 0; i < 300; i++) {
    await app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: `198.51.100.${i % 200}`, payload: { email: `u${i}@example.com`, password: 'wrong-password-123' } });
    await app.inject({ method: 'GET', url: '/health' });
    await app.inject({ method: 'GET', url: '/api/v1/auth/me' });
  }
  const rules = services.alerting!.rules().length;
  for (let i = 0; i < 20; i++) {
    clock.advance(15_000);
    await services.alerting!.tick();
  }
  const before = process.cpuUsage();
  const wallStart = performance.now();
  for (let i = 0; i < EVALUATIONS; i++) {
    clock.advance(15_000);
    await services.alerting!.tick();
  }
  const cpu = process.cpuUsage(before);
  const wall = performance.now() - wallStart;
  await app.close();
  await services.close();
  const perEvalMs = (cpu.user + cpu.system) / 1000 / EVALUATIONS;
  return { rules, evaluations: EVALUATIONS, cpu_ms_per_evaluation: +perEvalMs.toFixed(3), wall_ms_per_evaluation: +(wall / EVALUATIONS).toFixed(3), percent_of_core_at_15s: +((perEvalMs * 4) / 60_000 * 100).toFixed(4) };
}

async function crossingToWebhook() {
  let received: number | undefined;
  const others: string[] = [];
  let done: () => void = () => undefined;
  const arrived = new Promise<void>((resolve) => (done = resolve));
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // Only the probe rule's notification counts (other rules may fire on their own).
      if (Buffer.concat(chunks).toString().includes('"alertname":"BenchLoginFailures"')) {
        received ??= performance.now();
        done();
      } else {
        others.push(Buffer.concat(chunks).toString().match(/"alertname":"([A-Za-z0-9_]+)"/)?.[1] ?? 'unknown');
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
  const file = join(dir, 'rules.yml');
  writeFileSync(file, 'rules:\n  - name: BenchLoginFailures\n    condition: failed_logins[1m] > 5\n    for: 2s\n    severity: critical\n    category: security\n    summary: bench\n');
  const env = { ...BASE, ALERT_RULES_FILE: file, ALERT_EVAL_INTERVAL: INTERVAL, ALERT_GROUP_WAIT: '0', ALERT_WEBHOOK_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook` };
  const config = loadConfig(env);
  const services = await createServices(config, { migrate: true });
  const app = await buildApp(services);
  services.alerting!.start();
  await new Promise((r) => setTimeout(r, 1500));
  let crossed = 0;
  for (let i = 0; i < 6; i++) {
    await app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '203.0.113.1', payload: { email: 'x@example.com', password: 'wrong-password-123' } });
    crossed = performance.now();
  }
  await Promise.race([arrived, new Promise((r) => setTimeout(r, 30_000))]);
  await app.close();
  await services.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const boundMs = 2000 + config.alerting.evalIntervalMs + 2000;
  const latency = received === undefined ? null : Math.round(received - crossed);
  return { interval_ms: config.alerting.evalIntervalMs, for_ms: 2000, latency_ms: latency, bound_ms: boundMs, within_bound: latency !== null && latency <= boundMs, other_alerts_received: others };
}

const cpu = await cpuOfEvaluation();
const latency = await crossingToWebhook();
const result = { at: new Date().toISOString(), cpu, latency };
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/alerting.json', `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
