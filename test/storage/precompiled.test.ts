import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { precompiled } from '../../src/storage/precompiled.js';

interface T {
  items: { id: string; owner: string; kind: string };
}

describe('precompiled queries', () => {
  const db = new Kysely<T>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
  afterAll(() => db.destroy());

  it('binds each call\'s values in place of the placeholders and keeps the other parameters as built', async () => {
    await db.schema.createTable('items').addColumn('id', 'text').addColumn('owner', 'text').addColumn('kind', 'text').execute();
    await db.insertInto('items').values([
      { id: '1', owner: 'ann', kind: 'a' },
      { id: '2', owner: 'ann', kind: 'b' },
      { id: '3', owner: 'bob', kind: 'a' },
    ]).execute();
    // The constant 'a' comes first among the bound parameters, the placeholder second.
    const ofKindA = precompiled(db, 1, (owner) => db.selectFrom('items').select('id').where('kind', '=', 'a').where('owner', '=', owner).orderBy('id'));
    expect(await ofKindA('ann')).toEqual([{ id: '1' }]);
    expect(await ofKindA('bob')).toEqual([{ id: '3' }]);
    expect(await ofKindA('nobody')).toEqual([]);

    const pair = precompiled(db, 2, (kind, owner) => db.selectFrom('items').select('id').where('owner', '=', owner).where('kind', '=', kind));
    expect(await pair('b', 'ann')).toEqual([{ id: '2' }]);
    expect(await pair('a', 'bob')).toEqual([{ id: '3' }]);
  });

  it('refuses a query that does not bind a placeholder as a parameter', async () => {
    const unbound = precompiled(db, 1, () => db.selectFrom('items').select('id'));
    await expect(unbound('x')).rejects.toThrow(/placeholder 0 is not bound/);
    // Refused on every call, not only the first.
    await expect(unbound('x')).rejects.toThrow(/placeholder 0 is not bound/);
    const twice = precompiled(db, 1, (v) => db.selectFrom('items').select('id').where('owner', '=', v).where('kind', '=', v));
    await expect(twice('x')).rejects.toThrow(/placeholder 0 is not bound exactly once/);
    const inline = precompiled(db, 1, (v) => db.selectFrom('items').select('id').where(sql.lit(v), '=', 'x'));
    await expect(inline('x')).rejects.toThrow(/not bound/);
  });
});
