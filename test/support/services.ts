import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import type { Env } from '../../src/config/index.js';
import { createServices, type ServiceOverrides, type Services } from '../../src/services.js';
import type { SecurityEvent } from '../../src/security-monitoring/events.js';
import { testConfig } from './config.js';

/** Captures every log line as parsed JSON (and the raw text, to search for leaked secrets). */
export function logCapture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return {
    stream,
    lines,
    text: () => lines.join('\n'),
    records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

export interface TestApp {
  app: FastifyInstance;
  services: Services;
  events: SecurityEvent[];
  close(): Promise<void>;
}

/** Services on in-memory SQLite (unless env says otherwise) and the app over them, not listening. */
export async function makeTestApp(env: Env = {}, overrides: ServiceOverrides = {}): Promise<TestApp> {
  const events: SecurityEvent[] = [];
  const config = testConfig(env);
  const services = await createServices(config, { migrate: true, securityListeners: [(e) => events.push(e)], ...overrides });
  const app = await buildApp(services);
  return {
    app,
    services,
    events,
    async close() {
      await app.close();
      await services.close();
    },
  };
}
