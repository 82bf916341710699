import { createHash } from 'node:crypto';
import type { ComponentStatus, StatusView } from './derive.js';

const STYLE = `
:root{color-scheme:light dark;--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e;--none:#8c959f;--fg:#1f2328;--bg:#fff;--line:#d0d7de}
@media (prefers-color-scheme:dark){:root{--ok:#3fb950;--warn:#d29922;--bad:#f85149;--fg:#e6edf3;--bg:#0d1117;--line:#30363d}}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:44rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}
h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
.banner{padding:.75rem 1rem;border-radius:.5rem;color:#fff;font-weight:600}
.operational{--c:var(--ok)}.degraded{--c:var(--warn)}.major_outage{--c:var(--bad)}.nodata{--c:var(--none)}
.banner{background:var(--c)}
ul.components{list-style:none;padding:0;margin:0;border:1px solid var(--line);border-radius:.5rem}
ul.components li{display:flex;justify-content:space-between;gap:1rem;padding:.6rem 1rem;border-top:1px solid var(--line)}
ul.components li:first-child{border-top:0}
.state{color:var(--c);font-weight:600}
article{border:1px solid var(--line);border-radius:.5rem;padding:.5rem 1rem;margin:.5rem 0}
article h3{margin:.25rem 0;font-size:1rem}
.meta,.muted{color:var(--none);font-size:.875rem}
.bars{display:flex;gap:1px;height:2rem;align-items:stretch}
.bars span{flex:1;background:var(--c);border-radius:1px;min-width:1px}
table{border-collapse:collapse;width:100%;font-size:.875rem}
th,td{text-align:left;padding:.2rem .5rem;border-bottom:1px solid var(--line)}
footer{margin-top:2rem}
`;

/** The page has no script, loads nothing, and allows only its own inline stylesheet (by hash). */
export const STATUS_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

const WORDS: Record<ComponentStatus, string> = { operational: 'Operational', degraded: 'Degraded', major_outage: 'Major outage' };
const BANNER: Record<ComponentStatus, string> = { operational: 'All systems operational', degraded: 'Some systems are degraded', major_outage: 'Major outage' };
const percent = (a: number) => `${(Math.floor(a * 100_000) / 1000).toFixed(3)}%`;
/** A day's colour: at least 99.9% available is operational, at least 99% degraded, below that an outage. */
const dayClass = (a: number | null) => (a === null ? 'nodata' : a >= 0.999 ? 'operational' : a >= 0.99 ? 'degraded' : 'major_outage');

/** The status page as one self-contained HTML document (readable from 320 px wide, no script). */
export function statusHtml(view: StatusView): string {
  const incidents = view.incidents.length === 0
    ? '<p>No incidents in progress.</p>'
    : view.incidents.map((i) => `<article><h3>${esc(i.public_title)}</h3>
<p class="meta">${esc(i.severity)} · ${i.status === 'identified' ? 'Identified' : 'Investigating'} · since <time datetime="${i.started_at}">${i.started_at.replace('T', ' ').slice(0, 16)} UTC</time></p>
${i.updates.length === 0 ? '' : `<ol reversed>${i.updates.slice().reverse().map((u) => `<li><time datetime="${u.at}">${u.at.replace('T', ' ').slice(0, 16)} UTC</time>: ${esc(u.text)}</li>`).join('')}</ol>`}</article>`).join('\n');
  const { days, ninety_day } = view.uptime;
  const summary = ninety_day === null ? 'No data for the last 90 days' : `${percent(ninety_day)} of requests answered without a server error over the last 90 days`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="60">
<meta name="robots" content="noindex">
<title>Service status</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>Service status</h1>
<p class="banner ${view.status}" role="status">${BANNER[view.status]}</p>
<section aria-labelledby="components"><h2 id="components">Components</h2>
<ul class="components">${view.components.map((c) => `<li class="${c.status}"><span>${c.name}</span><span class="state">${WORDS[c.status]}</span></li>`).join('')}</ul></section>
<section aria-labelledby="incidents"><h2 id="incidents">Current incidents</h2>
${incidents}</section>
<section aria-labelledby="uptime"><h2 id="uptime">Uptime</h2>
<p>${summary}.</p>
<div class="bars" role="img" aria-label="Daily availability, ${days[0]?.date} to ${days.at(-1)?.date}: ${summary}">${days.map((d) => `<span class="${dayClass(d.availability)}"></span>`).join('')}</div>
<p class="muted">${days[0]?.date} – ${days.at(-1)?.date} (UTC days; grey: no data)</p>
<details><summary>Daily availability</summary>
<table><thead><tr><th scope="col">Day</th><th scope="col">Availability</th></tr></thead><tbody>
${days.slice().reverse().map((d) => `<tr><td>${d.date}</td><td>${d.availability === null ? 'no data' : percent(d.availability)}</td></tr>`).join('\n')}
</tbody></table></details></section>
<footer class="muted">Updated <time datetime="${view.updated_at}">${view.updated_at.replace('T', ' ').slice(0, 19)} UTC</time> · <a href="/status.json">JSON</a></footer>
</main>
</body>
</html>
`;
}
