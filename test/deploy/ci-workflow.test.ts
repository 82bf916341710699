import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROOT, yamlDoc, yamlDocs } from './manifests.js';

const workflow = yamlDoc('.github/workflows/ci.yml');
const jobs = workflow.jobs as Record<string, any>;
const scripts = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts;
const runs = (job: any): string => job.steps.map((s: any) => s.run ?? '').join('\n');

describe('.github/workflows/ci.yml', () => {
  it('typechecks and builds with npm scripts that exist', () => {
    for (const job of Object.values(jobs)) {
      for (const [, name] of runs(job).matchAll(/npm run ([\w:-]+)/g)) expect(scripts[name!], `npm run ${name}`).toBeDefined();
    }
    expect(runs(jobs.typecheck)).toMatch(/npm run typecheck/);
    expect(runs(jobs.typecheck)).toMatch(/npm run build/);
  });

  it('tests with PostgreSQL and Redis service containers, service-backed suites required, and the tools they need', () => {
    const test = jobs.test;
    expect(test.services.postgres.image).toMatch(/^postgres:/);
    expect(test.services.postgres.env).toMatchObject({ POSTGRES_HOST_AUTH_METHOD: 'trust', POSTGRES_DB: 'test' });
    expect(test.services.postgres.ports).toContain('5432:5432');
    expect(test.services.redis.image).toMatch(/^redis:/);
    expect(test.services.redis.ports).toContain('6379:6379');
    expect(test.env.VIGIL_TEST_REQUIRE_SERVICES).toBe('1');
    expect(runs(test)).toMatch(/^npm test$/m);
    for (const pkg of ['nginx', 'prometheus', 'prometheus-alertmanager', 'redis-server']) expect(runs(test)).toMatch(new RegExp(`apt-get install .*\\b${pkg}\\b`));
  });

  it('builds the image from the root Dockerfile after the tests pass', () => {
    expect(jobs.image.needs).toEqual(expect.arrayContaining(['typecheck', 'test']));
    const build = jobs.image.steps.find((s: any) => String(s.uses).startsWith('docker/build-push-action'));
    expect(build.with.context).toBe('.');
  });

  it('deploys only from main, behind a protected environment, with a rollout status and a rollback', () => {
    const deploy = jobs.deploy;
    expect(deploy.environment.name).toBe('production');
    expect(deploy.if).toContain("github.ref == 'refs/heads/main'");
    expect(deploy.needs).toContain('image');
    expect(runs(deploy)).toMatch(/kubectl -n vigil rollout status deployment\/vigil/);
    expect(runs(deploy)).toMatch(/rollout undo/);
    // `set image` names containers the Deployment has.
    const deployment = yamlDocs('deploy/k8s/deployment.yaml')[0];
    const names = [...deployment.spec.template.spec.initContainers, ...deployment.spec.template.spec.containers].map((c: any) => c.name);
    const set = /set image deployment\/vigil (.+)$/m.exec(runs(deploy))![1]!;
    for (const [, name] of set.matchAll(/(\S+)=\S+/g)) expect(names).toContain(name);
  });
});
