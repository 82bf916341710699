import type { IncidentRecord, TimelineRecord } from './ports.js';
import type { Postmortem } from './service.js';

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));
const minutes = (from: number, to: number | null) => (to === null ? '-' : `${Math.round((to - from) / 60_000)} min`);

/** The incident and its postmortem as Markdown (`vigil incident report`). */
export function postmortemMarkdown(incident: IncidentRecord, timeline: TimelineRecord[]): string {
  const pm = incident.postmortem ? (JSON.parse(incident.postmortem) as Postmortem) : undefined;
  const list = (items: string[] | undefined) => (items && items.length > 0 ? items.map((i) => `- ${i}`).join('\n') : '- (none recorded)');
  return [
    `# Postmortem: ${incident.title}`,
    '',
    `| | |`,
    `| --- | --- |`,
    `| Incident | ${incident.id} |`,
    `| Severity | ${incident.severity} |`,
    `| Status | ${incident.status} |`,
    `| Opened | ${iso(incident.created_at)} |`,
    `| Acknowledged | ${iso(incident.acknowledged_at)}${incident.acknowledged_by ? ` by ${incident.acknowledged_by}` : ''} (${minutes(incident.created_at, incident.acknowledged_at)}) |`,
    `| Resolved | ${iso(incident.resolved_at)} (${minutes(incident.created_at, incident.resolved_at)}) |`,
    `| Escalations | ${incident.escalations} |`,
    '',
    '## Summary',
    '',
    pm?.summary ?? '(not written yet)',
    '',
    '## Impact',
    '',
    pm?.impact ?? '(not written yet)',
    '',
    '## Timeline (UTC)',
    '',
    ...timeline.map((t) => `- ${iso(t.at)} **${t.kind}**${t.actor ? ` (${t.actor})` : ''}: ${t.text}`),
    '',
    '## Root cause',
    '',
    pm?.root_cause ?? '(not written yet)',
    '',
    '## Contributing factors',
    '',
    list(pm?.contributing_factors),
    '',
    '## Resolution',
    '',
    pm?.resolution ?? '(not written yet)',
    '',
    '## Action items',
    '',
    list(pm?.action_items),
    '',
  ].join('\n');
}
