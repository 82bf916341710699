/**
 * `.env.example`, rendered from the config schema (VARS) like the README's configuration table.
 * env-example.test.ts checks the file against it; after changing src/config/schema.ts, regenerate
 * it with
 *
 *   npx tsx test/deploy/env-example.ts --write
 *
 * (without --write it prints the file).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { VARS } from '../../src/config/index.js';
import type { VarSpec } from '../../src/config/schema.js';

export const ENV_EXAMPLE = fileURLToPath(new URL('../../.env.example', import.meta.url));

const HEADER = `# Vigil configuration: every variable Vigil reads, with its default and what it does.
# Generated from src/config/schema.ts by \`npx tsx test/deploy/env-example.ts --write\`; do not edit
# by hand (test/deploy/env-example.test.ts keeps it complete).
#
# Copy it to .env (chmod 600 .env) and uncomment only what you change: a commented line is the
# default. Variables marked "secret" belong in your secret store (a Kubernetes Secret, the
# orchestrator's secrets), not in a file anyone can read; never commit a filled-in .env.
# Generate secrets with \`openssl rand -hex 32\`. The README's configuration table has the same
# descriptions; docs/deployment.md says which ones a production deployment sets.
`;

/** The dev default (what a commented line shows) and, when ENVIRONMENT=production changes it, that one. */
export function defaults(spec: VarSpec): { dev: string | undefined; prod: string | undefined } {
  if (typeof spec.default !== 'function') return { dev: spec.default, prod: spec.default };
  return { dev: spec.default({}), prod: spec.default({ ENVIRONMENT: 'production' }) };
}

/** Wraps `text` into `# ` comment lines of at most `width` characters. */
function comment(text: string, width = 100): string[] {
  const lines: string[] = [];
  let line = '#';
  for (const word of text.replace(/\s+/g, ' ').trim().split(' ')) {
    if (line.length + 1 + word.length > width && line !== '#') {
      lines.push(line);
      line = '#';
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return lines;
}

function entry(spec: VarSpec): string {
  const { dev, prod } = defaults(spec);
  const shown = (v: string | undefined) => (v === undefined ? '(unset)' : v === '' ? '(empty)' : v);
  const note = `Default: ${shown(dev)}${prod !== dev ? `; ${shown(prod)} when ENVIRONMENT=production` : ''}.${spec.secret ? ' Secret.' : ''}`;
  return [...comment(`${spec.doc} ${note}`), `#${spec.env}=${dev ?? ''}`].join('\n');
}

export function renderEnvExample(): string {
  return `${HEADER}\n${Object.values(VARS).map((spec: VarSpec) => entry(spec)).join('\n\n')}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = renderEnvExample();
  if (process.argv.includes('--write')) {
    writeFileSync(ENV_EXAMPLE, text);
    process.stderr.write(`.env.example rewritten (${Object.keys(VARS).length} variables)\n`);
  } else {
    process.stdout.write(text);
  }
}
