import { describe, expect, it } from 'vitest';
import { createRuleEngine } from '../../src/alerting/engine.js';
import { loadRules, RulesFileError } from '../../src/alerting/rules/load.js';
import { securitySignals, signalSet, type Signal } from '../../src/alerting/signals/index.js';
import { scalar } from '../../src/alerting/signals/types.js';
import { manualClock } from '../../src/shared/clock.js';
import type { SecurityEvent } from '../../src/security-monitoring/events.js';
import { signalInfo } from './support.js';

const INTERVAL = 15_000;

/** An instant signal whose value the test sets. */
function settable(name: string) {
  let value: number | undefined;
  const signal: Signal = { name, help: name, windowed: false, read: () => scalar(value) };
  return { signal, set: (v: number | undefined) => (value = v) };
}

describe('rule engine', () => {
  it('moves an alert inactive → pending → firing → resolved with a stable fingerprint', () => {
    const clock = manualClock();
    const db = settable('database_up');
    const signals = signalSet([{ signals: [db.signal] }]);
    const { rules } = loadRules(signalInfo(), '/rules.yml', 'rules:\n  - name: DbDown\n    condition: database_up == 0\n    for: 30s\n    severity: critical\n    category: database\n    summary: down\n');
    const engine = createRuleEngine({ rules: rules.filter((r) => r.name === 'DbDown'), signals, clock, externalUrl: 'http://vigil.test' });

    db.set(1);
    expect(engine.evaluate()).toEqual([]);
    db.set(0);
    const [pending] = engine.evaluate();
    expect(pending!.from).toBe('inactive');
    expect(pending!.alert.state).toBe('pending');
    clock.advance(INTERVAL);
    expect(engine.evaluate()).toEqual([]);
    clock.advance(INTERVAL);
    const [firing] = engine.evaluate();
    expect(firing!.alert.state).toBe('firing');
    expect(firing!.alert.firedAt).toBe(clock.now());
    expect(firing!.alert.fingerprint).toBe(pending!.alert.fingerprint);
    expect(firing!.alert.labels).toEqual({ alertname: 'DbDown', severity: 'critical', category: 'database' });
    clock.advance(INTERVAL);
    expect(engine.evaluate()).toEqual([]);
    db.set(1);
    const [resolved] = engine.evaluate();
    expect(resolved!.alert.state).toBe('resolved');
    expect(resolved!.from).toBe('firing');
    expect(engine.active()).toEqual([]);

    // The same labels give the same fingerprint in a new engine (a new process).
    const again = createRuleEngine({ rules: rules.filter((r) => r.name === 'DbDown'), signals, clock, externalUrl: 'http://vigil.test' });
    db.set(0);
    expect(again.evaluate()[0]!.alert.fingerprint).toBe(firing!.alert.fingerprint);
  });

  it('drops a pending alert that stops holding before `for` (never fires)', () => {
    const clock = manualClock();
    const db = settable('database_up');
    const signals = signalSet([{ signals: [db.signal] }]);
    const { rules } = loadRules(signalInfo());
    const engine = createRuleEngine({ rules: rules.filter((r) => r.name === 'DatabaseConnectionFailure'), signals, clock, externalUrl: 'http://x' });
    db.set(0);
    engine.evaluate();
    clock.advance(INTERVAL);
    db.set(1);
    const changes = engine.evaluate();
    expect(changes.map((c) => [c.from, c.alert.state])).toEqual([['pending', 'inactive']]);
  });

  it('no data keeps a rule inactive', () => {
    const clock = manualClock();
    const db = settable('database_up');
    const signals = signalSet([{ signals: [db.signal] }]);
    const { rules } = loadRules(signalInfo());
    const engine = createRuleEngine({ rules, signals, clock, externalUrl: 'http://x' });
    for (let i = 0; i < 10; i++) {
      expect(engine.evaluate()).toEqual([]);
      clock.advance(INTERVAL);
    }
  });

  it('fires one alert per IP from the security events, with the IP as a label and the runbook link', () => {
    const clock = manualClock();
    const security = securitySignals({ intervalMs: INTERVAL, maxWindowMs: 3_600_000, blockedIps: () => 0 });
    const signals = signalSet([security]);
    const { rules } = loadRules(signalInfo());
    const engine = createRuleEngine({ rules: rules.filter((r) => r.name === 'SuspiciousLoginActivity'), signals, clock, externalUrl: 'http://vigil.test' });
    const failed = (ip: string): SecurityEvent => ({ type: 'LOGIN_FAILED', time: clock.now(), severity: 'low', ip, details: { email: 'a@b.c', reason: 'wrong_password' } });
    for (let i = 0; i < 51; i++) signals.observe(failed('203.0.113.9'));
    for (let i = 0; i < 50; i++) signals.observe(failed('198.51.100.1'));
    void signals.sample(clock.now());
    const changes = engine.evaluate();
    expect(changes).toHaveLength(1);
    const firing = changes.find((c) => c.alert.state === 'firing')!;
    expect(firing.alert.labels.ip).toBe('203.0.113.9');
    expect(firing.alert.annotations.summary).toBe('More than 50 failed logins in an hour from 203.0.113.9');
    expect(firing.alert.annotations.runbook_url).toBe('http://vigil.test/runbooks/suspicious-activity');
    // An hour later the window has emptied: resolved.
    for (let i = 0; i < 240; i++) {
      clock.advance(INTERVAL);
      void signals.sample(clock.now());
    }
    expect(engine.evaluate().map((c) => c.alert.state)).toEqual(['resolved']);
  });

  it('a burn-rate pair fires only when both windows exceed the factor', () => {
    const clock = manualClock();
    let long = 20;
    let short = 1;
    const burn: Signal = { name: 'slo_burn_rate', help: '', windowed: true, read: (w) => scalar(w === 3_600_000 ? long : short) };
    const signals = signalSet([{ signals: [burn] }]);
    const { rules } = loadRules(signalInfo());
    const engine = createRuleEngine({ rules: rules.filter((r) => r.name === 'SLOBurnRateFast'), signals, clock, externalUrl: 'http://x' });
    expect(engine.evaluate()).toEqual([]);
    short = 15;
    expect(engine.evaluate()[0]!.alert.state).toBe('firing');
    long = 2;
    expect(engine.evaluate()[0]!.alert.state).toBe('resolved');
  });
});

describe('ALERT_RULES_FILE', () => {
  const signals = signalInfo();
  const load = (text: string) => loadRules(signals, '/etc/vigil/rules.yml', text);

  it('overrides a default rule, disables one and adds one', () => {
    const { rules } = load(`
rules:
  - name: HighErrorRate
    condition: http_5xx_ratio[5m] > 0.1
  - name: RedisUnavailable
    enabled: false
  - name: LoginFailuresNight
    condition: failed_logins[10m] > 20
    for: 5m
    severity: warning
    category: security
    summary: Many failed logins
    labels: { team: identity }
`);
    const high = rules.find((r) => r.name === 'HighErrorRate')!;
    expect(high.conditions).toEqual([{ signal: 'http_5xx_ratio', windowMs: 300_000, op: '>', value: 0.1 }]);
    expect(high.forMs).toBe(120_000);
    expect(rules.find((r) => r.name === 'RedisUnavailable')).toBeUndefined();
    const custom = rules.find((r) => r.name === 'LoginFailuresNight')!;
    expect(custom).toMatchObject({ forMs: 300_000, severity: 'warning', labels: { team: 'identity' }, incident: false });
  });

  it('names the rule and the field of every problem', () => {
    let error: unknown;
    try {
      load(`
rules:
  - name: Broken
    condition: no_such_signal > 1
    severity: urgent
    category: security
    summary: x
  - name: HighErrorRate
    for: soon
  - name: NoWindow
    condition: http_5xx_ratio > 0.1
    severity: warning
    category: availability
    summary: x
    colour: red
`);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RulesFileError);
    const issues = (error as RulesFileError).issues;
    expect(issues).toContain('rule "Broken": field "severity": "urgent" is not one of critical, warning, info');
    expect(issues.some((i) => i.startsWith('rule "Broken": field "condition": unknown signal "no_such_signal"'))).toBe(true);
    expect(issues).toContain('rule "HighErrorRate": field "for": "soon" is not a duration such as 0s, 2m or 1h');
    expect(issues).toContain('rule "NoWindow": field "condition": signal "http_5xx_ratio" needs a window, e.g. http_5xx_ratio[5m]');
    expect(issues).toContain('rule "NoWindow": field "colour": unknown field');
    expect((error as Error).message).toContain('/etc/vigil/rules.yml');
  });

  it('refuses a file that is not YAML', () => {
    expect(() => load('rules: [unclosed')).toThrow(RulesFileError);
  });
});
