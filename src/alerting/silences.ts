import { randomUUID } from 'node:crypto';
import type { Clock } from '../shared/clock.js';
import { matchesAll, type Matcher } from './matchers.js';
import type { SilenceRecord, SilenceRepository } from './ports.js';
import type { Labels } from './types.js';

export interface Silence {
  id: string;
  matchers: Matcher[];
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
  createdAt: number;
}

const fromRecord = (r: SilenceRecord): Silence => ({ id: r.id, matchers: JSON.parse(r.matchers) as Matcher[], startsAt: r.starts_at, endsAt: r.ends_at, createdBy: r.created_by, comment: r.comment, createdAt: r.created_at });

/**
 * Silences (Alertmanager's: matchers, start, end, author, comment), stored in the database and
 * cached in memory: the dispatcher asks for every alert, so `silenced` never queries.
 */
export interface Silences {
  /** Reloads the cache (other instances and the CLI add silences too). */
  refresh(): Promise<void>;
  /** Ends at `endsAt`, or `durationMs` after its start. */
  create(input: { matchers: Matcher[]; startsAt?: number; endsAt?: number; durationMs?: number; createdBy: string; comment: string }): Promise<Silence>;
  expire(id: string): Promise<boolean>;
  list(): Silence[];
  /** The silence muting these labels at `now`, if any. */
  silenced(labels: Labels, now: number): Silence | undefined;
}

export function createSilences(deps: { repo: SilenceRepository; clock: Clock }): Silences {
  let current: Silence[] = [];
  const refresh = async () => {
    current = (await deps.repo.listCurrent(deps.clock.now())).map(fromRecord);
  };
  return {
    refresh,
    async create(input) {
      const now = deps.clock.now();
      const startsAt = input.startsAt ?? now;
      const silence: Silence = { id: randomUUID(), matchers: input.matchers, startsAt, endsAt: input.endsAt ?? startsAt + (input.durationMs ?? 3_600_000), createdBy: input.createdBy, comment: input.comment, createdAt: now };
      await deps.repo.insert({ id: silence.id, matchers: JSON.stringify(silence.matchers), starts_at: silence.startsAt, ends_at: silence.endsAt, created_by: silence.createdBy, comment: silence.comment, created_at: now });
      await refresh();
      return silence;
    },
    async expire(id) {
      const ended = await deps.repo.expire(id, deps.clock.now());
      await refresh();
      return ended;
    },
    list: () => current.filter((s) => s.endsAt > deps.clock.now()),
    silenced: (labels, now) => current.find((s) => s.startsAt <= now && now < s.endsAt && matchesAll(s.matchers, labels)),
  };
}
