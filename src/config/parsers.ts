import { isIP } from 'node:net';
import { parseDuration } from '../shared/duration.js';

/** Thrown by a parser: `expected` says what a valid value looks like. */
export class InvalidValue extends Error {
  constructor(readonly expected: string) {
    super(expected);
  }
}

export type Parser<T> = { parse: (raw: string) => T; expected: string };

export const str = (opts: { minLength?: number } = {}): Parser<string> => ({
  expected: opts.minLength ? `a string of at least ${opts.minLength} characters` : 'a string',
  parse(raw) {
    if (opts.minLength && raw.length < opts.minLength) throw new InvalidValue(this.expected);
    return raw;
  },
});

export const int = (min: number, max: number): Parser<number> => ({
  expected: `an integer from ${min} to ${max}`,
  parse(raw) {
    const n = Number(raw.trim());
    if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidValue(this.expected);
    }
    return n;
  },
});

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];
export const bool: Parser<boolean> = {
  expected: 'true or false',
  parse(raw) {
    const v = raw.trim().toLowerCase();
    if (TRUE.includes(v)) return true;
    if (FALSE.includes(v)) return false;
    throw new InvalidValue(this.expected);
  },
};

export const oneOf = <T extends string>(...values: T[]): Parser<T> => ({
  expected: `one of ${values.join(', ')}`,
  parse(raw) {
    const v = raw.trim() as T;
    if (!values.includes(v)) throw new InvalidValue(this.expected);
    return v;
  },
});

/** A duration (`15m`, `30d`, `10s`); returns milliseconds. */
export const duration = (minMs = 1): Parser<number> => ({
  expected: 'a duration such as 30s, 15m, 12h or 30d',
  parse(raw) {
    const ms = parseDuration(raw);
    if (ms === undefined || ms < minMs) throw new InvalidValue(this.expected);
    return ms;
  },
});

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1024, kib: 1024, mb: 1024 ** 2, mib: 1024 ** 2, gb: 1024 ** 3, gib: 1024 ** 3 };
/** A byte size (`10MB`, `512kb`, `1048576`); returns bytes. */
export const byteSize: Parser<number> = {
  expected: 'a size such as 1048576, 512KB or 10MB',
  parse(raw) {
    const m = /^(\d+)\s*([a-z]*)$/i.exec(raw.trim());
    const unit = SIZE_UNITS[(m?.[2] ?? '').toLowerCase()];
    if (!m || unit === undefined) throw new InvalidValue(this.expected);
    const n = Number(m[1]) * unit;
    if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidValue(this.expected);
    return n;
  },
};

export const host: Parser<string> = {
  expected: 'an IP address or host name',
  parse(raw) {
    const v = raw.trim();
    if (isIP(v) || /^[a-z0-9]([a-z0-9-]{0,62})(\.[a-z0-9]([a-z0-9-]{0,62}))*$/i.test(v)) return v;
    throw new InvalidValue(this.expected);
  },
};

export type DatabaseUrl =
  | { kind: 'sqlite'; url: string; path: string }
  | { kind: 'postgres'; url: string };

export const databaseUrl: Parser<DatabaseUrl> = {
  expected: 'sqlite:PATH (or sqlite::memory:) or postgres://user:pass@host:port/db',
  parse(raw) {
    const v = raw.trim();
    if (v.startsWith('sqlite:')) {
      const path = v.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
      if (!path) throw new InvalidValue(this.expected);
      return { kind: 'sqlite', url: v, path };
    }
    if (/^postgres(ql)?:\/\//.test(v)) {
      try {
        new URL(v);
      } catch {
        throw new InvalidValue(this.expected);
      }
      return { kind: 'postgres', url: v };
    }
    throw new InvalidValue(this.expected);
  },
};

export type TrustProxy = boolean | number | string[];
/**
 * How the client IP is derived behind a proxy: `false` (the socket address; the default),
 * `true` (trust every hop: only behind a proxy you control), a hop count, or a comma list of
 * trusted proxy addresses/CIDRs (and `loopback`, `linklocal`, `uniquelocal`).
 */
export const trustProxy: Parser<TrustProxy> = {
  expected: 'false, true, a hop count, or a comma list of proxy IPs/CIDRs (loopback, linklocal, uniquelocal allowed)',
  parse(raw) {
    const v = raw.trim().toLowerCase();
    if (FALSE.includes(v) || v === '') return false;
    if (TRUE.includes(v) && v !== '1') return true;
    if (/^\d+$/.test(v)) return Number(v);
    const items = v.split(',').map((s) => s.trim()).filter(Boolean);
    for (const item of items) {
      if (['loopback', 'linklocal', 'uniquelocal'].includes(item)) continue;
      const [addr, bits, extra] = item.split('/');
      if (extra !== undefined || !addr || !isIP(addr)) throw new InvalidValue(this.expected);
      if (bits !== undefined) {
        const max = isIP(addr) === 4 ? 32 : 128;
        if (!/^\d+$/.test(bits) || Number(bits) > max) throw new InvalidValue(this.expected);
      }
    }
    return items;
  },
};

/** `name=level,name=level` pairs. */
export const levelMap = (levels: readonly string[]): Parser<Record<string, string>> => ({
  expected: `comma list of component=level (levels: ${levels.join(', ')})`,
  parse(raw) {
    const out: Record<string, string> = {};
    for (const pair of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
      const [name, level, extra] = pair.split('=');
      if (!name || !level || extra !== undefined || !levels.includes(level)) throw new InvalidValue(this.expected);
      out[name] = level;
    }
    return out;
  },
});
