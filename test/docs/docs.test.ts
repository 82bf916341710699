import { readdirSync, readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VARS } from '../../src/config/index.js';
import type { VarSpec } from '../../src/config/schema.js';
import { ERROR_CODES, type ErrorCode } from '../../src/errors/codes.js';
import { DEFAULT_SEVERITY, SECURITY_EVENT_TYPES, type SecurityEventType } from '../../src/security-monitoring/events.js';
import { createLogSecurityEvents } from '../../src/security-monitoring/log-sink.js';
import { PROTECTED_ENV, STRONG_PASSWORD } from '../support/config.js';
import { SAMPLE_EVENT_DETAILS } from '../support/events.js';
import { appRoutes } from '../support/routes.js';
import { logCapture, makeTestApp, type TestApp } from '../support/services.js';
import { CONFIG_TABLE_END, CONFIG_TABLE_START, between } from './config-table.js';

/**
 * The user documentation, checked against the code: README (configuration table, API table,
 * examples), docs/errors.md, docs/security-events.md, docs/operations.md.
 */

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const README = read('README.md');
const ERRORS = read('docs/errors.md');
const EVENTS = read('docs/security-events.md');
const OPERATIONS = read('docs/operations.md');

/** The body rows of the first markdown table in `block`, as trimmed cells. */
function tableRows(block: string): string[][] {
  const lines = block.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('|'));
  return lines.slice(2).map((line) =>
    line
      .slice(1, line.endsWith('|') ? -1 : undefined)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim().replace(/\\\|/g, '|')),
  );
}

function markedTable(markdown: string, name: string): string[][] {
  const block = between(markdown, `<!-- ${name}:start -->`, `<!-- ${name}:end -->`);
  if (block === undefined) throw new Error(`missing <!-- ${name}:start --> … <!-- ${name}:end -->`);
  return tableRows(block);
}

/** The content of a cell that is exactly one code span. */
function code(cell: string): string {
  const m = /^`([^`]+)`$/.exec(cell);
  if (!m) throw new Error(`expected a single \`code\` cell, got ${JSON.stringify(cell)}`);
  return m[1]!;
}

/** The JSON block that follows `<!-- example:NAME -->`. */
function example(markdown: string, name: string): unknown {
  const m = new RegExp(`<!-- example:${name} -->\\s*\`\`\`json\\n([\\s\\S]*?)\\n\`\`\``).exec(markdown);
  if (!m) throw new Error(`missing example ${name}`);
  return JSON.parse(m[1]!);
}

/** The structure of a JSON value: object keys (recursively) and primitive types. */
function shape(value: unknown): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.map(shape);
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, shape(v)]));
  }
  return typeof value;
}

const count = (text: string, needle: string) => text.split(needle).length - 1;

/** Every source file under src/ (tests aside), for "is this reserved thing really unused?" checks. */
const SOURCES = (readdirSync(new URL('../../src', import.meta.url), { recursive: true }) as string[])
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map((f) => ({ file: `src/${f}`, text: read(`src/${f}`) }));

/** The source files that contain `pattern`. */
const usedIn = (pattern: RegExp) => SOURCES.filter((s) => pattern.test(s.text)).map((s) => s.file);

/** A `msg` template from the docs (`FAILED_LOGIN email=<masked-email> ip=<ip>`) as a regex over real lines. */
const markerPattern = (template: string) =>
  new RegExp(`^${template.split(/<[^>]+>/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.+?')}$`);

describe('README configuration table', () => {
  const block = between(README, CONFIG_TABLE_START, CONFIG_TABLE_END);
  const rows = tableRows(block ?? '');
  const specs = Object.values(VARS) as VarSpec[];
  const byName = new Map(rows.map((r) => [code(r[0]!), r]));

  it('is between its markers', () => {
    expect(block, 'README.md needs the config-table markers').toBeDefined();
    expect(rows.length).toBeGreaterThan(0);
  });

  it('has exactly one row per variable of VARS, and no other', () => {
    const names = rows.map((r) => code(r[0]!));
    expect(names.length, 'a variable is listed twice').toBe(new Set(names).size);
    expect([...names].sort(), 'README.md configuration table is out of date: npx tsx test/docs/config-table.ts --write').toEqual(specs.map((s) => s.env).sort());
    for (const spec of specs) expect(count(README, `| \`${spec.env}\` |`), `${spec.env} appears as a row once in README.md`).toBe(1);
  });

  it.each(specs.map((s) => [s.env, s] as const))('%s: default, secret flag and description match the schema', (_name, spec) => {
    const row = byName.get(spec.env);
    expect(row, `no row for ${spec.env} (regenerate: npx tsx test/docs/config-table.ts --write)`).toBeDefined();
    const [, defaultCell, secretCell, description] = row!;
    const dev = typeof spec.default === 'function' ? spec.default({}) : spec.default;
    if (dev === undefined) expect(defaultCell).toBe('*(unset)*');
    else if (dev === '') expect(defaultCell).toBe('*(empty)*');
    else expect(/^`([^`]*)`/.exec(defaultCell!)?.[1], `default of ${spec.env}`).toBe(dev);
    if (typeof spec.default === 'function') {
      const prod = spec.default({ ENVIRONMENT: 'production' });
      if (prod !== dev) expect(defaultCell).toContain(`\`${prod}\` when \`ENVIRONMENT=production\``);
    }
    expect(secretCell, `secret flag of ${spec.env}`).toBe(spec.secret ? 'secret' : '');
    expect(description, `description of ${spec.env} (regenerate: npx tsx test/docs/config-table.ts --write)`).toBe(spec.doc.replace(/\s*\n\s*/g, ' '));
  });

  it('the docs name no environment variable that does not exist', () => {
    const markers = [...EVENTS.matchAll(/\| `([A-Z_]+) [^`]*` \|/g)].map((m) => m[1]!);
    const known = new Set<string>([...specs.map((s) => s.env), ...Object.keys(DEFAULT_SEVERITY), ...markers]);
    for (const [file, text] of [['README.md', README], ['docs/operations.md', OPERATIONS]] as const) {
      for (const [, span] of text.matchAll(/`([^`\n]+)`/g)) {
        const name = /^([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(?:=.*)?$/.exec(span!)?.[1];
        if (name) expect(known.has(name), `${file} mentions \`${span}\``).toBe(true);
      }
    }
  });
});

describe('docs/errors.md', () => {
  const rows = markedTable(ERRORS, 'error-table');

  it('lists every error code once, with its status and title, and no other code', () => {
    const codes = rows.map((r) => code(r[0]!));
    expect(codes.length).toBe(new Set(codes).size);
    expect([...codes].sort()).toEqual(Object.keys(ERROR_CODES).sort());
    for (const [cell, status, title, when, action] of rows) {
      const c = code(cell!) as ErrorCode;
      expect(Number(status), `status of ${c}`).toBe(ERROR_CODES[c].status);
      expect(title, `title of ${c}`).toBe(ERROR_CODES[c].title);
      expect(when, `when ${c} happens`).not.toBe('');
      expect(action, `what to do about ${c}`).not.toBe('');
    }
  });

  it('a code the page calls reserved is raised nowhere in src', () => {
    for (const [cell, , , when] of rows) {
      if (!when!.startsWith('Reserved')) continue;
      const c = code(cell!);
      // `super('rate_limited', …)`: AppError subclasses raise codes too.
      expect(usedIn(new RegExp(`(AppError|problem|super)\\(\\s*['"\`]${c}['"\`]`)), `${c} is raised: update its row in docs/errors.md`).toEqual([]);
    }
  });

  it('every code the docs quote is a known code with the right status', () => {
    for (const [file, text] of [['README.md', README], ['docs/errors.md', ERRORS], ['docs/operations.md', OPERATIONS], ['docs/security-events.md', EVENTS]] as const) {
      for (const [, c] of text.matchAll(/urn:vigil:problem:([a-z_]+)/g)) expect(Object.keys(ERROR_CODES), `${file}: urn:vigil:problem:${c}`).toContain(c);
      for (const [, c] of text.matchAll(/"code":\s*"([a-z_]+)"/g)) expect(Object.keys(ERROR_CODES), `${file}: "code": "${c}"`).toContain(c);
      // `401 invalid_credentials`-style mentions: the code exists and has that status.
      for (const [, status, c] of text.matchAll(/`(\d{3}) ([a-z_]+)`/g)) {
        expect(Object.keys(ERROR_CODES), `${file}: ${status} ${c}`).toContain(c);
        expect(ERROR_CODES[c as ErrorCode].status, `${file}: ${status} ${c}`).toBe(Number(status));
      }
    }
  });
});


describe('docs/security-events.md', () => {
  const rows = markedTable(EVENTS, 'event-table');
  const logged = new Map<string, { level: string; msg: string }>();
  const record = (level: string) => (_obj: unknown, msg: string) => void logged.set(msg.split(' ')[0]!, { level, msg });
  const sink = createLogSecurityEvents({
    logger: { info: record('info'), warn: record('warn'), error: record('error') } as unknown as Logger,
    clock: { now: () => 0 },
    pii: false,
  });
  const emitted = new Map<SecurityEventType, { level: string; msg: string }>();
  for (const type of Object.keys(SAMPLE_EVENT_DETAILS) as SecurityEventType[]) {
    logged.clear();
    sink.emit(type, { ip: '203.0.113.7', user_id: 'u-1', request_id: 'r-1' }, SAMPLE_EVENT_DETAILS[type] as never);
    emitted.set(type, [...logged.values()][0]!);
  }

  it('the samples here cover the whole vocabulary', () => {
    expect(Object.keys(SAMPLE_EVENT_DETAILS).sort()).toEqual(Object.keys(DEFAULT_SEVERITY).sort());
  });

  it('lists every event type once, in the vocabulary\'s order, and no other', () => {
    const types = rows.map((r) => code(r[0]!));
    expect(types).toEqual([...SECURITY_EVENT_TYPES]);
    expect([...types].sort()).toEqual(Object.keys(DEFAULT_SEVERITY).sort());
  });

  it('an event the page calls reserved is emitted nowhere in src', () => {
    for (const [cell, , , , , when] of rows) {
      if (!when!.startsWith('Reserved')) continue;
      const type = code(cell!);
      expect(usedIn(new RegExp(`emit\\(\\s*['"\`]${type}['"\`]`)), `${type} is emitted: update its row in docs/security-events.md`).toEqual([]);
    }
  });

  it.each(Object.keys(DEFAULT_SEVERITY))('%s: severity, log level, marker and detail fields are as the code emits them', (type) => {
    const row = rows.find((r) => code(r[0]!) === type);
    expect(row, `no row for ${type}`).toBeDefined();
    const [, severity, level, marker, details, when] = row!;
    const t = type as SecurityEventType;
    expect(severity).toBe(DEFAULT_SEVERITY[t]);
    expect(level).toBe(emitted.get(t)!.level);
    expect(emitted.get(t)!.msg).toMatch(markerPattern(code(marker!)));
    const fields = [...details!.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    expect(fields.sort()).toEqual(Object.keys(SAMPLE_EVENT_DETAILS[t]).sort());
    expect(when).not.toBe('');
  });
});

describe('examples and the API table, against the running app', () => {
  let t: TestApp;
  const capture = logCapture();
  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) => t.app.inject({ method: 'POST', url, payload: payload as object, headers });

  beforeAll(async () => {
    t = await makeTestApp({ LOG_LEVEL: 'info', REFRESH_REUSE_GRACE: '0' }, { logDestination: capture.stream });
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A path as the README and the OpenAPI document write it (`/ip-blocks/{target}`), as the router does (`/ip-blocks/:target`). */
  const routerPath = (path: string) => path.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, ':$1');

  it('README API table: every row is a route of the app', () => {
    const rows = markedTable(README, 'api-table');
    expect(rows.length).toBeGreaterThan(0);
    for (const [method, pathCell] of rows) {
      const url = code(pathCell!);
      expect(url, `${url}: write path parameters as {name}`).not.toMatch(/\/:/);
      expect(t.app.hasRoute({ method: method as 'GET', url: routerPath(url) }), `${method} ${url}`).toBe(true);
    }
    const listed = rows.map((r) => code(r[1]!));
    for (const path of ['/health', '/.well-known/jwks.json', '/openapi.json', '/docs', '/api/v1/admin/config']) expect(listed).toContain(path);
  });

  it('README API table: every route under /api and /health is listed (HEAD aside)', () => {
    const served = appRoutes(t.app).filter((r) => r.method !== 'HEAD' && (r.path.startsWith('/api/') || r.path === '/health' || r.path.startsWith('/health/')));
    expect(served.length).toBeGreaterThan(10);
    // The tree was read right if the router knows every route read from it.
    for (const r of served) expect(t.app.hasRoute({ method: r.method as 'GET', url: r.path }), `parsed route ${r.method} ${r.path}`).toBe(true);
    const listed = new Set(markedTable(README, 'api-table').map(([method, path]) => `${method} ${routerPath(code(path!))}`));
    for (const r of served) expect(listed, `README.md API table lacks ${r.method} ${r.path}`).toContain(`${r.method} ${r.path}`);
  });

  it('README API table: the auth column says what the OpenAPI security of each route declares', () => {
    const spec = t.app.swagger() as { paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>> };
    for (const [method, pathCell, auth] of markedTable(README, 'api-table')) {
      const path = code(pathCell!);
      const schemes = (spec.paths[path]?.[method!.toLowerCase()]?.security ?? []).flatMap((s) => Object.keys(s));
      const where = `${method} ${path}: ${auth}`;
      expect(auth!.includes('Bearer'), where).toBe(schemes.includes('bearerAuth'));
      expect(auth!.includes('API key'), where).toBe(schemes.includes('apiKey'));
      if (schemes.length === 0) expect(auth, where).toBe('none');
    }
  });

  it('README first steps: the documented requests work and the documented answers have the real shape', async () => {
    const bodies = [...README.matchAll(/-d '(\{[^']*\})'/g)].map((m) => JSON.parse(m[1]!) as Record<string, string>);
    const registerBody = bodies.find((b) => 'name' in b)!;
    const loginBody = bodies.find((b) => !('name' in b))!;
    expect(registerBody).toBeDefined();
    expect(loginBody).toBeDefined();

    const register = await post('/api/v1/auth/register', registerBody);
    expect(register.statusCode).toBe(201);
    expect(shape(example(README, 'register'))).toEqual(shape(register.json()));

    const login = await post('/api/v1/auth/login', loginBody);
    expect(login.statusCode).toBe(200);
    expect(shape(example(README, 'login'))).toEqual(shape(login.json()));
    expect(example(README, 'login')).toMatchObject({ token_type: 'Bearer', expires_in: login.json().expires_in });

    const me = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${login.json().access_token}` } });
    expect(me.statusCode).toBe(200);
    expect(shape(example(README, 'me'))).toEqual(shape(me.json()));
  });

  it('docs/errors.md: the validation example is what the documented request really gets (but its request id)', async () => {
    const documented = example(ERRORS, 'validation_failed') as Record<string, unknown>;
    const body = JSON.parse(/-d '(\{[^']*\})'/.exec(ERRORS)![1]!);
    const res = await post('/api/v1/auth/login', body);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const actual = res.json();
    expect(actual.request_id).toBe(res.headers['x-request-id']);
    expect({ ...documented, request_id: 'id' }).toEqual({ ...actual, request_id: 'id' });
  });

  it('docs/errors.md: the internal error example has the real shape and references its error id', async () => {
    const documented = example(ERRORS, 'internal_error') as { detail: string; error_id: string };
    expect(documented.detail).toContain(documented.error_id);
    const auth = t.services.auth as { securityInfo: () => unknown };
    const original = auth.securityInfo;
    auth.securityInfo = () => {
      throw new Error('secret internal detail');
    };
    try {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/auth/security-info' });
      const actual = res.json();
      expect(res.statusCode).toBe(500);
      expect(shape(documented)).toEqual(shape(actual));
      expect(actual.detail.replace(actual.error_id, '<id>')).toBe(documented.detail.replace(documented.error_id, '<id>'));
      expect(res.body).not.toContain('secret internal detail');
    } finally {
      auth.securityInfo = original;
    }
  });

  it('docs/errors.md: the rate-limited example is what the fourth login in a minute gets with login=3/1m (but its request id, reset time and seconds)', async () => {
    const documented = example(ERRORS, 'rate_limited') as Record<string, unknown>;
    const headerBlock = /```\n(HTTP\/1\.1 429[^`]*?)\n```/.exec(ERRORS)?.[1];
    expect(headerBlock, 'docs/errors.md: the 429 header block').toBeDefined();
    const limited = await makeTestApp({ ...PROTECTED_ENV, RATE_LIMIT_ROUTES: 'login=3/1m' });
    try {
      const login = () => limited.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '203.0.113.7', payload: { email: 'x@example.com', password: STRONG_PASSWORD } });
      for (let i = 0; i < 3; i++) expect((await login()).statusCode).toBe(401);
      const res = await login();
      expect(res.statusCode).toBe(429);
      const seconds = (v: unknown) => String(v).replace(/\d+ s\b/g, 'N s');
      const actual = res.json();
      expect({ ...documented, request_id: 'id', retry_after: 0, detail: seconds(documented.detail) }).toEqual({ ...actual, request_id: 'id', retry_after: 0, detail: seconds(actual.detail) });
      expect(actual.retry_after).toBe(Number(res.headers['retry-after']));
      for (const line of headerBlock!.split('\n').slice(1)) {
        const [name, value] = [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()];
        expect(res.headers, `header ${name}`).toHaveProperty(name);
        if (['content-type', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'ratelimit-policy'].includes(name)) expect(res.headers[name], name).toBe(value);
      }
    } finally {
      await limited.close();
    }
  });

  it('docs: the health, access-line and security-line examples have the real shape', async () => {
    const health = await t.app.inject({ method: 'GET', url: '/health' });
    expect(shape(example(OPERATIONS, 'health'))).toEqual(shape(health.json()));

    // A refresh-token reuse (REFRESH_REUSE_GRACE=0 here): the security-events page's example.
    await post('/api/v1/auth/register', { email: 'reuse@example.com', password: STRONG_PASSWORD });
    const tokens = (await post('/api/v1/auth/login', { email: 'reuse@example.com', password: STRONG_PASSWORD })).json();
    expect((await post('/api/v1/auth/refresh', { refresh_token: tokens.refresh_token })).statusCode).toBe(200);
    const reuse = await post('/api/v1/auth/refresh', { refresh_token: tokens.refresh_token });
    expect(reuse.statusCode).toBe(401);

    const records = capture.records();
    const securityLine = records.find((r) => r.event === 'REFRESH_REUSE_DETECTED');
    expect(securityLine).toBeDefined();
    expect(shape(example(EVENTS, 'security-line'))).toEqual(shape(securityLine));

    const failedLogin = await post('/api/v1/auth/login', { email: 'nobody@example.com', password: STRONG_PASSWORD });
    const access = capture.records().find((r) => r.msg === 'request completed' && r.request_id === failedLogin.headers['x-request-id']);
    expect(access).toBeDefined();
    expect(shape(example(OPERATIONS, 'access-line'))).toEqual(shape(access));
  });
});
