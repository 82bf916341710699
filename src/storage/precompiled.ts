import type { Compilable, CompiledQuery, Kysely } from 'kysely';

/**
 * A query Kysely builds and compiles once, then runs with new string values: Kysely otherwise
 * rebuilds its operation tree and recompiles the SQL on every call. For lookups on every request
 * (GET /me: with fewer columns read, 113 → 102 µs of server CPU per request; BENCHMARKS.md).
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
      const query = build(...placeholders).compile();
      const positions = query.parameters.map((p) => placeholders.indexOf(p as string));
      for (let i = 0; i < arity; i++) {
        if (positions.filter((s) => s === i).length !== 1) throw new Error(`precompiled query: placeholder ${i} is not bound exactly once in ${query.sql}`);
      }
      slots = positions;
      compiled = query;
    }
    const base = compiled.parameters;
    const parameters = slots.map((slot, i) => (slot < 0 ? base[i] : values[slot]));
    return (await db.executeQuery<O>({ ...compiled, parameters })).rows;
  };
}
