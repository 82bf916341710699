import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { SERVICES_REQUIRED } from '../support/postgres.js';

/** Debian's chromium (package `chromium`; .ci/run installs it). */
export const CHROMIUM = '/usr/bin/chromium';

/** Whether the browser suites run: chromium is there, or CI requires them (then a missing one fails). */
export const runBrowser = SERVICES_REQUIRED || existsSync(CHROMIUM);
export const SKIP_REASON = `skipped: ${CHROMIUM} is not installed (apt-get install chromium; .ci/run installs it and requires these suites)`;

/**
 * The flags DESIGN.md lists for headless Chromium on this machine: the network is closed, and
 * without them it keeps trying to reach the internet (updates, sync, QUIC probes).
 */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Headless chromium with a fresh profile (--user-data-dir, through playwright's persistent context). */
export function launchChromium(viewport = { width: 1280, height: 800 }): Promise<BrowserContext> {
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'vigil-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport,
  });
}

/** Builds the console into dist/web (what `npm run build` does for it), so /admin serves the current sources. */
export function buildConsole(): void {
  execFileSync(process.execPath, [join(process.cwd(), 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts'], { stdio: 'pipe', timeout: 120_000 });
}
