import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failures, loadConfig, productionReadiness, VARS } from '../../src/config/index.js';
import { buildProgram, type CliIo } from '../../src/cli/program.js';
import { makeTestApp, type TestApp } from '../support/services.js';
import { ROOT, SECRET_VARS, VAR_NAMES, yamlDoc, yamlDocs, dockerInstructions } from './manifests.js';

const DIR = 'deploy/k8s/';
const kustomization = yamlDoc(`${DIR}kustomization.yaml`);
const resources: any[] = (kustomization.resources as string[]).flatMap((f) => yamlDocs(`${DIR}${f}`));
const byKind = (kind: string) => resources.filter((r) => r.kind === kind);
const one = (kind: string) => {
  const found = byKind(kind);
  expect(found, kind).toHaveLength(1);
  return found[0];
};
const deployment = one('Deployment');
const pod = deployment.spec.template.spec;
const app = pod.containers.find((c: any) => c.name === 'vigil');
const configMap = one('ConfigMap');
const secret = yamlDoc(`${DIR}secret.template.yaml`);
const containers: any[] = [...pod.initContainers, ...pod.containers];

/** Stand-ins with the shape of real secrets (never used anywhere). */
const FAKE_SECRETS: Record<string, string> = {
  DATABASE_URL: 'postgres://vigil:f3a9c1d2e4b5a6978812@postgres.internal:5432/vigil',
  REDIS_URL: 'redis://:0c1d2e3f4a5b6c7d8e9f@redis.internal:6379/0',
  SIGNING_KEY_ENCRYPTION_KEY: 'b6f1e0c9d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9',
  ADMIN_API_KEY: 'a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8',
};

describe('deploy/k8s', () => {
  it('every file of the kustomization exists and parses; the Secret template is not one of them', () => {
    for (const f of kustomization.resources) expect(existsSync(`${ROOT}${DIR}${f}`), f).toBe(true);
    expect(kustomization.resources).not.toContain('secret.template.yaml');
    for (const r of resources) {
      expect(r.apiVersion, r.kind).toBeTruthy();
      expect(r.metadata?.name, r.kind).toBeTruthy();
    }
    expect(kustomization.images.map((i: any) => i.name)).toContain(app.image);
  });

  it('Deployment: 3 replicas, rolling update that never drops below them', () => {
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.strategy.type).toBe('RollingUpdate');
    expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    expect(deployment.spec.selector.matchLabels).toEqual(deployment.spec.template.metadata.labels);
  });

  it('ports and env come from the config schema: containerPort is API_PORT (default too), metrics port is METRICS_PORT', () => {
    const ports = Object.fromEntries(app.ports.map((p: any) => [p.name, p.containerPort]));
    expect(ports.http).toBe(Number(configMap.data.API_PORT));
    expect(ports.http).toBe(Number(VARS.port.default));
    expect(ports.metrics).toBe(Number(configMap.data.METRICS_PORT));
    for (const name of Object.keys(configMap.data)) expect(VAR_NAMES.has(name), `ConfigMap ${name}`).toBe(true);
    for (const name of Object.keys(configMap.data)) expect(SECRET_VARS.has(name), `secret ${name} in the ConfigMap`).toBe(false);
    for (const name of Object.keys(secret.stringData)) expect(SECRET_VARS.has(name), `Secret ${name}`).toBe(true);
    for (const c of containers) {
      expect(c.envFrom.map((e: any) => e.configMapRef?.name ?? e.secretRef?.name)).toEqual([configMap.metadata.name, secret.metadata.name]);
      for (const e of c.env ?? []) expect(VAR_NAMES.has(e.name), `env ${e.name}`).toBe(true);
    }
  });

  it('the Secret template holds placeholders only', () => {
    for (const [k, v] of Object.entries(secret.stringData as Record<string, string>)) expect(v, k).toMatch(/<[^>]+>/);
  });

  it('ConfigMap plus real-shaped secrets is a configuration that passes the production checks', () => {
    expect(Object.keys(FAKE_SECRETS).sort()).toEqual(Object.keys(secret.stringData).sort());
    const config = loadConfig({ ...configMap.data, ...FAKE_SECRETS });
    expect(config.environment).toBe('production');
    expect(failures(productionReadiness(config))).toEqual([]);
  });

  it('non-root, read-only root filesystem with an emptyDir for /tmp, resources set', () => {
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    const volumes = Object.fromEntries(pod.volumes.map((v: any) => [v.name, v]));
    for (const c of containers) {
      expect(c.securityContext.readOnlyRootFilesystem, c.name).toBe(true);
      expect(c.securityContext.allowPrivilegeEscalation, c.name).toBe(false);
      const tmp = c.volumeMounts.find((m: any) => m.mountPath === '/tmp');
      expect(volumes[tmp.name].emptyDir, c.name).toBeDefined();
      expect(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory, c.name).toBeTruthy();
    }
    // The image's user (Dockerfile USER node = uid 1000) is the one the pod runs as.
    const user = dockerInstructions(readFileSync(`${ROOT}Dockerfile`, 'utf8')).filter((i) => i.keyword === 'USER').at(-1)!.args;
    expect(user).toBe('node');
    expect(pod.securityContext.runAsUser).toBe(1000);
  });

  it('preStop pause and SHUTDOWN_TIMEOUT_SECONDS fit in the termination grace period', () => {
    const [cmd, seconds] = app.lifecycle.preStop.exec.command;
    expect(cmd).toBe('sleep');
    expect(Number(seconds) + Number(configMap.data.SHUTDOWN_TIMEOUT_SECONDS)).toBeLessThan(pod.terminationGracePeriodSeconds);
  });

  it('migrations run before the app (`vigil migrate` in an init container), and the app does not migrate itself', () => {
    const [init] = pod.initContainers;
    expect(init.image).toBe(app.image);
    expect(init.command.slice(0, 2)).toEqual(['node', 'dist/cli/index.js']);
    const io: CliIo = { stdout: { write: () => true }, stderr: { write: () => true }, stdin: process.stdin, env: {} } as unknown as CliIo;
    const commands = buildProgram(io).commands.map((c) => c.name());
    expect(commands).toContain(init.command[2]);
    expect(init.command[2]).toBe('migrate');
    expect(configMap.data.DATABASE_AUTO_MIGRATE).toBe('false');
  });

  it('Service, HPA (CPU 70%) and PDB point at the Deployment\'s pods', () => {
    const labels = deployment.spec.template.metadata.labels;
    const service = one('Service');
    expect(service.spec.selector).toEqual(labels);
    expect(app.ports.map((p: any) => p.name)).toContain(service.spec.ports[0].targetPort);
    const hpa = one('HorizontalPodAutoscaler');
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: deployment.metadata.name });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(deployment.spec.replicas);
    expect(hpa.spec.metrics).toContainEqual({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } });
    expect(app.resources.requests.cpu).toBeTruthy(); // utilisation is relative to the request
    const pdb = one('PodDisruptionBudget');
    expect(pdb.spec.selector.matchLabels).toEqual(labels);
  });
});

describe('deploy/k8s probes against the app', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('liveness is /health and readiness is /health/ready: routes of the app that answer 200', async () => {
    expect(app.livenessProbe.httpGet.path).toBe('/health');
    expect(app.readinessProbe.httpGet.path).toBe('/health/ready');
    for (const probe of [app.livenessProbe, app.readinessProbe]) {
      expect(t.app.hasRoute({ method: 'GET', url: probe.httpGet.path })).toBe(true);
      expect((await t.app.inject({ method: 'GET', url: probe.httpGet.path })).statusCode).toBe(200);
      expect(app.ports.map((p: any) => p.name)).toContain(probe.httpGet.port);
    }
    // The readiness probe waits longer than Vigil's own per-check bound.
    expect(app.readinessProbe.timeoutSeconds * 1000).toBeGreaterThan(loadConfig({ ...configMap.data, ...FAKE_SECRETS }).health.checkTimeoutMs);
  });
});
