import { readdirSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RULES } from '../../src/alerting/rules/default-pack.js';
import { buildProgram } from '../../src/cli/program.js';
import { VARS } from '../../src/config/schema.js';
import { loadRunbooks, RUNBOOK_DIR } from '../../src/incidents/runbooks.js';
import { makeTestApp, type TestApp } from '../support/services.js';

const files = readdirSync(RUNBOOK_DIR).filter((f) => f.endsWith('.md'));
const text = (f: string) => readFileSync(`${RUNBOOK_DIR}/${f}`, 'utf8');

/** Every `vigil …` a runbook names: inline code spans and lines of fenced blocks. */
function vigilCommands(markdown: string): string[] {
  const out: string[] = [];
  const fenced = [...markdown.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split('\n'));
  const inline = [...markdown.replace(/```[\s\S]*?```/g, '').matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
  for (const line of [...fenced, ...inline]) {
    const m = /(?:^|\s|npx )(vigil (?:[^`#|;&]|$)*)/.exec(line.trim());
    if (m) out.push(m[1]!.trim());
  }
  return out;
}

/** Every `METHOD /path` and `$VIGIL/path` a runbook names. */
function endpoints(markdown: string): { method: string; url: string }[] {
  const out = [...markdown.matchAll(/`(GET|POST|PUT|DELETE) (\/[^`\s?]*)/g)].map((m) => ({ method: m[1]!, url: m[2]! }));
  for (const m of markdown.matchAll(/(?:-X (PUT|POST|DELETE) )?"?\$VIGIL(\/[^\s"?']*)/g)) out.push({ method: m[1] ?? 'GET', url: m[2]! });
  return out;
}

const program = buildProgram({ stdout: { write: () => true }, stderr: { write: () => true }, stdin: process.stdin, env: {} });

/** Why `line` is not a command of the program (unknown command, subcommand or option), or undefined. */
function problem(line: string): string | undefined {
  const words = line.split(/\s+/).slice(1);
  let cmd: Command = program;
  const globals = new Set(program.options.flatMap((o) => [o.long, o.short]));
  for (const word of words) {
    if (word.startsWith('-')) {
      const flag = word.split('=')[0]!;
      if (!cmd.options.some((o) => o.long === flag || o.short === flag) && !globals.has(flag)) return `${cmd.name()} has no option ${flag}`;
      continue;
    }
    const sub = cmd.commands.find((c) => c.name() === word);
    if (sub) {
      cmd = sub;
      continue;
    }
    if (cmd.commands.length > 0) return `${cmd.name()} has no subcommand ${word}`;
  }
  if (cmd === program) return 'names no command';
  if (cmd.commands.length > 0) return `${cmd.name()} needs a subcommand`;
  return undefined;
}

describe('runbooks', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeTestApp({ ADMIN_API_KEY: 'admin-key-for-runbook-tests-0123456789' });
  });
  afterAll(() => t?.close());

  it('every default rule links a runbook that is served as Markdown', async () => {
    const rules = t.services.alerting!.rules();
    expect(rules.map((r) => r.name).sort()).toEqual(DEFAULT_RULES.map((r) => r.name).sort());
    for (const rule of rules) {
      expect(rule.annotations.runbook_url, rule.name).toMatch(/^\/runbooks\/[a-z0-9-]+$/);
      const res = await t.app.inject({ url: rule.annotations.runbook_url });
      expect(res.statusCode, `${rule.name} → ${rule.annotations.runbook_url}`).toBe(200);
      expect(res.headers['content-type']).toBe('text/markdown; charset=utf-8');
      expect(res.body, rule.name).toContain(rule.name);
    }
  });

  it('the seed 003 procedures each have one', async () => {
    for (const name of ['complete-outage', 'security-incident', 'data-recovery', 'health-check-failure', 'database-connection-failure', 'high-error-rate', 'performance-degradation', 'memory-usage', 'rate-limit-violations', 'suspicious-activity']) {
      const res = await t.app.inject({ url: `/runbooks/${name}` });
      expect(res.statusCode, name).toBe(200);
      expect(res.body.startsWith('# Runbook: '), name).toBe(true);
    }
  });

  it('serves each file under its name and with .md (links between runbooks), and lists them all', async () => {
    const index = await t.app.inject({ url: '/runbooks' });
    expect(index.statusCode).toBe(200);
    expect(files.length).toBeGreaterThanOrEqual(18);
    for (const f of files) {
      const name = f.replace(/\.md$/, '');
      expect(index.body).toContain(`](runbooks/${name})`);
      const res = await t.app.inject({ url: `/runbooks/${f}` });
      expect(res.body).toBe(text(f));
    }
    expect(loadRunbooks().size).toBe(files.length);
  });

  it('links between runbooks point at runbooks that exist', () => {
    for (const f of files) {
      for (const m of text(f).matchAll(/\]\(([a-z0-9-]+\.md)\)/g)) expect(files, `${f} links ${m[1]}`).toContain(m[1]);
    }
  });

  it('unknown names and traversal attempts are 404 problem+json', async () => {
    for (const url of ['/runbooks/nope', '/runbooks/..%2F..%2Fpackage.json', '/runbooks/../package.json', '/runbooks/%2e%2e%2fREADME', '/runbooks/..%2f.env', '/runbooks/.', '/runbooks/%00', '/runbooks/high-error-rate.md%00.txt']) {
      const res = await t.app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type'], url).toContain('application/problem+json');
      expect(res.body, url).not.toContain('"name"');
    }
  });

  it('every vigil command a runbook names exists, with its options', () => {
    let count = 0;
    for (const f of files) {
      for (const line of vigilCommands(text(f))) {
        count++;
        expect(problem(line), `${f}: ${line}`).toBeUndefined();
      }
    }
    expect(count).toBeGreaterThan(40);
    // The checker itself refuses what does not exist.
    expect(problem('vigil emergency of')).toBeDefined();
    expect(problem('vigil ip block 1.2.3.4 --forever')).toBeDefined();
    expect(problem('vigil restart')).toBeDefined();
    expect(problem('vigil emergency on --revoke-sessions')).toBeUndefined();
  });

  it('every endpoint a runbook names is a route of the app', () => {
    let count = 0;
    for (const f of files) {
      for (const e of endpoints(text(f))) {
        count++;
        const url = e.url.replace(/\{(\w+)\}/g, ':$1');
        expect(t.app.hasRoute({ method: e.method as 'GET', url }), `${f}: ${e.method} ${e.url}`).toBe(true);
      }
    }
    expect(count).toBeGreaterThan(30);
  });

  it('every setting a runbook names is a variable', () => {
    const names = new Set(Object.values(VARS).map((v) => v.env));
    for (const f of files) {
      for (const m of text(f).matchAll(/`([A-Z][A-Z0-9]*_[A-Z0-9_]+)(?:=[^`]*)?`/g)) {
        if (/^(LOGIN|IP|ACCOUNT|API_KEY|SUSPICIOUS|RATE|ADMIN|PASSWORD|REFRESH|EMERGENCY_MODE)_[A-Z_]+$/.test(m[1]!) && !names.has(m[1]!)) continue;
        expect(names.has(m[1]!), `${f}: ${m[1]}`).toBe(true);
      }
    }
  });
});
