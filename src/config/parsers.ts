import { isIP } from 'node:net';
import { parseDuration } from '../shared/duration.js';
import { parseTarget, type IpTarget } from '../shared/ip.js';

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

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };
/** A byte size (`10MB`, `512kb`, `10k`, `1048576`); returns bytes. */
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

const DNS_NAME = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*';
const ORIGIN = new RegExp(`^(?<scheme>[a-z][a-z0-9+.-]*)://(?<host>\\[[0-9a-f:.]+\\]|${DNS_NAME})(?::(?<port>\\d{1,5}))?$`, 'i');

/** `*` (any origin, refused in production) or exact origins, as browsers send them in `Origin`. */
export type CorsOrigins = '*' | string[];
/**
 * `*` alone, or a comma list of exact origins `scheme://host[:port]` (no path, not even `/`).
 * http(s) origins are normalised the way browsers send them: lower case, default port dropped.
 */
export const corsOrigins: Parser<CorsOrigins> = {
  expected: '* or a comma list of origins scheme://host[:port] without a path or trailing slash (e.g. https://app.example.com,http://localhost:3000)',
  parse(raw) {
    const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
    if (items.length === 1 && items[0] === '*') return '*';
    const origins = items.map((item) => {
      const m = ORIGIN.exec(item);
      const port = m?.groups?.port === undefined ? undefined : Number(m.groups.port);
      if (!m || (port !== undefined && (port < 1 || port > 65535))) throw new InvalidValue(this.expected);
      if (!/^https?$/i.test(m.groups!.scheme!)) return item.toLowerCase();
      try {
        return new URL(item).origin;
      } catch {
        throw new InvalidValue(this.expected);
      }
    });
    return [...new Set(origins)];
  },
};

/**
 * Host names the service answers to: exact names or IPs, and `*.example.com` for any subdomain
 * (not example.com itself). A port is accepted and dropped: the Host check ignores ports.
 * Returned lower case, IPv6 in brackets as the Host header carries it.
 */
export const trustedHosts: Parser<string[]> = {
  expected: 'a comma list of host names or IPs, with *.domain for any subdomain of domain (e.g. api.example.com,*.example.com); ports are ignored',
  parse(raw) {
    const hosts = raw.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean).map((item) => {
      if (isIP(item) === 6) return `[${item}]`;
      const v6 = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(item);
      if (v6) {
        if (isIP(v6[1]!) !== 6) throw new InvalidValue(this.expected);
        return `[${v6[1]}]`;
      }
      const m = new RegExp(`^((?:\\*\\.)?${DNS_NAME})\\.?(?::\\d{1,5})?$`).exec(item);
      if (!m) throw new InvalidValue(this.expected);
      return m[1]!;
    });
    return [...new Set(hosts)];
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

/** `redis://[user:pass@]host[:port][/db]` or `rediss://…` (TLS). */
export const redisUrl: Parser<string> = {
  expected: 'redis://[user:pass@]host[:port][/db] or rediss://… (TLS)',
  parse(raw) {
    const v = raw.trim();
    if (!/^rediss?:\/\//.test(v)) throw new InvalidValue(this.expected);
    try {
      if (!new URL(v).hostname) throw new InvalidValue(this.expected);
    } catch {
      throw new InvalidValue(this.expected);
    }
    return v;
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

/** A limit over a window: `100/1m` → { points: 100, windowMs: 60000 }. */
export interface Rate {
  points: number;
  windowMs: number;
}
const RATE = /^\s*(\d+)\s*\/\s*(\S+)\s*$/;
function parseRate(raw: string, expected: string): Rate {
  const m = RATE.exec(raw);
  const windowMs = m ? parseDuration(m[2]!) : undefined;
  const points = m ? Number(m[1]) : 0;
  if (!m || windowMs === undefined || points < 1 || !Number.isSafeInteger(points)) throw new InvalidValue(expected);
  return { points, windowMs };
}

/** Per-route limits: `login=5/1m,register=10/1h`; only the given names are accepted. */
export const routeRates = <N extends string>(names: readonly N[]): Parser<Partial<Record<N, Rate>>> => ({
  expected: `a comma list of name=N/window with names ${names.join(', ')} (e.g. login=5/1m)`,
  parse(raw) {
    const out: Partial<Record<N, Rate>> = {};
    for (const part of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
      const eq = part.indexOf('=');
      const name = part.slice(0, eq).trim() as N;
      if (eq <= 0 || !names.includes(name)) throw new InvalidValue(this.expected);
      out[name] = parseRate(part.slice(eq + 1), this.expected);
    }
    return out;
  },
});

/** A detector threshold: `10/5m` or `10/5m:block_ip` (count, window, response). */
export interface DetectorSpec<A extends string> extends Rate {
  action: A | undefined;
}
export const detector = <A extends string>(actions: readonly A[]): Parser<DetectorSpec<A>> => ({
  expected: `N/window with an optional :response (${actions.join(', ')}), e.g. 10/5m:block_ip`,
  parse(raw) {
    const [rate = '', action] = raw.split(':');
    if (action !== undefined && !actions.includes(action.trim() as A)) throw new InvalidValue(this.expected);
    return { ...parseRate(rate, this.expected), action: action?.trim() as A | undefined };
  },
});

/** A comma list of IP addresses and CIDR ranges. */
export const ipTargets: Parser<IpTarget[]> = {
  expected: 'a comma list of IP addresses and CIDR ranges (e.g. 10.0.0.0/8, 2001:db8::/32, 203.0.113.7)',
  parse(raw) {
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => {
        const target = parseTarget(s);
        if (!target) throw new InvalidValue(this.expected);
        return target;
      });
  },
};

/** A number from 0 to 1 (`0.1`, `1`, `0`): a sampling rate. */
export const fraction: Parser<number> = {
  expected: 'a number from 0 to 1, e.g. 0.1',
  parse(raw) {
    const text = raw.trim();
    const n = Number(text);
    if (!/^\d+(\.\d+)?$/.test(text) || !(n >= 0 && n <= 1)) throw new InvalidValue(this.expected);
    return n;
  },
};

/** A Sentry DSN: `https://<public key>@<host>/<project id>` (http for a local relay). */
export const sentryDsn: Parser<string> = {
  expected: 'a Sentry DSN such as https://<key>@o0.ingest.sentry.io/<project>',
  parse(raw) {
    const text = raw.trim();
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new InvalidValue(this.expected);
    }
    if (!['http:', 'https:'].includes(url.protocol) || url.username === '' || !/^\/(.+\/)?\d+$/.test(url.pathname)) throw new InvalidValue(this.expected);
    return text;
  },
};
