import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAIN, TSX } from '../support/vigil-process.js';


async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
});

describe('vigil serve with METRICS_PORT', () => {
  it('serves /metrics on its own port (with the token) and not on the API port; SIGTERM closes both', async () => {
    const metricsPort = await freePort();
    const token = 'process-metrics-token-0123456789abcdef';
    child = spawn(process.execPath, ['--import', TSX, MAIN], {
      cwd: mkdtempSync(join(tmpdir(), 'vigil-metrics-')),
      env: { PATH: process.env.PATH, API_PORT: '0', LOG_LEVEL: 'info', METRICS_PORT: String(metricsPort), METRICS_TOKEN: token },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
    const api = await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        const m = /Vigil listening on (http:\/\/[^"\s]+)/.exec(out);
        if (m && out.includes('metrics listening on their own port')) resolve(m[1]!);
      };
      child!.stdout!.on('data', onData);
      child!.stderr!.on('data', onData);
      void exited.then((code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    const metrics = `http://127.0.0.1:${metricsPort}/metrics`;

    expect((await fetch(metrics)).status).toBe(401);
    const served = await fetch(metrics, { headers: { authorization: `Bearer ${token}` } });
    expect(served.status).toBe(200);
    expect(await served.text()).toMatch(/^vigil_build_info\{version="[^"]+"\} 1$/m);
    expect((await fetch(`${api}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
    expect((await fetch(`${api}/health`)).status).toBe(200);
    expect(out).not.toContain(token);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await expect(fetch(metrics)).rejects.toThrow();
  });
});
