import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotificationMessage } from '../../src/alerting/message.js';
import { createOutbox, retryDelay } from '../../src/alerting/outbox.js';
import { webhookReceiver } from '../../src/alerting/receivers/webhook.js';
import { createLogger } from '../../src/observability/logger.js';
import { createServices } from '../../src/services.js';
import { manualClock } from '../../src/shared/clock.js';
import { openDatabase, migrateToLatest } from '../../src/storage/index.js';
import { createOutboxRepository } from '../../src/storage/repositories/alerting.js';
import { testConfig } from '../support/config.js';
import { httpSink } from './http-sink.js';

const message = (group: string, n: number): NotificationMessage => ({
  kind: 'alert', receiver: 'webhook', status: 'firing', groupKey: group, groupLabels: { alertname: group }, commonLabels: { n: String(n) }, commonAnnotations: {}, externalURL: 'http://vigil.test', alerts: [],
});
const silent = createLogger(testConfig());

describe('durable outbox', () => {
  let down = true;
  let sink: Awaited<ReturnType<typeof httpSink>>;
  beforeAll(async () => {
    sink = await httpSink(() => (down ? { status: 503 } : { status: 200 }));
  });
  afterAll(() => sink.close());

  it('retry delays grow exponentially with jitter up to the cap', () => {
    const delays = Array.from({ length: 12 }, (_, i) => retryDelay(i + 1, { initialDelayMs: 1000, maxDelayMs: 300_000 }));
    expect(delays.every((d) => d >= 1 && d <= 300_000)).toBe(true);
    expect(delays.at(-1)!).toBeGreaterThan(delays[0]! * 4);
  });

  it('a receiver down for an hour then back: every notification delivered once, in order per group', async () => {
    down = true;
    sink.received.length = 0;
    const database = openDatabase(testConfig().database);
    await migrateToLatest(database.db);
    const clock = manualClock();
    const outbox = createOutbox({
      repo: createOutboxRepository(database.db),
      receivers: new Map([['webhook', webhookReceiver('webhook', `${sink.url}/hook`)]]),
      clock,
      logger: silent,
      config: { maxAttempts: 30, initialDelayMs: 1000, maxDelayMs: 300_000, timeoutMs: 2000, breakerThreshold: 5, breakerHalfOpenMs: 1, pollMs: 1000 },
    });
    const keys: string[] = [];
    for (let n = 0; n < 4; n++) for (const group of ['A', 'B', 'C']) {
      keys.push(`${group}-${n}`);
      await outbox.enqueue(message(group, n), `${group}-${n}`);
    }
    // One simulated hour, a pass every 30 s: nothing gets through.
    for (let t = 0; t < 120; t++) {
      await outbox.drain();
      clock.advance(30_000);
      await new Promise((r) => setTimeout(r, 2)); // lets the breaker's real-time half-open pass
    }
    expect(sink.received).toHaveLength(0);
    down = false;
    for (let t = 0; t < 40 && sink.received.length < keys.length; t++) {
      clock.advance(30_000);
      await new Promise((r) => setTimeout(r, 2));
      await outbox.drain();
    }
    const got = sink.received.map((r) => r.headers['idempotency-key'] as string);
    expect([...got].sort()).toEqual([...keys].sort());
    expect(new Set(got).size).toBe(got.length);
    for (const group of ['A', 'B', 'C']) expect(got.filter((k) => k.startsWith(group))).toEqual([0, 1, 2, 3].map((n) => `${group}-${n}`));
    const counts = await createOutboxRepository(database.db).counts();
    expect(counts).toEqual({ pending: 0, sent: 12, dead: 0 });
    await database.close();
  });

  it('a restart mid-retry: new services on the same database file deliver it', async () => {
    down = true;
    sink.received.length = 0;
    const dir = mkdtempSync(join(tmpdir(), 'vigil-outbox-'));
    const env = { DATABASE_URL: `sqlite:${join(dir, 'vigil.db')}`, ALERT_WEBHOOK_URL: `${sink.url}/hook` };
    const clock = manualClock();
    try {
      const first = await createServices(testConfig(env), { migrate: true, clock });
      const key = await first.alerting!.notify({ kind: 'test', receiver: 'webhook', status: 'firing', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, alerts: [], title: 'restart test' });
      await first.alerting!.outbox.drain();
      expect(sink.received).toHaveLength(0);
      await first.close();

      down = false;
      clock.advance(60_000);
      const second = await createServices(testConfig(env), { migrate: true, clock });
      await second.alerting!.outbox.drain();
      expect(sink.received.map((r) => r.headers['idempotency-key'])).toEqual([key]);
      const [row] = await second.alerting!.outboxList({ limit: 10 });
      expect(row).toMatchObject({ status: 'sent', attempts: 2 });
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a permanent refusal is dead-lettered at once and raises NotificationsDeadLettered', async () => {
    const bad = await httpSink(() => ({ status: 410 }));
    const clock = manualClock();
    const services = await createServices(testConfig({ ALERT_WEBHOOK_URL: `${bad.url}/gone` }), { migrate: true, clock });
    try {
      await services.alerting!.notify({ kind: 'test', receiver: 'webhook', status: 'firing', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, alerts: [], title: 't' });
      await services.alerting!.outbox.drain();
      const [row] = await services.alerting!.outboxList({ status: 'dead', limit: 1 });
      expect(row).toMatchObject({ status: 'dead', attempts: 1, last_error: 'webhook: HTTP 410' });
      const changes = await services.alerting!.tick();
      expect(changes.map((c) => [c.alert.rule, c.alert.state])).toContainEqual(['NotificationsDeadLettered', 'firing']);
    } finally {
      await services.close();
      await bad.close();
    }
  });
});
