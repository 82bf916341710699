/**
 * Live stream benchmark (npm run bench:stream): 1 000 security events/s published for 10 s while
 * 20 console clients are connected to /api/v1/admin/stream; delivery latency (the message's `at`,
 * set when it is published, to its receipt by a client) and the server process's CPU. In memory
 * and over Redis (REDIS_URL, default the local one; skipped when unreachable).
 *
 * The server runs in a child process (this file with --server) so the 20 clients, in this
 * process, never share its event loop; its CPU is its own process.cpuUsage() over the run. Each
 * variant first publishes the same load with no client connected, so the stream's own share shows.
 * The events are real ones (ADMIN_ACTION through the security event pipeline: log, store,
 * metrics, detectors, live feed). Settings: BENCH_STREAM_RATE (1000), BENCH_STREAM_SECONDS (10),
 * BENCH_STREAM_CLIENTS (20), BENCH_STREAM_VARIANTS (memory,redis). Writes bench/results/stream.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { BENCH_DIR, baseEnv, ROOT_DIR, stopChild } from './lib/processes.js';

const RATE = Number(process.env.BENCH_STREAM_RATE ?? 1000);
const SECONDS = Number(process.env.BENCH_STREAM_SECONDS ?? 10);
const CLIENTS = Number(process.env.BENCH_STREAM_CLIENTS ?? 20);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const VARIANTS = (process.env.BENCH_STREAM_VARIANTS ?? 'memory,redis').split(',');
const ADMIN_KEY = 'bench-stream-admin-key-0123456789abcdef';

type Run = { type: 'run'; rate: number; seconds: number };
type Done = { type: 'done'; emitted: number; cpu_percent_of_core: number; wall_ms: number };

/** The child: Vigil's services and app, listening; publishes on request and reports its CPU. */
async function server(): Promise<void> {
  const { loadConfig } = await import('../src/config/index.js');
  const { createServices } = await import('../src/services.js');
  const { buildApp } = await import('../src/app.js');
  const env: Record<string, string> = {
    DATABASE_URL: 'sqlite::memory:', SIGNING_KEY_ENCRYPTION_KEY: 'bench-key-encryption-key-0123456789abcdef', LOG_LEVEL: 'silent',
    RATE_LIMIT_ENABLED: 'false', ADMIN_API_KEY: ADMIN_KEY, JOBS_ENABLED: 'false',
    ...(process.env.BENCH_REDIS_URL ? { REDIS_URL: process.env.BENCH_REDIS_URL, REDIS_KEY_PREFIX: process.env.BENCH_REDIS_PREFIX! } : {}),
  };
  const services = await createServices(loadConfig(env), { migrate: true });
  const app = await buildApp(services);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  process.on('message', (m: Run | { type: 'stop' }) => {
    if (m.type === 'stop') {
      void app.close().then(() => services.close()).then(() => process.exit(0));
      return;
    }
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    let emitted = 0;
    // Paced on elapsed time, not on timer ticks: the rate holds even when a tick is late.
    const timer = setInterval(() => {
      const elapsed = performance.now() - start;
      const due = Math.min(Math.floor((elapsed / 1000) * m.rate), m.rate * m.seconds);
      for (; emitted < due; emitted++) services.events.emit('ADMIN_ACTION', { ip: '127.0.0.1', request_id: `bench-${emitted}` }, { action: 'bench.stream', target: String(emitted), actor: 'bench' });
      if (emitted >= m.rate * m.seconds) {
        clearInterval(timer);
        // Deliveries of the last events are part of the run's cost.
        setTimeout(() => {
          const cpu = process.cpuUsage(cpu0);
          const wall = performance.now() - start;
          process.send!({ type: 'done', emitted, cpu_percent_of_core: +(((cpu.user + cpu.system) / 1000 / wall) * 100).toFixed(1), wall_ms: Math.round(wall) } satisfies Done);
        }, 500);
      }
    }, 5);
  });
  process.send!({ type: 'listening', url: url.replace(/^http/, 'ws') });
}

function once<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${type}' from the server within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (m: { type?: string }) => {
      if (m.type !== type) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(m as T);
    };
    child.on('message', onMessage);
  });
}

const quantile = (sorted: number[], q: number) => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);

async function variant(name: 'memory' | 'redis', redis?: { url: string; prefix: string }) {
  const env = baseEnv(redis ? { BENCH_REDIS_URL: redis.url, BENCH_REDIS_PREFIX: redis.prefix } : {});
  const child = spawn(process.execPath, ['--import', 'tsx', join(BENCH_DIR, 'stream.ts'), '--server'], { cwd: ROOT_DIR, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const { url } = await once<{ url: string }>(child, 'listening', 60_000);
    // The same load with nobody connected: what the stream itself adds is the difference.
    child.send({ type: 'run', rate: RATE, seconds: Math.max(3, SECONDS / 2) } satisfies Run);
    const idle = await once<Done>(child, 'done', 120_000);

    const latencies: number[] = [];
    let received = 0;
    let measuring = false;
    const sockets = await Promise.all(Array.from({ length: CLIENTS }, () => new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(`${url}/api/v1/admin/stream`);
      ws.once('error', reject);
      ws.once('open', () => ws.send(JSON.stringify({ type: 'auth', api_key: ADMIN_KEY, cursor: null })));
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as { type: string; at?: string };
        if (frame.type === 'ready') resolve(ws);
        else if (frame.type === 'message' && measuring) {
          received++;
          latencies.push(Date.now() - Date.parse(frame.at!));
        }
      });
    })));
    measuring = true;
    child.send({ type: 'run', rate: RATE, seconds: SECONDS } satisfies Run);
    const loaded = await once<Done>(child, 'done', 120_000);
    await new Promise((r) => setTimeout(r, 1000));
    measuring = false;
    for (const ws of sockets) ws.close();
    latencies.sort((a, b) => a - b);
    child.send({ type: 'stop' });
    return {
      variant: name,
      rate_per_s: RATE, seconds: SECONDS, clients: CLIENTS,
      emitted: loaded.emitted, expected_deliveries: loaded.emitted * CLIENTS, delivered: received,
      latency_ms: { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: latencies.at(-1) ?? null },
      server_cpu_percent_of_core: { with_clients: loaded.cpu_percent_of_core, same_load_no_client: idle.cpu_percent_of_core },
    };
  } finally {
    await stopChild(child);
  }
}

async function redisReachable(url: string): Promise<boolean> {
  const { Redis } = await import('ioredis');
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => undefined);
  try {
    await r.connect();
    await r.ping();
    return true;
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

async function main(): Promise<void> {
  const load = loadavg()[0];
  const results = VARIANTS.includes('memory') ? [await variant('memory')] : [];
  if (!VARIANTS.includes('redis')) {
    // only the in-memory variant asked for
  } else if (await redisReachable(REDIS_URL)) {
    const prefix = `vigil-bench:stream:${randomBytes(4).toString('hex')}:`;
    try {
      results.push(await variant('redis', { url: REDIS_URL, prefix }));
    } finally {
      const { Redis } = await import('ioredis');
      const r = new Redis(REDIS_URL);
      await r.del(`${prefix}live`);
      r.disconnect();
    }
  } else {
    console.error(`Redis at ${REDIS_URL} unreachable: the Redis variant is skipped`);
  }
  const out = { at: new Date().toISOString(), cores: cpus().length, load_average_before: load, load_average_after: loadavg()[0], results };
  mkdirSync(join(BENCH_DIR, 'results'), { recursive: true });
  writeFileSync(join(BENCH_DIR, 'results', 'stream.json'), `${JSON.stringify(out, null, 2)}\n`);
  console.log(JSON.stringify(out, null, 2));
}

if (process.argv.includes('--server')) await server();
else await main();
