import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppError } from '../errors/index.js';
import { errorResponses } from '../http/openapi.js';

/** docs/runbooks/ of this installation: two levels up from src/incidents (and dist/incidents). */
export const RUNBOOK_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../docs/runbooks');

/** One runbook: its name (the file name without `.md`), its title and its Markdown. */
export interface Runbook {
  name: string;
  title: string;
  markdown: string;
}

const NAME = /^[a-z0-9][a-z0-9-]*$/;

/**
 * Reads every `*.md` of `dir` once. Only these names are ever served: a request names a key of
 * this map, never a path, so nothing outside the directory can be reached.
 */
export function loadRunbooks(dir: string = RUNBOOK_DIR): ReadonlyMap<string, Runbook> {
  const out = new Map<string, Runbook>();
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return out;
  }
  for (const file of files.sort()) {
    const name = file.replace(/\.md$/, '');
    if (!file.endsWith('.md') || !NAME.test(name)) continue;
    const markdown = readFileSync(join(dir, file), 'utf8');
    const title = /^# (?:Runbook: )?(.+)$/m.exec(markdown)?.[1]?.trim() ?? name;
    out.set(name, { name, title, markdown });
  }
  return out;
}

/** The index: one Markdown link per runbook. */
export const runbookIndex = (runbooks: ReadonlyMap<string, Runbook>): string =>
  `# Runbooks\n\n${[...runbooks.values()].map((r) => `- [${r.title}](runbooks/${r.name})`).join('\n')}\n`;

/**
 * `GET /runbooks` (the index) and `GET /runbooks/{name}` (also `{name}.md`, so the relative links
 * between runbooks work here as on a code host): Markdown, public like the docs they are.
 */
export const runbookRoutes: FastifyPluginAsyncTypebox<{ runbooks: ReadonlyMap<string, Runbook> }> = async (app, { runbooks }) => {
  const tags = ['runbooks'];
  const index = runbookIndex(runbooks);
  app.get('/runbooks', {
    schema: { tags, summary: 'The runbooks, as a Markdown list', produces: ['text/markdown'], response: { 200: Type.String() } },
  }, async (_request, reply) => reply.type('text/markdown; charset=utf-8').send(index));

  app.get('/runbooks/:name', {
    schema: {
      tags, summary: 'A runbook (linked from each alert rule’s runbook_url) as Markdown', produces: ['text/markdown'],
      params: Type.Object({ name: Type.String() }),
      response: { 200: Type.String(), ...errorResponses(404) },
    },
  }, async (request, reply) => {
    const runbook = runbooks.get(request.params.name.replace(/\.md$/, ''));
    if (!runbook) throw new AppError('not_found', 'No runbook with this name (GET /runbooks lists them)');
    return reply.type('text/markdown; charset=utf-8').send(runbook.markdown);
  });
};
