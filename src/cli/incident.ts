import { InvalidArgumentError, type Command } from 'commander';
import { postmortemMarkdown } from '../incidents/postmortem.js';
import type { IncidentResult, Incidents, IncidentStatus } from '../incidents/service.js';
import type { IncidentRecord } from '../incidents/ports.js';
import type { Services } from '../services.js';
import { recordAction } from './alerts.js';
import { CliError, EXIT, formatTime, isoOrNull, loadCliConfig, printJson, table, withServices, type CliIo, type GlobalOptions } from './context.js';

const CLI_ACTOR = 'cli';
const STATUSES: IncidentStatus[] = ['open', 'acknowledged', 'resolved', 'closed'];

const view = (i: IncidentRecord) => ({
  id: i.id, title: i.title, severity: i.severity, status: i.status, created_at: isoOrNull(i.created_at)!, acknowledged_at: isoOrNull(i.acknowledged_at),
  acknowledged_by: i.acknowledged_by, resolved_at: isoOrNull(i.resolved_at), closed_at: isoOrNull(i.closed_at), escalations: i.escalations, public_title: i.public_title,
});

function unwrap(result: IncidentResult, id: string, doing: string): IncidentRecord {
  if (result.ok) return result.incident;
  if (result.reason === 'not_found') throw new CliError(`error: no incident ${id}`, EXIT.failure);
  throw new CliError(`error: ${doing} is not possible in the incident's current state`, EXIT.failure);
}

/** `vigil incident list|show|ack|note|resolve|close|public|report`. */
export function registerIncident(program: Command, io: CliIo): void {
  const incident = program.command('incident').description('P0–P3 incidents: list, show, acknowledge, note, resolve, close, postmortem');
  const run = (cmd: Command, fn: (services: Services, incidents: Incidents) => Promise<void>) => {
    const globals = cmd.optsWithGlobals<GlobalOptions>();
    return withServices(io, loadCliConfig(io, globals), globals, (services) => {
      if (!services.incidents) throw new CliError('error: incidents are off (ALERTING_ENABLED=false)', EXIT.failure);
      return fn(services, services.incidents);
    });
  };
  /** A mutation: runs it, records ADMIN_ACTION, prints the incident. */
  const mutate = (name: string, description: string, doing: string, act: (incidents: Incidents, id: string, text: string | undefined) => Promise<IncidentResult>, textOption?: 'required' | 'optional') => {
    const c = incident.command(name).description(description).argument('<id>', 'the incident id').option('--json', 'print machine-readable JSON');
    if (textOption === 'required') c.requiredOption('--text <text>', 'the note');
    if (textOption === 'optional') c.option('--text <text>', 'what fixed it');
    c.action((id: string, opts: { json?: boolean; text?: string }, cmd: Command) =>
      run(cmd, async (services, incidents) => {
        const done = unwrap(await act(incidents, id, opts.text), id, doing);
        recordAction(services, `incident_${name === 'note' ? 'note' : name}`, id);
        if (opts.json) return printJson(io.stdout, view(done));
        io.stdout.write(`Incident ${done.id} (${done.severity}) is ${done.status}.\n`);
      }));
  };

  incident
    .command('list')
    .description('Incidents, newest first')
    .option('--status <status>', `only this status: ${STATUSES.join(', ')}`, (v: string) => {
      if (!STATUSES.includes(v as IncidentStatus)) throw new InvalidArgumentError(`must be one of ${STATUSES.join(', ')}`);
      return v as IncidentStatus;
    })
    .option('--limit <n>', 'at most this many', (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('must be a whole number from 1 to 1000');
      return n;
    }, 50)
    .option('--json', 'print machine-readable JSON')
    .action((opts: { status?: IncidentStatus; limit: number; json?: boolean }, cmd: Command) =>
      run(cmd, async (_s, incidents) => {
        const list = await incidents.list({ status: opts.status, limit: opts.limit });
        if (opts.json) return printJson(io.stdout, { incidents: list.map(view) });
        if (list.length === 0) return void io.stdout.write('No incidents.\n');
        io.stdout.write(table([['ID', 'SEVERITY', 'STATUS', 'OPENED', 'TITLE'], ...list.map((i) => [i.id, i.severity, i.status, formatTime(i.created_at), i.title])]));
      }));

  incident
    .command('show')
    .description('An incident and its timeline')
    .argument('<id>', 'the incident id')
    .option('--json', 'print machine-readable JSON')
    .action((id: string, opts: { json?: boolean }, cmd: Command) =>
      run(cmd, async (_s, incidents) => {
        const found = await incidents.get(id);
        if (!found) throw new CliError(`error: no incident ${id}`, EXIT.failure);
        const timeline = found.timeline.map((t) => ({ at: isoOrNull(t.at)!, kind: t.kind, actor: t.actor, text: t.text }));
        if (opts.json) return printJson(io.stdout, { ...view(found.incident), timeline });
        const i = found.incident;
        io.stdout.write(`${i.id}  ${i.severity}  ${i.status}\n${i.title}\nOpened ${formatTime(i.created_at)}${i.acknowledged_at ? `, acknowledged ${formatTime(i.acknowledged_at)} by ${i.acknowledged_by}` : ''}${i.resolved_at ? `, resolved ${formatTime(i.resolved_at)}` : ''}${i.closed_at ? `, closed ${formatTime(i.closed_at)}` : ''}\n\n`);
        io.stdout.write(table([['AT', 'KIND', 'ACTOR', 'TEXT'], ...found.timeline.map((t) => [formatTime(t.at), t.kind, t.actor ?? '-', t.text])]));
      }));

  mutate('ack', 'Acknowledge an open incident (stops escalation)', 'acknowledging', (inc, id) => inc.acknowledge(id, CLI_ACTOR));
  mutate('note', 'Add a note to the timeline', 'adding a note', (inc, id, text) => inc.note(id, CLI_ACTOR, text!), 'required');
  mutate('resolve', 'Resolve an open or acknowledged incident', 'resolving', (inc, id, text) => inc.resolve(id, CLI_ACTOR, text), 'optional');
  mutate('close', 'Close a resolved incident', 'closing', (inc, id) => inc.close(id, CLI_ACTOR));

  incident
    .command('public')
    .description('What the public status page shows of an incident: its title (--title, --clear-title) and updates (--update)')
    .argument('<id>', 'the incident id')
    .option('--title <title>', 'the public title (never shown: the internal title)')
    .option('--clear-title', 'back to the generic title from the severity')
    .option('--update <text>', 'post an update on the status page')
    .option('--json', 'print machine-readable JSON')
    .action((id: string, opts: { title?: string; clearTitle?: boolean; update?: string; json?: boolean }, cmd: Command) => {
      if (opts.title === undefined && !opts.clearTitle && opts.update === undefined) throw new CliError('error: give --title, --clear-title or --update', EXIT.usage);
      if (opts.title !== undefined && opts.clearTitle) throw new CliError('error: --title and --clear-title exclude each other', EXIT.usage);
      for (const [name, text, max] of [['--title', opts.title, 200], ['--update', opts.update, 2000]] as const) {
        if (text !== undefined && (text.trim() === '' || text.length > max)) throw new CliError(`error: ${name} must be 1 to ${max} characters`, EXIT.usage);
      }
      return run(cmd, async (services, incidents) => {
        let done: IncidentRecord | undefined;
        if (opts.title !== undefined || opts.clearTitle) {
          done = unwrap(await incidents.setPublicTitle(id, CLI_ACTOR, opts.title ?? null), id, 'setting the public title');
          recordAction(services, 'incident_public_title', id);
        }
        if (opts.update !== undefined) {
          done = unwrap(await incidents.publicUpdate(id, CLI_ACTOR, opts.update), id, 'a public update');
          recordAction(services, 'incident_public_update', id);
        }
        if (opts.json) return printJson(io.stdout, view(done!));
        io.stdout.write(`Incident ${done!.id}: public title ${done!.public_title === null ? '(generic)' : JSON.stringify(done!.public_title)}${opts.update !== undefined ? ', update posted' : ''}.\n`);
      });
    });

  incident
    .command('report')
    .description('The postmortem as Markdown (summary, impact, timeline, root cause, contributing factors, resolution, action items)')
    .argument('<id>', 'the incident id')
    .action((id: string, _opts: object, cmd: Command) =>
      run(cmd, async (_s, incidents) => {
        const found = await incidents.get(id);
        if (!found) throw new CliError(`error: no incident ${id}`, EXIT.failure);
        io.stdout.write(postmortemMarkdown(found.incident, found.timeline));
      }));
}
