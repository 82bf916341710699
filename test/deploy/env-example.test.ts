import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, readEnvFile, VARS } from '../../src/config/index.js';
import { ENV_EXAMPLE, renderEnvExample } from './env-example.js';

const text = readFileSync(ENV_EXAMPLE, 'utf8');
const assignments = [...text.matchAll(/^#([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => ({ name: m[1]!, value: m[2]! }));

describe('.env.example', () => {
  it('is what the config schema renders (regenerate: npx tsx test/deploy/env-example.ts --write)', () => {
    expect(text).toBe(renderEnvExample());
  });

  it('lists every variable of VARS exactly once, and no other', () => {
    expect(assignments.map((a) => a.name).sort()).toEqual(Object.values(VARS).map((s) => s.env).sort());
  });

  it('sets nothing: every assignment is commented out, so a copied file changes no default', () => {
    const live = text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
    expect(live).toEqual([]);
  });

  it('its values are the real defaults: uncommented, they load to the same configuration as an empty environment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-env-example-'));
    const file = join(dir, '.env');
    writeFileSync(file, assignments.filter((a) => a.value !== '').map((a) => `${a.name}=${a.value}`).join('\n'));
    const fromFile = readEnvFile(file);
    expect(Object.keys(fromFile).length).toBeGreaterThan(50);
    expect(JSON.stringify(loadConfig(fromFile))).toBe(JSON.stringify(loadConfig({})));
  });
});
