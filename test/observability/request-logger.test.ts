import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { lazyChildLoggerFactory } from '../../src/observability/request-logger.js';

function capture(level: pino.Level) {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines };
}

describe('request.log made on first use', () => {
  it('makes no child while nothing is written at an enabled level, then writes with the bindings', () => {
    const { logger, lines } = capture('warn');
    const child = vi.spyOn(logger, 'child');
    const log = lazyChildLoggerFactory(logger, { request_id: 'r-1' }, {}) as unknown as pino.Logger;
    log.info({ a: 1 }, 'not written');
    log.debug('not written either');
    expect(child).not.toHaveBeenCalled();
    expect(log.isLevelEnabled('info')).toBe(false);
    expect(log.level).toBe('warn');

    log.warn({ b: 2 }, 'written');
    log.error('also written');
    expect(child).toHaveBeenCalledTimes(1);
    expect(lines).toMatchObject([
      { level: 40, request_id: 'r-1', b: 2, msg: 'written' },
      { level: 50, request_id: 'r-1', msg: 'also written' },
    ]);
  });

  it('children of it and a changed level behave as a pino child', () => {
    const { logger, lines } = capture('info');
    const log = lazyChildLoggerFactory(logger, { request_id: 'r-2' }, {}) as unknown as pino.Logger;
    log.child({ step: 'x' }).info('from a grandchild');
    log.level = 'error';
    log.warn('dropped at error');
    expect(log.isLevelEnabled('warn')).toBe(false);
    expect(lines).toMatchObject([{ request_id: 'r-2', step: 'x', msg: 'from a grandchild' }]);
    expect(lines).toHaveLength(1);
  });

  it('a route with its own level gets a real child at once', () => {
    const { logger, lines } = capture('warn');
    const log = lazyChildLoggerFactory(logger, { request_id: 'r-3' }, { level: 'debug' });
    log.debug('debug on this route');
    expect(lines).toMatchObject([{ request_id: 'r-3', msg: 'debug on this route' }]);
  });
});
