/** Reading the deployment files the tests check: YAML documents, the Dockerfile's instructions, the env names Vigil knows. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { VARS } from '../../src/config/index.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Every environment variable Vigil reads. */
export const VAR_NAMES = new Set(Object.values(VARS).map((s) => s.env));
export const SECRET_VARS = new Set(Object.values(VARS).filter((s) => s.secret).map((s) => s.env));

/** The YAML documents of a file under the repository root (throws on any parse error). */
export function yamlDocs(path: string): any[] {
  return parseAllDocuments(readFileSync(`${ROOT}${path}`, 'utf8')).map((d) => {
    if (d.errors.length > 0) throw new Error(`${path}: ${d.errors.map((e) => e.message).join('; ')}`);
    return d.toJS();
  });
}

export const yamlDoc = (path: string): any => yamlDocs(path)[0];

export interface Instruction {
  keyword: string;
  args: string;
  /** Index of the build stage (FROM … starts a new one). */
  stage: number;
}

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
export function dockerInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let stage = -1;
  const joined = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  for (const line of joined) {
    const [keyword, ...rest] = line.split(/\s+/);
    const k = keyword!.toUpperCase();
    if (k === 'FROM') stage++;
    out.push({ keyword: k, args: rest.join(' '), stage });
  }
  return out;
}
