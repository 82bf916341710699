import { describe, expect, it } from 'vitest';
import { ConfigError, failures, loadConfig, productionReadiness } from '../../src/config/index.js';
import { corsOrigins, InvalidValue, trustedHosts } from '../../src/config/parsers.js';

const STRONG = 'f3a9c1e07b5d4e2a8c6b0d9e1f2a3b4c5d6e7f80';
const PROD = { ENVIRONMENT: 'production', DATABASE_URL: 'postgres://vigil:pw@db/vigil', DATABASE_SSL: 'true', SIGNING_KEY_ENCRYPTION_KEY: STRONG, DATABASE_AUTO_MIGRATE: 'false' };

function issueOf(env: Record<string, string>) {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  return [];
}

describe('API_CORS_ORIGINS', () => {
  it('defaults to no CORS', () => {
    expect(loadConfig({}).http.corsOrigins).toEqual([]);
    expect(loadConfig({ API_CORS_ORIGINS: '' }).http.corsOrigins).toEqual([]);
    expect(loadConfig({ API_CORS_ORIGINS: ' , ' }).http.corsOrigins).toEqual([]);
  });

  it('takes exact origins, normalised as browsers send them in Origin', () => {
    expect(corsOrigins.parse('https://app.example.com, https://www.example.com')).toEqual(['https://app.example.com', 'https://www.example.com']);
    expect(corsOrigins.parse('HTTPS://App.Example.COM')).toEqual(['https://app.example.com']);
    expect(corsOrigins.parse('https://app.example.com:443,http://localhost:80')).toEqual(['https://app.example.com', 'http://localhost']);
    expect(corsOrigins.parse('http://localhost:3000,http://127.0.0.1:5173,http://[::1]:8080')).toEqual(['http://localhost:3000', 'http://127.0.0.1:5173', 'http://[::1]:8080']);
    expect(corsOrigins.parse('https://app.example.com,https://app.example.com:443')).toEqual(['https://app.example.com']);
    expect(corsOrigins.parse('capacitor://localhost')).toEqual(['capacitor://localhost']);
    expect(corsOrigins.parse('*')).toBe('*');
    expect(corsOrigins.parse(' * ')).toBe('*');
  });

  it('refuses paths, trailing slashes, wildcards in lists, credentials, queries and junk with what it expects', () => {
    for (const bad of [
      'https://app.example.com/', 'https://app.example.com/app', 'app.example.com', '//app.example.com', 'https://*.example.com',
      '*,https://app.example.com', 'https://user@app.example.com', 'https://app.example.com?x=1', 'https://app.example.com#x',
      'https://app.example.com:0', 'https://app.example.com:70000', 'https://', 'https://exa mple.com', 'null', 'https://[::g]',
    ]) {
      expect(() => corsOrigins.parse(bad), bad).toThrow(InvalidValue);
    }
    const issues = issueOf({ API_CORS_ORIGINS: 'https://app.example.com/' });
    expect(issues).toEqual([{ env: 'API_CORS_ORIGINS', value: '"https://app.example.com/"', expected: expect.stringMatching(/scheme:\/\/host\[:port\] without a path/) }]);
  });
});

describe('API_TRUSTED_HOSTS', () => {
  it('defaults to any host', () => {
    expect(loadConfig({}).http.trustedHosts).toEqual([]);
  });

  it('takes names, IPs and *.domain wildcards, lower-cased, ports and a trailing dot dropped', () => {
    expect(loadConfig({ API_TRUSTED_HOSTS: 'api.example.com,*.example.com' }).http.trustedHosts).toEqual(['api.example.com', '*.example.com']);
    expect(trustedHosts.parse(' API.Example.com:8443 , *.Example.ORG. , localhost, 10.0.0.5:8000, ::1, [2001:db8::1]:443 ')).toEqual(
      ['api.example.com', '*.example.org', 'localhost', '10.0.0.5', '[::1]', '[2001:db8::1]'],
    );
    expect(trustedHosts.parse('a.example.com,A.EXAMPLE.COM:80')).toEqual(['a.example.com']);
  });

  it('refuses URLs, paths, bare or inner wildcards and junk with what it expects', () => {
    for (const bad of ['*', 'https://api.example.com', 'api.example.com/x', '*example.com', 'api.*.example.com', '*.*.example.com', '-bad.example.com', 'exa mple.com', 'api.example.com:port', '[::g]', '[::1', 'a..b']) {
      expect(() => trustedHosts.parse(bad), bad).toThrow(InvalidValue);
    }
    const issues = issueOf({ API_TRUSTED_HOSTS: 'https://api.example.com' });
    expect(issues).toEqual([{ env: 'API_TRUSTED_HOSTS', value: '"https://api.example.com"', expected: expect.stringMatching(/\*\.domain for any subdomain/) }]);
  });
});

describe('production check of API_CORS_ORIGINS', () => {
  const item = (env: Record<string, string>) => productionReadiness(loadConfig({ ...PROD, ...env })).find((i) => i.id === 'cors_origins');

  it('fails on *, with a fix; exact origins or none pass', () => {
    expect(failures(productionReadiness(loadConfig({ ...PROD, API_CORS_ORIGINS: '*' }))).map((i) => i.id)).toEqual(['cors_origins']);
    expect(item({ API_CORS_ORIGINS: '*' })).toMatchObject({ status: 'fail', fix: expect.stringContaining('API_CORS_ORIGINS=https://') });
    expect(item({})).toMatchObject({ status: 'pass', message: 'CORS is off' });
    expect(item({ API_CORS_ORIGINS: 'https://app.example.com,https://www.example.com' })).toMatchObject({ status: 'pass', message: 'CORS allows 2 listed origins' });
    expect(failures(productionReadiness(loadConfig({ ...PROD, API_CORS_ORIGINS: 'https://app.example.com' })))).toEqual([]);
  });

  it('warns on a plain-http origin', () => {
    expect(item({ API_CORS_ORIGINS: 'https://app.example.com,http://legacy.example.com' })).toMatchObject({ status: 'warn', fix: expect.any(String) });
  });

  it('* is accepted outside production (the check is what refuses it)', () => {
    expect(loadConfig({ API_CORS_ORIGINS: '*' }).http.corsOrigins).toBe('*');
  });
});
