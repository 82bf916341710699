import type { Compilable, CompiledQuery, Kysely } from 'kysely';

/**
 * A query Kysely builds and compiles once, then runs with new string values: Kysely otherwise
 * rebuilds its operation tree and recompiles the SQL on every call, which on SQLite costs about
 * half as much as the primary-key lookup itself. For the lookups on every authenticated request.
 *
 * `build` receives one placeholder per value; each placeholder must reach the query as a bound
 * parameter (anything else throws on first use). Other parameters of the query stay as built.
 */
export function precompiled<DB, O>(db: Kysely<DB>, arity: number, build: (...values: string[]) => Compilable<O>): (...values: string[]) => Promise<O[]> {
  let compiled: CompiledQuery<O> | undefined;
  let slots: number[] = [];
  return async (...values) => {
    if (!compiled) {
      const placeholders = Array.from({ length: arity }, (_, i) => `\u0000precompiled:${i}`);
      compiled = build(...placeholders).compile();
      slots = compiled.parameters.map((p) => placeholders.indexOf(p as string));
      for (let i = 0; i < arity; i++) {
        if (slots.filter((s) => s === i).length !== 1) throw new Error(`precompiled query: placeholder ${i} is not bound exactly once in ${compiled.sql}`);
      }
    }
    const base = compiled.parameters;
    const parameters = slots.map((slot, i) => (slot < 0 ? base[i] : values[slot]));
    return (await db.executeQuery<O>({ ...compiled, parameters })).rows;
  };
}
