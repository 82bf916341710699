import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isProbe, probesFirst } from '../../src/http/probes-first.js';
import { makeTestApp, type TestApp } from '../support/services.js';

describe('isProbe', () => {
  it('names the liveness and readiness paths, with or without a query, and nothing else', () => {
    for (const url of ['/health', '/health?verbose=1', '/health/ready', '/health/ready?x']) expect(isProbe(url)).toBe(true);
    for (const url of [undefined, '', '/', '/health/detailed', '/healthz', '/health/', '/api/v1/auth/me', '/HEALTH']) expect(isProbe(url)).toBe(false);
  });
});

describe('health probes answered ahead of queued requests (real socket)', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await makeTestApp();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.app.server.address() as { port: number }).port;
  });
  afterAll(() => t.close());

  const open = (): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(socket));
      socket.on('error', reject);
    });
  const answered = (socket: Socket): Promise<string> =>
    new Promise((resolve) => {
      let data = '';
      socket.on('data', (d) => {
        data += d.toString('utf8');
        if (/\r\n\r\n[\s\S]*\}$/.test(data)) resolve(data);
      });
    });

  it('a /health sent last, with other requests in the same poll, is handled first', async () => {
    const finished: string[] = [];
    const record = (req: { url?: string }, res: { on(e: 'finish', f: () => void): void }) => res.on('finish', () => finished.push(req.url ?? ''));
    t.app.server.prependListener('request', record);
    try {
      let accepted = 0;
      const onConnection = () => accepted++;
      t.app.server.on('connection', onConnection);
      const sockets = await Promise.all(Array.from({ length: 6 }, open));
      // The server reads a connection from the poll after it accepted it: all six accepted first.
      while (accepted < 6) await new Promise((r) => setImmediate(r));
      t.app.server.removeListener('connection', onConnection);
      const urls = ['/api/v1/auth/security-info', '/api/v1/auth/security-info', '/openapi.json', '/api/v1/auth/security-info', '/api/v1/auth/me', '/health'];
      const responses = sockets.map(answered);
      // One synchronous turn: every request is in the kernel before the server reads any of them.
      sockets.forEach((s, i) => s.write(`GET ${urls[i]} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`));
      const texts = await Promise.all(responses);
      expect(texts.map((r) => r.slice(0, 12))).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 401', 'HTTP/1.1 200']);
      expect(finished).toHaveLength(6);
      expect(finished[0]).toBe('/health');
      expect(finished.slice(1).sort()).toEqual(urls.slice(0, 5).sort());
      for (const s of sockets) s.destroy();
    } finally {
      t.app.server.removeListener('request', record);
    }
  });
});

describe('probesFirst', () => {
  const turn = () => new Promise((r) => setImmediate(r));
  const request = (url: string) => ({ url }) as IncomingMessage;
  const response = {} as ServerResponse;

  it('handles a probe at once and the rest in order, at most perTurn per event-loop turn', async () => {
    const handled: string[] = [];
    const handle = probesFirst((req) => handled.push(req.url!), 2);
    for (const url of ['/a', '/b', '/c', '/d', '/e']) handle(request(url), response);
    handle(request('/health'), response);
    expect(handled).toEqual(['/health']);
    await turn();
    expect(handled).toEqual(['/health', '/a', '/b']);
    handle(request('/health/ready'), response);
    handle(request('/f'), response);
    expect(handled).toEqual(['/health', '/a', '/b', '/health/ready']);
    await turn();
    expect(handled).toEqual(['/health', '/a', '/b', '/health/ready', '/c', '/d']);
    await turn();
    await turn();
    expect(handled).toEqual(['/health', '/a', '/b', '/health/ready', '/c', '/d', '/e', '/f']);
    handle(request('/g'), response);
    await turn();
    expect(handled.at(-1)).toBe('/g');
  });
});
