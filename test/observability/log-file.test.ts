import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/index.js';
import { createLogOutput, componentLogger } from '../../src/observability/logger.js';
import { testConfig } from '../support/config.js';
import { logCapture } from '../support/services.js';
import { TSX } from '../support/vigil-process.js';
import { eventually } from '../support/wait.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'vigil-logs-'));
  dirs.push(d);
  return d;
};

const numbered = (dir: string) =>
  readdirSync(dir)
    .filter((f) => /^vigil\.\d+\.log$/.test(f))
    .sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));

describe('LOG_FILE with size rotation', () => {
  it('parses LOG_MAX_SIZE as 100MB by default and accepts 10k, 1g; LOG_BACKUP_COUNT 5 by default; refuses bad values', () => {
    const defaults = testConfig({ LOG_FILE: '/tmp/x/vigil.log' }).log.file;
    expect(defaults).toEqual({ path: '/tmp/x/vigil.log', maxSizeBytes: 100 * 1024 * 1024, backupCount: 5 });
    expect(testConfig({ LOG_FILE: 'a.log', LOG_MAX_SIZE: '10k' }).log.file?.maxSizeBytes).toBe(10 * 1024);
    expect(testConfig({ LOG_FILE: 'a.log', LOG_MAX_SIZE: '1g' }).log.file?.maxSizeBytes).toBe(1024 ** 3);
    expect(testConfig({}).log.file).toBeUndefined();
    expect(() => testConfig({ LOG_MAX_SIZE: 'big' })).toThrow(ConfigError);
    expect(() => testConfig({ LOG_BACKUP_COUNT: '-1' })).toThrow(ConfigError);
  });

  it('writes past the size: exactly LOG_BACKUP_COUNT rotated files plus the current one, each rotated at the limit; stdout has every line; secrets redacted in both', async () => {
    const dir = tempDir();
    const maxSize = 10 * 1024;
    const config = testConfig({ LOG_LEVEL: 'info', LOG_FILE: join(dir, 'vigil.log'), LOG_MAX_SIZE: '10k', LOG_BACKUP_COUNT: '2' });
    const stdout = logCapture();
    const output = createLogOutput(config, stdout.stream);
    const log = componentLogger(output.logger, config, 'auth');
    const line = { user_id: 'u-1', ip: '203.0.113.7', password: 'hunter2-secret', token: 'eyJ.secret.token', pad: 'x'.repeat(150) };
    // ~100 KB in bursts, each handed to the file's worker as one write (lines are batched for
    // 25 ms): the rotation happens between writes, as it does with real traffic.
    let written = 0;
    for (let burst = 0; burst < 25; burst++) {
      for (let i = 0; i < 15; i++) log.info({ ...line, n: written++ }, 'login');
      await new Promise((r) => setTimeout(r, 40));
    }
    await output.close();

    // The last rotation's clean-up runs just after it.
    await eventually(() => expect(numbered(dir)).toHaveLength(3), 2000);
    const files = numbered(dir);
    expect(readdirSync(dir).sort()).toEqual([...files].sort());
    const [first, second, current] = files.map((f) => join(dir, f));
    for (const rotated of [first!, second!]) {
      // Rotated once the size is reached, after the write that reached it (one burst at most).
      expect(statSync(rotated).size).toBeGreaterThanOrEqual(maxSize);
      expect(statSync(rotated).size).toBeLessThan(maxSize + 15 * 400);
    }
    expect(statSync(current!).size).toBeLessThan(maxSize + 15 * 400);
    // Numbering is continuous: the oldest ones were deleted, the newest kept.
    const numbers = files.map((f) => Number(f.split('.')[1]));
    expect(numbers).toEqual([numbers[0], numbers[0]! + 1, numbers[0]! + 2]);
    expect(numbers[0]).toBeGreaterThan(3);

    const fileText = files.map((f) => readFileSync(join(dir, f), 'utf8')).join('');
    const records = fileText.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.at(-1)).toMatchObject({ level: 'info', logger: 'auth', msg: 'login', user_id: 'u-1', ip: '203.0.113.7', n: written - 1, password: '[REDACTED]', token: '[REDACTED]' });
    expect(records.at(-1)!.time).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(fileText).not.toContain('hunter2');
    expect(fileText).not.toContain('eyJ.secret.token');

    expect(stdout.lines).toHaveLength(written);
    expect(stdout.text()).not.toContain('hunter2');
  });

  it('a restart continues in the newest file and still keeps only LOG_BACKUP_COUNT old ones', async () => {
    const dir = tempDir();
    const config = testConfig({ LOG_LEVEL: 'info', LOG_FILE: join(dir, 'vigil.log'), LOG_MAX_SIZE: '4k', LOG_BACKUP_COUNT: '1' });
    for (let run = 0; run < 2; run++) {
      const output = createLogOutput(config, logCapture().stream);
      for (let burst = 0; burst < 10; burst++) {
        for (let i = 0; i < 5; i++) output.logger.info({ run, pad: 'y'.repeat(200) }, 'line');
        await new Promise((r) => setTimeout(r, 40));
      }
      await output.close();
      await eventually(() => expect(numbered(dir)).toHaveLength(2), 2000);
    }
    const text = numbered(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('');
    expect(text).toContain('"run":1');
  });

  it('process.exit() right after logging: every line is on stdout and in the file (none left in the batch)', () => {
    const lines = 3000;
    const expected = Array.from({ length: lines }, (_, n) => n);
    const numbersOf = (text: string) => text.trim().split('\n').map((l) => (JSON.parse(l) as { n: number }).n);
    const run = (env: Record<string, string>) => {
      const child = spawnSync(process.execPath, ['--import', TSX, join(process.cwd(), 'test/support/log-exit-child.ts')], {
        env: { PATH: process.env.PATH, LINES: String(lines), ...env },
        encoding: 'utf8',
        timeout: 30_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      expect(child.stderr).toBe('');
      expect(child.status).toBe(0);
      return child.stdout;
    };

    expect(numbersOf(run({}))).toEqual(expected);

    const dir = tempDir();
    expect(numbersOf(run({ CHILD_LOG_FILE: join(dir, 'vigil.log') }))).toEqual(expected);
    expect(numbersOf(numbered(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join(''))).toEqual(expected);
  });

  it('exceptions are logged with their type and stack', async () => {
    const dir = tempDir();
    const config = testConfig({ LOG_LEVEL: 'info', LOG_FILE: join(dir, 'vigil.log') });
    const stdout = logCapture();
    const output = createLogOutput(config, stdout.stream);
    output.logger.error({ err: new TypeError('bad thing') }, 'unhandled error');
    await output.close();
    const record = JSON.parse(readFileSync(join(dir, numbered(dir)[0]!), 'utf8').trim()) as { err: { type: string; message: string; stack: string } };
    expect(record.err.type).toBe('TypeError');
    expect(record.err.message).toBe('bad thing');
    expect(record.err.stack).toContain('log-file.test.ts');
    expect(stdout.records()[0]).toMatchObject({ msg: 'unhandled error', err: { type: 'TypeError' } });
  });
});
