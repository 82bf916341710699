import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVICES_REQUIRED } from './postgres.js';
import { onPath } from './tools.js';
import { sleep } from './wait.js';

/** deploy/nginx: vigil.conf and snippets/vigil-proxy.conf. */
export const NGINX_DIR = fileURLToPath(new URL('../../deploy/nginx/', import.meta.url));

/** The nginx binary (Debian installs it in /usr/sbin, not always on a user's PATH). */
export const NGINX = onPath('nginx') ? 'nginx' : existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';

/**
 * Whether the suites that need nginx (Debian package `nginx`) run: when it is installed, and always
 * under VIGIL_TEST_REQUIRE_SERVICES=1 (.ci/run installs it), so a missing nginx fails them in CI.
 */
export const runNginx = SERVICES_REQUIRED || NGINX !== 'nginx' || onPath('nginx');

/**
 * A directory nginx can run in without root paths: the deploy files copied in, temp paths and the
 * pid file inside it, `nginx.conf` wrapping `httpConf` (the content of the http block).
 */
export function nginxPrefix(httpConf: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-nginx-'));
  cpSync(join(NGINX_DIR, 'snippets'), join(dir, 'snippets'), { recursive: true });
  for (const t of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, 'tmp', t), { recursive: true });
  const main = [
    `pid ${dir}/nginx.pid;`,
    'error_log stderr warn;',
    // One process as the current user: no privilege drop, no root-owned paths.
    'daemon off;',
    'master_process off;',
    'events { worker_connections 4096; }',
    'http {',
    '  access_log off;',
    ...['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t === 'body' ? 'client_body' : t}_temp_path ${dir}/tmp/${t};`),
    httpConf,
    '}',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'nginx.conf'), main);
  return dir;
}

/** `nginx -t` on the prefix's nginx.conf: exit status and what nginx printed. */
export function nginxTest(dir: string): { status: number | null; output: string } {
  const r = spawnSync(NGINX, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf'), '-e', 'stderr'], { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** A throwaway self-signed certificate (EC P-256, one day) for `localhost`. */
export function selfSignedCert(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', key, '-out', cert], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  return { cert, key };
}

/** A block of deploy/nginx/vigil.conf that starts with `head` (`upstream vigil`, `map …`), braces included. */
export function confBlock(conf: string, head: string): string {
  const from = conf.indexOf(head);
  if (from < 0) throw new Error(`vigil.conf has no '${head}' block`);
  const to = conf.indexOf('\n}', from);
  return conf.slice(from, to + 2);
}

/**
 * The configuration the scale-out test and benchmark run: deploy/nginx/vigil.conf's upstream
 * (its servers replaced by `ports`) and map, and a plain-http server on `port` that includes the
 * real snippets/vigil-proxy.conf. `set_real_ip_from 127.0.0.1` + `real_ip_header X-Forwarded-For`
 * let a test on loopback play clients at any address: nginx takes the X-Forwarded-For the test
 * sends as the client address, as it takes the socket address of a real client.
 */
export function scaleOutConf(ports: number[], port: number): string {
  const conf = readFileSync(join(NGINX_DIR, 'vigil.conf'), 'utf8');
  const upstream = confBlock(conf, 'upstream vigil {');
  const servers = upstream.split('\n').filter((l) => /^\s*server\s/.test(l));
  if (servers.length === 0) throw new Error('vigil.conf: upstream vigil has no server line');
  const params = servers[0]!.trim().replace(/^server\s+\S+/, '').replace(/;$/, '');
  const ours = ports.map((p) => `    server 127.0.0.1:${p}${params};`).join('\n');
  const rewritten = upstream.replace(servers.join('\n'), ours);
  return [
    rewritten,
    confBlock(conf, 'map $http_upgrade $vigil_connection_upgrade {'),
    'server {',
    `  listen 127.0.0.1:${port};`,
    '  set_real_ip_from 127.0.0.1;',
    '  real_ip_header X-Forwarded-For;',
    '  include snippets/vigil-proxy.conf;',
    '}',
  ].join('\n');
}

export interface Nginx {
  url: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Runs nginx in `dir` (from nginxPrefix) and resolves once `port` accepts connections. */
export async function startNginx(dir: string, port: number): Promise<Nginx> {
  const child = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', 'stderr'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGQUIT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`nginx exited ${child.exitCode}: ${out}`);
    const open = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (open) return { url: `http://127.0.0.1:${port}`, child, output: () => out, stop };
    await sleep(50);
  }
  await stop();
  throw new Error(`nginx did not listen on ${port}: ${out}`);
}
