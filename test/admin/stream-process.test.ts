import { afterEach, describe, expect, it } from 'vitest';
import { startVigilProcess, type VigilProcess } from '../support/vigil-process.js';
import { openStream } from './stream-client.js';

const ADMIN_KEY = 'admin-key-for-stream-process-tests-0123456789';
let server: VigilProcess | undefined;
afterEach(() => {
  server?.child.kill('SIGKILL');
  server = undefined;
});

describe('admin live stream in the real process', () => {
  it('SIGTERM closes console connections with 1001 and the process still drains and exits 0', async () => {
    server = await startVigilProcess({ API_PORT: '0', LOG_LEVEL: 'info', ADMIN_API_KEY: ADMIN_KEY, SIGNING_KEY_ENCRYPTION_KEY: 'test-key-encryption-key-0123456789abcdef' });
    const c = await openStream(server.url.replace(/^http/, 'ws'));
    c.auth({ api_key: ADMIN_KEY });
    await c.next((f) => f.type === 'ready');
    // A failed login on the running server reaches the console.
    await fetch(`${server.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'nobody@example.com', password: 'wrong-password-123' }) });
    await c.next((f) => f.kind === 'security_event' && f.data?.type === 'LOGIN_FAILED');
    const started = Date.now();
    server.child.kill('SIGTERM');
    expect((await c.closed).code).toBe(1001);
    expect(await server.exited, server.output().slice(-3000)).toBe(0);
    expect(server.output()).toContain('shutdown complete');
    expect(Date.now() - started).toBeLessThan(8000);
  }, 30_000);
});
