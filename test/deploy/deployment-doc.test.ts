import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROOT, VAR_NAMES } from './manifests.js';

const DOC = readFileSync(`${ROOT}docs/deployment.md`, 'utf8');
const spans = [...DOC.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);

describe('docs/deployment.md', () => {
  it('names no environment variable that does not exist (besides the compose file\'s and CI\'s own)', () => {
    const compose = readFileSync(`${ROOT}deploy/compose.yaml`, 'utf8');
    const workflow = readFileSync(`${ROOT}.github/workflows/ci.yml`, 'utf8');
    for (const span of spans) {
      const name = /^([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(?:=.*)?$/.exec(span)?.[1];
      if (name && !VAR_NAMES.has(name)) expect(compose.includes(`${name}:`) || workflow.includes(name), `docs/deployment.md mentions \`${span}\``).toBe(true);
    }
  });

  it('every repository file it names exists', () => {
    // deploy/.env is the operator's own file (secrets), never in the repository.
    const paths = spans.filter((s) => s !== 'deploy/.env' && /^(deploy\/|docs\/|test\/|\.github\/|Dockerfile$|\.env\.example$)/.test(s));
    expect(paths.length).toBeGreaterThan(10);
    for (const p of paths) expect(existsSync(`${ROOT}${p}`), p).toBe(true);
  });
});
