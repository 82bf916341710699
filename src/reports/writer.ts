import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Report } from './build.js';
import { reportMarkdown } from './markdown.js';

/** A report written to disk, as the `onReport` listeners receive it. */
export interface WrittenReport {
  report: Report;
  markdown: string;
  json_path: string;
  markdown_path: string;
}

/** Writes `<kind>-<date>.json` and `.md` (mode 0600) into `dir`. */
export async function writeReport(dir: string, report: Report): Promise<WrittenReport> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const base = join(dir, `${report.kind}-${report.generated_at.slice(0, 10)}`);
  const markdown = reportMarkdown(report);
  await writeFile(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`, { mode: 0o600 });
  await writeFile(`${base}.md`, markdown, { mode: 0o600 });
  return { report, markdown, json_path: `${base}.json`, markdown_path: `${base}.md` };
}
