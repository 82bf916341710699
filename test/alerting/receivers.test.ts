import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotificationMessage } from '../../src/alerting/message.js';
import { alertmanagerReceiver } from '../../src/alerting/receivers/alertmanager.js';
import { emailReceiver } from '../../src/alerting/receivers/email.js';
import { pagerDutyReceiver } from '../../src/alerting/receivers/pagerduty.js';
import { slackReceiver } from '../../src/alerting/receivers/slack.js';
import { DeliveryError } from '../../src/alerting/receivers/types.js';
import { webhookReceiver } from '../../src/alerting/receivers/webhook.js';
import { httpSink } from './http-sink.js';

const firing: NotificationMessage = {
  kind: 'alert',
  receiver: 'webhook',
  status: 'firing',
  groupKey: '{}/webhook:{alertname="BruteForceAttackDetected"}',
  groupLabels: { alertname: 'BruteForceAttackDetected' },
  commonLabels: { alertname: 'BruteForceAttackDetected', severity: 'critical', category: 'security', ip: '203.0.113.9' },
  commonAnnotations: { summary: 'Brute-force attack from 203.0.113.9', runbook_url: 'http://vigil.test/runbooks/brute-force-attack' },
  externalURL: 'http://vigil.test',
  alerts: [
    {
      status: 'firing',
      labels: { alertname: 'BruteForceAttackDetected', severity: 'critical', category: 'security', ip: '203.0.113.9' },
      annotations: { summary: 'Brute-force attack from 203.0.113.9', description: 'd', runbook_url: 'http://vigil.test/runbooks/brute-force-attack' },
      startsAt: '2026-01-01T00:00:00.000Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://vigil.test/api/v1/admin/alerts?fingerprint=abc',
      fingerprint: 'abc',
    },
  ],
};
const resolved: NotificationMessage = { ...firing, status: 'resolved', alerts: [{ ...firing.alerts[0]!, status: 'resolved', endsAt: '2026-01-01T00:10:00.000Z' }] };
const ctx = () => ({ idempotencyKey: 'key-1', signal: new AbortController().signal });

const isIso = (s: unknown) => typeof s === 'string' && !Number.isNaN(Date.parse(s));

describe('receivers against real local servers', () => {
  let sink: Awaited<ReturnType<typeof httpSink>>;
  beforeAll(async () => {
    sink = await httpSink((r) => (r.path.startsWith('/fail') ? { status: 503, headers: { 'retry-after': '7' } } : r.path.startsWith('/bad') ? { status: 400 } : { status: 200 }));
  });
  afterAll(() => sink.close());

  it('webhook: Alertmanager v4 payload with every documented field, and an Idempotency-Key header', async () => {
    await webhookReceiver('webhook', `${sink.url}/hook?token=secret`).send(firing, ctx());
    const got = sink.received.at(-1)!;
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['idempotency-key']).toBe('key-1');
    const body = got.body as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['alerts', 'commonAnnotations', 'commonLabels', 'externalURL', 'groupKey', 'groupLabels', 'receiver', 'status', 'truncatedAlerts', 'version']);
    expect(body).toMatchObject({ version: '4', status: 'firing', receiver: 'webhook', truncatedAlerts: 0, groupKey: firing.groupKey, externalURL: 'http://vigil.test' });
    const alert = (body.alerts as Record<string, unknown>[])[0]!;
    expect(Object.keys(alert).sort()).toEqual(['annotations', 'endsAt', 'fingerprint', 'generatorURL', 'labels', 'startsAt', 'status']);
    expect(isIso(alert.startsAt) && isIso(alert.endsAt)).toBe(true);
  });

  it('slack: an incoming-webhook message with text and a coloured attachment', async () => {
    await slackReceiver('slack', `${sink.url}/slack`).send(firing, ctx());
    const body = sink.received.at(-1)!.body as { text: string; attachments: { color: string; title: string; text: string }[] };
    expect(body.text).toBe('[FIRING:1] BruteForceAttackDetected');
    expect(body.attachments[0]!.color).toBe('#d00000');
    expect(body.attachments[0]!.text).toContain('runbook: http://vigil.test/runbooks/brute-force-attack');
  });

  it('pagerduty: Events API v2 trigger, then resolve with the same dedup_key', async () => {
    const r = pagerDutyReceiver('pagerduty', `${sink.url}/v2/enqueue`, 'R0UT1NGKEY');
    await r.send(firing, ctx());
    const trigger = sink.received.at(-1)!.body as Record<string, unknown> & { payload: Record<string, unknown> };
    expect(trigger).toMatchObject({ routing_key: 'R0UT1NGKEY', event_action: 'trigger' });
    expect(trigger.payload).toMatchObject({ summary: 'Brute-force attack from 203.0.113.9', source: 'vigil', severity: 'critical' });
    expect(isIso(trigger.payload.timestamp)).toBe(true);
    expect(trigger.dedup_key).toMatch(/^[0-9a-f]{32}$/);
    await r.send(resolved, ctx());
    const resolve = sink.received.at(-1)!.body as Record<string, unknown>;
    expect(resolve).toEqual({ routing_key: 'R0UT1NGKEY', event_action: 'resolve', dedup_key: trigger.dedup_key });
  });

  it('alertmanager: POST /api/v2/alerts with postable alerts (endsAt only when resolved)', async () => {
    const r = alertmanagerReceiver('alertmanager', `${sink.url}/`);
    await r.send(firing, ctx());
    const got = sink.received.at(-1)!;
    expect(got.path).toBe('/api/v2/alerts');
    expect(got.body).toEqual([{ labels: firing.alerts[0]!.labels, annotations: firing.alerts[0]!.annotations, startsAt: firing.alerts[0]!.startsAt, generatorURL: firing.alerts[0]!.generatorURL }]);
    await r.send(resolved, ctx());
    expect((sink.received.at(-1)!.body as { endsAt: string }[])[0]!.endsAt).toBe('2026-01-01T00:10:00.000Z');
  });

  it('5xx is retryable with Retry-After; 4xx is not; neither message holds the URL', async () => {
    const failing = webhookReceiver('webhook', `${sink.url}/fail?token=s3cret`);
    const e1 = await failing.send(firing, ctx()).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(DeliveryError);
    expect(e1).toMatchObject({ retryable: true, retryAfterMs: 7000, message: 'webhook: HTTP 503' });
    const e2 = await webhookReceiver('webhook', `${sink.url}/bad?token=s3cret`).send(firing, ctx()).catch((e: unknown) => e);
    expect(e2).toMatchObject({ retryable: false, message: 'webhook: HTTP 400' });
    const e3 = await webhookReceiver('webhook', 'http://127.0.0.1:1/hook?token=s3cret').send(firing, ctx()).catch((e: unknown) => e);
    expect(e3).toMatchObject({ retryable: true });
    expect(String((e3 as Error).message)).not.toContain('s3cret');
  });
});

describe('email receiver against a local SMTP server', () => {
  it('sends one message with the alert subject, recipients and body (authenticated)', async () => {
    const mails: { from: string; to: string[]; data: string; user: string | undefined }[] = [];
    const server = new SMTPServer({
      authOptional: false,
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      onAuth(auth, _session, done) {
        if (auth.username === 'alerts' && auth.password === 'smtp-pass') done(null, { user: auth.username });
        else done(new Error('bad credentials'));
      },
      onData(stream, session, done) {
        let data = '';
        stream.on('data', (c: Buffer) => (data += c.toString()));
        stream.on('end', () => {
          mails.push({ from: (session.envelope.mailFrom as { address: string }).address, to: session.envelope.rcptTo.map((r) => r.address), data, user: session.user as string | undefined });
          done();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.server.address() as AddressInfo).port;
    try {
      const r = emailReceiver('email', { host: '127.0.0.1', port, secure: false, user: 'alerts', password: 'smtp-pass', from: 'vigil@example.com', to: ['oncall@example.com', 'sec@example.com'] }, 5000);
      await r.send(firing, ctx());
      expect(mails).toHaveLength(1);
      expect(mails[0]).toMatchObject({ from: 'vigil@example.com', to: ['oncall@example.com', 'sec@example.com'], user: 'alerts' });
      expect(mails[0]!.data).toMatch(/^Subject: Vigil \[FIRING:1\] BruteForceAttackDetected/m);
      expect(mails[0]!.data).toContain('Brute-force attack from 203.0.113.9');
      expect(mails[0]!.data).toContain('X-Vigil-Idempotency-Key: key-1');
      const wrong = emailReceiver('email', { host: '127.0.0.1', port, secure: false, user: 'alerts', password: 'nope', from: 'vigil@example.com', to: ['oncall@example.com'] }, 5000);
      const e = await wrong.send(firing, ctx()).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(DeliveryError);
      expect(String((e as Error).message)).not.toContain('nope');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
