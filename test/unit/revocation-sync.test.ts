import { describe, expect, it } from 'vitest';
import { manualClock } from '../../src/shared/clock.js';
import { createMemoryKv } from '../../src/storage/kv/memory.js';
import type { KvStatus } from '../../src/storage/kv/ports.js';
import { createRevocationList } from '../../src/tokens/revocation.js';
import { createRevocationSync, parseRevocationMessage, REVOCATIONS_CHANNEL } from '../../src/tokens/revocation-sync.js';

const settle = () => new Promise((r) => setImmediate(r));

describe('revocation messages', () => {
  it('parses a token or a batch of sessions, and nothing else', () => {
    expect(parseRevocationMessage('{"jti":"j1","until":5}')).toEqual({ jti: 'j1', until: 5 });
    expect(parseRevocationMessage('{"sids":["a","b"],"until":5}')).toEqual({ sids: ['a', 'b'], until: 5 });
    for (const bad of ['', 'null', '[]', '42', 'not json', '{"jti":"j"}', '{"jti":"","until":1}', '{"jti":1,"until":1}', '{"sids":"a","until":1}', '{"sids":[1],"until":1}', '{"jti":"j","sids":["a"],"until":1}', '{"jti":"j","until":"1"}', `{"jti":"${'x'.repeat(300)}","until":1}`]) {
      expect(parseRevocationMessage(bad), bad).toBeUndefined();
    }
  });
});

describe('revocation sync', () => {
  it('applies what any instance publishes (itself included), idempotently; ignores malformed messages, logging once', async () => {
    const clock = manualClock(1_000);
    const kv = createMemoryKv(clock);
    const mine = createRevocationList();
    const theirs = createRevocationList();
    const debug: unknown[] = [];
    const logger = { debug: (o: unknown) => debug.push(o), warn: () => undefined };
    const a = createRevocationSync({ bus: kv, revocations: mine, logger });
    const b = createRevocationSync({ bus: kv, revocations: theirs, logger });
    await a.start();
    await b.start();

    await a.publishToken('jti-1', 60_000);
    await a.publishToken('jti-1', 60_000);
    await b.publishSessions(['s1', 's2'], 30_000);
    await kv.publish(REVOCATIONS_CHANNEL, 'garbage');
    await kv.publish(REVOCATIONS_CHANNEL, '{"jti":7}');
    await settle();
    for (const list of [mine, theirs]) {
      expect(list.isRevoked('jti-1', undefined, 2_000)).toBe(true);
      expect(list.isRevoked('other', 's2', 2_000)).toBe(true);
      expect(list.isRevoked('other', 's2', 30_000)).toBe(false);
      expect(list.size()).toEqual({ tokens: 1, sessions: 1 });
    }
    // Two instances, each logging its first malformed message once.
    expect(debug).toHaveLength(2);

    await a.stop();
    await b.publishToken('jti-2', 60_000);
    await settle();
    expect(mine.isRevoked('jti-2', undefined, 2_000)).toBe(false);
    expect(theirs.isRevoked('jti-2', undefined, 2_000)).toBe(true);
    await kv.close();
  });

  it('sends many sessions in chunks', async () => {
    const kv = createMemoryKv(manualClock());
    const messages: string[] = [];
    await kv.subscribe(REVOCATIONS_CHANNEL, (m) => messages.push(m));
    const list = createRevocationList();
    const sync = createRevocationSync({ bus: kv, revocations: list });
    await sync.start();
    await sync.publishSessions(Array.from({ length: 1203 }, (_, i) => `s${i}`), 10);
    await sync.publishSessions([], 10);
    await settle();
    expect(messages).toHaveLength(3);
    expect(list.size().sessions).toBe(1203);
    await kv.close();
  });

  it('reloads from the database when the bus comes back up after an outage (messages may have been missed)', async () => {
    const kv = createMemoryKv(manualClock());
    const listeners: ((s: KvStatus) => void)[] = [];
    let resyncs = 0;
    const sync = createRevocationSync({
      bus: { publish: kv.publish, subscribe: kv.subscribe, onStatusChange: (l) => listeners.push(l) },
      revocations: createRevocationList(),
      resync: async () => {
        resyncs++;
      },
    });
    await sync.start();
    for (const l of listeners) l('degraded');
    expect(resyncs).toBe(0);
    for (const l of listeners) l('up');
    expect(resyncs).toBe(1);
    await sync.stop();
    for (const l of listeners) l('up');
    expect(resyncs).toBe(1);
    await kv.close();
  });

  it('a publish that fails is logged, not thrown (the database already has the revocation)', async () => {
    const warnings: unknown[] = [];
    const sync = createRevocationSync({
      bus: {
        publish: async () => {
          throw new Error('bus down');
        },
        subscribe: async () => async () => undefined,
      },
      revocations: createRevocationList(),
      logger: { debug: () => undefined, warn: (o: unknown) => warnings.push(o) },
    });
    await expect(sync.publishToken('j', 1)).resolves.toBeUndefined();
    expect(warnings).toHaveLength(1);
  });
});
