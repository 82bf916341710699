import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactConfig } from '../../src/config/index.js';

describe('Redis configuration', () => {
  it('is off by default, with the `vigil:` prefix', () => {
    expect(loadConfig({}).redis).toEqual({ url: undefined, keyPrefix: 'vigil:' });
  });

  it('takes redis:// and rediss:// URLs and a prefix', () => {
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379/2', REDIS_KEY_PREFIX: 'prod:' }).redis).toEqual({ url: 'redis://127.0.0.1:6379/2', keyPrefix: 'prod:' });
    expect(loadConfig({ REDIS_URL: 'rediss://:pw@cache.example.com:6380' }).redis.url).toBe('rediss://:pw@cache.example.com:6380');
  });

  it('refuses anything else, without echoing the value (it may hold a password)', () => {
    for (const bad of ['127.0.0.1:6379', 'http://cache:6379', 'redis://', 'postgres://u:hunter2@h/db']) {
      let error: unknown;
      try {
        loadConfig({ REDIS_URL: bad });
      } catch (e) {
        error = e;
      }
      expect(error, bad).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues.map((i) => i.env)).toEqual(['REDIS_URL']);
      expect((error as ConfigError).message).not.toContain('hunter2');
    }
  });

  it('redacts the password in the effective configuration', () => {
    const shown = JSON.stringify(redactConfig(loadConfig({ REDIS_URL: 'redis://default:topsecret@cache:6379' })));
    expect(shown).not.toContain('topsecret');
    expect(shown).toContain('redis://default:******@cache:6379');
    expect((redactConfig(loadConfig({})) as { redis: { url: unknown } }).redis.url).toBeNull();
  });
});
