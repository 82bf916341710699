import { InvalidArgumentError, type Command } from 'commander';
import type { SecurityEventType } from '../security-monitoring/events.js';
import type { StoredSecurityEvent } from '../security-monitoring/ports.js';
import { eventView, parseEventTypes, type SecurityEventLog } from '../security-monitoring/service.js';
import { SECURITY_EVENT_TYPES } from '../security-monitoring/events.js';
import { loadCliConfig, safeMessage, withServices, type CliIo, type CliOutput, type GlobalOptions } from './context.js';

export interface TailOptions {
  types?: readonly SecurityEventType[] | undefined;
  /** Recent events printed first. */
  limit: number;
  follow: boolean;
  json: boolean;
  /** Between polls when following (default 1 s). */
  intervalMs?: number;
  /**
   * Ids below the highest seen that are read again on every poll. PostgreSQL can commit a lower
   * id after a higher one (batches written concurrently by several instances); SQLite cannot.
   */
  lookBack?: number;
}

const PAGE = 1000;

/** `2030-01-01T00:00:04.000Z  high      ACCOUNT_LOCKED  ip=… user=… request=…  {details}` */
export function formatEvent(e: StoredSecurityEvent): string {
  const who = [e.ip !== null ? `ip=${e.ip}` : '', e.user_id !== null ? `user=${e.user_id}` : '', e.request_id !== null ? `request=${e.request_id}` : ''].filter(Boolean).join(' ');
  return `${new Date(e.time).toISOString()}  ${e.severity.padEnd(8)}  ${e.type.padEnd(22)}  ${who ? `${who}  ` : ''}${JSON.stringify(e.details)}`;
}

const sleep = (ms: number, signal: AbortSignal | undefined) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * Prints the `limit` most recent events (oldest first), then, with `follow`, every new one (by id)
 * once a poll sees it, until `signal` aborts. Returns how many events were printed.
 */
export async function tailEvents(log: SecurityEventLog, options: TailOptions, out: CliOutput, err: CliOutput, signal?: AbortSignal): Promise<number> {
  const print = (e: StoredSecurityEvent) => out.write(`${options.json ? JSON.stringify(eventView(e)) : formatEvent(e)}\n`);
  const first = await log.list({ types: options.types, limit: options.limit });
  const recent = first.ok ? [...first.events].reverse() : [];
  recent.forEach(print);
  let printed = recent.length;
  if (!options.follow) return printed;

  const lookBack = options.lookBack ?? 0;
  // Everything already stored is old, printed or not; only ids above it are new (or, on
  // PostgreSQL, a late commit within lookBack of it).
  let high = Math.max(await log.latestId(), ...recent.map((e) => e.id));
  const seen = new Set<number>();
  if (lookBack > 0) for (const e of await readAfter(high - lookBack, high)) seen.add(e.id);

  async function readAfter(from: number, upTo = Number.MAX_SAFE_INTEGER): Promise<StoredSecurityEvent[]> {
    const rows: StoredSecurityEvent[] = [];
    for (let after = Math.max(0, from); ; ) {
      const page = await log.after(after, { types: options.types, limit: PAGE });
      rows.push(...page.filter((e) => e.id <= upTo));
      const last = page[page.length - 1];
      if (page.length < PAGE || !last || last.id >= upTo) return rows;
      after = last.id;
    }
  }

  let failing = false;
  while (!signal?.aborted) {
    await sleep(options.intervalMs ?? 1000, signal);
    if (signal?.aborted) break;
    try {
      for (const e of await readAfter(high - lookBack)) {
        if (seen.has(e.id) || (lookBack === 0 && e.id <= high)) continue;
        print(e);
        printed++;
        if (lookBack > 0) seen.add(e.id);
        high = Math.max(high, e.id);
      }
      for (const id of seen) if (id <= high - lookBack) seen.delete(id);
      if (failing) err.write('reading events works again\n');
      failing = false;
    } catch (e) {
      // Following outlives a database blip: say so once, keep polling.
      if (!failing) err.write(`warning: reading events failed (${safeMessage(e)}); retrying every second\n`);
      failing = true;
    }
  }
  return printed;
}

function parseTypeOption(raw: string): SecurityEventType[] {
  const parsed = parseEventTypes(raw);
  if (parsed.ok) return parsed.types;
  throw new InvalidArgumentError(`unknown event type${parsed.unknown.length === 1 ? '' : 's'} ${parsed.unknown.join(', ') || '(none given)'}; expected any of ${SECURITY_EVENT_TYPES.join(', ')}.`);
}

function parseLimit(raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n < 1 || n > 1000) throw new InvalidArgumentError('expected a whole number from 1 to 1000.');
  return n;
}

/** `vigil events tail`: the stored security event log in a terminal. */
export function registerEvents(program: Command, io: CliIo): void {
  const events = program.command('events').description('Read the security event log');

  events
    .command('tail')
    .description('Print recent security events, oldest first; with --follow, keep printing new ones')
    .option('--type <types>', 'only these event types (one, or a comma list)', parseTypeOption)
    .option('--limit <n>', 'recent events to print first (1-1000)', parseLimit, 20)
    .option('-f, --follow', 'poll every second for new events until interrupted (Ctrl-C)')
    .option('--json', 'one JSON object per line: {id, time, type, severity, ip, user_id, request_id, details}')
    .addHelpText('after', `\nEvent types: ${SECURITY_EVENT_TYPES.join(', ')}.\nDetails are printed as stored (emails unmasked): this reads the database, not the logs.`)
    .action(async (opts: { type?: SecurityEventType[]; limit: number; follow?: boolean; json?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const config = loadCliConfig(io, globals);
      await withServices(io, config, globals, async (services) => {
        const stop = new AbortController();
        const interrupt = () => stop.abort();
        process.once('SIGINT', interrupt);
        process.once('SIGTERM', interrupt);
        try {
          const options = { types: opts.type, limit: opts.limit, follow: opts.follow === true, json: opts.json === true, lookBack: services.database.dialect === 'postgres' ? 5000 : 0 };
          await tailEvents(services.securityEvents, options, io.stdout, io.stderr, stop.signal);
        } finally {
          process.off('SIGINT', interrupt);
          process.off('SIGTERM', interrupt);
        }
      });
    });
}
