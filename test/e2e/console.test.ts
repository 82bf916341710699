import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices } from '../../src/services.js';
import { OTHER_STRONG_PASSWORD, STRONG_PASSWORD, TEST_ENV, testConfig } from '../support/config.js';
import { startVigilProcess, type VigilProcess } from '../support/vigil-process.js';
import { SKIP_REASON, buildConsole, launchChromium, runBrowser } from './browser.js';

/**
 * The admin console in a real browser (Debian's chromium, headless) against a real Vigil process
 * on a SQLite file, protections on: an admin signs in; failed logins from another client (an
 * address of its own through TRUST_PROXY + X-Forwarded-For: the browser and this test share
 * 127.0.0.1) show in the live stream within 2 s; that address is blocked and unblocked from the
 * page; the incident its failures open (a critical rule of ALERT_RULES_FILE) is acknowledged,
 * noted and resolved; a non-admin is refused; no page logs a console error; every page is
 * screenshotted at 1280×800 and at phone width into test-results/console/.
 */

const ADMIN = { email: 'operator@example.com', password: STRONG_PASSWORD };
const USER = { email: 'someone@example.com', password: OTHER_STRONG_PASSWORD };
const VICTIM = { email: 'victim@example.com', password: STRONG_PASSWORD };
const ATTACKER = '203.0.113.77';
/** The rule's summary: the title of the incident it opens. */
const INCIDENT_TITLE = 'Failed logins in the console end-to-end test';
const SHOTS = join(process.cwd(), 'test-results', 'console');
const PHONE = { width: 375, height: 812 };

const RULES = `
rules:
  - name: ConsoleE2EFailedLogins
    condition: failed_logins[5m] > 2
    for: 0s
    severity: critical
    category: security
    summary: ${INCIDENT_TITLE}
    incident: true
`;

describe.runIf(runBrowser)('admin console in chromium', { timeout: 90_000 }, () => {
  let server: VigilProcess;
  let browser: BrowserContext;
  let page: Page;
  const consoleErrors: string[] = [];

  const api = (path: string, init: RequestInit & { ip?: string } = {}) =>
    fetch(`${server.url}${path}`, { ...init, headers: { 'content-type': 'application/json', ...(init.ip ? { 'x-forwarded-for': init.ip } : {}), ...(init.headers as Record<string, string>) } });
  const attackerLogin = () => api('/api/v1/auth/login', { method: 'POST', ip: ATTACKER, body: JSON.stringify({ email: VICTIM.email, password: 'not-the-password' }) });
  const adminToken = async () => ((await (await api('/api/v1/auth/login', { method: 'POST', body: JSON.stringify(ADMIN) })).json()) as { access_token: string }).access_token;

  /** Follows a link of the navigation (a client-side route change, no page load). */
  const open = async (name: string) => {
    await page.getByRole('navigation', { name: 'Console pages' }).getByRole('link', { name, exact: true }).click();
    await page.getByRole('heading', { level: 1, name }).waitFor();
  };
  const shoot = async (name: string) => {
    await page.screenshot({ path: join(SHOTS, `${name}-desktop.png`), fullPage: true });
    await page.setViewportSize(PHONE);
    await page.waitForTimeout(150);
    await page.screenshot({ path: join(SHOTS, `${name}-phone.png`), fullPage: true });
    // Readable at phone width: nothing makes the page scroll sideways (wide tables scroll in their own box).
    // (Expressions as strings: they run in the page, and this project's types have no DOM.)
    const overflow = await page.evaluate<{ by: number; elements: string[] }>(`({
      by: document.documentElement.scrollWidth - window.innerWidth,
      elements: [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5).map((e) => e.tagName + '.' + e.className),
    })`);
    expect(overflow.by, `${name}: wider than a phone screen (${overflow.elements.join(', ')})`).toBeLessThanOrEqual(1);
    await page.setViewportSize({ width: 1280, height: 800 });
  };

  beforeAll(async () => {
    buildConsole();
    mkdirSync(SHOTS, { recursive: true });
    const dir = mkdtempSync(join(tmpdir(), 'vigil-e2e-'));
    const env = {
      ...(TEST_ENV as Record<string, string>),
      DATABASE_URL: `sqlite:${join(dir, 'vigil.db')}`,
      BACKUP_DIR: join(dir, 'backups'),
      API_PORT: '0',
      LOG_LEVEL: 'info',
      // Protections on, with low thresholds; the browser's own address is allowlisted (never
      // limited or blocked), the attacker's comes through X-Forwarded-For from a trusted proxy.
      RATE_LIMIT_ENABLED: 'true',
      IP_ALLOWLIST: '127.0.0.1',
      TRUST_PROXY: '127.0.0.1',
      DETECT_BRUTE_FORCE_IP: '3/5m:block_ip',
      ACCOUNT_LOCKOUT_THRESHOLD: '3',
      ALERT_EVAL_INTERVAL: '1s',
      ALERT_RULES_FILE: join(dir, 'rules.yml'),
    };
    writeFileSync(env.ALERT_RULES_FILE, RULES);
    const services = await createServices(testConfig({ ...env, LOG_LEVEL: 'silent' }), { migrate: true });
    await services.auth.createUser({ ...ADMIN, role: 'admin' }, {});
    await services.auth.createUser({ ...USER, role: 'user' }, {});
    await services.auth.createUser({ ...VICTIM, role: 'user' }, {});
    await services.close();
    server = await startVigilProcess(env, dir);
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('console', (m) => void (m.type() === 'error' && consoleErrors.push(`${page.url()}: ${m.text()}`)));
    page.on('pageerror', (e) => void consoleErrors.push(`${page.url()}: ${e.message}`));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    server?.child.kill('SIGTERM');
    await server?.exited;
  });

  it('a non-admin account cannot sign in to the console, and the admin API refuses it', async () => {
    const other = await browser.newPage();
    const errors: string[] = [];
    other.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
    await other.goto(`${server.url}/admin`);
    await other.getByLabel('Email').fill(USER.email);
    await other.getByLabel('Password').fill(USER.password);
    await other.getByRole('button', { name: 'Sign in' }).click();
    await other.getByRole('alert').filter({ hasText: 'not an administrator' }).waitFor();
    expect(await other.getByRole('navigation', { name: 'Console pages' }).count()).toBe(0);
    await other.screenshot({ path: join(SHOTS, 'sign-in-refused-desktop.png') });
    // The only console error is the browser's own note of the 403 answer.
    expect(errors.filter((e) => !e.includes('status of 403'))).toEqual([]);
    await other.close();

    const login = await api('/api/v1/auth/login', { method: 'POST', body: JSON.stringify(USER) });
    const token = ((await login.json()) as { access_token: string }).access_token;
    for (const path of ['/api/v1/admin/users', '/api/v1/admin/security-events', '/api/v1/admin/config', '/health/detailed']) {
      const res = await api(path, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status, path).toBe(403);
    }
  });

  it('the admin signs in and lands on the overview, with the live stream connected', async () => {
    await page.goto(`${server.url}/admin`);
    await shoot('sign-in');
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByLabel('Password').press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    await page.locator('.live-live').waitFor({ timeout: 5000 });
    await page.getByRole('heading', { name: 'SLOs and KPIs' }).waitFor();
    await page.locator('.chart canvas').first().waitFor();
    expect(await page.locator('.chart canvas').count()).toBe(4);
    // The refresh token is in an httpOnly, SameSite=Strict cookie for the console's path only.
    const cookies = await browser.cookies(`${server.url}/api/v1/console/refresh`);
    expect(cookies.map((c) => ({ name: c.name, path: c.path, httpOnly: c.httpOnly, sameSite: c.sameSite }))).toEqual([
      { name: 'vigil_console_refresh', path: '/api/v1/console', httpOnly: true, sameSite: 'Strict' },
    ]);
    expect(await browser.cookies(`${server.url}/admin`)).toEqual([]);
    // A reload keeps the session (the cookie) without signing in again; the token was only in memory.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    expect(await page.evaluate<string>('JSON.stringify(localStorage) + document.cookie')).not.toMatch(/ey[A-Za-z0-9_-]{10,}\./);
    await page.locator('.live-live').waitFor({ timeout: 5000 });
    await shoot('overview');
  });

  it('failed logins from another client appear in the live stream within 2 s; the offending IP is blocked and unblocked from the page', async () => {
    await open('Security');
    await page.locator('.live-live').waitFor({ timeout: 5000 });
    const events = page.getByTestId('live-events').locator('li').filter({ hasText: 'LOGIN_FAILED' }).filter({ hasText: ATTACKER });
    expect(await events.count()).toBe(0);

    const sent = Date.now();
    expect((await attackerLogin()).status).toBe(401);
    await events.first().waitFor({ timeout: 2000 });
    const latency = Date.now() - sent;
    expect(latency).toBeLessThan(2000);

    // More than three failures within 5 minutes block the address (DETECT_BRUTE_FORCE_IP=3/5m).
    for (let i = 0; i < 3; i++) await attackerLogin();
    const blocked = await attackerLogin();
    expect(blocked.status).toBe(403);
    expect(((await blocked.json()) as { code: string }).code).toBe('ip_blocked');
    const unblock = page.getByRole('button', { name: `Unblock ${ATTACKER}` });
    await unblock.waitFor({ timeout: 5000 });
    // The victim account was locked by the same failures: it shows too.
    await page.getByRole('button', { name: `Unlock ${VICTIM.email}` }).waitFor({ timeout: 5000 });
    await page.getByRole('region', { name: 'Top offending IPs (24 h)' }).getByRole('rowheader', { name: ATTACKER }).waitFor({ timeout: 5000 });
    await shoot('security');

    await unblock.click();
    await page.getByRole('status').filter({ hasText: `Unblocked ${ATTACKER}.` }).waitFor();
    await unblock.waitFor({ state: 'detached' });
    expect((await attackerLogin()).status).toBe(401);

    await page.getByRole('button', { name: `Unlock ${VICTIM.email}` }).click();
    await page.getByRole('status').filter({ hasText: `Unlocked ${VICTIM.email}.` }).waitFor();
    const login = await api('/api/v1/auth/login', { method: 'POST', body: JSON.stringify(VICTIM) });
    expect(login.status).toBe(200);
  });

  it('the incident the failures opened is acknowledged, noted and resolved with a note from the page', async () => {
    await open('Incidents');
    const row = page.getByRole('link', { name: INCIDENT_TITLE }).first();
    await row.waitFor({ timeout: 10_000 });
    await shoot('incidents');
    await row.click();
    await page.getByRole('heading', { level: 2, name: INCIDENT_TITLE }).waitFor();
    const id = page.url().split('/').pop()!;

    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await page.getByRole('status').filter({ hasText: 'Acknowledged.' }).waitFor();
    await page.locator('.badge', { hasText: 'acknowledged' }).first().waitFor();

    await page.getByLabel('Note').fill('Attacker at 203.0.113.77 blocked, then lifted after review.');
    await page.getByRole('button', { name: 'Add note' }).click();
    await page.locator('.timeline li', { hasText: 'Attacker at 203.0.113.77 blocked' }).waitFor();

    await page.getByLabel('Note').fill('Resolved: no further failures.');
    await page.getByRole('button', { name: 'Resolve with this note' }).click();
    await page.getByRole('status').filter({ hasText: 'Resolved.' }).waitFor();
    await page.getByRole('heading', { name: 'Postmortem', exact: true }).waitFor();
    await shoot('incident-detail');

    const token = await adminToken();
    const detail = (await (await api(`/api/v1/admin/incidents/${id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { status: string; acknowledged_by: string; timeline: { kind: string; text: string }[] };
    expect(detail.status).toBe('resolved');
    expect(detail.acknowledged_by).toMatch(/^user:/);
    expect(detail.timeline.some((t) => t.text.includes('Attacker at 203.0.113.77 blocked'))).toBe(true);
    expect(detail.timeline.some((t) => t.text.includes('Resolved: no further failures.'))).toBe(true);

    // An address whose incident id is not one (encoded slashes and dots) reaches no API path.
    const calls: string[] = [];
    const track = (r: { url(): string }) => void (r.url().includes('/api/v1/admin/') && calls.push(r.url()));
    page.on('request', track);
    await page.goto(`${server.url}/admin/incidents/x%2F..%2F..%2Fusers`);
    await page.getByText('There is no incident at this address.').waitFor();
    page.off('request', track);
    expect(calls.filter((u) => !u.endsWith('/api/v1/admin/stream'))).toEqual([]);
  });

  it('every other page loads and acts: silences, users, jobs and backups, emergency mode', async () => {
    const token = await adminToken();
    const admin = (path: string) => api(`/api/v1/admin${path}`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json() as Promise<Record<string, unknown>>);

    await open('Alerts');
    await page.getByRole('heading', { name: 'Silences' }).waitFor();
    await page.getByRole('button', { name: 'Silence ConsoleE2EFailedLogins' }).click();
    expect(await page.getByLabel(/^Matchers/).inputValue()).toBe('alertname=ConsoleE2EFailedLogins');
    await page.getByLabel('Duration').fill('1h');
    await page.getByLabel('Comment').fill('console e2e');
    await page.getByRole('button', { name: 'Create silence' }).click();
    await page.getByRole('status').filter({ hasText: 'Silence created.' }).waitFor();
    const expire = page.getByRole('button', { name: 'Expire silence alertname=ConsoleE2EFailedLogins' });
    await expire.waitFor();
    expect(((await admin('/alerts/silences')).silences as unknown[]).length).toBe(1);
    await shoot('alerts');
    await expire.click();
    await expire.waitFor({ state: 'detached' });
    expect(await admin('/alerts/silences')).toEqual({ silences: [] });

    await open('Users');
    await page.getByRole('rowheader', { name: VICTIM.email }).waitFor();
    await page.getByRole('button', { name: `Disable ${VICTIM.email}` }).click();
    const dialog = page.getByRole('dialog', { name: `Disable ${VICTIM.email}?` });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('status').filter({ hasText: `${VICTIM.email}: disabled.` }).waitFor();
    expect((await api('/api/v1/auth/login', { method: 'POST', body: JSON.stringify(VICTIM) })).status).toBe(401);
    await shoot('users');
    await page.getByRole('button', { name: `Enable ${VICTIM.email}` }).click();
    await page.getByRole('status').filter({ hasText: `${VICTIM.email}: enabled.` }).waitFor();
    expect((await api('/api/v1/auth/login', { method: 'POST', body: JSON.stringify(VICTIM) })).status).toBe(200);

    await open('Maintenance');
    await page.getByRole('button', { name: 'Run cleanup-tokens now' }).click();
    await page.getByRole('status').filter({ hasText: 'cleanup-tokens: succeeded' }).waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Back up now' }).click();
    await page.getByRole('status').filter({ hasText: /^Backup vigil-.* created\.$/ }).waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: /^Verify vigil-/ }).first().click();
    await page.getByRole('status').filter({ hasText: /: verified\.$/ }).waitFor({ timeout: 15_000 });
    await page.getByRole('table', { name: /^Checks of vigil-/ }).waitFor();
    await shoot('maintenance');

    await open('Config');
    await page.getByRole('rowheader', { name: /^http\./ }).first().waitFor();
    await page.getByLabel('Filter').fill('trustProxy');
    expect(await page.getByRole('rowheader').count()).toBeGreaterThanOrEqual(1);
    await page.getByLabel('Filter').fill('');
    await shoot('config');

    // Emergency mode behind its confirmation: Cancel changes nothing, the confirmed switch does.
    await open('Security');
    await page.getByRole('button', { name: 'Turn emergency mode on…' }).click();
    await page.getByRole('dialog', { name: 'Turn emergency mode on?' }).getByRole('button', { name: 'Cancel' }).click();
    expect((await admin('/emergency')).enabled).toBe(false);
    await page.getByRole('button', { name: 'Turn emergency mode on…' }).click();
    await page.getByRole('dialog', { name: 'Turn emergency mode on?' }).getByRole('button', { name: 'Turn on' }).click();
    await page.getByRole('status').filter({ hasText: 'Emergency mode is on.' }).waitFor();
    expect((await admin('/emergency')).enabled).toBe(true);
    await page.getByRole('button', { name: 'Turn emergency mode off…' }).click();
    await page.getByRole('dialog', { name: 'Turn emergency mode off?' }).getByRole('button', { name: 'Turn off' }).click();
    await page.getByRole('status').filter({ hasText: 'Emergency mode is off.' }).waitFor();
    expect((await admin('/emergency')).enabled).toBe(false);
  });

  it('is usable with the keyboard alone', async () => {
    // The keyboard alone: the skip link comes first, then the navigation; Enter follows a link.
    await page.goto(`${server.url}/admin/config`);
    await page.getByRole('heading', { level: 1, name: 'Config' }).waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string>('document.activeElement?.textContent')).toBe('Skip to content');
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string>('document.activeElement?.textContent')).toBe('Overview');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Security' }).waitFor();
    // A confirmation dialog: Enter opens it, focus moves into it (on Cancel), Escape closes it.
    await page.getByRole('button', { name: 'Turn emergency mode on…' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Turn emergency mode on?' });
    await dialog.waitFor();
    expect(await page.evaluate<string>('document.activeElement?.textContent')).toBe('Cancel');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await page.getByText('Emergency mode is on.').count()).toBe(0);
  });

  it('signing out ends the session: a reload shows the sign-in form', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await browser.cookies(`${server.url}/api/v1/console/refresh`)).toEqual([]);
    await page.reload();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  });

  it('no page logged a console error', () => {
    expect(consoleErrors).toEqual([]);
  });
});

if (!runBrowser) {
  describe('admin console in chromium', () => {
    it.skip(SKIP_REASON, () => undefined);
  });
}
