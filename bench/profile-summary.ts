/**
 * `npx tsx bench/profile-summary.ts FILE.cpuprofile [TOP] [--last S] [--requests N]`: where a V8
 * CPU profile (from `BENCH_CPU_PROF=dir npm run bench`, or `node --cpu-prof`) spent the main
 * thread's time: self time by package, self time by function, and inclusive time by function, as
 * a share of all samples. Work done on libuv's thread pool (argon2, WebCrypto jobs) is not in the
 * profile.
 *   --last S       only the samples of the profile's last S seconds (a load that ran until the
 *                  process stopped, without its start-up and warm-up)
 *   --requests N   the requests answered in that time: figures become µs per request, idle left out
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
}

const { positionals, values: opts } = parseArgs({ allowPositionals: true, options: { last: { type: 'string' }, requests: { type: 'string' } } });
const [file, topArg] = positionals;
const lastS = opts.last === undefined ? undefined : Number(opts.last);
const requests = opts.requests === undefined ? undefined : Number(opts.requests);
if (!file || (lastS !== undefined && !(lastS > 0)) || (requests !== undefined && !(requests > 0))) {
  process.stderr.write('usage: npx tsx bench/profile-summary.ts FILE.cpuprofile [TOP] [--last SECONDS] [--requests N]\n');
  process.exit(2);
}
const top = Number(topArg ?? 30);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Time per sampled node (µs): each sample stands for the time until the next one.
const stamps: number[] = [];
profile.samples.reduce((t, _, i) => (stamps[i] = t + (profile.timeDeltas[i] ?? 0)), profile.startTime);
const from = lastS === undefined ? -Infinity : stamps[stamps.length - 1]! - lastS * 1e6;
const timeOf = new Map<number, number>();
profile.samples.forEach((id, i) => {
  if (stamps[i]! < from || (requests !== undefined && nodes.get(id)!.callFrame.functionName === '(idle)')) return;
  timeOf.set(id, (timeOf.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
});
const total = [...timeOf.values()].reduce((a, b) => a + b, 0);

const shortUrl = (url: string) =>
  url.includes('/node_modules/') ? url.replace(/.*node_modules\//, '') : url.replace(/.*\/dist\//, 'dist/').replace(/^file:\/\//, '');
const fnKey = (cf: CallFrame) => `${cf.functionName || '(anonymous)'}  ${shortUrl(cf.url)}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
const packageKey = (cf: CallFrame) => {
  const m = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(cf.url);
  if (m) return m[1]!;
  if (cf.url.includes('/dist/')) return 'vigil (dist/)';
  if (cf.url.startsWith('node:')) return cf.url.replace(/^node:(internal\/)?/, 'node:').split('/')[0]!;
  return cf.url || `(${cf.functionName})`;
};

const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
const selfByFn = new Map<string, number>();
const selfByPackage = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, t] of timeOf) {
  const cf = nodes.get(id)!.callFrame;
  add(selfByFn, fnKey(cf), t);
  add(selfByPackage, packageKey(cf), t);
  // Each function once per sample, however deep its recursion.
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const k = fnKey(nodes.get(cur)!.callFrame);
    if (!seen.has(k)) add(inclusive, k, t);
    seen.add(k);
  }
}

const print = (title: string, m: Map<string, number>, n: number) => {
  process.stdout.write(`\n${title}\n`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) {
    process.stdout.write(requests === undefined ? `${((100 * v) / total).toFixed(1).padStart(6)}%  ${k}\n` : `${(v / requests).toFixed(2).padStart(7)} µs  ${k}\n`);
  }
};
const window = lastS === undefined ? '' : ` in the last ${lastS} s`;
process.stdout.write(
  requests === undefined
    ? `${file}: ${(total / 1e6).toFixed(1)} s of main-thread samples${window}\n`
    : `${file}: ${(total / requests).toFixed(1)} µs of busy main thread per request${window} (${requests} requests)\n`,
);
print('self time by package', selfByPackage, 20);
print('self time by function', selfByFn, top);
print('inclusive time by function', inclusive, top);
