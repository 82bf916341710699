import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type { Config } from '../config/index.js';
import type { Logger } from '../observability/logger.js';
import type { ResourceSample } from '../observability/resources.js';
import type { SecurityEvent } from '../security-monitoring/events.js';
import type { Clock } from '../shared/clock.js';
import { createDispatcher, type Dispatcher } from './dispatcher.js';
import { createRuleEngine, type AlertChange, type RuleEngine } from './engine.js';
import type { NotificationMessage } from './message.js';
import { createOutbox, type Outbox } from './outbox.js';
import type { AlertHistoryRecord, AlertHistoryRepository, OutboxRecord, OutboxRepository, SilenceRepository } from './ports.js';
import { buildReceivers, defaultRoutes, type Receiver } from './receivers/index.js';
import { loadRules, RulesFileError } from './rules/load.js';
import { routingFromFile, type InhibitRule, type Route } from './routing.js';
import { DEFAULT_INHIBIT_RULES } from './rules/default-pack.js';
import { createSilences, type Silences } from './silences.js';
import { httpSignals, jobSignals, MAX_WINDOW_MS, memoryLimitBytes, notificationSignals, securitySignals, signalSet, systemSignals, tokenSignals, type HttpInterval } from './signals/index.js';
import type { Alert, AlertRule } from './types.js';

export interface AlertingDeps {
  config: Config;
  clock: Clock;
  logger: Logger;
  repos: { history: AlertHistoryRepository; silences: SilenceRepository; outbox: OutboxRepository };
  /** Where the signals come from (all read from memory). */
  sources: {
    registry: Registry | undefined;
    databaseUp: () => boolean;
    redisUp: () => boolean | undefined;
    healthy: () => boolean;
    resources: () => ResourceSample;
    blockedIps: () => number;
    /** The database, for job_runs (read every 5 minutes when the table exists). */
    db: Kysely<unknown>;
  };
  /** Tests replace receivers (e.g. to point them at a local server). */
  receivers?: Map<string, Receiver>;
}

/** The alerting capability: signals → rules → dispatcher → outbox → receivers. */
export interface Alerting {
  rules(): readonly AlertRule[];
  active(): Alert[];
  history(options: { since?: number; limit: number }): Promise<AlertHistoryRecord[]>;
  silences: Silences;
  receivers: ReadonlyMap<string, Receiver>;
  routes: readonly Route[];
  inhibitRules: readonly InhibitRule[];
  outbox: Outbox;
  outboxList(options: { status?: OutboxRecord['status']; limit: number }): Promise<OutboxRecord[]>;
  dispatcher: Dispatcher;
  /** Every security event (the security signals count them). */
  observe(event: SecurityEvent): void;
  /** Samples the signals, evaluates the rules and flushes the groups (the timers call it). */
  tick(now?: number): Promise<AlertChange[]>;
  /** Subscribes to alert changes (incidents do). */
  onChange(listener: (change: AlertChange) => void | Promise<void>): void;
  /** After each sample (the SLO minutes read the interval's HTTP totals). */
  onSample(listener: (now: number, http: HttpInterval) => void | Promise<void>): void;
  /** Stores and sends a notification outside the rules (tests, escalations, digests). */
  notify(message: Omit<NotificationMessage, 'groupKey' | 'externalURL'> & { groupKey?: string }): Promise<string>;
  start(): void;
  stop(): Promise<void>;
}

const historyAlert = (r: AlertHistoryRecord): Alert => ({
  fingerprint: r.fingerprint, rule: r.rule, state: 'firing', severity: r.severity as Alert['severity'], category: r.category as Alert['category'],
  labels: JSON.parse(r.labels) as Alert['labels'], annotations: JSON.parse(r.annotations) as Alert['annotations'], value: r.value,
  activeAt: r.active_at, firedAt: r.fired_at, resolvedAt: undefined,
});

export async function createAlerting(deps: AlertingDeps): Promise<Alerting> {
  const { config, clock, logger, repos } = deps;
  const a = config.alerting;
  const intervalMs = a.evalIntervalMs;
  const s = deps.sources;
  const http = httpSignals({ registry: s.registry, intervalMs, maxWindowMs: MAX_WINDOW_MS, availabilityTarget: config.slo.targets.availability / 100 });
  const security = securitySignals({ intervalMs, maxWindowMs: MAX_WINDOW_MS, blockedIps: s.blockedIps });
  const notifications = notificationSignals({ intervalMs, maxWindowMs: 86_400_000 });
  const sources = [
    http,
    security,
    systemSignals({ databaseUp: s.databaseUp, redisUp: s.redisUp, healthy: s.healthy, resources: s.resources, memoryLimitBytes: memoryLimitBytes() }),
    tokenSignals({ registry: s.registry }),
    jobSignals({ db: s.db }),
    notifications,
  ];
  const signals = signalSet(sources);
  const pack = loadRules(sources.flatMap((x) => x.signals.map((sig) => ({ name: sig.name, windowed: sig.windowed }))), a.rulesFile);

  const receivers = deps.receivers ?? buildReceivers(a);
  const fromFile = routingFromFile(pack.routes, pack.inhibitRules, new Set(receivers.keys()));
  if (fromFile.issues.length > 0) throw new RulesFileError(a.rulesFile ?? '', fromFile.issues);
  const routes = fromFile.routes ?? a.routes ?? defaultRoutes(receivers);
  const unknown = routes.flatMap((r) => r.receivers).filter((n) => !receivers.has(n));
  if (unknown.length > 0) throw new Error(`ALERT_ROUTES names receivers that are not configured: ${[...new Set(unknown)].join(', ')} (configured: ${[...receivers.keys()].join(', ') || 'none'})`);
  const inhibitRules: InhibitRule[] = fromFile.inhibit ?? DEFAULT_INHIBIT_RULES.map((r) => ({
    source: Object.entries(r.source).map(([name, value]) => ({ name, op: '=' as const, value })),
    target: Object.entries(r.target).map(([name, value]) => ({ name, op: '=' as const, value })),
    equal: r.equal,
  }));

  const silences = createSilences({ repo: repos.silences, clock });
  await silences.refresh();
  const outbox = createOutbox({
    repo: repos.outbox,
    receivers,
    clock,
    logger,
    config: { maxAttempts: a.outbox.maxAttempts, initialDelayMs: 1000, maxDelayMs: a.outbox.maxDelayMs, timeoutMs: a.outbox.timeoutMs, breakerThreshold: 5, breakerHalfOpenMs: 30_000, pollMs: 1000 },
    onDeadLetter: () => notifications.deadLettered(),
  });
  const restore = (await repos.history.listOpen()).map(historyAlert);
  const engine: RuleEngine = createRuleEngine({ rules: pack.rules, signals, clock, externalUrl: a.externalUrl, restore });
  const dispatcher = createDispatcher({
    config: { routes, inhibit: inhibitRules, maintenance: a.maintenanceWindows, externalUrl: a.externalUrl, groupBy: a.groupBy, groupWaitMs: a.groupWaitMs, groupIntervalMs: a.groupIntervalMs, repeatIntervalMs: a.repeatIntervalMs },
    clock,
    silences,
    firing: () => engine.active(),
    enqueue: async (message, key) => void (await outbox.enqueue(message, key)),
  });

  const changeListeners: ((c: AlertChange) => void | Promise<void>)[] = [];
  const sampleListeners: ((now: number, http: HttpInterval) => void | Promise<void>)[] = [];
  let evalTimer: NodeJS.Timeout | undefined;
  let flushTimer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let lastSilenceRefresh = 0;

  async function record(change: AlertChange): Promise<void> {
    const { alert } = change;
    if (alert.state === 'firing') {
      await repos.history.insert({
        id: randomUUID(), fingerprint: alert.fingerprint, rule: alert.rule, severity: alert.severity, category: alert.category,
        labels: JSON.stringify(alert.labels), annotations: JSON.stringify(alert.annotations), value: alert.value,
        active_at: alert.activeAt, fired_at: alert.firedAt!, resolved_at: null,
      });
      logger.warn({ alert: alert.rule, fingerprint: alert.fingerprint, severity: alert.severity, labels: alert.labels, value: alert.value }, `ALERT_FIRING ${alert.rule}`);
    } else if (alert.state === 'resolved') {
      await repos.history.resolve(alert.fingerprint, alert.resolvedAt!);
      logger.info({ alert: alert.rule, fingerprint: alert.fingerprint }, `ALERT_RESOLVED ${alert.rule}`);
    }
  }

  async function tick(now = clock.now()): Promise<AlertChange[]> {
    await signals.sample(now);
    for (const l of sampleListeners) await l(now, http.last());
    if (now - lastSilenceRefresh >= 30_000) {
      lastSilenceRefresh = now;
      await silences.refresh();
    }
    const changes = engine.evaluate(now);
    for (const change of changes) {
      await record(change);
      dispatcher.receive(change.alert);
      for (const l of changeListeners) await l(change);
    }
    await dispatcher.flush(now);
    return changes;
  }

  const guarded = (run: () => Promise<unknown>) => () => {
    if (running) return;
    running = run()
      .catch((e: unknown) => logger.error({ err: e }, 'alert evaluation failed'))
      .finally(() => {
        running = undefined;
      });
  };

  return {
    rules: () => engine.rules(),
    active: () => engine.active(),
    history: (o) => repos.history.list(o),
    silences,
    receivers,
    routes,
    inhibitRules,
    outbox,
    outboxList: (o) => repos.outbox.list(o),
    dispatcher,
    observe: (e) => signals.observe(e),
    tick,
    onChange: (l) => void changeListeners.push(l),
    onSample: (l) => void sampleListeners.push(l),
    async notify(message) {
      const groupKey = message.groupKey ?? `{}/${message.receiver}:{kind="${message.kind}"}`;
      const key = randomUUID();
      await outbox.enqueue({ ...message, groupKey, externalURL: a.externalUrl } as NotificationMessage, key);
      return key;
    },
    start() {
      evalTimer = setInterval(guarded(() => tick()), intervalMs);
      evalTimer.unref();
      flushTimer = setInterval(guarded(() => dispatcher.flush()), Math.min(1000, intervalMs));
      flushTimer.unref();
      outbox.start();
    },
    async stop() {
      if (evalTimer) clearInterval(evalTimer);
      if (flushTimer) clearInterval(flushTimer);
      await running;
      await outbox.stop();
    },
  };
}
