/**
 * Baseline for the login benchmark: raw argon2id `verify` from @node-rs/argon2 (what Vigil's
 * hasher calls), with Vigil's parameters and the login load's concurrency, in its own process.
 * Keeps `concurrency` verifies in flight for `durationS` seconds (after a warm-up) and reports
 * completed verifies per second and per-verify latency percentiles to the parent over IPC.
 */
import { readFileSync } from 'node:fs';
import { hash, verify, type Algorithm } from '@node-rs/argon2';

interface Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
  concurrency: number;
  durationS: number;
  warmupS: number;
}

const params = JSON.parse(process.argv[2] ?? '{}') as Params;
const ARGON2ID = 2 as Algorithm;
const PASSWORD = 'correct-Horse-battery-staple-42';

const stored = await hash(PASSWORD, { algorithm: ARGON2ID, memoryCost: params.memoryCost, timeCost: params.timeCost, parallelism: params.parallelism });

/** Runs `concurrency` loops of back-to-back verifies until `seconds` have passed. */
async function saturate(seconds: number): Promise<{ count: number; elapsedS: number; latenciesMs: number[] }> {
  const latenciesMs: number[] = [];
  const start = performance.now();
  const end = start + seconds * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      const ok = await verify(stored, PASSWORD);
      if (!ok) throw new Error('argon2 verify returned false for the right password');
      latenciesMs.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: params.concurrency }, loop));
  return { count: latenciesMs.length, elapsedS: (performance.now() - start) / 1000, latenciesMs };
}

/** Seconds the whole machine has been busy (Linux /proc/stat), to tell how much other work ran meanwhile. */
function machineBusySeconds(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  return ((f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0)) / 100;
}

if (params.warmupS > 0) await saturate(params.warmupS);
const cpuBefore = process.cpuUsage();
const machineBefore = machineBusySeconds();
const run = await saturate(params.durationS);
const cpu = process.cpuUsage(cpuBefore);
const cpuS = (cpu.user + cpu.system) / 1e6;

process.send?.({
  type: 'result',
  count: run.count,
  elapsedS: run.elapsedS,
  latenciesMs: run.latenciesMs,
  cpuS,
  otherCpuCores: Math.max(0, machineBusySeconds() - machineBefore - cpuS) / run.elapsedS,
});
process.disconnect?.();
