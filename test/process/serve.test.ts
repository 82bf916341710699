import { spawn } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { STRONG_PASSWORD } from '../support/config.js';
import { MAIN, startVigilProcess, TSX, type VigilProcess } from '../support/vigil-process.js';

/** The real process: listening socket, startup checks, SIGTERM drain. */
const start = (env: Record<string, string>, cwd?: string): Promise<VigilProcess> =>
  startVigilProcess({ API_PORT: '0', LOG_LEVEL: 'info', PASSWORD_HASH_MEMORY_KIB: '19456', RATE_LIMIT_ROUTES: 'login=100/1m', ...env }, cwd);

let server: VigilProcess | undefined;
afterEach(() => {
  server?.child.kill('SIGKILL');
  server = undefined;
});

describe('vigil serve', () => {
  it('creates ./data/vigil.db with mode 0600, serves HTTP, and drains in-flight requests on SIGTERM', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'vigil-serve-'));
    // A slow hash keeps the logins in flight long enough for SIGTERM to land in the middle of them.
    server = await start({ PASSWORD_HASH_ITERATIONS: '64' }, cwd);
    expect(statSync(join(cwd, 'data/vigil.db')).mode & 0o777).toBe(0o600);
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(health.headers.get('x-request-id')).toBeTruthy();

    const body = JSON.stringify({ email: 'drain@example.com', password: STRONG_PASSWORD });
    const headers = { 'content-type': 'application/json' };
    expect((await fetch(`${server.url}/api/v1/auth/register`, { method: 'POST', headers, body })).status).toBe(201);
    // Several logins (each a real argon2id verify) in flight when SIGTERM arrives: all complete.
    const inflight = Array.from({ length: 6 }, () => fetch(`${server!.url}/api/v1/auth/login`, { method: 'POST', headers, body }).then((r) => r.status));
    await new Promise((r) => setTimeout(r, 500));
    server.child.kill('SIGTERM');
    expect(await Promise.all(inflight)).toEqual([200, 200, 200, 200, 200, 200]);
    const code = await server.exited;
    expect(code, server.output().slice(-3000)).toBe(0);
    expect(server.output()).toContain('shutdown complete');
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });

  it('during the drain the in-flight request finishes with Connection: close and nothing behind it is started', async () => {
    server = await start({});
    const { hostname, port } = new URL(server.url);
    const body = JSON.stringify({ email: 'pipe@example.com', password: STRONG_PASSWORD });
    const socket = connect(Number(port), hostname);
    let raw = '';
    socket.on('data', (c: Buffer) => (raw += c.toString()));
    const ended = new Promise((resolve) => socket.on('close', resolve));
    // The request is in flight (headers read, body still coming) when SIGTERM arrives.
    socket.write(`POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
    await new Promise((r) => setTimeout(r, 500));
    server.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    socket.write(`${body.slice(10)}GET /api/v1/auth/security-info HTTP/1.1\r\nHost: x\r\n\r\n`);
    await ended;
    expect(raw).toMatch(/^HTTP\/1\.1 201/);
    expect(raw.toLowerCase()).toContain('connection: close');
    expect(raw.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    expect(await server.exited).toBe(0);
  });

  it('REQUEST_TIMEOUT_SECONDS closes a client that stalls halfway through its body', async () => {
    server = await start({ REQUEST_TIMEOUT_SECONDS: '1' });
    const { hostname, port } = new URL(server.url);
    const socket = connect(Number(port), hostname);
    const begin = Date.now();
    socket.write('POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"email":');
    await new Promise((resolve) => socket.on('close', resolve));
    const waited = Date.now() - begin;
    expect(waited).toBeGreaterThanOrEqual(900);
    expect(waited).toBeLessThan(5000);
  });

  it('REQUEST_TIMEOUT_SECONDS also bounds a body trickled a byte at a time', async () => {
    server = await start({ REQUEST_TIMEOUT_SECONDS: '1' });
    const { hostname, port } = new URL(server.url);
    const socket = connect(Number(port), hostname);
    let open = true;
    const begin = Date.now();
    socket.write('POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n');
    const trickle = setInterval(() => open && socket.write(' '), 200);
    await new Promise((resolve) => socket.on('close', resolve));
    open = false;
    clearInterval(trickle);
    const waited = Date.now() - begin;
    expect(waited).toBeGreaterThanOrEqual(900);
    expect(waited).toBeLessThan(5000);
  });

  it('refuses to start in production with unsafe settings, naming each', async () => {
    const child = spawn(process.execPath, ['--import', TSX, MAIN], {
      cwd: mkdtempSync(join(tmpdir(), 'vigil-prod-')),
      env: { PATH: process.env.PATH, ENVIRONMENT: 'production', DEBUG: 'true', ADMIN_API_KEY: 'changeme', API_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(out).toContain('Refusing to start in production');
    for (const what of ['DEBUG=true', 'ADMIN_API_KEY', 'SQLite']) expect(out).toContain(what);
    expect(out).not.toContain('changeme');
  });

  it('stops with one message listing every bad variable', async () => {
    const child = spawn(process.execPath, ['--import', TSX, MAIN], {
      cwd: mkdtempSync(join(tmpdir(), 'vigil-bad-')),
      env: { PATH: process.env.PATH, API_PORT: 'eighty', JWT_ALGORITHM: 'RS1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(err).toContain('Invalid configuration (2 problems)');
    expect(err).toContain('API_PORT="eighty"');
    expect(err).toContain('JWT_ALGORITHM="RS1"');
  });

  it('CREATE_DEFAULT_USERS prints the generated passwords once, and they work', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'vigil-defaults-'));
    server = await start({ CREATE_DEFAULT_USERS: 'true', PASSWORD_HASH_MEMORY_KIB: '1024' }, cwd);
    const lines = [...server.output().matchAll(/^\s+(admin|user)\s+(\S+@\S+)\s+(\S+)$/gm)];
    expect(lines.map((m) => m[1]).sort()).toEqual(['admin', 'user']);
    for (const [, , email, password] of lines) {
      const res = await fetch(`${server.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
      expect(res.status).toBe(200);
    }
    // The passwords appear only in the one-time banner, never in a log line.
    const logLines = server.output().split('\n').filter((l) => l.startsWith('{'));
    for (const [, , , password] of lines) expect(logLines.join('\n')).not.toContain(password);
    server.child.kill('SIGTERM');
    await server.exited;
    server = await start({ CREATE_DEFAULT_USERS: 'true', PASSWORD_HASH_MEMORY_KIB: '1024' }, cwd);
    expect(server.output()).not.toContain('Default users created');
  });
});
