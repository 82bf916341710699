import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, Socket } from 'node:net';
import { Redis } from 'ioredis';
import { SERVICES_REQUIRED } from './postgres.js';

/** The Redis the tests use; CI and the dev machines run one on the default port. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Answers PING with +PONG within 2 s (a raw socket: no client library, no reconnect loop to stop). */
export async function redisReachable(url = TEST_REDIS_URL): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('error', () => done(false));
    let reply = '';
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      // A password-protected Redis answers -NOAUTH: reachable, but not usable by these tests.
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.connect(Number(port || 6379), hostname.replace(/^\[|\]$/g, ''), () => socket.write('PING\r\n'));
  });
}

/** Whether Redis suites run: reachable, or required (then they run and fail loudly). */
export const runRedis = SERVICES_REQUIRED || (await redisReachable());

/** A key prefix no other run uses, so suites can share one Redis and clean up after themselves. */
export const uniqueRedisPrefix = (label = 'test') => `vigil-test:${label}:${randomBytes(4).toString('hex')}:`;

/** Deletes every key under `prefix` (a suite's uniqueRedisPrefix) from the test Redis. */
export async function deleteRedisKeys(prefix: string, url = TEST_REDIS_URL): Promise<void> {
  const raw = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await raw.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await raw.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await raw.quit();
  }
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * A throwaway redis-server of our own (for outage tests: it can be stopped without disturbing the
 * shared one other suites use). `stop` kills it; `start` runs it again on the same port.
 */
export interface OwnRedis {
  url: string;
  port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function ownRedis(port?: number): Promise<OwnRedis> {
  const p = port ?? (await freePort());
  let child: ChildProcess | undefined;
  const url = `redis://127.0.0.1:${p}`;
  return {
    url,
    port: p,
    async start() {
      if (child) return;
      const proc = spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      child = proc;
      const exited = new Promise<never>((_, reject) => proc.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`))));
      exited.catch(() => undefined);
      const deadline = Date.now() + 5000;
      while (!(await redisReachable(url))) {
        if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server on port ${p} did not start`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      const proc = child;
      child = undefined;
      if (!proc || proc.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGKILL');
      await exited;
    },
  };
}
