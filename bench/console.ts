/**
 * Admin console benchmark (npm run bench:console): one run, two figures.
 * 1. Bundle size: every JS and CSS file of dist/web (as `npm run build` makes it, built here first),
 *    raw, gzip (zlib's default level, as a server compresses) and the brotli file Vigil serves, in
 *    all and without uPlot's chunk.
 * 2. First load on localhost, cold cache (a new chromium with a fresh profile per run), median of
 *    BENCH_RUNS (default 5): navigation start → load event, and → first meaningful content, for
 *    the sign-in page (its form) and for a signed-in operator's Overview (the session resumed from
 *    its cookie, health and SLO tables filled and the four charts drawn).
 * The server is a real Vigil process on a temporary SQLite file. Writes bench/results/console.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { createServices } from '../src/services.js';
import { loadConfig } from '../src/config/index.js';
import { buildConsole, launchChromium } from '../test/e2e/browser.js';
import { startVigilProcess } from '../test/support/vigil-process.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const ADMIN = { email: 'bench@example.com', password: 'correct-Horse-battery-staple-42' };
const DIST = join(process.cwd(), 'dist/web/assets');

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round = (x: number) => Math.round(x * 10) / 10;

function bundle() {
  const files = readdirSync(DIST)
    .filter((f) => /\.(js|css)$/.test(f))
    .map((f) => {
      const raw = readFileSync(join(DIST, f));
      // What Vigil sends a browser accepting brotli: the build's own .br beside the file.
      return { file: f, bytes: raw.length, gzip_bytes: gzipSync(raw).length, served_br_bytes: statSync(join(DIST, `${f}.br`)).size };
    });
  const sum = (list: typeof files) => ({
    bytes: list.reduce((a, f) => a + f.bytes, 0),
    gzip_bytes: list.reduce((a, f) => a + f.gzip_bytes, 0),
    served_br_bytes: list.reduce((a, f) => a + f.served_br_bytes, 0),
  });
  return { files, total: sum(files), without_uplot: sum(files.filter((f) => !f.file.startsWith('uplot-'))), uplot: sum(files.filter((f) => f.file.startsWith('uplot-'))) };
}

/** Navigation timing of the page so far: ms from navigation start to the load event's end. */
const loadEventMs = (page: Page) => page.evaluate<number>(`performance.getEntriesByType('navigation')[0].loadEventEnd`);

async function firstLoad(url: string, signedIn: boolean) {
  const browser = await launchChromium();
  try {
    if (signedIn) {
      // The session as a returning operator has it: the cookie (set by a sign-in through the
      // context's own request client, so the browser keeps it) and the hint that one exists.
      const res = await browser.request.post(`${url}/api/v1/console/session`, { data: ADMIN, headers: { 'x-vigil-console': '1' } });
      if (!res.ok()) throw new Error(`sign-in failed: ${res.status()} ${await res.text()}`);
      await browser.addInitScript(`localStorage.setItem('vigil-console-signed-in', '1')`);
    }
    // Checked in the page on every animation frame from the start of the document, so the time
    // is when the content was first there (performance.now() counts from the navigation's start).
    const ready = signedIn
      ? `document.querySelectorAll('.chart canvas').length === 4 && document.querySelectorAll('table tbody tr').length >= 3`
      : `document.querySelector('form button[type=submit]') !== null`;
    await browser.addInitScript(`(() => { const check = () => { if (${ready}) window.__ready = performance.now(); else requestAnimationFrame(check); }; requestAnimationFrame(check); })()`);
    const page = await browser.newPage();
    await page.goto(`${url}/admin`, { waitUntil: 'load' });
    const meaningful = Number(await (await page.waitForFunction(() => (globalThis as { __ready?: number }).__ready, undefined, { timeout: 30_000 })).jsonValue());
    return { load_event_ms: await loadEventMs(page), meaningful_ms: meaningful };
  } finally {
    await browser.close();
  }
}

buildConsole();
const sizes = bundle();

const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-console-'));
const env = {
  DATABASE_URL: `sqlite:${join(dir, 'vigil.db')}`,
  SIGNING_KEY_ENCRYPTION_KEY: 'bench-key-encryption-key-0123456789abcdef',
  PASSWORD_HASH_MEMORY_KIB: '1024',
  PASSWORD_HASH_ITERATIONS: '1',
  API_PORT: '0',
  LOG_LEVEL: 'info',
  IP_ALLOWLIST: '127.0.0.1',
};
const services = await createServices(loadConfig({ ...env, LOG_LEVEL: 'silent' }), { migrate: true });
await services.auth.createUser({ ...ADMIN, role: 'admin' }, {});
await services.close();
const server = await startVigilProcess(env, dir);

const runs: Record<'sign_in' | 'overview', { load_event_ms: number; meaningful_ms: number }[]> = { sign_in: [], overview: [] };
try {
  // One warm-up of each, not counted: the server's own first requests (JIT, key loading).
  await firstLoad(server.url, false);
  await firstLoad(server.url, true);
  for (let i = 0; i < RUNS; i++) {
    runs.sign_in.push(await firstLoad(server.url, false));
    runs.overview.push(await firstLoad(server.url, true));
  }
} finally {
  server.child.kill('SIGTERM');
  await server.exited;
}

const summary = (list: { load_event_ms: number; meaningful_ms: number }[]) => ({
  load_event_ms: round(median(list.map((r) => r.load_event_ms))),
  meaningful_ms: round(median(list.map((r) => r.meaningful_ms))),
  runs: list.map((r) => ({ load_event_ms: round(r.load_event_ms), meaningful_ms: round(r.meaningful_ms) })),
});
const chromium = execFileSync('/usr/bin/chromium', ['--version']).toString().trim().split('\n').pop();
const result = {
  at: new Date().toISOString(),
  chromium,
  runs: RUNS,
  bundle: sizes,
  first_load: { sign_in: summary(runs.sign_in), overview: summary(runs.overview) },
};
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/console.json', `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify({ ...result, bundle: { total: sizes.total, without_uplot: sizes.without_uplot, uplot: sizes.uplot } }, null, 2));
