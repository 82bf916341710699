import { spawnSync } from 'node:child_process';
import { SERVICES_REQUIRED } from './postgres.js';

/** Whether an executable is on the PATH. */
export function onPath(tool: string): boolean {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', tool], { stdio: 'ignore' }).status === 0;
}

/**
 * Whether the suites that need `promtool` (Debian package `prometheus`) run: when it is installed,
 * and always under VIGIL_TEST_REQUIRE_SERVICES=1 (.ci/run installs it), so a missing tool fails
 * them in CI instead of skipping them.
 */
export const runPromtool = SERVICES_REQUIRED || onPath('promtool');

/**
 * Whether the suites that need `amtool` (Debian package `prometheus-alertmanager`) run: when it is
 * installed, and always under VIGIL_TEST_REQUIRE_SERVICES=1 (.ci/run installs it).
 */
export const runAmtool = SERVICES_REQUIRED || onPath('amtool');
