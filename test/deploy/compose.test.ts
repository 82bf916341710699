import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VARS } from '../../src/config/index.js';
import { makeTestApp, type TestApp } from '../support/services.js';
import { onPath, runPromtool } from '../support/tools.js';
import { ROOT, SECRET_VARS, VAR_NAMES, yamlDoc } from './manifests.js';

const compose = yamlDoc('deploy/compose.yaml');
const services = compose.services as Record<string, any>;
const vigil = services.vigil;
const DEPLOY = join(ROOT, 'deploy');

/** Host side of a `./local:/in/container[:ro]` bind mount, resolved against deploy/. */
const binds = (service: any): { host: string; container: string }[] =>
  (service.volumes ?? []).filter((v: string) => v.startsWith('./')).map((v: string) => {
    const [host, container] = v.split(':');
    return { host: join(DEPLOY, host!), container: container! };
  });

describe('deploy/compose.yaml', () => {
  it('runs Vigil, a migration step, PostgreSQL, Redis, Prometheus, Alertmanager and Grafana, each long-running one with a health check', () => {
    expect(Object.keys(services).sort()).toEqual(['alertmanager', 'grafana', 'migrate', 'postgres', 'prometheus', 'redis', 'vigil']);
    for (const [name, s] of Object.entries(services)) if (name !== 'migrate') expect(s.healthcheck?.test, name).toBeDefined();
    for (const name of ['vigil', 'postgres', 'redis', 'prometheus', 'alertmanager', 'grafana']) {
      expect((services[name].volumes as string[]).some((v) => !v.startsWith('./') && !v.startsWith('/')), `${name} keeps its state in a named volume`).toBe(true);
    }
    expect(vigil.depends_on.migrate.condition).toBe('service_completed_successfully');
    expect(services.migrate.command).toEqual(['node', 'dist/cli/index.js', 'migrate']);
  });

  it('every Vigil variable it sets is one Vigil reads, and secrets only come from the environment (${…}), never written here', () => {
    for (const s of [vigil, services.migrate]) {
      for (const [name, value] of Object.entries(s.environment as Record<string, string>)) {
        expect(VAR_NAMES.has(name), `${name} is not a Vigil variable`).toBe(true);
        if (SECRET_VARS.has(name)) expect(value, name).toMatch(/\$\{[A-Z_]+:\?[^}]+\}/);
      }
    }
    expect(vigil.environment.API_PORT).toBe(VARS.port.default);
    expect(vigil.ports).toEqual([`127.0.0.1:${VARS.port.default}:${VARS.port.default}`]);
  });

  it('drains within the stop grace period', () => {
    expect(vigil.stop_grace_period).toMatch(/^\d+s$/);
    expect(Number(vigil.environment.SHUTDOWN_TIMEOUT_SECONDS)).toBeLessThan(parseInt(vigil.stop_grace_period, 10));
  });

  it('mounts files that exist: Prometheus config, Alertmanager config, Grafana provisioning and the dashboard', () => {
    for (const name of ['prometheus', 'alertmanager', 'grafana']) for (const b of binds(services[name])) expect(existsSync(b.host), b.host).toBe(true);
    const datasources = yamlDoc('deploy/grafana/provisioning/datasources/prometheus.yml');
    expect(datasources.datasources[0]).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090', isDefault: true });
    const provider = yamlDoc('deploy/grafana/provisioning/dashboards/vigil.yml').providers[0];
    const dashboard = binds(services.grafana).find((b) => b.host.endsWith('vigil-dashboard.json'))!;
    expect(dashboard.container.startsWith(`${provider.options.path}/`)).toBe(true);
  });

  it('Prometheus scrapes the vigil service on its API port and alerts to the alertmanager service', () => {
    const prometheus = yamlDoc('deploy/prometheus/prometheus.yml');
    const targets = prometheus.scrape_configs.find((c: any) => c.job_name === 'vigil').static_configs.flatMap((c: any) => c.targets);
    expect(targets).toContain(`vigil:${vigil.environment.API_PORT}`);
    expect(prometheus.alerting.alertmanagers[0].static_configs[0].targets).toContain('alertmanager:9093');
    expect(services.prometheus.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
  });

  it.skipIf(!runPromtool)('promtool check config accepts the Prometheus config compose mounts', () => {
    const r = spawnSync('promtool', ['check', 'config', join(DEPLOY, 'prometheus/prometheus.yml')], { encoding: 'utf8' });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  });

  it.skipIf(!onPath('amtool'))('amtool check-config accepts the Alertmanager config', () => {
    const r = spawnSync('amtool', ['check-config', join(DEPLOY, 'alertmanager/alertmanager.yml')], { encoding: 'utf8' });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  });
});

describe('deploy/compose.yaml health check against the app', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('Vigil\'s health check asks a route of the app on its API port', async () => {
    const script = vigil.healthcheck.test.at(-1) as string;
    const url = new URL(/fetch\('([^']+)'\)/.exec(script)![1]!);
    expect(url.port).toBe(vigil.environment.API_PORT);
    expect(t.app.hasRoute({ method: 'GET', url: url.pathname })).toBe(true);
    expect((await t.app.inject({ method: 'GET', url: url.pathname })).statusCode).toBe(200);
  });
});
