import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VARS } from '../../src/config/index.js';
import { makeTestApp, type TestApp } from '../support/services.js';
import { freePort } from '../support/redis.js';
import { dockerInstructions, ROOT, SECRET_VARS } from './manifests.js';

const steps = dockerInstructions(readFileSync(`${ROOT}Dockerfile`, 'utf8'));
const finalStage = Math.max(...steps.map((s) => s.stage));
const final = steps.filter((s) => s.stage === finalStage);
const args = (keyword: string) => final.filter((s) => s.keyword === keyword).map((s) => s.args);
const healthcheck = args('HEALTHCHECK').at(-1)!;
const healthArgs = JSON.parse(healthcheck.slice(healthcheck.indexOf('CMD ') + 4)) as string[];

describe('Dockerfile', () => {
  it('is multi-stage on a slim Node.js 20 base and installs no dev dependencies into the final image', () => {
    const bases = steps.filter((s) => s.keyword === 'FROM');
    expect(bases.length).toBeGreaterThanOrEqual(2);
    const nodeImage = steps.find((s) => s.keyword === 'ARG' && s.args.startsWith('NODE_IMAGE='))!.args.split('=')[1]!;
    expect(nodeImage).toMatch(/^node:20(\.\d+)*-[a-z]+-slim$/);
    expect(bases.at(-1)!.args).toBe('${NODE_IMAGE}');
    // node_modules of the final image come from a stage that ran `npm ci --omit=dev`.
    const copy = args('COPY').find((a) => a.includes('node_modules'))!;
    const from = /--from=(\S+)/.exec(copy)![1]!;
    const stage = steps.find((s) => s.keyword === 'FROM' && s.args.endsWith(` AS ${from}`))!.stage;
    expect(steps.filter((s) => s.stage === stage && s.keyword === 'RUN').some((s) => /npm ci .*--omit=dev/.test(s.args))).toBe(true);
    expect(final.some((s) => s.keyword === 'RUN' && /npm (ci|install)/.test(s.args))).toBe(false);
  });

  it('runs as a non-root user, with /data as a volume, the API port exposed and SIGTERM as stop signal', () => {
    const user = args('USER').at(-1)!;
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(final.findIndex((s) => s.keyword === 'USER')).toBeLessThan(final.findIndex((s) => s.keyword === 'CMD'));
    expect(args('VOLUME')).toContain('/data');
    expect(args('EXPOSE')).toEqual([VARS.port.default]);
    expect(args('STOPSIGNAL')).toEqual(['SIGTERM']);
    // The default database and key file (./data/…, relative to WORKDIR) land in the volume.
    expect(VARS.databaseUrl.default).toBe('sqlite:./data/vigil.db');
    expect(args('RUN').some((a) => a.includes('ln -s /data /app/data'))).toBe(true);
    expect(args('WORKDIR').at(-1)).toBe('/app');
  });

  it('CMD is node with exactly the flags of package.json\'s start script', () => {
    const start = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: { start: string } }).scripts.start;
    expect(JSON.parse(args('CMD').at(-1)!)).toEqual(start.trim().split(/\s+/));
  });

  it('bakes in no secret: no ENV or ARG sets a secret variable, and .dockerignore keeps .env and keys out', () => {
    for (const s of steps.filter((i) => i.keyword === 'ENV' || i.keyword === 'ARG')) {
      for (const name of SECRET_VARS) expect(s.args, `${s.keyword} ${name}`).not.toMatch(new RegExp(`(^|\\s)${name}=`));
    }
    const ignore = readFileSync(`${ROOT}.dockerignore`, 'utf8').split('\n').map((l) => l.trim());
    for (const p of ['.env', '.env.*', 'data', 'node_modules', '.git', '*.pem', '*.key']) expect(ignore, p).toContain(p);
  });

  it('copies only files that exist', () => {
    for (const s of steps.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))) {
      for (const src of s.args.split(/\s+/).slice(0, -1)) expect(existsSync(`${ROOT}${src}`), src).toBe(true);
    }
  });
});

describe('Dockerfile HEALTHCHECK, run against a listening Vigil', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await makeTestApp();
    port = Number(new URL(await t.app.listen({ host: '127.0.0.1', port: 0 })).port);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('probes /health, a route of the app, with no curl: node -e exits 0 when it answers and 1 when nothing listens', async () => {
    expect(healthArgs[0]).toBe('node');
    const path = /\/health[^'"]*/.exec(healthArgs.at(-1)!)![0];
    expect(path).toBe('/health');
    expect(t.app.hasRoute({ method: 'GET', url: path })).toBe(true);
    // Asynchronously: the server answering it runs in this process.
    const run = (p: number) =>
      new Promise<number | null>((resolve) => spawn(process.execPath, healthArgs.slice(1), { env: { API_PORT: String(p) }, stdio: 'ignore', timeout: 10_000 }).on('exit', resolve));
    expect(await run(port)).toBe(0);
    expect(await run(await freePort())).toBe(1);
  });
});
